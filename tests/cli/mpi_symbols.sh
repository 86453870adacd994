#!/bin/sh
# Usage: mpi_symbols.sh PROGRAM EXPECT  (EXPECT 0: the program must hold no MPI symbol and load no
# MPI library, as in the default build; 1: it must, as in a CC_WITH_MPI build). The program's own
# carecircle libraries count as the program (libcarecircle.so, libcarecircle_mpi.so when shared).
set -u
prog=$1
expect=$2
libs=$(ldd "$prog" | grep -c -i -E 'libmpi|openmpi')
ours=$(ldd "$prog" | awk '$1 ~ /^libcarecircle/ && $3 ~ /^\// {print $3}')
syms=0
for f in "$prog" $ours; do
    n=$(nm -D --undefined-only "$f" 2>/dev/null | grep -c -E ' (MPI|PMPI|ompi)_')
    syms=$((syms + n))
done
echo "$prog${ours:+ (and $(echo $ours | tr '\n' ' '))}: $libs MPI libraries, $syms MPI symbols"
if [ "$expect" = 0 ]; then
    [ "$libs" -eq 0 ] && [ "$syms" -eq 0 ] || { echo "FAIL: the single-machine program links MPI"; exit 1; }
else
    [ "$libs" -gt 0 ] && [ "$syms" -gt 0 ] || { echo "FAIL: the MPI build does not link MPI"; exit 1; }
fi
echo PASS
