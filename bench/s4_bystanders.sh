# S4 the bystanders: while 4000 clients hold /gizmos (sync) busy, a second
# wrk measures /plaintext latency on the same server; repeated with the
# 4000 on /gizmos-async, and once with no load. Sourced by run.sh.
s4() {
  local dur=${S4_SECONDS:-12}
  local csv="$RESULTS/s4_bystanders.csv"
  echo "load,plaintext_rps,p50_ms,p99_ms,max_ms,errors" > "$csv"
  start_pgw_front s4 --max-conns-per-endpoint 20000
  for load in none gizmos gizmos-async; do
    local lp=""
    if [[ $load != none ]]; then
      run_wrk "$WORK/s4-load-$load.txt" -t1 -c4000 -d"$(( dur + 4 ))s" --timeout 10s \
        "http://127.0.0.1:$FRONT_PORT/$load" &
      lp=$!
      sleep 3 # let the 4000 connect and fill the pool
    fi
    local f="$WORK/s4-probe-$load.txt"
    run_wrk "$f" -t1 -c20 -d"${dur}s" --timeout 10s "http://127.0.0.1:$FRONT_PORT/plaintext"
    [[ -n "$lp" ]] && wait "$lp"
    settle "$FRONT_PORT" # the next load starts when this one's requests are gone
    echo "$load,$(wrk_rps "$f"),$(wrk_p50 "$f"),$(wrk_p99 "$f"),$(to_ms "$(awk '/Latency/ {print $4; exit}' "$f")"),$(( $(wrk_non2xx "$f") + $(wrk_sockerr "$f") ))" >> "$csv"
  done
  stop_pid "$FRONT_PID"
  cat > "$WORK/s4.gp" <<GP
set datafile separator ","
set title "S4: /plaintext p99 latency while 4000 clients wait on a 500 ms backend"
set ylabel "p99 latency of /plaintext (ms)"; set logscale y; set grid ytics
set style data histograms; set style fill solid 0.8; set boxwidth 0.6
set key off
plot "< tail -n +2 $csv" using 4:xtic(1) lc rgb "#4a7"
GP
  plot "$WORK/s4.gp" "$RESULTS/s4_bystanders"
  echo
  echo "S4 bystanders ($(machine_line)); probe wrk -t1 -c20 -d${dur}s /plaintext"
  column -s, -t "$csv" | sed 's/^/  /'
  echo "  csv: $csv; plot: $RESULTS/s4_bystanders.png"
}
