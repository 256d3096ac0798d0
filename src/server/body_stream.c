/* body_stream.c - request bodies read as they arrive (weft_body_read).
 *
 * A route with .stream_body is dispatched as soon as its head is in; the
 * codec keeps at most a window of the body (HTTP/1.1: its read buffer;
 * HTTP/2: the stream's flow-control window) and the handler takes it
 * piece by piece. While the handler has not taken a piece the client's
 * bytes wait in the kernel and then in the client: an upload of any size
 * costs the server one window. */
#include "server.h"

int weft__route_streams_body(weft_ctx *c, uint64_t *max_body)
{
    weft_route_match m;
    char allow[128];
    if (weft__route_match(c->app->routes, c->req.method, c->req.path, &m, allow, sizeof allow) ||
        !m.route->opts.stream_body)
        return 0;
    *max_body = m.route->opts.max_body;
    return 1;
}

int weft__wait_in(weft_task **slot)
{
    weft_task *t = weft_task_new(NULL);
    if (!t)
        return WEFT_ENOMEM;
    weft__wake_slot(slot); /* one waiter at a time: an older one goes on */
    *slot = t;
    int rc = weft_await(t);
    if (*slot == t)
        *slot = NULL;
    weft_task_unref(t);
    return rc;
}

void weft__wake_slot(weft_task **slot)
{
    weft_task *t = *slot;
    if (t) {
        *slot = NULL;
        weft_task_resolve(t, NULL, NULL);
    }
}

void weft__ctx_body_progress(weft_ctx *c)
{
    weft__wake_slot(&c->body_wait);
}

int weft_body_read(weft_ctx *c, weft_str *piece)
{
    *piece = WEFT_STR_NULL;
    if (!c->body_streamed) {
        if (c->body_given || !c->body.len)
            return 0;
        c->body_given = 1;
        *piece = c->body;
        return 1;
    }
    if (c->on_worker)
        return WEFT_ESTATE; /* the connection is the loop's (weft__route_add refuses such routes) */
    for (;;) {
        int r = c->codec->body_read(c, piece);
        if (r != WEFT_EAGAIN)
            return r;
        int rc = weft__wait_in(&c->body_wait);
        if (rc)
            return rc;
    }
}
