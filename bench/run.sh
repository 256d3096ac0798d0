#!/usr/bin/env bash
# bench/run.sh [SCENARIO...|all] - weft's benchmarks (shared/docs/BENCH.md).
# Starts what each scenario needs, sends bounded load to loopback only,
# stops what it started by PID, writes CSV (and plots) to bench/results/.
# Benchmarks are never part of the test suite.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/../scripts/deps.sh" --bench
make -C "$HERE/.." build >/dev/null
source "$HERE/lib.sh"
source "$HERE/s1_plaintext.sh"
source "$HERE/s5_memory.sh"
source "$HERE/s6_micro.sh"
source "$HERE/s7_client.sh"
source "$HERE/s3_starvation.sh"
source "$HERE/s2_fanout.sh"
source "$HERE/s4_bystanders.sh"
source "$HERE/s8_fanout_load.sh"
source "$HERE/s9_tls.sh"
source "$HERE/s10_processes.sh"
source "$HERE/s11_services.sh"

ulimit -n 20000 2>/dev/null || true
SCENARIOS=(s1 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11)
want=("${@:-all}")
[[ "${want[0]}" == all ]] && want=("${SCENARIOS[@]}")
for s in "${want[@]}"; do
  s=${s,,}
  if [[ " ${SCENARIOS[*]} " != *" $s "* ]]; then
    echo "unknown scenario '$s' (have: ${SCENARIOS[*]})" >&2
    exit 2
  fi
  "$s"
done
