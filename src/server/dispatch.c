/* dispatch.c - from a parsed request to its handler, and the request's
 * deadline.
 *
 * Owns admission control (the --max-concurrent share of this loop and the
 * pool's bounded queue, both answered with 503 + Retry-After), routing
 * errors (404, 405 + Allow), the hand-off by handler kind, and the
 * deadline: at the route's timeout the server answers itself and cancels
 * the request's scope, whatever the handler is doing.
 *
 * A request ends when it has its answer and no handler context holds it
 * (`holds`: a live fiber, a running pool job, a deadline being handled).
 * Runs on the loop thread and never waits. */
#include <stdio.h>
#include <stdlib.h>

#include "server.h"

static void reply_busy(weft_ctx *c, const char *why)
{
    char secs[16];
    snprintf(secs, sizeof secs, "%d", c->app->cfg.retry_after_s);
    weft_add_header(c, "Retry-After", secs);
    atomic_fetch_add_explicit(&c->conn->sl->stats.rejected_busy, 1, memory_order_relaxed);
    weft_reply_error(c, 503, why);
}

static void hold(weft_ctx *c)
{
    if (c->holds++ == 0) {
        c->conn->sl->busy++;
        weft__conn_ref(c->conn);
    }
}

void weft__ctx_release(weft_ctx *c)
{
    weft_conn *conn = c->conn;
    if (--c->holds > 0)
        return;
    weft_sloop *sl = conn->sl;
    sl->busy--;
    if (c->in_request && (c->resp == RESP_DONE || conn->state == CONN_CLOSED))
        weft__conn_request_end(conn);
    weft__conn_unref(conn); /* may free it */
    if (atomic_load_explicit(&sl->draining, memory_order_relaxed) && !sl->conns && sl->busy == 0)
        weft__app_loop_drained(sl);
}

void weft__ctx_abort(weft_ctx *c)
{
    weft_scope_cancel(&c->scope, WEFT_ECANCELED);
    if (c->holds == 0 && c->in_request)
        weft__conn_request_end(c->conn);
}

/* ---- the deadline ---------------------------------------------------------- */

#define TIMEOUT_BODY "504 Gateway Timeout: the request did not complete in time\n"

static void on_deadline(weft_timer *t)
{
    weft_ctx *c = (weft_ctx *)((char *)t - offsetof(weft_ctx, deadline));
    atomic_fetch_add_explicit(&c->conn->sl->stats.deadlines, 1, memory_order_relaxed);
    hold(c); /* nothing ends the request while we answer for it */
    if (c->on_worker) {
        /* A worker owns the request's buffer, arena and response state:
         * only the atomic claim is shared. The loop's answer goes straight
         * to the connection; the worker's own reply will then fail. */
        if (weft__ctx_claim(c)) {
            weft__write_simple(c, &c->conn->obuf, 504, TIMEOUT_BODY);
            c->answered_at_deadline = 1;
            weft__conn_flush(c->conn);
        }
    } else {
        const weft__rt *r = c->match.route;
        if (r->opts.on_timeout && c->resp == RESP_NONE)
            r->opts.on_timeout(c);
        if (c->resp == RESP_STREAMING) {
            c->close_after = 1; /* a cut-off stream cannot be framed */
            weft_stream_end(c);
        } else if (c->resp == RESP_NONE && weft__ctx_claim(c)) {
            weft__write_simple(c, &c->conn->obuf, 504, TIMEOUT_BODY);
            c->resp = RESP_DONE;
            weft__conn_flush(c->conn);
        }
    }
    weft_scope_cancel(&c->scope, WEFT_ETIMEDOUT);
    weft__ctx_release(c);
}

/* Starts the deadline timer. Reads only what never changes during the
 * request: a worker may already own the response state. */
static void arm_deadline(weft_ctx *c)
{
    int64_t deadline = c->scope.cancel.deadline; /* set by weft__dispatch */
    if (deadline < 0)
        return;
    int64_t now = (int64_t)weft_loop_now(&c->conn->sl->loop);
    weft_timer_start(&c->conn->sl->loop, &c->deadline,
                     deadline > now ? (uint64_t)(deadline - now) : 0, on_deadline);
}

static int64_t deadline_of(weft_ctx *c)
{
    int ms = c->match.route->opts.timeout_ms;
    if (ms == 0)
        ms = c->app->cfg.request_timeout_ms;
    return ms > 0 ? (int64_t)(c->started_ms + (uint64_t)ms) : -1;
}

/* ---- WEFT_SYNC: a worker thread ------------------------------------------ */

/* A handler returned without answering. If a backend call in its scope
 * failed, that is the answer: 504 for a time-out, else 502, with the
 * call's message. Otherwise the handler has a bug: 500. */
static void answer_for_handler(weft_ctx *c, int on_loop)
{
    const char *detail;
    int failure = weft_scope_failure(&c->scope, &detail);
    /* The cancellation reason is the loop's to read: on a worker, a
     * deadline's 504 has been claimed already and this reply just fails. */
    int reason = on_loop ? weft_scope_reason(&c->scope) : 0;
    if (reason)
        weft_reply_error(c, reason == WEFT_ETIMEDOUT ? 504 : 503, weft_strerror(reason));
    else if (failure)
        weft_reply_error(c, failure == WEFT_ETIMEDOUT ? 504 : 502, detail);
    else
        weft_reply_error(c, 500, "the handler returned without an answer");
}

