#!/usr/bin/python3
"""HTTP/1.1 conformance corpus runner (tests/conformance/cases.py).

Sends each raw request of the corpus on its own loopback connection and
compares what comes back with what the RFC says it must get:

  int        exactly one response with this status
  "accept"   one response, and the message was accepted (not 400, 411,
             413, 414, 417, 431, 501 or 505): routing may answer 200, 404, 405
  "close"    no response at all, the connection closed
  [..]       pipelined: these, in order, and nothing more

Usage:
  run.py --server BIN_DIR          start weft-hello on a free port, run, stop it
  run.py --port N [--name NAME]    run against a server already listening
  --json FILE                      write per-case results (for bench/conformance.sh)
Exit status 1 if any case fails (with --server: the CTest verdict).
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import CASES  # noqa: E402

REFUSALS = {400, 411, 413, 414, 417, 431, 501, 505}


def read_responses(sock, want_count, head_only, timeout=2.0):
    """Reads responses until want_count have arrived (then waits briefly
    for anything extra) or the peer closes. Returns (statuses, closed)."""
    sock.settimeout(timeout)
    buf = b""
    statuses = []
    closed = False
    deadline = time.monotonic() + timeout
    settle = None
    while True:
        if len(statuses) >= want_count and settle is None:
            settle = time.monotonic() + 0.05  # anything extra shows up quickly
        now = time.monotonic()
        limit = min(deadline, settle) if settle else deadline
        if now >= limit:
            break
        sock.settimeout(limit - now)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        buf += chunk
        while True:
            parsed = parse_one(buf, head_only)
            if parsed is None:
                break
            status, used = parsed
            statuses.append(status)
            buf = buf[used:]
    if buf.strip():
        statuses.append("garbage")
    return statuses, closed


def parse_one(buf, head_only=False):
    """One response from buf: (status, bytes used) or None if incomplete.
    head_only: the answer to HEAD, which has no body whatever it says."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].decode("latin-1")
    m = re.match(r"HTTP/1\.[01] (\d{3})", head)
    if not m:
        return ("garbage", len(buf))
    status = int(m.group(1))
    body_at = end + 4
    if 100 <= status < 200 or head_only:
        return (status, body_at)  # an interim response: counted, then the real one
    cl = re.search(r"(?im)^content-length:\s*(\d+)", head)
    if re.search(r"(?im)^transfer-encoding:.*chunked", head):
        p = body_at
        while True:
            nl = buf.find(b"\r\n", p)
            if nl < 0:
                return None
            size = int(buf[p:nl].split(b";")[0], 16)
            p = nl + 2
            if size == 0:
                t = buf.find(b"\r\n\r\n", p - 2)
                return None if t < 0 else (status, t + 4)
            if len(buf) < p + size + 2:
                return None
            p += size + 2
    n = int(cl.group(1)) if cl else 0
    if len(buf) < body_at + n:
        return None
    return (status, body_at + n)


def judge(expect, statuses, closed):
    want = expect if isinstance(expect, list) else [expect]
    if want == ["close"]:
        return statuses == [] and closed
    got = [s for s in statuses if not (isinstance(s, int) and 100 <= s < 200)]
    if len(got) != len(want):
        return False
    for w, g in zip(want, got):
        if not isinstance(g, int):
            return False
        if w == "accept":
            if g in REFUSALS or g >= 500 and g != 503:
                return False
        elif w != g:
            return False
    return True


def run_case(port, case):
    section, name, raw, expect = case[:4]
    opts = case[4] if len(case) > 4 else {}
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    try:
        s.sendall(raw)
        if opts.get("shut_wr"):
            s.shutdown(socket.SHUT_WR)
        want = len(expect) if isinstance(expect, list) else (0 if expect == "close" else 1)
        statuses, closed = read_responses(s, want, opts.get("head", False),
                                          timeout=opts.get("timeout", 2.0))
    finally:
        s.close()
    return judge(expect, statuses, closed), statuses, closed


def start_weft(bin_dir):
    proc = subprocess.Popen([os.path.join(bin_dir, "weft-hello"), "--port", "0", "--quiet",
                             "--header-timeout", "1500"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    for line in proc.stderr:
        m = re.search(r"listening on http://[^ ]*:(\d+)", line)
        if m:
            return proc, int(m.group(1))
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit("weft-hello did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server")
    ap.add_argument("--port", type=int)
    ap.add_argument("--name", default="weft")
    ap.add_argument("--json")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    proc = None
    if a.server:
        proc, port = start_weft(a.server)
    else:
        port = a.port
    results = []
    try:
        for case in CASES:
            ok, statuses, closed = run_case(port, case)
            results.append({"section": case[0], "name": case[1], "expect": case[3],
                            "got": statuses, "closed": closed, "ok": ok})
            if not ok and not a.quiet:
                print(f"FAIL {case[0]} {case[1]}: want {case[3]}, got {statuses}"
                      f"{' (closed)' if closed else ''}")
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = -1
            if rc != 0:
                print(f"weft-hello exited with {rc}")
                results.append({"ok": False, "name": "server exit"})
    passed = sum(r["ok"] for r in results)
    print(f"{a.name}: {passed}/{len(results)} cases as the RFCs require")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
