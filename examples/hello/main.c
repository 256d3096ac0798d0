/* weft-hello - the smallest useful weft server.
 *
 *   GET /plaintext     "Hello, World!" (a callback handler: runs on the loop)
 *   GET /json          {"message":"Hello, World!"} built with jansson
 *   POST /json-echo    {"got": <the JSON body>, "name": its "name"} (weft_body_json:
 *                      415 for another Content-Type, 400 for bad JSON)
 *   GET /greet/{name}  {"hello": name}, escaped as JSON needs
 *   GET /events?n=N&ms=M&beat=B  server-sent events: N ticks M ms apart,
 *                      numbered on from Last-Event-ID, a heartbeat after B ms
 *   GET /sleep?ms=N    a WEFT_SYNC handler that blocks its worker thread for
 *                      N ms: the synchronous model, to watch the pool fill
 *                      up and answer 503 + Retry-After when its queue is full
 *   POST /echo         echoes the request body (Content-Length or chunked)
 *   GET /stream?n=N    N chunks of a streamed (chunked) response
 *   GET /peer          the client's address, as weft_req_peer gives it
 *   GET /whoami        client address (X-Forwarded-For from --trusted-proxy),
 *                      scheme and request id, as the access log has them
 *
 * and the asynchronous ones (WEFT_ASYNC: a fiber that holds no thread
 * while it waits):
 *   GET /delay?ms=N          awaits weft_delay(N)
 *   GET /fanout?ms=N&n=K     awaits weft_when_all of K delays of N ms
 *   GET /deadline?ms=N       awaits a delay of N ms under a 150 ms route timeout
 *   GET /cpu?n=N             offloads a CPU loop of N iterations with weft_run
 *   POST /echo-async/{tag}?ms=N  waits N ms, then echoes tag, a header and the body
 *   GET /ws-echo             a WebSocket that sends back each message (64 KiB at most)
 *
 * With --crash-route only (tests of --processes): GET /crash dereferences a
 * null pointer in its handler, the bug a worker process dies of.
 *   GET /stats               the server's counters, as JSON
 *   GET /block?ms=N          the classic mistake, on purpose: a blocking
 *                            sleep inside an async handler (holds its loop;
 *                            the stall detector reports it)
 *
 * and one callback handler in the AsyncController style (outstanding
 * operations and a completion):
 *   GET /callback-fanout?ms=N&n=K   K delays; the answer when the count hits 0
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft.h"

static void plaintext(weft_ctx *c)
{
    static const char hello[] = "Hello, World!";
    weft_reply(c, 200, "text/plain", hello, sizeof hello - 1);
}

static void whoami(weft_ctx *c)
{
    weft_replyf(c, 200, "text/plain", "client=%s scheme=%s id=%s\n", weft_req_client(c),
                weft_req_scheme(c), weft_req_id(c));
}

static void peer(weft_ctx *c)
{
    const char *p = weft_req_peer(c);
    weft_reply(c, 200, "text/plain", p, strlen(p));
}

/* Answers with o serialised (and releases it); 500 if it is NULL. */
static void json(weft_ctx *c)
{
    weft_reply_json_new(c, 200, json_pack("{s:s}", "message", "Hello, World!"));
}

/* JSON in and out (weft/jansson.h): the body as a tree, a field read,
 * the answer built with json_pack - strings escaped whatever they hold. */
static void json_echo(weft_ctx *c)
{
    json_t *in = weft_body_json(c);
    if (!in)
        return; /* 400 or 415 answered */
    const char *name = NULL;
    if (json_unpack(in, "{s?s}", "name", &name)) {
        weft_reply_error(c, 422, "\"name\" must be a string");
        return;
    }
    weft_reply_json_new(c, 200, json_pack("{s:O, s:s?}", "got", in, "name", name));
}

static void greet(weft_ctx *c)
{
    weft_reply_json_new(c, 200, json_pack("{s:s}", "hello", weft_param(c, "name")));
}

static void sleep_sync(weft_ctx *c)
{
    long ms = weft_query_int(c, "ms", 100);
    if (ms < 0 || ms > 60000) {
        weft_reply_error(c, 400, "ms must be between 0 and 60000");
        return;
    }
    /* Deliberately blocking: this thread is held for the whole wait. */
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    weft_replyf(c, 200, "text/plain", "slept %ld ms on a worker thread\n", ms);
}

static void echo(weft_ctx *c)
{
    weft_str body = weft_req_body(c);
    weft_reply(c, 200, "application/octet-stream", body.base, body.len);
}

