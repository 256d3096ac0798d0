/* ctx.c - the request context handed to handlers: request accessors and
 * the response writer.
 *
 * A ctx belongs to the handler's thread while the handler runs (the loop
 * for WEFT_CALLBACK, a worker for WEFT_SYNC). Response bytes go to the
 * connection's output buffer; they are flushed at once on the loop, or
 * when a worker's job returns. The head is assembled with memcpy rather
 * than printf: it is on every request's path. */
#include <stdio.h>
#include <stdlib.h>

#include "server.h"

void weft__ctx_begin(weft_ctx *c, weft_conn *conn)
{
    c->conn = conn;
    c->app = conn->sl->app;
    c->status = 0;
    c->resp = RESP_NONE;
    c->resp_headers = NULL;
    c->nresp_headers = c->resp_headers_cap = 0;
    c->close_after = 0;
    c->stream_chunked = 0;
    c->bytes_out = 0;
    c->started_ms = uv_now(&conn->sl->loop.uv);
    c->is_head = weft_str_eq(c->req.method, WEFT_STRLIT("HEAD"));
    c->body = conn->body_len
                  ? weft_str_make(conn->rbuf + conn->rstart + conn->head_len, conn->body_len)
                  : WEFT_STR_NULL;
    /* The parser wrote headers to a per-loop scratch array; the request
     * keeps its own copy so a worker thread can read it later. */
    size_t n = c->req.nheaders;
    weft_header *h = n ? weft_arena_alloc(&c->arena, n * sizeof *h) : NULL;
    if (h)
        memcpy(h, c->req.headers, n * sizeof *h);
    c->req.headers = h;
    c->req.nheaders = h ? n : 0;
}

void weft__ctx_end(weft_ctx *c)
{
    weft_arena_reset(&c->arena);
    c->resp_headers = NULL;
    c->nresp_headers = 0;
}

/* ---- request accessors ---------------------------------------------------- */

weft_str weft_req_method(const weft_ctx *c)
{
    return c->req.method;
}

weft_str weft_req_path(const weft_ctx *c)
{
    return c->req.path;
}

weft_str weft_req_target(const weft_ctx *c)
{
    return c->req.target;
}

weft_str weft_req_header(const weft_ctx *c, const char *name)
{
    return weft_http_find_header(&c->req, weft_str_cstr(name));
}

weft_str weft_req_body(const weft_ctx *c)
{
    return c->body;
}

int weft_req_http_minor(const weft_ctx *c)
{
    return c->req.minor;
}

const char *weft_req_peer(const weft_ctx *c)
{
    return c->conn->peer;
}

weft_arena *weft_ctx_arena(weft_ctx *c)
{
    return &c->arena;
}

weft_app *weft_ctx_app(const weft_ctx *c)
{
    return c->app;
}

weft_loop *weft_ctx_loop(const weft_ctx *c)
{
    return &c->conn->sl->loop;
}

const char *weft_param(weft_ctx *c, const char *name)
{
    weft_str n = weft_str_cstr(name);
    for (int i = 0; i < c->match.nparams; i++) {
        if (!weft_str_eq(c->match.names[i], n))
            continue;
        char *out = weft_arena_alloc(&c->arena, c->match.values[i].len + 1);
        if (!out || weft__pct_decode(out, c->match.values[i], 0) < 0)
            return NULL;
        return out;
    }
    return NULL;
}

const char *weft_query(weft_ctx *c, const char *name)
{
    return weft__query_get(&c->arena, c->req.query, name);
}

long weft_query_int(weft_ctx *c, const char *name, long def)
{
    const char *v = weft_query(c, name);
    if (!v || !*v)
        return def;
    char *end;
    long n = strtol(v, &end, 10);
    return *end ? def : n;
}

/* ---- response ------------------------------------------------------------- */

int weft_add_header(weft_ctx *c, const char *name, const char *value)
{
    if (c->resp != RESP_NONE)
        return WEFT_ESTATE;
    /* CR or LF in a header would let callers split the response. */
    if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n") || !*name)
        return WEFT_EINVAL;
    if (c->nresp_headers == c->resp_headers_cap) {
        size_t cap = c->resp_headers_cap ? c->resp_headers_cap * 2 : 8;
        weft_header *h = weft_arena_alloc(&c->arena, cap * sizeof *h);
        if (!h)
            return WEFT_ENOMEM;
        if (c->nresp_headers)
            memcpy(h, c->resp_headers, c->nresp_headers * sizeof *h);
        c->resp_headers = h;
        c->resp_headers_cap = cap;
    }
    weft_header *h = &c->resp_headers[c->nresp_headers++];
    h->name = weft_str_cstr(weft_arena_strndup(&c->arena, name, strlen(name)));
    h->value = weft_str_cstr(weft_arena_strndup(&c->arena, value, strlen(value)));
    return 0;
}

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUT_LIT(p, s) put((p), (s), sizeof(s) - 1)

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static int has_body_status(int status)
{
    return !(status < 200 || status == 204 || status == 304);
}

/* Writes the status line and headers. content_length < 0: the body is
 * streamed (chunked on HTTP/1.1, close-delimited on HTTP/1.0). */
