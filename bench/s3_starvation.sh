# S3 thread starvation - the seeds' central claim. /gizmos (WEFT_SYNC on the
# default pool: 64 workers, queue 1000) and /gizmos-async, backend delay
# 500 ms, at 100, 1000, 4000, 8000 concurrent clients (wrk --timeout 10s,
# 15 s). The backend alone at the same concurrency, in the same run, gives
# the method's ceiling. Sourced by run.sh.
s3() {
  local dur=${S3_SECONDS:-15}
  local csv="$RESULTS/s3_starvation.csv"
  echo "variant,concurrency,ok_rps,ideal_rps,ok_over_ideal,ok_over_direct,p50_ms,p99_ms,non2xx,sock_errors,peak_rss_kb,max_threads" > "$csv"
  start_pgw_backend
  start_pgw_front s3 --max-conns-per-endpoint 20000
  local direct_url="http://127.0.0.1:$BACKEND_PORT/api/gizmos"
  for c in ${S3_LEVELS:-100 1000 4000 8000}; do
    local t=$(( c < 2 ? 1 : 2 ))
    run_wrk "$WORK/s3-direct-$c.txt" -t$t -c"$c" -d"${dur}s" --timeout 10s "$direct_url"
    local direct
    direct=$(wrk_ok_rps "$WORK/s3-direct-$c.txt")
    for v in gizmos gizmos-async; do
      run_wrk "$WORK/s3-$v-$c.txt" -t$t -c"$c" -d"${dur}s" --timeout 10s \
        "http://127.0.0.1:$FRONT_PORT/$v" &
      local wp=$!
      local stats
      stats=$(peak_stats "$FRONT_PID" $(( dur - 2 )))
      wait "$wp"
      local f="$WORK/s3-$v-$c.txt" ok
      ok=$(wrk_ok_rps "$f")
      awk -v v="$v" -v c="$c" -v ok="$ok" -v d="$direct" -v p50="$(wrk_p50 "$f")" \
          -v p99="$(wrk_p99 "$f")" -v bad="$(wrk_non2xx "$f")" -v se="$(wrk_sockerr "$f")" \
          -v st="$stats" 'BEGIN {split(st, s, " "); ideal = c / 0.5;
            printf "%s,%d,%.1f,%.0f,%.4f,%.4f,%s,%s,%d,%d,%d,%d\n", v, c, ok, ideal, ok / ideal,
                   (d > 0 ? ok / d : 0), p50, p99, bad, se, s[1], s[2]}' >> "$csv"
    done
    echo "direct,$c,$direct,$(( c * 2 )),$(awk -v d="$direct" -v c="$c" 'BEGIN {printf "%.4f", d / (c / 0.5)}'),1,$(wrk_p50 "$WORK/s3-direct-$c.txt"),$(wrk_p99 "$WORK/s3-direct-$c.txt"),$(wrk_non2xx "$WORK/s3-direct-$c.txt"),$(wrk_sockerr "$WORK/s3-direct-$c.txt"),0,0" >> "$csv"
  done
  stop_pid "$FRONT_PID"
  cat > "$WORK/s3.gp" <<GP
set datafile separator ","
set title "S3: throughput vs concurrency, backend delay 500 ms (2 cores, one run)"
set xlabel "concurrent clients"; set ylabel "successful requests/s"
set logscale xy; set key top left; set grid
set xtics (100, 1000, 4000, 8000); set xrange [80:10000]
plot "< awk -F, '\$1==\"direct\"' $csv" using 2:4 with lines dt 2 lw 2 title "ideal (Little's law: clients / 0.5 s)", \
     "< awk -F, '\$1==\"direct\"' $csv" using 2:3 with linespoints lw 2 title "backend alone (method ceiling)", \
     "< awk -F, '\$1==\"gizmos-async\"' $csv" using 2:3 with linespoints lw 3 title "/gizmos-async (WEFT\\\\_ASYNC)", \
     "< awk -F, '\$1==\"gizmos\"' $csv" using 2:3 with linespoints lw 3 title "/gizmos (WEFT\\\\_SYNC, 64 workers)"
GP
  plot "$WORK/s3.gp" "$RESULTS/s3_starvation"
  echo
  echo "S3 thread starvation ($(machine_line)); wrk ${dur}s --timeout 10s"
  column -s, -t "$csv" | sed 's/^/  /'
  echo "  csv: $csv; plot: $RESULTS/s3_starvation.png"
}
