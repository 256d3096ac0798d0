# bench/lib.sh - helpers shared by the benchmark scenarios. Sourced.
# Everything started here is recorded by PID and stopped by cleanup().
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
RESULTS=${RESULTS:-$ROOT/bench/results}
WORK=$(mktemp -d /tmp/weft-bench.XXXXXX)
mkdir -p "$RESULTS"
STARTED_PIDS=()

cleanup() {
  for pid in "${STARTED_PIDS[@]:-}"; do
    [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]:-}"; do
    [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
  done
  if [[ -n ${KEEP_WORK:-} ]]; then # logs, wrk outputs, nginx configs
    echo "bench: kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT INT TERM

stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# open_conns PORT - client connections to a server port that are open or
# half-closed (the server has not closed its end yet).
open_conns() {
  ss -Htn state established state close-wait "( sport = :$1 )" | wc -l
}

# settle PORT [BEFORE] - waits (at most 10 s) until no more than BEFORE
# client connections to the server port are open or half-closed; BEFORE
# is what open_conns said before the run (default 0). wrk exits with a request in
# flight on each connection; the server only learns it as it reads the
# FINs. A run started before that shares the server with thousands of
# requests on their way out - it measures their clean-up, and can pass
# the server's in-flight limit (503s) on their account. BEFORE leaves out
# connections that are not wrk's: a front's kept-alive ones to a backend.
settle() {
  local port=$1 before=${2:-0} n
  for _ in $(seq 100); do
    n=$(open_conns "$port")
    (( n <= before )) && return 0
    sleep 0.1
  done
  echo "bench: $n connections still open on port $port after 10 s ($before before the run)" >&2
}

# start_weft NAME BINARY ARGS... -> sets WEFT_PID, WEFT_PORT
start_weft() {
  local name=$1 bin=$2; shift 2
  local log="$WORK/$name.log"
  "$BIN/$bin" --port 0 --quiet "$@" >/dev/null 2>"$log" &
  WEFT_PID=$!
  STARTED_PIDS+=("$WEFT_PID")
  WEFT_PORT=""
  for _ in $(seq 100); do
    WEFT_PORT=$(grep -o 'listening on https\?://[^ ]*' "$log" 2>/dev/null | sed 's/.*://') || true
    [[ -n "$WEFT_PORT" ]] && break
    sleep 0.05
  done
  [[ -n "$WEFT_PORT" ]] || { echo "bench: $bin did not start" >&2; cat "$log" >&2; exit 1; }
}

# start_nginx NAME LOCATIONS [HTTP-BLOCKS [MAIN-BLOCKS]] -> sets NGINX_PID,
# NGINX_PORT. Same worker count as weft's loops; access log off on both
# sides. HTTP-BLOCKS go in the http context (an upstream, for one),
# MAIN-BLOCKS at the top (a stream block: its own listen port). With
# NGINX_TLS_CERT and NGINX_TLS_KEY set, the server speaks HTTPS (TLS 1.2
# and 1.3, HTTP/2 by ALPN, nginx's default session tickets), as weft does
# with --tls-cert.
start_nginx() {
  local name=$1 locations=$2 http_blocks=${3:-} main_blocks=${4:-}
  local dir="$WORK/nginx-$name"
  mkdir -p "$dir/logs"
  NGINX_PORT=$(free_port)
  local modules="" listen_tls="" tls_conf="" scheme=http
  if [[ -n ${NGINX_TLS_CERT:-} ]]; then
    listen_tls="ssl http2"
    tls_conf="ssl_certificate $NGINX_TLS_CERT; ssl_certificate_key $NGINX_TLS_KEY;
    ssl_protocols TLSv1.2 TLSv1.3; http2_max_concurrent_streams 1024;"
    scheme=https
  fi
  [[ -f /usr/lib/nginx/modules/ngx_http_echo_module.so ]] &&
    modules="load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;"
  [[ -n $main_blocks && -f /usr/lib/nginx/modules/ngx_stream_module.so ]] &&
    modules+=" load_module /usr/lib/nginx/modules/ngx_stream_module.so;"
  cat > "$dir/nginx.conf" <<CONF
$modules
worker_processes ${NGINX_WORKERS:-$(nproc)};
worker_rlimit_nofile 20000;
error_log $dir/logs/error.log warn;
pid $dir/nginx.pid;
events { worker_connections 19000; multi_accept on; }
$main_blocks
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  $http_blocks
  server {
    listen 127.0.0.1:$NGINX_PORT $listen_tls reuseport;
    $tls_conf
    $locations
  }
}
CONF
  nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' 2>"$dir/stderr" &
  NGINX_PID=$!
  STARTED_PIDS+=("$NGINX_PID")
  for _ in $(seq 100); do
    curl -sk -o /dev/null "$scheme://127.0.0.1:$NGINX_PORT/" && return 0
    sleep 0.05
  done
  echo "bench: nginx did not start" >&2; cat "$dir/stderr" "$dir/logs/error.log" >&2; exit 1
}

