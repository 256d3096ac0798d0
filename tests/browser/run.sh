#!/usr/bin/env bash
# Browser test of the sample application and the chat example (CTest entry "browser_pgw"):
# starts pgw-backend and pgw-front on free loopback ports, drives them with
# headless chromium (pgw.test.mjs: the pages; status.test.mjs: the live
# status page under scripted load), stops both by PID.
set -euo pipefail
BIN=$1
SHOTS=$2
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/weft-browser.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [[ -n "$p" ]] && kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [[ -n "$p" ]] && wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

port_of() { # waits for a server's "listening on" line
  for _ in $(seq 200); do
    local p
    p=$(grep -o 'listening on http://[^ ]*' "$1" 2>/dev/null | sed 's/.*://') || true
    [[ -n "$p" ]] && { echo "$p"; return 0; }
    sleep 0.05
  done
  echo "server did not start: $(cat "$1")" >&2
  return 1
}

"$BIN/pgw-backend" --port 0 --quiet 2>"$WORK/backend.log" >/dev/null &
pids+=($!)
BPORT=$(port_of "$WORK/backend.log")
"$BIN/pgw-front" --port 0 --quiet --backend "http://127.0.0.1:$BPORT" 2>"$WORK/front.log" >/dev/null &
pids+=($!)
FPORT=$(port_of "$WORK/front.log")

if [[ ! -d "$HERE/node_modules/playwright-core" ]]; then
  echo "playwright-core is not installed: run scripts/deps.sh" >&2
  exit 1
fi
node "$HERE/pgw.test.mjs" "http://127.0.0.1:$FPORT" "$SHOTS"
node "$HERE/status.test.mjs" "http://127.0.0.1:$FPORT" "$SHOTS"

# The chat example: two pages talk over WebSockets (two loops, so the
# pages' sockets may sit on different ones).
"$BIN/weft-chat" --port 0 --quiet --loops 2 2>"$WORK/chat.log" >/dev/null &
pids+=($!)
CPORT=$(port_of "$WORK/chat.log")
node "$HERE/chat.test.mjs" "http://127.0.0.1:$CPORT" "$SHOTS"
