/* conn.c - a client's connection: its transport, read buffer, output
 * buffers, closing and time limits.
 *
 * Owns the connection's transport (TCP, or TLS over it), read buffer and output
 * buffers, and the states of server.h that are not a protocol's: LINGER
 * (last answer written, FIN sent, input drained) and CLOSED. The bytes
 * read go to the protocol spoken (weft_conn_proto): HTTP/1.1
 * (src/http1/server.c) unless the connection opened with the HTTP/2
 * preface (src/http2/session.c). Runs on its loop's thread only
 * and never blocks.
 *
 * Buffer rule: once an HTTP/1.1 request is dispatched its slices point
 * into the read buffer, so the buffer never moves (no compaction, no
 * realloc) until the request is done; reads during that time may only
 * fill the free tail. */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "../base/alloc.h"

#define RBUF_INITIAL 4096
#define RBUF_MIN_FREE 1024
#define LINGER_MS 2000

static void conn_close(weft_conn *c);

static uint64_t now_of(weft_conn *c)
{
    return weft_loop_now(&c->sl->loop);
}

static size_t rbuf_limit(const weft_config *cfg)
{
    return cfg->limits.max_request_line + cfg->limits.max_header_bytes + cfg->limits.max_body +
           65536;
}

/* Makes at least RBUF_MIN_FREE bytes free at the tail, or `need` total
 * bytes from rstart, moving data only when no request points into it. */
int weft__conn_rbuf_room(weft_conn *c, size_t need)
{
    const weft_config *cfg = &c->sl->app->cfg;
    if (c->rstart == c->rend)
        c->rstart = c->rend = 0;
    size_t want_end = c->rend + RBUF_MIN_FREE;
    if (c->rstart + need > want_end)
        want_end = c->rstart + need;
    if (want_end <= c->rcap)
        return 0;
    if (c->rstart > 0) {
        memmove(c->rbuf, c->rbuf + c->rstart, c->rend - c->rstart);
        want_end -= c->rstart;
        c->rend -= c->rstart;
        c->rstart = 0;
        if (want_end <= c->rcap)
            return 0;
    }
    size_t cap = c->rcap ? c->rcap : RBUF_INITIAL;
    while (cap < want_end)
        cap *= 2;
    size_t limit = rbuf_limit(cfg);
    if (cap > limit)
        cap = limit > want_end ? limit : want_end;
    char *p = realloc(c->rbuf, cap);
    if (!p)
        return WEFT_ENOMEM;
    c->rbuf = p;
    c->rcap = cap;
    return 0;
}

static void on_alloc(weft_transport *t, char **base, size_t *len)
{
    weft_conn *c = t->data;
    switch (c->state) {
    case CONN_LINGER:
        c->rstart = c->rend = 0; /* input is discarded */
        if (!c->rbuf) {
            int r = weft__conn_rbuf_room(c, 0);
            if (r) {
                c->no_memory = r == WEFT_ENOMEM;
                return;
            }
        }
        break;
    case CONN_CLOSED:
        return;
    default: {
        int r = c->proto->room(c);
        if (r) {
            c->no_memory = r == WEFT_ENOMEM;
            return;
        }
    }
    }
    *base = c->rbuf + c->rend;
    *len = c->rcap - c->rend;
}

void weft__conn_read_resume(weft_conn *c)
{
    if (c->read_stopped && c->state != CONN_CLOSED && !c->peer_eof) {
        c->read_stopped = 0;
        weft__tr_read_start(c->tr);
    }
}

void weft__conn_read_pause(weft_conn *c)
{
    if (!c->read_stopped) {
        c->read_stopped = 1;
        weft__tr_read_stop(c->tr);
    }
}

/* ---- closing ----------------------------------------------------------- */

static void conn_free(weft_conn *c)
{
    weft_sloop *sl = c->sl;
    c->proto->release(c);
    free(c->rbuf);
    weft_buf_free(&c->obuf);
    weft_buf_free(&c->wbuf);
    weft__ctx_free(&c->ctx);
    free(c);
    if (sl->draining && !sl->conns && sl->busy == 0)
        weft__app_loop_drained(sl);
}