static void stream(weft_ctx *c)
{
    long n = weft_query_int(c, "n", 3);
    if (n < 0 || n > 10000) {
        weft_reply_error(c, 400, "n must be between 0 and 10000");
        return;
    }
    weft_stream_begin(c, 200, "text/plain");
    for (long i = 0; i < n; i++) {
        char line[32];
        int len = snprintf(line, sizeof line, "chunk %ld\n", i);
        weft_stream_write(c, line, (size_t)len);
    }
    weft_stream_end(c);
}

static long arg_ms(weft_ctx *c, const char *name, long def)
{
    long ms = weft_query_int(c, name, def);
    return ms < 0 ? -1 : ms > 600000 ? -1 : ms;
}

/* Blocks the loop: what the stall detector (--stall-ms) is there to see. */
static void block_async(weft_ctx *c)
{
    long ms = arg_ms(c, "ms", 300);
    if (ms < 0) {
        weft_reply_error(c, 400, "ms must be 0..600000");
        return;
    }
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* wrong on purpose: never block in WEFT_ASYNC */
    weft_replyf(c, 200, "text/plain", "blocked the loop for %ld ms\n", ms);
}

static void delay_async(weft_ctx *c)
{
    long ms = arg_ms(c, "ms", 100);
    if (ms < 0) {
        weft_reply_error(c, 400, "ms must be between 0 and 600000");
        return;
    }
    uint64_t t0 = weft_now_ms();
    int err = weft_await(weft_delay(weft_ctx_scope(c), (uint64_t)ms));
    if (err) {
        /* Canceled (the client left) or timed out: nobody is listening, but
         * say so in the log - the tests watch for it. */
        weft_info("delay of %ld ms ended after %llu ms: %s", ms,
                  (unsigned long long)(weft_now_ms() - t0), weft_strerror(err));
        return;
    }
    weft_replyf(c, 200, "text/plain", "waited %ld ms, holding no thread\n", ms);
}

static void fanout_async(weft_ctx *c)
{
    long ms = arg_ms(c, "ms", 100), n = weft_query_int(c, "n", 3);
    if (ms < 0 || n < 1 || n > 1000) {
        weft_reply_error(c, 400, "ms must be 0..600000 and n 1..1000");
        return;
    }
    weft_scope *s = weft_ctx_scope(c);
    weft_task **t = weft_arena_alloc(weft_ctx_arena(c), (size_t)n * sizeof *t);
    for (long i = 0; i < n; i++)
        t[i] = weft_delay(s, (uint64_t)ms);
    uint64_t t0 = weft_now_ms();
    int err = weft_await(weft_when_all(s, t, (size_t)n));
    if (err)
        return;
    weft_replyf(c, 200, "text/plain", "%ld delays of %ld ms in parallel took %llu ms\n", n, ms,
                (unsigned long long)(weft_now_ms() - t0));
}

static void deadline_async(weft_ctx *c)
{
    long ms = arg_ms(c, "ms", 1000);
    if (ms < 0) {
        weft_reply_error(c, 400, "ms must be between 0 and 600000");
        return;
    }
    int err = weft_await(weft_delay(weft_ctx_scope(c), (uint64_t)ms));
    if (err == 0)
        weft_replyf(c, 200, "text/plain", "finished within the deadline after %ld ms\n", ms);
    /* on WEFT_ETIMEDOUT the server has answered 504 already */
}

static void echo_async(weft_ctx *c)
{
    long ms = arg_ms(c, "ms", 50);
    if (ms < 0) {
        weft_reply_error(c, 400, "ms must be between 0 and 600000");
        return;
    }
    if (weft_await(weft_delay(weft_ctx_scope(c), (uint64_t)ms)))
        return;
    /* Everything of the request is still readable after the wait. */
    weft_str body = weft_req_body(c), agent = weft_req_header(c, "X-Tag");
    weft_replyf(c, 200, "text/plain", "%s|%.*s|%.*s", weft_param(c, "tag"), (int)agent.len,
                agent.base ? agent.base : "", (int)body.len, body.base ? body.base : "");
}

