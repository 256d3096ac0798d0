# S8 fan-out under load: /json/pwg-async?delay=500 (three parallel backend
# calls per request) at 1000 and 4000 concurrent clients. Ideal = clients /
# 0.5 s. Run twice, as BENCH.md asks: the front calling its backend over
# HTTP/1.1 (4000 inbound + 12000 outbound connections in the front, 12000
# in the backend, under ulimit -n 20000), then over HTTP/2 (pgw-backend
# --h2c, pgw-front --backend-http2: the calls are streams on a few
# connections). Sourced by run.sh.
s8() {
  local dur=${S8_SECONDS:-15}
  local csv="$RESULTS/s8_fanout_load.csv"
  echo "protocol,concurrency,ok_rps,ideal_rps,ok_over_ideal,p50_ms,p99_ms,errors,peak_rss_kb,peak_fds" > "$csv"
  local proto
  for proto in ${S8_PROTOCOLS:-http1.1 h2}; do
    if [[ $proto == h2 ]]; then
      BACKEND_ARGS="--h2c" start_pgw_front "s8-$proto" --max-conns-per-endpoint 20000 --backend-http2
    else
      start_pgw_front "s8-$proto" --max-conns-per-endpoint 20000
    fi
    local c
    for c in ${S8_LEVELS:-1000 4000}; do
      local f="$WORK/s8-$proto-$c.txt"
      run_wrk "$f" -t2 -c"$c" -d"${dur}s" --timeout 10s \
        "http://127.0.0.1:$FRONT_PORT/json/pwg-async?delay=500" &
      local wp=$! rss=0 fds=0 v n
      local end=$(( $(date +%s) + dur - 2 ))
      while (( $(date +%s) < end )); do
        v=$(rss_kb "$FRONT_PID")
        n=$(ls "/proc/$FRONT_PID/fd" | wc -l)
        (( v > rss )) && rss=$v
        (( n > fds )) && fds=$n
        sleep 0.2
      done
      wait "$wp"
      local ok
      ok=$(wrk_ok_rps "$f")
      awk -v pr="$proto" -v c="$c" -v ok="$ok" -v p50="$(wrk_p50 "$f")" -v p99="$(wrk_p99 "$f")" \
          -v e="$(( $(wrk_non2xx "$f") + $(wrk_sockerr "$f") ))" -v r="$rss" -v fd="$fds" \
          'BEGIN {printf "%s,%d,%.1f,%.0f,%.4f,%s,%s,%d,%d,%d\n", pr, c, ok, c / 0.5, ok / (c / 0.5), p50, p99, e, r, fd}' >> "$csv"
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
