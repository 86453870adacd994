#!/bin/sh
# Usage: run.sh BUILD_DIR WORK_DIR   (ctest package.consumer)
# Installs the build into a temporary prefix (WORK_DIR/prefix), checks what was installed, then
# builds tests/consumer/consumer.c twice against it, with find_package(carecircle) and with
# pkg-config, runs both on the demo district and compares their output. Any failing step fails.
# Environment: CC_SRC (source tree), CMAKE, CC (the build's C compiler), CC_SANITIZE (the build's
# sanitizers, so that the consumer links their runtime), CC_WITH_MPI, CC_SHARED (ON/OFF).
set -eu
build=$1
work=$2
CMAKE=${CMAKE:-cmake}
CC=${CC:-cc}
demo=$CC_SRC/datasets/demo
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
step() { echo "== $*"; }
is_on() { case "$1" in ON | on | 1 | TRUE | true | YES | yes) return 0 ;; *) return 1 ;; esac }
san=""
[ -n "${CC_SANITIZE:-}" ] && san="-fsanitize=$CC_SANITIZE -fno-omit-frame-pointer"

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

step "cmake --install $build --prefix $prefix"
"$CMAKE" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || {
    cat "$work/install.log"
    fail "cmake --install failed"
}
cfgdir=$(dirname "$(find "$prefix" -name carecircleConfig.cmake)")
pcdir=$(dirname "$(find "$prefix" -name carecircle.pc)")
libdir=$(dirname "$pcdir")
[ -f "$cfgdir/carecircleConfigVersion.cmake" ] || fail "no carecircleConfigVersion.cmake in $cfgdir"
for h in carecircle.h cc_api.h cc_status.h cc_coverage.h cc_version.h; do
    [ -f "$prefix/include/carecircle/$h" ] || fail "header $h not installed"
done
[ -z "$(find "$prefix" -name '*_internal*')" ] || fail "internal files installed: $(find "$prefix" -name '*_internal*')"
if is_on "${CC_SHARED:-ON}"; then
    real=$(readlink -f "$libdir/libcarecircle.so")
    soname=$(objdump -p "$real" | awk '/SONAME/ {print $2}')
    echo "library: $(basename "$real"), soname $soname"
    case "$soname" in libcarecircle.so.[0-9]*) ;; *) fail "libcarecircle.so has no versioned soname ($soname)" ;; esac
    [ -f "$libdir/$soname" ] || fail "$soname is not installed next to the library"
fi
if is_on "${CC_WITH_MPI:-OFF}"; then
    [ -f "$prefix/include/carecircle/cc_mpi.h" ] || fail "CC_WITH_MPI build: cc_mpi.h not installed"
    [ -n "$(find "$libdir" -maxdepth 1 -name 'libcarecircle_mpi.*')" ] || fail "CC_WITH_MPI build: libcarecircle_mpi not installed"
else
    [ ! -e "$prefix/include/carecircle/cc_mpi.h" ] || fail "cc_mpi.h installed without its library (no CC_WITH_MPI)"
    [ -z "$(find "$libdir" -maxdepth 1 -name 'libcarecircle_mpi.*')" ] || fail "libcarecircle_mpi installed without CC_WITH_MPI"
fi

step "exported targets hold no absolute path of a system library"
if grep -n -E '/usr/(local/)?lib' "$cfgdir"/carecircleTargets*.cmake; then
    fail "absolute library path in $cfgdir/carecircleTargets*.cmake (use an imported target)"
fi
echo "none"

step "the installed program runs"
"$prefix/bin/carecircle" version || fail "installed carecircle does not run (RPATH?)"

step "consumer with find_package(carecircle)"
"$CMAKE" -S "$CC_SRC/tests/consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$CC" \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" >"$work/cmake-configure.log" 2>&1 || {
    cat "$work/cmake-configure.log"
    fail "configuring the consumer with find_package failed"
}
"$CMAKE" --build "$work/cmake-build" >"$work/cmake-build.log" 2>&1 || {
    cat "$work/cmake-build.log"
    fail "building the consumer with find_package failed"
}
"$work/cmake-build/consumer" "$demo" "$work/out-cmake" >"$work/cmake.out" || fail "the find_package consumer failed"
cat "$work/cmake.out"

step "consumer with pkg-config"
export PKG_CONFIG_PATH="$pcdir"
flags=$(pkg-config --cflags --libs carecircle) || fail "pkg-config carecircle failed"
if ! is_on "${CC_SHARED:-ON}"; then
    # static libcarecircle.a: its Requires.private and Libs.private, one level down. (`pkg-config
    # --static` would also expand GDAL's own private libraries, which Debian does not all install.)
    reqs=$(pkg-config --print-requires-private carecircle | awk '{print $1}')
    flags="$flags $(pkg-config --libs $reqs) $(sed -n 's/^Libs.private: //p' "$pcdir/carecircle.pc")" ||
        fail "pkg-config for the private dependencies failed"
fi
unset PKG_CONFIG_PATH
echo "pkg-config: $flags"
# shellcheck disable=SC2086
"$CC" -std=c11 -Wall -Werror $san -o "$work/consumer-pc" "$CC_SRC/tests/consumer/consumer.c" $flags ||
    fail "building the consumer with pkg-config failed"
LD_LIBRARY_PATH=$libdir "$work/consumer-pc" "$demo" "$work/out-pc" >"$work/pc.out" || fail "the pkg-config consumer failed"
cat "$work/pc.out"

step "both consumers use the installed library and agree"
if is_on "${CC_SHARED:-ON}"; then
    ldd "$work/cmake-build/consumer" | grep -q "$libdir/libcarecircle.so" ||
        fail "the find_package consumer does not load $libdir/libcarecircle.so: $(ldd "$work/cmake-build/consumer" | grep carecircle)"
    LD_LIBRARY_PATH=$libdir ldd "$work/consumer-pc" | grep -q "$libdir/libcarecircle.so" ||
        fail "the pkg-config consumer does not load $libdir/libcarecircle.so"
fi
grep -q -E '^population within 30 minutes: [1-9][0-9]* of [1-9][0-9]*$' "$work/cmake.out" || fail "unexpected output"
cmp "$work/cmake.out" "$work/pc.out" || fail "the two consumers printed different figures"
[ -f "$work/out-cmake/summary.json" ] && [ -f "$work/out-pc/summary.json" ] || fail "no summary.json written"
rm -rf "$work"
echo PASS
