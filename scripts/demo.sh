#!/usr/bin/env bash
# Starts the demo server(s) from a build's bin/ folder, prints where to
# point a browser or curl, and stops them cleanly on Ctrl-C.
set -euo pipefail
BIN=${1:-build/bin}
PORT=${PORT:-8080}

pids=()
stop() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop INT TERM EXIT

"$BIN/weft-hello" --port "$PORT" &
pids+=($!)
sleep 0.3
cat <<MSG

  weft-hello is running on http://127.0.0.1:$PORT
    curl http://127.0.0.1:$PORT/plaintext
    curl http://127.0.0.1:$PORT/json
    curl 'http://127.0.0.1:$PORT/sleep?ms=500'      (a synchronous handler on the worker pool)
    curl 'http://127.0.0.1:$PORT/stream?n=5'        (a chunked response)
    curl -d 'some body' http://127.0.0.1:$PORT/echo

  Ctrl-C stops it (graceful: in-flight requests finish).

MSG
wait "${pids[0]}"
