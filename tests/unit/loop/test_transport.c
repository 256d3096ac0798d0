/* test_transport.c - the TCP transport's contract (transport.h), the same
 * on both I/O engines: every test runs once on epoll and once on
 * io_uring. Bytes arrive whole and in order both ways, also across a
 * reader's pause; shutdown is the peer's end of stream; a close with a
 * write stuck on a peer that reads nothing still ends in exactly one
 * `closed` and no callback after it; a refused connect is told through
 * `connected`; a paused listener holds a connection until resumed. Real
 * sockets on loopback. */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../../src/loop/transport.h"

#define BIG (1u << 20)

typedef struct end {
    weft_tcp tcp;
    char *in;
    size_t len, cap, room; /* room: the most alloc offers at once (0 = all) */
    size_t pause_at;       /* read_stop once this much has arrived (0 = never) */
    int eof, err, closed, connected, conn_status, written, write_status, shut, after_close;
} end;

static weft_loop *loop;

static void on_alloc(weft_transport *t, char **base, size_t *len)
{
    end *e = t->data;
    size_t left = e->cap - e->len;
    *base = e->in + e->len;
    *len = e->room && e->room < left ? e->room : left;
}

static void on_read(weft_transport *t, ssize_t n)
{
    end *e = t->data;
    e->after_close += e->closed;
    if (n > 0) {
        e->len += (size_t)n;
        if (e->pause_at && e->len >= e->pause_at) {
            e->pause_at = 0;
            weft__tr_read_stop(t);
        }
    } else if (n == WEFT_IO_EOF) {
        e->eof = 1;
    } else if (n < 0) {
        e->err = (int)n;
    }
}

static void on_written(weft_transport *t, int status)
{
    end *e = t->data;
    e->after_close += e->closed;
    e->written++;
    e->write_status = status;
}

static void on_shut(weft_transport *t, int status)
{
    end *e = t->data;
    e->shut = status == 0 ? 1 : status;
}

static void on_connected(weft_transport *t, int status)
{
    end *e = t->data;
    e->connected = 1;
    e->conn_status = status;
}

static void on_closed(weft_transport *t)
{
    end *e = t->data;
    e->closed++;
}

static const weft_transport_events events = {
    on_alloc, on_read, on_written, on_shut, on_connected, on_closed,
};

/* Every end a test made, so that teardown can close what a failed
 * assertion left open (else freeing the loop would wait for it). */
#define MAX_ENDS 8
static end *ends[MAX_ENDS];
static int nends;

static end *end_new(size_t cap)
{
    end *e = calloc(1, sizeof *e);
    e->in = malloc(cap);
    e->cap = cap;
    weft__tcp_init(loop, &e->tcp, &events, e);
    assert_true(nends < MAX_ENDS);
    ends[nends++] = e;
    return e;
}

static void end_free(end *e)
{
    for (int i = 0; i < nends; i++)
        if (ends[i] == e)
            ends[i] = NULL;
    free(e->in);
    free(e);
}

/* Runs the loop until *flag is set, for at most ms. */
static int run_until(const int *flag, int ms)
{
    for (int i = 0; i < ms / 5 && !*flag; i++)
        weft_loop_run_for(loop, 5);
    return *flag;
}

static int run_until_len(const end *e, size_t n, int ms)
{
    for (int i = 0; i < ms / 5 && e->len < n; i++)
        weft_loop_run_for(loop, 5);
    return e->len >= n;
}

/* ---- a listener, and a connected pair ------------------------------------- */

static weft_listener lst;
static end *accepted;
static int offers, pause_offers;

static void on_connection(weft_listener *l)
{
    offers++;
    if (pause_offers) {
        weft__listener_pause(l);
        return;
    }
    accepted = end_new(BIG * 2);
    assert_int_equal(weft__listener_accept(l, &accepted->tcp), 0);
    assert_int_equal(weft__tr_read_start(&accepted->tcp.t), 0);
}

static int listen_here(void)
{
    char err[128];
    int port = 0;
    int fd = weft__listen_socket("127.0.0.1", 0, &port, err, sizeof err);
    assert_true(fd >= 0);
    memset(&lst, 0, sizeof lst);
    assert_int_equal(weft__listener_adopt(loop, &lst, fd), 0);
    assert_int_equal(weft__listener_start(&lst, on_connection), 0);
    return port;
}

static end *connect_to(int port)
{
    struct sockaddr_storage ss;
    assert_int_equal(weft__ip_addr("127.0.0.1", port, &ss), 0);
    end *c = end_new(BIG * 2);
    assert_int_equal(weft__tcp_connect(&c->tcp, (struct sockaddr *)&ss), 0);
    assert_int_equal(weft__tr_read_start(&c->tcp.t), 0);
    return c;
}

