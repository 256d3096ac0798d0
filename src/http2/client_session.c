/* client_session.c - the HTTP/2 client's sessions: one TCP connection
 * each to an endpoint, its frames, its stream limit, and which waiting
 * calls get a stream on which session (client.c owns the calls).
 *
 * A session opens when an endpoint's calls need room and the endpoint's
 * connection limit allows; new streams go to the current session while it
 * has room; frames leave once per loop iteration. A session that ends
 * fails its calls, or sends them again on another session when they never
 * reached the server. Loop thread only; never blocks. */
#include <stdio.h>
#include <stdlib.h>

#include "client_int.h"
#include "frames.h"
#include "../base/alloc.h"

/* ---- sessions -------------------------------------------------------------------- */

static void on_sess_closed(weft_transport *t)
{
    h2sess *s = t->data;
    nghttp2_session_del(s->ng);
    weft_buf_free(&s->out);
    weft_buf_free(&s->wbuf);
    free(s->rbuf);
    free(s);
}

/* Ends the session: its calls fail with err (or, never sent, wait for
 * another session). */
void weft__h2c_sess_close(h2sess *s, int err, const char *why)
{
    if (s->closing)
        return;
    if (s->connected && !s->spoke_h2 && err != WEFT_ECONNREFUSED && err != WEFT_ECANCELED &&
        err != WEFT_ETLS && !weft__tls_is(s->tr)) { /* over TLS, ALPN already said h2 */
        err = WEFT_EPROTO;
        why = "the backend does not speak HTTP/2 with prior knowledge (h2c); "
              "it needs it enabled (weft: --h2c), or drop --backend-http2";
    }
    s->closing = 1;
    h2ep *ep = s->ep;
    for (h2sess **pp = &ep->sessions; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    if (ep->cur == s)
        ep->cur = NULL;
    ep->nsessions--;
    weft__client_count_conn(s->cl, &s->ep->base.stats, -1);
    weft__loop_flush_cancel(s->cl->loop, &s->flush);
    int requeued = 0;
    while (s->calls) {
        h2call *k = s->calls;
        if (!s->connected && !k->retried) {
            weft__h2c_requeue(k);
            requeued++;
        } else {
            weft__h2c_call_fail(k, err, why);
        }
    }
    weft__tr_close(s->tr);
    /* Calls put back, or waiting for room this session took, may go on
     * another; not after a failed open, whose caller fails them. */
    if ((requeued || ep->base.waiting.head) && !s->failed_open)
        weft__h2c_pump(ep);
}

static void on_write(weft_transport *t, int status)
{
    h2sess *s = t->data;
    s->writing = 0;
    s->wbuf.len = 0;
    if (s->closing)
        return;
    if (status < 0) {
        weft__h2c_sess_close(s, WEFT_ECONNRESET, weft__io_strerror(status));
        return;
    }
    weft__h2c_schedule(s);
}

static void write_out(h2sess *s)
{
    int r = weft__tr_send(s->tr, &s->out, &s->wbuf, &s->writing);
    if (r < 0)
        weft__h2c_sess_close(s, WEFT_ECONNRESET, weft__io_strerror(r));
}

static void send_frames(weft_flush *f)
{
    h2sess *s = (h2sess *)((char *)f - offsetof(h2sess, flush));
    if (s->closing || !s->connected)
        return;
    const char *why;
    int err = weft__h2_take_frames(s->ng, &s->out, s->writing, OUT_HIGH_WATER, &why);
    if (err) {
        weft__h2c_sess_close(s, err, why);
        return;
    }
    write_out(s);
    if (!s->closing && !s->writing && !s->out.len && !nghttp2_session_want_read(s->ng) &&
        !nghttp2_session_want_write(s->ng))
        weft__h2c_sess_close(s, WEFT_ECONNRESET, "the HTTP/2 session ended");
}

void weft__h2c_schedule(h2sess *s)
{
    if (!s->closing)
        weft__loop_flush_later(s->cl->loop, &s->flush);
}

static void on_alloc(weft_transport *t, char **base, size_t *len)
{
    h2sess *s = t->data;
    if (!s->rbuf)
        s->rbuf = malloc(READ_BUF);
    if (s->rbuf) {
        *base = s->rbuf;
        *len = READ_BUF;
    }
}

static void on_read(weft_transport *t, ssize_t n)
{
    h2sess *s = t->data;
    if (s->closing || n == 0)
        return;
    if (n < 0) {
        weft__h2c_sess_close(s, WEFT_ECONNRESET, n == WEFT_IO_EOF ? "the backend closed the connection"
                                                        : weft__io_strerror((int)n));
        return;
    }
    ssize_t r = nghttp2_session_mem_recv(s->ng, (const uint8_t *)s->rbuf, (size_t)n);
    if (r < 0 && !s->closing) {
        weft__h2c_sess_close(s, WEFT_EPROTO, nghttp2_strerror((int)r));
        return;
    }
    weft__h2c_schedule(s);
}

static void on_connect(weft_transport *t, int status)
{
    h2sess *s = t->data;
    if (s->closing)
        return;
    if (status < 0) {
        s->connected = 1; /* what was submitted was not sent, but fail it: the backend is down */
        const char *detail;
        int err = weft__own_connect_error(&s->ep->base, t, status, &detail);
        weft__h2c_sess_close(s, err, detail);
        return;
    }
    s->connected = 1;
    weft__h2c_schedule(s);
}

static const weft_transport_events sess_events = {
    .alloc = on_alloc,
    .read = on_read,
    .written = on_write,
    .connected = on_connect,
    .closed = on_sess_closed,
};

/* Notes why no session could be opened (the waiting calls' message). */
static const char *open_failed(h2ep *ep, const char *reason)
{
    snprintf(ep->open_failure, sizeof ep->open_failure, "cannot open a connection: %s", reason);
    return ep->open_failure;
}

static h2sess *sess_open(h2ep *ep, client_loop *cl)
{
    h2sess *s = weft__zalloc(sizeof *s);
    nghttp2_session_callbacks *cb = NULL;
    int r = !s || nghttp2_session_callbacks_new(&cb);
    if (!r) {
        weft__h2c_callbacks(cb);
        r = weft__h2_session_new(&s->ng, 0, cb, s);
        nghttp2_session_callbacks_del(cb);
    }
    if (r) {
        free(s);
        open_failed(ep, weft_strerror(WEFT_ENOMEM));
        return NULL;
    }
    /* Answers are read as they come: a large window per stream and for
     * the connection keeps a backend from waiting on WINDOW_UPDATEs. */
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 20},
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
    };
    nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
    nghttp2_session_set_local_window_size(s->ng, NGHTTP2_FLAG_NONE, 0, 1 << 26);
    s->ep = ep;
    s->cl = cl;
    s->max_streams = ASSUMED_STREAMS; /* until the server's SETTINGS say */
    s->flush.fn = send_frames;
    weft__tcp_init(cl->loop, &s->tcp, &sess_events, s);
    weft_transport *tr = weft__own_transport(&ep->base, cl->loop, &s->tcp, "h2");
    s->tr = tr ? tr : &s->tcp.t; /* out of memory: the connect below is not made */
    s->next = ep->sessions;
    ep->sessions = s;
    ep->nsessions++;
    weft__client_count_conn(cl, &ep->base.stats, 1);
    int sys_err = tr ? weft__tcp_connect(&s->tcp, (struct sockaddr *)&ep->base.addr) : -ENOMEM;
    if (!sys_err)
        sys_err = weft__tr_read_start(s->tr);
    if (sys_err) { /* e.g. "address not available": no local port left */
        s->failed_open = 1;
        weft__h2c_sess_close(s, WEFT_EIO, open_failed(ep, weft__io_strerror(sys_err)));
        return NULL;
    }
    return s;
}

