/* curl.c - the libcurl engine: calls on libcurl's multi interface, driven
 * by the loop. It carries what weft's own engines do not: https, host
 * names, HTTP/2 over TLS, and every call under --backend-curl.
 *
 * Owns, per loop, one or more multi handles (shards), the watches on
 * their sockets (CURLMOPT_SOCKETFUNCTION), their timers
 * (CURLMOPT_TIMERFUNCTION, entries in the loop's timer heap), and every
 * call in flight. A call completes its task exactly once: from the
 * multi's completion queue, from its scope's cancellation, or from its
 * own time-out - whichever first - and the other paths are detached
 * before the task completes. libcurl is never re-entered from its own
 * callbacks: completions are processed after curl_multi_socket_action
 * returns. Never blocks; loop thread only. DNS uses libcurl's threaded
 * resolver, off the loop. */
#include <pthread.h>
#include <stdlib.h>

#include "../task/task_int.h"
#include "curl.h"
#include "../base/alloc.h"

/* One multi handle and its connection pool. A loop has one or more. */
struct client_shard {
    CURLM *multi;
    client_loop *cl;
    weft_timer timer;  /* libcurl's own time-outs */
    uint64_t active;   /* calls in this multi */
};

#define MAX_SHARDS 64
/* libcurl 7.88 finds a reusable connection by walking every connection to
 * the host, so one multi with thousands of connections to one backend
 * spends its time in that walk (O(n^2) for a burst). A shard holds at most
 * this many connections per endpoint. */
#define SHARD_CONNS 256

typedef struct curl_state {
    client_shard shards[MAX_SHARDS];
    int nshards, max_shards;
    long shard_host_limit; /* CURLMOPT_MAX_HOST_CONNECTIONS per shard */
} curl_state;

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

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
            weft__count(&cl->st.sockets_open, -1);
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
        weft__count(&cl->st.sockets_open, 1);
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

/* ---- shards ------------------------------------------------------------------ */

static int shard_init(client_loop *cl, curl_state *cs, client_shard *sh)
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
    curl_multi_setopt(sh->multi, CURLMOPT_MAX_HOST_CONNECTIONS, cs->shard_host_limit);
    if (cl->total_limit)
        curl_multi_setopt(sh->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          (cl->total_limit + cs->max_shards - 1) / cs->max_shards);
    /* keep as many idle connections as the limit allows, for reuse */
    curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS,
                      cs->shard_host_limit > 0 ? cs->shard_host_limit : 1024L);
    curl_multi_setopt(sh->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    cs->nshards++;
    return 0;
}

/* libcurl starts with the first call that needs it: its global init loads
 * OpenSSL, 2.4 MB of RSS (libcrypto's pages, smaps of pgw-front around its
 * first call) that a front calling http://IP backends never needs. The
 * per-endpoint limit is split across the shards this loop may open, so
 * all of them together still respect it; a small limit means few
 * connections: one shard, and every idle connection reusable. */
static curl_state *state_of(client_loop *cl)
{
    curl_state *cs = cl->state[ENGINE_CURL];
    if (cs)
        return cs;
    pthread_once(&global_once, global_init);
    if (!(cs = calloc(1, sizeof *cs)))
        return NULL;
    long limit = cl->host_limit;
    cs->max_shards = limit == 0 ? MAX_SHARDS : (int)((limit + SHARD_CONNS - 1) / SHARD_CONNS);
    if (cs->max_shards > MAX_SHARDS)
        cs->max_shards = MAX_SHARDS;
    if (cs->max_shards < 1)
        cs->max_shards = 1;
    cs->shard_host_limit = limit ? (limit + cs->max_shards - 1) / cs->max_shards : 0;
    if (shard_init(cl, cs, &cs->shards[0])) {
        free(cs);
        return NULL;
    }
    cl->state[ENGINE_CURL] = cs;
    return cs;
}

/* The least busy shard; a new one when all are busy and more are allowed.
 * Sequential calls all land on shard 0 and reuse its connections. */