static void fill_pattern(char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (char)((i * 31 + seed) & 0xff);
}

static void close_both(end *a, end *b)
{
    weft__tr_close(&a->tcp.t);
    weft__tr_close(&b->tcp.t);
    assert_true(run_until(&a->closed, 2000));
    assert_true(run_until(&b->closed, 2000));
    weft_loop_run_for(loop, 20); /* nothing more may come */
    assert_int_equal(a->closed, 1);
    assert_int_equal(b->closed, 1);
    assert_int_equal(a->after_close + b->after_close, 0);
}

static int setup(void **state)
{
    assert_int_equal(weft_io_select(*state), 0);
    loop = weft_loop_new();
    accepted = NULL;
    offers = pause_offers = 0;
    nends = 0;
    return loop ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    weft__listener_close(&lst);
    for (int i = 0; i < nends; i++)
        if (ends[i] && !ends[i]->closed)
            weft__tr_close(&ends[i]->tcp.t); /* a failed test left it open */
    weft_loop_free(loop);
    for (int i = 0; i < nends; i++)
        if (ends[i])
            end_free(ends[i]);
    return 0;
}

/* ---- the tests ---------------------------------------------------------------- */

/* A megabyte each way, whole and in order; then the client's shutdown is
 * the server's end of stream. */
static void bytes_flow_both_ways(void **state)
{
    (void)state;
    int port = listen_here();
    end *c = connect_to(port);
    char *out = malloc(BIG), *back = malloc(BIG);
    fill_pattern(out, BIG, 7);
    fill_pattern(back, BIG, 11);
    assert_true(run_until(&c->connected, 2000));
    assert_int_equal(c->conn_status, 0);
    assert_int_equal(weft__tr_write(&c->tcp.t, out, BIG), 0);
    assert_true(run_until(&c->written, 5000));
    assert_int_equal(c->write_status, 0);
    assert_non_null(accepted);
    assert_true(run_until_len(accepted, BIG, 5000));
    assert_memory_equal(accepted->in, out, BIG);
    assert_int_equal(weft__tr_write(&accepted->tcp.t, back, BIG), 0);
    assert_true(run_until_len(c, BIG, 5000));
    assert_memory_equal(c->in, back, BIG);
    assert_int_equal(weft__tr_shutdown(&c->tcp.t), 0);
    assert_true(run_until(&c->shut, 2000));
    assert_int_equal(c->shut, 1);
    assert_true(run_until(&accepted->eof, 2000));
    assert_int_equal(accepted->len, BIG); /* nothing after the end */
    char peer[64];
    assert_int_equal(weft__tr_peer_name(&accepted->tcp.t, peer, sizeof peer), 0);
    assert_string_equal(peer, "127.0.0.1");
    close_both(c, accepted);
    end_free(c);
    free(out);
    free(back);
}

/* A reader that pauses after its first kilobyte and takes small pieces
 * gets everything sent meanwhile, in order, once it reads again. */
static void a_pause_loses_nothing(void **state)
{
    (void)state;
    int port = listen_here();
    end *c = connect_to(port);
    size_t n = 300 * 1024;
    char *out = malloc(n);
    fill_pattern(out, n, 3);
    assert_true(run_until(&c->connected, 2000));
    assert_true(run_until(&offers, 2000));
    accepted->pause_at = 1024;
    accepted->room = 700;
    assert_int_equal(weft__tr_write(&c->tcp.t, out, n), 0);
    weft_loop_run_for(loop, 100);
    assert_true(accepted->len >= 1024);
    assert_true(accepted->len < n); /* paused: not all of it taken */
    size_t seen = accepted->len;
    weft_loop_run_for(loop, 50);
    assert_int_equal(accepted->len, seen);
    assert_int_equal(weft__tr_read_start(&accepted->tcp.t), 0);
    assert_true(run_until_len(accepted, n, 5000));
    assert_int_equal(accepted->len, n);
    assert_memory_equal(accepted->in, out, n);
    assert_true(run_until(&c->written, 2000));
    close_both(c, accepted);
    end_free(c);
    free(out);
}

/* A write stuck on a peer that reads nothing does not hold up the close:
 * one `closed`, and no `written` after it. */
