/* core.c - the client's core: the per-loop client, the one call object
 * (call_base) and its wait queue, the counters.
 *
 * Every engine's call begins with a call_base: started here (a reference
 * on its task, its limits, its time-out), armed here (its own timer, its
 * scope's cancellation), ended here; and counted here, ok or failed, with
 * a failure's message noted on its scope for error pages. Calls no
 * engine by name: the list it cleans up with comes from src/app/client.c. Loop
 * thread only. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "../task/task_int.h"
#include "core.h"

static __thread client_loop *CL;

static void collect(weft_stat_source *src, weft_stats *out)
{
    client_loop *cl = (client_loop *)((char *)src - offsetof(client_loop, stats_src));
    out->client.calls_started += weft__counter(&cl->st.calls_started);
    out->client.calls_ok += weft__counter(&cl->st.calls_ok);
    out->client.calls_failed += weft__counter(&cl->st.calls_failed);
    out->client.calls_canceled += weft__counter(&cl->st.calls_canceled);
    out->client.calls_active += weft__counter(&cl->st.calls_active);
    out->client.sockets_open += weft__counter(&cl->st.sockets_open);
    out->client.connections_opened += weft__counter(&cl->st.connections_opened);
    out->client.latency_us_sum += weft__counter(&cl->st.latency_us_sum);
    uint64_t max = weft__counter(&cl->st.latency_us_max);
    if (max > out->client.latency_us_max)
        out->client.latency_us_max = max;
}

static void on_loop_close(weft_loop_hook *h)
{
    (void)h;
    weft__client_loop_free();
}

client_loop *weft__client_loop(const weft_client_config *cfg,
                               const weft_client_engine *const *engines, size_t n)
{
    if (CL)
        return CL;
    weft_loop *loop = weft_loop_current();
    if (!loop)
        return NULL;
    client_loop *cl = calloc(1, sizeof *cl);
    if (!cl)
        return NULL;
    cl->loop = loop;
    cl->cfg = cfg;
    /* The limits are the process's: each loop keeps its share. */
    long loops = cfg->loops > 0 ? cfg->loops : 1;
    cl->host_limit = cfg->max_conns_per_endpoint > 0
                         ? (cfg->max_conns_per_endpoint + loops - 1) / loops
                         : 0;
    cl->total_limit = cfg->max_conns_total > 0 ? (cfg->max_conns_total + loops - 1) / loops : 0;
    cl->engines = engines;
    cl->nengines = n;
    cl->at_close.fn = on_loop_close;
    weft__loop_hook_add(loop, &cl->at_close, WEFT_PHASE_CLOSE);
    cl->stats_src.collect = collect;
    weft__stats_register(&cl->stats_src);
    CL = cl;
    return cl;
}

void weft__client_loop_free(void)
{
    client_loop *cl = CL;
    if (!cl)
        return;
    for (size_t i = 0; i < cl->nengines; i++)
        cl->engines[i]->cleanup(cl->engines[i], cl);
    weft__stats_unregister(&cl->stats_src);
    weft__loop_hook_remove(cl->loop, &cl->at_close);
    CL = NULL;
    free(cl);
}

/* ---- counting ------------------------------------------------------------------ */

static void collect_endpoint(weft_stat_source *src, weft_stats *out)
{
    client_ep_stats *e = (client_ep_stats *)src;
    weft_endpoint_stats es = {.calls = weft__counter(&e->calls),
                              .errors = weft__counter(&e->errors),
                              .waiting = weft__counter(&e->waiting),
                              .connections = weft__counter(&e->connections),
                              .idle = weft__counter(&e->idle)};
    for (size_t i = 0; i < sizeof es.errors_by / sizeof es.errors_by[0]; i++)
        es.errors_by[i] = weft__counter(&e->errors_by[i]);
    weft__hist_read(&e->duration, &es.duration);
    uint64_t in_flight = weft__counter(&e->in_flight);
    es.active = in_flight > es.waiting ? in_flight - es.waiting : 0;
    memcpy(es.name, e->name, sizeof es.name);
    weft__stats_add_endpoint(out, &es);
}

