#!/usr/bin/env bash
# make coverage: replay the corpus through the source-based coverage build (preset coverage,
# bin/<target>_replay) and write llvm-cov HTML, a one-line summary per target, and the
# allocator functions the corpus never reaches.
#   scripts/coverage.sh [--quiet]
#   TARGETS="fuzz_ops ..."  (default: every fuzz target)
#   CORPUS=dir              replay this directory (default: OUT_DIR/corpus/<target> and the
#                           AFL++ queues when a fuzz run left them, else corpus/seeds/<target>)
#   OUT_DIR=dir             default fuzz-out/; results in OUT_DIR/coverage/:
#                           html/<target>/index.html, summary.json, <target>.unreached.txt
# Exit status (scripts/lib.sh): 0 written, 2 bad usage, 3 the build or llvm-cov failed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
quiet=0
case "${1:-}" in --quiet) quiet=1 ;; "") ;; *) echo "usage: scripts/coverage.sh [--quiet]" >&2; exit $EXIT_USAGE ;; esac
OUT_DIR=${OUT_DIR:-$root/fuzz-out}
all=$(fuzz_targets)
TARGETS=${TARGETS:-$all}
for t in $TARGETS; do grep -qx "$t" <<<"$all" || { echo "coverage: '$t' is not a fuzz target" >&2; exit $EXIT_USAGE; }; done
for tool in llvm-profdata llvm-cov; do command -v $tool >/dev/null || die_error coverage "$tool missing (make deps)"; done
replays=(); for t in $TARGETS; do replays+=("${t}_replay"); done
bdir=$(BUILD_DIR= build_preset coverage "${replays[@]}") || die_error coverage "building preset coverage failed"
cov=$OUT_DIR/coverage
mkdir -p "$cov"
for t in $TARGETS; do
  dirs=()
  if [ -n "${CORPUS:-}" ]; then dirs=("$CORPUS")
  else
    [ -n "$(ls -A "$OUT_DIR/corpus/$t" 2>/dev/null)" ] && dirs+=("$OUT_DIR/corpus/$t")
    for q in "$OUT_DIR"/afl/"$t"/*/queue; do [ -d "$q" ] && dirs+=("$q"); done
    [ ${#dirs[@]} -gt 0 ] || dirs=("$root/corpus/seeds/$t")
  fi
  raw=$cov/raw-$t; rm -rf "$raw"; mkdir -p "$raw"
  n=$(find "${dirs[@]}" -type f ! -name '.*' | wc -l)
  [ $quiet -eq 1 ] || echo "coverage: $t: replaying $n inputs from ${dirs[*]}"
  # Batches of 200 inputs per process: an input that crashes loses only its batch's profile.
  find "${dirs[@]}" -type f ! -name '.*' -print0 | sort -z |
    LLVM_PROFILE_FILE="$raw/%p.profraw" xargs -0 -r -n 200 "$bdir/bin/${t}_replay" >/dev/null 2>&1 || true
  ls "$raw"/*.profraw >/dev/null 2>&1 || die_error coverage "$t: no profile written (every batch crashed?)"
  llvm-profdata merge -sparse "$raw"/*.profraw -o "$cov/$t.profdata" || die_error coverage "llvm-profdata failed"
  rm -rf "$raw" "$cov/html/$t"
  ign='(tests|fuzz|tools|stress|bench)/'
  llvm-cov show "$bdir/bin/${t}_replay" -instr-profile="$cov/$t.profdata" -format=html \
    -show-branches=count -output-dir="$cov/html/$t" -ignore-filename-regex="$ign" -path-equivalence="$root,$root" ||
    die_error coverage "llvm-cov show failed"
  llvm-cov export "$bdir/bin/${t}_replay" -instr-profile="$cov/$t.profdata" -ignore-filename-regex="$ign" \
    >"$cov/$t.export.json" || die_error coverage "llvm-cov export failed"
  python3 - "$cov" "$t" "$root" "$n" <<'PY'
import json, sys, os
cov, t, root, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
d = json.load(open(f"{cov}/{t}.export.json"))["data"][0]
areas = {}
for f in d["files"]:
    rel = os.path.relpath(f["filename"], root)
    area = rel.split("/")[0] + "/"
    s = f["summary"]
    a = areas.setdefault(area, {"lines": [0, 0], "branches": [0, 0], "functions": [0, 0]})
    for k in ("lines", "branches", "functions"):
        a[k][0] += s[k]["covered"]; a[k][1] += s[k]["count"]
# A header's inline function has one record per file that includes it: unreached only when
# no copy ran.
best = {}
for fn in d["functions"]:
    if "/allocator/" in fn["filenames"][0]:
        name = fn["name"].split(":")[-1]
        best[name] = max(best.get(name, 0), fn["count"])
unreached = sorted(f for f, c in best.items() if c == 0)
open(f"{cov}/{t}.unreached.txt", "w").write("".join(x + "\n" for x in unreached))
os.remove(f"{cov}/{t}.export.json")
path = f"{cov}/summary.json"
allsum = json.load(open(path)) if os.path.exists(path) else {}
allsum[t] = {"inputs": n, "areas": areas, "unreached_allocator_functions": unreached}
json.dump(allsum, open(path, "w"), indent=1)
pct = lambda c: "%.1f%%" % (100.0 * c[0] / c[1]) if c[1] else "-"
parts = [f"{a} lines {pct(areas[a]['lines'])} branches {pct(areas[a]['branches'])} functions {pct(areas[a]['functions'])}"
         for a in ("allocator/", "model/") if a in areas]
print(f"coverage: {t} ({n} inputs): " + "; ".join(parts) + f"; {len(unreached)} allocator functions never reached")
PY
  [ $quiet -eq 1 ] || { echo "  never reached (allocator/): $(paste -sd' ' "$cov/$t.unreached.txt")"; echo "  html: $(cd "$root" && realpath --relative-to=. "$cov/html/$t/index.html")"; }
done