int weft__write_head(weft_ctx *c, int status, const char *ctype, int64_t content_length)
{
    weft_conn *conn = c->conn;
    if (c->req.minor == 0 && content_length < 0)
        c->close_after = 1;
    if (atomic_load_explicit(&conn->sl->draining, memory_order_relaxed))
        c->close_after = 1;
    int keep = c->req.keep_alive && !c->close_after;
    if (!keep)
        c->close_after = 1;

    size_t ctlen = ctype ? strlen(ctype) : 0;
    size_t need = 160 + ctlen;
    for (size_t i = 0; i < c->nresp_headers; i++)
        need += c->resp_headers[i].name.len + c->resp_headers[i].value.len + 4;
    if (weft_buf_reserve(&conn->obuf, need))
        return WEFT_ENOMEM;

    char *p = conn->obuf.data + conn->obuf.len;
    const char *reason = weft_http_status_text(status);
    p = PUT_LIT(p, "HTTP/1.1 ");
    p = put_u64(p, (uint64_t)status);
    *p++ = ' ';
    p = put(p, reason, strlen(reason));
    p = PUT_LIT(p, "\r\nServer: weft\r\nDate: ");
    char date[30];
    weft_http_date(date);
    p = put(p, date, 29);
    if (ctype) {
        p = PUT_LIT(p, "\r\nContent-Type: ");
        p = put(p, ctype, ctlen);
    }
    if (content_length >= 0) {
        if (has_body_status(status)) {
            p = PUT_LIT(p, "\r\nContent-Length: ");
            p = put_u64(p, (uint64_t)content_length);
        }
    } else if (c->req.minor == 1) {
        p = PUT_LIT(p, "\r\nTransfer-Encoding: chunked");
        c->stream_chunked = 1;
    }
    if (!keep)
        p = PUT_LIT(p, "\r\nConnection: close");
    else if (c->req.minor == 0)
        p = PUT_LIT(p, "\r\nConnection: keep-alive");
    for (size_t i = 0; i < c->nresp_headers; i++) {
        p = PUT_LIT(p, "\r\n");
        p = put(p, c->resp_headers[i].name.base, c->resp_headers[i].name.len);
        p = PUT_LIT(p, ": ");
        p = put(p, c->resp_headers[i].value.base, c->resp_headers[i].value.len);
    }
    p = PUT_LIT(p, "\r\n\r\n");
    conn->obuf.len = (size_t)(p - conn->obuf.data);
    c->status = status;
    return 0;
}

/* The answer is complete: on the loop the connection moves on now; on a
 * worker it does so when the job returns. */
static void finish(weft_ctx *c)
{
    c->resp = RESP_DONE;
    if (!c->conn->offloaded)
        weft__conn_request_done(c->conn);
}

int weft_reply(weft_ctx *c, int status, const char *content_type, const void *body, size_t len)
{
    if (c->resp != RESP_NONE)
        return WEFT_ESTATE;
    if (status < 200 || status > 999)
        status = 500;
    if (!has_body_status(status))
        len = 0;
    int r = weft__write_head(c, status, content_type, (int64_t)len);
    if (r == 0 && !c->is_head && len)
        r = weft__conn_out(c->conn, body, len);
    if (r) {
        /* Out of memory mid-answer: the connection cannot be trusted. */
        c->close_after = 1;
    }
    c->bytes_out = c->is_head ? 0 : len;
    finish(c);
    return r;
}

int weft_reply_str(weft_ctx *c, int status, const char *content_type, const char *body)
{
    return weft_reply(c, status, content_type, body, strlen(body));
}

int weft_replyf(weft_ctx *c, int status, const char *content_type, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *body = n < 0 ? NULL : weft_arena_alloc(&c->arena, (size_t)n + 1);
    if (body)
        vsnprintf(body, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    if (!body)
        return weft_reply_error(c, 500, "out of memory");
    return weft_reply(c, status, content_type, body, (size_t)n);
}

int weft_reply_error(weft_ctx *c, int status, const char *detail)
{
    if (detail && *detail)
        return weft_replyf(c, status, "text/plain; charset=utf-8", "%d %s: %s\n", status,
                           weft_http_status_text(status), detail);
    return weft_replyf(c, status, "text/plain; charset=utf-8", "%d %s\n", status,
                       weft_http_status_text(status));
}

int weft_stream_begin(weft_ctx *c, int status, const char *content_type)
{
    if (c->resp != RESP_NONE)
        return WEFT_ESTATE;
    int r = weft__write_head(c, status, content_type, -1);
    if (r)
        return r;
    c->resp = RESP_STREAMING;
    if (!c->conn->offloaded)
        weft__conn_flush(c->conn);
    return 0;
}

int weft_stream_write(weft_ctx *c, const void *data, size_t len)
{
    if (c->resp != RESP_STREAMING)
        return WEFT_ESTATE;
    if (len == 0 || c->is_head)
        return 0; /* an empty chunk would end the body */
    int r = 0;
    if (c->stream_chunked) {
        char size[24];
        int n = snprintf(size, sizeof size, "%zx\r\n", len);
        r = weft__conn_out(c->conn, size, (size_t)n);
    }
    if (!r)
        r = weft__conn_out(c->conn, data, len);
    if (!r && c->stream_chunked)
        r = weft__conn_out(c->conn, "\r\n", 2);
    c->bytes_out += len;
    if (!c->conn->offloaded)
        weft__conn_flush(c->conn);
    return r;
}

int weft_stream_end(weft_ctx *c)
{
    if (c->resp != RESP_STREAMING)
        return WEFT_ESTATE;
    int r = 0;
    if (c->stream_chunked && !c->is_head)
        r = weft__conn_out(c->conn, "0\r\n\r\n", 5);
    finish(c);
    return r;
}

int weft_replied(const weft_ctx *c)
{
    return c->resp == RESP_DONE;
}
