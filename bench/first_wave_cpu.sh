#!/usr/bin/env bash
# bench/first_wave_cpu.sh [CLIENTS] [PATH] - what the first wave of a
# pgw-front run costs in CPU, and what a request costs once it is past.
#
# 1. Starts pgw-backend and pgw-front like S8, then wrk -t2 -cCLIENTS for
#    3 s, and prints, every 50 ms of the first 2 s, the CPU ticks (1/100 s)
#    used by pgw-front and pgw-backend and how busy the whole machine was
#    (busy/total ticks over both cores): when the wave is being set up,
#    when everyone waits for the backend's delay, when the answers come.
# 2. Then wrk again for 12 s and, over the 5 s in its middle, the CPU time
#    per answered request of pgw-front, pgw-backend and wrk.
# BACKEND_ARGS / FRONT_ARGS add flags to pgw-backend / pgw-front (over
# HTTP/2: BACKEND_ARGS=--h2c FRONT_ARGS=--backend-http2).
# A diagnostic, not a scenario of BENCH.md; loopback only, stops what it
# started. Run it alone: it measures time.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
ulimit -n 20000 2>/dev/null || true
clients=${1:-4000}
path=${2:-/json/pwg-async?delay=500}
# one backend process: the timeline reads its PID alone
BACKEND_PROCESSES=1
# shellcheck disable=SC2086
start_pgw_front fwc --max-conns-per-endpoint 20000 ${FRONT_ARGS:-}
url="http://127.0.0.1:$FRONT_PORT$path"
echo "first_wave_cpu: $clients clients on $path ($(machine_line))"

python3 - "$FRONT_PID" "$BACKEND_PID" > "$WORK/timeline.txt" <<'PY' &
import sys, time
front, backend = sys.argv[1], sys.argv[2]
def ticks(pid):
    f = open('/proc/%s/stat' % pid).read().rsplit(')', 1)[1].split()
    return int(f[11]) + int(f[12])          # utime + stime
def machine():
    f = list(map(int, open('/proc/stat').readline().split()[1:9]))
    return sum(f), f[3] + f[4]                # total, idle + iowait
prev = (ticks(front), ticks(backend), machine())
t0 = time.monotonic()
print("  t(s)  front backend  machine busy")
for _ in range(40):
    time.sleep(0.05)
    cur = (ticks(front), ticks(backend), machine())
    total = cur[2][0] - prev[2][0]
    busy = total - (cur[2][1] - prev[2][1])
    print("  %4.2f  %5d %7d  %3d%% (%d/%d)" % (time.monotonic() - t0, cur[0] - prev[0],
          cur[1] - prev[1], 100 * busy // max(total, 1), busy, total))
    prev = cur
PY
sampler=$!
sleep 0.2 # the sampler's first rows show the machine before the wave
wrk -t2 -c"$clients" -d3s --timeout 10s "$url" > "$WORK/wave.txt"
wait "$sampler"
echo "first 2 s (wrk starts at ~0.2 s; ticks of 10 ms per 50 ms row, 2 cores = 10 per row):"
cat "$WORK/timeline.txt"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wrk -t2 -c"$clients" -d12s --timeout 10s "$url" > "$WORK/steady.txt" &
wp=$!
sleep 4
wrk_pid=$wp
f0=$(ticks "$FRONT_PID") b0=$(ticks "$BACKEND_PID") w0=$(ticks "$wrk_pid")
sleep 5
f1=$(ticks "$FRONT_PID") b1=$(ticks "$BACKEND_PID") w1=$(ticks "$wrk_pid")
wait "$wp"
rps=$(wrk_ok_rps "$WORK/steady.txt")
awk -v f=$((f1 - f0)) -v b=$((b1 - b0)) -v w=$((w1 - w0)) -v r="$rps" 'BEGIN {
  n = r * 5
  printf "steady state (5 s in the middle of a 12 s run, %.0f ok req/s): CPU per request\n", r
  printf "  pgw-front %.0f us, pgw-backend %.0f us, wrk %.0f us, all %.0f us; machine busy %.0f%%\n",
         f * 1e4 / n, b * 1e4 / n, w * 1e4 / n, (f + b + w) * 1e4 / n, (f + b + w) / 10
}'
stop_pid "$FRONT_PID"