static void run_sync(weft_job *job)
{
    weft_ctx *c = (weft_ctx *)((char *)job - offsetof(weft_ctx, job));
    c->match.route->fn(c);
    if (c->resp == RESP_STREAMING)
        weft_stream_end(c);
    else if (c->resp == RESP_NONE)
        answer_for_handler(c, 0);
}

static void sync_done(weft_job *job)
{
    weft_ctx *c = (weft_ctx *)((char *)job - offsetof(weft_ctx, job));
    weft_conn *conn = c->conn;
    c->on_worker = 0;
    c->out = &conn->obuf;
    if (job->status == WEFT_ECANCELED && weft__ctx_claim(c)) {
        /* The pool stopped before the job ran (shutdown). */
        weft__write_simple(c, &conn->obuf, 503, "503 Service Unavailable: shutting down\n");
        c->resp = RESP_DONE;
    } else if (c->answered_at_deadline) {
        c->resp = RESP_DONE; /* the loop's 504 went out; the worker wrote nothing */
    } else if (c->sync_out.len && conn->state != CONN_CLOSED) {
        if (conn->obuf.len == 0) {
            weft_buf t = conn->obuf;
            conn->obuf = c->sync_out;
            c->sync_out = t;
        } else {
            weft_buf_append(&conn->obuf, c->sync_out.data, c->sync_out.len);
        }
    }
    c->sync_out.len = 0;
    if (conn->state != CONN_CLOSED)
        weft__conn_flush(conn);
    weft__ctx_release(c);
}

static void dispatch_sync(weft_ctx *c)
{
    c->job.work = run_sync;
    c->job.done = sync_done;
    c->on_worker = 1;
    c->out = &c->sync_out;
    hold(c);
    arm_deadline(c); /* before the worker can touch anything */
    if (weft_pool_submit(c->app->pool, &c->job)) {
        weft_timer_stop(&c->conn->sl->loop, &c->deadline);
        c->on_worker = 0;
        c->out = &c->conn->obuf;
        c->holds--; /* never ran: undo without ending anything */
        c->conn->sl->busy--;
        weft__conn_unref(c->conn);
        reply_busy(c, "all workers are busy and the request queue is full");
    }
}

/* ---- WEFT_ASYNC: a fiber on this loop ------------------------------------- */

static void run_async(void *arg)
{
    weft_ctx *c = arg;
    c->match.route->fn(c);
    if (c->resp == RESP_STREAMING)
        weft_stream_end(c);
    else if (c->resp == RESP_NONE)
        answer_for_handler(c, 1);
}

/* A request parked in a fiber may wait for long. If the read buffer holds
 * nothing else, its bytes move to the arena and the buffer is freed: a
 * waiting request then costs its connection, its arena and one stack page
 * (S5 in docs/benchmarks.md). A buffer is allocated again when the socket
 * has something to read. The output buffers, empty while the request
 * waits, go too: a keep-alive connection kept the capacity of its last
 * answer (4 KiB for a 2 KiB page), which was a third of what a waiting
 * /gizmos-async cost at S5's 8,000. */
static void release_idle_buffers(weft_conn *conn)
{
    if (conn->obuf.len == 0)
        weft_buf_free(&conn->obuf);
    if (!conn->writing && conn->wbuf.len == 0)
        weft_buf_free(&conn->wbuf);
}

static void shed_buffers(weft_ctx *c)
{
    weft_conn *conn = c->conn;
    release_idle_buffers(conn);
    size_t len = conn->head_len + conn->body_len;
    if (!conn->rbuf || conn->rend != conn->rstart + len || conn->state != CONN_HANDLING)
        return;
    char *copy = weft_arena_alloc(&c->scope.arena, len);
    if (!copy)
        return;
    const char *old = conn->rbuf + conn->rstart;
    memcpy(copy, old, len);
    weft_http_rebase(&c->req, old, len, copy);
    for (int i = 0; i < c->match.nparams; i++)
        c->match.values[i] = weft_str_rebase(c->match.values[i], old, len, copy);
    c->body = weft_str_rebase(c->body, old, len, copy);
    free(conn->rbuf);
    conn->rbuf = NULL;
    conn->rcap = conn->rstart = conn->rend = 0;
    conn->head_len = conn->body_len = 0;
}

static void async_exit(void *arg)
{
    weft__ctx_release(arg);
}

static void dispatch_async(weft_ctx *c)
{
    const weft__rt *r = c->match.route;
    weft_fiber_opts o = {
        .stack_size = r->opts.stack_size,
        .name = r->pattern,
        .scope = &c->scope,
        .on_exit = async_exit,
        .exit_arg = c,
    };
    hold(c);
    weft__conn_ref(c->conn); /* the fiber may finish and end everything now */
    if (weft_fiber_spawn(run_async, c, &o)) {
        weft__ctx_release(c);
        weft_reply_error(c, 503, "cannot start a fiber (out of memory)");
    } else if (c->in_request && c->resp != RESP_DONE) {
        arm_deadline(c); /* the fiber is parked: it waits for something */
        shed_buffers(c);
    }
    weft__conn_unref(c->conn);
}

/* ---- entry ------------------------------------------------------------------ */

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
    /* Composing deadlines: calls made in the scope see the request's. */
    c->scope.cancel.deadline = deadline_of(c);
    switch (c->match.route->kind) {
    case WEFT_CALLBACK:
        c->match.route->fn(c);
        if (c->in_request && c->resp != RESP_DONE)
            arm_deadline(c);
        break;
    case WEFT_SYNC:
        dispatch_sync(c);
        break;
    case WEFT_ASYNC:
        dispatch_async(c);
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
