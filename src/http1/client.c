/* client.c - weft's own HTTP/1.1 client for plain http:// backends given
 * by IP address (or "localhost").
 *
 * S7 measured libcurl at ~40 us of CPU per call on a pooled connection
 * (its transfer state machine, its allocations, two poll() liveness checks
 * per call) and weft's own code at 3% of that. This path keeps a pool of
 * keep-alive connections per endpoint on each loop, writes each request
 * with one write - on a new connection as soon as the kernel takes it,
 * before the loop has seen the connect complete (the TCP transport's
 * try_write while connecting) - and parses
 * responses in place with weft's parser and chunked decoder. Everything
 * else - https, HTTP/2, host names (which need a resolver off the loop),
 * proxies - stays on libcurl (src/client/curl.c).
 *
 * Owns the endpoints of its loop, their connections, and the calls in
 * flight on them. A call completes exactly once: response, error, its
 * time-out, or its scope's cancellation; a canceled call's connection is
 * closed, since its response state is unknown. An idle connection keeps
 * reading, so a backend that closes it is noticed and the connection
 * dropped; a request sent on a reused connection that the backend had
 * just closed is retried once on a new one (GET and HEAD only). Loop
 * thread only; never blocks. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>

#include "../loop/transport.h"
#include "../task/task_int.h"
#include "client_int.h"
#include "../base/alloc.h"

static void call_fail(ncall *k, int err, const char *detail);

/* ---- URL and endpoint ------------------------------------------------------ */

/* ---- completing a call ------------------------------------------------------- */

void weft__h1c_call_release(ncall *k)
{
    weft__call_base_end(&k->base);
    weft__call_queue_remove(&k->ep->base.waiting, &k->base);
    if (k->conn) {
        k->conn->call = NULL;
        k->conn = NULL;
    }
    weft_buf_free(&k->req);
}

static void call_fail(ncall *k, int err, const char *detail)
{
    weft_task *t = k->base.task;
    weft__h1c_call_release(k);
    weft__client_count_error(&k->base, err, k->base.url, detail);
    free(k);
    weft_task_reject(t, err);
    weft_task_unref(t);
}

/* ---- connections ------------------------------------------------------------ */

static void on_conn_closed(weft_transport *t)
{
    nconn *c = t->data;
    weft_buf_free(&c->in);
    weft_buf_free(&c->out);
    free(c);
}

static void conn_end(nconn *c, int abortive)
{
    if (c->state == NC_CLOSING)
        return;
    endpoint *ep = c->ep;
    if (c->state == NC_IDLE) { /* unlink from the idle list */
        nconn **pp = &ep->idle;
        while (*pp && *pp != c)
            pp = &(*pp)->next_idle;
        if (*pp)
            *pp = c->next_idle;
        weft__count(&ep->base.stats.idle, -1);
    }
    c->state = NC_CLOSING;
    ep->nconns--;
    weft__client_count_conn(c->cl, &ep->base.stats, -1);
    if (abortive)
        weft__tr_reset(c->tr);
    else
        weft__tr_close(c->tr);
}

void weft__h1c_conn_close(nconn *c)
{
    conn_end(c, 0);
}

/* A call abandoned mid-request (canceled, timed out): the backend sees a
 * reset, which tells a server apart from a client that only half-closed,
 * and stops the work nobody waits for (docs/http.md). */
void weft__h1c_conn_abort(nconn *c)
{
    conn_end(c, 1);
}

void weft__h1c_idle_push(nconn *c)
{
    c->state = NC_IDLE;
    c->next_idle = c->ep->idle;
    c->ep->idle = c;
    weft__count(&c->ep->base.stats.idle, 1);
}

void weft__h1c_fail_on_conn(nconn *c, int err, const char *detail)
{
    ncall *k = c->call;
    endpoint *ep = c->ep;
    weft__h1c_conn_close(c);
    if (k)
        call_fail(k, err, detail);
    weft__h1c_pump(ep);
}

static int start_request(nconn *c);

static void on_write(weft_transport *t, int status)
{
    nconn *c = t->data;
    if (status < 0 && c->state != NC_CLOSING && !weft__h1c_retry_stale(c))
        weft__h1c_fail_on_conn(c, WEFT_ECONNRESET, weft__io_strerror(status));
}

static int start_request(nconn *c)
{
    ncall *k = c->call;
    size_t off = c->sent_early; /* what send_early got out while connecting */
    c->state = NC_BUSY;
    c->sent_early = 0;
    c->in.len = 0;
    c->head_len = c->body_len = 0;
    c->out.len = 0;
    if (off == k->req.len)
        return 0;
    /* Usually the whole request leaves at once, straight from the call's
     * buffer. A rest that must wait is copied to the connection: the call
     * may end (canceled) while the write is still queued. */
    const char *rest = k->req.data + off;
    size_t len = k->req.len - off;
    ssize_t n = weft__tr_try_write(c->tr, rest, len);
    if (n == (ssize_t)len)
        return 0;
    if (n < 0)
        return WEFT_ECONNRESET;
    if (weft_buf_append(&c->out, rest + n, len - (size_t)n))
        return WEFT_ENOMEM;
    return weft__tr_write(c->tr, c->out.data, c->out.len) ? WEFT_ECONNRESET : 0;
}

