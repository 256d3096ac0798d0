/* server.c - the HTTP/1.1 codec of the server: requests framed from a
 * connection's read buffer, answers written as HTTP/1.1 text.
 *
 * Requests on one connection are handled one at a time, in order, so
 * pipelined requests are answered in order without reordering buffers:
 * while one is being handled the following ones wait in the read buffer.
 * Once a request is dispatched its slices point into the read buffer, so
 * the buffer never moves until the request is done (conn.c keeps that
 * rule) - or until a parked handler's request is moved to its arena
 * (h1_park). Runs on its loop's thread only and never blocks. */
#include <stdio.h>
#include <stdlib.h>

#include "http1.h"
#include "../http2/http2.h"

/* ---- requests: heads and bodies ------------------------------------------------- */

static int parse_head(weft_conn *c)
{
    const weft_config *cfg = &c->sl->app->cfg;
    /* A body's limit depends on its route (a streamed one has its own):
     * step_head holds a declared length to it. */
    weft_http_limits lim = cfg->limits;
    lim.max_body = UINT64_MAX;
    return weft_http_parse_request(c->rbuf + c->rstart, c->rend - c->rstart, &c->ctx.req,
                                   c->sl->hdr_scratch, cfg->limits.max_headers, &lim);
}

/* Reads the body of the current request. 1 complete, 0 need more, or a
 * WEFT_E* code (weft_chunked_decode's). */
static int read_body(weft_conn *c)
{
    weft_http_req *req = &c->ctx.req;
    size_t have = c->rend - c->rstart;
    if (!req->chunked) {
        if (have < c->head_len + req->content_length)
            return 0;
        c->body_len = (size_t)req->content_length;
        return 1;
    }
    char *body = c->rbuf + c->rstart + c->head_len;
    char *raw = body + c->body_len;
    size_t raw_len = (size_t)(c->rbuf + c->rend - raw), used, made;
    const weft_config *cfg = &c->sl->app->cfg;
    int r = weft_chunked_decode(&c->chunk, raw, raw, raw_len, &used, &made, cfg->limits.max_body,
                                cfg->limits.max_header_bytes);
    if (r < 0)
        return r;
    /* Close the gap left by chunk framing so the buffer holds head, decoded
     * body, then undecoded input. */
    c->body_len += made;
    size_t rest = raw_len - used;
    memmove(body + c->body_len, raw + used, rest);
    c->rend = (size_t)(body + c->body_len + rest - c->rbuf);
    return r;
}

/* Answers an error in place of a request, then closes. In CONN_BODY the
 * head is parsed again first: the buffer may have moved under its slices. */
void weft__h1_reject(weft_conn *c, int status, const char *why)
{
    if (c->state == CONN_BODY)
        parse_head(c);
    c->head_len = c->body_len = 0;
    c->state = CONN_HANDLING;
    weft__request_reject(&c->ctx, status, why);
}

static void send_continue(weft_conn *c)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (c->ctx.req.expect_continue && c->rend - c->rstart <= c->head_len) {
        weft_buf_append(&c->obuf, cont, sizeof cont - 1);
        weft__conn_flush(c);
    }
}

/* The request is whole: hand it to the request path. */
static void dispatch(weft_conn *c)
{
    weft_ctx *x = &c->ctx;
    x->body = c->body_len ? weft_str_make(c->rbuf + c->rstart + c->head_len, c->body_len)
                          : WEFT_STR_NULL;
    c->state = CONN_HANDLING;
    c->requests_seen++;
    weft__request_begin(x);
}

/* Whether the connection may switch to HTTP/2: over TLS when ALPN chose
 * h2 (the preface follows), in cleartext with --h2c (prior knowledge). */
static int may_h2(weft_conn *c)
{
    if (c->ctx.to_https)
        return 0; /* the --redirect-http port answers HTTP/1.x only */
    if (weft__tls_is(c->tr)) {
        const char *alpn = weft__tls_alpn(c->tr);
        return alpn && strcmp(alpn, "h2") == 0;
    }
    return c->sl->app->cfg.h2c;
}

