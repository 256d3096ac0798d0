/* test_tls_stream.c - the TLS transport between two in-memory pipes: a
 * client and a server weft__tls_* over fake inner transports that deliver
 * ciphertext in pieces as small as one byte and take writes a few bytes
 * at a time, so every partial path of stream.c runs: records split across
 * reads, the owner pausing (no room) with ciphertext left, writes pending
 * on the inner transport, close_notify, a failed verification and a
 * refused ALPN. Certificates are made for the run (scripts/tls-certs.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../../src/tls/tls.h"
#include "../../support/loop_fixture.h"
#include "../../support/wt_certs.h"

/* ---- a fake inner transport: one end of an in-memory pipe ---------------------- */

typedef struct pipe_end {
    weft_transport t;
    struct pipe_end *peer;
    weft_buf in;            /* bytes written by the peer, not yet delivered */
    size_t in_pos;
    int reading, eof_in, eof_told, closed, closing, connecting, connected_told;
    int write_pending, shut_pending;
    const char *wp;         /* the pending write's rest */
    size_t wlen;
} pipe_end;

static size_t deliver_chunk = 1; /* bytes per read callback */
static size_t write_take = 5;    /* bytes try_write takes per call */

static int p_read_start(weft_transport *t)
{
    ((pipe_end *)t)->reading = 1;
    return 0;
}
static void p_read_stop(weft_transport *t)
{
    ((pipe_end *)t)->reading = 0;
}
static void give(pipe_end *p, const char *data, size_t n)
{
    assert_int_equal(weft_buf_append(&p->peer->in, data, n), 0);
}
static ssize_t p_try_write(weft_transport *t, const char *data, size_t n)
{
    pipe_end *p = (pipe_end *)t;
    if (p->write_pending || p->connecting)
        return 0;
    size_t k = n < write_take ? n : write_take;
    give(p, data, k);
    return (ssize_t)k;
}
static int p_write(weft_transport *t, const char *data, size_t n)
{
    pipe_end *p = (pipe_end *)t;
    assert_false(p->write_pending); /* at most one write pending */
    p->write_pending = 1;
    p->wp = data;
    p->wlen = n;
    return 0;
}
static int p_shutdown(weft_transport *t)
{
    ((pipe_end *)t)->shut_pending = 1;
    return 0;
}
static void p_close(weft_transport *t)
{
    ((pipe_end *)t)->closing = 1;
}
static void p_reset(weft_transport *t)
{
    ((pipe_end *)t)->closing = 1;
}
static int p_peer_name(weft_transport *t, char *out, size_t cap)
{
    (void)t;
    snprintf(out, cap, "pipe");
    return 0;
}
static const weft_transport_ops pipe_ops = {p_read_start, p_read_stop, p_try_write, p_write,
                                            p_shutdown,   p_close,     p_reset,     p_peer_name};

/* One step of the pipes' world: pending writes move a few bytes, a
 * shutdown becomes the peer's EOF, reads are delivered in small pieces. */