static void *spin(void *arg)
{
    long n = (long)(intptr_t)arg;
    uint64_t x = 88172645463325252ull;
    for (long i = 0; i < n; i++) { /* xorshift: work the compiler cannot skip */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    uint64_t *out = malloc(sizeof *out);
    if (out)
        *out = x;
    return out;
}

static void cpu_async(weft_ctx *c)
{
    long n = weft_query_int(c, "n", 1000000);
    if (n < 0 || n > 2000000000L) {
        weft_reply_error(c, 400, "n must be between 0 and 2000000000");
        return;
    }
    weft_task *t = weft_run(weft_ctx_scope(c), spin, (void *)(intptr_t)n, free);
    int err = weft_await(t);
    if (err == WEFT_EBUSY) {
        weft_reply_error(c, 503, "the worker pool is full");
        return;
    }
    if (err)
        return;
    weft_replyf(c, 200, "text/plain", "%ld iterations on a worker: %llx\n", n,
                (unsigned long long)*(uint64_t *)weft_task_value(t));
}

/* Callback style: start the operations, count them, return. Each
 * continuation decrements; the completion writes the answer. */
static void callback_fanout_done(weft_ctx *c)
{
    long *n = weft_bag_get(c, "n"), *failed = weft_bag_get(c, "failed");
    if (*failed)
        weft_reply_error(c, 502, "an operation failed");
    else
        weft_replyf(c, 200, "text/plain", "%ld operations completed by callbacks\n", *n);
}

static void callback_fanout_one(weft_task *t, void *arg)
{
    weft_ctx *c = arg;
    if (weft_task_err(t))
        (*(long *)weft_bag_get(c, "failed"))++;
    weft_ops_done(c);
}

static void callback_fanout(weft_ctx *c)
{
    long ms = arg_ms(c, "ms", 100), n = weft_query_int(c, "n", 3);
    if (ms < 0 || n < 1 || n > 1000) {
        weft_reply_error(c, 400, "ms must be 0..600000 and n 1..1000");
        return;
    }
    long *count = weft_arena_alloc(weft_ctx_arena(c), 2 * sizeof *count);
    if (!count) {
        weft_reply_error(c, 503, "out of memory");
        return;
    }
    count[0] = n;
    count[1] = 0;
    weft_bag_set(c, "n", &count[0]);
    weft_bag_set(c, "failed", &count[1]);
    weft_ops_on_complete(c, callback_fanout_done);
    weft_ops_add(c, (int)n);
    for (long i = 0; i < n; i++)
        weft_task_then(weft_delay(weft_ctx_scope(c), (uint64_t)ms), callback_fanout_one, c);
}

/* The process's counters (weft_stats_snapshot), as JSON. */
static void stats(weft_ctx *c)
{
    weft_stats *st = weft_stats_snapshot();
    if (!st) {
        weft_reply_error(c, 503, "out of memory");
        return;
    }
    json_t *endpoints = json_array();
    for (size_t i = 0; i < st->client.nendpoints; i++) {
        const weft_endpoint_stats *e = &st->client.endpoints[i];
        json_array_append_new(endpoints,
                              json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "name", e->name, "calls",
                                        (json_int_t)e->calls, "errors", (json_int_t)e->errors,
                                        "active", (json_int_t)e->active, "waiting",
                                        (json_int_t)e->waiting, "connections",
                                        (json_int_t)e->connections, "idle", (json_int_t)e->idle));
    }
    json_t *o = json_pack(
        "{s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
        "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I,s:o}}",
        "server", "connections_open", (json_int_t)st->server.connections_open, "requests",
        (json_int_t)st->server.requests, "requests_inflight", (json_int_t)st->server.requests_inflight,
        "responses_2xx", (json_int_t)st->server.responses[2], "responses_3xx",
        (json_int_t)st->server.responses[3], "responses_4xx", (json_int_t)st->server.responses[4],
        "responses_5xx", (json_int_t)st->server.responses[5], "responses_499",
        (json_int_t)st->server.responses_499, "responses_503", (json_int_t)st->server.responses_503,
        "responses_504", (json_int_t)st->server.responses_504, "bad_requests",
        (json_int_t)st->server.bad_requests, "timeouts", (json_int_t)st->server.timeouts,
        "connections_accepted", (json_int_t)st->server.connections_accepted, "loop_stalls",
        (json_int_t)st->server.loop_stalls, "loop_lag_us_max", (json_int_t)st->server.loop_lag_us_max,
        "tls_handshakes", (json_int_t)st->server.tls_handshakes, "tls_resumed",
        (json_int_t)st->server.tls_resumed, "tls_handshake_failures",
        (json_int_t)st->server.tls_handshake_failures,
        "pool", "threads",
        (json_int_t)st->pool.threads, "busy", (json_int_t)st->pool.busy, "queued",
        (json_int_t)st->pool.queued, "completed", (json_int_t)st->pool.completed, "rejected",
        (json_int_t)st->pool.rejected, "queue_wait_ns_sum", (json_int_t)st->pool.queue_wait_ns_sum,
        "queue_wait_ns_max", (json_int_t)st->pool.queue_wait_ns_max, "fibers", "alive",
        (json_int_t)st->fibers.alive, "spawned", (json_int_t)st->fibers.spawned, "stacks_mapped",
        (json_int_t)st->fibers.stacks_mapped, "stack_bytes", (json_int_t)st->fibers.stack_bytes,
        "client", "calls_started", (json_int_t)st->client.calls_started, "calls_ok",
        (json_int_t)st->client.calls_ok, "calls_failed", (json_int_t)st->client.calls_failed,
        "sockets_open", (json_int_t)st->client.sockets_open, "endpoints", endpoints);
    weft_stats_free(st);
    weft_reply_json_new(c, 200, o);
}

