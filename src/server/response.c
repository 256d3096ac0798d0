/* response.c - the reply API handlers call, in protocol-neutral terms.
 *
 * A reply becomes a weft_response (status, content type, the handler's
 * headers, a length or "streamed") plus body bytes, handed to the codec
 * that carried the request: HTTP/1.1 writes it as text, HTTP/2 submits
 * HEADERS and DATA. On a worker thread (WEFT_SYNC) the codec, which is the
 * loop's, is not called: the answer is kept in the context (sync_resp,
 * sync_body) and the loop hands it over when the job returns
 * (dispatch.c). The answer is claimed once (weft__ctx_claim): a deadline
 * answered by the loop and a worker's late reply never both go out. */
#include <stdio.h>
#include <stdlib.h>

#include "server.h"

static int has_body_status(int status)
{
    return !(status < 200 || status == 204 || status == 304);
}

/* ---- the three steps, to the codec or kept for the loop --------------------- */

static int send_begin(weft_ctx *c, const weft_response *r)
{
    c->status = r->status;
    if (!c->on_worker) {
        weft__count_answer(c, r->status);
        return c->codec->begin(c, r);
    }
    c->sync_resp = *r;
    /* The handler's content type may live on its stack; the loop reads it
     * after the handler has returned. */
    if (r->content_type) {
        c->sync_resp.content_type =
            weft_arena_strndup(&c->scope.arena, r->content_type, strlen(r->content_type));
        if (!c->sync_resp.content_type)
            return WEFT_ENOMEM;
    }
    return 0;
}

static int send_write(weft_ctx *c, const void *data, size_t len)
{
    if (c->on_worker)
        return weft_buf_append(&c->sync_body, data, len);
    return c->codec->write(c, data, len);
}

static int send_end(weft_ctx *c)
{
    if (c->on_worker) {
        c->sync_ended = 1;
        return 0;
    }
    return c->codec->end(c);
}

/* The answer is complete. On the loop the request's scope is canceled
 * (what it started is no longer wanted) and the request ends once no
 * handler context holds it. On a worker, the loop takes over when the job
 * returns. */
static void finish(weft_ctx *c)
{
    c->resp = RESP_DONE;
    if (c->on_worker)
        return;
    weft_scope_cancel(&c->scope, WEFT_ECANCELED);
    if (c->holds == 0 && c->in_request)
        weft__request_end(c);
}

int weft__send_simple(weft_ctx *c, int status, const char *detail)
{
    char body[512];
    const char *type;
    size_t len = weft__error_body(c, status, detail, NULL, body, sizeof body, &type);
    weft_response r = {status, type, NULL, 0, (int64_t)len, 0};
    c->status = status;
    c->bytes_out = c->is_head ? 0 : len;
    weft__count_answer(c, status);
    int rc = c->codec->begin(c, &r);
    if (!rc && !c->is_head)
        rc = c->codec->write(c, body, len);
    int rc2 = c->codec->end(c);
    return rc ? rc : rc2;
}

/* ---- headers and complete answers -------------------------------------------- */

/* Appends a header whose name and value stay valid (and unchanged) for the
 * rest of the request: a literal name, a value in the arena. */
int weft__add_header_kept(weft_ctx *c, const char *name, const char *value)
{
    if (c->resp != RESP_NONE)
        return WEFT_ESTATE;
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
    c->resp_headers[c->nresp_headers++] = (weft_header){weft_str_cstr(name), weft_str_cstr(value)};
    return 0;
}

int weft_add_header(weft_ctx *c, const char *name, const char *value)
{
    if (c->resp != RESP_NONE)
        return WEFT_ESTATE;
    /* CR or LF in a header would let callers split the response. */
    if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n") || !*name)
        return WEFT_EINVAL;
    const char *n = weft_arena_strndup(&c->scope.arena, name, strlen(name));
    const char *v = weft_arena_strndup(&c->scope.arena, value, strlen(value));
    if (!n || !v)
        return WEFT_ENOMEM;
    return weft__add_header_kept(c, n, v);
}

const char *weft_resp_header(const weft_ctx *c, const char *name)
{
    for (size_t i = c->nresp_headers; i-- > 0;)
        if (weft_str_ieq(c->resp_headers[i].name, weft_str_cstr(name)))
            return c->resp_headers[i].value.base; /* weft_add_header's copies end in NUL */
    return NULL;
}