static int pipes_step(pipe_end *ends[2])
{
    int moved = 0;
    for (int i = 0; i < 2; i++) {
        pipe_end *p = ends[i];
        if (p->closed)
            continue;
        if (p->closing) {
            p->closed = 1;
            p->t.ev->closed(&p->t);
            moved = 1;
            continue;
        }
        if (p->connecting) {
            p->connecting = 0;
            p->t.ev->connected(&p->t, 0);
            moved = 1;
            continue;
        }
        if (p->write_pending) {
            size_t k = p->wlen < write_take ? p->wlen : write_take;
            give(p, p->wp, k);
            p->wp += k;
            p->wlen -= k;
            moved = 1;
            if (!p->wlen) {
                p->write_pending = 0;
                p->t.ev->written(&p->t, 0);
            }
            continue;
        }
        if (p->shut_pending) {
            p->shut_pending = 0;
            p->peer->eof_in = 1;
            p->t.ev->shut(&p->t, 0);
            moved = 1;
            continue;
        }
        if (p->reading && p->in_pos < p->in.len) {
            char *base = NULL;
            size_t len = 0;
            p->t.ev->alloc(&p->t, &base, &len);
            if (!len) {
                p->t.ev->read(&p->t, WEFT_IO_NOBUFS);
            } else {
                size_t n = p->in.len - p->in_pos;
                n = n < deliver_chunk ? n : deliver_chunk;
                n = n < len ? n : len;
                memcpy(base, p->in.data + p->in_pos, n);
                p->in_pos += n;
                p->t.ev->read(&p->t, (ssize_t)n);
            }
            moved = 1;
        } else if (p->reading && p->eof_in && !p->eof_told && p->in_pos == p->in.len) {
            p->eof_told = 1;
            p->t.ev->read(&p->t, WEFT_IO_EOF);
            moved = 1;
        }
    }
    return moved;
}

/* ---- the owners: collect what they read, send what they are given --------------- */

typedef struct owner {
    weft_transport *tr;
    weft_buf got;
    int connected, connect_status, eof, err, closed, shut, pause_every, reads, pauses;
    size_t room;                    /* bytes offered per alloc */
    char buf[4096];
    const char *out;                /* what is left to send */
    size_t out_len;
    int writing;
} owner;

static void o_alloc(weft_transport *t, char **base, size_t *len)
{
    owner *o = t->data;
    if (o->pause_every && ++o->reads % o->pause_every == 0)
        return; /* no room this time: the transport reports NOBUFS */
    *base = o->buf;
    *len = o->room;
}
static void send_more(owner *o);
static void o_read(weft_transport *t, ssize_t n)
{
    owner *o = t->data;
    if (n == WEFT_IO_NOBUFS) {
        o->pauses++;
        weft__tr_read_stop(t); /* resumed by the test a moment later */
        return;
    }
    if (n == WEFT_IO_EOF) {
        o->eof = 1;
        return;
    }
    if (n < 0) {
        o->err = (int)n;
        return;
    }
    assert_int_equal(weft_buf_append(&o->got, o->buf, (size_t)n), 0);
}
static void o_written(weft_transport *t, int status)
{
    owner *o = t->data;
    assert_int_equal(status, 0);
    o->writing = 0;
    send_more(o);
}
static void o_shut(weft_transport *t, int status)
{
    ((owner *)t->data)->shut = status == 0 ? 1 : -1;
}
static void o_connected(weft_transport *t, int status)
{
    owner *o = t->data;
    o->connected = 1;
    o->connect_status = status;
    if (status == 0)
        send_more(o);
}
static void o_closed(weft_transport *t)
{
    ((owner *)t->data)->closed = 1;
}
static const weft_transport_events owner_events = {o_alloc, o_read, o_written, o_shut, o_connected,
                                                   o_closed};

/* Sends what is left of o->out: try_write first, then write() for the rest. */
static void send_more(owner *o)
{
    while (o->out_len && !o->writing) {
        size_t n = o->out_len > 3000 ? 3000 : o->out_len; /* several writes, several records */
        ssize_t k = weft__tr_try_write(o->tr, o->out, n);
        assert_true(k >= 0);
        if (k == 0) {
            assert_int_equal(weft__tr_write(o->tr, o->out, n), 0);
            o->writing = 1;
            k = (ssize_t)n;
        }
        o->out += k;
        o->out_len -= (size_t)k;
    }
}

/* ---- the world ---------------------------------------------------------------------- */

static char dir[64];
static weft_tls_server *server_ctx;

static const char *path_of(const char *name)
{
    return wt_certs_path(dir, name);
}

