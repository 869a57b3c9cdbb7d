#!/usr/bin/env bash
# Install what slabtorture needs with apt-get, only what is missing; quiet when all present.
# Usage: scripts/deps.sh [--check]   (--check: exit 1 if something is missing, install nothing)
set -euo pipefail
pkgs=(clang libclang-rt-14-dev llvm lld ninja-build cmake liburcu-dev afl++ python3 gcc make gnuplot-nox zip unzip linux-source-6.12 bc)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "${1:-}" = "--check" ]; then
  echo "missing packages: ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
