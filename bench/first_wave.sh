#!/usr/bin/env bash
# bench/first_wave.sh [CLIENTS] [PATH] - where the slow responses of a
# pgw-front run come from. Starts pgw-backend and pgw-front like S3/S8,
# runs wrk -t2 -cCLIENTS -d15s with bench/first_wave.lua, and prints how
# many responses took the handler over 700 ms and how many of those were
# in the first wave (each connection's first request, all sent at once).
# A diagnostic, not a scenario of BENCH.md; loopback only, stops what it
# started. Run it alone: it measures time.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
ulimit -n 20000 2>/dev/null || true
clients=${1:-8000}
path=${2:-/gizmos-async}
start_pgw_front fw --max-conns-per-endpoint 20000
url="http://127.0.0.1:$FRONT_PORT$path"
export FIRST=$(( clients / 2 ))
echo "first_wave: $clients clients on $path ($(machine_line)); wrk -t2 -d15s"
wrk -t2 -c"$clients" -d15s --timeout 10s --latency -s "$HERE/first_wave.lua" "$url" > "$WORK/fw.txt"
echo "  $(wrk_ok_rps "$WORK/fw.txt") ok req/s, p50 $(wrk_p50 "$WORK/fw.txt") ms, p99 $(wrk_p99 "$WORK/fw.txt") ms; $(tail -1 "$WORK/fw.txt")"
echo "  $(tail -2 "$WORK/fw.txt" | head -1)"
