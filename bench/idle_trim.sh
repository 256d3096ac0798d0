#!/usr/bin/env bash
# bench/idle_trim.sh [WAIT_S] - what a pgw-front keeps resident after a
# burst: starts pgw-backend and pgw-front like S3, prints the front's
# VmRSS idle, then after wrk -t2 -c8000 -d6s on /gizmos (sync) and again on
# /gizmos-async, each time once the clients' connections are gone (settle)
# and WAIT_S more seconds (default 12: past --idle-trim's 10). Then the
# front's mappings with over 2 MB resident. FRONT_ARGS adds flags (e.g.
# --idle-trim 0 to compare). A diagnostic, not a scenario of BENCH.md;
# loopback only, stops what it started. Run it alone.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
ulimit -n 20000 2>/dev/null || true
wait_s=${1:-12}
# shellcheck disable=SC2086
start_pgw_front trim --max-conns-per-endpoint 20000 ${FRONT_ARGS:-}
sleep 0.3
echo "idle_trim: pgw-front ${FRONT_ARGS:-} ($(machine_line)); ${wait_s} s after each burst"
echo "  idle: $(rss_kb "$FRONT_PID") KB"
for path in /gizmos /gizmos-async; do
  wrk -t2 -c8000 -d6s --timeout 10s "http://127.0.0.1:$FRONT_PORT$path" > /dev/null
  settle "$FRONT_PORT"
  sleep "$wait_s"
  echo "  after 6 s of $path at 8,000 clients: $(rss_kb "$FRONT_PID") KB"
done
echo "  mappings over 2 MB resident (KB, range, file):"
awk '/^[0-9a-f]+-[0-9a-f]+ /{m=$1" "$6} /^Rss:/{if ($2 > 2048) print "   ", $2, m}' \
  "/proc/$FRONT_PID/smaps" | sort -rn
