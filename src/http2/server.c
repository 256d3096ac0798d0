/* h2.c - the HTTP/2 codec of the server: cleartext with prior knowledge
 * (h2c, RFC 9113 3.3), framed by libnghttp2 (HPACK, flow control, stream
 * states and their checks are the library's).
 *
 * A connection whose first bytes are the HTTP/2 preface becomes an h2
 * connection (conn->h2, state CONN_H2). Each request stream is a
 * weft_h2_stream holding the request's context: its fields become the
 * request object directly (h2_fields.c), its DATA the body, and the
 * handler's answer goes out as HEADERS made from the response structure
 * and DATA pulled from the stream's own buffer - no HTTP/1.1 text either
 * way. Every handler kind, limit, deadline, 503, access-log line and
 * cancellation works on HTTP/2 through the one request path HTTP/1.1
 * uses.
 *
 * A stream's memory lives while it is open on the wire, while its request
 * runs, and while a handler holds it (refs); then it goes back to the
 * loop's pool. Frames leave once per loop iteration
 * (weft__loop_flush_later), so the answers that finish together - a batch
 * of timers, a batch of resumed fibers - go out in one write: that, and
 * thousands of requests sharing a connection, is what HTTP/2 to a backend
 * is for (S8 in docs/benchmarks.md). Loop thread only. */
#include <stdio.h>
#include <stdlib.h>

#include "http2.h"
#include "../base/alloc.h"
#include "frames.h"

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define PREFACE_LEN 24
/* Frames of many streams arrive together: read them in large pieces. */
#define H2_READ (64u * 1024u)

struct weft_h2 {
    weft_conn *conn;      /* the socket's connection */
    nghttp2_session *ng;
    weft_flush flush;     /* frames to write before the next poll */
    weft_h2_stream *streams; /* open on the wire */
    size_t nstreams;
    int dead;             /* the socket is closing: no more frames */
    int goaway;           /* draining: GOAWAY sent, no new streams */
};

/* Where a field's bytes are in a stream's field buffer (which may move
 * while fields arrive). */
typedef struct field_at {
    size_t name, name_len, value, value_len;
} field_at;

struct weft_h2_stream {
    weft_ctx ctx;         /* the request, once whole */
    weft_h2 *h2;          /* NULL once the stream is closed on the wire */
    int32_t id;
    weft_h2_stream *prev, *next; /* in h2->streams */
    weft_h2_stream *pool_next;
    int refs;             /* open on the wire, its request running, each handler hold */
    /* the request, as it arrives */
    weft_buf fields;      /* every field's name and value bytes */
    field_at *at;
    size_t nat, at_cap;
    weft_buf body;
    char clen[24];        /* the content-length field's digits */
    uint8_t too_big;      /* 413: the body passed --max-body */
    uint8_t head_too_big; /* 431: the fields passed the head limits */
    uint8_t begun;        /* the request went to the request path */
    uint8_t ended;        /* ... and is over */
    /* the answer */
    weft_buf out;         /* DATA bytes not framed yet */
    size_t out_off;
    uint8_t submitted;    /* HEADERS handed to nghttp2 */
    uint8_t deferred;     /* the data source waits for more bytes */
    uint8_t eof;          /* the answer is complete */
};

/* Streams kept per loop for reuse: a backend over HTTP/2 makes one per
 * request where HTTP/1.1 made one per connection. */
#define STREAM_POOL_MAX 1024

static const weft_codec h2_codec;
static const weft_conn_proto h2_conn_proto;
static int h2_recv(weft_conn *c, const char *data, size_t len);

static weft_h2 *of_flush(weft_flush *f)
{
    return (weft_h2 *)((char *)f - offsetof(weft_h2, flush));
}

