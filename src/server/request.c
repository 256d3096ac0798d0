/* request.c - the request path's beginning and end, and the request
 * accessors handlers use.
 *
 * A codec (src/http1, src/http2) fills a context's request - method, target, path,
 * query, host, headers, body - and calls weft__request_begin; from there
 * on nothing depends on the protocol: admission, routing, handler kinds,
 * deadlines, cancellation and the access log are the same for both. The
 * request ends when it has its answer and no handler context holds it;
 * the codec then goes on (next request, stream closed). Loop thread,
 * except the accessors, which run on the handler's thread. */
#include <stdio.h>
#include <stdlib.h>

#include "server.h"

void weft__ctx_init(weft_ctx *c, const weft_codec *codec, weft_sloop *sl)
{
    c->codec = codec;
    c->sl = sl;
    c->app = sl->app;
    weft__scope_init(&c->scope, &sl->loop, 1024);
}

void weft__ctx_free(weft_ctx *c)
{
    weft_buf_free(&c->sync_body);
    weft__scope_destroy(&c->scope);
}

/* Resets the per-request state; c->req and c->body are the codec's. */
static void ctx_begin(weft_ctx *c)
{
    c->status = 0;
    c->resp = RESP_NONE;
    atomic_store_explicit(&c->answered, 0, memory_order_relaxed);
    c->sync_body.len = 0;
    c->sync_ended = 0;
    c->resp_headers = NULL;
    c->nresp_headers = c->resp_headers_cap = 0;
    c->close_after = 0;
    c->on_worker = 0;
    c->answered_at_deadline = 0;
    c->client_gone = 0;
    c->gone = 0;
    c->in_request = 1;
    c->holds = 0;
    c->bytes_out = 0;
    c->ops = 0;
    c->ops_complete = NULL;
    c->bag = NULL;
    c->on_end = NULL;
    c->body_json = NULL;
    c->drain_wait = NULL;
    c->body_wait = NULL;
    c->body_given = 0;
    c->match.route = NULL;
    c->chain = &weft__no_chain;
    c->mw_ran = 0;
    c->kind_counted = -1;
    c->client_addr = c->request_id = NULL;
    c->started_ms = weft_loop_now(&c->sl->loop);
    c->is_head = weft_str_eq(c->req.method, WEFT_STRLIT("HEAD"));
    /* The request's scope hangs off nothing: the server's own shutdown
     * reaches it through the connection. */
    weft__scope_begin(&c->scope, NULL);
    /* The codec wrote the header list to scratch memory; the request keeps
     * its own copy so a worker thread can read it later. */
    size_t n = c->req.nheaders;
    weft_header *h = n ? weft_arena_alloc(&c->scope.arena, n * sizeof *h) : NULL;
    if (h)
        memcpy(h, c->req.headers, n * sizeof *h);
    c->req.headers = h;
    c->req.nheaders = h ? n : 0;
    weft_sloop *sl = c->sl;
    if (++sl->inflight == sl->inflight_share + 1) /* past its share: see dispatch.c */
        atomic_fetch_add_explicit(&c->app->loops_over_share, 1, memory_order_relaxed);
    weft__count(&sl->stats.inflight, 1);
}

/* A request to the --redirect-http port: 308 to the same host and target
 * over https (308, not 301: the method and body are kept). */
static void redirect_https(weft_ctx *c)
{
    weft_str host = c->req.host;
    if (!host.len)
        host = weft_str_cstr(c->app->cfg.host);
    size_t end = 0; /* the host without its port */
    if (host.len && host.base[0] == '[')
        while (end < host.len && host.base[end++] != ']')
            ;
    else
        while (end < host.len && host.base[end] != ':')
            end++;
    char port[16] = "";
    if (c->app->bound_port != 443)
        snprintf(port, sizeof port, ":%d", c->app->bound_port);
    char *loc = weft_arena_printf(weft_scope_arena(&c->scope), "https://%.*s%s%.*s", (int)end,
                                  host.base, port, (int)c->req.target.len, c->req.target.base);
    if (!loc || weft_add_header(c, "Location", loc)) {
        weft_reply_error(c, 500, "out of memory");
        return;
    }
    weft_replyf(c, 308, "text/plain; charset=utf-8", "This site is served over HTTPS: %s\n", loc);
}

void weft__request_begin(weft_ctx *c)
{
    ctx_begin(c);
    weft__count(&c->sl->stats.requests, 1);
    if (c->to_https) {
        redirect_https(c);
        return;
    }
    weft__dispatch(c);
}

void weft__request_reject(weft_ctx *c, int status, const char *why)
{
    weft__count(&c->sl->stats.bad_requests, 1);
    /* The head may be incomplete or invalid: answer with no request
     * semantics (no keep-alive); keep what was parsed of the request line
     * for the access log. */
    weft_str method = c->req.method, target = c->req.target;
    memset(&c->req, 0, sizeof c->req);
    c->req.method = method;
    c->req.target = method.len ? target : WEFT_STR_NULL;
    c->req.minor = 1;
    c->body = WEFT_STR_NULL;
    ctx_begin(c);
    c->close_after = 1;
    weft_reply_error(c, status, why);
}

