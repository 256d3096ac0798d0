/* session.c - HTTP/2 sessions on the server's connections: cleartext with
 * prior knowledge (h2c, RFC 9113 3.3), framed by libnghttp2 (HPACK, flow
 * control, stream states and their checks are the library's).
 *
 * A connection whose first bytes are the HTTP/2 preface becomes an h2
 * connection (conn->h2, state CONN_H2, protocol h2_conn_proto); its
 * streams are server.c's. Frames leave once per loop iteration
 * (weft__loop_flush_later), so the answers that finish together - a batch
 * of timers, a batch of resumed fibers - go out in one write: that, and
 * thousands of requests sharing a connection, is what HTTP/2 to a backend
 * is for (S8 in docs/bench-history.md). Loop thread only. */
#include <stdlib.h>

#include "server_int.h"
#include "frames.h"
#include "../base/alloc.h"

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define PREFACE_LEN 24
/* Frames of many streams arrive together: read them in large pieces. */
#define H2_READ (64u * 1024u)

static const weft_conn_proto h2_conn_proto;
static int h2_recv(weft_conn *c, const char *data, size_t len);

static weft_h2 *of_flush(weft_flush *f)
{
    return (weft_h2 *)((char *)f - offsetof(weft_h2, flush));
}

void weft__h2_schedule(weft_h2 *h2)
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
    weft__h2_stream_callbacks(cb);
    int r = weft__h2_session_new(&h2->ng, 1, cb, h2);
    nghttp2_session_callbacks_del(cb);
    if (r) {
        free(h2);
        return WEFT_ENOMEM;
    }
    h2->conn = c;
    h2->flush.fn = send_frames;
    weft_arena_init(&h2->scratch, 1024);
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
    weft__h2_schedule(h2);
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
        weft__count(&c->sl->stats.bad_requests, 1);
        /* GOAWAY, and send_frames closes once it has left. */
        nghttp2_session_terminate_session(h2->ng, NGHTTP2_PROTOCOL_ERROR);
        r = WEFT_EPROTO;
    }
    weft__h2_schedule(h2);
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
    weft__h2_schedule(h2);
}


/* The socket is closing: every stream on it ends now. */
static void h2_closed(weft_conn *c, int was)
{
    (void)was;
    weft_h2 *h2 = c->h2;
    h2->dead = 1;
    weft__loop_flush_cancel(&c->sl->loop, &h2->flush);
    while (h2->streams)
        weft__h2_stream_closed(h2->streams, "went away");
}

static void h2_release(weft_conn *c)
{
    if (!c->h2)
        return;
    nghttp2_session_del(c->h2->ng);
    weft_arena_free(&c->h2->scratch);
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
    weft__h2_schedule(c->h2);
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
