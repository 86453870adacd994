/*
 * order.c - deterministic sort orders shared by the modules (core_internal.h).
 */
#include "core_internal.h"

int cc__cmp_scored_asc(const void *a, const void *b)
{
    const cc__scored *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int cc__cmp_scored_desc(const void *a, const void *b)
{
    const cc__scored *x = a, *y = b;
    if (x->v != y->v) return x->v > y->v ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}
