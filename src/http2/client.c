/* client.c - backend calls over HTTP/2 with prior knowledge (h2c) to plain
 * http:// backends given by IP address, on weft's own connections, framed
 * by libnghttp2. Chosen by --backend-http2 (config.http2).
 *
 * Why: over HTTP/1.1 every concurrent call needs a connection of its own;
 * S8's 4,000 clients with three calls each open and keep 12,000 of them,
 * and a burst of new requests pays a TCP handshake, an accept and the
 * epoll registrations per call (docs/bench-history.md, "What the first wave
 * costs"). Here calls are streams on a few connections per endpoint, and
 * the frames of all calls started in one loop iteration leave in one write
 * (weft__loop_flush_later). Debian 12's libcurl 7.88.1 fails multiplexed
 * streams (docs/guide.md), so this does not go through curl.
 *
 * Owns, per loop: endpoints, their sessions (one TCP connection each, up
 * to the endpoint's connection limit) and the calls on them. A call
 * completes exactly once: its stream closes (answer or reset), its time-out,
 * its scope's cancellation (the stream is reset with CANCEL and the
 * connection stays), or its session's end. A stream the server refused
 * (REFUSED_STREAM, or above a GOAWAY's last stream) never reached a handler
 * and is sent again once on another session. Loop thread only; never
 * blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "client_int.h"
#include "fields.h"
#include "../base/alloc.h"
#include "../task/task_int.h"

/* ---- completing a call ------------------------------------------------------ */

void weft__h2c_unwait(h2call *k)
{
    weft__call_queue_remove(&k->ep->base.waiting, &k->base);
}

/* Takes k off its session (the stream is over or being reset). */
static void unstream(h2call *k)
{
    h2sess *s = k->sess;
    if (!s)
        return;
    if (k->id > 0)
        nghttp2_session_set_stream_user_data(s->ng, k->id, NULL);
    if (k->prev)
        k->prev->next = k->next;
    else
        s->calls = k->next;
    if (k->next)
        k->next->prev = k->prev;
    k->prev = k->next = NULL;
    k->sess = NULL;
    s->streams--;
}

static void call_free(h2call *k)
{
    weft__call_base_end(&k->base);
    weft__h2c_unwait(k);
    unstream(k);
    weft_buf_free(&k->req);
    weft_buf_free(&k->hdrs);
    weft_buf_free(&k->resp);
    free(k);
}

void weft__h2c_call_fail(h2call *k, int err, const char *detail)
{
    weft_task *t = k->base.task;
    weft__client_count_error(&k->base, err, k->base.url, detail);
    call_free(k);
    weft_task_reject(t, err);
    weft_task_unref(t);
}

static void call_done(h2call *k)
{
    weft_header h[MAX_FIELDS];
    size_t n = weft__h2_fields_split(k->hdrs.data, k->hdrs.len, h, MAX_FIELDS);
    double ms = (double)(weft_now_ns() - k->base.t0) / 1e6;
    weft_http_response *r = weft__response_make(k->status, h, n, k->resp.data, k->resp.len);
    if (!r) {
        weft__h2c_call_fail(k, WEFT_ENOMEM, "out of memory");
        return;
    }
    r->total_ms = ms;
    r->reused = 1; /* a stream on a shared connection */
    weft__client_count_ok(&k->base, ms);
    weft_task *t = k->base.task;
    call_free(k);
    weft_task_resolve(t, r, weft__response_free);
    weft_task_unref(t);
}

/* Back to the front of the endpoint's queue: its stream was refused. */
void weft__h2c_requeue(h2call *k)
{
    unstream(k);
    k->retried = 1;
    k->id = 0;
    k->status = 0;
    k->hdrs.len = k->resp.len = 0;
    k->nhdrs = 0;
    k->body_off = 0;
    weft__call_queue_push_front(&k->ep->base.waiting, &k->base);
}

/* ---- nghttp2 callbacks ------------------------------------------------------- */

