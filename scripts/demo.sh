#!/usr/bin/env bash
# Starts the seeds' sample application - pgw-backend (a slow web service)
# and pgw-front (pages calling it sync and async) - prints where to look,
# and stops both cleanly on Ctrl-C.
set -euo pipefail
BIN=${1:-build/bin}
FRONT_PORT=${PORT:-8080}
BACKEND_PORT=${BACKEND_PORT:-9001}

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop INT TERM EXIT

"$BIN/pgw-backend" --port "$BACKEND_PORT" --quiet &
pids+=($!)
BACKEND_URL="http://127.0.0.1:$BACKEND_PORT" "$BIN/pgw-front" --port "$FRONT_PORT" &
pids+=($!)
sleep 0.5
for pid in "${pids[@]}"; do
  kill -0 "$pid" 2>/dev/null || { echo "demo: a server failed to start (ports $FRONT_PORT, $BACKEND_PORT in use?)"; exit 1; }
done
cat <<MSG

  weft sample application (the seeds' products/widgets/gizmos):

    front end   http://127.0.0.1:$FRONT_PORT/          <- open this
    backend     http://127.0.0.1:$BACKEND_PORT/api/gizmos   (500 ms simulated latency)

    http://127.0.0.1:$FRONT_PORT/pwg          three calls in sequence (~1500 ms)
    http://127.0.0.1:$FRONT_PORT/pwg-async    the same in parallel (~500 ms), no thread held
    http://127.0.0.1:$FRONT_PORT/gizmos-cancel-async   150 ms timeout demo

  Ctrl-C stops both (graceful: in-flight requests finish).

MSG
wait -n "${pids[@]}" || true
