# S8 fan-out under load: /json/pwg-async?delay=500 (three parallel backend
# calls per request) at 1000 and 4000 concurrent clients. Ideal = clients /
# 0.5 s. Run twice, as BENCH.md asks: the front calling its backend over
# HTTP/1.1 (4000 inbound + 12000 outbound connections in the front, 12000
# in the backend, under ulimit -n 20000), then over HTTP/2 (pgw-backend
# --h2c, pgw-front --backend-http2: the calls are streams on a few
# connections). Then the peer: nginx doing the same fan-out in place of
# pgw-front - three parallel subrequests (echo module's
# echo_location_async) proxied to the same pgw-backend over HTTP/1.1 with
# upstream keepalive, the three JSON answers in one array. cpu_us: the
# front's CPU time over the run per answered request (all of nginx's
# processes for its row). http1.1-procs (not a default row): pgw-front
# with --processes S8_PROCESSES (2) and no other flag, for 5,000 clients
# (20,000 sockets: more than one process's 20,000 files hold).
# S8_PROTOCOLS and S8_LEVELS choose a part.
# Sourced by run.sh.
s8() {
  local dur=${S8_SECONDS:-15}
  local csv="$RESULTS/s8_fanout_load.csv"
  echo "protocol,concurrency,ok_rps,ideal_rps,ok_over_ideal,p50_ms,p99_ms,errors,peak_rss_kb,peak_fds,cpu_us" > "$csv"
  local proto
  for proto in ${S8_PROTOCOLS:-http1.1 h2 nginx-http1.1}; do
    local url pids
    case $proto in
      h2)
        BACKEND_ARGS="--h2c" start_pgw_front "s8-$proto" --max-conns-per-endpoint 20000 --backend-http2 ;;
      nginx-http1.1)
        start_pgw_backend
        start_nginx s8 "location /api/ { proxy_pass http://pgw; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
          location /json/pwg-async { default_type application/json; echo '['; echo_location_async /api/products delay=500; echo ',';
            echo_location_async /api/gizmos delay=500; echo ','; echo_location_async /api/widgets delay=500; echo ']'; }" \
          "upstream pgw { server 127.0.0.1:$BACKEND_PORT; keepalive 20000; }"
        FRONT_PID=$NGINX_PID FRONT_PORT=$NGINX_PORT ;;
      http1.1-procs) # every flag at its default (the fd budget's) but --processes
        start_pgw_front "s8-$proto" --processes "${S8_PROCESSES:-2}" ;;
      *)
        start_pgw_front "s8-$proto" --max-conns-per-endpoint 20000 ;;
    esac
    url="http://127.0.0.1:$FRONT_PORT/json/pwg-async?delay=500"
    [[ $(curl -s "$url") == [\[{]* ]] || { echo "bench: no JSON from $url" >&2; exit 1; }
    local c
    for c in ${S8_LEVELS:-1000 4000}; do
      local f="$WORK/s8-$proto-$c.txt" ticks0
      pids=$(proc_tree "$FRONT_PID")
      ticks0=$(cpu_ticks $pids)
      run_wrk "$f" -t2 -c"$c" -d"${dur}s" --timeout 10s "$url" &
      local wp=$! rss=0 fds=0 v n p
      local end=$(( $(date +%s) + dur - 2 ))
      while (( $(date +%s) < end )); do
        v=$(rss_kb "$FRONT_PID")
        n=0
        for p in $pids; do n=$(( n + $(ls "/proc/$p/fd" | wc -l) )); done
        (( v > rss )) && rss=$v
        (( n > fds )) && fds=$n
        sleep 0.2
      done
      wait "$wp"
      local ok ticks
      ticks=$(( $(cpu_ticks $pids) - ticks0 ))
      settle "$FRONT_PORT" # the next level starts when this one's requests are gone
      ok=$(wrk_ok_rps "$f")
      awk -v pr="$proto" -v c="$c" -v ok="$ok" -v p50="$(wrk_p50 "$f")" -v p99="$(wrk_p99 "$f")" \
          -v e="$(( $(wrk_non2xx "$f") + $(wrk_sockerr "$f") ))" -v r="$rss" -v fd="$fds" \
          -v cpu="$(cpu_us_per_request "$ticks" "$f")" \
          'BEGIN {printf "%s,%d,%.1f,%.0f,%.4f,%s,%s,%d,%d,%d,%.1f\n", pr, c, ok, c / 0.5, ok / (c / 0.5),
                  p50, p99, e, r, fd, cpu}' >> "$csv"
    done
    stop_pid "$FRONT_PID"
    stop_pid "$BACKEND_PID"
    BACKEND_PORT=""
  done
  echo
  echo "S8 fan-out under load ($(machine_line)); wrk -t2 ${dur}s --timeout 10s, 3 backend calls per request"
  column -s, -t "$csv" | sed 's/^/  /'
  echo "  csv: $csv"
}