/* The request's route counts its answer and its time; the handler kind
 * it ran as is no longer in flight. */
static void count_end(weft_ctx *c)
{
    weft_loop_stats *st = &c->sl->stats;
    if (c->kind_counted >= 0)
        weft__count(&st->inflight_kind[c->kind_counted], -1);
    c->kind_counted = -1;
    if (c->resp != RESP_DONE || !st->routes)
        return;
    weft_route_counters *r = &st->routes[c->match.route ? c->match.route->index : c->app->nroutes];
    int status = c->status;
    weft__count(&r->responses[status >= 100 && status < 600 ? status / 100 : 5], 1);
    uint64_t ms = weft_loop_now(&c->sl->loop) - c->started_ms;
    weft__hist_add(&r->duration, ms * 1000);
}

void weft__request_end(weft_ctx *c)
{
    weft_sloop *sl = c->sl;
    if (!c->in_request)
        return;
    c->in_request = 0;
    weft_timer_stop(&sl->loop, &c->deadline);
    count_end(c);
    if (c->resp == RESP_DONE)
        weft__access_log(c);
    for (weft_end_fn *e = c->on_end; e; e = e->next) /* last registered first */
        e->fn(e->arg);
    c->on_end = NULL;
    c->drain_wait = NULL; /* (the scope's: canceled with it) */
    weft__scope_end(&c->scope);
    c->client_addr = c->request_id = NULL; /* (in the arena; the log has named them) */
    c->resp_headers = NULL;
    c->nresp_headers = 0;
    c->bag = NULL;
    if (sl->inflight-- == sl->inflight_share + 1)
        atomic_fetch_sub_explicit(&c->app->loops_over_share, 1, memory_order_relaxed);
    weft__count(&sl->stats.inflight, -1);
    c->codec->done(c);
}

void weft__request_client_gone(weft_ctx *c, const char *how)
{
    c->client_gone = 1;
    if (!weft_scope_reason(&c->scope)) {
        weft__count(&c->sl->stats.r499, 1);
        weft_debug("client %s %s: canceling its request", c->codec->peer(c), how);
    }
    weft_scope_cancel(&c->scope, WEFT_ECANCELED);
}

void weft__request_abort(weft_ctx *c)
{
    c->gone = 1;
    weft__request_client_gone(c, "lost its connection"); /* cancels what the request started */
    if (c->holds == 0 && c->in_request)
        weft__request_end(c);
}

void weft__count_answer(weft_ctx *c, int status)
{
    weft_loop_stats *st = &c->sl->stats;
    weft__count(&st->responses[status >= 100 && status < 600 ? status / 100 : 5], 1);
    if (status == 503)
        weft__count(&st->r503, 1);
    else if (status == 504)
        weft__count(&st->r504, 1);
}

/* Each route's counters, by its index; requests no route took go last. */
static void collect_routes(weft_sloop *sl, weft_stats *out)
{
    int n = sl->app->nroutes < WEFT_STATS_MAX_ROUTES ? sl->app->nroutes : WEFT_STATS_MAX_ROUTES;
    out->server.nroutes = (size_t)n;
    for (const weft__rt *r = sl->app->routes; r; r = r->next) {
        if (r->index >= n)
            continue;
        weft_route_stats *o = &out->server.routes[r->index];
        snprintf(o->name, sizeof o->name, "%s", r->name);
        o->sync = r->kind == WEFT_SYNC;
        o->worker_us += weft__counter(&sl->stats.routes[r->index].worker_us);
        o->worker_wait_us += weft__counter(&sl->stats.routes[r->index].worker_wait_us);
        for (int i = 1; i < 6; i++)
            o->responses[i] += weft__counter(&sl->stats.routes[r->index].responses[i]);
        weft__hist_read(&sl->stats.routes[r->index].duration, &o->duration);
    }
    weft_route_stats *none = &out->server.routes[n];
    const weft_route_counters *rc = &sl->stats.routes[sl->app->nroutes];
    for (int i = 1; i < 6; i++)
        none->responses[i] += weft__counter(&rc->responses[i]);
    weft__hist_read(&rc->duration, &none->duration);
}

