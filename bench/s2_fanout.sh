# S2 fan-out latency, the seeds' PWG page: /pwg (three calls in sequence on
# a worker) vs /pwg-async (weft_when_all), backend delay 500 ms, 20
# requests each one after another with curl; p50s and the async overhead
# over 500 ms. Sourced by run.sh.
s2() {
  local n=${S2_REQUESTS:-20}
  local csv="$RESULTS/s2_fanout.csv"
  echo "page,request,ms" > "$csv"
  start_pgw_front s2
  for page in pwg pwg-async; do
    curl -s -o /dev/null "http://127.0.0.1:$FRONT_PORT/$page" # warm-up: connections
    for i in $(seq "$n"); do
      curl -s -o /dev/null -w "$page,$i,%{time_total}\n" "http://127.0.0.1:$FRONT_PORT/$page" |
        awk -F, '{printf "%s,%s,%.3f\n", $1, $2, $3 * 1000}' >> "$csv"
    done
  done
  stop_pid "$FRONT_PID"
  local sync async
  sync=$(awk -F, '$1=="pwg" {print $3}' "$csv" | median)
  async=$(awk -F, '$1=="pwg-async" {print $3}' "$csv" | median)
  echo
  echo "S2 fan-out latency ($(machine_line)); backend delay 500 ms, $n requests each, curl"
  printf "  /pwg        p50 %8.1f ms\n  /pwg-async  p50 %8.1f ms\n" "$sync" "$async"
  awk -v a="$async" 'BEGIN {printf "  async overhead over 500 ms (p50): %.1f ms\n", a - 500}'
  echo "  csv: $csv"
}
