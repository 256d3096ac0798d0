#!/usr/bin/env bash
# docs.sh [OUT] - the API reference (Doxygen, docs/api/Doxyfile) into OUT
# (build/docs): HTML at OUT/html/index.html. Any Doxygen warning - an
# undocumented public declaration, a broken reference - fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/docs}
mkdir -p "$out"
export WEFT_DOCS_OUT=$out
export WEFT_VERSION=$(sed -n 's/^#define WEFT_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' include/weft/version.h | paste -sd.)
rm -f "$out/warnings.txt"
status=0
doxygen docs/api/Doxyfile || status=$?
if [[ -s $out/warnings.txt ]]; then
  cat "$out/warnings.txt" >&2
  echo "docs: $(grep -cE 'warning:|error:' "$out/warnings.txt") Doxygen warnings" >&2
  exit 1
fi
[[ $status == 0 ]] || exit $status
echo "docs: $out/html/index.html (no warnings)"
