#!/usr/bin/env bash
# Installs the Debian packages weft needs to build, test, demo and benchmark.
# Idempotent and quick when everything is present: apt is only touched when
# a package is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang
  libuv1-dev libcurl4-openssl-dev libjansson-dev libcmocka-dev
  curl
)
# Benchmarks only (bench/run.sh); installed on request: scripts/deps.sh --bench
BENCH_PACKAGES=(wrk nghttp2-client nginx-light libnginx-mod-http-echo gnuplot-nox linux-perf)

want=("${PACKAGES[@]}")
if [[ "${1:-}" == "--bench" ]]; then
  want+=("${BENCH_PACKAGES[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
