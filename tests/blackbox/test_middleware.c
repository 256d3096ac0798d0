/* test_middleware.c - the middleware chain and the middleware weft ships,
 * against examples/api (weft-api): request id, Server-Timing, CORS
 * (preflight included), Bearer and Basic authentication on route groups,
 * gzip, the timeout pages of an async and a sync route, and the chain on
 * answers no route made (404). Over HTTP/1.1 with raw requests, and over
 * h2c with curl. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "wt.h"

static wt_server api;

static int get(const char *target, const char *extra_headers, wt_response *r)
{
    char raw[2048];
    snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n", target,
             extra_headers ? extra_headers : "");
    int status = wt_request(api.port, raw, r);
    assert_true(status > 0);
    return status;
}

static const char *hdr(const wt_response *r, const char *name)
{
    static char v[4][512];
    static int i;
    i = (i + 1) % 4;
    return wt_header(r, name, v[i], sizeof v[i]);
}

/* The id the client sent comes back and is the one in the access log; a
 * request without one gets one made. Server-Timing has its figure. */
static void request_id_and_timing(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(get("/items/7", "X-Request-Id: trace-abc.123\r\n", &r), 200);
    assert_string_equal(hdr(&r, "X-Request-Id"), "trace-abc.123");
    double ms = -1;
    assert_int_equal(sscanf(hdr(&r, "Server-Timing"), "app;dur=%lf", &ms), 1);
    assert_true(ms >= 0 && ms < 1000);
    wt_response_free(&r);
    assert_true(wt_wait_log(&api, "\"GET /items/7 HTTP/1.1\" 200", 3000));
    assert_true(wt_wait_log(&api, " trace-abc.123", 3000));
    /* none sent: one made, and the log names that same one */
    assert_int_equal(get("/items/8", NULL, &r), 200);
    const char *made = hdr(&r, "X-Request-Id");
    assert_non_null(made);
    assert_true(strlen(made) > 8);
    char logged[128];
    snprintf(logged, sizeof logged, "\"GET /items/8 HTTP/1.1\" 200 25 \"-\" \"-\" ");
    assert_true(wt_wait_log(&api, logged, 3000));
    assert_true(wt_wait_log(&api, made, 3000));
    wt_response_free(&r);
}

/* Answers no route made pass the app's chain too. */
static void chain_on_404(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(get("/nothing/here", NULL, &r), 404);
    assert_non_null(hdr(&r, "X-Request-Id"));
    assert_non_null(hdr(&r, "Server-Timing"));
    wt_response_free(&r);
}

