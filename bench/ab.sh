#!/usr/bin/env bash
# bench/ab.sh BIN_A BIN_B [CLIENTS] [PATH] [ROUNDS] - compares two builds of
# pgw-front/pgw-backend on one page, alternating A and B ROUNDS times (a
# fresh backend and front each time), wrk -t2 -cCLIENTS -d15s. On a shared
# machine whose load drifts, alternating is what makes two builds
# comparable. Defaults: 8000 clients, /gizmos-async, 3 rounds. Loopback
# only; stops what it started. A diagnostic, not a scenario of BENCH.md.
# Both sides call the same backend, B's build (flags it takes that an
# older build may not). BACKEND_ARGS / FRONT_ARGS add flags (over HTTP/2:
# BACKEND_ARGS=--h2c FRONT_ARGS=--backend-http2). AB_CLOSE=1 sends
# "Connection: close" with every request: a new connection each.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
ulimit -n 20000 2>/dev/null || true
[[ $# -ge 2 ]] || { echo "usage: bench/ab.sh BIN_A BIN_B [CLIENTS] [PATH] [ROUNDS]" >&2; exit 2; }
a=$(cd "$1" && pwd) b=$(cd "$2" && pwd)
BACKEND_BIN=$b
clients=${3:-8000} path=${4:-/gizmos-async} rounds=${5:-3}
echo "ab: $clients clients on $path, $rounds rounds ($(machine_line))"
echo "  A = $a"
echo "  B = $b"
for ((r = 1; r <= rounds; r++)); do
  for side in A B; do
    if [[ $side == A ]]; then BIN=$a; else BIN=$b; fi
    BACKEND_PORT=""
    # shellcheck disable=SC2086
    start_pgw_front ab --max-conns-per-endpoint 20000 ${FRONT_ARGS:-}
    close_hdr=()
    [[ -n ${AB_CLOSE:-} ]] && close_hdr=(-H "Connection: close")
    wrk -t2 -c"$clients" -d15s --timeout 10s --latency "${close_hdr[@]}" \
      "http://127.0.0.1:$FRONT_PORT$path" > "$WORK/ab.txt"
    echo "  round $r $side: $(wrk_ok_rps "$WORK/ab.txt") ok req/s, p50 $(wrk_p50 "$WORK/ab.txt") ms, p99 $(wrk_p99 "$WORK/ab.txt") ms, $(( $(wrk_non2xx "$WORK/ab.txt") + $(wrk_sockerr "$WORK/ab.txt") )) errors"
    stop_pid "$FRONT_PID"
    stop_pid "$BACKEND_PID"
    sleep 1
  done
done