/* ---- streamed bodies (weft_body_read) ------------------------------------------ */

/* Room for this much of a streamed body after the head: while the handler
 * has not taken it, reading stops and the client waits. */
#define BODY_WINDOW (256u * 1024u)

/* The route reads the body as it comes: the request goes to its handler
 * now, with a window of room after the head. */
static int begin_streamed_body(weft_conn *c, uint64_t max_body)
{
    weft_http_req *req = &c->ctx.req;
    if (max_body && req->has_content_length && (uint64_t)req->content_length > max_body) {
        weft__h1_reject(c, 413, "request body too large");
        return 0;
    }
    if (weft__conn_rbuf_room(c, c->head_len + BODY_WINDOW)) {
        weft__h1_reject(c, 503, "out of memory");
        return 0;
    }
    parse_head(c); /* the buffer may have moved under the head's slices */
    memset(&c->chunk, 0, sizeof c->chunk);
    c->body_pending = 1;
    c->body_err = 0;
    c->piece = 0;
    c->body_left = req->chunked ? 0 : (uint64_t)req->content_length;
    c->body_seen = 0;
    c->body_max = max_body;
    c->since = weft_loop_now(&c->sl->loop);
    send_continue(c);
    c->ctx.body_streamed = 1;
    dispatch(c);
    return 1; /* answered already (a pipelined request may follow), or the handler's */
}

/* Gives the handler's last piece back: what follows moves up behind the
 * head, and a read stopped for want of room goes on. */
static void take_back_piece(weft_conn *c)
{
    if (!c->piece)
        return;
    char *b = c->rbuf + c->rstart + c->head_len;
    memmove(b, b + c->piece, (size_t)(c->rbuf + c->rend - (b + c->piece)));
    c->rend -= c->piece;
    c->piece = 0;
    weft__conn_read_resume(c);
}

static int h1_body_read(weft_ctx *x, weft_str *piece)
{
    weft_conn *c = weft__h1_conn(x);
    take_back_piece(c);
    if (c->body_err)
        return c->body_err;
    if (!c->body_pending)
        return 0;
    char *b = c->rbuf + c->rstart + c->head_len;
    size_t have = (size_t)(c->rbuf + c->rend - b), n = 0;
    int done = 0;
    if (!x->req.chunked) {
        n = have < c->body_left ? have : (size_t)c->body_left;
        c->body_left -= n;
        done = c->body_left == 0;
    } else if (have) {
        size_t used, made;
        const weft_config *cfg = &c->sl->app->cfg;
        int r = weft_chunked_decode(&c->chunk, b, b, have, &used, &made, UINT64_MAX,
                                    cfg->limits.max_header_bytes);
        if (r < 0) {
            c->body_pending = 0;
            return c->body_err = r == WEFT_EFIELDS ? WEFT_ETOOBIG : WEFT_EBADMSG;
        }
        memmove(b + made, b + used, have - used); /* the chunk framing goes */
        c->rend -= used - made;
        n = made;
        done = r == 1;
    }
    c->body_seen += n;
    if (c->body_max && c->body_seen > c->body_max) {
        c->body_pending = 0;
        return c->body_err = WEFT_ETOOBIG;
    }
    if (done)
        c->body_pending = 0;
    if (n) {
        c->piece = n;
        *piece = weft_str_make(b, n);
        return 1;
    }
    if (done)
        return 0;
    if (c->peer_eof) {
        c->body_pending = 0;
        return c->body_err = WEFT_ECONNRESET; /* it ended inside the body */
    }
    return WEFT_EAGAIN;
}

