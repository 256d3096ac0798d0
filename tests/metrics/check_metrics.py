#!/usr/bin/python3
"""check_metrics.py BIN_DIR - /metrics read by a real Prometheus parser
(Debian's python3-prometheus-client) while weft-hello is under scripted
load: the sync pool saturated (queue > 0, 503s counted), then async load
(many requests in flight, loop lag near zero); then a front's per-backend
figures (calls, connections, latency, errors by kind). Loopback only;
stops the servers it started. Prints "N passed, N failed"."""
import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time

from prometheus_client.parser import text_string_to_metric_families

BIN = sys.argv[1]
SANITIZED = os.environ.get("WT_SANITIZED") == "1"
results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("ok: " if ok else "FAIL: ") + name + (f" ({detail})" if detail else ""))


def get(port, path, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, r.getheader("Content-Type"), body


def scrape(port):
    status, ctype, body = get(port, "/metrics")
    families = {}
    for f in text_string_to_metric_families(body):  # raises on bad syntax
        if f.name in families:  # e.g. a gauge x beside a counter x_total
            raise ValueError(f"metric family {f.name} declared twice")
        families[f.name] = f
    return status, ctype, families


def value(families, name, **labels):
    """The value of the sample called name (a family's name, or a
    histogram's _bucket/_sum/_count, a counter's _total) with labels."""
    for fam in families.values():
        for s in fam.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def settled(port, name, want, **labels):
    """Scrapes until the sample says want (a request is counted as it
    ends, which can come just after its answer reached the client), at
    most 3 s; returns the last scrape."""
    until = time.time() + 3
    while True:
        fams = scrape(port)[2]
        if value(fams, name, **labels) == want or time.time() > until:
            return fams
        time.sleep(0.05)


def load(port, path, n):
    out = []

    def one():
        try:
            out.append(get(port, path)[0])
        except OSError as e:
            out.append(str(e))

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    return threads, out


server = subprocess.Popen(
    [f"{BIN}/weft-hello", "--port", "0", "--quiet", "--loops", "2", "--metrics", "/metrics",
     "--workers", "2", "--queue-length", "3"],
    stderr=subprocess.PIPE, text=True)
try:
    line = server.stderr.readline()
    port = int(re.search(r":(\d+) \(", line).group(1))

    status, ctype, fams = scrape(port)
    check("GET /metrics answers 200 in the text format", status == 200 and
          ctype.startswith("text/plain; version=0.0.4"), f"{status} {ctype}")
    for name, kind in [("weft_requests", "counter"), ("weft_request_duration_seconds", "histogram"),
                       ("weft_requests_in_flight", "gauge"), ("weft_pool_queue_wait_seconds", "histogram"),
                       ("weft_loop_lag_seconds", "gauge"), ("weft_fiber_stack_bytes", "gauge"),
                       ("process_resident_memory_bytes", "gauge"), ("process_open_fds", "gauge")]:
        check(f"family {name} is a {kind}", name in fams and fams[name].type == kind)
    check("resident memory and descriptors are real",
          value(fams, "process_resident_memory_bytes") > 1e6 and value(fams, "process_open_fds") > 3)

    # The sync pool saturated: 2 workers, 3 queued, the rest shed with 503.
    threads, codes = load(port, "/sleep?ms=1000", 12)
    time.sleep(0.4 if not SANITIZED else 1.5)
    _, _, fams = scrape(port)
    busy, queued = value(fams, "weft_pool_busy"), value(fams, "weft_pool_queued")
    shed = value(fams, "weft_responses_total", status="503")
    sync_inflight = value(fams, "weft_requests_in_flight", kind="sync")
    check("while the pool is saturated: every worker busy, the queue non-empty",
          busy == 2 and queued > 0, f"busy {busy} queued {queued}")
    check("while the pool is saturated: 503s counted", shed and shed > 0, f"503 {shed}")
    check("while the pool is saturated: sync requests in flight", sync_inflight >= 2,
          f"{sync_inflight}")
    for t in threads:
        t.join()
    ok, rejected = codes.count(200), codes.count(503)
    fams = settled(port, "weft_requests_total", ok, method="GET", route="/sleep", **{"class": "2xx"})
    by_class = {k: value(fams, "weft_requests_total", method="GET", route="/sleep", **{"class": k})
                for k in ("2xx", "5xx")}
    check("the scripted load's outcome is what the counters say",
          ok + rejected == 12 and by_class == {"2xx": ok, "5xx": rejected},
          f"{ok} ok, {rejected} shed; counters {by_class}")
    waited = value(fams, "weft_pool_queue_wait_seconds_count")
    check("queue waits observed for every job that ran", waited == ok, f"{waited} vs {ok}")

    # Async load holds no thread and keeps the loops turning.
    # sanitizer builds start 150 clients slowly: give the requests longer
    threads, codes = load(port, "/delay?ms=600" if not SANITIZED else "/delay?ms=3000", 150)
    time.sleep(0.35 if not SANITIZED else 1.2)
    _, _, fams = scrape(port)
    inflight = value(fams, "weft_requests_in_flight", kind="async")
    lags = [s.value for s in fams["weft_loop_lag_seconds"].samples]
    check("async load: many requests in flight on two loop threads", inflight >= 100, f"{inflight}")
    bound = 0.05 if not SANITIZED else 0.5
    check("async load: loop lag near zero", lags and max(lags) < bound, f"{lags}")
    for t in threads:
        t.join()
    fams = settled(port, "weft_request_duration_seconds_count", 150, route="GET /delay")
    slow = value(fams, "weft_request_duration_seconds_bucket", route="GET /delay", le="0.5")
    total = value(fams, "weft_request_duration_seconds_count", route="GET /delay")
    check("the /delay histogram puts 150 requests of >= 600 ms above 0.5 s",
          total == 150 and slow == 0, f"count {total}, <=0.5s {slow}")
finally:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


def start(args):
    p = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    return p, int(re.search(r":(\d+) \(", p.stderr.readline()).group(1))


# The client's figures per backend: a front (weft-client-app) calling a
# weft-hello backend, and a port where nothing listens.
backend, bport = start([f"{BIN}/weft-hello", "--port", "0", "--quiet"])
front, fport = start([f"{BIN}/weft-client-app", "--port", "0", "--quiet", "--loops", "1",
                      "--metrics", "/metrics"])
try:
    url = f"http%3A%2F%2F127.0.0.1%3A{bport}%2Fdelay%3Fms%3D50"
    status, _, body = get(fport, f"/fetch-many?url={url}&n=12")
    check("the front made 12 calls to the backend", status == 200 and "ok=12 failed=0" in body, body)
    status, _, _ = get(fport, "/fetch?url=http%3A%2F%2F127.0.0.1%3A1%2F")
    check("a call to a closed port fails", status == 502, f"{status}")
    _, _, fams = scrape(fport)  # raises if the families and samples do not parse
    name = f"127.0.0.1:{bport}"
    check("per backend: 12 calls, none in flight, idle connections kept",
          value(fams, "weft_client_endpoint_calls_total", endpoint=name) == 12 and
          value(fams, "weft_client_endpoint_calls_in_flight", endpoint=name, state="active") == 0 and
          value(fams, "weft_client_endpoint_calls_in_flight", endpoint=name, state="waiting") == 0 and
          value(fams, "weft_client_endpoint_connections", endpoint=name, state="idle") >= 1,
          "")
    check("per backend: the latency histogram counts the 12 calls of ~50 ms",
          value(fams, "weft_client_call_duration_seconds_count", endpoint=name) == 12 and
          value(fams, "weft_client_call_duration_seconds_bucket", endpoint=name, le="0.025") == 0)
    check("per backend: the refusal counted by kind",
          value(fams, "weft_client_endpoint_errors_total", endpoint="127.0.0.1:1",
                error="WEFT_ECONNREFUSED") == 1)
finally:
    for p in (front, backend):
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()

print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
