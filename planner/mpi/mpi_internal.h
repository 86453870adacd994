/* mpi_internal.h - shared pieces of planner/mpi (built only with CC_WITH_MPI). */
#ifndef CC_MPI_INTERNAL_H
#define CC_MPI_INTERNAL_H

#include <mpi.h>

#include "carecircle/cc_mpi.h"
#include "../core/core_internal.h"

struct cc_mpi {
    int rank, size;
    bool owns; /* we called MPI_Init_thread, so we finalise */
};

/* Tags of the messages between rank 0 and the others. */
enum { CC__TAG_DONE = 101, CC__TAG_WORK = 102 };

/* Wait for @p req without spinning a core: MPI_Test, then a short sleep. Open MPI's blocking
 * calls poll at full speed, which on a node running OpenMP threads steals a core from them. */
void cc__mpi_wait(MPI_Request *req, MPI_Status *status);

/* Rank 0: the next "done" message (CC__TAG_DONE, @p size bytes into @p buf) from any rank,
 * polling every millisecond so that rank 0's own worker thread keeps its core. Returns the
 * sender's rank. */
int cc__mpi_recv_done(void *buf, int size);

/* The largest value of @p v over all ranks (collective). */
int cc__mpi_max_int(int v);

#endif
