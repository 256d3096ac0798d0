/* client.c - HTTP calls on libcurl's multi interface, driven by the loop.
 *
 * Owns one multi handle per loop thread, the poll handles of its sockets
 * (CURLMOPT_SOCKETFUNCTION), its timer (CURLMOPT_TIMERFUNCTION, an entry in
 * the loop's timer heap), and every call in flight. A call completes its
 * task exactly once: from the multi's completion queue, from its scope's
 * cancellation, or from its own time-out - whichever first - and the
 * other paths are detached before the task completes. libcurl is never
 * re-entered from its own callbacks: completions are processed after
 * curl_multi_socket_action returns. Never blocks; loop thread only. DNS
 * uses libcurl's threaded resolver, off the loop. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>

#include "../loop/loop.h"
#include "../task/task_int.h"
#include "client_int.h"
#include "../base/alloc.h"

static weft_client_config config = {1024, 0, 0, 8u << 20, 0, 0};
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static __thread client_loop *CL;

void weft_client_configure(const weft_client_config *cfg)
{
    config = *cfg;
    if (!config.max_body)
        config.max_body = 8u << 20;
}

static void global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- sockets and the timer ---------------------------------------------- */

typedef struct sock_ctx {
    weft_io_watch *watch;
    curl_socket_t fd;
    client_shard *sh;
} sock_ctx;

static void process_completions(client_shard *sh);

static void on_ready(weft_io_watch *w, int events, void *arg)
{
    (void)w;
    sock_ctx *sc = arg;
    client_shard *sh = sc->sh;
    int flags = 0;
    if (events & WEFT_IO_ERROR)
        flags = CURL_CSELECT_ERR;
    if (events & WEFT_IO_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & WEFT_IO_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(sh->multi, sc->fd, flags, &running);
    process_completions(sh);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    client_shard *sh = userp;
    client_loop *cl = sh->cl;
    sock_ctx *sc = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (sc) {
            weft__io_watch_free(sc->watch);
            free(sc);
            curl_multi_assign(sh->multi, fd, NULL);
            cl->st.sockets_open--;
        }
        return 0;
    }
    if (!sc) {
        sc = calloc(1, sizeof *sc);
        if (!sc || !(sc->watch = weft__io_watch_new(cl->loop, fd, on_ready, sc))) {
            free(sc);
            return -1;
        }
        sc->fd = fd;
        sc->sh = sh;
        curl_multi_assign(sh->multi, fd, sc);
        cl->st.sockets_open++;
    }
    int ev = ((what & CURL_POLL_IN) ? WEFT_IO_READABLE : 0) |
             ((what & CURL_POLL_OUT) ? WEFT_IO_WRITABLE : 0);
    return weft__io_watch_set(sc->watch, ev) ? -1 : 0;
}

static void on_curl_timer(weft_timer *t)
{
    client_shard *sh = (client_shard *)((char *)t - offsetof(client_shard, timer));
    int running;
    curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    process_completions(sh);
}

static int on_timer_change(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    client_shard *sh = userp;
    if (timeout_ms < 0)
        weft_timer_stop(sh->cl->loop, &sh->timer);
    else
        weft_timer_start(sh->cl->loop, &sh->timer, (uint64_t)timeout_ms, on_curl_timer);
    return 0;
}

static int shard_init(client_loop *cl, client_shard *sh)
{
    sh->cl = cl;
    sh->multi = curl_multi_init();
    if (!sh->multi)
        return WEFT_ENOMEM;
    curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
    curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
    curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
    /* maxconnection: calls past the limit wait in libcurl's queue, in order */
    curl_multi_setopt(sh->multi, CURLMOPT_MAX_HOST_CONNECTIONS, cl->shard_host_limit);
    if (config.max_conns_total)
        curl_multi_setopt(sh->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          (config.max_conns_total + cl->max_shards - 1) / cl->max_shards);
    /* keep as many idle connections as the limit allows, for reuse */
    curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS,
                      cl->shard_host_limit > 0 ? cl->shard_host_limit : 1024L);
    curl_multi_setopt(sh->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    cl->nshards++;
    return 0;
}

static void on_loop_close(weft_loop_hook *h)
{
    (void)h;
    weft_client_thread_cleanup();
}