static void close_with_a_write_stuck(void **state)
{
    (void)state;
    int port = listen_here();
    end *c = connect_to(port);
    assert_true(run_until(&offers, 2000));
    weft__tr_read_stop(&c->tcp.t);
    size_t n = 32u << 20; /* more than both sockets' buffers hold */
    char *out = calloc(1, n);
    assert_int_equal(weft__tr_write(&accepted->tcp.t, out, n), 0);
    weft_loop_run_for(loop, 100);
    assert_int_equal(accepted->written, 0); /* stuck */
    close_both(accepted, c);
    assert_int_equal(accepted->written, 0);
    end_free(c);
    free(out);
}

/* Nothing listens: `connected` says refused; the close still completes. */
static void a_refused_connect_is_told(void **state)
{
    (void)state;
    int port = listen_here();
    weft__listener_close(&lst); /* the port is free again, nothing listens */
    weft_loop_run_for(loop, 20);
    struct sockaddr_storage ss;
    assert_int_equal(weft__ip_addr("127.0.0.1", port, &ss), 0);
    end *c = end_new(4096);
    int rc = weft__tcp_connect(&c->tcp, (struct sockaddr *)&ss);
    if (rc == 0) {
        assert_true(run_until(&c->connected, 2000));
        assert_int_equal(c->conn_status, WEFT_IO_CONNREFUSED);
    } else {
        assert_int_equal(rc, WEFT_IO_CONNREFUSED);
    }
    weft__tr_close(&c->tcp.t);
    assert_true(run_until(&c->closed, 2000));
    assert_int_equal(c->closed, 1);
    end_free(c);
}

/* A listener its owner pauses keeps the connection waiting, unanswered
 * and unrefused, and offers it again once resumed. */
static void a_paused_listener_holds_the_connection(void **state)
{
    (void)state;
    int port = listen_here();
    pause_offers = 1;
    end *c = connect_to(port);
    assert_true(run_until(&offers, 2000));
    weft_loop_run_for(loop, 100);
    assert_int_equal(offers, 1); /* offered once, then held */
    assert_null(accepted);
    assert_int_equal(c->eof + c->err, 0); /* not refused */
    pause_offers = 0;
    weft__listener_resume(&lst);
    assert_int_equal(offers, 2);
    assert_non_null(accepted);
    assert_int_equal(weft__tr_write(&c->tcp.t, "ping", 4), 0);
    assert_true(run_until_len(accepted, 4, 2000));
    assert_memory_equal(accepted->in, "ping", 4);
    close_both(c, accepted);
    end_free(c);
}

/* io_uring: an accept that finds the process out of descriptors
 * (EMFILE) leaves the connection in the kernel's backlog and is tried
 * again (every 50 ms), so the connection is served once a descriptor is
 * free - not lost, and the loop does not spin. (libuv's epoll listener
 * instead accepts and closes such connections, its own EMFILE policy.) */
static void an_accept_out_of_descriptors_is_tried_again(void **state)
{
    (void)state;
    int port = listen_here();
    end *c = connect_to(port); /* its socket is made while there is room */
    struct rlimit old, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = 512;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    int fds[512], n = 0;
    while (n < 512 && (fds[n] = dup(0)) >= 0)
        n++;
    assert_true(n < 512); /* the table is full */
    struct rusage r0, r1;
    getrusage(RUSAGE_THREAD, &r0);
    weft_loop_run_for(loop, 200); /* the accept fails, and again on each retry */
    getrusage(RUSAGE_THREAD, &r1);
    assert_int_equal(offers, 0);
    /* retried on a timer, not at once: the loop mostly slept (a loop that
     * re-armed at once would have spun for the whole 200 ms) */
    long cpu_us = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1000000L +
                  (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) +
                  (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1000000L +
                  (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);
    assert_true(cpu_us < 100000);
    while (n)
        close(fds[--n]);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_true(run_until(&offers, 2000));
    assert_int_equal(offers, 1);
    assert_true(run_until(&c->connected, 2000));
    assert_int_equal(c->conn_status, 0);
    char b[3] = "abc";
    assert_int_equal(weft__tr_write(&c->tcp.t, b, 3), 0);
    assert_true(run_until_len(accepted, 3, 2000));
    assert_memory_equal(accepted->in, "abc", 3);
    close_both(c, accepted);
    end_free(c);
}

#define BOTH(fn)                                                                    \
    cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)"epoll"), \
        cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)"uring")

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(bytes_flow_both_ways),
        BOTH(a_pause_loses_nothing),
        BOTH(close_with_a_write_stuck),
        BOTH(a_refused_connect_is_told),
        BOTH(a_paused_listener_holds_the_connection),
        cmocka_unit_test_prestate_setup_teardown(an_accept_out_of_descriptors_is_tried_again, setup,
                                                 teardown, (void *)"uring"),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
