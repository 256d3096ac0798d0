# S5 memory per in-flight request: RSS of weft-hello with N requests parked
# in /delay?ms=500 (wrk keeps N connections busy), minus the idle RSS,
# divided by N. A fresh server per N: freed memory is not always returned
# to the kernel, so one run would inherit the last one's peak. Sourced.

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
  local path=${S5_PATH:-/delay?ms=500} label=${S5_LABEL:-delay}
  local csv="$RESULTS/s5_memory_$label.csv"
  echo "concurrency,idle_rss_kb,peak_rss_kb,kib_per_request,requests_per_s,errors" > "$csv"
  for n in ${S5_LEVELS:-1000 4000 8000}; do
    start_weft "s5-$n" "${S5_BIN:-weft-hello}" ${S5_ARGS:-}
    sleep 0.3
    local idle
    idle=$(awk '/^VmRSS/ {print $2}' "/proc/$WEFT_PID/status")
    run_wrk "$WORK/s5-$n.txt" -t2 -c"$n" -d6s --timeout 10s "http://127.0.0.1:$WEFT_PORT$path" &
    local wrk_pid=$!
    sleep 1.5 # let all N connections reach their first wait
    local peak
    peak=$(peak_rss_kb "$WEFT_PID" 3)
    wait "$wrk_pid"
    stop_pid "$WEFT_PID"
    local errs=$(( $(wrk_non2xx "$WORK/s5-$n.txt") + $(wrk_sockerr "$WORK/s5-$n.txt") ))
    awk -v n="$n" -v i="$idle" -v p="$peak" -v r="$(wrk_rps "$WORK/s5-$n.txt")" -v e="$errs" \
      'BEGIN {printf "%d,%d,%d,%.2f,%s,%d\n", n, i, p, (p - i) / n, r, e}' >> "$csv"
  done
  echo
  echo "S5 memory per in-flight request, $label ($(machine_line))"
  column -s, -t "$csv" | sed 's/^/  /'
  echo "  csv: $csv"
}