/* Returns 1 to go on with the next step, 0 to wait for input or events. */
static int step_head(weft_conn *c)
{
    if (c->rstart == c->rend) {
        if (c->peer_eof) {
            weft__conn_linger(c); /* no more requests: finish writing, close */
            return 0;
        }
        if (atomic_load_explicit(&c->sl->draining, memory_order_relaxed)) {
            weft__conn_close(c);
            return 0;
        }
        c->head_started = 0;
        return 0;
    }
    if (!c->head_started)
        c->head_started = weft_loop_now(&c->sl->loop);
    if (c->requests_seen == 0 && c->rstart == 0 && may_h2(c)) {
        int p = weft__h2_is_preface(c->rbuf, c->rend);
        if (p == 0)
            return 0; /* part of the preface so far */
        if (p == 1) {
            if (weft__h2_start(c))
                weft__conn_close(c);
            return 0;
        }
        if (weft__tls_alpn(c->tr)) { /* ALPN said h2: nothing else may come */
            weft_debug("client %s agreed to h2 but sent no preface", weft__conn_peer(c));
            weft__conn_close(c);
            return 0;
        }
    }
    /* Bytes that end no line cannot change an unfinished head's parse. */
    const weft_config *cfg = &c->sl->app->cfg;
    int r = WEFT_EAGAIN;
    if (weft_http_scan_feed(&c->head_scan, c->rbuf + c->rstart, c->rend - c->rstart, &cfg->limits))
        r = parse_head(c);
    if (r == WEFT_EAGAIN) {
        if (c->peer_eof) {
            /* The peer ended its side in the middle of a head: that
             * request can never be whole. Earlier answers still go out. */
            weft_debug("client %s ended its side inside a request head", weft__conn_peer(c));
            weft__conn_linger(c);
        }
        return 0;
    }
    memset(&c->head_scan, 0, sizeof c->head_scan);
    if (r < 0) {
        weft__h1_reject(c, weft_http_status_of(r), c->ctx.req.error);
        return 0;
    }
    c->head_len = (size_t)r;
    c->body_len = 0;
    int has_body = c->ctx.req.chunked || c->ctx.req.content_length > 0;
    uint64_t max_body;
    if (has_body && weft__route_streams_body(&c->ctx, &max_body))
        return begin_streamed_body(c, max_body);
    if (c->ctx.req.has_content_length && (uint64_t)c->ctx.req.content_length > cfg->limits.max_body) {
        weft__h1_reject(c, 413, "request body too large");
        return 0;
    }
    if (has_body) {
        memset(&c->chunk, 0, sizeof c->chunk);
        c->state = CONN_BODY;
        c->since = weft_loop_now(&c->sl->loop);
        send_continue(c);
        return 1;
    }
    dispatch(c);
    return 1;
}

static int step_body(weft_conn *c)
{
    int r = read_body(c);
    if (r == 0) {
        if (c->peer_eof) {
            weft_debug("client %s ended its side inside a request body", weft__conn_peer(c));
            weft__conn_close(c); /* the body can never be whole */
        }
        return 0;
    }
    if (r < 0) {
        weft__h1_reject(c, weft_http_status_of(r),
                        r == WEFT_ETOOBIG   ? "request body too large"
                        : r == WEFT_EFIELDS ? "trailer section too large"
                                            : "malformed chunked body");
        return 0;
    }
    /* The buffer may have moved while the body arrived: parse the head
     * again so its slices point at the current bytes. */
    parse_head(c);
    dispatch(c);
    return 1;
}

void weft__h1_process(weft_conn *c)
{
    if (c->in_process || c->state == CONN_CLOSED)
        return;
    c->in_process = 1;
    weft__conn_ref(c); /* handlers may close it under us */
    int more = 1;
    while (more) {
        switch (c->state) {
        case CONN_HEAD:
            if (c->writing && c->obuf.len + c->wbuf.len > WEFT_OUT_HIGH_WATER) {
                c->out_paused = 1;
                weft__conn_read_pause(c);
                more = 0;
                break;
            }
            more = step_head(c);
            break;
        case CONN_BODY:
            more = step_body(c);
            break;
        default:
            more = 0;
        }
    }
    c->in_process = 0;
    weft__conn_flush(c);
    weft__conn_unref(c);
}

/* ---- the codec: answers and the request's end ------------------------------------- */

