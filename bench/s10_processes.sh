# S10 worker processes under load: pgw-front --processes S10_PROCESSES (2),
# every other flag at its default, over pgw-backend (delay 500 ms); wrk
# -t2 -cS10_CLIENTS (4000) --timeout 10s on /json/gizmos-async for
# S10_SECONDS (20 s), twice:
#   kill  at 5 s one worker gets SIGKILL. Reported: wrk's errors, against
#         the client connections that worker held at that moment (ss); and
#         the time from the kill until its replacement accepts (the
#         master's warning "is ready ... in place of the one that died").
#   hup   SIGHUP to the master at 5 s and again at 12 s: every worker is
#         replaced twice. Reported: wrk's errors (the claim: 0).
# Sourced by run.sh; S10_PARTS="kill hup" chooses.
s10() {
  local dur=${S10_SECONDS:-20} clients=${S10_CLIENTS:-4000} procs=${S10_PROCESSES:-2}
  local csv="$RESULTS/s10_processes.csv"
  echo "part,clients,ok_rps,ok_over_ideal,p99_ms,non2xx,sock_errors,held_by_killed,replaced_after_ms" > "$csv"
  local part
  for part in ${S10_PARTS:-kill hup}; do
    start_pgw_front "s10-$part" --processes "$procs"
    local url="http://127.0.0.1:$FRONT_PORT/json/gizmos-async" f="$WORK/s10-$part.txt"
    local log="$WORK/s10-$part.log" held=0 replaced=""
    run_wrk "$f" -t2 -c"$clients" -d"${dur}s" --timeout 10s "$url" &
    local wp=$!
    sleep 5
    if [[ $part == kill ]]; then
      local victim t0
      victim=$(pgrep -P "$FRONT_PID" | head -1)
      held=$(ss -Htnp state established "( sport = :$FRONT_PORT )" | grep -c "pid=$victim," || true)
      t0=$(date +%s%N)
      kill -KILL "$victim"
      local _
      for _ in $(seq 500); do
        if grep -q "in place of the one that died" "$log"; then
          replaced=$(( ($(date +%s%N) - t0) / 1000000 ))
          break
        fi
        sleep 0.01
      done
    else
      kill -HUP "$FRONT_PID"
      sleep 7
      kill -HUP "$FRONT_PID"
    fi
    wait "$wp"
    settle "$FRONT_PORT"
    awk -v p="$part" -v c="$clients" -v ok="$(wrk_ok_rps "$f")" -v p99="$(wrk_p99 "$f")" \
        -v bad="$(wrk_non2xx "$f")" -v se="$(wrk_sockerr "$f")" -v h="$held" -v r="${replaced:-none}" \
        'BEGIN {printf "%s,%d,%.1f,%.4f,%s,%d,%d,%d,%s\n", p, c, ok, ok / (c / 0.5), p99, bad, se, h, r}' >> "$csv"
    stop_pid "$FRONT_PID"
    stop_pid "$BACKEND_PID"
    BACKEND_PORT=""
  done
  echo
  echo "S10 worker processes under load ($(machine_line)); wrk -t2 -c$clients ${dur}s --timeout 10s, --processes $procs"
  column -s, -t "$csv" | sed 's/^/  /'
  echo "  csv: $csv"
}
