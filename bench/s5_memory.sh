# S5 memory per in-flight request: RSS of the server with N requests parked
# (wrk keeps N connections busy), minus the idle RSS, divided by N. Two
# kinds of request: /delay?ms=500 on weft-hello (a fiber awaiting a timer)
# and /gizmos-async on pgw-front (a fiber awaiting a backend call, so the
# figure includes the outbound connection and the call's state). A fresh
# server per N: freed memory is not always returned to the kernel, so one
# run would inherit the last one's peak. Sourced.

# peak_rss_kb PID SECONDS: the highest VmRSS seen, sampled every 100 ms
peak_rss_kb() {
  local pid=$1 secs=$2 peak=0 v
  local end=$(( $(date +%s%N) + secs * 1000000000 ))
  while (( $(date +%s%N) < end )); do
    v=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    (( v > peak )) && peak=$v
    sleep 0.1
  done
  echo "$peak"
}

s5() {
  s5_one delay weft-hello "/delay?ms=500"
  s5_one gizmos-async pgw-front "/gizmos-async"
}

# s5_one LABEL BINARY PATH
s5_one() {
  local label=$1 bin=$2 path=$3
  local csv="$RESULTS/s5_memory_$label.csv"
  echo "concurrency,idle_rss_kb,peak_rss_kb,kib_per_request,requests_per_s,errors" > "$csv"
  for n in ${S5_LEVELS:-1000 4000 8000}; do
    if [[ "$bin" == pgw-front ]]; then
      start_pgw_front "s5-$label-$n" --max-conns-per-endpoint 20000
    else
      start_weft "s5-$label-$n" "$bin"
    fi
    sleep 0.3
    local idle
    idle=$(awk '/^VmRSS/ {print $2}' "/proc/$WEFT_PID/status")
    run_wrk "$WORK/s5-$label-$n.txt" -t2 -c"$n" -d6s --timeout 10s "http://127.0.0.1:$WEFT_PORT$path" &
    local wrk_pid=$!
    sleep 1.5 # let all N connections reach their first wait
    local peak
    peak=$(peak_rss_kb "$WEFT_PID" 3)
    wait "$wrk_pid"
    stop_pid "$WEFT_PID"
    local f="$WORK/s5-$label-$n.txt"
    local errs=$(( $(wrk_non2xx "$f") + $(wrk_sockerr "$f") ))
    awk -v n="$n" -v i="$idle" -v p="$peak" -v r="$(wrk_rps "$f")" -v e="$errs" \
      'BEGIN {printf "%d,%d,%d,%.2f,%s,%d\n", n, i, p, (p - i) / n, r, e}' >> "$csv"
  done
  echo
  echo "S5 memory per in-flight request, $path on $bin ($(machine_line))"
  column -s, -t "$csv" | sed 's/^/  /'
  echo "  csv: $csv"
}