static client_shard *pick_shard(client_loop *cl, curl_state *cs)
{
    client_shard *best = &cs->shards[0];
    for (int i = 1; i < cs->nshards; i++)
        if (cs->shards[i].active < best->active)
            best = &cs->shards[i];
    if (best->active >= SHARD_CONNS && cs->nshards < cs->max_shards &&
        shard_init(cl, cs, &cs->shards[cs->nshards]) == 0)
        best = &cs->shards[cs->nshards - 1];
    return best;
}

static void cleanup(const weft_client_engine *e, client_loop *cl)
{
    (void)e;
    curl_state *cs = cl->state[ENGINE_CURL];
    if (!cs)
        return;
    for (int i = 0; i < cs->nshards; i++) {
        weft_timer_stop(cl->loop, &cs->shards[i].timer);
        curl_multi_cleanup(cs->shards[i].multi); /* closes idle connections */
    }
    free(cs);
    cl->state[ENGINE_CURL] = NULL;
}

/* ---- completion ------------------------------------------------------------ */

/* Releases everything the call holds but its task. */
static void call_free(curl_call *c)
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
static void call_finish(curl_call *c, int err, const char *detail)
{
    weft_task *t = c->base.task;
    c->shard->active--;
    weft__call_base_end(&c->base);
    double ms = (double)(weft_now_ns() - c->base.t0) / 1e6;
    weft_http_response *r = NULL;
    if (err == 0 && !(r = weft__curl_response(c, ms))) {
        err = WEFT_ENOMEM;
        detail = "out of memory";
    }
    if (err == 0)
        weft__client_count_ok(&c->base, ms);
    else
        weft__client_count_error(&c->base, err, NULL, detail); /* detail names the URL */
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
        curl_call *c = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
        CURLcode rc = m->data.result;
        curl_multi_remove_handle(sh->multi, c->easy);
        c->in_multi = 0;
        long connects = 0;
        curl_easy_getinfo(c->easy, CURLINFO_NUM_CONNECTS, &connects);
        weft__count(&cl->st.connections_opened, connects);
        c->reused = connects == 0;
        if (rc == CURLE_OK) {
            call_finish(c, 0, NULL);
        } else {
            char detail[CURL_ERROR_SIZE + 600];
            weft__curl_describe(c, rc, detail, sizeof detail);
            call_finish(c, weft__curl_error(c, rc), detail);
        }
    }
}

static void on_call_cancel(weft_cancel_reg *reg, int reason)
{
    curl_call *c = reg->arg;
    call_finish(c, reason, reason == WEFT_ETIMEDOUT ? "the request's deadline passed"
                                                    : "the call was canceled");
}

static void on_call_timeout(weft_timer *t)
{
    curl_call *c = (curl_call *)((char *)t - offsetof(call_base, timer));
    char detail[400];
    snprintf(detail, sizeof detail, "no complete response from %s within %llu ms", c->base.url,
             (unsigned long long)c->base.timeout_ms);
    call_finish(c, WEFT_ETIMEDOUT, detail);
}

/* ---- starting a call ------------------------------------------------------- */

/* Takes every call: libcurl is the engine of last resort. */
static int start(const weft_client_engine *e, client_loop *cl, weft_scope *s, weft_task *t,
                 const char *url, const weft_http_opts *o)
{
    (void)e;
    curl_state *cs = state_of(cl);
    curl_call *c = cs ? weft__zalloc(sizeof *c) : NULL;
    if (!c) {
        weft_task_reject(t, WEFT_ENOMEM);
        return 1;
    }
    weft__call_base_start(&c->base, s, t, cl, NULL, url, o);
    c->shard = pick_shard(cl, cs);
    c->shard->active++;
    int err = weft__curl_setup(c, url, o, cl->cfg);
    if (err) {
        call_finish(c, err, "invalid request (URL, method, header or option)");
        return 1;
    }
    if (c->base.timeout_ms) /* a backstop inside libcurl too */
        curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long)c->base.timeout_ms + 1000);
    weft__call_base_arm(&c->base, o, on_call_timeout, on_call_cancel, c);
    if (curl_multi_add_handle(c->shard->multi, c->easy) != CURLM_OK) {
        call_finish(c, WEFT_EIO, "cannot add the transfer");
        return 1;
    }
    c->in_multi = 1;
    return 1;
}

const weft_client_engine weft__engine_curl = {
    .name = "libcurl",
    .start = start,
    .cleanup = cleanup,
};
