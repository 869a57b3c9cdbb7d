#!/usr/bin/env bash
# Encode the hand-written seed traces (corpus/seed-src/<target>/*.trace) into the binary
# seeds (corpus/seeds/<target>/<name>.bin), which fuzzers start from. The text sources live
# outside every directory an engine reads: an engine would take them as binary inputs.
# Usage: scripts/gen_seeds.sh [--check] [SLABTORTURE]   (--check: fail if a .bin is stale)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
check=0
[ "${1:-}" = "--check" ] && { check=1; shift; }
tool=${1:-${SLABTORTURE:-$root/build/default/bin/slabtorture}}
[ -x "$tool" ] || { echo "gen_seeds: no slabtorture at $tool (build first, or pass its path)" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
stale=0
for src in "$root"/corpus/seed-src/*/*.trace; do
  target=$(basename "$(dirname "$src")")
  bin="$root/corpus/seeds/$target/$(basename "$src" .trace).bin"
  "$tool" --target "$target" encode "$src" -o "$tmp"
  if [ $check -eq 1 ]; then
    cmp -s "$tmp" "$bin" || { echo "gen_seeds: $bin is stale (run scripts/gen_seeds.sh)" >&2; stale=1; }
  else
    cp "$tmp" "$bin"
  fi
done
exit $stale
