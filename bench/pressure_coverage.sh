#!/usr/bin/env bash
# Line coverage of the allocator's memory-pressure paths after a fuzzing run: `make fuzz`
# (scripts/fuzz.sh) for --time into a directory of its own, scripts/coverage.sh over the
# corpus it grew, then for each function of allocator/slub.c that decides something about
# the reserves or low memory, the share of its lines (and branches) the corpus reached.
# Writes bench/results/pressure_coverage.md.
#
# usage: bench/pressure_coverage.sh [--time T] [--jobs N] [--out-dir DIR] [--no-fuzz]
#   defaults: --time 10m --jobs 2 --out-dir build/pressure-coverage (made fresh unless
#   --no-fuzz, which measures the corpus a run left there)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

time=10m jobs=2 dir=$root/build/pressure-coverage fuzz=1
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time=$(opt_value pressure_coverage "$1" "${2:-}"); shift 2 ;;
    --jobs) jobs=$(opt_value pressure_coverage "$1" "${2:-}"); shift 2 ;;
    --out-dir) dir=$(opt_value pressure_coverage "$1" "${2:-}"); shift 2 ;;
    --no-fuzz) fuzz=0; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pressure_coverage: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
positive_int pressure_coverage --jobs "$jobs"
to_seconds "$time" >/dev/null || { echo "pressure_coverage: --time $time: use 30s, 10m, 8h or seconds" >&2; exit 2; }

# The functions of allocator/slub.c with a reserve or low-memory decision in them.
functions=(slab_test_pfmemalloc pfmemalloc_match allocate_slab get_partial_node_bulk
  get_from_partial_node ___slab_alloc slab_alloc_node refill_objects __pcs_replace_empty_main
  can_free_to_pcs free_to_pcs_bulk __rcu_free_sheaf_prepare rcu_free_sheaf
  __prefill_sheaf_pfmemalloc kmem_cache_prefill_sheaf kmem_cache_refill_sheaf
  kmem_cache_return_sheaf)

if [ $fuzz = 1 ]; then
  rm -rf "$dir"
  FUZZ_TIME=$time JOBS=$jobs OUT_DIR=$dir REPORT_COVERAGE=0 "$root/scripts/fuzz.sh" ||
    { echo "pressure_coverage: the fuzzing run failed or found something (see $dir)" >&2; exit 1; }
fi
OUT_DIR=$dir "$root/scripts/coverage.sh" --quiet
bdir=$root/build/coverage
out=$root/bench/results/pressure_coverage.md
{
  echo "# Line coverage of the memory-pressure paths of allocator/slub.c"
  echo
  echo "After \`make fuzz FUZZ_TIME=$time JOBS=$jobs\` from the committed seeds; the corpus each target"
  echo "grew, replayed in the \`coverage\` build (bench/pressure_coverage.sh)."
} >"$out"
for t in $(fuzz_targets); do
  prof=$dir/coverage/$t.profdata
  [ -f "$prof" ] || continue
  llvm-cov report "$bdir/bin/${t}_replay" -instr-profile="$prof" -show-functions \
    "$root/allocator/slub.c" >"$dir/coverage/$t.functions.txt"
  python3 - "$t" "$dir/coverage/$t.functions.txt" "${functions[@]}" >>"$out" <<'PY'
import sys
t, path, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = {}
for line in open(path):
    f = line.split()
    # Name Regions Miss Cover Lines Miss Cover Branches Miss Cover
    # A static function is listed as file:name.
    name = f[0].split(":")[-1] if f else ""
    if len(f) >= 7 and name in wanted and f[3].endswith("%"):
        br = (int(f[7]), int(f[8])) if len(f) >= 10 else (0, 0)
        rows[name] = (int(f[4]), int(f[5]), br[0], br[1])
print(f"\n## {t}\n")
print("| function | lines reached | branches reached |")
print("|---|---:|---:|")
tl = tm = tb = tbm = 0
for name in wanted:
    if name not in rows:
        print(f"| `{name}` | not in the build | |")
        continue
    l, m, b, bm = rows[name]
    tl += l; tm += m; tb += b; tbm += bm
    pb = f"{b - bm}/{b}" if b else "-"
    print(f"| `{name}` | {l - m}/{l} ({100.0 * (l - m) / l:.0f}%) | {pb} |")
print(f"| **all** | **{tl - tm}/{tl} ({100.0 * (tl - tm) / tl:.0f}%)** | **{tb - tbm}/{tb}** |")
PY
  llvm-cov show "$bdir/bin/${t}_replay" -instr-profile="$prof" "$root/allocator/slub.c" \
    >"$dir/coverage/$t.slub.txt"
  python3 - "$dir/coverage/$t.slub.txt" >>"$out" <<'PY'
import re, sys
# Every executable line of slub.c that names the reserves: how many the corpus ran.
lines = []
for line in open(sys.argv[1]):
    m = re.match(r"\s*(\d+)\|\s*([0-9.]+[kMG]?)?\|(.*)", line.rstrip("\n"))
    if m and m.group(2) and re.search(r"pfmemalloc|NOMEMALLOC|MEMALLOC", m.group(3)):
        lines.append((int(m.group(1)), m.group(2) != "0", m.group(3).strip()))
ran = sum(1 for _, r, _ in lines if r)
print(f"\nExecutable lines of `allocator/slub.c` naming the reserves (pfmemalloc, MEMALLOC): "
      f"**{ran}/{len(lines)}** run.", end="")
missed = [f"{n}: `{text}`" for n, r, text in lines if not r]
print(" Not run:\n" + "".join(f"\n- {m}" for m in missed) if missed else "")
PY
done
cat "$out"
