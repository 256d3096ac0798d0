/* test_http.c - weft-hello over real TCP: responses, keep-alive,
 * pipelining, bodies, HEAD, HTTP/1.0, 404/405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt.h"

static wt_server srv;

static int setup(void **state)
{
    (void)state;
    static const char *const args[] = {"--loops", "2", NULL};
    wt_start(&srv, "weft-hello", args);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(wt_stop(&srv, 15, 5000), 0);
    return 0;
}

static void plaintext_and_json(void **state)
{
    (void)state;
    wt_response r;
    char v[128];
    assert_int_equal(wt_request(srv.port, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
    assert_string_equal(r.body, "Hello, World!");
    assert_string_equal(wt_header(&r, "Content-Type", v, sizeof v), "text/plain");
    assert_string_equal(wt_header(&r, "Server", v, sizeof v), "weft");
    assert_non_null(wt_header(&r, "Date", v, sizeof v));
    assert_int_equal(strlen(v), 29);
    wt_response_free(&r);
    assert_int_equal(wt_request(srv.port, "GET /json HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
    assert_string_equal(r.body, "{\"message\":\"Hello, World!\"}");
    wt_response_free(&r);
}

/* One combined-format line per request, then its duration and id; what
 * the client sent cannot break out of its quotes or start a line of its
 * own. */