static weft_h2_stream *of_ctx(const weft_ctx *c)
{
    return (weft_h2_stream *)((char *)c - offsetof(weft_h2_stream, ctx));
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

static void stream_unref(weft_h2_stream *st)
{
    if (--st->refs > 0)
        return;
    weft_sloop *sl = st->ctx.sl;
    weft_buf_free(&st->fields);
    weft_buf_free(&st->body);
    weft_buf_free(&st->out);
    free(st->at);
    st->at = NULL;
    if (sl->stream_pool_len >= STREAM_POOL_MAX) {
        weft__ctx_free(&st->ctx);
        free(st);
        return;
    }
    weft__scope_destroy(&st->ctx.scope); /* its arena's chunks; made again on reuse */
    weft_buf_free(&st->ctx.sync_body);
    st->pool_next = sl->stream_pool;
    sl->stream_pool = st;
    sl->stream_pool_len++;
}

void weft__h2_pool_free(weft_sloop *sl)
{
    while (sl->stream_pool) {
        weft_h2_stream *st = sl->stream_pool;
        sl->stream_pool = st->pool_next;
        free(st);
    }
    sl->stream_pool_len = 0;
}

/* Takes st off the wire: the session forgets it, the connection's list
 * drops it, and its wire reference goes. */
static void stream_unlink(weft_h2_stream *st)
{
    weft_h2 *h2 = st->h2;
    if (!h2)
        return;
    nghttp2_session_set_stream_user_data(h2->ng, st->id, NULL);
    if (st->prev)
        st->prev->next = st->next;
    else
        h2->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    st->prev = st->next = NULL;
    st->h2 = NULL;
    if (--h2->nstreams == 0)
        h2->conn->since = weft_loop_now(&h2->conn->sl->loop); /* idle from now */
    stream_unref(st);
}

/* The wire side ended (closed, reset, or the socket went): a request in
 * flight without its whole answer lost its client. */
static void stream_closed(weft_h2_stream *st, const char *how)
{
    st->refs++; /* through the request's end */
    stream_unlink(st);
    if (st->begun && !st->ended) {
        if (!st->eof)
            weft__request_client_gone(&st->ctx, how);
        weft__request_abort(&st->ctx);
    }
    stream_unref(st);
}

static weft_h2_stream *stream_new(weft_h2 *h2, int32_t id)
{
    weft_sloop *sl = h2->conn->sl;
    weft_h2_stream *st = sl->stream_pool;
    if (st) {
        sl->stream_pool = st->pool_next;
        sl->stream_pool_len--;
        memset(st, 0, sizeof *st);
    } else if (!(st = weft__zalloc(sizeof *st))) {
        return NULL;
    }
    weft__ctx_init(&st->ctx, &h2_codec, sl);
    st->refs = 1; /* open on the wire */
    st->h2 = h2;
    st->id = id;
    st->next = h2->streams;
    if (h2->streams)
        h2->streams->prev = st;
    h2->streams = st;
    h2->nstreams++;
    return st;
}

/* The request is whole: its fields become the request object, and it
 * takes the one request path. */
static void request_complete(weft_h2_stream *st)
{
    weft_ctx *c = &st->ctx;
    weft_sloop *sl = c->sl;
    st->begun = 1;
    st->refs++; /* dropped when the request is over (h2_done) */
    if (st->too_big || st->head_too_big) {
        weft__request_reject(c, st->too_big ? 413 : 431,
                             st->too_big ? "request body too large"
                                         : "request header fields too large");
        return;
    }
    const weft_config *cfg = &sl->app->cfg;
    weft_header *fields = malloc((st->nat ? st->nat : 1) * sizeof *fields);
    if (!fields) {
        weft__request_reject(c, 503, "out of memory");
        return;
    }
    for (size_t i = 0; i < st->nat; i++)
        fields[i] = (weft_header){weft_str_make(st->fields.data + st->at[i].name, st->at[i].name_len),
                                  weft_str_make(st->fields.data + st->at[i].value, st->at[i].value_len)};
    const char *why = NULL;
    int r = weft__h2_request_fill(&c->req, fields, st->nat, st->body.len, st->clen,
                                  sl->hdr_scratch, cfg->limits.max_headers + WEFT_H2_ADDED_FIELDS,
                                  &cfg->limits, &why);
    free(fields);
    if (r < 0) {
        weft__request_reject(c, -r, why);
        return;
    }
    c->body = st->body.len ? weft_str_make(st->body.data, st->body.len) : WEFT_STR_NULL;
    weft__request_begin(c);
}

/* ---- nghttp2 callbacks ------------------------------------------------------- */

static weft_h2_stream *stream_of(nghttp2_session *ng, int32_t id)
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
    weft_h2_stream *st = stream_new(h2, f->hd.stream_id);
    if (!st) {
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, f->hd.stream_id,
                                  NGHTTP2_INTERNAL_ERROR);
        return 0;
    }
    nghttp2_session_set_stream_user_data(ng, f->hd.stream_id, st);
    return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *ud)
{
    (void)flags;
    (void)ud;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* trailers: not passed on */
    weft_h2_stream *st = stream_of(ng, f->hd.stream_id);
    if (!st || st->head_too_big)
        return 0;
    /* nghttp2 has checked names and values (no CR, LF, NUL, upper case,
     * connection-specific fields) and the pseudo-field rules. What is kept
     * is bounded by the head limits; h2_fields.c applies them exactly. */
    const weft_http_limits *lim = &st->ctx.app->cfg.limits;
    if (st->fields.len + namelen + valuelen > lim->max_request_line + lim->max_header_bytes ||
        st->nat > lim->max_headers + 8) {
        st->head_too_big = 1;
        return 0;
    }
    if (st->nat == st->at_cap) {
        size_t cap = st->at_cap ? st->at_cap * 2 : 16;
        field_at *at = realloc(st->at, cap * sizeof *at);
        if (!at)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        st->at = at;
        st->at_cap = cap;
    }
    size_t off = st->fields.len;
    if ((namelen + valuelen && weft_buf_reserve(&st->fields, namelen + valuelen)))
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    if (namelen)
        weft_buf_append(&st->fields, name, namelen);
    if (valuelen)
        weft_buf_append(&st->fields, value, valuelen);
    st->at[st->nat++] = (field_at){off, namelen, off + namelen, valuelen};
    return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *ud)
{
    (void)flags;
    (void)ud;
    weft_h2_stream *st = stream_of(ng, id);
    if (!st || st->begun)
        return 0;
    if (st->too_big || st->body.len + len > st->ctx.app->cfg.limits.max_body) {
        st->too_big = 1; /* answered 413 at the end, the rest is dropped */
        weft_buf_free(&st->body);
        return 0;
    }
    return len && weft_buf_append(&st->body, data, len) ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE
                                                        : 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
    (void)ud;
    if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
        !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    weft_h2_stream *st = stream_of(ng, f->hd.stream_id);
    if (st && !st->begun)
        request_complete(st);
    return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
    (void)ud;
    weft_h2_stream *st = stream_of(ng, id);
    if (!st)
        return 0;
    /* Reset by the client before its answer was complete: the same as a
     * client that closes its HTTP/1.1 connection mid-request. */
    char how[64];
    snprintf(how, sizeof how, "reset stream %d (code %u)", (int)id, code);
    stream_closed(st, how);
    return 0;
}