void weft__conn_ref(weft_conn *c)
{
    c->refs++;
}

/* The connection is freed when nothing refers to it any more: its socket
 * handle is closed, no handler (fiber, worker job) is still running for
 * it, and no function up the stack is still using it. */
void weft__conn_unref(weft_conn *c)
{
    if (--c->refs == 0)
        conn_free(c);
}

static void on_closed(weft_transport *t)
{
    weft_conn *c = t->data;
    weft_sloop *sl = c->sl;
    if (c->fd_counted) {
        atomic_fetch_sub_explicit(&sl->app->conn_fds, 1, memory_order_relaxed);
        weft__conn_accept_resume(sl);
    }
    if (c->unaccepted) {
        free(c);
        return;
    }
    weft__conn_unref(c);
}

void weft__conn_close(weft_conn *c)
{
    conn_close(c);
}

static void conn_close(weft_conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    weft_sloop *sl = c->sl;
    int was = c->state;
    c->state = CONN_CLOSED;
    if (c->prev)
        c->prev->next = c->next;
    else
        sl->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    weft__count(&sl->stats.open, -1);
    weft__tr_close(c->tr);
    c->proto->closed(c, was); /* what it was serving ends with it */
}

/* The write side is done: send FIN, then read and discard until the peer
 * closes too, so unread input cannot turn our close into an RST that
 * destroys the response before the client reads it. */
static void on_shutdown(weft_transport *t, int status)
{
    weft_conn *c = t->data;
    if (status < 0)
        conn_close(c);
}

void weft__conn_linger(weft_conn *c)
{
    c->state = CONN_LINGER;
    c->since = now_of(c);
    c->close_when_flushed = 1;
    if (!c->peer_eof)
        weft__conn_read_resume(c); /* else nothing more can come: close when flushed */
    weft__conn_flush(c);
}

/* A client that asked to close sends nothing more (RFC 9112 9.6): with
 * nothing of its unread, a close sends a FIN after the answer, not a
 * reset, so the half-close and the wait for the client's FIN that
 * lingering costs (a shutdown, an epoll change, a read and a loop turn
 * per connection) buy nothing. */
void weft__conn_end(weft_conn *c)
{
    c->close_at_once = 1;
    c->state = CONN_LINGER;
    c->since = now_of(c);
    c->close_when_flushed = 1;
    weft__conn_flush(c);
}

static void after_flush(weft_conn *c)
{
    if (c->state == CONN_LINGER && c->close_when_flushed && c->obuf.len == 0 && !c->writing) {
        c->close_when_flushed = 0;
        if (c->peer_eof || c->close_at_once) {
            conn_close(c); /* the peer already closed its side, or never sends more */
            return;
        }
        if (weft__tr_shutdown(c->tr))
            conn_close(c);
    }
}

/* ---- writing ----------------------------------------------------------- */

static void on_write(weft_transport *t, int status)
{
    weft_conn *c = t->data;
    c->writing = 0;
    c->wbuf.len = 0;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->state == CONN_CLOSED)
        return;
    weft__conn_flush(c);
    if (c->state != CONN_CLOSED && c->state != CONN_LINGER)
        c->proto->writable(c);
}

void weft__conn_flush(weft_conn *c)
{
    if (c->writing || c->state == CONN_CLOSED)
        return;
    int r = weft__tr_send(c->tr, &c->obuf, &c->wbuf, &c->writing);
    if (r == 1)
        after_flush(c);
    else if (r == 0)
        c->write_since = now_of(c);
    else
        conn_close(c);
}

/* A TLS connection's handshake, counted once: when its first plaintext
 * arrives (ok), or when it fails or times out. */
static void count_tls(weft_conn *c, int ok)
{
    if (c->tls_counted || !weft__tls_is(c->tr))
        return;
    c->tls_counted = 1;
    weft_loop_stats *st = &c->sl->stats;
    weft__count(!ok ? &st->tls_failed : weft__tls_resumed(c->tr) ? &st->tls_resumed : &st->tls_full,
                1);
}

