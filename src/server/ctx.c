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

void weft__ctx_init(weft_ctx *c, weft_conn *conn)
{
    c->conn = conn;
    c->app = conn->sl->app;
    weft__scope_init(&c->scope, &conn->sl->loop, 1024);
}

void weft__ctx_begin(weft_ctx *c, weft_conn *conn)
{
    weft_sloop *sl = conn->sl;
    c->status = 0;
    c->resp = RESP_NONE;
    atomic_store_explicit(&c->answered, 0, memory_order_relaxed);
    c->out = &conn->obuf;
    c->sync_out.len = 0;
    c->resp_headers = NULL;
    c->nresp_headers = c->resp_headers_cap = 0;
    c->close_after = 0;
    c->stream_chunked = 0;
    c->on_worker = 0;
    c->answered_at_deadline = 0;
    c->client_gone = 0;
    c->in_request = 1;
    c->holds = 0;
    c->bytes_out = 0;
    c->ops = 0;
    c->ops_complete = NULL;
    c->bag = NULL;
    c->match.route = NULL;
    c->started_ms = weft_loop_now(&sl->loop);
    c->is_head = weft_str_eq(c->req.method, WEFT_STRLIT("HEAD"));
    c->body = conn->body_len
                  ? weft_str_make(conn->rbuf + conn->rstart + conn->head_len, conn->body_len)
                  : WEFT_STR_NULL;
    /* The request's scope hangs off nothing: the server's own shutdown
     * reaches it through the connection. */
    weft__scope_begin(&c->scope, NULL);
    /* The parser wrote headers to a per-loop scratch array; the request
     * keeps its own copy so a worker thread can read it later. */
    size_t n = c->req.nheaders;
    weft_header *h = n ? weft_arena_alloc(&c->scope.arena, n * sizeof *h) : NULL;
    if (h)
        memcpy(h, c->req.headers, n * sizeof *h);
    c->req.headers = h;
    c->req.nheaders = h ? n : 0;
}

void weft__ctx_end(weft_ctx *c)
{
    if (!c->in_request)
        return;
    c->in_request = 0;
    weft_timer_stop(&c->conn->sl->loop, &c->deadline);
    if (c->resp == RESP_DONE)
        weft__access_log(c);
    weft__scope_end(&c->scope);
    c->resp_headers = NULL;
    c->nresp_headers = 0;
    c->bag = NULL;
}

int weft__ctx_claim(weft_ctx *c)
{
    int expected = 0;
    return atomic_compare_exchange_strong(&c->answered, &expected, 1);
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
    return weft__conn_peer(c->conn);
}

weft_arena *weft_ctx_arena(weft_ctx *c)
{
    return &c->scope.arena;
}

weft_scope *weft_ctx_scope(weft_ctx *c)
{
    return &c->scope;
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
        char *out = weft_arena_alloc(&c->scope.arena, c->match.values[i].len + 1);
        if (!out || weft__pct_decode(out, c->match.values[i], 0) < 0)
            return NULL;
        return out;
    }
    return NULL;
}

const char *weft_query(weft_ctx *c, const char *name)
{
    return weft__query_get(&c->scope.arena, c->req.query, name);
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
        weft_header *h = weft_arena_alloc(&c->scope.arena, cap * sizeof *h);
        if (!h)
            return WEFT_ENOMEM;
        if (c->nresp_headers)
            memcpy(h, c->resp_headers, c->nresp_headers * sizeof *h);
        c->resp_headers = h;
        c->resp_headers_cap = cap;
    }
    weft_header *h = &c->resp_headers[c->nresp_headers++];
    h->name = weft_str_cstr(weft_arena_strndup(&c->scope.arena, name, strlen(name)));
    h->value = weft_str_cstr(weft_arena_strndup(&c->scope.arena, value, strlen(value)));
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
    return p + weft_u64_to_dec(p, v);
}

static int has_body_status(int status)
{
    return !(status < 200 || status == 204 || status == 304);
}

/* Writes the status line and headers to out. content_length < 0: the body
 * is streamed (chunked on HTTP/1.1, close-delimited on HTTP/1.0). */
static int write_head(weft_ctx *c, weft_buf *out, int status, const char *ctype,
                      int64_t content_length, const weft_header *extra, size_t nextra)
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
    for (size_t i = 0; i < nextra; i++)
        need += extra[i].name.len + extra[i].value.len + 4;
    if (content_length > 0 && !c->is_head)
        need += (size_t)content_length; /* one allocation for the whole answer */
    if (weft_buf_reserve(out, need))
        return WEFT_ENOMEM;

    char *p = out->data + out->len;
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
    } else if (c->req.minor == 1 && !conn->h2s) { /* HTTP/2 frames the body itself */
        p = PUT_LIT(p, "\r\nTransfer-Encoding: chunked");
        c->stream_chunked = 1;
    }
    if (!keep)
        p = PUT_LIT(p, "\r\nConnection: close");
    else if (c->req.minor == 0)
        p = PUT_LIT(p, "\r\nConnection: keep-alive");
    for (size_t i = 0; i < nextra; i++) {
        p = PUT_LIT(p, "\r\n");
        p = put(p, extra[i].name.base, extra[i].name.len);
        p = PUT_LIT(p, ": ");
        p = put(p, extra[i].value.base, extra[i].value.len);
    }
    p = PUT_LIT(p, "\r\n\r\n");
    out->len = (size_t)(p - out->data);
    c->status = status;
    return 0;
}