static long room(const h2sess *s)
{
    return s->goaway || s->closing ? 0 : s->max_streams - s->streams;
}

/* A session that can take one more stream now; NULL if none can (*err
 * set if none can be opened either). */
static h2sess *pick(h2ep *ep, client_loop *cl, int *err)
{
    if (ep->cur && room(ep->cur) > 0)
        return ep->cur;
    h2sess *best = NULL;
    long best_room = 0;
    int unconfirmed = 0;
    for (h2sess *s = ep->sessions; s; s = s->next) {
        long r = room(s);
        if (r > best_room)
            best = s, best_room = r;
        unconfirmed |= !s->spoke_h2 && !s->closing;
    }
    if (best)
        return ep->cur = best;
    /* A session still waiting for the server's SETTINGS only has the
     * streams assumed for it: the real limit (1024 for weft, often 100 or
     * more elsewhere) comes with them, and on_frame_recv pumps again. A
     * burst does not open one session per ASSUMED_STREAMS calls meanwhile
     * (2,000 calls opened 20 sessions to a 1,024-stream server). */
    *err = 0;
    if (unconfirmed)
        return NULL;
    long limit = cl->host_limit;
    if ((limit <= 0 || ep->nsessions < limit) && weft__client_may_open(cl)) {
        h2sess *s = sess_open(ep, cl);
        *err = s ? 0 : WEFT_EIO;
        return ep->cur = s;
    }
    return NULL; /* every session is full: the next closed stream pumps again */
}

static int submit(h2sess *s, h2call *k)
{
    nghttp2_nv nv[MAX_REQ_FIELDS];
    const char *p = k->req.data;
    for (size_t i = 0; i < k->nfields; i++) {
        size_t nl = strlen(p);
        const char *v = p + nl + 1;
        size_t vl = strlen(v);
        /* Copied by nghttp2: a call may end before its HEADERS leave. */
        nv[i] = (nghttp2_nv){(uint8_t *)p, (uint8_t *)v, nl, vl, NGHTTP2_NV_FLAG_NONE};
        p = v + vl + 1;
    }
    nghttp2_data_provider prd = {.source.ptr = k, .read_callback = weft__h2c_read_body};
    int32_t id = nghttp2_submit_request(s->ng, NULL, nv, k->nfields, k->body ? &prd : NULL, k);
    if (id < 0)
        return WEFT_EPROTO;
    k->id = id;
    k->sess = s;
    k->next = s->calls;
    if (s->calls)
        s->calls->prev = k;
    s->calls = k;
    s->streams++;
    weft__h2c_schedule(s);
    return 0;
}

/* Gives waiting calls a stream, in order. */
void weft__h2c_pump(h2ep *ep)
{
    while (ep->base.waiting.head) {
        h2call *k = (h2call *)ep->base.waiting.head;
        int err;
        h2sess *s = pick(ep, k->base.cl, &err);
        if (!s && !err)
            return;
        weft__h2c_unwait(k);
        if (!s)
            weft__h2c_call_fail(k, err, ep->open_failure);
        else if (submit(s, k))
            weft__h2c_call_fail(k, WEFT_EPROTO, "cannot start an HTTP/2 stream");
    }
}

