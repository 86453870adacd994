/* omp_internal.h - the only place that tests _OPENMP (Linux coding style §21). */
#ifndef CC_OMP_INTERNAL_H
#define CC_OMP_INTERNAL_H

#ifdef _OPENMP
#include <omp.h>
static inline int cc__omp_thread_num(void) { return omp_get_thread_num(); }
static inline int cc__omp_max_threads(void) { return omp_get_num_procs(); }
#else
static inline int cc__omp_thread_num(void) { return 0; }
static inline int cc__omp_max_threads(void) { return 1; }
#endif

#endif