# to_ms VALUE-WITH-UNIT (wrk prints us, ms, s)
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "%s", v }'
}

# run_wrk OUTFILE WRK-ARGS... ; then wrk_rps/wrk_p50/wrk_p99/wrk_errors OUTFILE
run_wrk() {
  local out=$1; shift
  wrk --latency "$@" > "$out" 2>&1 || true
}
wrk_rps()    { awk '/^Requests\/sec/ {print $2}' "$1"; }
wrk_avg()    { to_ms "$(awk '$1=="Latency" {print $2; exit}' "$1")"; }
wrk_p50()    { to_ms "$(awk '$1=="50%" {print $2}' "$1")"; }
wrk_p99()    { to_ms "$(awk '$1=="99%" {print $2}' "$1")"; }
wrk_non2xx() { awk '/Non-2xx or 3xx responses/ {print $5; f=1} END {if (!f) print 0}' "$1"; }
wrk_sockerr() {
  awk '/Socket errors/ {gsub(",", ""); print $4+$6+$8+$10; f=1} END {if (!f) print 0}' "$1"
}

# cpu_ticks PID...: user + system CPU of the processes so far, in clock
# ticks (1/100 s)
cpu_ticks() {
  local t=0 p
  for p in "$@"; do
    t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0) ))
  done
  echo "$t"
}
wrk_requests() { awk '/requests in/ {print $1}' "$1"; }
# cpu_us_per_request TICKS WRK-OUTPUT: CPU ticks spent during a wrk run,
# in µs per request wrk counted (0 when it counted none)
cpu_us_per_request() {
  awk -v t="$1" -v n="$(wrk_requests "$2")" 'BEGIN {printf "%.2f", (n > 0 ? t * 10000 / n : 0)}'
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

machine_line() {
  echo "$(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
}

# start_pgw NAME FRONT-ARGS... -> starts pgw-backend (once) and a pgw-front
# pointed at it; sets BACKEND_PORT, FRONT_PID, FRONT_PORT.
start_pgw_backend() {
  if [[ -z "${BACKEND_PORT:-}" ]]; then
    # The backend must never be the bottleneck: S8 sends it 15,000
    # concurrent calls, and the fronts of earlier rows keep thousands of
    # idle connections to it. Two processes, each with its own 20,000
    # files; its fd budget keeps half of them for calls to backends of
    # its own, which it makes none of: its clients get them.
    # BACKEND_ARGS adds flags (S8's HTTP/2 rows: --h2c).
    # shellcheck disable=SC2086
    # BACKEND_BIN: another build's directory for it (bench/ab.sh).
    BIN=${BACKEND_BIN:-$BIN} start_weft pgw-backend pgw-backend --processes "${BACKEND_PROCESSES:-2}" \
      --max-concurrent 100000 --max-connections 18000 ${BACKEND_ARGS:-}
    BACKEND_PORT=$WEFT_PORT
    BACKEND_PID=$WEFT_PID
  fi
}
start_pgw_front() {
  local name=$1; shift
  start_pgw_backend
  start_weft "$name" pgw-front --backend "http://127.0.0.1:$BACKEND_PORT" "$@"
  FRONT_PID=$WEFT_PID
  FRONT_PORT=$WEFT_PORT
}

# proc_tree PID: PID and its children (nginx: master + workers)
proc_tree() {
  echo "$1 $(pgrep -P "$1" 2>/dev/null | tr '\n' ' ' || true)"
}

# rss_kb PID: VmRSS of PID and of its children
rss_kb() {
  local total=0 p v
  for p in $(proc_tree "$1"); do
    v=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    total=$(( total + ${v:-0} ))
  done
  echo "$total"
}

# peak_stats PID SECONDS: "peak_rss_kb max_threads", sampled every 100 ms
peak_stats() {
  local pid=$1 secs=$2 rss=0 thr=0 v t
  local end=$(( $(date +%s%N) + secs * 1000000000 ))
  while (( $(date +%s%N) < end )); do
    v=$(rss_kb "$pid")
    t=$(awk '/^Threads/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    (( v > rss )) && rss=$v
    (( t > thr )) && thr=$t
    sleep 0.1
  done
  echo "$rss $thr"
}

# 2xx responses per second from a wrk report (wrk's Requests/sec counts all)
wrk_ok_rps() {
  awk '/requests in/ {n=$1; d=$4; sub(/s,?$/, "", d)} /Non-2xx or 3xx/ {bad=$5}
       END {if (d > 0) printf "%.1f", (n - bad) / d; else print 0}' "$1"
}

plot() { # plot SCRIPT OUT-BASENAME: PNG and SVG from one gnuplot script
  local script=$1 out=$2
  gnuplot -e "set terminal pngcairo size 900,560 font 'sans,11'; set output '$out.png'" "$script"
  gnuplot -e "set terminal svg size 900,560 font 'sans,11'; set output '$out.svg'" "$script"
}
