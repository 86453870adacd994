#!/bin/sh
# Usage: mpi_symbols.sh PROGRAM EXPECT  (EXPECT 0: the program must hold no MPI symbol and load no
# MPI library, as in the default build; 1: it must, as in a CC_WITH_MPI build)
set -u
prog=$1
expect=$2
libs=$(ldd "$prog" | grep -c -i -E 'libmpi|openmpi')
syms=$(nm -D --undefined-only "$prog" 2>/dev/null | grep -c -E ' (MPI|PMPI|ompi)_')
echo "$prog: $libs MPI libraries, $syms MPI symbols"
if [ "$expect" = 0 ]; then
    [ "$libs" -eq 0 ] && [ "$syms" -eq 0 ] || { echo "FAIL: the single-machine program links MPI"; exit 1; }
else
    [ "$libs" -gt 0 ] && [ "$syms" -gt 0 ] || { echo "FAIL: the MPI build does not link MPI"; exit 1; }
fi
echo PASS
