/* h2.c - HTTP/2 over cleartext with prior knowledge (h2c, RFC 9113 3.3)
 * on the server's connections, framed by libnghttp2 (HPACK, flow control,
 * stream states and their checks are the library's).
 *
 * A connection whose first bytes are the HTTP/2 preface becomes an h2
 * connection (conn->h2, state CONN_H2). Each request stream becomes a
 * stream connection: a weft_conn without a socket (conn->h2s) whose read
 * buffer receives the request as an HTTP/1.1 head plus its whole body, and
 * whose output - the HTTP/1.1 answer ctx.c writes - is turned back into
 * HEADERS and DATA frames. Every handler kind, limit, deadline, 503,
 * access-log line and cancellation then works on HTTP/2 through the one
 * code path HTTP/1.1 uses; the price is formatting and parsing one head
 * per answer, well under a microsecond.
 *
 * Frames leave once per loop iteration (weft__loop_flush_later), so the
 * answers that finish together - a batch of timers, a batch of resumed
 * fibers - go out in one write: that, and thousands of requests sharing a
 * connection, is what HTTP/2 to a backend is for (S8 in
 * docs/benchmarks.md). Loop thread only. */
#include <ctype.h>
#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "../base/alloc.h"
#include "../http/h2frames.h"

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define PREFACE_LEN 24
#define MAX_RESP_FIELDS 128
#define MAX_RESP_HEAD (1u << 20) /* what ctx.c writes: bounded by the handler's headers */

struct weft_h2 {
    weft_conn *conn;      /* the socket's connection */
    nghttp2_session *ng;
    weft_flush flush;     /* frames to write before the next poll */
    weft_conn *streams;   /* stream connections open on the wire */
    size_t nstreams;
    int dead;             /* the socket is closing: no more frames */
    int goaway;           /* draining: GOAWAY sent, no new streams */
};

struct weft_h2_stream {
    weft_h2 *h2;          /* NULL once the stream is closed on the wire */
    int32_t id;
    weft_conn *prev, *next; /* in h2->streams */
    /* the request, as it arrives: its fields as "name: value\r\n" lines,
     * pseudo-fields first (RFC 9113 8.3), and its body */
    weft_buf fields, body;
    int has_host;
    int too_big;          /* 413: the body passed --max-body */
    int head_too_big;     /* 431: the fields passed the head limits */
    /* the answer */
    int submitted;        /* HEADERS handed to nghttp2 */
    int deferred;         /* the data source waits for more bytes */
    int eof;              /* the answer is complete */
    size_t data_off;      /* body bytes up to here in obuf have been framed */
};

/* Stream connections kept per loop for reuse: a weft_conn is too large
 * for malloc's per-thread cache, and a backend over HTTP/2 makes one per
 * request where HTTP/1.1 made one per connection. */
#define STREAM_POOL_MAX 1024

static weft_h2 *of_flush(weft_flush *f)
{
    return (weft_h2 *)((char *)f - offsetof(weft_h2, flush));
}

static void schedule(weft_h2 *h2)
{
    if (!h2->dead)
        weft__loop_flush_later(&h2->conn->sl->loop, &h2->flush);
}

int weft__h2_is_preface(const char *p, size_t len)
{
    if (len > PREFACE_LEN)
        len = PREFACE_LEN;
    return memcmp(p, PREFACE, len) == 0 ? (len == PREFACE_LEN ? 1 : 0) : -1;
}

/* ---- streams ----------------------------------------------------------------- */

/* Takes s off its connection: the session forgets it, the connection's
 * list drops it. */
static void stream_unlink(weft_conn *s)
{
    weft_h2_stream *st = s->h2s;
    weft_h2 *h2 = st->h2;
    if (!h2)
        return;
    nghttp2_session_set_stream_user_data(h2->ng, st->id, NULL);
    if (st->prev)
        st->prev->h2s->next = st->next;
    else
        h2->streams = st->next;
    if (st->next)
        st->next->h2s->prev = st->prev;
    st->prev = st->next = NULL;
    st->h2 = NULL;
    if (--h2->nstreams == 0)
        h2->conn->since = weft_loop_now(&h2->conn->sl->loop); /* idle from now */
}

/* The stream connection is closing (conn.c): a stream still open on the
 * wire is reset - its answer will not come. */