static void access_log_lines(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(wt_request(srv.port,
                                "GET /plaintext?from=log HTTP/1.1\r\nHost: t\r\n"
                                "Referer: http://r.example/\r\n"
                                "User-Agent: evil\" \"forged\\agent\t1\r\n\r\n",
                                &r),
                     200);
    wt_response_free(&r);
    assert_true(wt_wait_log(&srv,
                            "\"GET /plaintext?from=log HTTP/1.1\" 200 13 \"http://r.example/\" "
                            "\"evil\\x22 \\x22forged\\x5Cagent\\x091\" 0.0",
                            3000));
    /* the peer, asked of the kernel at accept because the log is on */
    assert_int_equal(wt_request(srv.port, "GET /peer HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
    assert_string_equal(r.body, "127.0.0.1");
    wt_response_free(&r);
    assert_true(wt_wait_log(&srv, "\"GET /peer HTTP/1.1\" 200 9 ", 3000));
    assert_true(wt_log_contains(&srv, "127.0.0.1 - - ["));
}

static void keep_alive_many_requests(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(srv.port);
    for (int i = 0; i < 50; i++) {
        wt_send_str(c, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
        wt_response r;
        assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
        assert_int_equal(r.status, 200);
        char v[32];
        assert_null(wt_header(&r, "Connection", v, sizeof v));
        wt_response_free(&r);
    }
    wt_close(c);
}

/* Ten requests in one write, each with a distinct body: answered in
 * order, on the same connection. */
static void pipelined_in_order(void **state)
{
    (void)state;
    char batch[4096];
    size_t len = 0;
    for (int i = 0; i < 10; i++)
        len += (size_t)snprintf(batch + len, sizeof batch - len,
                                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\nreq-%02d",
                                i);
    wt_conn *c = wt_connect(srv.port);
    wt_send(c, batch, len);
    for (int i = 0; i < 10; i++) {
        wt_response r;
        assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
        assert_int_equal(r.status, 200);
        char want[8];
        snprintf(want, sizeof want, "req-%02d", i);
        assert_string_equal(r.body, want);
        wt_response_free(&r);
    }
    wt_close(c);
}

/* Pipelined requests mixing inline answers and a worker-pool answer keep
 * their order too. */
static void pipelined_mixed_kinds(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(srv.port);
    wt_send_str(c, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"
                   "GET /sleep?ms=100 HTTP/1.1\r\nHost: t\r\n\r\n"
                   "GET /json HTTP/1.1\r\nHost: t\r\n\r\n");
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_string_equal(r.body, "Hello, World!");
    wt_response_free(&r);
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_string_equal(r.body, "slept 100 ms on a worker thread\n");
    wt_response_free(&r);
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_string_equal(r.body, "{\"message\":\"Hello, World!\"}");
    wt_response_free(&r);
    wt_close(c);
}

static void chunked_upload(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(wt_request(srv.port,
                                "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "4\r\nWeft\r\n6;name=val\r\n rocks\r\n0\r\nX-T: 1\r\n\r\n",
                                &r),
                     200);
    assert_string_equal(r.body, "Weft rocks");
    wt_response_free(&r);
}

/* A body larger than the read buffer, sent in pieces. */
static void large_body_in_pieces(void **state)
{
    (void)state;
    size_t n = 300000;
    char *body = malloc(n);
    for (size_t i = 0; i < n; i++)
        body[i] = (char)('a' + i % 26);
    wt_conn *c = wt_connect(srv.port);
    char head[128];
    snprintf(head, sizeof head, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", n);
    wt_send_str(c, head);
    for (size_t off = 0; off < n; off += 70000)
        wt_send(c, body + off, n - off < 70000 ? n - off : 70000);
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 5000, 0), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, n);
    assert_memory_equal(r.body, body, n);
    wt_response_free(&r);
    free(body);
    wt_close(c);
}

static void expect_100_continue(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(srv.port);
    wt_send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                   "Expect: 100-continue\r\n\r\n");
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_int_equal(r.status, 100);
    wt_response_free(&r);
    wt_send_str(c, "hello");
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello");
    wt_response_free(&r);
    wt_close(c);
}

static void streamed_response(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(wt_request(srv.port, "GET /stream?n=3 HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
    assert_true(r.chunked);
    assert_string_equal(r.body, "chunk 0\nchunk 1\nchunk 2\n");
    wt_response_free(&r);
    /* HTTP/1.0 gets the same body close-delimited */
    assert_int_equal(wt_request(srv.port, "GET /stream?n=2 HTTP/1.0\r\n\r\n", &r), 200);
    assert_false(r.chunked);
    assert_string_equal(r.body, "chunk 0\nchunk 1\n");
    wt_response_free(&r);
}

static void head_has_no_body(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(srv.port);
    wt_send_str(c, "HEAD /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"
                   "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
    wt_response r;
    char v[32];
    assert_int_equal(wt_read_response(c, &r, 3000, 1), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(wt_header(&r, "Content-Length", v, sizeof v), "13");
    wt_response_free(&r);
    /* the next response starts right away: no stray body bytes */
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_string_equal(r.body, "Hello, World!");
    wt_response_free(&r);
    wt_close(c);
}

static void http10_close_and_keepalive(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(srv.port);
    wt_send_str(c, "GET /plaintext HTTP/1.0\r\n\r\n");
    wt_response r;
    char v[32];
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_int_equal(r.minor, 1);
    assert_string_equal(wt_header(&r, "Connection", v, sizeof v), "close");
    wt_response_free(&r);
    assert_int_equal(wt_wait_closed(c, 3000), 1);
    wt_close(c);

    c = wt_connect(srv.port);
    wt_send_str(c, "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_string_equal(wt_header(&r, "Connection", v, sizeof v), "keep-alive");
    wt_response_free(&r);
    wt_send_str(c, "GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_int_equal(r.status, 200);
    wt_response_free(&r);
    wt_close(c);
}

static void connection_close_honoured(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(srv.port);
    wt_send_str(c, "GET /plaintext HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    wt_response r;
    char v[32];
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_string_equal(wt_header(&r, "Connection", v, sizeof v), "close");
    wt_response_free(&r);
    assert_int_equal(wt_wait_closed(c, 3000), 1);
    wt_close(c);
}

static void not_found_and_method(void **state)
{
    (void)state;
    wt_response r;
    char v[64];
    wt_conn *c = wt_connect(srv.port);
    wt_send_str(c, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_int_equal(r.status, 404);
    wt_response_free(&r);
    /* not a protocol error: the connection stays usable */
    wt_send_str(c, "DELETE /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_int_equal(r.status, 405);
    assert_string_equal(wt_header(&r, "Allow", v, sizeof v), "GET, HEAD");
    wt_response_free(&r);
    wt_send_str(c, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(wt_read_response(c, &r, 3000, 0), 0);
    assert_int_equal(r.status, 200);
    wt_response_free(&r);
    wt_close(c);
}

static void query_decoding_reaches_handler(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(wt_request(srv.port, "GET /sleep?ms=%31%30 HTTP/1.1\r\nHost: t\r\n\r\n", &r),
                     200);
    assert_string_equal(r.body, "slept 10 ms on a worker thread\n");
    wt_response_free(&r);
    assert_int_equal(wt_request(srv.port, "GET /sleep?ms=-5 HTTP/1.1\r\nHost: t\r\n\r\n", NULL),
                     400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plaintext_and_json),
        cmocka_unit_test(access_log_lines),
        cmocka_unit_test(keep_alive_many_requests),
        cmocka_unit_test(pipelined_in_order),
        cmocka_unit_test(pipelined_mixed_kinds),
        cmocka_unit_test(chunked_upload),
        cmocka_unit_test(large_body_in_pieces),
        cmocka_unit_test(expect_100_continue),
        cmocka_unit_test(streamed_response),
        cmocka_unit_test(head_has_no_body),
        cmocka_unit_test(http10_close_and_keepalive),
        cmocka_unit_test(connection_close_honoured),
        cmocka_unit_test(not_found_and_method),
        cmocka_unit_test(query_decoding_reaches_handler),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