static int group_setup(void **state)
{
    (void)state;
    assert_int_equal(wt_certs_make(dir), 0);
    const char *certs[] = {path_of("localhost.pem")}, *keys[] = {path_of("localhost.key")};
    char err[256];
    server_ctx = weft__tls_server_new(certs, keys, 1, 1, err, sizeof err);
    assert_non_null(server_ctx);
    loop_setup();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    loop_teardown();
    weft__tls_server_free(server_ctx);
    return wt_certs_remove(dir);
}

typedef struct world {
    pipe_end cp, sp;    /* the client's and the server's inner transports */
    owner c, s;
    pipe_end *ends[2];
    weft_tls_client *cctx;
} world;

static void world_open(world *w, const char *name, const char *alpn, const char *ca)
{
    memset(w, 0, sizeof *w);
    w->cp.t.ops = w->sp.t.ops = &pipe_ops;
    w->cp.peer = &w->sp;
    w->sp.peer = &w->cp;
    w->cp.connecting = 1;
    w->ends[0] = &w->cp;
    w->ends[1] = &w->sp;
    w->c.room = w->s.room = sizeof w->c.buf;
    char err[256];
    weft_tls_client_opts o = {.ca_file = ca};
    w->cctx = weft__tls_client_new(&o, err, sizeof err);
    assert_non_null(w->cctx);
    /* the owners' events, handed on to the TLS transports that wrap the pipes */
    w->sp.t.ev = w->cp.t.ev = &owner_events;
    w->sp.t.data = &w->s;
    w->cp.t.data = &w->c;
    w->s.tr = weft__tls_accept(server_ctx, fixture_loop, &w->sp.t);
    w->c.tr = weft__tls_connect(w->cctx, fixture_loop, &w->cp.t, name, alpn, NULL);
    assert_non_null(w->s.tr);
    assert_non_null(w->c.tr);
    weft__tr_read_start(w->s.tr);
    weft__tr_read_start(w->c.tr);
}

/* Runs the pipes and the loop until cond holds (or a step limit). */
#define RUN_UNTIL(w, cond)                                                                   \
    do {                                                                                    \
        for (int step_ = 0; step_ < 4000000 && !(cond); step_++) {                          \
            if (!pipes_step((w)->ends))                                                     \
                weft_loop_run_for(fixture_loop, 0);                                         \
            if (!(w)->s.closed && !(cond) && step_ % 64 == 0)                               \
                weft__tr_read_start((w)->s.tr); /* a paused owner resumes */                 \
        }                                                                                   \
        assert_true(cond);                                                                  \
    } while (0)

static void world_close(world *w)
{
    weft__tr_close(w->c.tr);
    weft__tr_close(w->s.tr);
    RUN_UNTIL(w, w->c.closed && w->s.closed);
    weft_buf_free(&w->c.got);
    weft_buf_free(&w->s.got);
    weft_buf_free(&w->cp.in);
    weft_buf_free(&w->sp.in);
    weft__tls_client_free(w->cctx);
}

static char *pattern(size_t n, unsigned seed)
{
    char *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (char)('a' + (i * 7 + seed + i / 97) % 26);
    return p;
}

/* ---- tests ----------------------------------------------------------------------- */

static void bytes_cross_both_ways_in_small_pieces(void **state)
{
    (void)state;
    size_t sizes[] = {1, 100, 70000};
    size_t chunks[] = {1, 7, 65536};
    for (int i = 0; i < 3; i++) {
        deliver_chunk = chunks[i];
        write_take = chunks[i] == 65536 ? 65536 : 5;
        world w;
        world_open(&w, "localhost", "h2", path_of("ca.pem"));
        size_t n = sizes[i];
        char *up = pattern(n, 1), *down = pattern(n, 2);
        w.c.out = up;
        w.c.out_len = n;
        RUN_UNTIL(&w, w.c.connected && w.s.got.len == n);
        assert_int_equal(w.c.connect_status, 0);
        assert_string_equal(weft__tls_alpn(w.c.tr), "h2");
        assert_string_equal(weft__tls_alpn(w.s.tr), "h2");
        assert_memory_equal(w.s.got.data, up, n);
        w.s.out = down;
        w.s.out_len = n;
        send_more(&w.s);
        RUN_UNTIL(&w, w.c.got.len == n);
        assert_memory_equal(w.c.got.data, down, n);
        if (deliver_chunk == 1) /* every record was read a byte at a time */
            assert_true(w.sp.in_pos > 200 && w.cp.in_pos > 200);
        world_close(&w);
        free(up);
        free(down);
    }
}