void weft__h2_stream_detach(weft_conn *s)
{
    weft_h2_stream *st = s->h2s;
    weft_h2 *h2 = st->h2;
    if (!h2)
        return;
    if (!h2->dead) {
        nghttp2_submit_rst_stream(h2->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
        schedule(h2);
    }
    stream_unlink(s);
}

void weft__h2_stream_free(weft_conn *s)
{
    weft_h2_stream *st = s->h2s;
    weft_buf_free(&st->fields);
    weft_buf_free(&st->body);
}

void weft__h2_stream_recycle(weft_conn *s)
{
    weft_sloop *sl = s->sl;
    if (sl->stream_pool_len >= STREAM_POOL_MAX) {
        free(s);
        return;
    }
    s->next = sl->stream_pool;
    sl->stream_pool = s;
    sl->stream_pool_len++;
}

void weft__h2_pool_free(weft_sloop *sl)
{
    while (sl->stream_pool) {
        weft_conn *s = sl->stream_pool;
        sl->stream_pool = s->next;
        free(s);
    }
    sl->stream_pool_len = 0;
}

const char *weft__h2_peer(weft_conn *s)
{
    weft_h2 *h2 = s->h2s->h2;
    return h2 ? weft__conn_peer(h2->conn) : "-";
}

static weft_conn *stream_new(weft_h2 *h2, int32_t id)
{
    weft_sloop *sl = h2->conn->sl;
    weft_conn *s = sl->stream_pool;
    if (s) {
        sl->stream_pool = s->next;
        sl->stream_pool_len--;
        memset(s, 0, sizeof *s + sizeof(weft_h2_stream));
    } else if (!(s = weft__zalloc(sizeof *s + sizeof(weft_h2_stream)))) {
        return NULL;
    }
    weft_h2_stream *st = (weft_h2_stream *)(s + 1);
    s->h2s = st;
    s->sl = h2->conn->sl;
    s->refs = 1; /* dropped when the stream connection closes */
    s->read_stopped = 1;
    if (h2->conn->peer[0])
        memcpy(s->peer, h2->conn->peer, sizeof s->peer);
    weft__ctx_init(&s->ctx, s);
    s->state = CONN_HEAD;
    s->since = weft_loop_now(&s->sl->loop);
    st->h2 = h2;
    st->id = id;
    st->next = h2->streams;
    if (h2->streams)
        h2->streams->h2s->prev = s;
    h2->streams = s;
    h2->nstreams++;
    return s;
}

static int put(weft_buf *b, const void *p, size_t n)
{
    return n ? weft_buf_append(b, p, n) : 0; /* an empty part may be a NULL buffer */
}

/* A pseudo-field's value in st->fields (":name: value\r\n"), or empty. */
static weft_str pseudo(const weft_buf *f, const char *name)
{
    size_t nl = strlen(name);
    const char *p = f->data, *end = p + f->len;
    while (p < end && *p == ':') {
        const char *eol = memchr(p, '\r', (size_t)(end - p));
        if (!eol)
            break;
        if ((size_t)(eol - p) >= nl + 2 && memcmp(p, name, nl) == 0 && p[nl] == ':')
            return weft_str_make(p + nl + 2, (size_t)(eol - p) - nl - 2);
        p = eol + 2;
    }
    return WEFT_STR_NULL;
}

/* The request is whole: write it to the stream's read buffer as HTTP/1.1
 * and hand it to the connection machinery, which parses, limits and
 * dispatches it like any other. */
static void request_complete(weft_conn *s)
{
    weft_h2_stream *st = s->h2s;
    if (st->too_big || st->head_too_big) {
        weft__reply_protocol_error(s, st->too_big ? 413 : 431,
                                   st->too_big ? "request body too large"
                                               : "request header fields too large");
        return;
    }
    weft_str method = pseudo(&st->fields, ":method"), path = pseudo(&st->fields, ":path");
    weft_str authority = pseudo(&st->fields, ":authority");
    const char *regular = st->fields.data, *end = regular + st->fields.len;
    while (regular < end && *regular == ':')
        regular = (const char *)memchr(regular, '\n', (size_t)(end - regular)) + 1;
    char cl[48];
    int n = 0;
    if (st->body.len)
        n = snprintf(cl, sizeof cl, "content-length: %zu\r\n", st->body.len);
    weft_buf r = {0};
    int e = weft_buf_reserve(&r, st->fields.len + st->body.len + (size_t)n + 32);
    e = e ? e : put(&r, method.base, method.len);
    e = e ? e : put(&r, " ", 1);
    e = e ? e : put(&r, path.base, path.len);
    e = e ? e : put(&r, " HTTP/1.1\r\n", 11);
    if (!st->has_host && authority.len) {
        e = e ? e : put(&r, "host: ", 6);
        e = e ? e : put(&r, authority.base, authority.len);
        e = e ? e : put(&r, "\r\n", 2);
    }
    e = e ? e : put(&r, regular, (size_t)(end - regular));
    e = e ? e : put(&r, cl, (size_t)n);
    e = e ? e : put(&r, "\r\n", 2);
    e = e ? e : put(&r, st->body.data, st->body.len);
    if (e) {
        weft_buf_free(&r);
        weft__conn_close(s);
        return;
    }
    weft_buf_free(&st->fields);
    weft_buf_free(&st->body);
    free(s->rbuf);
    s->rbuf = r.data;
    s->rcap = r.cap;
    s->rstart = 0;
    s->rend = r.len;
    weft__conn_process(s);
}

/* ---- nghttp2 callbacks ------------------------------------------------------- */

static weft_conn *stream_of(nghttp2_session *ng, int32_t id)
{
    return nghttp2_session_get_stream_user_data(ng, id);
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
    weft_h2 *h2 = ud;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    if (h2->goaway || atomic_load_explicit(&h2->conn->sl->draining, memory_order_relaxed)) {
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, f->hd.stream_id, NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    weft_conn *s = stream_new(h2, f->hd.stream_id);
    if (!s) {
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, f->hd.stream_id,
                                  NGHTTP2_INTERNAL_ERROR);
        return 0;
    }
    nghttp2_session_set_stream_user_data(ng, f->hd.stream_id, s);
    return 0;
}

static int eq(const uint8_t *a, size_t alen, const char *lit)
{
    size_t n = strlen(lit);
    return alen == n && memcmp(a, lit, n) == 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *ud)
{
    (void)flags;
    (void)ud;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* trailers: not passed on */
    weft_conn *s = stream_of(ng, f->hd.stream_id);
    if (!s)
        return 0;
    weft_h2_stream *st = s->h2s;
    const weft_http_limits *lim = &s->sl->app->cfg.limits;
    /* nghttp2 has checked names and values (no CR, LF, NUL, upper case,
     * connection-specific fields) and the pseudo-header rules. */
    if (eq(name, namelen, "content-length") || eq(name, namelen, "expect") ||
        eq(name, namelen, ":scheme"))
        return 0; /* the length is written from the body received; a
                     100-continue means nothing once the whole body is here */
    if (st->fields.len + namelen + valuelen > lim->max_request_line + lim->max_header_bytes) {
        st->head_too_big = 1;
        return 0;
    }
    st->has_host |= eq(name, namelen, "host");
    if (!st->fields.cap && weft_buf_reserve(&st->fields, 512))
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    int e = put(&st->fields, name, namelen);
    e = e ? e : put(&st->fields, ": ", 2);
    e = e ? e : put(&st->fields, value, valuelen);
    e = e ? e : put(&st->fields, "\r\n", 2);
    return e ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE : 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *ud)
{
    (void)flags;
    (void)ud;
    weft_conn *s = stream_of(ng, id);
    if (!s)
        return 0;
    weft_h2_stream *st = s->h2s;
    if (st->too_big || st->body.len + len > s->sl->app->cfg.limits.max_body) {
        st->too_big = 1; /* answered 413 at the end, the rest is dropped */
        weft_buf_free(&st->body);
        return 0;
    }
    return put(&st->body, data, len) ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE : 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
    (void)ud;
    if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
        !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    weft_conn *s = stream_of(ng, f->hd.stream_id);
    if (s && s->state == CONN_HEAD && !s->rbuf)
        request_complete(s);
    return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
    (void)ud;
    weft_conn *s = stream_of(ng, id);
    if (!s)
        return 0;
    stream_unlink(s);
    if (s->state == CONN_HANDLING && !s->h2s->eof) {
        /* Reset by the client before its answer was complete: the same as
         * a client that closes its HTTP/1.1 connection mid-request. */
        char how[64];
        snprintf(how, sizeof how, "reset stream %d (code %u)", (int)id, code);
        weft__conn_client_gone(s, how);
    }
    weft__conn_close(s);
    return 0;
}

/* ---- the answer ---------------------------------------------------------------- */

static ssize_t read_data(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)ng;
    (void)id;
    (void)ud;
    weft_conn *s = src->ptr;
    weft_h2_stream *st = s->h2s;
    size_t n = s->obuf.len - st->data_off;
    if (n > len)
        n = len;
    memcpy(buf, s->obuf.data + st->data_off, n);
    st->data_off += n;
    if (st->data_off == s->obuf.len) {
        s->obuf.len = st->data_off = 0;
        if (st->eof) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        } else if (n == 0) {
            st->deferred = 1;
            return NGHTTP2_ERR_DEFERRED;
        }
    }
    return (ssize_t)n;
}