/* The request leaves as soon as the kernel takes it: while connecting,
 * the transport's try_write sends what a loopback socket already takes
 * (tcp.c says why). What did not leave is sent once connected. */
static void send_early(nconn *c)
{
    ssize_t n = weft__tr_try_write(c->tr, c->call->req.data, c->call->req.len);
    if (n > 0)
        c->sent_early = (size_t)n;
}

static void on_connect(weft_transport *t, int status)
{
    nconn *c = t->data;
    if (c->state == NC_CLOSING)
        return;
    if (status < 0) {
        const char *detail;
        int err = weft__own_connect_error(&c->ep->base, t, status, &detail);
        weft__h1c_fail_on_conn(c, err, detail);
        return;
    }
    if (!c->call && c->sent_early) { /* a request is out with no call to read its answer */
        weft__h1c_conn_close(c);
        return;
    }
    if (!c->call) { /* its call went away while connecting: keep it */
        weft__h1c_idle_push(c);
        weft__h1c_pump(c->ep);
        return;
    }
    int r = start_request(c);
    if (r)
        weft__h1c_fail_on_conn(c, r, "cannot send the request");
}

static const weft_transport_events nconn_events = {
    .alloc = weft__h1c_on_alloc,
    .read = weft__h1c_on_read,
    .written = on_write,
    .connected = on_connect,
    .closed = on_conn_closed,
};

/* A new connection to ep, connecting; NULL with *sys_err set if it cannot
 * even start (no memory, no descriptor, no local port left). */
static nconn *conn_open(endpoint *ep, client_loop *cl, int *sys_err)
{
    nconn *c = weft__zalloc(sizeof *c);
    *sys_err = -ENOMEM;
    if (!c)
        return NULL;
    c->ep = ep;
    c->cl = cl;
    c->state = NC_CONNECTING;
    weft__tcp_init(cl->loop, &c->tcp, &nconn_events, c);
    c->tr = weft__own_transport(&ep->base, cl->loop, &c->tcp, "http/1.1");
    ep->nconns++;
    weft__client_count_conn(cl, &ep->base.stats, 1);
    if (!c->tr) {
        c->tr = &c->tcp.t;
        weft__h1c_conn_close(c);
        return NULL; /* *sys_err says: no memory */
    }
    if ((*sys_err = weft__tcp_connect(&c->tcp, (struct sockaddr *)&ep->base.addr))) {
        weft__h1c_conn_close(c);
        return NULL;
    }
    /* Reading is asked for now, not once connected: the socket is then
     * registered with epoll once for both directions, where starting it in
     * on_connect cost a failed EPOLL_CTL_ADD and a MOD more per connection
     * (strace of S8's first wave: 35,000 epoll_ctl for 16,000 sockets).
     * Nothing is read before the connect has completed. */
    if ((*sys_err = weft__tr_read_start(c->tr))) {
        weft__h1c_conn_close(c);
        return NULL;
    }
    return c;
}

/* Gives waiting calls a connection: an idle one, else a new one within
 * the endpoint's limit. */
void weft__h1c_pump(endpoint *ep)
{
    while (ep->base.waiting.head) {
        ncall *k = (ncall *)ep->base.waiting.head;
        client_loop *cl = k->base.cl;
        long limit = cl->host_limit;
        nconn *c = ep->idle;
        if (c) {
            ep->idle = c->next_idle;
            weft__count(&ep->base.stats.idle, -1);
            c->reused = 1;
        } else if ((limit <= 0 || ep->nconns < limit) && weft__client_may_open(cl)) {
            int sys_err;
            if (!(c = conn_open(ep, cl, &sys_err))) {
                weft__call_queue_remove(&ep->base.waiting, &k->base);
                char why[96]; /* e.g. "address not available": no local port left */
                snprintf(why, sizeof why, "cannot open a connection: %s",
                         weft__io_strerror(sys_err));
                call_fail(k, WEFT_EIO, why);
                continue;
            }
            c->reused = 0;
        } else {
            return; /* at a limit: the next finished call (or a close) pumps again */
        }
        weft__call_queue_remove(&ep->base.waiting, &k->base);
        k->conn = c;
        c->call = k;
        if (c->state == NC_CONNECTING) {
            send_early(c);
            continue; /* on_connect sends what is left */
        }
        int r = start_request(c);
        if (r)
            weft__h1c_fail_on_conn(c, r, "cannot send the request");
    }
    /* Nothing waits here: a connection kept idle gives way to another
     * backend's calls that wait under the total limit (its close pumps
     * them). */
    while (ep->idle && ep->idle->cl->total_blocked)
        weft__h1c_conn_close(ep->idle);
}

