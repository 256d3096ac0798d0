/* test_stats.c - one statistics snapshot across loops (weft_stats_snapshot)
 * and the client's limits given as totals, seen from outside: servers with
 * two loops, real HTTP over loopback, the counters read back over HTTP
 * (weft-hello's /stats, weft-client-app's /client-stats). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt.h"

/* Answers counted by status class, the pool's jobs and the requests, over
 * both loops: every request on a connection of its own, so the kernel
 * spreads them, and the sums come out exact. */
static void server_counters_cover_every_loop(void **state)
{
    (void)state;
    wt_server s;
    const char *args[] = {"--loops", "2", "--quiet", NULL};
    wt_start(&s, "weft-hello", args);
    long ok0 = wt_stat(s.port, "responses_2xx"); /* itself not yet counted */
    long c4xx0 = wt_stat(s.port, "responses_4xx");
    long jobs0 = wt_stat(s.port, "completed");
    long req0 = wt_stat(s.port, "requests");
    for (int i = 0; i < 20; i++)
        assert_int_equal(wt_request(s.port, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", NULL),
                         200);
    for (int i = 0; i < 3; i++)
        assert_int_equal(wt_request(s.port, "GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n", NULL), 404);
    assert_int_equal(wt_request(s.port, "GET /sleep?ms=1 HTTP/1.1\r\nHost: t\r\n\r\n", NULL), 200);
    /* the four /stats reads above answered 200 too, and each was a request */
    assert_int_equal(wt_stat(s.port, "responses_2xx"), ok0 + 4 + 20 + 1);
    assert_int_equal(wt_stat(s.port, "responses_4xx"), c4xx0 + 3);
    assert_int_equal(wt_stat(s.port, "completed"), jobs0 + 1); /* the pool ran /sleep */
    /* 24 requests, and the four reads since req0 (each counts itself) */
    assert_int_equal(wt_stat(s.port, "requests"), req0 + 24 + 4);
    /* Only this read is in flight - once the last request has ended on
     * its loop: a request ends after its answer is written, which the
     * client may have read (and sent this read to the other loop) first. */
    long inflight = -1;
    for (int i = 0; i < 100 && inflight != 1; i++) {
        if (i)
            usleep(10000);
        inflight = wt_stat(s.port, "requests_inflight");
    }
    assert_int_equal(inflight, 1);
    assert_true(wt_stat(s.port, "connections_accepted") >= 30);
    assert_int_equal(wt_stop(&s, 15, 5000), 0);
}

/* The number that follows key on the line of the endpoint at port. */
static long endpoint_figure(int front_port, int backend_port, const char *key)
{
    wt_response r;
    assert_int_equal(wt_request(front_port, "GET /client-stats HTTP/1.1\r\nHost: t\r\n\r\n", &r),
                     200);
    char name[64];
    snprintf(name, sizeof name, "endpoint=127.0.0.1:%d ", backend_port);
    const char *line = strstr(r.body, name);
    long v = -1;
    if (line) {
        const char *end = strchr(line, '\n');
        const char *k = strstr(line, key);
        if (k && (!end || k < end))
            v = strtol(k + strlen(key), NULL, 10);
    }
    wt_response_free(&r);
    return v;
}

/* --max-conns-per-endpoint 8 is the process's total: with two loops each
 * keeps 4. Twenty calls from one request (one loop) to a slow backend:
 * 4 on connections, 16 waiting, as the backend's figures say while they
 * run; afterwards 20 calls, none active or waiting, 4 connections idle. */
static void client_limits_are_totals_and_endpoints_are_counted(void **state)
{
    (void)state;
    wt_server backend, front;
    const char *bargs[] = {"--quiet", NULL};
    wt_start(&backend, "weft-hello", bargs);
    const char *fargs[] = {"--loops", "2", "--max-conns-per-endpoint", "8", "--quiet", NULL};
    wt_start(&front, "weft-client-app", fargs);

    char req[512];
    snprintf(req, sizeof req,
             "GET /fetch-many?url=http%%3A%%2F%%2F127.0.0.1%%3A%d%%2Fdelay%%3Fms%%3D400&n=20 "
             "HTTP/1.1\r\nHost: t\r\n\r\n",
             backend.port);
    wt_conn *c = wt_connect(front.port);
    wt_send_str(c, req);
    long active = -1, waiting = -1;
    long until = wt_now_ms() + 2000;
    while (wt_now_ms() < until) { /* the first wave is on its connections */
        active = endpoint_figure(front.port, backend.port, "active=");
        waiting = endpoint_figure(front.port, backend.port, "waiting=");
        if (active == 4 && waiting == 16)
            break;
        usleep(20000);
    }
    assert_int_equal(active, 4);
    assert_int_equal(waiting, 16);
    assert_int_equal(endpoint_figure(front.port, backend.port, "connections="), 4);

    wt_response r;
    assert_int_equal(wt_read_response(c, &r, wt_sanitized() ? 30000 : 10000, 0), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "ok=20 failed=0"));
    wt_response_free(&r);
    wt_close(c);
    assert_int_equal(endpoint_figure(front.port, backend.port, "calls="), 20);
    assert_int_equal(endpoint_figure(front.port, backend.port, "errors="), 0);
    assert_int_equal(endpoint_figure(front.port, backend.port, "active="), 0);
    assert_int_equal(endpoint_figure(front.port, backend.port, "waiting="), 0);
    assert_int_equal(endpoint_figure(front.port, backend.port, "idle="), 4);
    assert_int_equal(wt_stop(&front, 15, 5000), 0);
    assert_int_equal(wt_stop(&backend, 15, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(server_counters_cover_every_loop),
        cmocka_unit_test(client_limits_are_totals_and_endpoints_are_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
