#!/usr/bin/env bash
# Builds the libFuzzer drivers (tests/fuzz) with clang and runs each for
# FUZZ_SECONDS (default 60), or for FUZZ_RUNS executions when that is set,
# on its seed corpus and dictionary; the corpus
# grown lands in build-fuzz/corpus/<driver>. Prints executions per driver.
# A crash leaves its input in build-fuzz/ and fails the run.
#   scripts/fuzz.sh [driver ...]     (default: all)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build-fuzz
GEN=$(command -v ninja >/dev/null 2>&1 && echo "-G Ninja" || true)
CC=clang cmake -S "$ROOT" -B "$OUT" $GEN -DWEFT_FUZZ=ON -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
declare -A DICT=([request]=http [router]=http [framing_diff]=http [response]=http [h2_client]=h2
                 [chunked]=chunked [h2_server]=h2 [json]=json)
drivers=("$@")
[[ ${#drivers[@]} -gt 0 ]] || drivers=(request chunked response router h2_server h2_client json framing_diff)
cmake --build "$OUT" -j "$(nproc)" --target $(printf 'fuzz_%s ' "${drivers[@]}")
if [[ -n "${FUZZ_RUNS:-}" ]]; then limit="-runs=$FUZZ_RUNS"; else limit="-max_total_time=${FUZZ_SECONDS:-60}"; fi
for d in "${drivers[@]}"; do
  start=$(date +%s)
  mkdir -p "$OUT/corpus/$d"
  cp -n "$ROOT/tests/fuzz/seeds/$d/"* "$OUT/corpus/$d/" 2>/dev/null || true
  log=$OUT/fuzz_$d.log
  (cd "$OUT" && "$OUT/bin/fuzz_$d" -dict="$ROOT/tests/fuzz/${DICT[$d]}.dict" \
      $limit -print_final_stats=1 "$OUT/corpus/$d" >"$log" 2>&1) || {
    echo "fuzz_$d: FAILED (see $log)"; tail -30 "$log"; exit 1; }
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz_$d: $execs executions in $(( $(date +%s) - start )) s, 0 crashes, corpus $(ls "$OUT/corpus/$d" | wc -l)"
done
