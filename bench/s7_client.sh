# S7 outbound client: weft's client alone (one loop thread, 256 calls in
# flight) against nginx `return 200`, vs wrk (one thread, 256 connections)
# against the same nginx, in the same run, alternating. Sourced by run.sh.
s7() {
  local rounds=${S7_ROUNDS:-3} dur=${S7_SECONDS:-8}
  local csv="$RESULTS/s7_client.csv"
  echo "client,round,rps" > "$csv"
  NGINX_WORKERS=1 start_nginx s7 'location = /ok { default_type text/plain; return 200 "ok"; }
                  location = / { return 200 "ok"; }'
  local url="http://127.0.0.1:$NGINX_PORT/ok"
  for r in $(seq "$rounds"); do
    local w
    w=$("$BIN/weft-clientbench" "$url" 256 "$dur" | awk '{print $8}')
    echo "weft,$r,$w" >> "$csv"
    run_wrk "$WORK/s7-wrk-$r.txt" -t1 -c256 -d"${dur}s" "$url"
    echo "wrk,$r,$(wrk_rps "$WORK/s7-wrk-$r.txt")" >> "$csv"
  done
  stop_pid "$NGINX_PID"
  local wm km
  wm=$(awk -F, '$1=="weft" {print $3}' "$csv" | median)
  km=$(awk -F, '$1=="wrk" {print $3}' "$csv" | median)
  echo
  echo "S7 outbound client ($(machine_line)); 256 in flight, ${dur}s, median of $rounds rounds"
  printf "  %-6s %10.0f calls/s\n" weft "$wm" wrk "$km"
  awk -v a="$wm" -v b="$km" 'BEGIN {printf "  weft client / wrk: %.3f\n", a / b}'
  echo "  csv: $csv"
}