static const char *h1_proto_name(const weft_ctx *c)
{
    return c->req.minor ? "HTTP/1.1" : "HTTP/1.0";
}

static const char *h1_peer(weft_ctx *c)
{
    return weft__conn_peer(weft__h1_conn(c));
}

static int h1_begin(weft_ctx *c, const weft_response *r)
{
    weft_conn *conn = weft__h1_conn(c);
    /* A streamed body to HTTP/1.0 ends with the connection; a draining
     * server says it closes. */
    if (c->req.minor == 0 && r->content_length < 0)
        c->close_after = 1;
    if (atomic_load_explicit(&c->sl->draining, memory_order_relaxed) ||
        atomic_load_explicit(&c->app->shutting_down, memory_order_relaxed))
        c->close_after = 1;
    if (conn->body_pending || conn->body_err)
        c->close_after = 1; /* the rest of the body would be read as the next request */
    int keep = c->req.keep_alive && !c->close_after;
    if (!keep)
        c->close_after = 1;
    conn->streaming = r->content_length < 0 || r->in_parts;
    conn->stream_chunked = r->content_length < 0 && c->req.minor == 1;
    /* Room for a whole body that comes with the head; parts come later. */
    size_t body = r->content_length > 0 && !c->is_head && !r->in_parts ? (size_t)r->content_length : 0;
    int rc = weft__h1_write_head(&conn->obuf, r, c->req.minor, keep, conn->stream_chunked, body);
    if (conn->streaming)
        weft__conn_flush(conn); /* a stream's head leaves now */
    return rc;
}

static int h1_write(weft_ctx *c, const void *data, size_t len)
{
    weft_conn *conn = weft__h1_conn(c);
    int r = 0;
    if (conn->stream_chunked) {
        char size[24];
        int n = snprintf(size, sizeof size, "%zx\r\n", len);
        r = weft_buf_append(&conn->obuf, size, (size_t)n);
    }
    if (!r)
        r = weft_buf_append(&conn->obuf, data, len);
    if (!r && conn->stream_chunked)
        r = weft_buf_append(&conn->obuf, "\r\n", 2);
    if (conn->streaming)
        weft__conn_flush(conn); /* each part leaves as it comes */
    return r;
}

static int h1_end(weft_ctx *c)
{
    weft_conn *conn = weft__h1_conn(c);
    int r = 0;
    if (conn->stream_chunked && !c->is_head)
        r = weft_buf_append(&conn->obuf, "0\r\n\r\n", 5);
    conn->streaming = conn->stream_chunked = 0;
    weft__conn_flush(conn);
    return r;
}

/* The request is over: on to the next one on this connection, or close. */
static void h1_done(weft_ctx *x)
{
    weft_conn *c = weft__h1_conn(x);
    int keep = x->req.keep_alive && !x->close_after;
    if (c->state == CONN_CLOSED)
        return;
    take_back_piece(c); /* a streamed body's bytes are gone; the next request follows the head */
    x->body_streamed = 0;
    c->body_pending = 0;
    c->body_err = 0;
    c->rstart += c->head_len + c->body_len;
    c->head_len = c->body_len = 0;
    weft__conn_flush(c);
    if (!x->req.keep_alive && c->rstart == c->rend && !c->peer_eof) {
        weft__conn_end(c); /* the client asked to close and sent nothing more */
        return;
    }
    if (!keep || (c->peer_eof && c->rstart == c->rend)) {
        weft__conn_linger(c); /* nothing more will come: finish writing, close */
        return;
    }
    c->state = CONN_HEAD;
    c->since = weft_loop_now(&c->sl->loop);
    c->head_started = 0;
    memset(&c->head_scan, 0, sizeof c->head_scan);
    weft__conn_read_resume(c);
    if (!c->in_process)
        weft__h1_process(c);
}