static int hop_by_hop(weft_str name)
{
    return weft_str_ieq(name, WEFT_STRLIT("connection")) ||
           weft_str_ieq(name, WEFT_STRLIT("keep-alive")) ||
           weft_str_ieq(name, WEFT_STRLIT("transfer-encoding")) ||
           weft_str_ieq(name, WEFT_STRLIT("upgrade")) ||
           weft_str_ieq(name, WEFT_STRLIT("proxy-connection"));
}

/* Turns the HTTP/1.1 head at the start of obuf into a HEADERS frame.
 * Returns the head's length, 0 if it is not complete yet, -1 if it cannot
 * be sent. */
static int submit_head(weft_conn *s)
{
    weft_h2_stream *st = s->h2s;
    weft_header fields[MAX_RESP_FIELDS];
    weft_http_resp_head head;
    int r = weft_http_parse_response(s->obuf.data, s->obuf.len, &head, fields, MAX_RESP_FIELDS,
                                     MAX_RESP_HEAD);
    if (r == WEFT_HTTP_INCOMPLETE)
        return 0;
    if (r < 0)
        return -2;
    nghttp2_nv nv[MAX_RESP_FIELDS + 1];
    char status[8];
    snprintf(status, sizeof status, "%03d", head.status % 1000);
    nv[0] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)status, 7, 3, NGHTTP2_NV_FLAG_NONE};
    size_t n = 1;
    /* Field names go lower-case (RFC 9113 8.2.2); they are lowered in
     * place: the head is consumed here. */
    for (size_t i = 0; i < head.nheaders; i++) {
        weft_header *h = &head.headers[i];
        if (hop_by_hop(h->name))
            continue;
        for (size_t k = 0; k < h->name.len; k++)
            ((char *)h->name.base)[k] = (char)tolower((unsigned char)h->name.base[k]);
        nv[n++] = (nghttp2_nv){(uint8_t *)h->name.base, (uint8_t *)h->value.base, h->name.len,
                               h->value.len, NGHTTP2_NV_FLAG_NONE};
    }
    int bodyless = s->ctx.is_head || head.status == 204 || head.status == 304;
    /* The body is framed straight from obuf, from after the head. */
    st->data_off = (size_t)r;
    if (bodyless)
        s->obuf.len = st->data_off = 0;
    nghttp2_data_provider prd = {.source.ptr = s, .read_callback = read_data};
    int whole = st->eof && s->obuf.len == st->data_off;
    int e = nghttp2_submit_response(st->h2->ng, st->id, nv, n, bodyless || whole ? NULL : &prd);
    if (e)
        return e;
    st->submitted = 1;
    return r;
}