static void on_read(weft_transport *t, ssize_t nread)
{
    weft_conn *c = t->data;
    if (nread == 0)
        return;
    if (nread == WEFT_IO_NOBUFS) {
        if (c->no_memory) {
            /* Without a buffer this connection cannot be read: waiting
             * would hang it. Whatever it was doing ends (cancelled). */
            weft_warn("closing a connection of %s: no memory for its read buffer",
                      weft__conn_peer(c));
            conn_close(c);
            return;
        }
        weft__conn_read_pause(c); /* resumed when the current request is done */
        return;
    }
    if (nread == WEFT_IO_EOF) {
        /* The peer ended its side. That is not a disconnect: a client may
         * half-close after its request (RFC 9112 section 9.6) and still
         * read the answer. The protocol decides what it means. */
        c->peer_eof = 1;
        weft__conn_read_pause(c);
        if (c->state != CONN_LINGER)
            c->proto->eof(c);
        else if (!c->writing && c->obuf.len == 0)
            conn_close(c); /* else after_flush closes once the answer is out */
        return;
    }
    if (nread < 0) {
        const char *why = weft__tls_why(c->tr);
        if (why[0]) {
            weft_info("TLS connection from %s failed: %s", weft__conn_peer(c), why);
            count_tls(c, 0);
        }
        conn_close(c); /* a reset or a read error: the client is gone */
        return;
    }
    count_tls(c, 1);
    if (c->state != CONN_LINGER)
        c->proto->read(c, (size_t)nread);
}

/* ---- accepting, time limits, draining ------------------------------------- */

/* The peer's address, asked of the kernel on first use: a server without
 * an access log rarely needs it, and getpeername was one syscall of the
 * eight a connection costs in a burst of new ones (strace of S8's first
 * wave). With the access log on it is asked at accept, because after a
 * reset the kernel no longer knows it. */
const char *weft__conn_peer(weft_conn *c)
{
    if (c->peer[0])
        return c->peer;
    if (weft__tr_peer_name(c->tr, c->peer, sizeof c->peer) || !c->peer[0])
        memcpy(c->peer, "-", 2);
    return c->peer;
}

static const weft_transport_events conn_events = {
    .alloc = on_alloc,
    .read = on_read,
    .written = on_write,
    .shut = on_shutdown,
    .closed = on_closed,
};

/* At --max-connections (the clients' part of the fd budget) the process
 * takes no more: the listener pauses and new clients wait in the
 * kernel's listen queue until a connection closes, instead of being
 * accepted into EMFILE failures (libuv then accepts and drops them) or
 * answered with errors. Counted for the whole process: every loop's
 * sockets come out of the one file table. */
static int at_connection_budget(weft_sloop *sl, weft_listener *l)
{
    weft_app *app = sl->app;
    if (atomic_load_explicit(&app->conn_fds, memory_order_relaxed) < app->cfg.max_connections)
        return 0;
    weft__listener_pause(l);
    uint64_t now = weft_loop_now(&sl->loop);
    if (!sl->budget_warned_ms || now - sl->budget_warned_ms >= 10000) {
        sl->budget_warned_ms = now ? now : 1;
        weft_warn("%d connections open (--max-connections): new ones wait in the listen queue "
                  "until some close", app->cfg.max_connections);
    }
    return 1;
}

void weft__conn_accept_resume(weft_sloop *sl)
{
    if (!sl->listener.paused && !sl->redirect.paused)
        return;
    if (atomic_load_explicit(&sl->app->conn_fds, memory_order_relaxed) >=
        sl->app->cfg.max_connections)
        return;
    weft__listener_resume(&sl->listener);
    weft__listener_resume(&sl->redirect);
}

