# S9 HTTPS - weft's TLS against nginx's, the same certificate (ECDSA
# P-256, made for the run by scripts/tls-certs.sh), the same machine, the
# same run, rounds alternating:
#  a. S1 over TLS: wrk -t2 -c256 keep-alive, HTTP/1.1 (https://.../plaintext)
#  b. HTTP/2 over TLS: h2load -c100 -m10 for S9_SECONDS; p99 from its
#     per-request log
#  c. new connections: wrk -c64 with "Connection: close", each request a
#     TLS handshake of its own (weft's /stats says whether it was full or
#     resumed: wrk offers its last session, so nearly all are resumed),
#     the servers taking turns in S9_C_PAIRS short runs
#  d. the S3 page over HTTPS: pgw-front with --tls-cert at 4,000 clients
#     (backend 500 ms), its ratio to the backend alone, beside the same
#     front in plain HTTP in the same run: over the whole run, and in the
#     steady state after the first 5 s (bench/steady.lua)
# cpu_us is the server's user + system CPU over the run per request (per
# connection in c). S9_PARTS (default abcd) picks parts. Sourced by run.sh.
s9_tls_stats() { # weft-hello's TLS counters over https
  curl -sk "https://127.0.0.1:$1/stats" |
    python3 -c 'import json,sys; s=json.load(sys.stdin)["server"]; print(s["tls_handshakes"], s["tls_resumed"])'
}

h2load_rps() { awk '/^finished in/ {gsub(",", ""); print $4}' "$1"; }
h2load_requests() { awk '/^requests:/ {print $8}' "$1"; } # succeeded
h2load_failed() { awk '/^requests:/ {print $10 + $12}' "$1"; }
# p99 of the per-request log's third column (µs to the end of the answer), in ms
h2load_p99() { awk -F'\t' '{print $3}' "$1" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int(NR*0.99)]/1000}'; }

