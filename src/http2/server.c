/* server.c - the HTTP/2 codec of the server: streams, each a request and
 * its answer (the session that carries them is session.c's).
 *
 * Each request stream is a weft_h2_stream holding the request's context:
 * its fields become the request object directly (fields.c), its DATA the
 * body, and the handler's answer goes out as HEADERS made from the
 * response structure and DATA pulled from the stream's own buffer - no
 * HTTP/1.1 text either way. Every handler kind, limit, deadline, 503,
 * access-log line and cancellation works on HTTP/2 through the one
 * request path HTTP/1.1 uses.
 *
 * A stream's memory lives while it is open on the wire, while its request
 * runs, and while a handler holds it (refs); then it goes back to the
 * loop's pool. Loop thread only. */
#include <stdio.h>
#include <stdlib.h>

#include "server_int.h"
#include "../base/alloc.h"

/* Streams kept per loop for reuse: a backend over HTTP/2 makes one per
 * request where HTTP/1.1 made one per connection. */
#define STREAM_POOL_MAX 1024

static const weft_codec h2_codec;

static weft_h2_stream *of_ctx(const weft_ctx *c)
{
    return (weft_h2_stream *)((char *)c - offsetof(weft_h2_stream, ctx));
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
void weft__h2_stream_closed(weft_h2_stream *st, const char *how)
{
    /* DATA a streamed body had not handed out still counts against the
     * connection's window: give it back. */
    if (st->streamed && st->body.len && st->h2 && !st->h2->dead)
        nghttp2_session_consume_connection(st->h2->ng, st->body.len);
    st->body.len = 0;
    st->piece = 0;
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

/* The fields become the request object: 0, or -1 - rejected (answered)
 * when `reject`, else left for the request's end to judge. */
static int fill_request(weft_h2_stream *st, int reject)
{
    weft_ctx *c = &st->ctx;
    weft_sloop *sl = c->sl;
    const weft_config *cfg = &sl->app->cfg;
    weft_header *fields = malloc((st->nat ? st->nat : 1) * sizeof *fields);
    if (!fields) {
        if (reject)
            weft__request_reject(c, 503, "out of memory");
        return -1;
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
        if (reject)
            weft__request_reject(c, weft_http_status_of(r), why);
        return -1;
    }
    return 0;
}

/* The request is whole: it takes the one request path. */
static void request_complete(weft_h2_stream *st)
{
    weft_ctx *c = &st->ctx;
    if (st->begun) { /* a streamed body has ended */
        st->body_done = 1;
        weft__ctx_body_progress(c);
        return;
    }
    st->begun = 1;
    st->refs++; /* dropped when the request is over (h2_done) */
    if (st->too_big || st->head_too_big) {
        weft__request_reject(c, st->too_big ? 413 : 431,
                             st->too_big ? "request body too large"
                                         : "request header fields too large");
        return;
    }
    if (fill_request(st, 1))
        return;
    c->body = st->body.len ? weft_str_make(st->body.data, st->body.len) : WEFT_STR_NULL;
    weft__request_begin(c);
}

/* A head with a body to follow: a route that reads its body as it comes
 * gets the request now. Room for a whole window of DATA is made at once,
 * so a piece handed out never moves. */
#define STREAM_BODY_ROOM (128u * 1024u)

static void request_head(weft_h2_stream *st)
{
    weft_ctx *c = &st->ctx;
    uint64_t max;
    if (st->too_big || st->head_too_big || st->begun)
        return;
    /* What the route is: from the fields, rejecting nothing yet (a
     * request that is not streamed is filled and judged again at its
     * end, with its body). */
    if (fill_request(st, 0) || !weft__route_streams_body(c, &max))
        return;
    if (weft_buf_reserve(&st->body, STREAM_BODY_ROOM))
        return; /* then buffered, as any other */
    st->begun = 1;
    st->refs++;
    st->streamed = 1;
    st->body_max = max;
    c->body = WEFT_STR_NULL;
    c->body_streamed = 1;
    weft__request_begin(c);
}

static int h2_body_read(weft_ctx *c, weft_str *piece)
{
    weft_h2_stream *st = of_ctx(c);
    if (st->piece) { /* taken: its bytes open the window again */
        if (st->h2 && !st->h2->dead) {
            nghttp2_session_consume(st->h2->ng, st->id, st->piece);
            weft__h2_schedule(st->h2);
        }
        memmove(st->body.data, st->body.data + st->piece, st->body.len - st->piece);
        st->body.len -= st->piece;
        st->piece = 0;
    }
    if (st->body_err)
        return st->body_err;
    if (st->body.len) {
        st->piece = st->body.len;
        *piece = weft_str_make(st->body.data, st->body.len);
        return 1;
    }
    if (st->body_done)
        return 0;
    return st->h2 ? WEFT_EAGAIN : WEFT_ECONNRESET;
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
     * is bounded by the head limits; fields.c applies them exactly. */
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
    if (st && st->streamed) {
        st->body_seen += len;
        /* Past the route's limit the handler hears so (and answers 413);
         * the rest is taken and dropped, so the answer is not cut off by a
         * reset. */
        if (st->body_max && st->body_seen > st->body_max && !st->body_err)
            st->body_err = WEFT_ETOOBIG;
        if (st->body_err || st->body.len + len > st->body.cap) {
            nghttp2_session_consume(ng, id, len);
            st->body_err = st->body_err ? st->body_err : WEFT_EBADMSG;
        } else {
            memcpy(st->body.data + st->body.len, data, len);
            st->body.len += len;
        }
        weft__ctx_body_progress(&st->ctx);
        return 0;
    }
    nghttp2_session_consume(ng, id, len); /* buffered, or dropped: the window is open again */
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
    if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA)
        return 0;
    weft_h2_stream *st = stream_of(ng, f->hd.stream_id);
    if (st && !(f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        if (f->hd.type == NGHTTP2_HEADERS)
            request_head(st);
        return 0;
    }
    if (st && (!st->begun || st->streamed))
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
    weft__h2_stream_closed(st, how);
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
    if (st->ctx.drain_wait)
        weft__ctx_out_progress(&st->ctx);
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
    weft__h2_schedule(st->h2);
}

static int h2_begin(weft_ctx *c, const weft_response *r)
{
    weft_h2_stream *st = of_ctx(c);
    if (!st->h2)
        return 0; /* closed on the wire: nobody reads this */
    weft_arena *scratch = &st->h2->scratch;
    nghttp2_nv *nv = weft_arena_alloc(scratch, weft__h2_response_nfields(r) * sizeof *nv);
    char status[4], clen[24], date[30];
    size_t n = nv ? weft__h2_response_fields(r, nv, scratch, status, clen, date) : 0;
    int s = r->status;
    int bodyless = c->is_head || r->content_length == 0 || s < 200 || s == 204 || s == 304;
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = read_data};
    /* nghttp2 copies the fields: the scratch arrays may go after this. */
    int e = n ? nghttp2_submit_response(st->h2->ng, st->id, nv, n, bodyless ? NULL : &prd)
              : NGHTTP2_ERR_NOMEM;
    weft_arena_reset(scratch);
    if (e) {
        weft_warn("HTTP/2 stream %d: cannot send the answer: %s", (int)st->id,
                  nghttp2_strerror(e));
        nghttp2_submit_rst_stream(st->h2->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
        weft__h2_schedule(st->h2);
        return WEFT_ENOMEM;
    }
    st->submitted = 1;
    if (bodyless)
        st->eof = 1;
    weft__h2_schedule(st->h2);
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
        weft__h2_schedule(st->h2);
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

static size_t h2_unsent(weft_ctx *c)
{
    weft_h2_stream *st = of_ctx(c);
    return st->h2 ? st->out.len - st->out_off : 0;
}

/* Frames carry the body: nothing goes on the socket directly. */
static int h2_socket_dup(weft_ctx *c)
{
    (void)c;
    return -1;
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
    .unsent = h2_unsent,
    .socket_dup = h2_socket_dup,
    .body_read = h2_body_read,
};

void weft__h2_stream_callbacks(nghttp2_session_callbacks *cb)
{
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
}
