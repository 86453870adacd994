/* strtab.c - string interning with an open-addressing hash table (FNV-1a). */
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"
#include "strtab_internal.h"

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

void cc__strtab_init(cc__strtab *t)
{
    memset(t, 0, sizeof(*t));
}

void cc__strtab_free(cc__strtab *t)
{
    for (uint32_t i = 0; i < t->n; i++) free(t->str[i]);
    free(t->str);
    free(t->slot);
    memset(t, 0, sizeof(*t));
}

uint32_t cc__strtab_find(const cc__strtab *t, const char *s)
{
    if (!t->nslot) return CC__NO_STRING;
    for (uint32_t i = hash_str(s) & (t->nslot - 1);; i = (i + 1) & (t->nslot - 1)) {
        uint32_t id = t->slot[i];
        if (id == CC__NO_STRING) return CC__NO_STRING;
        if (strcmp(t->str[id], s) == 0) return id;
    }
}

static int grow(cc__strtab *t)
{
    uint32_t nslot = t->nslot ? t->nslot * 2 : 64;
    uint32_t *slot = cc__malloc_array(nslot, sizeof(*slot));
    if (!slot) return -1;
    memset(slot, 0xff, (size_t)nslot * sizeof(*slot));
    for (uint32_t id = 0; id < t->n; id++) {
        uint32_t i = hash_str(t->str[id]) & (nslot - 1);
        while (slot[i] != CC__NO_STRING) i = (i + 1) & (nslot - 1);
        slot[i] = id;
    }
    free(t->slot);
    t->slot = slot;
    t->nslot = nslot;
    return 0;
}

uint32_t cc__strtab_intern(cc__strtab *t, const char *s)
{
    uint32_t id = cc__strtab_find(t, s);
    if (id != CC__NO_STRING) return id;
    if ((t->n + 1) * 2 > t->nslot && grow(t)) return CC__NO_STRING;
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 16;
        char **str = cc__realloc_array(t->str, cap, sizeof(*str));
        if (!str) return CC__NO_STRING;
        t->str = str;
        t->cap = cap;
    }
    char *copy = cc__strdup(s);
    if (!copy) return CC__NO_STRING;
    id = t->n++;
    t->str[id] = copy;
    uint32_t i = hash_str(s) & (t->nslot - 1);
    while (t->slot[i] != CC__NO_STRING) i = (i + 1) & (t->nslot - 1);
    t->slot[i] = id;
    return id;
}

char *cc__utf8_whole(char *buf)
{
    size_t n = strlen(buf), i = n;
    while (i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80) i--; /* back to the last lead byte */
    if (i > 0) {
        const unsigned char c = (unsigned char)buf[i - 1];
        const size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (n - (i - 1) < len) buf[i - 1] = 0;
    }
    return buf;
}
