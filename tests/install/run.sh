#!/usr/bin/env bash
# run.sh BUILD_DIR SOURCE_DIR - weft as a user gets it: `make install` into
# a temporary prefix, then weft's examples and a small program of the
# test's own (consumer/tiny.c), copied outside the source tree, built
#   1. with pkg-config --cflags --libs weft (the shared library),
#   2. with pkg-config --static against libweft.a,
#   3. with CMake's find_package(weft) and weft::weft,
# and run: each build of tiny answers HTTP, hello and api answer too, and
# fetch fetches from tiny. Only loopback; every server is stopped by PID.
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
work=$(mktemp -d /tmp/weft-install-test.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
[[ ${KEEP:-} ]] && trap - EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix=$work/prefix
make -s -C "$src" install BUILD="$build" PREFIX="$prefix" > "$work/install.log"
[[ -L $prefix/lib/libweft.so.1 ]] || fail "no libweft.so.1 in $prefix/lib"
[[ -f $prefix/lib/libweft.a && -f $prefix/include/weft/version.h ]] || fail "libweft.a or headers missing"
grep -q 'max\\-body' "$prefix/share/man/man7/weft.7" || fail "weft(7) is missing or lists no flags"
soname=$(objdump -p "$prefix/lib/libweft.so" | awk '/SONAME/ {print $2}')
[[ $soname == libweft.so.1 ]] || fail "soname is '$soname'"

# The user's tree: the examples and tiny.c, nothing else of weft's.
cp -r "$src/examples" "$work/examples"
cp -r "$src/tests/install/consumer" "$work/consumer"
cd "$work"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[[ $(pkg-config --modversion weft) == $(sed -n 's/^#define WEFT_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' \
      "$src/include/weft/version.h" | paste -sd.) ]] || fail "weft.pc's version is not version.h's"
rpath=-Wl,-rpath,$(realpath "$(pkg-config --variable=libdir weft)")
cc_weft() { # out, sources and flags...
  local out=$1; shift
  cc -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -o "$out" "$@"
}

mkdir -p pc static
cc_weft pc/tiny consumer/tiny.c $(pkg-config --cflags --libs weft) "$rpath"
cc_weft pc/hello examples/hello/main.c $(pkg-config --cflags --libs weft) "$rpath"
cc_weft pc/fetch examples/fetch/main.c $(pkg-config --cflags --libs weft) "$rpath"
cc_weft pc/api examples/api/main.c $(pkg-config --cflags --libs weft zlib) "$rpath"
cc_weft pc/chat examples/chat/main.c -DWEFT_CHAT_PUBLIC="\"$work/examples/chat/public\"" \
  $(pkg-config --cflags --libs weft) "$rpath"
cc_weft pc/pgw-backend examples/pgw/backend.c $(pkg-config --cflags --libs weft) "$rpath"
cc_weft pc/pgw-front examples/pgw/{front,html,lab}.c $(pkg-config --cflags --libs weft) -lm "$rpath"
# libweft.a, its dependencies shared: weft.pc's private requirements and
# private libraries, one level deep (pkg-config --static would go on into
# libcurl's own static dependencies, which Debian's -dev packages lack).
static_libs="-l:libweft.a $(pkg-config --libs $(pkg-config --print-requires-private weft) jansson) \
  $(sed -n 's/^Libs.private: //p' "$prefix/lib/pkgconfig/weft.pc")"
cc_weft static/tiny consumer/tiny.c $(pkg-config --cflags weft) -L"$prefix/lib" $static_libs
# uses_installed BINARY: it loads the libweft.so.1 of the prefix
uses_installed() {
  local lib
  lib=$(ldd "$1" | awk '$1 == "libweft.so.1" {print $3}')
  [[ -n $lib && $(readlink -f "$lib") == $(readlink -f "$prefix/lib/libweft.so.1") ]]
}
ldd static/tiny | grep -q libweft && fail "static/tiny links libweft.so"
uses_installed pc/tiny || fail "pc/tiny does not use the installed libweft.so.1"

cmake -S consumer -B cm -DCMAKE_PREFIX_PATH="$prefix" -DWEFT_EXAMPLES="$work/examples" > cm.log 2>&1 ||
  { cat cm.log; fail "cmake configure"; }
cmake --build cm -j "$(nproc)" >> cm.log 2>&1 || { cat cm.log; fail "cmake build"; }
uses_installed cm/tiny || fail "cm/tiny does not use the installed libweft.so.1"

# start NAME BINARY ARGS...: runs a server on a free port, sets $port.
start() {
  local name=$1; shift
  "$@" --port 0 --quiet 2> "$work/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$work/$name.err")
    [[ -n $port ]] && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/$name.err" >&2
  fail "$name did not start"
}
get() { curl -sS --max-time 5 "$@"; }

version=$(pkg-config --modversion weft)
for b in pc static cm; do
  start "$b-tiny" "$b/tiny"
  body=$(get "http://127.0.0.1:$port/hello/ann")
  [[ $body == "hello ann from weft $version" ]] || fail "$b/tiny answered '$body'"
  # the example CLI, built the same way, fetching from it
  if [[ -x $b/fetch ]]; then
    out=$("$b/fetch" --timeout 3000 "http://127.0.0.1:$port/hello/bob") || fail "$b/fetch: $out"
    grep -q '200' <<<"$out" || fail "$b/fetch printed '$out'"
  fi
  kill "${pids[-1]}"; wait "${pids[-1]}" || true
  echo "ok: $b/tiny answers HTTP"
done
for b in pc cm; do
  start "$b-hello" "$b/hello"
  [[ $(get "http://127.0.0.1:$port/plaintext") == "Hello, World!" ]] || fail "$b/hello /plaintext"
  kill "${pids[-1]}"; wait "${pids[-1]}" || true
  start "$b-api" "$b/api"
  get -f "http://127.0.0.1:$port/items" | grep -q '\[' || fail "$b/api /items"
  kill "${pids[-1]}"; wait "${pids[-1]}" || true
  echo "ok: $b/hello and $b/api answer HTTP"
done

make -s -C "$src" uninstall BUILD="$build" PREFIX="$prefix" > /dev/null
left=$(find "$prefix" -type f | head -5)
[[ -z $left ]] || fail "uninstall left: $left"
echo "ok: installed, built out of tree three ways, ran, uninstalled"
