#!/usr/bin/env bash
# Encode the hand-written seed traces (corpus/seeds/<target>/src/*.trace) into the binary
# seeds next to them (<name>.bin), which fuzzers start from.
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
for src in "$root"/corpus/seeds/*/src/*.trace; do
  dir=$(dirname "$(dirname "$src")")
  bin="$dir/$(basename "$src" .trace).bin"
  "$tool" encode "$src" -o "$tmp"
  if [ $check -eq 1 ]; then
    cmp -s "$tmp" "$bin" || { echo "gen_seeds: $bin is stale (run scripts/gen_seeds.sh)" >&2; stale=1; }
  else
    cp "$tmp" "$bin"
  fi
done
exit $stale
