# S1 plaintext throughput: weft-hello /plaintext vs nginx `return 200`,
# keep-alive, wrk -c256 -d10s, alternating rounds, medians. Also each
# server's CPU time per request (its user + system time over the run,
# nginx's master and workers summed, divided by the requests wrk counted): on two
# cores shared with wrk the throughput ratio moves with how the cores are
# shared; the CPU a request costs is the server's own. Sourced by run.sh.
s1() {
  local rounds=${S1_ROUNDS:-3} dur=${S1_DURATION:-10s}
  local csv="$RESULTS/s1_plaintext.csv"
  echo "server,round,rps,p50_ms,p99_ms,errors,cpu_us_per_req" > "$csv"
  start_weft hello weft-hello
  start_nginx s1 'location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
                  location = / { return 200 "ok"; }'
  for r in $(seq "$rounds"); do
    for s in weft nginx; do
      local port=$WEFT_PORT pids=$WEFT_PID
      [[ $s == nginx ]] && port=$NGINX_PORT pids=$(proc_tree "$NGINX_PID")
      local f="$WORK/s1-$s-$r.txt" t0 t1
      # shellcheck disable=SC2086
      t0=$(cpu_ticks $pids)
      run_wrk "$f" -t2 -c256 -d"$dur" "http://127.0.0.1:$port/plaintext"
      # shellcheck disable=SC2086
      t1=$(cpu_ticks $pids)
      local cpu
      cpu=$(cpu_us_per_request $(( t1 - t0 )) "$f")
      echo "$s,$r,$(wrk_rps "$f"),$(wrk_p50 "$f"),$(wrk_p99 "$f"),$(( $(wrk_non2xx "$f") + $(wrk_sockerr "$f") )),$cpu" >> "$csv"
    done
  done
  stop_pid "$WEFT_PID"; stop_pid "$NGINX_PID"
  local w_rps n_rps w_p99 n_p99
  w_rps=$(awk -F, '$1=="weft" {print $3}' "$csv" | median)
  n_rps=$(awk -F, '$1=="nginx" {print $3}' "$csv" | median)
  w_p99=$(awk -F, '$1=="weft" {print $5}' "$csv" | median)
  n_p99=$(awk -F, '$1=="nginx" {print $5}' "$csv" | median)
  local w_cpu n_cpu
  w_cpu=$(awk -F, '$1=="weft" {print $7}' "$csv" | median)
  n_cpu=$(awk -F, '$1=="nginx" {print $7}' "$csv" | median)
  echo
  echo "S1 plaintext ($(machine_line)); wrk -t2 -c256 -d$dur, median of $rounds alternating rounds"
  printf "  %-6s %12s %10s %16s\n" server req/s p99_ms cpu_us_per_req
  printf "  %-6s %12.0f %10.2f %16.2f\n" weft "$w_rps" "$w_p99" "$w_cpu" nginx "$n_rps" "$n_p99" "$n_cpu"
  awk -v a="$w_rps" -v b="$n_rps" 'BEGIN {printf "  weft / nginx throughput: %.3f\n", a / b}'
  awk -v a="$w_cpu" -v b="$n_cpu" 'BEGIN {printf "  weft / nginx CPU per request: %.3f\n", a / b}'
  echo "  csv: $csv"
}
