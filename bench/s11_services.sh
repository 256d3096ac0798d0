# S11 building services: what issue 23's features cost, against the same
# server without them or against nginx, in one run. Sourced by run.sh.
#  a) middleware: weft-hello /plaintext with request id + Server-Timing +
#     CORS (--middleware yes) against without, wrk -t2 -c256 -d10s,
#     alternating rounds, medians; nginx's return 200 for reference.
#  b) a static 100 MiB file: weft_static (sendfile on a pool thread) and
#     nginx (sendfile on) serving the same directory, curl to /dev/null
#     over loopback, alternating rounds, the median speed of each.
#  c) a 2 GiB upload through weft-api's streamed POST /upload (chunked,
#     curl from a pipe): the server's RSS before and at its peak.
s11() {
  local rounds=${S11_ROUNDS:-5} dur=${S11_DURATION:-10s} parts=${S11_PARTS:-abc}
  local csv="$RESULTS/s11_services.csv"
  echo "part,server,round,value" > "$csv"
  local r

  # a) middleware
  if [[ $parts == *a* ]]; then
  start_nginx s11 'location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
                   location = / { return 200 "ok"; }'
  for r in $(seq "$rounds"); do
    for s in plain middleware nginx; do
      local f="$WORK/s11a-$s-$r.txt" port
      if [[ $s == nginx ]]; then
        port=$NGINX_PORT
      else
        local extra=()
        [[ $s == middleware ]] && extra=(--middleware yes)
        start_weft s11a weft-hello "${extra[@]}"
        port=$WEFT_PORT
      fi
      run_wrk "$f" -t2 -c256 -d"$dur" "http://127.0.0.1:$port/plaintext"
      echo "middleware,$s,$r,$(wrk_rps "$f")" >> "$csv"
      [[ $s != nginx ]] && stop_pid "$WEFT_PID"
    done
  done
  stop_pid "$NGINX_PID"
  fi

  # b) a static 100 MiB file
  if [[ $parts == *b* ]]; then
  local dir="$WORK/static"
  mkdir -p "$dir"
  head -c 100M /dev/urandom > "$dir/big.bin"
  chmod 755 "$WORK" "$dir"; chmod 644 "$dir/big.bin" # nginx's workers run as nobody
  start_weft s11b weft-chat --public "$dir"
  start_nginx s11b "location / { root $dir; sendfile on; tcp_nopush on; }"
  for r in $(seq "$rounds"); do
    for s in weft nginx; do
      local port=$WEFT_PORT
      [[ $s == nginx ]] && port=$NGINX_PORT
      local got bps size
      got=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' "http://127.0.0.1:$port/big.bin")
      read -r code size bps <<< "$got"
      [[ $code == 200 && $size == 104857600 ]] || { echo "bench: $s served $code, $size bytes" >&2; exit 1; }
      echo "static,$s,$r,$bps" >> "$csv"
    done
  done
  stop_pid "$WEFT_PID"; stop_pid "$NGINX_PID"
  fi

  # c) a 2 GiB upload in bounded memory
  local rss0=0 peak=0 out=""
  if [[ $parts == *c* ]]; then
  start_weft s11c weft-api
  rss0=$(rss_kb "$WEFT_PID")
  head -c 2G /dev/zero | curl -s -T - -X POST "http://127.0.0.1:$WEFT_PORT/upload" > "$WORK/s11c.out" &
  local cpid=$!
  while kill -0 "$cpid" 2>/dev/null; do
    local now
    now=$(rss_kb "$WEFT_PID")
    (( now > peak )) && peak=$now
    sleep 0.05
  done
  wait "$cpid" || true
  out=$(cat "$WORK/s11c.out")
  stop_pid "$WEFT_PID"
  echo "upload,weft,1,$rss0" >> "$csv"
  echo "upload,weft,peak,$peak" >> "$csv"
  fi

  local plain mw ngx wst ngst
  plain=$(awk -F, '$1=="middleware" && $2=="plain" {print $4}' "$csv" | median)
  mw=$(awk -F, '$1=="middleware" && $2=="middleware" {print $4}' "$csv" | median)
  ngx=$(awk -F, '$1=="middleware" && $2=="nginx" {print $4}' "$csv" | median)
  wst=$(awk -F, '$1=="static" && $2=="weft" {print $4}' "$csv" | median)
  ngst=$(awk -F, '$1=="static" && $2=="nginx" {print $4}' "$csv" | median)
  echo
  echo "S11 services ($(machine_line)); median of $rounds alternating rounds"
  [[ $parts == *a* ]] && printf "  a) /plaintext req/s: without middleware %.0f, with request id + timing + CORS %.0f, nginx %.0f\n" "$plain" "$mw" "$ngx"
  [[ $parts == *a* ]] && awk -v a="$mw" -v b="$plain" 'BEGIN {printf "     with / without: %.3f\n", a / b}'
  [[ $parts == *a* ]] && awk -v a="$mw" -v b="$ngx" 'BEGIN {printf "     with / nginx: %.3f\n", a / b}'
  [[ $parts == *b* ]] && printf "  b) 100 MiB static file, curl over loopback: weft %.0f MB/s, nginx %.0f MB/s\n" \
    "$(awk -v v="$wst" 'BEGIN {print v / 1e6}')" "$(awk -v v="$ngst" 'BEGIN {print v / 1e6}')"
  [[ $parts == *b* ]] && awk -v a="$wst" -v b="$ngst" 'BEGIN {printf "     weft / nginx: %.3f\n", a / b}'
  [[ $parts == *c* ]] && printf "  c) 2 GiB upload (%s): server RSS %d KiB before, %d KiB at its peak (+%d KiB)\n" \
    "$out" "$rss0" "$peak" $(( peak - rss0 ))
  echo "  csv: $csv"
}