void weft__ep_stats_init(client_ep_stats *e, const struct sockaddr_storage *addr)
{
    char ip[48] = "?";
    int port = 0;
    if (addr->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        port = ntohs(a->sin6_port);
        snprintf(e->name, sizeof e->name, "[%s]:%d", ip, port);
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        port = ntohs(a->sin_port);
        snprintf(e->name, sizeof e->name, "%s:%d", ip, port);
    }
    e->src.collect = collect_endpoint;
    weft__stats_register(&e->src);
}

void weft__ep_stats_fini(client_ep_stats *e)
{
    weft__stats_unregister(&e->src);
}

void weft__client_count_ok(call_base *b, double ms)
{
    client_loop *cl = b->cl;
    uint64_t us = (uint64_t)(ms * 1000.0);
    weft__count(&cl->st.calls_ok, 1);
    weft__count(&cl->st.latency_us_sum, (int64_t)us);
    weft__count_max(&cl->st.latency_us_max, us);
    if (b->eps)
        weft__hist_add(&b->eps->duration, us);
}

void weft__client_count_error(call_base *b, int err, const char *url, const char *detail)
{
    client_loop *cl = b->cl;
    if (err == WEFT_ECANCELED) {
        weft__count(&cl->st.calls_canceled, 1);
        return;
    }
    weft__count(&cl->st.calls_failed, 1);
    if (b->eps) {
        weft__count(&b->eps->errors, 1);
        int kind = -1000 - err;
        if (kind >= 0 && kind < 32)
            weft__count(&b->eps->errors_by[kind], 1);
    }
    weft_scope *s = b->scope;
    if (!s || weft_scope_reason(s))
        return;
    char msg[400];
    if (url)
        snprintf(msg, sizeof msg, "%s: %s", url, detail);
    weft__scope_note_failure(s, err, url ? msg : detail); /* copies it */
}

static int below_total(client_loop *cl)
{
    return cl->total_limit <= 0 ||
           weft__counter(&cl->st.sockets_open) < (uint64_t)cl->total_limit;
}

/* Closes one idle kept-alive connection, of any endpoint; 1 if one went. */
static int drop_an_idle(client_loop *cl)
{
    for (size_t i = 0; i < cl->nengines; i++) {
        const own_engine *e = cl->engines[i]->impl;
        if (!e || !e->drop_idle)
            continue;
        for (own_endpoint *ep = cl->state[e->slot]; ep; ep = ep->next)
            if (e->drop_idle(ep))
                return 1;
    }
    return 0;
}

int weft__client_may_open(client_loop *cl)
{
    if (below_total(cl))
        return 1;
    /* At the limit, a connection kept idle for reuse gives way to a call
     * that waits (as libcurl closes its oldest idle one): else idle
     * connections to one backend could keep another's calls waiting
     * until their deadlines. Its close pumps nothing meanwhile. */
    cl->total_blocked = 0;
    if (drop_an_idle(cl) && below_total(cl))
        return 1;
    cl->total_blocked = 1;
    return 0;
}

/* Room under the total limit: the waiting calls of every endpoint but
 * the one whose connection closed (it pumps its own as the close ends)
 * may take it, in the order of the engines' endpoint lists. */
static void pump_others(client_loop *cl, const client_ep_stats *closing)
{
    cl->total_blocked = 0;
    for (size_t i = 0; i < cl->nengines; i++) {
        const own_engine *e = cl->engines[i]->impl;
        if (!e)
            continue; /* libcurl keeps its own queue */
        for (own_endpoint *ep = cl->state[e->slot]; ep; ep = ep->next)
            if (&ep->stats != closing && ep->waiting.head)
                e->pump(ep);
    }
}

