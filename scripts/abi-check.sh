#!/usr/bin/env bash
# abi-check.sh [BUILD] [--save] - libweft.so's ABI against the last
# release's, with Debian's abi-dumper and abi-compliance-checker (make
# abi). Not part of the timed suite: run it before a release, and on any
# change to include/.
#
#   abi/weft-X.Y.Z.dump.gz   the ABI of release X.Y.Z (the newest is the baseline)
#
# It dumps BUILD/libweft.so (built with -g: RelWithDebInfo or Debug) with
# the public headers, compares it with the baseline, prints the report's
# verdict and fails on any binary or source incompatibility. A release
# with the same major version must be compatible; one that bumps the
# major version (the soname) records a new baseline with --save.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
save=${2:-}
version=$(sed -n 's/^#define WEFT_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' include/weft/version.h | paste -sd.)
work=$(mktemp -d /tmp/weft-abi.XXXXXX)
trap 'rm -rf "$work"' EXIT

abi-dumper "$build/libweft.so" -o "$work/current.dump" -lver "$version" \
  -public-headers include > "$work/dump.log" 2>&1 || { cat "$work/dump.log"; exit 1; }

if [[ $save == --save ]]; then
  gzip -9 -c "$work/current.dump" > "abi/weft-$version.dump.gz"
  echo "abi: saved abi/weft-$version.dump.gz as the baseline"
  exit 0
fi

baseline=$(ls abi/weft-*.dump.gz 2>/dev/null | sort -V | tail -1)
[[ -n $baseline ]] || { echo "abi: no baseline in abi/ (make one with --save)"; exit 1; }
gunzip -c "$baseline" > "$work/baseline.dump"
status=0
abi-compliance-checker -l weft -old "$work/baseline.dump" -new "$work/current.dump" \
  -report-path "$build/abi-report.html" > "$work/check.log" 2>&1 || status=$?
grep -E 'Binary compatibility|Source compatibility|Total binary|Total source' "$work/check.log" || true
echo "abi: $baseline -> $version; report: $build/abi-report.html"
if [[ $status != 0 ]]; then
  echo "abi: INCOMPATIBLE with $baseline (see the report)" >&2
  exit 1
fi
echo "abi: compatible"