/* The stream connection's answer grew (conn.c's weft__conn_flush). */
void weft__h2_stream_flush(weft_conn *s)
{
    weft_h2_stream *st = s->h2s;
    if (!st->eof && !s->ctx.on_worker && s->ctx.resp == RESP_DONE)
        st->eof = 1;
    if (!st->h2) {
        s->obuf.len = st->data_off = 0; /* the stream is gone: nobody reads this */
        return;
    }
    if (!st->submitted) {
        if (s->obuf.len == 0)
            return; /* nothing answered yet */
        int r = submit_head(s);
        if (r == 0)
            return;
        if (r < 0) {
            weft_warn("HTTP/2 stream %d: cannot send the answer (%d)", (int)st->id, r);
            s->obuf.len = st->data_off = 0;
            weft__h2_stream_detach(s);
            return;
        }
    } else if (s->ctx.is_head) {
        s->obuf.len = st->data_off = 0;
    }
    if (st->deferred && (s->obuf.len > st->data_off || st->eof)) {
        st->deferred = 0;
        nghttp2_session_resume_data(st->h2->ng, st->id);
    }
    schedule(st->h2);
}

/* The request is over (conn.c): the answer is complete; the stream
 * connection closes when the stream does. */
void weft__h2_stream_end(weft_conn *s)
{
    weft_h2_stream *st = s->h2s;
    st->eof = 1;
    s->state = CONN_LINGER;
    weft__h2_stream_flush(s);
    if (!st->h2)
        weft__conn_close(s); /* already closed on the wire */
}

/* ---- the connection --------------------------------------------------------------- */