/* ---- the call ------------------------------------------------------------------ */

static void on_cancel(weft_cancel_reg *reg, int reason)
{
    ncall *k = reg->arg;
    nconn *c = k->conn;
    endpoint *ep = k->ep;
    if (c) { /* mid-request: the connection's state is unknown */
        c->call = NULL;
        k->conn = NULL;
        weft__h1c_conn_abort(c);
    }
    call_fail(k, reason, reason == WEFT_ETIMEDOUT ? "the request's deadline passed"
                                                  : "the call was canceled");
    weft__h1c_pump(ep);
}

static void on_timeout(weft_timer *t)
{
    ncall *k = (ncall *)((char *)t - offsetof(ncall, base.timer));
    nconn *c = k->conn;
    endpoint *ep = k->ep;
    char detail[64];
    snprintf(detail, sizeof detail, "no complete response within %llu ms",
             (unsigned long long)k->base.timeout_ms);
    if (c) {
        c->call = NULL;
        k->conn = NULL;
        weft__h1c_conn_abort(c);
    }
    call_fail(k, WEFT_ETIMEDOUT, detail);
    weft__h1c_pump(ep);
}

static int build_request(ncall *k, const char *method, const char *path, const char *host,
                         const weft_http_opts *o)
{
    weft_buf *b = &k->req;
    /* Appends, not printf: this is on every backend call's path. */
    weft_buf_reserve(b, 256);
    int r = weft_buf_append(b, method, strlen(method));
    r = r ? r : weft_buf_append(b, " ", 1);
    r = r ? r : weft_buf_append(b, path, strlen(path));
    r = r ? r : weft_buf_append(b, " HTTP/1.1\r\nHost: ", 17);
    r = r ? r : weft_buf_append(b, host, strlen(host));
    r = r ? r : weft_buf_append(b, "\r\n", 2);
    int has_ct = 0;
    for (const char *const *h = o->headers; !r && h && *h; h++) {
        if (strpbrk(*h, "\r\n") || !strchr(*h, ':'))
            return WEFT_EINVAL;
        const char *colon = strchr(*h, ':');
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (!*v)
            continue; /* "Name:" removes a header in curl's convention */
        has_ct |= strncasecmp(*h, "content-type:", 13) == 0;
        r = weft_buf_append(b, *h, strlen(*h));
        r = r ? r : weft_buf_append(b, "\r\n", 2);
    }
    if (!r && o->body) {
        if (!has_ct)
            r = weft_buf_printf(b, "Content-Type: application/x-www-form-urlencoded\r\n");
        if (!r)
            r = weft_buf_printf(b, "Content-Length: %zu\r\n\r\n", o->body_len);
        if (!r)
            r = weft_buf_append(b, o->body, o->body_len);
        return r;
    }
    return r ? r : weft_buf_append(b, "\r\n", 2);
}

/* ---- the engine -------------------------------------------------------------- */

static int own_build(call_base *b, own_endpoint *ep, const char *method, const char *path,
                     const weft_http_opts *o)
{
    ncall *k = (ncall *)b;
    k->ep = (endpoint *)ep;
    k->idempotent = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    k->head_request = strcmp(method, "HEAD") == 0;
    return build_request(k, method, path, ep->host, o);
}

static void own_fail(call_base *b, int err, const char *detail)
{
    call_fail((ncall *)b, err, detail);
}

static void own_pump(own_endpoint *ep)
{
    weft__h1c_pump((endpoint *)ep);
}

static int drop_idle(own_endpoint *ep)
{
    endpoint *e = (endpoint *)ep;
    if (!e->idle)
        return 0;
    weft__h1c_conn_close(e->idle);
    return 1;
}

static void close_idle(own_endpoint *ep)
{
    endpoint *e = (endpoint *)ep;
    while (e->idle)
        weft__h1c_conn_close(e->idle);
}

static const own_engine own = {
    .slot = ENGINE_NATIVE,
    .endpoint_size = sizeof(endpoint),
    .call_size = sizeof(ncall),
    .build = own_build,
    .fail = own_fail,
    .on_timeout = on_timeout,
    .on_cancel = on_cancel,
    .pump = own_pump,
    .end = close_idle,
    .drop_idle = drop_idle,
};

const weft_client_engine weft__engine_native = {
    .name = "HTTP/1.1 (weft's own)",
    .start = weft__own_start,
    .cleanup = weft__own_cleanup,
    .impl = &own,
};