/* ---- the codec: answers --------------------------------------------------------- */

static ssize_t read_data(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)ng;
    (void)id;
    (void)ud;
    weft_h2_stream *st = src->ptr;
    size_t n = st->out.len - st->out_off;
    if (n > len)
        n = len;
    if (n)
        memcpy(buf, st->out.data + st->out_off, n);
    st->out_off += n;
    if (st->out_off == st->out.len) {
        st->out.len = st->out_off = 0;
        if (st->eof) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        } else if (n == 0) {
            st->deferred = 1;
            return NGHTTP2_ERR_DEFERRED;
        }
    }
    return (ssize_t)n;
}

static void resume(weft_h2_stream *st)
{
    if (st->deferred && (st->out.len > st->out_off || st->eof)) {
        st->deferred = 0;
        nghttp2_session_resume_data(st->h2->ng, st->id);
    }
    schedule(st->h2);
}

static int h2_begin(weft_ctx *c, const weft_response *r)
{
    weft_h2_stream *st = of_ctx(c);
    if (!st->h2)
        return 0; /* closed on the wire: nobody reads this */
    nghttp2_nv *nv = weft_arena_alloc(&c->scope.arena,
                                      weft__h2_response_nfields(r) * sizeof *nv);
    char status[4], clen[24], date[30];
    size_t n = nv ? weft__h2_response_fields(r, nv, &c->scope.arena, status, clen, date) : 0;
    int s = r->status;
    int bodyless = c->is_head || r->content_length == 0 || s < 200 || s == 204 || s == 304;
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = read_data};
    /* nghttp2 copies the fields: the scratch arrays may go after this. */
    int e = n ? nghttp2_submit_response(st->h2->ng, st->id, nv, n, bodyless ? NULL : &prd)
              : NGHTTP2_ERR_NOMEM;
    if (e) {
        weft_warn("HTTP/2 stream %d: cannot send the answer: %s", (int)st->id,
                  nghttp2_strerror(e));
        nghttp2_submit_rst_stream(st->h2->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
        schedule(st->h2);
        return WEFT_ENOMEM;
    }
    st->submitted = 1;
    if (bodyless)
        st->eof = 1;
    schedule(st->h2);
    return 0;
}