s9() {
  local rounds=${S9_ROUNDS:-3} secs=${S9_SECONDS:-10}
  local csv="$RESULTS/s9_tls.csv"
  echo "part,server,round,rate,p99_ms,errors,cpu_us,steady_rate" > "$csv"
  local certs="$WORK/certs"
  bash "$ROOT/scripts/tls-certs.sh" "$certs" >/dev/null
  local tls=(--tls-cert "$certs/localhost.pem" --tls-key "$certs/localhost.key")
  start_weft hello-tls weft-hello "${tls[@]}"
  local wpid=$WEFT_PID wport=$WEFT_PORT
  NGINX_TLS_CERT="$certs/localhost.pem" NGINX_TLS_KEY="$certs/localhost.key" \
    start_nginx s9 'location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
                    location = / { return 200 "ok"; }'
  local full0 res0 full1 res1
  read -r full0 res0 < <(s9_tls_stats "$wport")
  for r in $(seq "$rounds"); do
    for s in weft nginx; do
      local port=$wport pids=$wpid
      [[ $s == nginx ]] && port=$NGINX_PORT pids=$(proc_tree "$NGINX_PID")
      local url="https://127.0.0.1:$port/plaintext" f t0 t1
      local parts=${S9_PARTS:-abcd}
      # a. HTTP/1.1 keep-alive
      f="$WORK/s9a-$s-$r.txt"
      [[ $parts == *a* ]] && {
      # shellcheck disable=SC2086
      t0=$(cpu_ticks $pids)
      run_wrk "$f" -t2 -c256 -d"${secs}s" "$url"
      # shellcheck disable=SC2086
      t1=$(cpu_ticks $pids)
      echo "a-h1-keepalive,$s,$r,$(wrk_rps "$f"),$(wrk_p99 "$f"),$(( $(wrk_non2xx "$f") + $(wrk_sockerr "$f") )),$(cpu_us_per_request $(( t1 - t0 )) "$f")" >> "$csv"
      settle "$port"; }
      # b. HTTP/2, 100 connections x 10 streams
      f="$WORK/s9b-$s-$r.txt"
      [[ $parts == *b* ]] && {
      # shellcheck disable=SC2086
      t0=$(cpu_ticks $pids)
      h2load -c100 -m10 -t2 -D "$secs" --log-file="$f.log" "$url" > "$f" 2>&1 || true
      # shellcheck disable=SC2086
      t1=$(cpu_ticks $pids)
      awk -v s="$s" -v r="$r" -v rate="$(h2load_rps "$f")" -v p99="$(h2load_p99 "$f.log")" \
          -v err="$(h2load_failed "$f")" -v t="$(( t1 - t0 ))" -v n="$(h2load_requests "$f")" \
          'BEGIN {printf "b-h2,%s,%d,%s,%s,%d,%.2f\n", s, r, rate, p99, err, (n > 0 ? t * 10000 / n : 0)}' >> "$csv"
      settle "$port"; }
      # c. a handshake per request
    done
  done
  # c. a handshake per request. The machine's speed drifts by a fifth over
  # minutes (the same server, 2,100 to 3,100 connections/s from one run to
  # the next), so the two servers take turns in short runs and the ratio
  # is the median of each pair's.
  if [[ ${S9_PARTS:-abcd} == *c* ]]; then
    local pairs=${S9_C_PAIRS:-12} csecs=${S9_C_SECONDS:-4}
    for r in $(seq "$pairs"); do
      for s in weft nginx; do
        local port=$wport pids=$wpid
        [[ $s == nginx ]] && port=$NGINX_PORT pids=$(proc_tree "$NGINX_PID")
        local f="$WORK/s9c-$s-$r.txt" t0 t1
        # shellcheck disable=SC2086
        t0=$(cpu_ticks $pids)
        run_wrk "$f" -t2 -c64 -d"${csecs}s" -H 'Connection: close' "https://127.0.0.1:$port/plaintext"
        # shellcheck disable=SC2086
        t1=$(cpu_ticks $pids)
        echo "c-new-connections,$s,$r,$(wrk_rps "$f"),$(wrk_p99 "$f"),$(( $(wrk_non2xx "$f") + $(wrk_sockerr "$f") )),$(cpu_us_per_request $(( t1 - t0 )) "$f")" >> "$csv"
        settle "$port"
      done
    done
  fi
  read -r full1 res1 < <(s9_tls_stats "$wport")
  stop_pid "$wpid"
  stop_pid "$NGINX_PID"

  # d. the S3 page over HTTPS at 4,000 clients: the whole run (with its
  # first second or two of 4,000 full handshakes, wrk's and the front's,
  # on the same two cores) and the steady state after WARM s (steady.lua)
  local c=${S9_S3_CLIENTS:-4000} dur=${S9_S3_SECONDS:-20}
  if [[ ${S9_PARTS:-abcd} == *d* ]]; then
    start_pgw_front s9-plain --max-conns-per-endpoint 20000
    local plain_pid=$FRONT_PID plain_port=$FRONT_PORT
    start_pgw_front s9-tls --max-conns-per-endpoint 20000 "${tls[@]}"
    local tls_pid=$FRONT_PID tls_port=$FRONT_PORT
    # nginx as the same front, plain and HTTPS: does its HTTPS row lose as
    # much to the handshakes at the start?
    local proxy='location /gizmos { proxy_pass http://pgw/api/gizmos; proxy_http_version 1.1; proxy_set_header Connection ""; }'
    local upstream="upstream pgw { server 127.0.0.1:$BACKEND_PORT; keepalive 10000; }"
    start_nginx s9d-plain "$proxy" "$upstream"
    local ngx_plain_pid=$NGINX_PID ngx_plain_port=$NGINX_PORT
    NGINX_TLS_CERT="$certs/localhost.pem" NGINX_TLS_KEY="$certs/localhost.key" \
      start_nginx s9d-tls "$proxy" "$upstream"
    local ngx_tls_pid=$NGINX_PID ngx_tls_port=$NGINX_PORT
    local v
    for r in $(seq "${S9_S3_ROUNDS:-2}"); do
      for v in direct plain https nginx-plain nginx-https; do
        local url pids port
        case $v in
          direct) url="http://127.0.0.1:$BACKEND_PORT/api/gizmos" pids=$(proc_tree "$BACKEND_PID") port=$BACKEND_PORT ;;
          plain) url="http://127.0.0.1:$plain_port/gizmos-async" pids=$plain_pid port=$plain_port ;;
          https) url="https://127.0.0.1:$tls_port/gizmos-async" pids=$tls_pid port=$tls_port ;;
          nginx-plain) url="http://127.0.0.1:$ngx_plain_port/gizmos" port=$ngx_plain_port
                       pids=$(proc_tree "$ngx_plain_pid") ;;
          nginx-https) url="https://127.0.0.1:$ngx_tls_port/gizmos" port=$ngx_tls_port
                       pids=$(proc_tree "$ngx_tls_pid") ;;
        esac
        local f="$WORK/s9d-$v-$r.txt" t0 t1 before
        before=$(open_conns "$port")
        # shellcheck disable=SC2086
        t0=$(cpu_ticks $pids)
        run_wrk "$f" -t2 -c"$c" -d"${dur}s" --timeout 10s -s "$HERE/steady.lua" "$url"
        # shellcheck disable=SC2086
        t1=$(cpu_ticks $pids)
        settle "$port" "$before"
        echo "d-s3-$c,$v,$r,$(wrk_ok_rps "$f"),$(wrk_p99 "$f"),$(( $(wrk_non2xx "$f") + $(wrk_sockerr "$f") )),$(cpu_us_per_request $(( t1 - t0 )) "$f"),$(awk '/^steady:/ {print $NF}' "$f" | tr -d '/s')" >> "$csv"
      done
    done
    stop_pid "$ngx_tls_pid"
    stop_pid "$ngx_plain_pid"
    stop_pid "$tls_pid"
    stop_pid "$plain_pid"
    stop_pid "$BACKEND_PID"
    BACKEND_PORT=""
  fi

  echo
  echo "S9 HTTPS ($(machine_line)); ${secs}s runs, median of $rounds alternating rounds; $(openssl version)"
  local part
  for part in a-h1-keepalive b-h2 c-new-connections; do
    local wr nr wp np wc nc we ne
    wr=$(awk -F, -v p=$part '$1==p && $2=="weft" {print $4}' "$csv")
    nr=$(awk -F, -v p=$part '$1==p && $2=="nginx" {print $4}' "$csv")
    [[ -z $wr || -z $nr ]] && continue # a part not run (S9_PARTS)
    wr=$(echo "$wr" | median)
    nr=$(echo "$nr" | median)
    wp=$(awk -F, -v p=$part '$1==p && $2=="weft" {print $5}' "$csv" | median)
    np=$(awk -F, -v p=$part '$1==p && $2=="nginx" {print $5}' "$csv" | median)
    wc=$(awk -F, -v p=$part '$1==p && $2=="weft" {print $7}' "$csv" | median)
    nc=$(awk -F, -v p=$part '$1==p && $2=="nginx" {print $7}' "$csv" | median)
    we=$(awk -F, -v p=$part '$1==p && $2=="weft" {s+=$6} END {print s+0}' "$csv")
    ne=$(awk -F, -v p=$part '$1==p && $2=="nginx" {s+=$6} END {print s+0}' "$csv")
    awk -v p="$part" -v wr="$wr" -v nr="$nr" -v wp="$wp" -v np="$np" -v wc="$wc" -v nc="$nc" \
        -v we="$we" -v ne="$ne" 'BEGIN {
      printf "  %-18s weft %9.0f/s p99 %7.2f ms cpu %6.1f us err %d | nginx %9.0f/s p99 %7.2f ms cpu %6.1f us err %d | rate %.3f, cpu %.3f\n",
             p, wr, wp, wc, we, nr, np, nc, ne, wr / nr, wc / nc }'
  done
  awk -F, '$1=="c-new-connections" {v[$3","$2]=$4; c[$3","$2]=$7; n=$3}
    END {for (r = 1; r <= n; r++) print v[r",weft"] / v[r",nginx"], c[r",weft"] / c[r",nginx"]}' "$csv" |
    sort -g > "$WORK/s9c-pairs"
  echo "  c, the median of the $(wc -l < "$WORK/s9c-pairs") pairs' ratios: rate $(awk '{print $1}' "$WORK/s9c-pairs" | median), cpu $(awk '{print $2}' "$WORK/s9c-pairs" | sort -g | median) (each pair's: $(awk '{printf "%.2f ", $1}' "$WORK/s9c-pairs"))"
  echo "  weft's handshakes over the run: $(( full1 - full0 )) full, $(( res1 - res0 )) resumed"
  if [[ ${S9_PARTS:-abcd} == *d* ]]; then
    local col
    for col in 4 8; do
      local d p h np nh
      d=$(awk -F, -v k=$col '$1 ~ /^d-/ && $2=="direct" {print $k}' "$csv" | median)
      p=$(awk -F, -v k=$col '$1 ~ /^d-/ && $2=="plain" {print $k}' "$csv" | median)
      h=$(awk -F, -v k=$col '$1 ~ /^d-/ && $2=="https" {print $k}' "$csv" | median)
      np=$(awk -F, -v k=$col '$1 ~ /^d-/ && $2=="nginx-plain" {print $k}' "$csv" | median)
      nh=$(awk -F, -v k=$col '$1 ~ /^d-/ && $2=="nginx-https" {print $k}' "$csv" | median)
      awk -v d="$d" -v p="$p" -v h="$h" -v np="$np" -v nh="$nh" -v c="$c" -v what="$([[ $col == 4 ]] && echo "whole ${dur} s run" || echo "after the first 5 s")" 'BEGIN {
        printf "  S3 /gizmos-async at %d clients, %s: backend alone %.0f/s; weft plain %.0f/s (%.4f of it), https %.0f/s (%.4f), difference %.4f; nginx plain %.0f/s (%.4f), https %.0f/s (%.4f), difference %.4f\n",
               c, what, d, p, p / d, h, h / d, p / d - h / d, np, np / d, nh, nh / d, np / d - nh / d }'
    done
  fi
  echo "  csv: $csv"
}