/* Server-sent events: n "tick" events ms apart, numbered on from the
 * client's Last-Event-ID, two data lines each; a heartbeat comment after
 * beat ms of silence. */
static void events_async(weft_ctx *c)
{
    long n = weft_query_int(c, "n", 3), beat = weft_query_int(c, "beat", 0);
    long ms = arg_ms(c, "ms", 100);
    if (n < 0 || n > 10000 || ms < 0 || beat < 0 || beat > 600000) {
        weft_reply_error(c, 400, "n, ms or beat out of range");
        return;
    }
    const char *last = weft_sse_last_event_id(c);
    long first = last ? strtol(last, NULL, 10) + 1 : 1;
    if (weft_sse_begin(c, (unsigned)beat))
        return;
    for (long i = first; i < first + n; i++) {
        if (weft_await(weft_delay(weft_ctx_scope(c), (uint64_t)ms)))
            return; /* the client left, or the deadline passed */
        char id[24], data[64];
        snprintf(id, sizeof id, "%ld", i);
        snprintf(data, sizeof data, "tick %ld\nline two", i);
        weft_sse_send(c, "tick", id, data);
    }
    weft_sse_end(c);
}

/* A WebSocket that sends back what it gets (messages up to 64 KiB). */
static void ws_echo(weft_ctx *c)
{
    weft_ws *ws = weft_ws_accept(c, &(weft_ws_opts){.max_message = 64 * 1024, .protocol = "echo"});
    if (!ws)
        return;
    weft_ws_type type;
    weft_str msg;
    while (weft_ws_recv(ws, &type, &msg) == 1)
        if (weft_ws_send(ws, type, msg.base, msg.len))
            break;
}

/* The bug in a handler that --processes contains: a worker dies of it. */
static void crash(weft_ctx *c)
{
    volatile int *nowhere = NULL;
    weft_reply_str(c, 200, "text/plain", *nowhere ? "unreachable\n" : "");
}

int main(int argc, char **argv)
{
    weft_app *app = weft_app_new(argc, argv);
    const char *crash_route = NULL;
    weft_app_opt_str(app, "crash-route", &crash_route,
                     "yes: serve GET /crash, whose handler dereferences a null pointer (tests)");
    if (crash_route && strcmp(crash_route, "yes") == 0)
        weft_route(app, "GET /crash", crash, WEFT_CALLBACK);
    const char *middleware = NULL;
    weft_app_opt_str(app, "middleware", &middleware,
                     "yes: request id, Server-Timing and CORS on every answer (bench S11)");
    if (middleware && strcmp(middleware, "yes") == 0) {
        weft_use(app, weft_mw_request_id());
        weft_use(app, weft_mw_timing());
        weft_use(app, weft_mw_cors(&(weft_cors_opts){.origins = "*"}));
    }
    weft_route(app, "GET /plaintext", plaintext, WEFT_CALLBACK);
    weft_route(app, "GET /json", json, WEFT_CALLBACK);
    weft_route(app, "POST /json-echo", json_echo, WEFT_CALLBACK);
    weft_route(app, "GET /greet/{name}", greet, WEFT_CALLBACK);
    weft_route(app, "GET /events", events_async, WEFT_ASYNC);
    weft_route(app, "GET /ws-echo", ws_echo, WEFT_ASYNC);
    weft_route(app, "GET /sleep", sleep_sync, WEFT_SYNC);
    weft_route(app, "POST /echo", echo, WEFT_CALLBACK);
    weft_route(app, "GET /stream", stream, WEFT_CALLBACK);
    weft_route(app, "GET /peer", peer, WEFT_CALLBACK);
    weft_route(app, "GET /whoami", whoami, WEFT_CALLBACK);
    weft_route(app, "GET /delay", delay_async, WEFT_ASYNC);
    weft_route(app, "GET /block", block_async, WEFT_ASYNC);
    weft_route(app, "GET /fanout", fanout_async, WEFT_ASYNC);
    weft_route_opt(app, "GET /deadline", deadline_async, WEFT_ASYNC, .timeout_ms = 150);
    weft_route(app, "GET /cpu", cpu_async, WEFT_ASYNC);
    weft_route(app, "POST /echo-async/{tag}", echo_async, WEFT_ASYNC);
    weft_route(app, "GET /stats", stats, WEFT_CALLBACK);
    weft_route(app, "GET /callback-fanout", callback_fanout, WEFT_CALLBACK);
    return weft_app_run(app);
}
