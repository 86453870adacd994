#!/usr/bin/python3
"""The shared library exports exactly the public API (ctest package.exports).

Usage: exports.py LIBCARECIRCLE INCLUDE_DIR [LIBCARECIRCLE_MPI]
Every function declared with CC_API in the public headers is exported (a missing CC_API would
break programs at link time); nothing else is: no internal cc__ function, no other symbol of
ours. libcarecircle_mpi exports the cc_mpi_* functions only. Skips (77) for a static library."""
import glob
import os
import re
import subprocess
import sys


# the linker's own markers, and the locks of named OpenMP critical sections, which GCC makes global
# so that every critical section of that name in the process shares one lock
NOT_OURS = re.compile(r'^(__bss_start|_edata|_end|_init|_fini|\.gomp_critical_user_.*)$')


def exported(lib):
    out = subprocess.run(['nm', '-D', '--defined-only', lib], check=True, capture_output=True, text=True).stdout
    return {f[2] for f in (line.split() for line in out.splitlines()) if len(f) == 3 and not NOT_OURS.match(f[2])}


def declared(include_dir):
    names = {}
    for h in sorted(glob.glob(os.path.join(include_dir, '*.h'))):
        text = re.sub(r'/\*.*?\*/', '', open(h).read(), flags=re.S)
        for m in re.finditer(r'\bCC_API\b[^;(]*?\b(cc_[a-z0-9_]+)\s*\(', text):
            names[m.group(1)] = os.path.basename(h)
    return names


def main():
    lib, inc = sys.argv[1], sys.argv[2]
    mpi = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    if not lib.endswith('.so') and '.so.' not in lib:
        print(f'{lib}: not a shared library; skipped')
        return 77
    api = declared(inc)
    failures = []
    libs = [(lib, {n for n, h in api.items() if h != 'cc_mpi.h'})]
    if mpi:
        libs.append((mpi, {n for n, h in api.items() if h == 'cc_mpi.h'}))
    for path, want in libs:
        got = exported(path)
        missing = sorted(want - got)
        extra = sorted(got - want)
        print(f'{os.path.basename(path)}: {len(got)} symbols exported, {len(want)} public functions declared')
        if missing:
            failures.append(f'{os.path.basename(path)}: public functions not exported (CC_API missing?): {", ".join(missing)}')
        if extra:
            failures.append(f'{os.path.basename(path)}: exports beyond the public API: {", ".join(extra[:30])}'
                            f'{" ..." if len(extra) > 30 else ""}')
    for f in failures:
        print('FAIL ' + f)
    print('PASS' if not failures else f'{len(failures)} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
