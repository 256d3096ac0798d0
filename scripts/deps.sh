#!/usr/bin/env bash
# Installs the Debian packages weft needs to build, test, demo and benchmark.
# Idempotent and quick when everything is present: apt is only touched when
# a package is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang
  libuv1-dev libcurl4-openssl-dev libnghttp2-dev libjansson-dev libcmocka-dev libssl-dev openssl
  zlib1g-dev libwslay-dev      # gzip middleware; WebSocket framing (RFC 6455)
  liburing-dev                  # the io_uring transport (--io uring)
  python3 python3-prometheus-client   # the /metrics test parses with a real Prometheus parser
  curl
  haproxy                       # the load-balancer test (test_haproxy): N instances behind it
  chromium nodejs               # the browser test of the sample application
)
# Benchmarks only (bench/run.sh); installed on request: scripts/deps.sh --bench
BENCH_PACKAGES=(wrk nghttp2-client nginx-light libnginx-mod-http-echo libnginx-mod-stream
                gnuplot-nox linux-perf testssl.sh
                python3 procps iproute2) # free ports, timelines; pgrep for nginx workers; ss

# Fuzzing only (make fuzz): the second HTTP parser the differential fuzzer
# compares against.
FUZZ_PACKAGES=(libhttp-parser-dev)

# The API reference (make docs) and the ABI check (make abi) only.
DOCS_PACKAGES=(doxygen)
ABI_PACKAGES=(abi-dumper abi-compliance-checker universal-ctags)

want=("${PACKAGES[@]}")
case "${1:-}" in
  --bench) want+=("${BENCH_PACKAGES[@]}") ;;
  --fuzz) want+=("${FUZZ_PACKAGES[@]}") ;;
  --docs) want+=("${DOCS_PACKAGES[@]}") ;;
  --abi) want+=("${ABI_PACKAGES[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Some nodejs builds carry npm, Debian's own splits it out: add it if absent.
if ! command -v npm >/dev/null 2>&1; then
  ${SUDO:-} apt-get install -y -qq --no-install-recommends npm
fi

# playwright-core (npm) drives the system chromium; it downloads no browser.
BROWSER_DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
# The pinned version is the last one that runs on Debian 12's nodejs 18
# (scripts/check-debian-node.sh proves it); a different one is replaced.
want_pw=$(sed -n 's/.*"playwright-core": "\(.*\)".*/\1/p' "$BROWSER_DIR/package.json")
have_pw=$(sed -n 's/^  "version": "\(.*\)".*/\1/p' \
  "$BROWSER_DIR/node_modules/playwright-core/package.json" 2>/dev/null || true)
if [[ "$have_pw" != "$want_pw" ]]; then
  echo "deps: installing playwright-core $want_pw for the browser test"
  (cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --silent)
fi
