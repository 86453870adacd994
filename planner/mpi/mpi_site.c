/* placeholder until the siting part lands */
#include "mpi_internal.h"
cc_status cc_mpi_site_run(cc_ctx *ctx, cc_mpi *m, const cc_site_opts *opts, cc_site_result **out)
{
    (void)m;
    return cc_site_run(ctx, opts, out);
}
