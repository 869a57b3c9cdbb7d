#!/usr/bin/env bash
# The kernel's own maple-tree, xarray and IDR test suites (tools/testing/radix-tree) on
# slabtorture's reference allocator. See docs/kernel-tests.md.
#
# Usage: scripts/kernel-tests.sh [options] [SUITE...]     (SUITE: maple xarray idr-test main)
#   --ksrc DIR    a kernel tree (default: $KSRC, else linux-source-6.12 unpacked into
#                 build/ksrc/ from the Debian package, installed by scripts/deps.sh)
#   --mock        build and run the same suites on the kernel's own mock instead (baseline)
#   --bug NAME    run with a seeded allocator bug (SLAB_BUGS=NAME)
#   --short       the short form for `make test`: the xarray suite only (9 s built, 40 s from nothing)
#   --build-only  build, run nothing
# Environment: JOBS; SLAB_SRC=dir builds the allocator from another checkout (default: this
# one, as it is); SLAB_KT_* and SLAB_CAPTURE (docs/kernel-tests.md) pass to the suites.
# Exit: 0 all suites passed, 1 a suite failed, 2 bad usage, 3 could not build or install.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-$(nproc)}
ksrc=${KSRC:-}
mock=0 bug="" short=0 build_only=0 suites=()
while [ $# -gt 0 ]; do
  case $1 in
    --ksrc) ksrc=$2; shift 2 ;;
    --mock) mock=1; shift ;;
    --bug) bug=$2; shift 2 ;;
    --short) short=1; shift ;;
    --build-only) build_only=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    maple|xarray|idr-test|main) suites+=("$1"); shift ;;
    *) echo "kernel-tests: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#suites[@]} -eq 0 ] && suites=(maple xarray idr-test main)
[ $short -eq 1 ] && suites=(xarray)
die() { echo "kernel-tests: $*" >&2; exit 3; }
# No kernel sources: the short form (ctest) says SKIPPED loudly (exit 77, ctest's skip
# code) rather than failing CI for a missing mirror package; the full form fails (3).
nosrc() {
  if [ $short -eq 1 ]; then
    echo "kernel-tests: SKIPPED: $* -- the kernel's suites did not run" >&2; exit 77
  fi
  die "$@"
}

# ---- the kernel sources ----
# Only what the suites need, never into a source tree: build/ksrc/linux-source-<v>/.
KVER=6.12
paths=(Makefile tools/testing/radix-tree tools/testing/shared tools/include tools/lib
       tools/arch/x86/include tools/scripts lib include/linux include/uapi/linux)
if [ -z "$ksrc" ]; then
  tarball=/usr/src/linux-source-$KVER.tar.xz
  ksrc=$root/build/ksrc/linux-source-$KVER
  if [ ! -f "$ksrc/.unpacked" ]; then
    [ -f "$tarball" ] || "$root/scripts/deps.sh" || nosrc "could not install linux-source-$KVER"
    [ -f "$tarball" ] || nosrc "$tarball missing after scripts/deps.sh (is linux-source-$KVER in its list?)"
    echo "kernel-tests: unpacking the suites' sources from $tarball into build/ksrc/"
    rm -rf "$ksrc"; mkdir -p "$root/build/ksrc"
    tar -C "$root/build/ksrc" -xJf "$tarball" "${paths[@]/#/linux-source-$KVER/}" ||
      die "tar failed"
    touch "$ksrc/.unpacked"
  fi
