#!/usr/bin/env bash
# The soak: weft-hello from the ASan+UBSan build (make asan) under a
# mixed load of SOAK_REQUESTS (1,000,000) requests - callback, JSON,
# chunked POST, fiber, worker pool, callback fan-out, 404, 405 in turn
# (bench/soak.lua), plus backend calls through weft-client-app's client
# (SOAK_CLIENT_REQUESTS, 200,000) - then checks that memory and
# descriptors come back: open fds and RSS after --idle-trim against their
# idle values before the load, and on SIGTERM an exit 0 with no
# LeakSanitizer report. ASan's allocator keeps freed memory in quarantine,
# so RSS is judged on the release build: SOAK_BIN=build/bin bench/soak.sh.
#   bench/soak.sh            (needs: make asan; scripts/deps.sh --bench)
source "$(dirname "$0")/lib.sh"
BIN=${SOAK_BIN:-$ROOT/build-asan/bin}
sanitized=0
if nm "$BIN/weft-hello" 2>/dev/null | grep __asan_init >/dev/null; then sanitized=1; fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
N=${SOAK_REQUESTS:-1000000} NC=${SOAK_CLIENT_REQUESTS:-200000}
# a short keep-alive: the client's pooled connections to it end soon after
start_weft hello weft-hello --loops 2 --idle-trim 2 --keepalive-timeout 2000
HPID=$WEFT_PID HPORT=$WEFT_PORT HLOG=$WORK/hello.log
start_weft capp weft-client-app --loops 2 --idle-trim 2
CPID=$WEFT_PID CPORT=$WEFT_PORT CLOG=$WORK/capp.log
fds() { ls "/proc/$1/fd" | wc -l; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# idle values after one request of each kind (first-use allocations done)
curl -s -o /dev/null "http://127.0.0.1:$CPORT/fetch?url=http://127.0.0.1:$HPORT/plaintext"
wrk -t1 -c8 -d1s -s "$ROOT/bench/soak.lua" "http://127.0.0.1:$HPORT" >/dev/null
sleep 4
f0=$(fds "$HPID") r0=$(rss "$HPID") cf0=$(fds "$CPID") cr0=$(rss "$CPID")
echo "soak: idle before: weft-hello $f0 fds, $r0 KB; weft-client-app $cf0 fds, $cr0 KB"
t0=$(date +%s)
# wrk runs for a time, not a count: rounds of 20 s until N are done
done_n=0
while (( done_n < N )); do
  wrk -t2 -c64 -d"${SOAK_ROUND:-20s}" -s "$ROOT/bench/soak.lua" "http://127.0.0.1:$HPORT" > "$WORK/soak.txt"
  n=$(awk '/requests in/ {print $1}' "$WORK/soak.txt"); done_n=$(( done_n + n ))
  grep -E "Non-2xx|Socket errors" "$WORK/soak.txt" || true
done
done_c=0
while (( done_c < NC )); do
  wrk -t2 -c64 -d"${SOAK_ROUND:-20s}" "http://127.0.0.1:$CPORT/fetch?url=http://127.0.0.1:$HPORT/plaintext" > "$WORK/soakc.txt"
  n=$(awk '/requests in/ {print $1}' "$WORK/soakc.txt"); done_c=$(( done_c + n ))
  grep -E "Non-2xx|Socket errors" "$WORK/soakc.txt" || true
done
echo "soak: expected non-2xx: a quarter of the mix (404 and 405 by design)"
echo "soak: $done_n mixed requests to weft-hello and $done_c backend calls through weft-client-app in $(( $(date +%s) - t0 )) s"
echo "soak: under load: weft-hello $(fds "$HPID") fds, $(rss "$HPID") KB"
sleep 6 # past --idle-trim and the keep-alive time-out
f1=$(fds "$HPID") r1=$(rss "$HPID") cf1=$(fds "$CPID") cr1=$(rss "$CPID")
echo "soak: idle after: weft-hello $f1 fds, $r1 KB; weft-client-app $cf1 fds, $cr1 KB"
rc_h=0 rc_c=0
kill -TERM "$HPID"; wait "$HPID" || rc_h=$?
kill -TERM "$CPID"; wait "$CPID" || rc_c=$?
leaks=$( (grep -c "LeakSanitizer\|ERROR: AddressSanitizer\|runtime error" "$HLOG" "$CLOG" || true) | awk -F: "{s+=\$2} END {print s+0}")
echo "soak: exit weft-hello $rc_h, weft-client-app $rc_c; sanitizer reports: $leaks"
ok=1
if [[ $f1 != "$f0" || $cf1 != "$cf0" ]]; then echo "soak: descriptors did not come back"; ok=0; fi
if [[ $rc_h != 0 || $rc_c != 0 || $leaks != 0 ]]; then ok=0; fi
# RSS back within 10 % (and 2 MB) of idle; not under ASan, whose
# allocator keeps freed memory in quarantine
if [[ $sanitized == 0 ]] && (( r1 > r0 * 11 / 10 + 2048 || cr1 > cr0 * 11 / 10 + 2048 )); then
  echo "soak: RSS did not come back"; ok=0
fi
if [[ $ok == 1 ]]; then echo "soak: PASS"; else echo "soak: FAIL"; exit 1; fi
