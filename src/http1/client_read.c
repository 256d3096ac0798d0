/* client_read.c - the HTTP/1.1 client reading a response: the head
 * parsed in place with weft's parser, the body by length, by chunks or
 * to the close, and the finished response handed to its call while the
 * connection goes back to the pool (client.c owns calls and connections).
 * A reused connection the backend had closed before answering sends its
 * GET or HEAD once more on a new one. Loop thread only; never blocks. */
#include <stdlib.h>

#include "client_int.h"
#include "../task/task_int.h"

static weft_http_response *build_response(nconn *c, double ms)
{
    weft_header fields[MAX_FIELDS];
    weft_http_resp_head head;
    if (weft_http_parse_response(c->in.data, c->head_len, &head, fields, MAX_FIELDS, MAX_HEAD) <= 0)
        return NULL;
    weft_http_response *r = weft__response_make(head.status, head.headers, head.nheaders,
                                                c->in.data + c->head_len, c->body_len);
    if (r) {
        r->total_ms = ms;
        r->reused = c->reused;
    }
    return r;
}

/* The response on c is complete: hand it to the call, reuse or close c. */
static void response_done(nconn *c)
{
    ncall *k = c->call;
    double ms = (double)(weft_now_ns() - k->base.t0) / 1e6;
    weft_http_response *r = build_response(c, ms);
    int keep = c->head.keep_alive && r;
    if (r)
        weft__client_count_ok(&k->base, ms);
    else
        weft__client_count_error(&k->base, WEFT_ENOMEM, k->base.url, "out of memory");
    /* Anything after the response on an idle connection is a protocol
     * error; start clean for the next request. The read buffer goes too:
     * the body is in r now, and a connection idling or waiting 500 ms for
     * its next answer should not hold it (S5: per waiting call). */
    weft_buf_free(&c->in);
    c->head_len = c->body_len = 0;
    weft_task *t = k->base.task;
    weft__h1c_call_release(k);
    free(k);
    endpoint *ep = c->ep;
    if (keep) {
        weft__h1c_idle_push(c);
    } else {
        weft__h1c_conn_close(c);
    }
    weft__h1c_pump(ep); /* waiting calls go first, in order */
    if (!r)
        weft_task_reject(t, WEFT_ENOMEM);
    else
        weft_task_resolve(t, r, weft__response_free); /* one block: see build_response */
    weft_task_unref(t);
}

void weft__h1c_on_alloc(weft_transport *t, char **base, size_t *len)
{
    nconn *c = t->data;
    /* 4 KiB holds a typical answer; a larger one grows the buffer. */
    if (weft_buf_reserve(&c->in, 4096))
        return;
    size_t room = c->in.cap - c->in.len;
    if (c->call) {
        /* Read no further than the body limit allows (the head, the
         * body, one chunk line): an oversized answer fails once it passes
         * the limit, not after the buffer's doubled capacity has filled.
         * Always a little room, so that the parse can tell. */
        size_t most = MAX_HEAD + c->call->base.max_body + 4096;
        size_t left = c->in.len < most ? most - c->in.len : 0;
        if (left < 4096)
            left = 4096;
        if (room > left)
            room = left;
    }
    *base = c->in.data + c->in.len;
    *len = room;
}

/* The backend closed a reused connection before answering: it had timed
 * the connection out. Send GET/HEAD once more on a new connection. */
int weft__h1c_retry_stale(nconn *c)
{
    ncall *k = c->call;
    if (!k || !c->reused || c->in.len > 0 || !k->idempotent || k->retried)
        return 0;
    k->retried = 1;
    c->call = NULL;
    k->conn = NULL;
    endpoint *ep = c->ep;
    weft__h1c_conn_close(c);
    weft__call_queue_push_front(&ep->base.waiting, &k->base);
    weft__h1c_pump(ep);
    return 1;
}

static void fail_too_big(nconn *c)
{
    char msg[80];
    snprintf(msg, sizeof msg, "the response is larger than %zu bytes", c->call->base.max_body);
    weft__h1c_fail_on_conn(c, WEFT_ETOOBIG, msg);
}

/* Parses what arrived; completes the call when the response is whole. */
static void parse_more(nconn *c, int eof)
{
    ncall *k = c->call;
    if (!c->head_len) {
        weft_header fields[MAX_FIELDS];
        int r = weft_http_parse_response(c->in.data, c->in.len, &c->head, fields, MAX_FIELDS,
                                         MAX_HEAD);
        if (r == WEFT_EAGAIN) {
            if (eof && !weft__h1c_retry_stale(c))
                weft__h1c_fail_on_conn(c, WEFT_ECONNRESET, "the connection closed before a response");
            return;
        }
        if (r < 0) {
            weft__h1c_fail_on_conn(c, WEFT_EPROTO, "the response is not valid HTTP/1.1");
            return;
        }
        if (c->head.status < 200) { /* 1xx: skip, the real head follows */
            memmove(c->in.data, c->in.data + r, c->in.len - (size_t)r);
            c->in.len -= (size_t)r;
            parse_more(c, eof);
            return;
        }
        /* Only the scalars are kept: the buffer may move as the body
         * arrives; build_response parses the head bytes again. */
        c->head.headers = NULL;
        c->head_len = (size_t)r;
        memset(&c->chunk, 0, sizeof c->chunk);
        if (c->head.has_content_length && c->head.content_length > k->base.max_body) {
            fail_too_big(c);
            return;
        }
    }
    int no_body = k->head_request || c->head.status == 204 || c->head.status == 304;
    size_t have = c->in.len - c->head_len;
    int done = 0;
    if (no_body) {
        done = 1;
    } else if (c->head.chunked) {
        char *body = c->in.data + c->head_len;
        size_t used, made;
        int r = weft_chunked_decode(&c->chunk, body + c->body_len, body + c->body_len,
                                    have - c->body_len, &used, &made, k->base.max_body, MAX_HEAD);
        if (r == WEFT_ETOOBIG) {
            fail_too_big(c);
            return;
        }
        if (r < 0) {
            weft__h1c_fail_on_conn(c, WEFT_EPROTO, "malformed chunked body");
            return;
        }
        size_t rest = have - c->body_len - used;
        memmove(body + c->body_len + made, body + c->body_len + used, rest);
        c->body_len += made;
        c->in.len = c->head_len + c->body_len + rest;
        done = r == 1;
    } else if (c->head.has_content_length) {
        c->body_len = have < c->head.content_length ? have : (size_t)c->head.content_length;
        done = have >= c->head.content_length;
    } else { /* delimited by the close */
        c->body_len = have;
        if (have > k->base.max_body) {
            fail_too_big(c);
            return;
        }
        c->head.keep_alive = 0;
        done = eof;
    }
    if (!done) {
        if (eof)
            weft__h1c_fail_on_conn(c, WEFT_ECONNRESET, "the connection closed in the middle of the body");
        return;
    }
    response_done(c);
}

void weft__h1c_on_read(weft_transport *t, ssize_t n)
{
    nconn *c = t->data;
    if (c->state == NC_CLOSING || n == 0)
        return;
    if (c->state == NC_IDLE) {
        weft__h1c_conn_close(c); /* data or EOF on an idle connection: it is done */
        return;
    }
    if (n < 0 && n != WEFT_IO_EOF) {
        if (!weft__h1c_retry_stale(c))
            weft__h1c_fail_on_conn(c, WEFT_ECONNRESET, weft__io_strerror((int)n));
        return;
    }
    if (n > 0)
        c->in.len += (size_t)n;
    if (c->call)
        parse_more(c, n == WEFT_IO_EOF);
}