/* A request parked in a fiber may wait for long. If the read buffer holds
 * nothing else, its bytes move to the arena and the buffer is freed: a
 * waiting request then costs its connection, its arena and one stack page
 * (S5 in docs/bench-history.md). A buffer is allocated again when the socket
 * has something to read. The output buffers, empty while the request
 * waits, go too: a keep-alive connection kept the capacity of its last
 * answer (4 KiB for a 2 KiB page), which was a third of what a waiting
 * /gizmos-async cost at S5's 8,000. */
static void h1_park(weft_ctx *x)
{
    weft_conn *c = weft__h1_conn(x);
    if (c->obuf.len == 0)
        weft_buf_free(&c->obuf);
    if (!c->writing && c->wbuf.len == 0)
        weft_buf_free(&c->wbuf);
    size_t len = c->head_len + c->body_len;
    if (!c->rbuf || c->rend != c->rstart + len || c->state != CONN_HANDLING || x->body_streamed)
        return; /* (a streamed body still arrives behind the head) */
    char *copy = weft_arena_alloc(&x->scope.arena, len);
    if (!copy)
        return;
    const char *old = c->rbuf + c->rstart;
    memcpy(copy, old, len);
    weft_http_rebase(&x->req, old, len, copy);
    for (int i = 0; i < x->match.nparams; i++)
        x->match.values[i] = weft_str_rebase(x->match.values[i], old, len, copy);
    x->body = weft_str_rebase(x->body, old, len, copy);
    free(c->rbuf);
    c->rbuf = NULL;
    c->rcap = c->rstart = c->rend = 0;
    c->head_len = c->body_len = 0;
}

static size_t h1_unsent(weft_ctx *x)
{
    weft_conn *c = weft__h1_conn(x);
    return c->obuf.len + (c->writing ? c->wbuf.len : 0);
}

static int h1_socket_dup(weft_ctx *x)
{
    weft_conn *c = weft__h1_conn(x);
    if (c->tr != &c->tcp.t || c->writing || c->obuf.len || c->state != CONN_HANDLING)
        return -1; /* TLS, or bytes of ours still ahead of the file's */
    return weft__tcp_dup_fd(&c->tcp);
}

static void h1_ref(weft_ctx *c)
{
    weft__conn_ref(weft__h1_conn(c));
}

static void h1_unref(weft_ctx *c)
{
    weft__conn_unref(weft__h1_conn(c));
}

const weft_codec weft__h1_codec = {
    .proto = h1_proto_name,
    .peer = h1_peer,
    .begin = h1_begin,
    .write = h1_write,
    .end = h1_end,
    .done = h1_done,
    .park = h1_park,
    .ref = h1_ref,
    .unref = h1_unref,
    .unsent = h1_unsent,
    .socket_dup = h1_socket_dup,
    .body_read = h1_body_read,
};

/* ---- the connection's protocol ---------------------------------------------------- */

static void h1_start(weft_conn *c)
{
    weft__ctx_init(&c->ctx, &weft__h1_codec, c->sl);
    c->state = CONN_HEAD;
}

static int h1_room(weft_conn *c)
{
    if (c->state == CONN_HANDLING)
        /* Only the free tail: the request points into the buffer - unless
         * it moved out (a parked request), then a fresh one is fine. A
         * streamed body fills the tail; when it is full, reading stops
         * until the handler takes a piece. */
        return c->rbuf ? 0 : weft__conn_rbuf_room(c, 0);
    size_t need = 0;
    if (c->state == CONN_BODY && c->ctx.req.has_content_length)
        need = c->head_len + (size_t)c->ctx.req.content_length;
    return weft__conn_rbuf_room(c, need);
}

static void h1_read(weft_conn *c, size_t n)
{
    c->rend += n;
    if (c->state == CONN_BODY || c->body_pending)
        c->since = weft_loop_now(&c->sl->loop);
    if (c->body_pending) {
        weft__ctx_body_progress(&c->ctx);
        return;
    }
    if (c->state == CONN_HEAD || c->state == CONN_BODY)
        weft__h1_process(c);
}

