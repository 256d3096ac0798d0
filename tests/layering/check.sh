#!/usr/bin/env bash
# check.sh - the layering rules of docs/design.md, checked on the sources:
#  1. libuv and liburing live in src/loop only: no uv_/UV_ or io_uring
#     identifier anywhere else
#     (comments included: a comment naming libuv's calls is a sign that
#     code around it still thinks in them);
#  2. outside src/, nothing includes src/loop (but the loop layer's own
#     unit tests);
#  3. bench/, examples/ and the black-box tests (tests/blackbox, fixtures,
#     support) include nothing of src/ - only include/;
#  4. a unit test includes at most the internal headers of its own layer
#     (tests/unit/<layer>/ -> src/<layer>/; tests/unit/http covers the
#     protocol folders src/http1 and src/http2 too);
#  5. the folders of src/ include only the folders below them (the layer
#     table of docs/design.md): no arrow runs upwards, so no circle.
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
check "no io_uring identifier outside src/loop" \
    "$(sources src include tests bench examples | grep -v '^src/loop/' |
       xargs grep -nE '\b(io_uring_[a-z0-9_]+|IORING_[A-Z0-9_]+)\b|liburing' /dev/null)"
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
    bad=$(grep -nE '#\s*include\s*"[^"]*src/' "$f" | grep -vE "src/$layer[0-9]*/" || true)
    [ -n "$bad" ] && unit_breaches+="$f: $bad"$'\n'
done
check "unit tests include only their own layer's internals" "$unit_breaches"

# Each folder and what it may include of src/ (besides itself and include/).
declare -A below=(
    [base]="" [loop]="base" [task]="base loop" [fiber]="base loop task pool"
    [pool]="base loop task" [http]="base" [tls]="base loop"
    [server]="base loop task fiber pool http tls"
    [middleware]="base loop task fiber pool http tls server"
    [client]="base loop task fiber http tls"
    [http1]="base loop task fiber pool http tls server client http2"
    [http2]="base loop task fiber pool http tls server client"
    [app]="base loop task fiber pool http tls server client http1 http2"
)
upward=""
for dir in src/*/; do
    layer=$(basename "$dir")
    if [[ -z ${below[$layer]+set} ]]; then
        upward+="src/$layer: a folder the layer table does not name"$'\n'
        continue
    fi
    for used in $(sources "$dir" | xargs grep -hoE '#\s*include\s*"\.\./[a-z0-9]+/' /dev/null |
                  sed -E 's|.*"\.\./||; s|/$||' | sort -u); do
        [[ " ${below[$layer]} " == *" $used "* ]] ||
            upward+="src/$layer includes src/$used"$'\n'
    done
done
check "src/ folders include only the layers below them" "$upward"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