client_loop *weft__client_loop(void)
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
    /* The per-endpoint limit is split across the shards this loop may
     * open, so all of them together still respect it. A small limit means
     * few connections: one shard, and every idle connection reusable. */
    long limit = config.max_conns_per_endpoint > 0 ? config.max_conns_per_endpoint : 0;
    cl->host_limit = limit;
    cl->max_shards = limit == 0 ? CLIENT_MAX_SHARDS
                                : (int)((limit + CLIENT_SHARD_CONNS - 1) / CLIENT_SHARD_CONNS);
    if (cl->max_shards > CLIENT_MAX_SHARDS)
        cl->max_shards = CLIENT_MAX_SHARDS;
    if (cl->max_shards < 1)
        cl->max_shards = 1;
    cl->shard_host_limit = limit ? (limit + cl->max_shards - 1) / cl->max_shards : 0;
    cl->at_close.fn = on_loop_close;
    weft__loop_hook_add(loop, &cl->at_close, WEFT_PHASE_CLOSE);
    CL = cl;
    return cl;
}

/* libcurl carries the calls weft's own connections do not (https, host
 * names, --backend-curl), and starts with the first of them: its global
 * init loads OpenSSL, 2.4 MB of RSS (libcrypto's pages, smaps of
 * pgw-front around its first call) that a front calling http://IP
 * backends never needs. 0, or WEFT_ENOMEM. */
static int curl_ready(client_loop *cl)
{
    if (cl->nshards)
        return 0;
    pthread_once(&global_once, global_init);
    return shard_init(cl, &cl->shards[0]);
}

/* The least busy shard; a new one when all are busy and more are allowed.
 * Sequential calls all land on shard 0 and reuse its connections. */
static client_shard *pick_shard(client_loop *cl)
{
    client_shard *best = &cl->shards[0];
    for (int i = 1; i < cl->nshards; i++)
        if (cl->shards[i].active < best->active)
            best = &cl->shards[i];
    if (best->active >= CLIENT_SHARD_CONNS && cl->nshards < cl->max_shards &&
        shard_init(cl, &cl->shards[cl->nshards]) == 0)
        best = &cl->shards[cl->nshards - 1];
    return best;
}

