/* dispatch.c - from a parsed request to its handler, and the request's
 * deadline.
 *
 * Owns admission control (--max-concurrent over the whole process and the
 * pool's bounded queue, both answered with 503 + Retry-After), routing
 * errors (404, 405 + Allow), the hand-off by handler kind, and the
 * deadline: at the route's timeout the server answers itself and cancels
 * the request's scope, whatever the handler is doing.
 *
 * A request ends when it has its answer and no handler context holds it
 * (`holds`: a live fiber, a running pool job, a deadline being handled).
 * Nothing here knows which protocol carried the request. Runs on the loop
 * thread and never waits. */
#include <stdio.h>
#include <stdlib.h>

#include "server.h"

/* Seconds a shed client should wait: for the pool's queue, what it takes
 * to drain what is queued at the rate it drained in the last second;
 * --retry-after is the cap, and the answer when the queue is not draining
 * at all. A --max-concurrent shed frees up as requests end: 1. */
static int retry_after(weft_ctx *c, int from_pool)
{
    long cap = c->app->cfg.retry_after_s > 0 ? c->app->cfg.retry_after_s : 1;
    if (!from_pool)
        return 1;
    weft_pool_stats st;
    weft_pool_get_stats(c->app->pool, &st);
    if (!st.drained_per_s)
        return (int)cap;
    uint64_t s = (st.queued + 1 + st.drained_per_s - 1) / st.drained_per_s;
    return (int)(s < 1 ? 1 : s > (uint64_t)cap ? (uint64_t)cap : s);
}

/* A shed request's connection closes after the 503 (HTTP/1.1): a client
 * that re-sent at once on the same keep-alive connection would be shed
 * again at once, and at 10,000 clients such re-sends (1.05 million 503s
 * in 6 s) left the loops no time for the requests they had admitted.
 * Reconnecting costs the client a handshake and goes through the
 * listener's backlog, which paces it. */
static void reply_busy(weft_ctx *c, const char *why, int from_pool)
{
    c->close_after = 1;
    char secs[16];
    snprintf(secs, sizeof secs, "%d", retry_after(c, from_pool));
    weft_add_header(c, "Retry-After", secs);
    weft_reply_error(c, 503, why);
}

static void hold(weft_ctx *c)
{
    if (c->holds++ == 0) {
        c->sl->busy++;
        c->codec->ref(c);
    }
}

void weft__ctx_release(weft_ctx *c)
{
    if (--c->holds > 0)
        return;
    weft_sloop *sl = c->sl;
    sl->busy--;
    if (c->in_request && (c->resp == RESP_DONE || c->gone))
        weft__request_end(c);
    c->codec->unref(c); /* may free c */
    if (atomic_load_explicit(&sl->draining, memory_order_relaxed) && !sl->conns && sl->busy == 0)
        weft__app_loop_drained(sl);
}

/* ---- the deadline ---------------------------------------------------------- */

#define TIMEOUT_DETAIL "the request did not complete in time"

static void send_kept_answer(weft_ctx *c, const weft_response *r, const weft_buf *body);

/* A WEFT_SYNC route's on_timeout, while its worker still owns the request:
 * the page is made in a context of its own - the same request, read
 * only, with a fresh arena - kept as a worker's answer is, and sent for
 * the real one. The route's after-steps see it; its before-steps ran, if
 * at all, on the worker, so the bag is empty. 0 if it answered. */
static int timeout_page_for_worker(weft_ctx *c)
{
    weft_ctx *t = calloc(1, sizeof *t);
    if (!t)
        return WEFT_ENOMEM;
    weft__ctx_init(t, c->codec, c->sl);
    t->req = c->req;
    t->match = c->match;
    t->chain = c->chain;
    t->mw_ran = c->chain->n;
    t->is_head = c->is_head;
    t->request_id = c->request_id; /* made before the job was queued */
    t->on_worker = 1;              /* keep the answer: it is sent below */
    t->in_request = 1;
    t->kind_counted = -1;
    weft__scope_begin(&t->scope, NULL);
    c->match.route->opts.on_timeout(t);
    int rc = WEFT_ESTATE;
    if (t->resp != RESP_NONE) {
        send_kept_answer(c, &t->sync_resp, &t->sync_body);
        c->bytes_out = c->is_head ? 0 : t->sync_body.len;
        rc = 0;
    }
    weft__scope_end(&t->scope);
    weft__ctx_free(t);
    free(t);
    return rc;
}

