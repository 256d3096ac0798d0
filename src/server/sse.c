/* sse.c - server-sent events (the EventSource protocol of the HTML
 * standard) over a streamed answer.
 *
 * weft_sse_begin answers 200 text/event-stream and keeps the stream
 * open; each weft_sse_send is one event, its data split into "data:"
 * lines. With a heartbeat, a comment line goes out whenever nothing else
 * did for that long, so that proxies and load balancers do not close an
 * idle stream; its timer lives on the loop and stops as the stream ends
 * or the request goes. A reconnecting EventSource sends the id of the
 * last event it saw: weft_sse_last_event_id. Loop thread only (an async
 * or callback handler): a WEFT_SYNC handler's stream would leave only
 * when it returns. */
#include <stdio.h>

#include "server.h"

typedef struct sse_beat {
    weft_timer timer;
    weft_ctx *c;
    uint64_t every_ms;
    uint64_t last_ms; /* when something last went out */
    int on;
} sse_beat;

#define BEAT_KEY "weft.sse"

static uint64_t now_ms(const weft_ctx *c)
{
    return weft_loop_now(&c->sl->loop);
}

static void on_beat(weft_timer *t)
{
    sse_beat *b = (sse_beat *)((char *)t - offsetof(sse_beat, timer));
    uint64_t idle = now_ms(b->c) - b->last_ms;
    if (idle >= b->every_ms) {
        if (weft_stream_write(b->c, ":\n\n", 3)) {
            b->on = 0; /* the stream is gone */
            return;
        }
        b->last_ms = now_ms(b->c);
        idle = 0;
    }
    weft_timer_start(&b->c->sl->loop, &b->timer, b->every_ms - idle, on_beat);
}

static void stop_beat(void *arg)
{
    sse_beat *b = arg;
    if (b->on)
        weft_timer_stop(&b->c->sl->loop, &b->timer);
    b->on = 0;
}

int weft_sse_begin(weft_ctx *c, unsigned heartbeat_ms)
{
    if (c->on_worker)
        return WEFT_ESTATE;
    weft_add_header(c, "Cache-Control", "no-cache");
    weft_add_header(c, "X-Accel-Buffering", "no"); /* nginx in front: do not buffer */
    int rc = weft_stream_begin(c, 200, "text/event-stream; charset=utf-8");
    if (rc || !heartbeat_ms)
        return rc;
    sse_beat *b = weft_arena_alloc(&c->scope.arena, sizeof *b);
    if (!b || weft_req_on_end(c, stop_beat, b) || weft_bag_set(c, BEAT_KEY, b))
        return WEFT_ENOMEM;
    *b = (sse_beat){.c = c, .every_ms = heartbeat_ms, .last_ms = now_ms(c), .on = 1};
    weft_timer_start(&c->sl->loop, &b->timer, heartbeat_ms, on_beat);
    return 0;
}

static int one_line(const char *s)
{
    return !s || !strpbrk(s, "\r\n");
}

int weft_sse_send(weft_ctx *c, const char *event, const char *id, const char *data)
{
    if (!one_line(event) || !one_line(id))
        return WEFT_EINVAL;
    weft_buf out = {0};
    int bad = (event && weft_buf_printf(&out, "event: %s\n", event)) ||
              (id && weft_buf_printf(&out, "id: %s\n", id));
    /* Each line of data its own "data:" field; CR LF, CR and LF all end
     * a line for the reader, so all three split here. */
    const char *p = data ? data : "";
    while (!bad) {
        size_t n = strcspn(p, "\r\n");
        bad = weft_buf_printf(&out, "data: %.*s\n", (int)n, p) != 0;
        p += n;
        if (!*p)
            break;
        p += p[0] == '\r' && p[1] == '\n' ? 2 : 1;
    }
    int rc = bad || weft_buf_append(&out, "\n", 1) ? WEFT_ENOMEM
                                                    : weft_stream_write(c, out.data, out.len);
    weft_buf_free(&out);
    sse_beat *b = weft_bag_get(c, BEAT_KEY);
    if (!rc && b)
        b->last_ms = now_ms(c);
    return rc;
}

int weft_sse_comment(weft_ctx *c, const char *text)
{
    if (!one_line(text))
        return WEFT_EINVAL;
    char line[256];
    int n = snprintf(line, sizeof line, ": %s\n\n", text ? text : "");
    if (n < 0 || (size_t)n >= sizeof line)
        return WEFT_EINVAL;
    return weft_stream_write(c, line, (size_t)n);
}

const char *weft_sse_last_event_id(weft_ctx *c)
{
    weft_str v = weft_req_header(c, "Last-Event-ID");
    return v.base ? weft_arena_strndup(&c->scope.arena, v.base, v.len) : NULL;
}

int weft_sse_end(weft_ctx *c)
{
    sse_beat *b = weft_bag_get(c, BEAT_KEY);
    if (b)
        stop_beat(b);
    return weft_stream_end(c);
}
