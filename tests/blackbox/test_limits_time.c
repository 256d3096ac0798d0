/* test_limits_time.c - time limits over real TCP: a slow head gets 408
 * and a close (slowloris), an idle keep-alive connection is closed, a
 * stalled body gets 408. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt.h"

static wt_server srv;

static int setup(void **state)
{
    (void)state;
    static const char *const args[] = {"--loops", "1", "--header-timeout", "600",
                                       "--keepalive-timeout", "800", "--body-timeout", "600",
                                       "--write-timeout", "700",
                                       NULL};
    wt_start(&srv, "weft-hello", args);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(wt_stop(&srv, 15, 5000), 0);
    return 0;
}

static void slowloris_gets_408(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(srv.port);
    long t0 = wt_now_ms();
    /* trickle a head that never ends */
    wt_send_str(c, "GET /plaintext HTTP/1.1\r\n");
    for (int i = 0; i < 4; i++) {
        usleep(200000);
        wt_send_str(c, "X-Slow: 1\r\n");
    }
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    long dt = wt_now_ms() - t0;
    assert_int_equal(r.status, 408);
    /* the limit counts from the first byte, not from the last read */
    assert_true(dt >= 550 && dt < 1500);
    wt_response_free(&r);
    assert_int_equal(wt_wait_closed(c, 3000), 1);
    wt_close(c);
}

static void idle_keepalive_closed(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(srv.port);
    wt_send_str(c, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    wt_response_free(&r);
    long t0 = wt_now_ms();
    assert_int_equal(wt_wait_closed(c, 3000), 1); /* silently: no 408 owed */
    long dt = wt_now_ms() - t0;
    assert_true(dt >= 700 && dt < 1600);
    wt_close(c);
}

static void stalled_body_gets_408(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(srv.port);
    wt_send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly-some");
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_int_equal(r.status, 408);
    wt_response_free(&r);
    assert_int_equal(wt_wait_closed(c, 3000), 1);
    wt_close(c);
}

/* A client that pipelines requests for large answers and never reads:
 * the server stops producing output (bounded memory), and once its write
 * has made no progress for --write-timeout it closes the connection. */
static void unread_output_is_bounded_then_closed(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(srv.port);
    int small = 4096;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    char req[] = "GET /stream?n=10000 HTTP/1.1\r\nHost: t\r\n\r\n";
    long rss_before = wt_rss_kb(srv.pid);
    for (int i = 0; i < 200; i++) /* 200 x ~110 KB of answers */
        wt_send(c, req, sizeof req - 1);
    usleep(400000);
    long rss_during = wt_rss_kb(srv.pid);
    /* without back-pressure the server would hold ~22 MB of answers */
    assert_true(rss_during - rss_before < 6 * 1024);
    sleep(2); /* longer than --write-timeout: the server gives up on us */
    /* the server still serves others meanwhile */
    assert_int_equal(wt_request(srv.port, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", NULL),
                     200);
    /* drain what was sent: far less than the 22 MB asked for, then EOF */
    size_t total = 0;
    int closed = 0;
    long until = wt_now_ms() + 5000;
    while (wt_now_ms() < until) {
        c->len = 0;
        int r = wt_wait_closed(c, 1000);
        total += c->len;
        if (r == 1) {
            closed = 1;
            break;
        }
    }
    assert_true(closed);
    assert_true(total < 8u * 1024 * 1024);
    wt_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slowloris_gets_408),
        cmocka_unit_test(idle_keepalive_closed),
        cmocka_unit_test(stalled_body_gets_408),
        cmocka_unit_test(unread_output_is_bounded_then_closed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