static void cors(void **state)
{
    (void)state;
    wt_response r;
    /* a preflight for a path routed only for GET: answered by CORS */
    int status = wt_request(api.port,
                            "OPTIONS /items/3 HTTP/1.1\r\nHost: t\r\n"
                            "Origin: https://app.example\r\n"
                            "Access-Control-Request-Method: PUT\r\n"
                            "Access-Control-Request-Headers: content-type, x-thing\r\n\r\n",
                            &r);
    assert_int_equal(status, 204);
    assert_string_equal(hdr(&r, "Access-Control-Allow-Origin"), "https://app.example");
    assert_non_null(strstr(hdr(&r, "Access-Control-Allow-Methods"), "PUT"));
    assert_string_equal(hdr(&r, "Access-Control-Allow-Headers"), "content-type, x-thing");
    assert_string_equal(hdr(&r, "Access-Control-Max-Age"), "600");
    assert_string_equal(hdr(&r, "Vary"), "Origin");
    assert_non_null(hdr(&r, "X-Request-Id")); /* the outer steps saw the early answer */
    wt_response_free(&r);
    /* a preflight from an origin not listed: 403, no CORS headers */
    status = wt_request(api.port,
                        "OPTIONS /items/3 HTTP/1.1\r\nHost: t\r\n"
                        "Origin: https://evil.example\r\n"
                        "Access-Control-Request-Method: DELETE\r\n\r\n",
                        &r);
    assert_int_equal(status, 403);
    assert_null(hdr(&r, "Access-Control-Allow-Origin"));
    wt_response_free(&r);
    /* a plain request from the listed origin: allowed, headers exposed */
    assert_int_equal(get("/items/3", "Origin: https://app.example\r\n", &r), 200);
    assert_string_equal(hdr(&r, "Access-Control-Allow-Origin"), "https://app.example");
    assert_string_equal(hdr(&r, "Access-Control-Expose-Headers"), "X-Request-Id, Server-Timing");
    wt_response_free(&r);
    /* ... from another: answered (the browser refuses it), no ACAO */
    assert_int_equal(get("/items/3", "Origin: https://evil.example\r\n", &r), 200);
    assert_null(hdr(&r, "Access-Control-Allow-Origin"));
    assert_string_equal(hdr(&r, "Vary"), "Origin");
    wt_response_free(&r);
    /* an OPTIONS that is no preflight is the router's: 405 */
    status = wt_request(api.port, "OPTIONS /items/3 HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(status, 405);
    wt_response_free(&r);
}

static void bearer_auth_on_a_group(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(get("/admin/stats", NULL, &r), 401);
    assert_string_equal(hdr(&r, "WWW-Authenticate"), "Bearer realm=\"weft-api admin\"");
    assert_non_null(hdr(&r, "X-Request-Id")); /* the app's chain is around the group's */
    wt_response_free(&r);
    assert_int_equal(get("/admin/stats", "Authorization: Bearer wrong\r\n", &r), 401);
    wt_response_free(&r);
    assert_int_equal(get("/admin/stats", "Authorization: Basic czNjcmV0\r\n", &r), 401);
    wt_response_free(&r);
    /* a path under the group no route takes: the group's chain, so 401 */
    assert_int_equal(get("/admin/secret-plans", NULL, &r), 401);
    wt_response_free(&r);
    assert_int_equal(get("/admin/stats", "Authorization: bearer s3cret\r\n", &r), 200);
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "user")), "admin");
    json_decref(j);
    wt_response_free(&r);
    /* outside the group no authentication is asked */
    assert_int_equal(get("/items/1", NULL, &r), 200);
    wt_response_free(&r);
}

static void basic_auth(void **state)
{
    (void)state;
    wt_response r;
    /* ann:open sesame */
    assert_int_equal(get("/account/me", "Authorization: Basic YW5uOm9wZW4gc2VzYW1l\r\n", &r),
                     200);
    assert_non_null(strstr(r.body, "\"user\":\"ann\""));
    wt_response_free(&r);
    assert_int_equal(get("/account/me", NULL, &r), 401);
    assert_string_equal(hdr(&r, "WWW-Authenticate"), "Basic realm=\"weft-api\", charset=\"UTF-8\"");
    wt_response_free(&r);
    static const char *const bad[] = {
        "Authorization: Basic YW5uOndyb25n\r\n",       /* ann:wrong */
        "Authorization: Basic YW5u\r\n",               /* ann, no colon */
        "Authorization: Basic YW5uOm9wZW4gc2VzYW1\r\n", /* not a multiple of 4 */
        "Authorization: Basic YW5u=m9w\r\n",            /* padding inside */
        "Authorization: Basic !!!!\r\n",
        "Authorization: Basic\r\n",
        "Authorization: Bearer YW5uOm9wZW4gc2VzYW1l\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(get("/account/me", bad[i], &r), 401);
        wt_response_free(&r);
    }
}

static size_t gunzip(const char *in, size_t len, char *out, size_t cap)
{
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = z.total_out;
    inflateEnd(&z);
    return n;
}

