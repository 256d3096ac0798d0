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
# AB_IO_A / AB_IO_B run each side's front on an I/O engine (--io uring or
# epoll): one build against itself compares the engines. AB_H2C=1 loads
# the front with h2load over h2c (CLIENTS connections, 10 streams each;
# give FRONT_ARGS=--h2c) instead of wrk. Each round also prints the
# front's CPU time per request (user + system, over the run). AB_SERVER
# names another binary of the builds to load instead of pgw-front
# (weft-hello: AB_SERVER=weft-hello ... /cpu?n=1000 measures weft_run).
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
    io=${AB_IO_A:-}
    [[ $side == B ]] && io=${AB_IO_B:-}
    io_args=()
    [[ -n $io ]] && io_args=(--io "$io")
    if [[ -n ${AB_SERVER:-} ]]; then
      # shellcheck disable=SC2086
      start_weft ab "$AB_SERVER" "${io_args[@]}" ${FRONT_ARGS:-}
      FRONT_PID=$WEFT_PID FRONT_PORT=$WEFT_PORT
    else
      # shellcheck disable=SC2086
      start_pgw_front ab --max-conns-per-endpoint 20000 "${io_args[@]}" ${FRONT_ARGS:-}
    fi
    t0=$(cpu_ticks "$FRONT_PID")
    if [[ -n ${AB_H2C:-} ]]; then
      h2load -c"$clients" -m10 -t2 -D 15 "http://127.0.0.1:$FRONT_PORT$path" > "$WORK/ab.txt" 2>&1 || true
      n=$(awk '/^requests:/ {print $8}' "$WORK/ab.txt")
      t1=$(cpu_ticks "$FRONT_PID")
      echo "  round $r $side${io:+ ($io)}: $(awk '/^finished in/ {gsub(",", ""); print $4}' "$WORK/ab.txt") req/s, $(awk '/^requests:/ {print $10 + $12}' "$WORK/ab.txt") errors, $(awk -v t=$(( t1 - t0 )) -v n="$n" 'BEGIN {printf "%.2f", (n > 0 ? t * 10000 / n : 0)}') us CPU/req"
    else
      close_hdr=()
      [[ -n ${AB_CLOSE:-} ]] && close_hdr=(-H "Connection: close")
      wrk -t2 -c"$clients" -d15s --timeout 10s --latency "${close_hdr[@]}" \
        "http://127.0.0.1:$FRONT_PORT$path" > "$WORK/ab.txt"
      t1=$(cpu_ticks "$FRONT_PID")
      echo "  round $r $side${io:+ ($io)}: $(wrk_ok_rps "$WORK/ab.txt") ok req/s, p50 $(wrk_p50 "$WORK/ab.txt") ms, p99 $(wrk_p99 "$WORK/ab.txt") ms, $(( $(wrk_non2xx "$WORK/ab.txt") + $(wrk_sockerr "$WORK/ab.txt") )) errors, $(cpu_us_per_request $(( t1 - t0 )) "$WORK/ab.txt") us CPU/req"
    fi
    stop_pid "$FRONT_PID"
    if [[ -z ${AB_SERVER:-} ]]; then stop_pid "$BACKEND_PID"; fi
    sleep 1
  done
done
