# S3 thread starvation - the seeds' central claim. /gizmos (WEFT_SYNC on the
# default pool: 64 workers, queue 1000) and /gizmos-async, backend delay
# 500 ms, at 100, 1000, 4000, 8000 concurrent clients (wrk --timeout 10s,
# 15 s). The backend alone at the same concurrency, in the same run, gives
# the method's ceiling. More rows: /json/gizmos-async (the same call, the
# backend's JSON passed through instead of the HTML page: the hop without
# the page); the front calling the same backend over HTTP/2
# (--backend-http2); nginx as the front instead of pgw-front (proxy_pass
# with upstream keepalive, the peer to compare the front with); nginx's
# stream module relaying TCP to the backend (no HTTP at all: the floor of
# any hop on this machine); pgw-front calling
# nginx + echo module (echo_sleep 0.5, the same JSON) measured against
# nginx alone - the result does not depend on weft being on both sides.
# cpu_us is the CPU time of the server wrk talks to (the backend for the
# direct rows, all of nginx's processes for its rows) over the run, per
# answered request. json-gizmos-async-procs: the JSON page on a front
# with --processes S3_PROCESSES (2) and no other flag (not in the default
# rows: for 10,000 clients). S3_LEVELS and S3_VARIANTS (the rows, in order; keep
# direct / nginx-direct first, the ratios refer to them) choose a part.
# Sourced by run.sh.
s3() {
  local dur=${S3_SECONDS:-15}
  local csv="$RESULTS/s3_starvation.csv"
  echo "variant,concurrency,ok_rps,ideal_rps,ok_over_ideal,ok_over_direct,p50_ms,p99_ms,non2xx,sock_errors,peak_rss_kb,max_threads,avg_ms,cpu_us" > "$csv"
  # One pgw-backend for every row; --h2c lets it also take HTTP/2 with
  # prior knowledge (HTTP/1.1 connections are served as without it).
  if [[ -n "${BACKEND_PORT:-}" ]]; then # an earlier scenario's, without --h2c
    stop_pid "$BACKEND_PID"
    BACKEND_PORT=""
  fi
  BACKEND_ARGS="--h2c" start_pgw_backend
  start_pgw_front s3-h2 --max-conns-per-endpoint 20000 --backend-http2
  local h2_pid=$FRONT_PID h2_port=$FRONT_PORT
  # The same front calling nginx + echo module instead (BENCH.md: the
  # result must not depend on weft being on both sides); the same nginx
  # serves /gizmos as a proxy to pgw-backend, upstream connections kept
  # alive as weft's client keeps them.
  local json
  json=$(curl -s "http://127.0.0.1:$BACKEND_PORT/api/gizmos?delay=0")
  [[ $json == "["* ]] || { echo "bench: no gizmos JSON from pgw-backend" >&2; exit 1; }
  # And nginx's stream module on a port of its own: a TCP relay, one
  # backend connection per client connection, bytes copied, no HTTP - the
  # floor of what any front costs (nginx-tcp).
  local tcp_port
  tcp_port=$(free_port)
  start_nginx s3 "location /api/gizmos { default_type application/json; echo_sleep 0.5; echo '$json'; }
    location /gizmos { proxy_pass http://pgw/api/gizmos; proxy_http_version 1.1; proxy_set_header Connection \"\"; }" \
    "upstream pgw { server 127.0.0.1:$BACKEND_PORT; keepalive 10000; }" \
    "stream { server { listen 127.0.0.1:$tcp_port reuseport; proxy_pass 127.0.0.1:$BACKEND_PORT; } }"
  start_weft s3-ngx pgw-front --backend "http://127.0.0.1:$NGINX_PORT" --max-conns-per-endpoint 20000
  local ngx_pid=$WEFT_PID ngx_port=$WEFT_PORT
  # --processes with every other flag at its default (the fd budget's):
  # the row for 10,000 clients, which one process's 20,000 files cannot
  # hold with a backend call each.
  start_pgw_front s3-procs --processes "${S3_PROCESSES:-2}"
  local procs_pid=$FRONT_PID procs_port=$FRONT_PORT
  start_pgw_front s3 --max-conns-per-endpoint 20000
  local c
  for c in ${S3_LEVELS:-100 1000 4000 8000}; do
    local t=$(( c < 2 ? 1 : 2 )) v
    for v in ${S3_VARIANTS:-direct gizmos gizmos-async json-gizmos-async gizmos-async-h2 nginx-proxy nginx-tcp nginx-direct gizmos-async-nginx}; do
      local url pid=$FRONT_PID ref=direct
      case $v in
        direct) url="http://127.0.0.1:$BACKEND_PORT/api/gizmos" pid="" ;;
        nginx-proxy) url="http://127.0.0.1:$NGINX_PORT/gizmos" pid="" ;;
        nginx-tcp) url="http://127.0.0.1:$tcp_port/api/gizmos" pid="" ;;
        nginx-direct) url="http://127.0.0.1:$NGINX_PORT/api/gizmos" pid="" ;;
        json-gizmos-async) url="http://127.0.0.1:$FRONT_PORT/json/gizmos-async" ;;
        json-gizmos-async-procs) url="http://127.0.0.1:$procs_port/json/gizmos-async" pid=$procs_pid ;;
        gizmos-async-h2) url="http://127.0.0.1:$h2_port/gizmos-async" pid=$h2_pid ;;
        gizmos-async-nginx) url="http://127.0.0.1:$ngx_port/gizmos-async" pid=$ngx_pid ref=nginx-direct ;;
        *) url="http://127.0.0.1:$FRONT_PORT/$v" ;;
      esac
      local f="$WORK/s3-$v-$c.txt" stats="0 0" cpu_pids
      case $v in
        direct) cpu_pids=$(proc_tree "$BACKEND_PID") ;;
        nginx-*) cpu_pids=$(proc_tree "$NGINX_PID") ;;
        *-procs) cpu_pids=$(proc_tree "$procs_pid") ;;
        *) cpu_pids=$pid ;;
      esac
      local ticks0 port=${url#http://127.0.0.1:} before
      port=${port%%/*}
      before=$(open_conns "$port") # a front's kept-alive calls to the backend
      ticks0=$(cpu_ticks $cpu_pids)
      run_wrk "$f" -t$t -c"$c" -d"${dur}s" --timeout 10s "$url" &
      local wp=$!
      [[ -n $pid ]] && stats=$(peak_stats "$pid" $(( dur - 2 )))
      wait "$wp"
      local ok d ticks
      ticks=$(( $(cpu_ticks $cpu_pids) - ticks0 ))
      settle "$port" "$before" # the next row starts when this one's requests are gone
      ok=$(wrk_ok_rps "$f")
      d=$(wrk_ok_rps "$WORK/s3-$ref-$c.txt")
      awk -v v="$v" -v c="$c" -v ok="$ok" -v d="$d" -v p50="$(wrk_p50 "$f")" \
          -v p99="$(wrk_p99 "$f")" -v bad="$(wrk_non2xx "$f")" -v se="$(wrk_sockerr "$f")" \
          -v st="$stats" -v avg="$(wrk_avg "$f")" -v cpu="$(cpu_us_per_request "$ticks" "$f")" \
          'BEGIN {split(st, s, " "); ideal = c / 0.5;
            printf "%s,%d,%.1f,%.0f,%.4f,%.4f,%s,%s,%d,%d,%d,%d,%s,%.1f\n", v, c, ok, ideal, ok / ideal,
                   (d > 0 ? ok / d : 0), p50, p99, bad, se, s[1], s[2], avg, cpu}' >> "$csv"
    done
  done
  stop_pid "$ngx_pid"
  stop_pid "$procs_pid"
  stop_pid "$NGINX_PID"
  stop_pid "$h2_pid"
  stop_pid "$FRONT_PID"
  stop_pid "$BACKEND_PID"
  BACKEND_PORT="" # the next scenario starts its own, without --h2c
  cat > "$WORK/s3.gp" <<GP
set datafile separator ","
set title "S3: throughput vs concurrency, backend delay 500 ms (2 cores, one run)"
set xlabel "concurrent clients"; set ylabel "successful requests/s"
set logscale xy; set key top left; set grid
set xtics (100, 1000, 4000, 8000); set xrange [80:10000]
plot "< awk -F, '\$1==\"direct\"' $csv" using 2:4 with lines dt 2 lw 2 title "ideal (Little's law: clients / 0.5 s)", \
     "< awk -F, '\$1==\"direct\"' $csv" using 2:3 with linespoints lw 2 title "backend alone (method ceiling)", \
     "< awk -F, '\$1==\"gizmos-async\"' $csv" using 2:3 with linespoints lw 3 title "/gizmos-async (WEFT\\\\_ASYNC)", \
     "< awk -F, '\$1==\"json-gizmos-async\"' $csv" using 2:3 with linespoints lw 1 title "/json/gizmos-async (the JSON, no page)", \
     "< awk -F, '\$1==\"gizmos-async-h2\"' $csv" using 2:3 with linespoints lw 2 dt 3 title "/gizmos-async, calls over HTTP/2", \
     "< awk -F, '\$1==\"nginx-proxy\"' $csv" using 2:3 with linespoints lw 2 dt 5 title "nginx as the front (a proxy)", \
     "< awk -F, '\$1==\"nginx-tcp\"' $csv" using 2:3 with linespoints lw 1 dt 5 title "nginx stream module (a TCP relay)", \
     "< awk -F, '\$1==\"gizmos-async-nginx\"' $csv" using 2:3 with linespoints lw 2 dt 4 title "/gizmos-async, nginx+echo as backend", \
     "< awk -F, '\$1==\"gizmos\"' $csv" using 2:3 with linespoints lw 3 title "/gizmos (WEFT\\\\_SYNC, 64 workers)"
GP
  plot "$WORK/s3.gp" "$RESULTS/s3_starvation"
  echo
  echo "S3 thread starvation ($(machine_line)); wrk ${dur}s --timeout 10s"
  column -s, -t "$csv" | sed 's/^/  /'
  echo "  csv: $csv; plot: $RESULTS/s3_starvation.png"
}
