#!/usr/bin/python3
"""Allocation-failure injection over real HTTP (CTest "alloc_failures").

For each path a request takes - parse, route and respond in each handler
kind, and a backend call through weft's client - the request is first run
with nothing failing, to count the allocations weft makes for it (K).
Then, for every N in 0..K-1, a fresh server fails its Nth allocation after
being armed (tests/allocfail/alloc_fail.c) and the request is sent again.
Each run must end in a clean answer (200, or 500/502/503/504) or a clean
close - never a crash, a hang or garbage; the server must then answer the
next request with 200, and exit 0 on SIGTERM (in the ASan build, with no
leak reported).

Usage: run.py BIN_DIR [SCENARIO ...]
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
ONLY = sys.argv[2:]
SANITIZED = os.environ.get("WT_SANITIZED") == "1"
WAIT = 20.0 if SANITIZED else 5.0

ECHO = ("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n0\r\n\r\n")
SCENARIOS = [
    # name, binary, raw request, liveness request
    ("callback", "weft-hello-allocfail", "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", None),
    ("json", "weft-hello-allocfail", "GET /json HTTP/1.1\r\nHost: t\r\n\r\n", None),
    ("chunked-post", "weft-hello-allocfail", ECHO, None),
    ("not-found", "weft-hello-allocfail", "GET /nope?x=1 HTTP/1.1\r\nHost: t\r\n\r\n", None),
    ("bad-request", "weft-hello-allocfail", "GET /a b HTTP/1.1\r\nHost: t\r\n\r\n", None),
    ("fiber", "weft-hello-allocfail", "GET /delay?ms=5 HTTP/1.1\r\nHost: t\r\n\r\n", None),
    ("pool", "weft-hello-allocfail", "GET /sleep?ms=5 HTTP/1.1\r\nHost: t\r\n\r\n", None),
    ("fan-out", "weft-hello-allocfail", "GET /callback-fanout?ms=5&n=3 HTTP/1.1\r\nHost: t\r\n\r\n",
     None),
    ("client", "weft-client-app-allocfail", "GET /fetch?url={backend}/plaintext HTTP/1.1\r\n"
     "Host: t\r\n\r\n", "GET /client-stats HTTP/1.1\r\nHost: t\r\n\r\n"),
    ("client-sync", "weft-client-app-allocfail", "GET /fetch-sync?url={backend}/plaintext "
     "HTTP/1.1\r\nHost: t\r\n\r\n", "GET /client-stats HTTP/1.1\r\nHost: t\r\n\r\n"),
]
LIVE = "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"


class Server:
    def __init__(self, binary, nth):
        self.log = tempfile.NamedTemporaryFile(prefix="weft-allocfail-", delete=False)
        env = dict(os.environ, WEFT_ALLOC_FAIL_NTH=str(nth))
        self.proc = subprocess.Popen([os.path.join(BIN, binary), "--port", "0", "--loops", "1",
                                      "--workers", "2", "--quiet"],
                                     stdout=subprocess.DEVNULL, stderr=self.log, env=env)
        self.port = int(self.wait_for(r"listening on http://[^ ]*:(\d+)"))

    def text(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def wait_for(self, pattern):
        until = time.monotonic() + WAIT
        while time.monotonic() < until:
            m = re.search(pattern, self.text())
            if m:
                return m.group(1) if m.groups() else m.group(0)
            if self.proc.poll() is not None:
                break
            time.sleep(0.005)
        raise RuntimeError(f"server never printed {pattern!r}:\n{self.text()}")

    def arm(self):
        self.proc.send_signal(signal.SIGUSR2)
        self.wait_for(r"alloc_fail: armed")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(WAIT * 2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = "hang at exit"
        return rc

    def close(self):
        os.unlink(self.log.name)


def ask(port, raw):
    """Sends raw; returns the first status, "closed" for a close without
    an answer, "timeout" or "garbage"."""
    s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    try:
        s.sendall(raw.encode())
        data = b""
        until = time.monotonic() + WAIT
        while b"\r\n" not in data:
            s.settimeout(max(0.01, until - time.monotonic()))
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                return "timeout"
            except ConnectionResetError:
                return "closed"
            if not chunk:
                return "closed" if not data else "garbage"
            data += chunk
        m = re.match(rb"HTTP/1\.1 (\d{3}) ", data)
        return int(m.group(1)) if m else "garbage"
    finally:
        s.close()


def one_run(name, binary, raw, live, nth):
    """Returns (outcome of the request, problem or None, allocations counted)."""
    srv = Server(binary, nth)
    problem = None
    try:
        srv.arm()
        got = ask(srv.port, raw)
        if got not in (200, 400, 404, 500, 502, 503, 504, "closed"):
            problem = f"the request got {got}"
        # The server lives on: the next request is answered (one retry, in
        # case the failure landed in the first of them).
        if not problem:
            alive = ask(srv.port, live or LIVE)
            if alive != 200:
                alive = ask(srv.port, live or LIVE)
            if alive != 200:
                problem = f"the next request got {alive}"
    except Exception as e:  # a dead server shows up here
        problem = f"{type(e).__name__}: {e}"
        got = None
    rc = srv.stop()
    text = srv.text()
    srv.close()
    if rc != 0 and not problem:
        problem = f"exit status {rc}"
    if problem and os.environ.get("ALLOCFAIL_VERBOSE"):
        print(text)
    if problem and ("ERROR: AddressSanitizer" in text or "LeakSanitizer" in text or
                    "runtime error" in text):
        problem += "; sanitizer: " + text[text.find("ERROR") if "ERROR" in text else 0:][:400]
    m = re.search(r"allocations since armed: (\d+)", text)
    return got, problem, int(m.group(1)) if m else None


def main():
    backend = subprocess.Popen([os.path.join(BIN, "weft-hello"), "--port", "0", "--loops", "1",
                                "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    bport = None
    for line in backend.stderr:
        m = re.search(r"listening on http://[^ ]*:(\d+)", line)
        if m:
            bport = int(m.group(1))
            break
    failures = 0
    total_runs = 0
    try:
        for name, binary, raw, live in SCENARIOS:
            if ONLY and name not in ONLY:
                continue
            raw = raw.replace("{backend}", f"http://127.0.0.1:{bport}")
            got, problem, k = one_run(name, binary, raw, live, 1 << 40)
            if problem or got != (400 if name == "bad-request" else
                                  404 if name == "not-found" else 200) or not k:
                print(f"{name}: the run without failures went wrong: {got}, {problem}, k={k}")
                failures += 1
                continue
            outcomes = {}
            t0 = time.monotonic()
            for nth in range(k):
                if os.environ.get("ALLOCFAIL_NTH") and str(nth) != os.environ["ALLOCFAIL_NTH"]:
                    continue  # one N only, to read its log (ALLOCFAIL_VERBOSE=1)
                got, problem, _ = one_run(name, binary, raw, live, nth)
                total_runs += 1
                outcomes[got] = outcomes.get(got, 0) + 1
                if problem:
                    failures += 1
                    print(f"{name}: allocation {nth} of {k} failing: {problem}")
            summary = ", ".join(f"{v} x {k_}" for k_, v in sorted(outcomes.items(), key=str))
            print(f"{name}: {k} allocations, each failed in turn: {summary} "
                  f"({time.monotonic() - t0:.1f} s)", flush=True)
    finally:
        backend.send_signal(signal.SIGTERM)
        backend.wait(10)
    print(f"{total_runs} runs, {failures} problems")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