static void send_frames(weft_flush *f)
{
    weft_h2 *h2 = of_flush(f);
    weft_conn *c = h2->conn;
    if (h2->dead)
        return;
    const char *why;
    if (weft__h2_take_frames(h2->ng, &c->obuf, c->writing, WEFT_OUT_HIGH_WATER, &why)) {
        weft_debug("HTTP/2 connection from %s: %s", weft__conn_peer(c), why);
        weft__conn_close(c);
        return;
    }
    weft__conn_ref(c);
    weft__conn_flush(c);
    /* After a GOAWAY (ours on draining, or the client's) the connection
     * ends once its streams have and everything is written. */
    if (c->state == CONN_H2 && !c->writing && c->obuf.len == 0 &&
        ((h2->goaway && h2->nstreams == 0) ||
         (!nghttp2_session_want_read(h2->ng) && !nghttp2_session_want_write(h2->ng))))
        weft__conn_close(c);
    weft__conn_unref(c);
}

/* The socket took what was being written: pull more frames. */
void weft__h2_writable(weft_conn *c)
{
    schedule(c->h2);
}

int weft__h2_start(weft_conn *c)
{
    const weft_config *cfg = &c->sl->app->cfg;
    weft_h2 *h2 = weft__zalloc(sizeof *h2);
    nghttp2_session_callbacks *cb = NULL;
    if (!h2 || nghttp2_session_callbacks_new(&cb)) {
        free(h2);
        return WEFT_ENOMEM;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    int r = weft__h2_session_new(&h2->ng, 1, cb, h2);
    nghttp2_session_callbacks_del(cb);
    if (r) {
        free(h2);
        return WEFT_ENOMEM;
    }
    h2->conn = c;
    h2->flush.fn = send_frames;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, (uint32_t)cfg->h2_max_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
         (uint32_t)(cfg->limits.max_request_line + cfg->limits.max_header_bytes)},
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
    };
    nghttp2_submit_settings(h2->ng, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
    c->h2 = h2;
    c->state = CONN_H2;
    c->since = weft_loop_now(&c->sl->loop);
    c->head_started = 0;
    schedule(h2);
    /* What arrived with the preface is HTTP/2 too. */
    size_t have = c->rend - c->rstart;
    c->rstart = c->rend = 0;
    weft__h2_recv(c, c->rbuf, have);
    return 0;
}

int weft__h2_recv(weft_conn *c, const char *data, size_t len)
{
    weft_h2 *h2 = c->h2;
    if (!len)
        return 0;
    weft__conn_ref(c);
    ssize_t n = nghttp2_session_mem_recv(h2->ng, (const uint8_t *)data, len);
    int r = 0;
    if (n < 0 && !h2->dead) {
        /* nghttp2 has queued a GOAWAY saying why: send it, then close. */
        weft_debug("HTTP/2 connection from %s: %s", weft__conn_peer(c), nghttp2_strerror((int)n));
        atomic_fetch_add_explicit(&c->sl->stats.bad_requests, 1, memory_order_relaxed);
        /* GOAWAY, and send_frames closes once it has left. */
        nghttp2_session_terminate_session(h2->ng, NGHTTP2_PROTOCOL_ERROR);
        r = WEFT_EPROTO;
    }
    schedule(h2);
    weft__conn_unref(c);
    return r;
}

/* Graceful shutdown: no new streams; the connection ends after the ones
 * in flight (send_frames closes it). */
void weft__h2_drain(weft_conn *c)
{
    weft_h2 *h2 = c->h2;
    if (h2->goaway || h2->dead)
        return;
    h2->goaway = 1;
    nghttp2_submit_goaway(h2->ng, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(h2->ng), NGHTTP2_NO_ERROR,
                          NULL, 0);
    schedule(h2);
}

size_t weft__h2_streams(const weft_conn *c)
{
    return c->h2->nstreams;
}

/* The socket is closing: every stream on it ends now. */
void weft__h2_closed(weft_conn *c)
{
    weft_h2 *h2 = c->h2;
    h2->dead = 1;
    weft__loop_flush_cancel(&c->sl->loop, &h2->flush);
    while (h2->streams) {
        weft_conn *s = h2->streams;
        stream_unlink(s);
        if (s->state == CONN_HANDLING && !s->h2s->eof)
            weft__conn_client_gone(s, "went away");
        weft__conn_close(s);
    }
}

void weft__h2_free(weft_conn *c)
{
    if (!c->h2)
        return;
    nghttp2_session_del(c->h2->ng);
    free(c->h2);
    c->h2 = NULL;
}