static void on_connection(weft_listener *l)
{
    weft_sloop *sl = l->data;
    int to_https = l == &sl->redirect;
    if (at_connection_budget(sl, l))
        return;
    weft_conn *c = weft__zalloc(sizeof *c);
    if (!c)
        return;
    c->sl = sl;
    weft__tcp_init(&sl->loop, &c->tcp, &conn_events, c);
    c->tr = &c->tcp.t;
    int failed = weft__listener_accept(l, &c->tcp);
    if (!failed) { /* its descriptor is open until on_closed */
        c->fd_counted = 1;
        atomic_fetch_add_explicit(&sl->app->conn_fds, 1, memory_order_relaxed);
    }
    if (failed || (sl->app->tls && !to_https &&
                   !(c->tr = weft__tls_accept(sl->app->tls, &sl->loop, &c->tcp.t)))) {
        c->unaccepted = 1; /* on_closed frees it */
        c->tr = &c->tcp.t;
        weft__tr_close(c->tr);
        return;
    }
    /* TCP_NODELAY comes from the listening socket (weft__listen_socket) */
    if (!sl->app->cfg.quiet)
        weft__conn_peer(c); /* the access log will name it: ask while it is there */
    c->refs = 1; /* the socket handle */
    c->since = now_of(c);
    c->proto = sl->proto;
    c->proto->start(c);
    c->ctx.to_https = (uint8_t)to_https;
    c->next = sl->conns;
    if (sl->conns)
        sl->conns->prev = c;
    sl->conns = c;
    weft__count(&sl->stats.accepted, 1);
    weft__count(&sl->stats.open, 1);
    weft__tr_read_start(c->tr);
}

void weft__conn_accept(weft_sloop *sl)
{
    sl->listener.data = sl;
    weft__listener_start(&sl->listener, on_connection);
    if (sl->redirect.open) {
        sl->redirect.data = sl;
        weft__listener_start(&sl->redirect, on_connection);
    }
}

void weft__conn_timed_out(weft_conn *c, const char *what)
{
    weft__count(&c->sl->stats.timeouts, 1);
    weft_debug("closing connection from %s: %s", weft__conn_peer(c), what);
}

/* Checks one connection's time limits; called from the loop's tick. */
static void check_deadline(weft_conn *c, uint64_t now)
{
    const weft_config *cfg = &c->sl->app->cfg;
    if (c->writing && now - c->write_since >= (uint64_t)cfg->write_timeout_ms) {
        weft__conn_timed_out(c, "write stalled");
        /* Abortively: what the kernel still holds for a peer that reads
         * nothing (its send buffer: megabytes) is dropped with a reset
         * rather than trickled out at the peer's pace after we let go. */
        weft__tr_reset(c->tr);
        conn_close(c);
        return;
    }
    if (c->state == CONN_LINGER) {
        if (now - c->since >= LINGER_MS)
            conn_close(c);
        return;
    }
    if (c->requests_seen == 0 && weft__tls_handshaking(c->tr) &&
        now - c->since >= (uint64_t)cfg->tls_handshake_timeout_ms) {
        weft__conn_timed_out(c, "TLS handshake not finished in time");
        count_tls(c, 0);
        conn_close(c);
        return;
    }
    if (c->state != CONN_CLOSED)
        c->proto->sweep(c, now);
}

void weft__conn_close_if_idle(weft_conn *c, uint64_t now, uint64_t idle_ms)
{
    if (!c->writing && now - c->since >= idle_ms)
        conn_close(c);
}

void weft__conn_sweep(weft_sloop *sl, uint64_t now)
{
    weft_conn *c = sl->conns;
    while (c) {
        weft_conn *next = c->next; /* check_deadline may unlink c */
        check_deadline(c, now);
        c = next;
    }
}

void weft__conn_drain(weft_sloop *sl)
{
    weft_conn *c = sl->conns;
    while (c) {
        weft_conn *next = c->next;
        if (c->state != CONN_LINGER && c->state != CONN_CLOSED)
            c->proto->drain(c);
        c = next;
    }
}

void weft__conn_close_all(weft_sloop *sl)
{
    while (sl->conns)
        conn_close(sl->conns);
}

