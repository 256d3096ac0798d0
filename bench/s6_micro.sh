# S6 runtime micro-benchmarks: bench/micro/micro.c. Sourced by run.sh.
s6() {
  echo
  echo "S6 ($(machine_line))"
  "$BIN/weft-micro" --csv "$RESULTS/s6_micro.csv" | sed 's/^/  /'
  echo "  csv: $RESULTS/s6_micro.csv"
}
