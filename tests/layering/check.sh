#!/usr/bin/env bash
# check.sh - the layering rules of docs/design.md, checked on the sources:
#  1. libuv lives in src/loop only: no uv_/UV_ identifier anywhere else
#     (comments included: a comment naming libuv's calls is a sign that
#     code around it still thinks in them);
#  2. outside src/, nothing includes src/loop (but the loop layer's own
#     unit tests);
#  3. bench/, examples/ and the black-box tests (tests/blackbox, fixtures,
#     support) include nothing of src/ - only include/;
#  4. a unit test includes at most the internal headers of its own layer
#     (tests/unit/<layer>/ -> src/<layer>/).
# Prints each breach and exits 1 if there is any; "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
failed=0
passed=0
check() { # name, offending lines
    if [ -n "$2" ]; then
        echo "FAIL: $1"
        echo "$2" | sed 's/^/    /'
        failed=$((failed + 1))
    else
        echo "ok: $1"
        passed=$((passed + 1))
    fi
}
sources() { find "$@" -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' \) 2>/dev/null; }

check "no libuv identifier outside src/loop" \
    "$(sources src include tests bench examples | grep -v '^src/loop/' |
       xargs grep -nE '\b(uv_[a-z0-9_]+|UV_[A-Z0-9_]+)\b' /dev/null)"
check "nothing outside src/ includes src/loop" \
    "$(sources include tests bench examples | grep -v '^tests/unit/loop/' |
       xargs grep -nE '#\s*include\s*"[^"]*src/loop/' /dev/null)"
check "bench/, examples/ and black-box tests use only include/" \
    "$(sources bench examples tests/blackbox tests/fixtures tests/support |
       xargs grep -nE '#\s*include\s*"[^"]*(src/|\.\./)' /dev/null |
       grep -vE '#\s*include\s*"(\.\./)*support/|"wt[a-z_]*\.h"|"html\.h"|"proc_rss\.h"|"loop_fixture\.h"')"
unit_breaches=""
for f in $(sources tests/unit); do
    layer=$(basename "$(dirname "$f")")
    bad=$(grep -nE '#\s*include\s*"[^"]*src/' "$f" | grep -vE "src/$layer/" || true)
    [ -n "$bad" ] && unit_breaches+="$f: $bad"$'\n'
done
check "unit tests include only their own layer's internals" "$unit_breaches"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