void weft_client_thread_cleanup(void)
{
    client_loop *cl = CL;
    if (!cl)
        return;
    weft__native_cleanup(cl);
    weft__h2_cleanup(cl);
    for (int i = 0; i < cl->nshards; i++) {
        weft_timer_stop(cl->loop, &cl->shards[i].timer);
        curl_multi_cleanup(cl->shards[i].multi); /* closes idle connections */
    }
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

/* ---- body and header callbacks ------------------------------------------ */

size_t weft__call_on_body(char *data, size_t size, size_t n, void *arg)
{
    weft_call *c = arg;
    size_t len = size * n;
    if (c->body.len + len > c->max_body) {
        c->too_big = 1;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    return weft_buf_append(&c->body, data, len) ? 0 : len;
}

size_t weft__call_on_header(char *data, size_t size, size_t n, void *arg)
{
    weft_call *c = arg;
    size_t len = size * n;
    /* A new status line (after a 100 Continue or a redirect) starts over. */
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0)
        c->head.len = 0;
    if (c->head.len + len > 65536)
        return 0;
    return weft_buf_append(&c->head, data, len) ? 0 : len;
}

/* ---- completion ------------------------------------------------------------ */

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

/* Releases everything the call holds but its task. */
static void call_free(weft_call *c)
{
    if (c->easy) {
        if (c->in_multi)
            curl_multi_remove_handle(c->shard->multi, c->easy);
        curl_easy_cleanup(c->easy);
    }
    curl_slist_free_all(c->hdrs);
    weft_buf_free(&c->body);
    weft_buf_free(&c->head);
    free(c);
}

/* Completes the call's task with err (0: the response). Everything is
 * detached and freed first: completing the task runs continuations, which
 * may end the scope and would otherwise find this call still registered. */
static void call_finish(weft_call *c, int err, const char *detail)
{
    client_loop *cl = c->cl;
    weft_task *t = c->task;
    cl->st.calls_active--;
    c->shard->active--;
    weft_timer_stop(cl->loop, &c->timer);
    weft_cancel_unregister(weft_scope_token(c->scope), &c->reg);
    double ms = (double)(weft_now_ns() - c->t0) / 1e6;
    weft_http_response *r = NULL;
    if (err == 0 && !(r = weft__response_build(c, ms))) {
        err = WEFT_ENOMEM;
        detail = "out of memory";
    }
    if (err == 0) {
        weft__client_count_ok(cl, ms);
    } else {
        weft__client_count_error(cl, c->scope, err, NULL, detail); /* detail names the URL */
    }
    call_free(c);
    if (err == 0)
        weft_task_resolve(t, r, weft__response_free);
    else
        weft_task_reject(t, err);
    weft_task_unref(t);
}

static void process_completions(client_shard *sh)
{
    client_loop *cl = sh->cl;
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(sh->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        weft_call *c = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
        CURLcode rc = m->data.result;
        curl_multi_remove_handle(sh->multi, c->easy);
        c->in_multi = 0;
        long connects = 0;
        curl_easy_getinfo(c->easy, CURLINFO_NUM_CONNECTS, &connects);
        cl->st.connections_opened += (uint64_t)connects;
        c->reused = connects == 0;
        if (rc == CURLE_OK) {
            call_finish(c, 0, NULL);
        } else {
            char detail[CURL_ERROR_SIZE + 600];
            weft__describe_error(c, rc, detail, sizeof detail);
            call_finish(c, weft__map_curl_error(c, rc), detail);
        }
    }
}

static void on_call_cancel(weft_cancel_reg *reg, int reason)
{
    weft_call *c = reg->arg;
    call_finish(c, reason, reason == WEFT_ETIMEDOUT ? "the request's deadline passed"
                                                    : "the call was canceled");
}

static void on_call_timeout(weft_timer *t)
{
    weft_call *c = (weft_call *)((char *)t - offsetof(weft_call, timer));
    char detail[640];
    snprintf(detail, sizeof detail, "no complete response from %s within %llu ms", c->url,
             (unsigned long long)c->timeout_ms);
    call_finish(c, WEFT_ETIMEDOUT, detail);
}

/* ---- starting a call ------------------------------------------------------- */

/* The per-call time-out can only shorten the scope's deadline; the scope's
 * deadline itself cancels the call through its registration, and counts
 * from the request's start, waiting for a connection slot included.
 * Returns the effective time-out in ms (0 = none). */
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
                           const char *url, const weft_http_opts *o, uint64_t default_max_body)
{
    b->task = t;
    b->scope = s;
    b->cl = cl;
    b->t0 = weft_now_ns();
    b->max_body = o->max_body ? o->max_body : default_max_body;
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

weft_task *weft_http_request(weft_scope *s, const char *url, const weft_http_opts *opts)
{
    weft_task *t = weft_task_new(s);
    if (!t)
        return NULL;
    weft_http_opts none = {0};
    if (!opts)
        opts = &none;
    int reason = weft_scope_reason(s);
    client_loop *cl = reason ? NULL : weft__client_loop();
    /* Plain http:// to an IP address: weft's own client, HTTP/1.1
     * (native.c) or HTTP/2 (h2.c). */
    if (cl && !config.curl_only &&
        (config.http2 ? weft__h2_request(s, t, cl, url, opts, config.max_body)
                      : weft__native_request(s, t, cl, url, opts, config.max_body)))
        return t;
    weft_call *c = cl && curl_ready(cl) == 0 ? weft__zalloc(sizeof *c) : NULL;
    if (!c) {
        weft_task_reject(t, reason ? reason : cl ? WEFT_ENOMEM : WEFT_ESTATE);
        return t;
    }
    c->cl = cl;
    c->shard = pick_shard(cl);
    c->shard->active++;
    c->task = t;
    c->scope = s;
    c->t0 = weft_now_ns();
    c->max_body = opts->max_body ? opts->max_body : config.max_body;
    snprintf(c->url, sizeof c->url, "%s", url);
    weft_task_ref(t); /* the call's reference, until it completes */
    cl->st.calls_started++;
    cl->st.calls_active++;
    int err = weft__call_setup(c, url, opts, &config);
    if (err) {
        call_finish(c, err, "invalid request (URL, method, header or option)");
        return t;
    }
    uint64_t timeout = weft__call_timeout(cl, s, opts->timeout_ms);
    c->timeout_ms = timeout;
    if (opts->timeout_ms)
        weft_timer_start(cl->loop, &c->timer, c->timeout_ms, on_call_timeout);
    if (timeout) /* a backstop inside libcurl too */
        curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long)timeout + 1000);
    weft_cancel_register(weft_scope_token(s), &c->reg, on_call_cancel, c);
    if (curl_multi_add_handle(c->shard->multi, c->easy) != CURLM_OK) {
        call_finish(c, WEFT_EIO, "cannot add the transfer");
        return t;
    }
    c->in_multi = 1;
    return t;
}

weft_task *weft_http_get(weft_scope *s, const char *url)
{
    return weft_http_request(s, url, NULL);
}
