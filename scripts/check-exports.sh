#!/usr/bin/env bash
# check-exports.sh LIB INCLUDE_DIR - the shared library exports the public
# API and nothing else: every defined dynamic symbol is a weft_* function
# declared WEFT_EXTERN in the headers (none of the dependencies' code, no
# weft__* internals), and every such declaration is exported.
set -euo pipefail
lib=$1 inc=$2
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort -u)
declared=$(grep -rhoE 'WEFT_EXTERN [^(]*\b(weft_[a-z0-9_]+)\(' "$inc" |
           sed -E 's/.*\b(weft_[a-z0-9_]+)\($/\1/' | sort -u)
status=0
stray=$(comm -23 <(echo "$exported") <(echo "$declared"))
if [[ -n "$stray" ]]; then
  echo "exported but not public API:"; echo "$stray" | sed 's/^/  /'; status=1
fi
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
if [[ -n "$missing" ]]; then
  echo "declared WEFT_EXTERN but not exported:"; echo "$missing" | sed 's/^/  /'; status=1
fi
n=$(echo "$exported" | wc -l)
[[ $status == 0 ]] && echo "exports: $n symbols, all weft_* and all declared WEFT_EXTERN"
exit $status