/* The peer ended its side of the stream (a FIN). A complete request in
 * flight goes on: a client may half-close after sending it (RFC 9112
 * section 9.6; some tools always do) and still reads the answer, after
 * which h1_done closes. Requests already buffered are served in order; a
 * head or body left incomplete can never be finished, and step_head /
 * step_body end the connection there. A client that is really gone shows
 * itself by a reset or a failed write: the transport reports that as an
 * error and the connection closes, which cancels the request
 * (h1_closed). */
static void h1_eof(weft_conn *c)
{
    if (c->body_pending)
        weft__ctx_body_progress(&c->ctx); /* the reader learns the body ended short */
    if (c->state == CONN_HEAD || c->state == CONN_BODY)
        weft__h1_process(c);
}

static void h1_writable(weft_conn *c)
{
    if (c->ctx.drain_wait)
        weft__ctx_out_progress(&c->ctx);
    if (c->out_paused && !c->writing && c->state == CONN_HEAD) {
        c->out_paused = 0;
        weft__conn_read_resume(c);
        weft__h1_process(c);
    }
}

/* Graceful shutdown closes a connection that has sat idle this long. A
 * keep-alive client sends its next request a moment after the last
 * answer; closing under it then - the request already on its way - fails
 * that request (a worker retired by SIGHUP under load lost requests so).
 * A connection in use gets its next answer with "Connection: close"
 * instead, and one quiet for a second is not about to send. */
#define DRAIN_IDLE_MS 1000

static int idle_for_drain(const weft_conn *c, uint64_t now)
{
    return c->state == CONN_HEAD && c->rstart == c->rend && !c->writing && !c->head_started &&
           now - c->since >= DRAIN_IDLE_MS;
}

static void h1_sweep(weft_conn *c, uint64_t now)
{
    const weft_config *cfg = &c->sl->app->cfg;
    if (atomic_load_explicit(&c->sl->draining, memory_order_relaxed) && idle_for_drain(c, now)) {
        weft__conn_close(c);
        return;
    }
    if (c->state == CONN_HEAD) {
        if (c->head_started && now - c->head_started >= (uint64_t)cfg->header_timeout_ms) {
            weft__conn_timed_out(c, "request head not received in time");
            weft__h1_reject(c, 408, "request head not received in time");
        } else if (!c->head_started) {
            weft__conn_close_if_idle(c, now, (uint64_t)(c->requests_seen ? cfg->keepalive_timeout_ms
                                                                      : cfg->header_timeout_ms));
        }
    } else if (c->state == CONN_BODY && now - c->since >= (uint64_t)cfg->body_timeout_ms) {
        weft__conn_timed_out(c, "request body stalled");
        weft__h1_reject(c, 408, "request body not received in time");
    } else if (c->body_pending && c->ctx.body_wait &&
               now - c->since >= (uint64_t)cfg->body_timeout_ms) {
        weft__conn_timed_out(c, "streamed request body stalled");
        c->body_pending = 0;
        c->body_err = WEFT_ETIMEDOUT;
        weft__ctx_body_progress(&c->ctx);
    }
}

/* Graceful shutdown: one with a request closes after its answer (h1_begin
 * says Connection: close); an idle one once it has been idle
 * DRAIN_IDLE_MS (now, or on a later sweep). */
static void h1_drain(weft_conn *c)
{
    if (idle_for_drain(c, weft_loop_now(&c->sl->loop)))
        weft__conn_close(c);
}

static void h1_closed(weft_conn *c, int was)
{
    if (was == CONN_HANDLING)
        weft__request_abort(&c->ctx); /* cancels what the request started */
}

static void h1_release(weft_conn *c)
{
    (void)c; /* the context is conn.c's to free: every connection has one */
}

const weft_conn_proto weft__h1_proto = {
    .start = h1_start,
    .room = h1_room,
    .read = h1_read,
    .eof = h1_eof,
    .writable = h1_writable,
    .sweep = h1_sweep,
    .drain = h1_drain,
    .closed = h1_closed,
    .release = h1_release,
};
