#!/usr/bin/env bash
# bench/testssl.sh - testssl.sh (the Debian package) against weft's TLS
# port: weft-hello with a certificate made for the run, on loopback. Fails
# (exit 1) on any protocol below TLS 1.2 offered or any finding rated HIGH
# or CRITICAL, and prints a summary: the protocols, the cipher suites, and
# each finding rated MEDIUM or LOW with testssl's words. The test CA is
# handed to testssl (--add-ca), so the chain is judged as a client that
# trusts it would. A check, not a timed test: it takes a few minutes.
# KEEP_WORK=1 keeps testssl's JSON and log.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/../scripts/deps.sh" --bench
command -v testssl >/dev/null || { echo "testssl: not installed (apt-get install testssl.sh)" >&2; exit 2; }
make -C "$HERE/.." build >/dev/null
source "$HERE/lib.sh"

bash "$ROOT/scripts/tls-certs.sh" "$WORK/certs" >/dev/null
start_weft testssl weft-hello --tls-cert "$WORK/certs/localhost.pem" --tls-key "$WORK/certs/localhost.key"
json="$WORK/testssl.json"
testssl --quiet --color 0 --warnings off --add-ca "$WORK/certs/ca.pem" --jsonfile "$json" \
  "127.0.0.1:$WEFT_PORT" > "$WORK/testssl.log" 2>&1 || true
stop_pid "$WEFT_PID"
[[ -s $json ]] || { echo "testssl: no result" >&2; cat "$WORK/testssl.log" >&2; exit 1; }

version=$(testssl --version 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | grep -m1 -o 'testssl *[0-9][0-9.]*' || echo testssl)
python3 - "$json" "$version" "$(openssl version)" <<'PY'
import json, sys
findings = json.load(open(sys.argv[1]))
by_id = {f["id"]: f for f in findings}
bad = []
print(f"{sys.argv[2]} against weft-hello --tls-cert (weft linked with {sys.argv[3]})")
print("  protocols:")
for p in ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3"]:
    f = by_id.get(p)
    if not f:
        continue
    print(f"    {p:7} {f['finding']}")
    if p in ("SSLv2", "SSLv3", "TLS1", "TLS1_1") and "not offered" not in f["finding"]:
        bad.append(f"{p} offered")
ciphers = [f["finding"] for f in findings if f["id"].startswith("cipher-tls") or
           f["id"].startswith("cipher_x")]
print(f"  cipher suites offered: {len(ciphers)}")
for c in ciphers:
    print(f"    {' '.join(c.split())}")
counts = {}
for f in findings:
    sev = f.get("severity", "")
    counts[sev] = counts.get(sev, 0) + 1
    if sev in ("HIGH", "CRITICAL"):
        bad.append(f"{sev} {f['id']}: {f['finding']}")
print("  findings by severity: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
for sev in ("MEDIUM", "LOW", "WARN"):
    for f in findings:
        if f.get("severity") == sev:
            print(f"    {sev:6} {f['id']}: {f['finding']}")
if bad:
    print("FAIL:")
    for b in bad:
        print("  " + b)
    sys.exit(1)
print("ok: nothing below TLS 1.2, no finding rated HIGH or CRITICAL")
PY