void weft__client_count_conn(client_loop *cl, client_ep_stats *eps, int delta)
{
    weft__count(&cl->st.sockets_open, delta);
    if (delta > 0)
        weft__count(&cl->st.connections_opened, delta);
    if (eps)
        weft__count(&eps->connections, delta);
    if (delta < 0 && cl->total_blocked)
        pump_others(cl, eps);
}

/* ---- the call ------------------------------------------------------------------ */

/* The per-call time-out can only shorten the scope's deadline; the scope's
 * deadline itself cancels the call through its registration, and counts
 * from the request's start, waiting for a connection slot included. */
uint64_t weft__call_timeout(client_loop *cl, weft_scope *s, uint64_t per_call)
{
    uint64_t timeout = per_call;
    int64_t deadline = weft_cancel_deadline(weft_scope_token(s));
    if (deadline >= 0) {
        int64_t left = deadline - (int64_t)weft_loop_now(cl->loop);
        uint64_t l = left > 0 ? (uint64_t)left : 1;
        if (!timeout || l < timeout)
            timeout = l;
    }
    return timeout;
}

void weft__call_base_start(call_base *b, weft_scope *s, weft_task *t, client_loop *cl,
                           client_ep_stats *eps, const char *url, const weft_http_opts *o)
{
    b->task = t;
    b->scope = s;
    b->cl = cl;
    b->eps = eps;
    b->t0 = weft_now_ns();
    b->max_body = o->max_body ? o->max_body : cl->cfg->max_body;
    b->timeout_ms = weft__call_timeout(cl, s, o->timeout_ms);
    size_t url_len = strnlen(url, sizeof b->url - 1);
    memcpy(b->url, url, url_len);
    b->url[url_len] = '\0';
    weft_task_ref(t);
    weft__count(&cl->st.calls_started, 1);
    weft__count(&cl->st.calls_active, 1);
    if (eps) {
        weft__count(&eps->calls, 1);
        weft__count(&eps->in_flight, 1);
    }
}

void weft__call_base_arm(call_base *b, const weft_http_opts *o, void (*on_timeout)(weft_timer *),
                         void (*on_cancel)(weft_cancel_reg *, int), void *arg)
{
    if (o->timeout_ms)
        weft_timer_start(b->cl->loop, &b->timer, b->timeout_ms, on_timeout);
    weft_cancel_register(weft_scope_token(b->scope), &b->reg, on_cancel, arg);
}

void weft__call_base_end(call_base *b)
{
    weft__count(&b->cl->st.calls_active, -1);
    if (b->eps)
        weft__count(&b->eps->in_flight, -1);
    weft_timer_stop(b->cl->loop, &b->timer);
    weft_cancel_unregister(weft_scope_token(b->scope), &b->reg);
}

/* ---- the wait queue --------------------------------------------------------------- */

void weft__call_queue_push(call_queue *q, call_base *b)
{
    if (b->eps)
        weft__count(&b->eps->waiting, 1);
    b->waiting = 1;
    b->wait_next = NULL;
    b->wait_prev = q->tail;
    if (q->tail)
        q->tail->wait_next = b;
    else
        q->head = b;
    q->tail = b;
}

void weft__call_queue_push_front(call_queue *q, call_base *b)
{
    if (b->eps)
        weft__count(&b->eps->waiting, 1);
    b->waiting = 1;
    b->wait_prev = NULL;
    b->wait_next = q->head;
    if (q->head)
        q->head->wait_prev = b;
    else
        q->tail = b;
    q->head = b;
}

void weft__call_queue_remove(call_queue *q, call_base *b)
{
    if (!b->waiting)
        return;
    if (b->eps)
        weft__count(&b->eps->waiting, -1);
    if (b->wait_prev)
        b->wait_prev->wait_next = b->wait_next;
    else
        q->head = b->wait_next;
    if (b->wait_next)
        b->wait_next->wait_prev = b->wait_prev;
    else
        q->tail = b->wait_prev;
    b->wait_prev = b->wait_next = NULL;
    b->waiting = 0;
}
