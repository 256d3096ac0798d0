/* core.c - the client's core: the per-loop client, the one call object
 * (call_base) and its wait queue, the counters.
 *
 * Every engine's call begins with a call_base: started here (a reference
 * on its task, its limits, its time-out), armed here (its own timer, its
 * scope's cancellation), ended here; and counted here, ok or failed, with
 * a failure's message noted on its scope for error pages. Calls no
 * engine by name: the list it cleans up with comes from entry.c. Loop
 * thread only. */
#include <stdlib.h>

#include "../task/task_int.h"
#include "core.h"

static __thread client_loop *CL;

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
    cl->host_limit = cfg->max_conns_per_endpoint > 0 ? cfg->max_conns_per_endpoint : 0;
    cl->engines = engines;
    cl->nengines = n;
    cl->at_close.fn = on_loop_close;
    weft__loop_hook_add(loop, &cl->at_close, WEFT_PHASE_CLOSE);
    CL = cl;
    return cl;
}

void weft__client_loop_free(void)
{
    client_loop *cl = CL;
    if (!cl)
        return;
    for (size_t i = 0; i < cl->nengines; i++)
        cl->engines[i]->cleanup(cl);
    weft__loop_hook_remove(cl->loop, &cl->at_close);
    CL = NULL;
    free(cl);
}

void weft_client_get_stats(weft_client_stats *out)
{
    if (CL)
        *out = CL->st;
    else
        memset(out, 0, sizeof *out);
}

/* ---- counting ------------------------------------------------------------------ */

void weft__client_count_ok(client_loop *cl, double ms)
{
    cl->st.calls_ok++;
    cl->st.latency_ms_sum += ms;
    if (ms > cl->st.latency_ms_max)
        cl->st.latency_ms_max = ms;
}

void weft__client_count_error(client_loop *cl, weft_scope *s, int err, const char *url,
                              const char *detail)
{
    if (err == WEFT_ECANCELED) {
        cl->st.calls_canceled++;
        return;
    }
    cl->st.calls_failed++;
    if (!s || weft_scope_reason(s))
        return;
    char msg[400];
    if (url)
        snprintf(msg, sizeof msg, "%s: %s", url, detail);
    weft__scope_note_failure(s, err, url ? msg : detail); /* copies it */
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
                           const char *url, const weft_http_opts *o)
{
    b->task = t;
    b->scope = s;
    b->cl = cl;
    b->t0 = weft_now_ns();
    b->max_body = o->max_body ? o->max_body : cl->cfg->max_body;
    b->timeout_ms = weft__call_timeout(cl, s, o->timeout_ms);
    size_t url_len = strnlen(url, sizeof b->url - 1);
    memcpy(b->url, url, url_len);
    b->url[url_len] = '\0';
    weft_task_ref(t);
    cl->st.calls_started++;
    cl->st.calls_active++;
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
    b->cl->st.calls_active--;
    weft_timer_stop(b->cl->loop, &b->timer);
    weft_cancel_unregister(weft_scope_token(b->scope), &b->reg);
}

/* ---- the wait queue --------------------------------------------------------------- */

void weft__call_queue_push(call_queue *q, call_base *b)
{
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