fi
ksrc=$(cd "$ksrc" 2>/dev/null && pwd) || die "no kernel tree at $ksrc"
[ -f "$ksrc/tools/testing/radix-tree/Makefile" ] || die "$ksrc has no tools/testing/radix-tree"
kver=$(awk '/^VERSION =/ { v = $3 } /^PATCHLEVEL =/ { p = $3 } /^SUBLEVEL =/ { s = $3 }
  END { if (v != "") print v "." p "." s; else print "?" }' "$ksrc/Makefile" 2>/dev/null)

# A build tree: the suites' directory copied (their make writes objects into it), the rest
# of the kernel tree as symlinks, so the kernel tree is never written.
mirror() {
  local t=$1
  rm -rf "$t"; mkdir -p "$t/tools/testing"
  for d in "$ksrc"/* "$ksrc"/tools/*; do
    case ${d#"$ksrc"/} in tools|tools/testing) continue ;; esac
    ln -s "$d" "$t/${d#"$ksrc"/}"
  done
  for d in "$ksrc"/tools/testing/*; do
    [ "$(basename "$d")" = radix-tree ] || ln -s "$d" "$t/tools/testing/$(basename "$d")"
  done
  cp -r "$ksrc/tools/testing/radix-tree" "$t/tools/testing/radix-tree"
  make -s -C "$t/tools/testing/radix-tree" clean >/dev/null 2>&1 || true
}

if [ $mock -eq 1 ]; then
  out=$root/build/kernel-mock
  mirror "$out/tree"
  echo "kernel-tests: building ${suites[*]} on the kernel's mock (Linux $kver)"
  make -s -C "$out/tree/tools/testing/radix-tree" -j "$jobs" "${suites[@]}" >"$out/build.log" 2>&1 ||
    { tail -20 "$out/build.log"; die "the kernel's build failed (log: $out/build.log)"; }
else
  out=$root/build/kernel-asan
  # ---- our allocator, for the shim: gcc (the suites' compiler) with ASan + UBSan ----
  cm=$out/cmake
  src=$(cd "${SLAB_SRC:-$root}" && pwd)
  if [ ! -f "$cm/build.ninja" ] || ! grep -q "CMAKE_HOME_DIRECTORY:INTERNAL=$src\$" "$cm/CMakeCache.txt"; then
    rm -rf "$cm"
    cmake -S "$src" -B "$cm" -G Ninja -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DSLAB_SANITIZE="address;undefined" -DSLAB_SEEDED_BUGS=ON >"$out.cmake.log" 2>&1 ||
      { cat "$out.cmake.log"; die "cmake failed"; }
  fi
  cmake --build "$cm" -j "$jobs" --target slab slabmodel >"$out.ninja.log" 2>&1 ||
    { tail -30 "$out.ninja.log"; die "building the allocator failed"; }
  # kernel/kt_bridge.c + libslab.a + libslabmodel.a -> one object; every global but kt_*
  # (and the sanitizer hooks) gets the prefix st_. Why: docs/kernel-tests.md, kernel/kshim.mk.
  obj=$out/obj; mkdir -p "$obj"
  # the allocator's own compile flags (defines, sanitizers, -O, -W), without its includes
  flags=$(python3 -c 'import json, shlex, sys
for e in json.load(open(sys.argv[1])):
    if e["file"].endswith("allocator/slub.c"):
        a = shlex.split(e["command"])[1:]
        print(" ".join(x for i, x in enumerate(a) if x.startswith(("-D", "-O", "-W", "-f", "-m", "-g", "-std"))))
        break' "$cm/compile_commands.json")
  [ -n "$flags" ] || die "no compile flags in $cm/compile_commands.json"
  gcc -c $flags -I"$src/allocator/include" -I"$src/allocator/platform" -I"$src/model" \
      -I"$root/kernel" "$root/kernel/kt_bridge.c" -o "$obj/kt_bridge.o" || die "kt_bridge.c"
  ld -r -o "$obj/slabkt-raw.o" "$obj/kt_bridge.o" --whole-archive "$cm/libslabmodel.a" "$cm/libslab.a" ||
    die "ld -r failed"
  nm -g --defined-only "$obj/slabkt-raw.o" | awk 'NF == 3 { print $3 }' |
    grep -Ev '^(kt_|__asan_|__ubsan_|__lsan_|__tsan_|__sanitizer_)' |
    awk '{ print $1 " st_" $1 }' > "$obj/prefix.map"
  objcopy --redefine-syms="$obj/prefix.map" "$obj/slabkt-raw.o" "$obj/slabkt.o.tmp" || die objcopy
  cmp -s "$obj/slabkt.o.tmp" "$obj/slabkt.o" 2>/dev/null && rm "$obj/slabkt.o.tmp" ||
    mv "$obj/slabkt.o.tmp" "$obj/slabkt.o"
  # ---- the suites, with the kernel's Makefile ----
  [ -d "$out/tree/tools/testing/radix-tree" ] && [ "$(readlink "$out/tree/lib")" = "$ksrc/lib" ] ||
    mirror "$out/tree"
  echo "kernel-tests: building ${suites[*]} (Linux $kver) on the reference allocator"
  make -C "$out/tree/tools/testing/radix-tree" -f "$root/kernel/kshim.mk" -j "$jobs" \
    KT_DIR="$root/kernel" KT_OBJ="$obj/slabkt.o" "${suites[@]}" >"$out/build.log" 2>&1 ||
    { grep -E "error|undefined" "$out/build.log" | head -30; die "building the suites failed (log: $out/build.log)"; }
fi
[ $build_only -eq 1 ] && exit 0

# ---- run ----
logs=$out/logs; mkdir -p "$logs"
[ -n "$bug" ] && export SLAB_BUGS=$bug
fail=0
printf "%-9s %-6s %8s %16s  %s\n" suite result wall checks "(log in ${logs#"$root"/}/)"
for s in "${suites[@]}"; do
  args=()
  log=$logs/$s${bug:+.$bug}.log
  start=$(date +%s.%N)
  ( cd "$out/tree/tools/testing/radix-tree" && exec "./$s" "${args[@]}" ) >"$log" 2>&1
  rc=$?
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  checks=$(grep -Eo '[0-9]+ of [0-9]+ tests passed' "$log" | awk '{ p += $1; t += $3 } END { if (t) printf "%d/%d", p, t }')
  res=pass
  if [ $rc -ne 0 ] || grep -q "==slabtorture==" "$log" ||
     grep -Eo '[0-9]+ of [0-9]+ tests passed' "$log" | awk '$1 != $3 { bad = 1 } END { exit !bad }'; then
    res=FAIL; fail=1
  fi
  printf "%-9s %-6s %7.1fs %16s\n" "$s" "$res" "$wall" "${checks:--}"
  if [ $res = FAIL ]; then
    grep -E "==slabtorture==|Assertion|BUG at|tests passed|ERROR: AddressSanitizer|runtime error" "$log" | head -20 | sed 's/^/    /'
  fi
done
exit $fail
