# S5 memory per in-flight request: RSS of the server with N requests parked
# (wrk keeps N connections busy), minus the idle RSS, divided by N. Two
# kinds of request: /delay?ms=500 on weft-hello (a fiber awaiting a timer)
# and /gizmos-async on pgw-front (a fiber awaiting a backend call, so the
# figure includes the outbound connection and the call's state); and the
# peer for the second, nginx proxying the same call (master and workers
# summed). Plotted against the targets (8 and 16 KiB). A fresh
# server per N: freed memory is not always returned to the kernel, so one
# run would inherit the last one's peak. Sourced.

# peak_rss_kb PID SECONDS: the highest rss_kb seen, sampled every 100 ms
peak_rss_kb() {
  local pid=$1 secs=$2 peak=0 v
  local end=$(( $(date +%s%N) + secs * 1000000000 ))
  while (( $(date +%s%N) < end )); do
    v=$(rss_kb "$pid")
    (( v > peak )) && peak=$v
    sleep 0.1
  done
  echo "$peak"
}

s5() {
  s5_one delay weft-hello "/delay?ms=500"
  s5_one gizmos-async pgw-front "/gizmos-async"
  # The peer: nginx proxying the same backend call (proxy_pass to
  # pgw-backend's /api/gizmos), as many workers as weft has loops.
  s5_one nginx-proxy nginx "/gizmos"
  s5_plot
}

# s5_one LABEL BINARY PATH
s5_one() {
  local label=$1 bin=$2 path=$3
  local csv="$RESULTS/s5_memory_$label.csv"
  echo "concurrency,idle_rss_kb,peak_rss_kb,kib_per_request,requests_per_s,errors" > "$csv"
  for n in ${S5_LEVELS:-1000 4000 8000}; do
    if [[ "$bin" == pgw-front ]]; then
      start_pgw_front "s5-$label-$n" --max-conns-per-endpoint 20000
    elif [[ "$bin" == nginx ]]; then
      start_pgw_backend
      # Upstream connections kept alive, as weft's client keeps them.
      start_nginx "s5-$n" "location /gizmos { proxy_pass http://pgw/api/gizmos; proxy_http_version 1.1; proxy_set_header Connection \"\"; }" \
        "upstream pgw { server 127.0.0.1:$BACKEND_PORT; keepalive 10000; }"
      WEFT_PID=$NGINX_PID WEFT_PORT=$NGINX_PORT
    else
      start_weft "s5-$label-$n" "$bin"
    fi
    sleep 0.3
    local idle
    idle=$(rss_kb "$WEFT_PID")
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

s5_plot() {
  local d="$RESULTS/s5_memory_delay.csv" g="$RESULTS/s5_memory_gizmos-async.csv"
  local x="$RESULTS/s5_memory_nginx-proxy.csv"
  cat > "$WORK/s5.gp" <<GP
set datafile separator ","
set title "S5: memory per in-flight request (RSS growth / requests, 500 ms waits)"
set xlabel "requests in flight"; set ylabel "KiB per request"
set logscale x; set xtics (1000, 4000, 8000); set xrange [800:10000]
set yrange [0:20]; set grid; set key bottom right
plot "$d" every ::1 using 1:4 with linespoints lw 3 title "weft /delay (fiber awaiting a timer)", \\
     "$g" every ::1 using 1:4 with linespoints lw 3 title "weft /gizmos-async (fiber awaiting a backend call)", \\
     "$x" every ::1 using 1:4 with linespoints lw 2 dt 2 title "nginx proxy\\\\_pass to the same backend", \\
     8 with lines dt 3 lc rgb "#888" title "target /delay: 8 KiB", \\
     16 with lines dt 4 lc rgb "#444" title "target /gizmos-async: 16 KiB"
GP
  plot "$WORK/s5.gp" "$RESULTS/s5_memory"
  echo "  plot: $RESULTS/s5_memory.png"
}
