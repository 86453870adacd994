/* strtab_internal.h - interned strings: each distinct string gets a dense uint32 id. */
#ifndef CC_STRTAB_INTERNAL_H
#define CC_STRTAB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define CC__NO_STRING UINT32_MAX

typedef struct cc__strtab {
    char **str;      /* id -> string (owned) */
    uint32_t n, cap; /* strings */
    uint32_t *slot;  /* open-addressing table of ids, CC__NO_STRING = empty */
    uint32_t nslot;  /* power of two */
} cc__strtab;

void cc__strtab_init(cc__strtab *t);
void cc__strtab_free(cc__strtab *t);
/* Id of @p s, adding it if new; CC__NO_STRING on out-of-memory. */
uint32_t cc__strtab_intern(cc__strtab *t, const char *s);
/* Id of @p s or CC__NO_STRING when absent. */
uint32_t cc__strtab_find(const cc__strtab *t, const char *s);
static inline const char *cc__strtab_get(const cc__strtab *t, uint32_t id)
{
    return id < t->n ? t->str[id] : NULL;
}

#endif
