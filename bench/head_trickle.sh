#!/usr/bin/env bash
# A request head of ~29.7 KB (95 fields of ~310 bytes) sent one byte per
# write (TCP_NODELAY, 50 us apart so that each byte is its own read), as a
# slow or hostile client would: the server CPU time it costs (user +
# system, from /proc), weft-hello against nginx in one run. Each server
# gets ROUNDS (1) trickled heads; the CPU is per head.
#   bench/head_trickle.sh [weft-bin-dir]
source "$(dirname "$0")/lib.sh"
[[ -n ${1:-} ]] && BIN=$1
start_weft hello weft-hello --loops 1
start_nginx trickle 'large_client_header_buffers 4 32k;
    location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }' '' ''
trickle() { # PORT -> prints the status
  /usr/bin/python3 - "$1" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
head = b"GET /plaintext HTTP/1.1\r\nHost: h\r\n" + b"".join(
    b"X-F%03d: %s\r\n" % (i, b"v" * 300) for i in range(95)) + b"Connection: close\r\n\r\n"
for i in range(len(head)):
    s.send(head[i:i + 1])
    time.sleep(0.00005)
print(len(head), s.recv(100).split(b"\r\n")[0].decode())
PY
}
for s in weft nginx; do
  port=$WEFT_PORT pids=$WEFT_PID
  [[ $s == nginx ]] && port=$NGINX_PORT pids=$(proc_tree "$NGINX_PID")
  # shellcheck disable=SC2086
  t0=$(cpu_ticks $pids)
  for _ in $(seq "${ROUNDS:-1}"); do out=$(trickle "$port"); done
  # shellcheck disable=SC2086
  t1=$(cpu_ticks $pids)
  echo "$s: head of $(echo "$out" | cut -d' ' -f1) bytes one byte per write -> $(echo "$out" | cut -d' ' -f2-); server CPU $(( (t1 - t0) * 10 / ${ROUNDS:-1} )) ms per head"
done