/* The server's owner has no room every third read and pauses: what was
 * decrypted-to-be waits (copied off the thread's buffer) until it resumes. */
static void a_paused_owner_loses_nothing(void **state)
{
    (void)state;
    deliver_chunk = 65536;
    write_take = 65536;
    world w;
    world_open(&w, "127.0.0.1", "http/1.1", path_of("ca.pem"));
    w.s.pause_every = 3;
    w.s.room = 1000; /* smaller than a record: one record, several reads */
    size_t n = 300000;
    char *up = pattern(n, 3);
    w.c.out = up;
    w.c.out_len = n;
    RUN_UNTIL(&w, w.s.got.len == n);
    assert_memory_equal(w.s.got.data, up, n);
    assert_true(w.s.pauses > 100); /* it did pause, many times, mid-record */
    world_close(&w);
    free(up);
}

/* shutdown: close_notify after the data, then the peer reads its end. */
static void shutdown_sends_close_notify_after_the_data(void **state)
{
    (void)state;
    deliver_chunk = 3;
    write_take = 4;
    world w;
    world_open(&w, "localhost", "http/1.1", path_of("ca.pem"));
    char *up = pattern(5000, 4);
    w.c.out = up;
    w.c.out_len = 5000;
    RUN_UNTIL(&w, w.c.connected && w.c.out_len == 0 && !w.c.writing);
    assert_int_equal(weft__tr_shutdown(w.c.tr), 0);
    RUN_UNTIL(&w, w.s.eof && w.c.shut);
    assert_int_equal(w.s.got.len, 5000);
    assert_memory_equal(w.s.got.data, up, 5000);
    assert_int_equal(w.c.shut, 1);
    world_close(&w);
    free(up);
}

static void wrong_name_fails_verification(void **state)
{
    (void)state;
    deliver_chunk = 1000;
    write_take = 1000;
    world w;
    world_open(&w, "example.test", "http/1.1", path_of("ca.pem"));
    RUN_UNTIL(&w, w.c.connected);
    assert_true(w.c.connect_status < 0);
    assert_non_null(strstr(weft__tls_why(w.c.tr), "certificate verify failed"));
    assert_non_null(strstr(weft__tls_why(w.c.tr), "mismatch"));
    world_close(&w);
}

static void an_unknown_ca_fails_verification(void **state)
{
    (void)state;
    world w;
    world_open(&w, "localhost", "http/1.1", NULL); /* the system's CAs */
    RUN_UNTIL(&w, w.c.connected);
    assert_true(w.c.connect_status < 0);
    assert_non_null(strstr(weft__tls_why(w.c.tr), "unable to get local issuer certificate"));
    world_close(&w);
}

static void a_protocol_the_server_lacks_is_refused(void **state)
{
    (void)state;
    world w;
    world_open(&w, "localhost", "spdy/3", path_of("ca.pem"));
    RUN_UNTIL(&w, w.c.connected);
    assert_true(w.c.connect_status < 0);
    assert_non_null(strstr(weft__tls_why(w.c.tr), "did not agree to spdy/3"));
    world_close(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bytes_cross_both_ways_in_small_pieces),
        cmocka_unit_test(a_paused_owner_loses_nothing),
        cmocka_unit_test(shutdown_sends_close_notify_after_the_data),
        cmocka_unit_test(wrong_name_fails_verification),
        cmocka_unit_test(an_unknown_ca_fails_verification),
        cmocka_unit_test(a_protocol_the_server_lacks_is_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
