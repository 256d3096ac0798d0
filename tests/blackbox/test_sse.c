/* test_sse.c - server-sent events (weft_sse_*) against weft-hello's
 * /events: the event format, heartbeat comments while nothing else goes
 * out, numbering on from Last-Event-ID, and a client that leaves
 * mid-stream (the heartbeat's timer stops with the request: the sanitizer
 * builds would see it fire on freed memory otherwise). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt.h"

#define srv wt_hello /* wt_hello_setup starts it */

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void events_and_heartbeats(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(wt_request(srv.port, "GET /events?n=2&ms=300&beat=100 HTTP/1.1\r\n"
                                          "Host: t\r\n\r\n",
                                &r),
                     200);
    char v[64];
    assert_non_null(wt_header(&r, "Content-Type", v, sizeof v));
    assert_string_equal(v, "text/event-stream; charset=utf-8");
    assert_non_null(wt_header(&r, "Cache-Control", v, sizeof v));
    assert_string_equal(v, "no-cache");
    assert_non_null(strstr(r.body, "event: tick\nid: 1\ndata: tick 1\ndata: line two\n\n"));
    assert_non_null(strstr(r.body, "event: tick\nid: 2\ndata: tick 2\ndata: line two\n\n"));
    /* 300 ms between events, a beat after 100 ms of silence: 2 per gap */
    int beats = count(r.body, ":\n\n");
    if (beats < 2 || beats > 6)
        fail_msg("%d heartbeats in %s", beats, r.body);
    wt_response_free(&r);
}

static void numbering_resumes_from_last_event_id(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(wt_request(srv.port, "GET /events?n=1&ms=10 HTTP/1.1\r\nHost: t\r\n"
                                          "Last-Event-ID: 41\r\n\r\n",
                                &r),
                     200);
    assert_string_equal(r.body, "event: tick\nid: 42\ndata: tick 42\ndata: line two\n\n");
    wt_response_free(&r);
}

static void client_leaving_mid_stream(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        wt_conn *c = wt_connect(srv.port);
        wt_send_str(c, "GET /events?n=100&ms=50&beat=10 HTTP/1.1\r\nHost: t\r\n\r\n");
        wt_response r;
        assert_int_equal(wt_read_response(c, &r, 3000, 1), 0); /* the head */
        wt_response_free(&r);
        usleep(60000);
        wt_reset(c); /* gone, mid-stream */
    }
    usleep(100000); /* heartbeats would have been due */
    assert_int_equal(wt_request(srv.port, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", NULL),
                     200);
    /* logged as nginx does a client that closed first */
    assert_true(wt_wait_log(&srv, "\"GET /events?n=100&ms=50&beat=10 HTTP/1.1\" 499", 3000));
}

/* Over HTTP/2 (h2c, curl as the client): the same events, as DATA. */
static void over_http2(void **state)
{
    (void)state;
    wt_server h2;
    static const char *const args[] = {"--loops", "1", "--h2c", NULL};
    wt_start(&h2, "weft-hello", args);
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "curl -s --max-time 10 --http2-prior-knowledge -w '%%{http_version}' "
             "'http://127.0.0.1:%d/events?n=2&ms=200&beat=80'",
             h2.port);
    char out[4096];
    assert_int_equal(wt_capture(cmd, out, sizeof out), 0);
    size_t n = strlen(out);
    assert_non_null(strstr(out, "event: tick\nid: 2\ndata: tick 2\ndata: line two\n\n"));
    assert_true(count(out, ":\n\n") >= 2);
    assert_true(n >= 1 && out[n - 1] == '2'); /* curl's http_version: 2 */
    assert_int_equal(wt_stop(&h2, 15, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_and_heartbeats),
        cmocka_unit_test(numbering_resumes_from_last_event_id),
        cmocka_unit_test(client_leaving_mid_stream),
        cmocka_unit_test(over_http2),
    };
    return cmocka_run_group_tests(tests, wt_hello_setup, wt_hello_teardown);
}
