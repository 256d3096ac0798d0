/* test_shutdown.c - SIGTERM drains: the in-flight request finishes with
 * its answer, idle connections are closed, new connections are refused,
 * and the process exits 0. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "wt.h"

/* Waits until n requests besides the /stats call asking are in flight. */
static void wait_in_flight(int port, long n)
{
    long until = wt_now_ms() + 3000;
    while (wt_stat(port, "requests_inflight") < n + 1 && wt_now_ms() < until)
        usleep(5000);
    assert_true(wt_stat(port, "requests_inflight") >= n + 1);
}

/* 1 if a connection to port is refused now, 0 if it is accepted. */
static int connect_refused(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int refused = connect(fd, (struct sockaddr *)&a, sizeof a) != 0;
    close(fd);
    return refused;
}

static void graceful_drain(void **state)
{
    (void)state;
    wt_server srv;
    static const char *const args[] = {"--loops", "2", NULL};
    wt_start(&srv, "weft-hello", args);

    wt_conn *idle = wt_connect(srv.port);
    wt_send_str(idle, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
    wt_response r;
    assert_int_equal(wt_read_response(idle, &r, 3000, 0), 0);
    wt_response_free(&r);

    wt_conn *busy = wt_connect(srv.port);
    wt_send_str(busy, "GET /sleep?ms=800 HTTP/1.1\r\nHost: t\r\n\r\n");
    wait_in_flight(srv.port, 1);
    kill(srv.pid, SIGTERM);

    /* the idle keep-alive connection is closed promptly */
    assert_int_equal(wt_wait_closed(idle, 2000), 1);
    /* the listener is gone while the busy request still runs */
    long until = wt_now_ms() + 2000;
    while (connect_refused(srv.port) == 0 && wt_now_ms() < until)
        usleep(5000);
    assert_int_equal(connect_refused(srv.port), 1);
    /* the in-flight request gets its full answer, marked as the last */
    assert_int_equal(wt_read_response(busy, &r, 3000, 0), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "slept 800 ms on a worker thread\n");
    char v[32];
    assert_string_equal(wt_header(&r, "Connection", v, sizeof v), "close");
    wt_response_free(&r);
    assert_int_equal(wt_wait_closed(busy, 2000), 1);

    assert_int_equal(wt_stop(&srv, 0, 5000), 0); /* signal 0: just wait */
    wt_close(idle);
    wt_close(busy);
}

/* A request that outlives --shutdown-grace is cut off at the grace: its
 * connection closes then, with no answer, and the server exits (0 when
 * the worker came back within the extra second, else 1). */
static void grace_expires(void **state)
{
    (void)state;
    wt_server srv;
    static const char *const args[] = {"--loops", "1", "--shutdown-grace", "300", NULL};
    wt_start(&srv, "weft-hello", args);
    wt_conn *busy = wt_connect(srv.port);
    wt_send_str(busy, "GET /sleep?ms=1500 HTTP/1.1\r\nHost: t\r\n\r\n");
    wait_in_flight(srv.port, 1);
    long t0 = wt_now_ms();
    kill(srv.pid, SIGTERM);
    wt_response r;
    assert_int_equal(wt_read_response(busy, &r, 3000, 0), -1); /* cut off: no answer */
    long cut = wt_now_ms() - t0;
    if (cut < 250 || cut > 300 + (wt_sanitized() ? 1500 : 500))
        fail_msg("the connection was cut %ld ms after SIGTERM, want at the 300 ms grace", cut);
    assert_true(wt_wait_log(&srv, "shutdown grace period over", 2000));
    int st = wt_stop(&srv, 0, 5000);
    assert_true(st == 0 || st == 1);
    assert_true(wt_now_ms() - t0 < 2500);
    wt_close(busy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(graceful_drain),
        cmocka_unit_test(grace_expires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