static int h2_write(weft_ctx *c, const void *data, size_t len)
{
    weft_h2_stream *st = of_ctx(c);
    if (!st->h2 || st->eof)
        return 0;
    if (weft_buf_append(&st->out, data, len))
        return WEFT_ENOMEM;
    resume(st);
    return 0;
}

static int h2_end(weft_ctx *c)
{
    weft_h2_stream *st = of_ctx(c);
    st->eof = 1;
    if (st->h2 && st->submitted)
        resume(st);
    return 0;
}

/* The request is over; the stream ends on the wire when its answer has
 * left (or has ended already). */
static void h2_done(weft_ctx *c)
{
    weft_h2_stream *st = of_ctx(c);
    st->ended = 1;
    if (st->h2 && !st->submitted) {
        /* no answer was ever sent (an aborted request): end the stream */
        nghttp2_submit_rst_stream(st->h2->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
        schedule(st->h2);
    }
    stream_unref(st);
}

static const char *h2_proto_name(const weft_ctx *c)
{
    (void)c;
    return "HTTP/2.0";
}

static const char *h2_peer(weft_ctx *c)
{
    weft_h2 *h2 = of_ctx(c)->h2;
    return h2 ? weft__conn_peer(h2->conn) : "-";
}

static void h2_park(weft_ctx *c)
{
    (void)c; /* the stream's buffers hold the request the handler reads */
}

static void h2_ref(weft_ctx *c)
{
    of_ctx(c)->refs++;
}

static void h2_unref(weft_ctx *c)
{
    stream_unref(of_ctx(c));
}

static const weft_codec h2_codec = {
    .proto = h2_proto_name,
    .peer = h2_peer,
    .begin = h2_begin,
    .write = h2_write,
    .end = h2_end,
    .done = h2_done,
    .park = h2_park,
    .ref = h2_ref,
    .unref = h2_unref,
};

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
    c->proto = &h2_conn_proto;
    c->state = CONN_H2;
    c->since = weft_loop_now(&c->sl->loop);
    c->head_started = 0;
    schedule(h2);
    /* What arrived with the preface is HTTP/2 too. */
    size_t have = c->rend - c->rstart;
    c->rstart = c->rend = 0;
    h2_recv(c, c->rbuf, have);
    return 0;
}

static int h2_recv(weft_conn *c, const char *data, size_t len)
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
static void h2_drain(weft_conn *c)
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


/* The socket is closing: every stream on it ends now. */
static void h2_closed(weft_conn *c, int was)
{
    (void)was;
    weft_h2 *h2 = c->h2;
    h2->dead = 1;
    weft__loop_flush_cancel(&c->sl->loop, &h2->flush);
    while (h2->streams)
        stream_closed(h2->streams, "went away");
}

static void h2_release(weft_conn *c)
{
    if (!c->h2)
        return;
    nghttp2_session_del(c->h2->ng);
    free(c->h2);
    c->h2 = NULL;
}

/* ---- the connection's protocol ---------------------------------------------------- */

static int h2_room(weft_conn *c)
{
    c->rstart = c->rend = 0; /* nghttp2 takes every byte it is given */
    return c->rcap < H2_READ ? weft__conn_rbuf_room(c, H2_READ) : 0;
}

static void h2_read(weft_conn *c, size_t n)
{
    h2_recv(c, c->rbuf, n);
}

static void h2_eof(weft_conn *c)
{
    weft__conn_close(c);
}

/* The socket took what was being written: pull more frames. */
static void h2_writable(weft_conn *c)
{
    schedule(c->h2);
}

static void h2_sweep(weft_conn *c, uint64_t now)
{
    if (c->h2->nstreams == 0)
        weft__conn_close_if_idle(c, now, (uint64_t)c->sl->app->cfg.keepalive_timeout_ms);
}

static void h2_start_unused(weft_conn *c)
{
    (void)c; /* HTTP/2 begins on an HTTP/1.1 connection's preface (weft__h2_start) */
}

static const weft_conn_proto h2_conn_proto = {
    .start = h2_start_unused,
    .room = h2_room,
    .read = h2_read,
    .eof = h2_eof,
    .writable = h2_writable,
    .sweep = h2_sweep,
    .drain = h2_drain,
    .closed = h2_closed,
    .release = h2_release,
};
