#!/usr/bin/env bash
# Runs the browser test under Debian 12's own nodejs (18.x), even on a
# machine that has another node installed: Debian's nodejs, libnode and the
# node-* packages it loads its built-ins from are fetched with apt-get
# download and unpacked under a temporary directory, and the test runs in a
# private mount namespace that overlays their /usr/share/nodejs. Nothing is
# installed. Not part of the timed suite (it downloads ~12 MB); usage:
#   scripts/check-debian-node.sh [build-dir]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
WORK=$(mktemp -d /tmp/weft-debian-node.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
VER=$(apt-cache madison nodejs | awk '/debian.org/ {print $3; exit}')
[[ -n "$VER" ]] || { echo "no Debian nodejs in the apt sources" >&2; exit 1; }
cd "$WORK"
apt-get download -q "nodejs=$VER" "libnode108=$VER" node-acorn node-cjs-module-lexer \
  node-undici node-xtend 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
for f in *.deb; do dpkg -x "$f" root; done
mkdir -p bin
cat >bin/node <<EON
#!/bin/sh
LD_LIBRARY_PATH=$WORK/root/usr/lib/x86_64-linux-gnu exec $WORK/root/usr/bin/node "\$@"
EON
chmod +x bin/node
echo "check-debian-node: Debian nodejs $VER ($(PATH=$WORK/bin:$PATH unshare -mr sh -c \
  "mount -t overlay overlay -o lowerdir=$WORK/root/usr/share:/usr/share /usr/share && node --version"))"
unshare -mr sh -c "mount -t overlay overlay -o lowerdir=$WORK/root/usr/share:/usr/share /usr/share &&
  PATH=$WORK/bin:\$PATH '$ROOT/tests/browser/run.sh' '$BUILD/bin' '$WORK/shots'"
