#!/usr/bin/env bash
# The HTTP/1.1 conformance corpus (tests/conformance/cases.py) against weft
# and nginx in one run: each case's raw request on its own connection, the
# answer compared with what RFC 9110/9112/3986 require. nginx serves the
# same two resources as weft-hello (GET /plaintext, POST /echo via the echo
# module) and 404 elsewhere, with a 32 KiB header buffer like weft's limit.
# Prints both scores and the cases where they differ; the per-case results
# land in bench/results/conformance-{weft,nginx}.json.
#   bench/conformance.sh        (needs scripts/deps.sh --bench for nginx)
source "$(dirname "$0")/lib.sh"
start_weft hello weft-hello --header-timeout 1500
start_nginx conformance '
    client_header_timeout 1500ms;
    client_body_timeout 1500ms;
    large_client_header_buffers 4 32k;
    client_max_body_size 8m;
    location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
    location = /echo { echo_read_request_body; echo_request_body; }
    location / { return 404; }'
py=/usr/bin/python3
"$py" "$ROOT/tests/conformance/run.py" --port "$WEFT_PORT" --name weft --quiet \
  --json "$RESULTS/conformance-weft.json" || true
"$py" "$ROOT/tests/conformance/run.py" --port "$NGINX_PORT" --name "nginx $(nginx -v 2>&1 | sed 's/.*\///')" \
  --quiet --json "$RESULTS/conformance-nginx.json" || true
"$py" - "$RESULTS/conformance-weft.json" "$RESULTS/conformance-nginx.json" <<'PY'
import json, sys
w, n = (json.load(open(p)) for p in sys.argv[1:3])
print("cases where the two differ (section, case, weft, nginx):")
for a, b in zip(w, n):
    if a["ok"] != b["ok"]:
        mark = lambda r: ("ok" if r["ok"] else "WRONG") + f" {r['got']}" + (" closed" if r["closed"] and not r["got"] else "")
        print(f"  {a['section']:<12} {a['name'][:60]:<60} weft {mark(a)}; nginx {mark(b)}")
PY
