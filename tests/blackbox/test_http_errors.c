/* test_http_errors.c - bad input over real TCP: each malformed request
 * gets its precise status, then a clean close; the server keeps serving. */
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
    static const char *const args[] = {"--loops", "1", "--max-body", "100000", NULL};
    wt_start(&srv, "weft-hello", args);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(wt_stop(&srv, 15, 5000), 0);
    return 0;
}

/* Sends raw, expects `status`, a readable body, Connection: close, and
 * the connection closed after it. */
static void expect_error(const char *raw, size_t len, int status)
{
    wt_conn *c = wt_connect(srv.port);
    wt_send(c, raw, len);
    wt_response r;
    if (wt_read_response(c, &r, 5000, 0) != 0)
        fail_msg("no response for %.60s", raw);
    if (r.status != status)
        fail_msg("got %d, want %d for %.60s", r.status, status, raw);
    char v[32];
    assert_string_equal(wt_header(&r, "Connection", v, sizeof v), "close");
    char prefix[8];
    snprintf(prefix, sizeof prefix, "%d ", status);
    assert_true(strncmp(r.body, prefix, 4) == 0);
    wt_response_free(&r);
    assert_int_equal(wt_wait_closed(c, 3000), 1);
    wt_close(c);
}

#define EXPECT(raw, status) expect_error((raw), sizeof(raw) - 1, (status))

static void malformed_syntax_is_400(void **state)
{
    (void)state;
    EXPECT("GARBAGE\r\n\r\n", 400);
    EXPECT("GET /\r\n\r\n", 400);
    EXPECT("G@T / HTTP/1.1\r\nHost: t\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n  folded\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: t\rX: y\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: t\r\nX: a\x01z\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\n\r\n", 400);
}

static void framing_conflicts_are_400(void **state)
{
    (void)state;
    EXPECT("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
           "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
           400);
    EXPECT("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
           400);
    EXPECT("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3x\r\n\r\nabc", 400);
    EXPECT("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n", 400);
    EXPECT("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
           "3\r\nabcXX\r\n",
           400);
}

static void unsupported_is_501_and_505(void **state)
{
    (void)state;
    EXPECT("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
    EXPECT("GET /plaintext HTTP/2.0\r\nHost: t\r\n\r\n", 505);
    EXPECT("GET /plaintext HTTP/0.9\r\nHost: t\r\n\r\n", 505);
}

static void size_limits(void **state)
{
    (void)state;
    /* request line over 8 KiB: 414 */
    size_t n = 9000;
    char *big = malloc(n + 64);
    memcpy(big, "GET /", 5);
    memset(big + 5, 'a', n);
    strcpy(big + 5 + n, " HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_error(big, strlen(big), 414);
    /* header block over 32 KiB: 431 */
    char *hb = malloc(40000);
    int len = snprintf(hb, 40000, "GET / HTTP/1.1\r\nHost: t\r\nX: ");
    memset(hb + len, 'v', 34000);
    strcpy(hb + len + 34000, "\r\n\r\n");
    expect_error(hb, strlen(hb), 431);
    /* more than 100 fields: 431 */
    len = snprintf(hb, 40000, "GET / HTTP/1.1\r\nHost: t\r\n");
    for (int i = 0; i < 101; i++)
        len += snprintf(hb + len, (size_t)(40000 - len), "X-%d: v\r\n", i);
    strcpy(hb + len, "\r\n");
    expect_error(hb, strlen(hb), 431);
    free(hb);
    free(big);
}

static void body_limits_are_413(void **state)
{
    (void)state;
    /* declared too large: refused before the body is read */
    EXPECT("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100001\r\n\r\n", 413);
    /* chunked that grows past the limit */
    char *raw = malloc(120000);
    int len = snprintf(raw, 120000, "POST /echo HTTP/1.1\r\nHost: t\r\n"
                                    "Transfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; i++) {
        len += snprintf(raw + len, (size_t)(120000 - len), "8000\r\n");
        memset(raw + len, 'z', 0x8000);
        len += 0x8000;
        len += snprintf(raw + len, (size_t)(120000 - len), "\r\n");
    }
    len += snprintf(raw + len, (size_t)(120000 - len), "8000\r\n");
    expect_error(raw, (size_t)len, 413);
    free(raw);
}

/* The limit is inclusive: a body of exactly --max-body bytes (100000) is
 * served, declared or chunked; one byte more is 413 either way. */
static void body_at_the_limit_is_served(void **state)
{
    (void)state;
    for (int chunked = 0; chunked <= 1; chunked++)
        for (int extra = 0; extra <= 1; extra++) {
            size_t n = 100000 + (size_t)extra;
            char *raw = malloc(n + 256);
            int len = chunked ? snprintf(raw, 256, "POST /echo HTTP/1.1\r\nHost: t\r\n"
                                                  "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", n)
                              : snprintf(raw, 256, "POST /echo HTTP/1.1\r\nHost: t\r\n"
                                                  "Content-Length: %zu\r\n\r\n", n);
            memset(raw + len, 'b', n);
            len += (int)n;
            if (chunked)
                len += snprintf(raw + len, 256, "\r\n0\r\n\r\n");
            wt_conn *c = wt_connect(srv.port);
            wt_send(c, raw, (size_t)len);
            wt_response r;
            assert_int_equal(wt_read_response(c, &r, 5000, 0), 0);
            if (r.status != (extra ? 413 : 200) || (!extra && r.body_len != n))
                fail_msg("%s body of %zu bytes: %d (%zu bytes back)", chunked ? "chunked" : "declared",
                         n, r.status, r.body_len);
            wt_response_free(&r);
            wt_close(c);
            free(raw);
        }
}

static void expectation_failed(void **state)
{
    (void)state;
    EXPECT("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: tea\r\nContent-Length: 1\r\n\r\nx", 417);
}

/* Expect: 100-continue with a body over the limit: 413 at once, and no
 * 100 Continue first. */
static void expect_with_oversize_body(void **state)
{
    (void)state;
    EXPECT("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
           "Content-Length: 999999\r\n\r\n",
           413);
}

static void server_survives_garbage(void **state)
{
    (void)state;
    unsigned seed = 12345;
    for (int i = 0; i < 200; i++) {
        char junk[512];
        size_t n = 1 + (size_t)(rand_r(&seed) % (int)sizeof junk);
        for (size_t k = 0; k < n; k++)
            junk[k] = (char)rand_r(&seed);
        wt_conn *c = wt_connect(srv.port);
        wt_send(c, junk, n);
        wt_send_str(c, "\r\n\r\n");
        wt_response r;
        if (wt_read_response(c, &r, 3000, 0) == 0) {
            assert_true(r.status >= 400 && r.status < 600);
            wt_response_free(&r);
        }
        wt_close(c);
    }
    assert_int_equal(wt_request(srv.port, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", NULL), 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(malformed_syntax_is_400),
        cmocka_unit_test(framing_conflicts_are_400),
        cmocka_unit_test(unsupported_is_501_and_505),
        cmocka_unit_test(size_limits),
        cmocka_unit_test(body_limits_are_413),
        cmocka_unit_test(body_at_the_limit_is_served),
        cmocka_unit_test(expectation_failed),
        cmocka_unit_test(expect_with_oversize_body),
        cmocka_unit_test(server_survives_garbage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
