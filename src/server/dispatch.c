/* dispatch.c - from a parsed request to its handler.
 *
 * Owns admission control (the --max-concurrent share of this loop and the
 * pool's bounded queue, both answered with 503 + Retry-After), routing
 * errors (404, 405 + Allow) and the hand-off by handler kind. Runs on the
 * loop thread; the only thing it ever waits for is nothing. */
#include <stdio.h>

#include "server.h"

static void reply_busy(weft_ctx *c, const char *why)
{
    char secs[16];
    snprintf(secs, sizeof secs, "%d", c->app->cfg.retry_after_s);
    weft_add_header(c, "Retry-After", secs);
    atomic_fetch_add_explicit(&c->conn->sl->stats.rejected_busy, 1, memory_order_relaxed);
    weft_reply_error(c, 503, why);
}

static void run_sync(weft_job *job)
{
    weft_ctx *c = (weft_ctx *)((char *)job - offsetof(weft_ctx, job));
    c->match.route->fn(c);
    if (c->resp == RESP_STREAMING)
        weft_stream_end(c);
    else if (c->resp == RESP_NONE)
        weft_reply_error(c, 500, "the handler returned without an answer");
}

static void sync_done(weft_job *job)
{
    weft_ctx *c = (weft_ctx *)((char *)job - offsetof(weft_ctx, job));
    if (job->status == WEFT_ECANCELED && c->resp == RESP_NONE) {
        /* The pool stopped before the job ran (shutdown). */
        c->conn->offloaded = 0;
        c->conn->sl->offloaded--;
        weft_reply_error(c, 503, "server shutting down");
        return;
    }
    weft__conn_job_returned(c->conn);
}

static void dispatch_sync(weft_ctx *c)
{
    weft_conn *conn = c->conn;
    c->job.work = run_sync;
    c->job.done = sync_done;
    /* From here until the job returns, the worker owns ctx and obuf. Flush
     * what earlier pipelined answers left first. */
    weft__conn_flush(conn);
    conn->offloaded = 1;
    conn->sl->offloaded++;
    if (weft_pool_submit(c->app->pool, &c->job)) {
        conn->offloaded = 0;
        conn->sl->offloaded--;
        reply_busy(c, "all workers are busy and the request queue is full");
    }
}

void weft__dispatch(weft_conn *conn)
{
    weft_sloop *sl = conn->sl;
    weft_ctx *c = &conn->ctx;
    weft__ctx_begin(c, conn);
    conn->state = CONN_HANDLING;
    conn->requests_seen++;
    sl->inflight++;
    atomic_fetch_add_explicit(&sl->stats.requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sl->stats.inflight, 1, memory_order_relaxed);

    if (sl->inflight > sl->max_inflight) {
        reply_busy(c, "too many concurrent requests");
        return;
    }
    char allow[128];
    int r = weft__route_match(c->app->routes, c->req.method, c->req.path, &c->match, allow,
                              sizeof allow);
    if (r == WEFT_ROUTE_NOT_FOUND) {
        weft_reply_error(c, 404, NULL);
        return;
    }
    if (r == WEFT_ROUTE_BAD_METHOD) {
        weft_add_header(c, "Allow", allow);
        weft_reply_error(c, 405, NULL);
        return;
    }
    switch (c->match.route->kind) {
    case WEFT_CALLBACK:
        c->match.route->fn(c);
        break;
    case WEFT_SYNC:
        dispatch_sync(c);
        break;
    }
}

void weft__reply_protocol_error(weft_conn *conn, int status, const char *why)
{
    weft_ctx *c = &conn->ctx;
    atomic_fetch_add_explicit(&conn->sl->stats.bad_requests, 1, memory_order_relaxed);
    /* The head may be incomplete or invalid: answer as HTTP/1.1 with no
     * request semantics (no HEAD suppression, no keep-alive); keep what
     * was parsed of the request line for the access log. */
    weft_str method = c->req.method, target = c->req.target;
    memset(&c->req, 0, sizeof c->req);
    c->req.method = method;
    c->req.target = method.len ? target : WEFT_STR_NULL;
    c->req.minor = 1;
    conn->head_len = conn->body_len = 0;
    weft__ctx_begin(c, conn);
    c->close_after = 1;
    conn->state = CONN_HANDLING;
    conn->sl->inflight++;
    atomic_fetch_add_explicit(&conn->sl->stats.inflight, 1, memory_order_relaxed);
    weft_reply_error(c, status, why);
}
