/* mpi.c - starting and stopping MPI (MPI_THREAD_FUNNELED: OpenMP inside each rank, only the main
 * thread talks MPI) and the waiting helper shared by the distributed runs. */
#include <stdlib.h>
#include <time.h>

#include "mpi_internal.h"

cc_status cc_mpi_init(cc_ctx *ctx, int *argc, char ***argv, cc_mpi **out)
{
    int inited = 0, provided = MPI_THREAD_SINGLE;
    *out = NULL;
    cc_mpi *m = calloc(1, sizeof(*m));
    if (!m) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    MPI_Initialized(&inited);
    if (!inited) {
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
            free(m);
            return cc__fail(ctx, CC_ERR_INTERNAL, "Unable to start MPI (MPI_Init_thread failed)");
        }
        m->owns = true;
    } else {
        MPI_Query_thread(&provided);
    }
    if (provided < MPI_THREAD_FUNNELED) {
        if (m->owns) MPI_Finalize();
        free(m);
        return cc__fail(ctx, CC_ERR_INTERNAL, "This MPI library does not support threads (MPI_THREAD_FUNNELED), which carecircle needs");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->size);
    *out = m;
    return CC_OK;
}

void cc_mpi_finalize(cc_mpi *m)
{
    if (!m) return;
    if (m->owns) MPI_Finalize();
    free(m);
}

int cc_mpi_get_rank(const cc_mpi *m) { return m->rank; }
int cc_mpi_get_size(const cc_mpi *m) { return m->size; }

void cc__mpi_wait(MPI_Request *req, MPI_Status *status)
{
    int done = 0;
    const struct timespec pause = {0, 500000}; /* 0.5 ms: negligible against a unit of work */
    for (;;) {
        MPI_Test(req, &done, status ? status : MPI_STATUS_IGNORE);
        if (done) return;
        nanosleep(&pause, NULL);
    }
}

int cc__mpi_recv_done(void *buf, int size)
{
    const struct timespec pause = {0, 1000000};
    for (;;) {
        int flag = 0;
        MPI_Status stt;
        MPI_Iprobe(MPI_ANY_SOURCE, CC__TAG_DONE, MPI_COMM_WORLD, &flag, &stt);
        if (flag) {
            MPI_Recv(buf, size, MPI_BYTE, stt.MPI_SOURCE, CC__TAG_DONE, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            return stt.MPI_SOURCE;
        }
        nanosleep(&pause, NULL);
    }
}

int cc__mpi_max_int(int v)
{
    int r = v;
    MPI_Request req;
    MPI_Iallreduce(&v, &r, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req);
    cc__mpi_wait(&req, MPI_STATUS_IGNORE);
    return r;
}
