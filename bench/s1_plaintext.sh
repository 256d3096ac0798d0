# S1 plaintext throughput: weft-hello /plaintext vs nginx `return 200`,
# keep-alive, wrk -c256 -d10s, alternating rounds, medians. Sourced by run.sh.
s1() {
  local rounds=${S1_ROUNDS:-3} dur=${S1_DURATION:-10s}
  local csv="$RESULTS/s1_plaintext.csv"
  echo "server,round,rps,p50_ms,p99_ms,errors" > "$csv"
  start_weft hello weft-hello
  start_nginx s1 'location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
                  location = / { return 200 "ok"; }'
  for r in $(seq "$rounds"); do
    for s in weft nginx; do
      local port=$WEFT_PORT; [[ $s == nginx ]] && port=$NGINX_PORT
      run_wrk "$WORK/s1-$s-$r.txt" -t2 -c256 -d"$dur" "http://127.0.0.1:$port/plaintext"
      echo "$s,$r,$(wrk_rps "$WORK/s1-$s-$r.txt"),$(wrk_p50 "$WORK/s1-$s-$r.txt"),$(wrk_p99 "$WORK/s1-$s-$r.txt"),$(( $(wrk_non2xx "$WORK/s1-$s-$r.txt") + $(wrk_sockerr "$WORK/s1-$s-$r.txt") ))" >> "$csv"
    done
  done
  stop_pid "$WEFT_PID"; stop_pid "$NGINX_PID"
  local w_rps n_rps w_p99 n_p99
  w_rps=$(awk -F, '$1=="weft" {print $3}' "$csv" | median)
  n_rps=$(awk -F, '$1=="nginx" {print $3}' "$csv" | median)
  w_p99=$(awk -F, '$1=="weft" {print $5}' "$csv" | median)
  n_p99=$(awk -F, '$1=="nginx" {print $5}' "$csv" | median)
  echo
  echo "S1 plaintext ($(machine_line)); wrk -t2 -c256 -d$dur, median of $rounds alternating rounds"
  printf "  %-6s %12s %10s\n" server req/s p99_ms
  printf "  %-6s %12.0f %10.2f\n" weft "$w_rps" "$w_p99" nginx "$n_rps" "$n_p99"
  awk -v a="$w_rps" -v b="$n_rps" 'BEGIN {printf "  weft / nginx throughput: %.3f\n", a / b}'
  echo "  csv: $csv"
}
