/* test_drain.c - health and readiness, and the two-phase drain on SIGTERM:
 * /readyz turns 503 first while new connections are still accepted and
 * told Connection: close (--drain-delay), then the listeners close, the
 * request in flight gets its whole answer, and the process exits 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt.h"

/* 1 if a TCP connection to port on loopback is refused. */
static int refused(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = connect(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(fd);
    return r < 0 && e == ECONNREFUSED;
}

static void health_and_readiness(void **state)
{
    (void)state;
    wt_server s;
    const char *args[] = {"--quiet", NULL};
    wt_start(&s, "weft-hello", args);
    wt_response r;
    assert_int_equal(wt_request(s.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
    assert_string_equal(r.body, "ok\n");
    wt_response_free(&r);
    assert_int_equal(wt_request(s.port, "GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
    assert_string_equal(r.body, "ready\n");
    wt_response_free(&r);
    assert_int_equal(wt_stop(&s, 15, 5000), 0);
}

static void sigterm_drains_in_two_phases(void **state)
{
    (void)state;
    wt_server s;
    const char *args[] = {"--loops", "2", "--drain-delay", "600", "--shutdown-grace", "5000", NULL};
    wt_start(&s, "weft-hello", args);
    wt_conn *inflight = wt_connect(s.port);
    wt_send_str(inflight, "GET /delay?ms=1500 HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(100000);
    long t0 = wt_now_ms();
    assert_int_equal(kill(s.pid, SIGTERM), 0);
    usleep(100000);

    /* phase one: still accepting, but not ready, and told to go away */
    wt_response r;
    assert_int_equal(wt_request(s.port, "GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n", &r), 503);
    wt_response_free(&r);
    assert_int_equal(wt_request(s.port, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
    char v[32];
    assert_non_null(wt_header(&r, "Connection", v, sizeof v));
    assert_string_equal(v, "close");
    wt_response_free(&r);
    assert_true(wt_now_ms() - t0 < 550);

    /* phase two: the listeners are gone */
    long until = t0 + 3000;
    while (!refused(s.port) && wt_now_ms() < until)
        usleep(20000);
    long closed_after = wt_now_ms() - t0;
    printf("listeners closed %ld ms after SIGTERM (--drain-delay 600)\n", closed_after);
    assert_true(refused(s.port));
    assert_true(closed_after >= 550);

    /* the request in flight gets its whole answer, and the exit is clean */
    assert_int_equal(wt_read_response(inflight, &r, 5000, 0), 0);
    assert_int_equal(r.status, 200);
    wt_response_free(&r);
    wt_close(inflight);
    assert_true(wt_log_contains(&s, "draining: /readyz answers 503 for 600 ms"));
    assert_int_equal(wt_stop(&s, 0, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(health_and_readiness),
        cmocka_unit_test(sigterm_drains_in_two_phases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
