#!/usr/bin/python3
"""The mutation check: does the test suite catch the bugs that matter?

Each mutant below is a hand-written, one-place change to a rule weft must
keep (limits, status codes, cancellation, deadlines, exactly-once
completion, admission, drain, the parser's strictness). One at a time, it
is applied to a copy of the source tree, the copy is rebuilt, and the
suite is run (ctest, every test but the browser one: first the tests
expected to catch it, then, if they pass, all of them); the mutant must
be *killed* - some test must fail, twice in a row. A mutant that
survives names a rule no test checks. The unmutated copy must pass first.

Usage: scripts/mutants.py [--jobs N] [NAME ...]      (not in the timed suite)
Writes the table to build-mutants/result.md; exit 1 if any survived.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (name, file, original text (must occur exactly once), mutated text, what the bug is)
MUTANTS = [
    ("cl-limit-inclusive", "src/http1/server.c",
     "(uint64_t)c->ctx.req.content_length > cfg->limits.max_body", "(uint64_t)c->ctx.req.content_length >= cfg->limits.max_body",
     "a declared body exactly at --max-body refused with 413"),
    ("chunked-limit-inclusive", "src/http/chunked.c",
     "if (d->total + d->remaining > max_body) {", "if (d->total + d->remaining >= max_body) {",
     "a chunked body exactly at --max-body refused with 413"),
    ("deadline-no-cancel", "src/server/dispatch.c",
     "    weft_scope_cancel(&c->scope, WEFT_ETIMEDOUT);\n    weft__ctx_release(c);",
     "    weft__ctx_release(c);",
     "the route deadline answers 504 but no longer cancels the request's scope"),
    ("grace-timer-never-started", "src/app/app.c",
     "    weft_timer_start(&app->ctl, &app->grace, (uint64_t)app->cfg.shutdown_grace_ms, on_grace);",
     "    (void)on_grace;", "SIGTERM never starts the --shutdown-grace timer"),
    ("duplicate-cl-accepted", "src/http/parser.c",
     "    if (req->has_content_length)\n        return fail(req, WEFT_EBADMSG, \"duplicate Content-Length\");",
     "", "two Content-Length fields accepted (the last wins)"),
    ("cl-and-te-accepted", "src/http/parser.c",
     "        if (req->has_content_length)\n            return fail(req, WEFT_EBADMSG, \"both Content-Length and Transfer-Encoding\");",
     "", "Content-Length beside Transfer-Encoding accepted: request smuggling"),
    ("missing-host-accepted", "src/http/parser.c",
     "    if (req->minor == 1 && !st->host_seen)", "    if (0)",
     "HTTP/1.1 without Host accepted"),
    ("space-before-colon-accepted", "src/http/parser.c",
     "    while (p < eol && weft__tchar[(unsigned char)*p])\n        p++;\n    if (p == n || p == eol || *p != ':')",
     "    while (p < eol && weft__tchar[(unsigned char)*p])\n        p++;\n    while (p < eol && *p == ' ')\n        p++;\n    if (p == n || p == eol || *p != ':')",
     "whitespace between a field name and its colon accepted (RFC 9112 5.1: a smuggling vector)"),
    ("bare-lf-accepted", "src/http/parser.c",
     "        if (*p == '\\n')\n            return -1;\n    }\n    return 0;\n}",
     "    }\n    return 0;\n}", "a bare LF inside a line no longer an error"),
    ("fragment-accepted", "src/http/uri.c",
     "        if (c == '?') {\n            in_query = 1;\n            continue;\n        }",
     "        if (c == '?' || c == '#') {\n            in_query = 1;\n            continue;\n        }",
     "a '#' fragment in the request target accepted"),
    ("ipv6-double-elision-accepted", "src/http/uri.c",
     "            if (elided)\n                return 0; /* \"::\" at most once */\n",
     "", "an IPv6 literal with '::' twice accepted (Host: [4712::abcd::])"),
    ("port-range-unchecked", "src/http/uri.c",
     "            if (port > 65535)\n                return \"the port in the authority is out of range\";\n",
     "", "a port past 65535 accepted"),
    ("numeric-host-accepted", "src/http/uri.c",
     "    if (label_is_numeric(last, last_end) && !ipv4_valid(p, end))",
     "    if (0 && label_is_numeric(last, last_end))", "Host: 0x7f.1 accepted"),
    ("chunk-ext-bws-then-crlf", "src/http/chunked.c",
     "        return ch == ';' ? CH_EXT_NAME_START : weft__is_ows(ch) ? CH_EXT_WS : -1;",
     "        return ch == ';' ? CH_EXT_NAME_START : weft__is_ows(ch) ? CH_EXT_AFTER : -1;",
     "a chunk size followed by whitespace and no ';' accepted"),
    ("te-chunked-twice", "src/http/parser.c",
     "        if (st->te_chunked > 1)", "        if (st->te_chunked > 2)",
     "Transfer-Encoding: chunked, chunked accepted"),
    ("half-close-cancels", "src/http1/server.c",
     "    if (c->state == CONN_HEAD || c->state == CONN_BODY)\n        weft__h1_process(c);\n}\n\nstatic void h1_writable",
     "    if (c->state == CONN_HEAD || c->state == CONN_BODY)\n        weft__h1_process(c);\n    else if (c->state == CONN_HANDLING)\n        weft__request_client_gone(&c->ctx, \"went away\");\n}\n\nstatic void h1_writable",
     "a client's FIN after its request cancels the request (RFC 9112 9.6)"),
    ("disconnect-no-cancel", "src/server/request.c",
     "    weft_scope_cancel(&c->scope, WEFT_ECANCELED);\n}",
     "}", "a client that is gone no longer cancels its request's work"),
    ("admission-off-by-one", "src/server/dispatch.c",
     "    return total > (uint64_t)app->cfg.max_concurrent;",
     "    return total > (uint64_t)app->cfg.max_concurrent + 1;",
     "--max-concurrent admits one request too many"),
    ("no-retry-after", "src/server/dispatch.c",
     "    weft_add_header(c, \"Retry-After\", secs);", "",
     "503 answers without Retry-After"),
    ("pool-queue-off-by-one", "src/pool/pool.c",
     "pool->queued >= free_workers + pool->queue_len", "pool->queued > free_workers + pool->queue_len",
     "the worker pool queues one job more than --queue-length"),
    ("task-completes-twice", "src/task/task.c",
     "    if (t->done) {\n        if (dtor && value)\n            dtor(value);\n        return WEFT_ESTATE;\n    }",
     "", "a task may complete twice: waiters run again, values leak"),
    ("drain-keeps-alive", "src/http1/server.c",
     "    if (atomic_load_explicit(&c->sl->draining, memory_order_relaxed) ||\n        atomic_load_explicit(&c->app->shutting_down, memory_order_relaxed))\n        c->close_after = 1;",
     "", "a draining server no longer says Connection: close"),
    ("too-many-fields-accepted", "src/http/parser.c",
     "        if (req->nheaders >= lim->max_headers || req->nheaders >= hdr_cap)",
     "        if (req->nheaders >= hdr_cap)", "--max-headers no longer enforced (431)"),
    ("http10-keepalive-default", "src/http/parser.c",
     "        req->keep_alive = st->conn_keep && !st->conn_close;",
     "        req->keep_alive = !st->conn_close;", "HTTP/1.0 connections kept alive without asking"),
    ("scan-skips-limits", "src/http/parser.c",
     "        return parse || len - s->line_start > lim->max_request_line;", "        return parse;",
     "a request line growing past the limit without a line end is not refused (414)"),
    ("client-body-limit-inclusive", "src/http1/client_read.c",
     "if (c->head.has_content_length && c->head.content_length > k->base.max_body) {",
     "if (c->head.has_content_length && c->head.content_length > k->base.max_body + 1000000) {",
     "the client's response body limit is not enforced on a declared length"),
    ("static-follows-links-out", "src/server/static_files.c",
     ".resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,", ".resolve = 0,",
     "a static root no longer confines: a symbolic link out of it is followed"),
    ("ws-message-unbounded", "src/http1/websocket.c",
     "    wslay_event_config_set_max_recv_msg_length(ws->wslay, ws->max_message);\n",
     "", "a WebSocket message of any size is taken (max_message ignored: memory unbounded)"),
    ("cors-any-origin", "src/middleware/cors.c",
     "    if (!k->any && !listed(k->o.origins, origin))\n        return NULL;",
     "    (void)listed;", "CORS allows every origin, listed or not"),
    ("uring-pause-drops-input", "src/loop/uring_tcp.c",
     "            if (took < (size_t)res && !u->closing)\n                stash(t, p + took, (size_t)res - took);",
     "            (void)took, (void)stash;", "io_uring: what arrives while the owner has paused is dropped"),
    ("uring-short-send-ends", "src/loop/uring_tcp.c",
     "    if (res > 0 && (size_t)res < u->wleft) {", "    if (0) {",
     "io_uring: a send the kernel took in part is reported done"),
]


# The tests expected to catch each mutant, tried first (a regex for
# ctest -R); when they do not fail, the whole suite runs.
FIRST = {
    "static-follows-links-out": "test_static", "ws-message-unbounded": "test_websocket",
    "cors-any-origin": "test_middleware",
    "uring-pause-drops-input": "test_transport", "uring-short-send-ends": "test_transport",
    "cl-limit-inclusive": "http_errors", "chunked-limit-inclusive": "http_errors|chunked",
    "deadline-no-cancel": "test_async", "grace-timer-never-started": "shutdown",
    "duplicate-cl-accepted": "parser|conformance", "cl-and-te-accepted": "parser|conformance",
    "missing-host-accepted": "parser", "space-before-colon-accepted": "parser|conformance", "bare-lf-accepted": "parser|conformance",
    "fragment-accepted": "parser|conformance", "ipv6-double-elision-accepted": "parser",
    "port-range-unchecked": "parser",
    "numeric-host-accepted": "parser", "chunk-ext-bws-then-crlf": "chunked",
    "te-chunked-twice": "parser", "half-close-cancels": "test_async|test_pgw$|conformance",
    "disconnect-no-cancel": "test_async|test_client$", "admission-off-by-one": "pool_shed",
    "no-retry-after": "pool_shed", "pool-queue-off-by-one": "pool_shed",
    "task-completes-twice": "unit_task", "drain-keeps-alive": "shutdown|drain",
    "too-many-fields-accepted": "parser|http_errors", "http10-keepalive-default": "parser|conformance",
    "scan-skips-limits": "parser", "client-body-limit-inclusive": "test_client$",
}


def run(cmd, cwd, log, timeout):
    with open(log, "a") as f:
        f.write(f"$ {' '.join(cmd)}\n")
        f.flush()
        try:
            return subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                                  timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            f.write("timed out\n")
            return 124


def write_now(path, text):
    """Writes text and gives the file a new mtime, so the build sees it."""
    with open(path, "w") as f:
        f.write(text)
    os.utime(path, None)


def ctest(bdir, jobs, log, only=None):
    # A test that fails only once may be the machine's load, not the
    # mutant: each failing test is run again before it counts.
    cmd = ["ctest", "-j", str(jobs), "--repeat", "until-pass:2", "--output-on-failure",
           "--timeout", "300", "-E", "browser"]
    cmd += ["-R", only] if only else ["--stop-on-failure"]
    return run(cmd, bdir, log, 1500)


def first_failed(log):
    for line in open(log):
        m = re.search(r"Test +#\d+: (\S+) .*\*\*\*(Failed|Timeout)", line)
        if m:
            return m.group(1)
    return ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    work = os.path.join(ROOT, "build-mutants")
    src = os.path.join(work, "src-copy")
    bdir = os.path.join(work, "build")
    os.makedirs(work, exist_ok=True)
    # One copy of the tree and one build; each mutant edits a file in place
    # and puts it back, and the build recompiles what changed.
    for d in (src, bdir):
        if os.path.exists(d):
            shutil.rmtree(d)
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns("build*", ".git", "node_modules"))
    os.symlink(os.path.join(ROOT, "tests/browser/node_modules"),
               os.path.join(src, "tests/browser/node_modules"))
    log = os.path.join(work, "baseline.log")
    if os.path.exists(log):
        os.remove(log)
    t0 = time.time()
    rc = run(["cmake", "-S", src, "-B", bdir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
             src, log, 300)
    rc = rc or run(["cmake", "--build", bdir, "-j", str(a.jobs)], src, log, 1200)
    rc = rc or ctest(bdir, a.jobs, log)
    if rc:
        print(f"the unmutated suite fails (see {log}): no verdict is possible")
        sys.exit(2)
    print(f"{'baseline':<28} {'passes':<8} {'':<32} {time.time() - t0:5.0f} s", flush=True)
    chosen = [m for m in MUTANTS if not a.names or m[0] in a.names]
    rows, survived = [], []
    for name, path, orig, mutated, what in chosen:
        file = os.path.join(src, path)
        text = open(file).read()
        if text.count(orig) != 1:
            print(f"{name}: the original text occurs {text.count(orig)} times in {path}")
            sys.exit(2)
        log = os.path.join(work, f"{name}.log")
        if os.path.exists(log):
            os.remove(log)
        t0 = time.time()
        write_now(file, text.replace(orig, mutated))
        try:
            rc = run(["cmake", "--build", bdir, "-j", str(a.jobs)], src, log, 900)
            if rc:
                verdict = "BROKEN"  # a mutant that does not build proves nothing: fix it
            else:
                rc = ctest(bdir, a.jobs, log, FIRST.get(name))
                if not rc:
                    rc = ctest(bdir, a.jobs, log)
                verdict = "killed" if rc else "SURVIVED"
        finally:
            write_now(file, text)
        failed = first_failed(log) if rc else ""
        print(f"{name:<28} {verdict:<8} {failed:<32} {time.time() - t0:5.0f} s  {what}",
              flush=True)
        rows.append((name, path, what, verdict, failed))
        if verdict != "killed":
            survived.append(name)
    with open(os.path.join(work, "result.md"), "w") as f:
        f.write("| mutant | where | the bug | verdict | first failing test |\n"
                "|---|---|---|---|---|\n")
        for r in rows:
            f.write(f"| {r[0]} | `{r[1]}` | {r[2]} | {r[3]} | {r[4]} |\n")
    print(f"{len(rows) - len(survived)}/{len(rows)} mutants killed"
          + (f"; not killed: {', '.join(survived)}" if survived else ""))
    sys.exit(1 if survived else 0)


if __name__ == "__main__":
    main()