static void gzip(void **state)
{
    (void)state;
    wt_response plain, zipped;
    assert_int_equal(get("/items?n=200", NULL, &plain), 200);
    assert_null(hdr(&plain, "Content-Encoding"));
    assert_string_equal(hdr(&plain, "Vary"), "Accept-Encoding");
    assert_int_equal(get("/items?n=200", "Accept-Encoding: br, gzip;q=0.8\r\n", &zipped), 200);
    assert_string_equal(hdr(&zipped, "Content-Encoding"), "gzip");
    assert_true(zipped.body_len * 5 < plain.body_len);
    static char out[1 << 20];
    size_t n = gunzip(zipped.body, zipped.body_len, out, sizeof out);
    assert_int_equal(n, plain.body_len);
    assert_memory_equal(out, plain.body, n);
    wt_response_free(&plain);
    wt_response_free(&zipped);
    /* below the threshold, refused by q=0, or no textual type: as it was */
    assert_int_equal(get("/items?n=1", "Accept-Encoding: gzip\r\n", &zipped), 200);
    assert_null(hdr(&zipped, "Content-Encoding"));
    wt_response_free(&zipped);
    assert_int_equal(get("/items?n=200", "Accept-Encoding: gzip;q=0, identity\r\n", &zipped), 200);
    assert_null(hdr(&zipped, "Content-Encoding"));
    wt_response_free(&zipped);
    /* HEAD says the length GET sends */
    assert_int_equal(get("/items?n=200", "Accept-Encoding: gzip\r\n", &zipped), 200);
    char raw[256];
    snprintf(raw, sizeof raw, "HEAD /items?n=200 HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n");
    wt_conn *c = wt_connect(api.port);
    wt_send_str(c, raw);
    wt_response head;
    assert_int_equal(wt_read_response(c, &head, 5000, 1), 0);
    assert_string_equal(hdr(&head, "Content-Length"), hdr(&zipped, "Content-Length"));
    assert_string_equal(hdr(&head, "Content-Encoding"), "gzip");
    wt_close(c);
    wt_response_free(&head);
    wt_response_free(&zipped);
}

/* Both slow routes have a 200 ms deadline and their own page: the async
 * one's runs on the loop in the request's context, the sync one's in a
 * context of its own while the worker still sleeps. */
static void timeout_pages(void **state)
{
    (void)state;
    static const char *const paths[] = {"/slow-async?ms=2000", "/slow-sync?ms=1500"};
    for (int i = 0; i < 2; i++) {
        wt_response r;
        long t0 = wt_now_ms();
        assert_int_equal(get(paths[i], "X-Request-Id: slow-one\r\n", &r), 503);
        long took = wt_now_ms() - t0;
        assert_true(took >= 190 && took < 1200);
        json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "error")),
                            "this took too long; try again later");
        assert_string_equal(json_string_value(json_object_get(j, "request_id")), "slow-one");
        json_decref(j);
        assert_string_equal(hdr(&r, "X-Request-Id"), "slow-one");
        assert_non_null(hdr(&r, "Vary")); /* the after-steps ran on it */
        wt_response_free(&r);
    }
    /* in time: the handlers' own answers */
    wt_response r;
    assert_int_equal(get("/slow-sync?ms=20", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"slept_ms\":20"));
    wt_response_free(&r);
    assert_int_equal(get("/slow-async?ms=20", NULL, &r), 200);
    wt_response_free(&r);
}

/* The same chain over HTTP/2: curl as an h2c client. */
static void over_http2(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "curl -s --max-time 10 --http2-prior-knowledge --compressed -D - "
             "-H 'Origin: https://app.example' -H 'X-Request-Id: h2-req' "
             "-w '\\nversion=%%{http_version}' 'http://127.0.0.1:%d/items?n=100'",
             api.port);
    static char out[65536];
    assert_int_equal(wt_capture(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "HTTP/2 200"));
    assert_non_null(strstr(out, "x-request-id: h2-req"));
    assert_non_null(strstr(out, "server-timing: app;dur="));
    assert_non_null(strstr(out, "content-encoding: gzip"));
    assert_non_null(strstr(out, "access-control-allow-origin: https://app.example"));
    assert_non_null(strstr(out, "\"count\":100}")); /* curl unzipped it */
    assert_non_null(strstr(out, "version=2"));
}

static int setup(void **state)
{
    (void)state;
    static const char *const args[] = {"--loops", "1", "--h2c", "--cors-origin",
                                       "https://app.example, https://other.example", NULL};
    wt_start(&api, "weft-api", args);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return wt_stop(&api, 15, 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_id_and_timing), cmocka_unit_test(chain_on_404),
        cmocka_unit_test(cors),                  cmocka_unit_test(bearer_auth_on_a_group),
        cmocka_unit_test(basic_auth),            cmocka_unit_test(gzip),
        cmocka_unit_test(timeout_pages),         cmocka_unit_test(over_http2),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