static void collect(weft_stat_source *src, weft_stats *out)
{
    weft_sloop *sl = (weft_sloop *)((char *)src - offsetof(weft_sloop, stats_src));
    const weft_loop_stats *s = &sl->stats;
    out->server.connections_accepted += weft__counter(&s->accepted);
    out->server.connections_open += weft__counter(&s->open);
    out->server.requests += weft__counter(&s->requests);
    out->server.requests_inflight += weft__counter(&s->inflight);
    out->server.bad_requests += weft__counter(&s->bad_requests);
    out->server.timeouts += weft__counter(&s->timeouts);
    out->server.tls_handshakes += weft__counter(&s->tls_full);
    out->server.tls_resumed += weft__counter(&s->tls_resumed);
    out->server.tls_handshake_failures += weft__counter(&s->tls_failed);
    for (int i = 1; i < 6; i++)
        out->server.responses[i] += weft__counter(&s->responses[i]);
    out->server.responses_499 += weft__counter(&s->r499);
    out->server.responses_503 += weft__counter(&s->r503);
    out->server.responses_504 += weft__counter(&s->r504);
    out->server.loop_stalls += weft__counter(&sl->stalls);
    out->server.inflight_callback += weft__counter(&s->inflight_kind[WEFT_CALLBACK]);
    out->server.inflight_sync += weft__counter(&s->inflight_kind[WEFT_SYNC]);
    out->server.inflight_async += weft__counter(&s->inflight_kind[WEFT_ASYNC]);
    int index = weft_loop_index(&sl->loop);
    if (index >= 0 && index < WEFT_STATS_MAX_LOOPS) {
        out->server.loop_lag_us[index] = weft__counter(&sl->lag_us_last);
        if ((size_t)index + 1 > out->server.nloops)
            out->server.nloops = (size_t)index + 1;
    }
    if (s->routes)
        collect_routes(sl, out);
    uint64_t lag = weft__counter(&sl->lag_us_max);
    if (lag > out->server.loop_lag_us_max)
        out->server.loop_lag_us_max = lag;
}

void weft__loop_stats_register(weft_sloop *sl)
{
    sl->stats_src.collect = collect;
    weft__stats_register(&sl->stats_src);
}

void weft__loop_stats_unregister(weft_sloop *sl)
{
    weft__stats_unregister(&sl->stats_src);
}

int weft__ctx_claim(weft_ctx *c)
{
    int expected = 0;
    return atomic_compare_exchange_strong(&c->answered, &expected, 1);
}

/* ---- request accessors ---------------------------------------------------- */

weft_str weft_req_method(const weft_ctx *c)
{
    return c->req.method;
}

weft_str weft_req_path(const weft_ctx *c)
{
    return c->req.path;
}

weft_str weft_req_target(const weft_ctx *c)
{
    return c->req.target;
}

weft_str weft_req_header(const weft_ctx *c, const char *name)
{
    return weft_http_find_header(&c->req, weft_str_cstr(name));
}

weft_str weft_req_body(const weft_ctx *c)
{
    return c->body;
}

int weft_req_http_minor(const weft_ctx *c)
{
    return c->req.minor;
}

const char *weft_req_peer(const weft_ctx *c)
{
    return c->codec->peer((weft_ctx *)c);
}

weft_arena *weft_ctx_arena(weft_ctx *c)
{
    return &c->scope.arena;
}

weft_scope *weft_ctx_scope(weft_ctx *c)
{
    return &c->scope;
}

weft_app *weft_ctx_app(const weft_ctx *c)
{
    return c->app;
}

weft_loop *weft_ctx_loop(const weft_ctx *c)
{
    return &c->sl->loop;
}

const char *weft_param(weft_ctx *c, const char *name)
{
    weft_str n = weft_str_cstr(name);
    for (int i = 0; i < c->match.nparams; i++) {
        if (!weft_str_eq(c->match.names[i], n))
            continue;
        char *out = weft_arena_alloc(&c->scope.arena, c->match.values[i].len + 1);
        if (!out || weft__pct_decode(out, c->match.values[i], 0) < 0)
            return NULL;
        return out;
    }
    return NULL;
}

const char *weft_query(weft_ctx *c, const char *name)
{
    return weft__query_get(&c->scope.arena, c->req.query, name);
}

long weft_query_int(weft_ctx *c, const char *name, long def)
{
    const char *v = weft_query(c, name);
    if (!v || !*v)
        return def;
    char *end;
    long n = strtol(v, &end, 10);
    return *end ? def : n;
}

/* ---- the bag (callback handlers) ------------------------------------------ */

int weft_bag_set(weft_ctx *c, const char *key, void *value)
{
    for (weft_bag_item *it = c->bag; it; it = it->next)
        if (strcmp(it->key, key) == 0) {
            it->value = value;
            return 0;
        }
    weft_bag_item *it = weft_arena_alloc(&c->scope.arena, sizeof *it);
    if (!it)
        return WEFT_ENOMEM;
    *it = (weft_bag_item){c->bag, key, value};
    c->bag = it;
    return 0;
}

void *weft_route_arg(const weft_ctx *c)
{
    return c->match.route ? c->match.route->opts.arg : NULL;
}

void *weft_bag_get(const weft_ctx *c, const char *key)
{
    for (weft_bag_item *it = c->bag; it; it = it->next)
        if (strcmp(it->key, key) == 0)
            return it->value;
    return NULL;
}

int weft_req_on_end(weft_ctx *c, void (*fn)(void *), void *arg)
{
    weft_end_fn *e = weft_arena_alloc(&c->scope.arena, sizeof *e);
    if (!e)
        return WEFT_ENOMEM;
    *e = (weft_end_fn){c->on_end, fn, arg};
    c->on_end = e;
    return 0;
}
