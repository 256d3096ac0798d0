# S2 fan-out latency, the seeds' PWG page: /pwg (three calls in sequence on
# a worker) vs /pwg-async (weft_when_all), backend delay 500 ms, 20
# requests each one after another with curl; p50s and the async overhead
# over 500 ms. The backend alone, asked the same way in the same run, shows
# how much of that overhead is the simulated backend's own (its timers
# fire on whole milliseconds). Sourced by run.sh.
s2() {
  local n=${S2_REQUESTS:-20}
  local csv="$RESULTS/s2_fanout.csv"
  echo "page,request,ms" > "$csv"
  start_pgw_front s2
  local -A url=([pwg]="http://127.0.0.1:$FRONT_PORT/pwg"
                [pwg-async]="http://127.0.0.1:$FRONT_PORT/pwg-async"
                [backend]="http://127.0.0.1:$BACKEND_PORT/api/gizmos")
  for page in pwg pwg-async backend; do
    curl -s -o /dev/null "${url[$page]}" # warm-up: connections
    for i in $(seq "$n"); do
      curl -s -o /dev/null -w "$page,$i,%{time_total}\n" "${url[$page]}" |
        awk -F, '{printf "%s,%s,%.3f\n", $1, $2, $3 * 1000}' >> "$csv"
    done
  done
  stop_pid "$FRONT_PID"
  local sync async direct
  sync=$(awk -F, '$1=="pwg" {print $3}' "$csv" | median)
  async=$(awk -F, '$1=="pwg-async" {print $3}' "$csv" | median)
  direct=$(awk -F, '$1=="backend" {print $3}' "$csv" | median)
  echo
  echo "S2 fan-out latency ($(machine_line)); backend delay 500 ms, $n requests each, curl"
  printf "  /pwg        p50 %8.1f ms\n  /pwg-async  p50 %8.1f ms\n" "$sync" "$async"
  printf "  backend alone (one call) p50 %8.1f ms\n" "$direct"
  awk -v a="$async" 'BEGIN {printf "  async overhead over 500 ms (p50): %.1f ms\n", a - 500}'
  awk -v a="$async" -v d="$direct" \
    'BEGIN {printf "  async overhead over the backend alone (p50): %.1f ms\n", a - d}'
  echo "  csv: $csv"
}