int weft_remove_header(weft_ctx *c, const char *name)
{
    if (c->resp != RESP_NONE)
        return WEFT_ESTATE;
    size_t kept = 0;
    for (size_t i = 0; i < c->nresp_headers; i++)
        if (!weft_str_ieq(c->resp_headers[i].name, weft_str_cstr(name)))
            c->resp_headers[kept++] = c->resp_headers[i];
    c->nresp_headers = kept;
    return 0;
}

int weft_reply(weft_ctx *c, int status, const char *content_type, const void *body, size_t len)
{
    if (c->resp != RESP_NONE || !weft__ctx_claim(c))
        return WEFT_ESTATE;
    weft_out o = {status, content_type, body, len, 0}; /* what the after-steps may change */
    if (c->mw_ran)
        weft__mw_after(c, &o);
    if (o.status < 200 || o.status > 999)
        o.status = 500;
    if (!has_body_status(o.status))
        o.len = 0;
    weft_response r = {o.status, o.content_type, c->resp_headers, c->nresp_headers, (int64_t)o.len, 0};
    int rc = send_begin(c, &r);
    if (rc == 0 && !c->is_head && o.len)
        rc = send_write(c, o.body, o.len);
    if (rc)
        c->close_after = 1; /* out of memory mid-answer: do not trust the stream */
    int rc2 = send_end(c);
    c->bytes_out = c->is_head ? 0 : o.len;
    finish(c);
    return rc ? rc : rc2;
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
    char body[1024];
    const char *type;
    size_t len = weft__error_body(c, status, detail, status >= 500 ? weft_req_id(c) : NULL, body,
                                  sizeof body, &type);
    return weft_reply(c, status, type, body, len);
}

/* ---- streamed answers ----------------------------------------------------------- */

static int stream_begin(weft_ctx *c, int status, const char *content_type, int64_t length)
{
    if (c->resp != RESP_NONE || !weft__ctx_claim(c))
        return WEFT_ESTATE;
    weft_out o = {status, content_type, NULL, 0, 1}; /* its head, for the after-steps */
    if (c->mw_ran)
        weft__mw_after(c, &o);
    weft_response r = {o.status, o.content_type, c->resp_headers, c->nresp_headers, length,
                       length >= 0};
    int rc = send_begin(c, &r);
    c->resp = RESP_STREAMING;
    if (rc)
        c->close_after = 1;
    return rc;
}

int weft_stream_begin(weft_ctx *c, int status, const char *content_type)
{
    return stream_begin(c, status, content_type, -1);
}

int weft_stream_begin_sized(weft_ctx *c, int status, const char *content_type, uint64_t length)
{
    if (length > INT64_MAX)
        return WEFT_EINVAL;
    return stream_begin(c, status, content_type, (int64_t)length);
}

/* Below this much unsent, a writer waiting in weft_stream_drained goes on:
 * half of what a connection may hold before it stops reading. */
#define DRAINED_BELOW (WEFT_OUT_HIGH_WATER / 2)

void weft__ctx_out_progress(weft_ctx *c)
{
    if (c->drain_wait && c->codec->unsent(c) < c->drain_below)
        weft__wake_slot(&c->drain_wait);
}

weft_task *weft_stream_drained(weft_ctx *c)
{
    weft_task *t = weft_task_new(&c->scope);
    if (!t)
        return NULL;
    if (c->on_worker || c->gone || c->codec->unsent(c) < DRAINED_BELOW) {
        weft_task_resolve(t, NULL, NULL); /* a worker's answer is kept whole anyway */
        return t;
    }
    weft__wake_slot(&c->drain_wait); /* one waiter at a time: the older one goes on */
    c->drain_wait = t;
    c->drain_below = DRAINED_BELOW;
    return t;
}

int weft__await_drained(weft_ctx *c, size_t below)
{
    if (c->on_worker || c->gone || c->codec->unsent(c) < below)
        return 0;
    c->drain_below = below;
    return weft__wait_in(&c->drain_wait);
}

int weft_stream_write(weft_ctx *c, const void *data, size_t len)
{
    if (c->resp != RESP_STREAMING)
        return WEFT_ESTATE;
    if (len == 0 || c->is_head)
        return 0; /* an empty chunk would end the body */
    c->bytes_out += len;
    return send_write(c, data, len);
}

int weft_stream_end(weft_ctx *c)
{
    if (c->resp != RESP_STREAMING)
        return WEFT_ESTATE;
    int rc = send_end(c);
    finish(c);
    return rc;
}

int weft_replied(const weft_ctx *c)
{
    return c->resp == RESP_DONE;
}

/* ---- outstanding operations (callback handlers) ------------------------------ */

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