static int on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *ud)
{
    (void)flags;
    (void)ud;
    if (f->hd.type != NGHTTP2_HEADERS)
        return 0;
    h2call *k = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
    if (!k || k->resp.len)
        return 0; /* gone, or trailers */
    if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
        int st = 0;
        for (size_t i = 0; i < valuelen && i < 3; i++)
            st = st * 10 + (value[i] - '0');
        k->status = st;
        k->hdrs.len = 0; /* a 1xx head's fields are not the answer's */
        k->nhdrs = 0;
        return 0;
    }
    if (k->nhdrs >= MAX_FIELDS)
        return 0;
    k->nhdrs++;
    int e = weft_buf_append(&k->hdrs, name, namelen);
    e = e ? e : weft_buf_append(&k->hdrs, "", 1);
    e = e ? e : weft_buf_append(&k->hdrs, value, valuelen);
    e = e ? e : weft_buf_append(&k->hdrs, "", 1);
    return e ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE : 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *ud)
{
    (void)flags;
    h2sess *s = ud;
    h2call *k = nghttp2_session_get_stream_user_data(ng, id);
    if (!k)
        return 0;
    if (k->resp.len + len > k->base.max_body) {
        char msg[80];
        snprintf(msg, sizeof msg, "the response is larger than %zu bytes", k->base.max_body);
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        weft__h2c_schedule(s);
        h2ep *ep = k->ep;
        weft__h2c_call_fail(k, WEFT_ETOOBIG, msg);
        weft__h2c_pump(ep);
        return 0;
    }
    return weft_buf_append(&k->resp, data, len) ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE : 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
    h2sess *s = ud;
    h2call *k = nghttp2_session_get_stream_user_data(ng, id);
    if (!k)
        return 0;
    h2ep *ep = k->ep;
    if (code == NGHTTP2_REFUSED_STREAM && !k->retried) {
        weft__h2c_requeue(k); /* no handler saw it: another session may take it */
    } else if (code != NGHTTP2_NO_ERROR) {
        char msg[96];
        snprintf(msg, sizeof msg, "the backend reset the HTTP/2 stream (%s)",
                 nghttp2_http2_strerror(code));
        weft__h2c_call_fail(k, WEFT_ECONNRESET, msg);
    } else if (k->status < 200) {
        weft__h2c_call_fail(k, WEFT_EPROTO, "the HTTP/2 stream ended without a response");
    } else {
        call_done(k);
    }
    (void)s;
    weft__h2c_pump(ep);
    return 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
    (void)ng;
    h2sess *s = ud;
    if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK)) {
        s->spoke_h2 = 1;
        s->max_streams = (long)nghttp2_session_get_remote_settings(
            ng, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
        weft__h2c_pump(s->ep); /* the server's stream limit is known now */
    } else if (f->hd.type == NGHTTP2_GOAWAY) {
        s->goaway = 1; /* no new streams here; the ones above its last are refused */
        weft__h2c_pump(s->ep);
    }
    return 0;
}

ssize_t weft__h2c_read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)ng;
    (void)id;
    (void)ud;
    h2call *k = src->ptr;
    size_t n = k->body_len - k->body_off;
    if (n > len)
        n = len;
    memcpy(buf, k->body + k->body_off, n);
    k->body_off += n;
    if (k->body_off == k->body_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* ---- the call ------------------------------------------------------------------ */

/* Stops k's stream, if it has one: the connection stays for the others. */
static void reset_stream(h2call *k)
{
    h2sess *s = k->sess;
    if (!s)
        return;
    if (k->id > 0) {
        nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, k->id, NGHTTP2_CANCEL);
        weft__h2c_schedule(s);
    }
    unstream(k);
}

static void on_cancel(weft_cancel_reg *reg, int reason)
{
    h2call *k = reg->arg;
    h2ep *ep = k->ep;
    reset_stream(k);
    weft__h2c_call_fail(k, reason, reason == WEFT_ETIMEDOUT ? "the request's deadline passed"
                                                  : "the call was canceled");
    weft__h2c_pump(ep);
}

static void on_timeout(weft_timer *t)
{
    h2call *k = (h2call *)((char *)t - offsetof(h2call, base.timer));
    h2ep *ep = k->ep;
    char detail[64];
    snprintf(detail, sizeof detail, "no complete response within %llu ms",
             (unsigned long long)k->base.timeout_ms);
    reset_stream(k);
    weft__h2c_call_fail(k, WEFT_ETIMEDOUT, detail);
    weft__h2c_pump(ep);
}