int weft__write_simple(weft_ctx *c, weft_buf *out, int status, const char *body)
{
    size_t len = strlen(body);
    int r = write_head(c, out, status, "text/plain; charset=utf-8", (int64_t)len, NULL, 0);
    if (!r && !c->is_head)
        r = weft_buf_append(out, body, len);
    c->bytes_out = c->is_head ? 0 : len;
    return r;
}

/* The answer is complete. On the loop it leaves now and the request's
 * scope is cancelled (what it started is no longer wanted); the request
 * ends once no handler context holds it. On a worker, the loop takes over
 * when the job returns. */
static void finish(weft_ctx *c)
{
    c->resp = RESP_DONE;
    if (c->on_worker)
        return;
    weft__conn_flush(c->conn);
    weft_scope_cancel(&c->scope, WEFT_ECANCELED);
    if (c->holds == 0 && c->in_request)
        weft__conn_request_end(c->conn);
}

int weft_reply(weft_ctx *c, int status, const char *content_type, const void *body, size_t len)
{
    if (c->resp != RESP_NONE || !weft__ctx_claim(c))
        return WEFT_ESTATE;
    if (status < 200 || status > 999)
        status = 500;
    if (!has_body_status(status))
        len = 0;
    int r = write_head(c, c->out, status, content_type, (int64_t)len, c->resp_headers,
                       c->nresp_headers);
    if (r == 0 && !c->is_head && len)
        r = weft_buf_append(c->out, body, len);
    if (r)
        c->close_after = 1; /* out of memory mid-answer: do not trust the stream */
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
    char *body = n < 0 ? NULL : weft_arena_alloc(&c->scope.arena, (size_t)n + 1);
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
    if (c->resp != RESP_NONE || !weft__ctx_claim(c))
        return WEFT_ESTATE;
    int r = write_head(c, c->out, status, content_type, -1, c->resp_headers, c->nresp_headers);
    c->resp = RESP_STREAMING;
    if (r)
        c->close_after = 1;
    if (!c->on_worker)
        weft__conn_flush(c->conn);
    return r;
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
        r = weft_buf_append(c->out, size, (size_t)n);
    }
    if (!r)
        r = weft_buf_append(c->out, data, len);
    if (!r && c->stream_chunked)
        r = weft_buf_append(c->out, "\r\n", 2);
    c->bytes_out += len;
    if (!c->on_worker)
        weft__conn_flush(c->conn);
    return r;
}

int weft_stream_end(weft_ctx *c)
{
    if (c->resp != RESP_STREAMING)
        return WEFT_ESTATE;
    int r = 0;
    if (c->stream_chunked && !c->is_head)
        r = weft_buf_append(c->out, "0\r\n\r\n", 5);
    finish(c);
    return r;
}

int weft_replied(const weft_ctx *c)
{
    return c->resp == RESP_DONE;
}

/* ---- outstanding operations and the bag (callback handlers) -------------- */

void weft_ops_on_complete(weft_ctx *c, weft_handler_fn fn)
{
    c->ops_complete = fn;
}

void weft_ops_add(weft_ctx *c, int n)
{
    c->ops += n;
}

void weft_ops_done(weft_ctx *c)
{
    if (c->ops <= 0 || --c->ops > 0)
        return;
    if (c->ops_complete && c->resp == RESP_NONE)
        c->ops_complete(c);
}

int weft_ops_pending(const weft_ctx *c)
{
    return c->ops;
}

int weft_bag_set(weft_ctx *c, const char *key, void *value)
{
    for (weft_bag_item *it = c->bag; it; it = it->next)
        if (strcmp(it->key, key) == 0) {
            it->value = value;
            return 0;
        }
    weft_bag_item *it = weft_arena_alloc(&c->scope.arena, sizeof *it);
    if (!it)
        return WEFT_ENOMEM;
    *it = (weft_bag_item){c->bag, key, value};
    c->bag = it;
    return 0;
}

void *weft_bag_get(const weft_ctx *c, const char *key)
{
    for (weft_bag_item *it = c->bag; it; it = it->next)
        if (strcmp(it->key, key) == 0)
            return it->value;
    return NULL;
}