static void on_deadline(weft_timer *t)
{
    weft_ctx *c = (weft_ctx *)((char *)t - offsetof(weft_ctx, deadline));
    hold(c); /* nothing ends the request while we answer for it */
    const weft__rt *r = c->match.route;
    if (c->on_worker) {
        /* A worker owns the request's arena and its kept answer: only the
         * atomic claim is shared. The loop's answer goes straight to the
         * codec; the worker's own reply will then fail. */
        if (weft__ctx_claim(c)) {
            if (!r->opts.on_timeout || timeout_page_for_worker(c))
                weft__send_simple(c, 504, TIMEOUT_DETAIL);
            c->answered_at_deadline = 1;
        }
    } else {
        if (r->opts.on_timeout && c->resp == RESP_NONE)
            r->opts.on_timeout(c);
        if (c->resp == RESP_STREAMING) {
            c->close_after = 1; /* a cut-off stream cannot be framed */
            weft_stream_end(c);
        } else if (c->resp == RESP_NONE && weft__ctx_claim(c)) {
            weft__send_simple(c, 504, TIMEOUT_DETAIL);
            c->resp = RESP_DONE;
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
    int64_t now = (int64_t)weft_loop_now(&c->sl->loop);
    weft_timer_start(&c->sl->loop, &c->deadline,
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
 * failed, that is the answer: 504 for a time-out, else 502. The call's
 * message names the backend's address and what went wrong: it goes to
 * the log with the request id, and the client gets the kind of failure
 * and the id - what a client sees never shows the inside, unless --dev.
 * Otherwise the handler has a bug: 500. */
static void answer_for_handler(weft_ctx *c, int on_loop)
{
    const char *detail;
    int failure = weft_scope_failure(&c->scope, &detail);
    /* The cancellation reason is the loop's to read: on a worker, a
     * deadline's 504 has been claimed already and this reply just fails. */
    int reason = on_loop ? weft_scope_reason(&c->scope) : 0;
    if (reason) {
        weft_reply_error(c, weft_http_status_of(reason), weft_strerror(reason));
    } else if (failure) {
        int status = weft_http_gateway_status(failure);
        const char *id = weft_req_id(c);
        weft_warn("request %s: answered %d: %s", id, status, detail && *detail ? detail : "");
        char say[512];
        if (c->app->cfg.dev)
            snprintf(say, sizeof say, "a backend call failed: %s (request %s)",
                     detail && *detail ? detail : weft_strerror(failure), id);
        else if (status == 504)
            snprintf(say, sizeof say, "a backend did not answer in time (request %s)", id);
        else
            snprintf(say, sizeof say, "a backend call failed (request %s)", id);
        weft_reply_error(c, status, say);
    } else {
        weft_reply_error(c, 500, "the handler returned without an answer");
    }
}

static __thread const char *sync_route;

const char *weft__sync_route_running(void)
{
    return sync_route;
}

static void run_sync(weft_job *job)
{
    weft_ctx *c = (weft_ctx *)((char *)job - offsetof(weft_ctx, job));
    sync_route = c->match.route->name;
    if (weft__mw_before(c))
        c->match.route->fn(c);
    sync_route = NULL;
    if (c->resp == RESP_STREAMING)
        weft_stream_end(c);
    else if (c->resp == RESP_NONE)
        answer_for_handler(c, 0);
}

/* Hands a kept answer (a worker's, or a timeout page made for one) to the
 * codec (loop thread). */
static void send_kept_answer(weft_ctx *c, const weft_response *r, const weft_buf *body)
{
    const weft_codec *k = c->codec;
    c->status = r->status;
    weft__count_answer(c, r->status);
    int rc = k->begin(c, r);
    if (rc == 0 && body->len && !c->is_head)
        rc = k->write(c, body->data, body->len);
    if (rc)
        c->close_after = 1;
    k->end(c);
}

static void sync_done(weft_job *job)
{
    weft_ctx *c = (weft_ctx *)((char *)job - offsetof(weft_ctx, job));
    c->on_worker = 0;
    if (c->sl->stats.routes) { /* what the starvation advisor weighs */
        weft_route_counters *rc = &c->sl->stats.routes[c->match.route->index];
        weft__count(&rc->worker_us, (int64_t)(job->ran_ns / 1000));
        weft__count(&rc->worker_wait_us, (int64_t)(job->waited_ns / 1000));
    }
    if (job->status == WEFT_ECANCELED && weft__ctx_claim(c)) {
        /* The pool stopped before the job ran (shutdown). */
        weft__send_simple(c, 503, "shutting down");
        c->resp = RESP_DONE;
    } else if (c->answered_at_deadline) {
        c->resp = RESP_DONE; /* the loop's 504 went out; the worker's answer is dropped */
    } else if (c->resp != RESP_NONE && !c->gone) {
        send_kept_answer(c, &c->sync_resp, &c->sync_body);
    }
    c->sync_body.len = 0;
    weft__ctx_release(c);
}

static void dispatch_sync(weft_ctx *c)
{
    c->job.work = run_sync;
    c->job.done = sync_done;
    if (c->match.route->opts.on_timeout)
        weft_req_id(c); /* now, for a timeout page the loop may make while the worker runs */
    c->on_worker = 1;
    hold(c);
    arm_deadline(c); /* before the worker can touch anything */
    if (weft_pool_submit(c->app->pool, &c->job)) {
        weft_timer_stop(&c->sl->loop, &c->deadline);
        c->on_worker = 0;
        c->holds--; /* never ran: undo without ending anything */
        c->sl->busy--;
        c->codec->unref(c);
        reply_busy(c, "all workers are busy and the request queue is full", 1);
    }
}

/* ---- WEFT_ASYNC: a fiber on this loop ------------------------------------- */

static void run_async(void *arg)
{
    weft_ctx *c = arg;
    if (weft__mw_before(c))
        c->match.route->fn(c);
    if (c->resp == RESP_STREAMING)
        weft_stream_end(c);
    else if (c->resp == RESP_NONE)
        answer_for_handler(c, 1);
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
        .name = r->name,
        .scope = &c->scope,
        .on_exit = async_exit,
        .exit_arg = c,
    };
    hold(c);
    c->codec->ref(c); /* the fiber may finish and end everything now */
    if (weft_fiber_spawn(run_async, c, &o)) {
        weft__ctx_release(c);
        weft_reply_error(c, 503, "cannot start a fiber (out of memory)");
    } else if (c->in_request && c->resp != RESP_DONE) {
        arm_deadline(c); /* the fiber is parked: it waits for something */
        c->codec->park(c);
    }
    c->codec->unref(c);
}

/* ---- entry ------------------------------------------------------------------ */

/* Whether the process as a whole has more than --max-concurrent requests
 * in flight, this one counted. A limit split into a share per loop shed
 * while the process was under it: the kernel's SO_REUSEPORT spread is
 * uneven, and at 10,000 clients one loop's 503s became a storm. One
 * shared counter written twice a request cost 10 % of /plaintext's
 * throughput (bench/ab.sh, 256 clients), so each loop counts its own and
 * the loops only say, on a shared counter, when one of them goes past
 * its even share (floor(max / loops)) and back. While none is past it,
 * the total cannot be over; while one is, every loop adds up all the
 * loops' counters before admitting. */
static int over_capacity(const weft_sloop *sl)
{
    const weft_app *app = sl->app;
    if (sl->inflight <= sl->inflight_share &&
        !atomic_load_explicit(&app->loops_over_share, memory_order_relaxed))
        return 0;
    uint64_t total = 0;
    for (int i = 0; i < app->nloops; i++)
        total += &app->loops[i] == sl ? sl->inflight : weft__counter(&app->loops[i].stats.inflight);
    return total > (uint64_t)app->cfg.max_concurrent;
}

void weft__dispatch(weft_ctx *c)
{
    weft_sloop *sl = c->sl;
    if (over_capacity(sl)) {
        reply_busy(c, "too many concurrent requests", 0);
        return;
    }
    char allow[128];
    int r = weft__route_match(c->app->routes, c->req.method, c->req.path, &c->match, allow,
                              sizeof allow);
    if (r == WEFT_EMETHOD)
        weft_add_header(c, "Allow", allow);
    if (r) {
        /* No handler, but the middleware there is (a CORS preflight). */
        c->chain = weft__mw_chain_for_path(c->app, c->req.path);
        if (weft__mw_before(c))
            weft_reply_error(c, weft_http_status_of(r), NULL);
        return;
    }
    c->chain = c->match.route->chain;
    /* Composing deadlines: calls made in the scope see the request's. */
    c->scope.cancel.deadline = deadline_of(c);
    c->kind_counted = (int8_t)c->match.route->kind;
    weft__count(&sl->stats.inflight_kind[c->kind_counted], 1);
    switch (c->match.route->kind) {
    case WEFT_CALLBACK:
        weft__loop_mark(&sl->loop, c->match.route->name);
        if (weft__mw_before(c))
            c->match.route->fn(c);
        weft__loop_mark(&sl->loop, NULL);
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