static int field(h2call *k, const char *name, size_t nl, const char *value, size_t vl)
{
    if (k->nfields >= MAX_REQ_FIELDS)
        return WEFT_EINVAL;
    k->nfields++;
    int r = weft_buf_append(&k->req, name, nl);
    r = r ? r : weft_buf_append(&k->req, "", 1);
    r = r ? r : weft_buf_append(&k->req, value, vl);
    return r ? r : weft_buf_append(&k->req, "", 1);
}

/* The request's fields as NUL-separated pairs (names lower-case, RFC 9113
 * 8.2.2), then its body. */
static int build_request(h2call *k, const char *method, const char *path, const char *host,
                         const weft_http_opts *o)
{
    weft_buf_reserve(&k->req, 256);
    int r = field(k, ":method", 7, method, strlen(method));
    r = r ? r : field(k, ":scheme", 7, "http", 4);
    r = r ? r : field(k, ":authority", 10, host, strlen(host));
    r = r ? r : field(k, ":path", 5, path, strlen(path));
    int has_ct = 0;
    for (const char *const *h = o->headers; !r && h && *h; h++) {
        const char *colon = strchr(*h, ':');
        if (strpbrk(*h, "\r\n") || !colon || colon == *h)
            return WEFT_EINVAL;
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (!*v)
            continue; /* "Name:" removes a header in curl's convention */
        char name[128];
        size_t nl = (size_t)(colon - *h);
        if (nl >= sizeof name)
            return WEFT_EINVAL;
        for (size_t i = 0; i < nl; i++)
            name[i] = (char)((*h)[i] >= 'A' && (*h)[i] <= 'Z' ? (*h)[i] + 32 : (*h)[i]);
        /* Connection-specific fields have no place in HTTP/2. */
        if ((nl == 4 && !memcmp(name, "host", 4)) || (nl == 10 && !memcmp(name, "connection", 10)) ||
            (nl == 10 && !memcmp(name, "keep-alive", 10)) ||
            (nl == 17 && !memcmp(name, "transfer-encoding", 17)))
            continue;
        has_ct |= nl == 12 && !memcmp(name, "content-type", 12);
        r = field(k, name, nl, v, strlen(v));
    }
    if (!r && o->body) {
        char len[24];
        int n = snprintf(len, sizeof len, "%zu", o->body_len);
        if (!has_ct)
            r = field(k, "content-type", 12, "application/x-www-form-urlencoded", 33);
        r = r ? r : field(k, "content-length", 14, len, (size_t)n);
        size_t at = k->req.len;
        r = r ? r : weft_buf_append(&k->req, o->body, o->body_len);
        if (!r) {
            k->body = k->req.data + at;
            k->body_len = o->body_len;
        }
    }
    return r;
}

/* ---- the engine -------------------------------------------------------------- */

static int own_build(call_base *b, own_endpoint *ep, const char *method, const char *path,
                     const weft_http_opts *o)
{
    h2call *k = (h2call *)b;
    k->ep = (h2ep *)ep;
    k->head_request = strcmp(method, "HEAD") == 0;
    return build_request(k, method, path, ep->host, o);
}

static void own_fail(call_base *b, int err, const char *detail)
{
    weft__h2c_call_fail((h2call *)b, err, detail);
}

static void own_pump(own_endpoint *ep)
{
    weft__h2c_pump((h2ep *)ep);
}

/* Ends the endpoint's sessions; calls still waiting fail. */
static void end_sessions(own_endpoint *ep)
{
    h2ep *e = (h2ep *)ep;
    while (e->sessions)
        weft__h2c_sess_close(e->sessions, WEFT_ECANCELED, "the client is shutting down");
    while (ep->waiting.head)
        weft__h2c_call_fail((h2call *)ep->waiting.head, WEFT_ECANCELED,
                            "the client is shutting down");
}

void weft__h2c_callbacks(nghttp2_session_callbacks *cb)
{
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
}

static const own_engine own = {
    .slot = ENGINE_H2,
    .endpoint_size = sizeof(h2ep),
    .call_size = sizeof(h2call),
    .build = own_build,
    .fail = own_fail,
    .on_timeout = on_timeout,
    .on_cancel = on_cancel,
    .pump = own_pump,
    .end = end_sessions,
};

const weft_client_engine weft__engine_h2 = {
    .name = "HTTP/2 (nghttp2, prior knowledge)",
    .start = weft__own_start,
    .cleanup = weft__own_cleanup,
    .impl = &own,
};
