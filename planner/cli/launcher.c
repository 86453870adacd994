/* carecircle: the command users run. It starts the engine, carecircle-engine (beside it in a
 * build tree, in ../libexec/carecircle/ when installed), with glibc's malloc on transparent huge
 * pages (the tunable glibc.malloc.hugetlb=1: the heaps are madvise(MADV_HUGEPAGE)d, so that a run
 * faults its memory in 2 MiB at a time instead of 4 KiB). Measured on the Comoros coverage run
 * (benchmarks/RESULTS.md, seventh session): wall 0.815 and CPU 0.814 of the same engine without it,
 * peak +5 MiB; page faults were a fifth of a run's time on the virtual machines counties use, and
 * cairo's PDF font subsetting (two fresh 18 MB copies of the CJK font's CFF table a map) most of the
 * PDF's. glibc reads its tunables when a process starts, hence this small program and one exec:
 * the same process (exec, not fork), so the same PID, signals, exit status and arguments.
 * GLIBC_TUNABLES that already name glibc.malloc.hugetlb are left as they are; CARECIRCLE_HUGEPAGES=0
 * leaves the tunables alone. Glibc before 2.35 ignores the tunable; so does a kernel whose
 * transparent huge pages are "never". Only libc here: starting it costs about a millisecond. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TUNABLE "glibc.malloc.hugetlb=1"

int main(int argc, char **argv)
{
    (void)argc;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0 || (size_t)n >= sizeof(self) - 1) {
        fprintf(stderr, "carecircle: error: cannot find where carecircle is (/proc/self/exe): %s\n", n < 0 ? strerror(errno) : "path too long");
        return 127;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) *slash = '\0';
    static const char *const where[] = {"/carecircle-engine", "/../libexec/carecircle/carecircle-engine"};
    char engine[PATH_MAX + 64] = "";
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        snprintf(engine, sizeof(engine), "%s%s", self, where[i]);
        if (access(engine, X_OK) == 0) break;
        engine[0] = '\0';
    }
    if (!engine[0]) {
        fprintf(stderr, "carecircle: error: carecircle-engine is neither beside '%s/carecircle' nor in '%s/../libexec/carecircle/': reinstall carecircle\n",
                self, self);
        return 127;
    }
    const char *off = getenv("CARECIRCLE_HUGEPAGES");
    const char *t = getenv("GLIBC_TUNABLES");
    if (!(off && !strcmp(off, "0")) && !(t && strstr(t, "glibc.malloc.hugetlb"))) {
        if (!t || !*t) {
            setenv("GLIBC_TUNABLES", TUNABLE, 1);
        } else {
            size_t len = strlen(t) + sizeof(TUNABLE) + 1;
            char *v = malloc(len);
            if (v) {
                snprintf(v, len, "%s:%s", t, TUNABLE);
                setenv("GLIBC_TUNABLES", v, 1);
                free(v);
            }
        }
    }
    execv(engine, argv);
    fprintf(stderr, "carecircle: error: cannot start '%s': %s\n", engine, strerror(errno));
    return 127;
}
