/* test_pgw.c - the seeds' sample application over real HTTP: pgw-backend
 * and pgw-front started on free loopback ports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt.h"
#include "wt_fault.h"

static wt_server backend, front;
/* "h2" as the first argument: the same tests with the front calling the
 * backend over HTTP/2 (--backend-http2 to a --h2c backend). */
static int use_h2;

static int setup(void **state)
{
    (void)state;
    static const char *const bargs[] = {"--quiet", NULL, NULL};
    static const char *const bargs_h2[] = {"--quiet", "--h2c", NULL};
    wt_start(&backend, "pgw-backend", use_h2 ? bargs_h2 : bargs);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", backend.port);
    const char *fargs[] = {"--backend", url, use_h2 ? "--backend-http2" : NULL, NULL};
    wt_start(&front, "pgw-front", fargs);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(wt_stop(&front, 15, 10000), 0);
    if (backend.pid)
        assert_int_equal(wt_stop(&backend, 15, 10000), 0);
    return 0;
}

static int get(const wt_server *s, const char *target, wt_response *r, long *ms)
{
    char req[256];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", target);
    long t0 = wt_now_ms();
    int st = wt_request(s->port, req, r);
    if (ms)
        *ms = wt_now_ms() - t0;
    return st;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void backend_api(void **state)
{
    (void)state;
    wt_response r;
    long ms;
    assert_int_equal(get(&backend, "/api/gizmos?delay=20", &r, &ms), 200);
    assert_true(ms >= 18);
    assert_int_equal(r.body[0], '[');
    assert_int_equal(count(r.body, "\"id\":"), 10);
    assert_non_null(strstr(r.body, "\"weight\":"));
    wt_response_free(&r);
    assert_int_equal(get(&backend, "/api/widgets/3?delay=0", &r, NULL), 200);
    assert_non_null(strstr(r.body, "\"id\":3"));
    assert_non_null(strstr(r.body, "\"color\":"));
    wt_response_free(&r);
    assert_int_equal(get(&backend, "/api/products/11?delay=0", NULL, NULL), 404);
    assert_int_equal(get(&backend, "/api/nothing", NULL, NULL), 404);
    assert_int_equal(get(&backend, "/api/gizmos?delay=soon", NULL, NULL), 400);
    /* the default delay is 500 ms */
    assert_int_equal(get(&backend, "/api/products", &r, &ms), 200);
    assert_true(ms >= 495 && ms < 1500);
    wt_response_free(&r);
}

static void each_page_has_its_tables(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        int tables;
    } pages[] = {
        {"/gizmos?delay=10", 1}, {"/gizmos-async?delay=10", 1}, {"/pwg?delay=10", 3},
        {"/pwg-async?delay=10", 3}, {"/pwg-callback?delay=10", 3},
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        wt_response r;
        assert_int_equal(get(&front, pages[i].path, &r, NULL), 200);
        char v[64];
        assert_string_equal(wt_header(&r, "Content-Type", v, sizeof v), "text/html; charset=utf-8");
        assert_int_equal(count(r.body, "<table>"), pages[i].tables);
        assert_int_equal(count(r.body, "<tr><td>"), 10 * pages[i].tables);
        assert_non_null(strstr(r.body, "Elapsed time: <span class=\"elapsed\""));
        assert_non_null(strstr(r.body, "Flux Capacitor") ? "gizmo" : NULL);
        wt_response_free(&r);
    }
    wt_response r;
    assert_int_equal(get(&front, "/", &r, NULL), 200);
    assert_int_equal(count(r.body, "<li><a href="), 6);
    wt_response_free(&r);
}

/* The seeds' point: ~1500 ms in sequence, ~500 ms in parallel. */
static void parallel_beats_sequential(void **state)
{
    (void)state;
    long seq, par, cb;
    wt_response r;
    assert_int_equal(get(&front, "/pwg?delay=500", &r, &seq), 200);
    wt_response_free(&r);
    assert_int_equal(get(&front, "/pwg-async?delay=500", &r, &par), 200);
    wt_response_free(&r);
    assert_int_equal(get(&front, "/pwg-callback?delay=500", &r, &cb), 200);
    wt_response_free(&r);
    printf("# /pwg %ld ms, /pwg-async %ld ms, /pwg-callback %ld ms\n", seq, par, cb);
    assert_true(seq >= 1500);
    assert_true(par < 1000);
    assert_true(cb < 1000);
}

static void cancel_demo_both_ways(void **state)
{
    (void)state;
    wt_response r;
    long ms;
    assert_int_equal(get(&front, "/gizmos-cancel-async?delay=20", &r, &ms), 200);
    assert_int_equal(count(r.body, "<tr><td>"), 10);
    wt_response_free(&r);
    assert_int_equal(get(&front, "/gizmos-cancel-async?delay=600", &r, &ms), 504);
    assert_non_null(strstr(r.body, "Timeout Error"));
    assert_non_null(strstr(r.body, "150 ms timeout"));
    assert_true(ms >= 140 && ms < 600);
    wt_response_free(&r);
}

static void json_twins(void **state)
{
    (void)state;
    static const char *const paths[] = {"/json/gizmos?delay=10", "/json/gizmos-async?delay=10",
                                        "/json/pwg?delay=10", "/json/pwg-async?delay=10"};
    for (size_t i = 0; i < 4; i++) {
        wt_response r;
        assert_int_equal(get(&front, paths[i], &r, NULL), 200);
        assert_true(strncmp(r.body, "{\"elapsed_ms\":", 14) == 0);
        assert_non_null(strstr(r.body, "\"gizmos\":[{"));
        if (strstr(paths[i], "pwg"))
            assert_non_null(strstr(r.body, "\"widgets\":[{"));
        wt_response_free(&r);
    }
}

/* Values from the backend are HTML-escaped: nothing it sends becomes
 * markup. A fake backend serves a gizmo named with HTML in it. */
/* A backend's 200 answer with a JSON body, for a fake backend. */
static const char *json_answer(char *out, size_t cap, const char *body)
{
    snprintf(out, cap,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    return out;
}

/* GET path from a pgw-front whose backend always answers `response`. */
static int get_with_fake_backend(const char *response, const char *path, wt_response *r)
{
    wt_fault *fake = wt_fault_start_fixed(response);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", wt_fault_port(fake));
    const char *args[] = {"--backend", url, NULL};
    wt_server f2;
    wt_start(&f2, "pgw-front", args);
    int status = get(&f2, path, r, NULL);
    assert_int_equal(wt_stop(&f2, 15, 5000), 0);
    wt_fault_stop(fake);
    return status;
}

static void values_are_escaped(void **state)
{
    (void)state;
    static const char evil[] =
        "[{\"id\":1,\"name\":\"<script>alert(1)</script> & co\",\"price\":1.5}]   ";
    char response[256];
    wt_response r;
    assert_int_equal(
        get_with_fake_backend(json_answer(response, sizeof response, evil), "/gizmos-async", &r),
        200);
    assert_null(strstr(r.body, "<script>alert"));
    assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
    wt_response_free(&r);
}

/* The table is read with weft's JSON reader: escapes are decoded (and
 * then HTML-escaped), member names may be escaped too, anything that is
 * not an object's scalar member is an empty cell. */
static void json_escapes_and_odd_rows(void **state)
{
    (void)state;
    static const char body[] =
        "[{\"id\":-3,\"na\\u006de\":\"caf\\u00e9 \\u003cb\\u003e\\ud83d\\ude00\","
        "\"price\":2.005e1,\"weight\":{\"kg\":1},\"extra\":[1,2]},"
        "7,{\"id\":1,\"id\":2,\"name\":null,\"price\":true}]";
    char response[512];
    wt_response r;
    assert_int_equal(
        get_with_fake_backend(json_answer(response, sizeof response, body), "/gizmos-async", &r),
        200);
    const char *want = "<tbody><tr><td>-3</td><td>caf\xc3\xa9 &lt;b&gt;\xf0\x9f\x98\x80</td>"
                       "<td>20.05</td><td></td></tr>"
                       "<tr><td></td><td></td><td></td><td></td></tr>"
                       "<tr><td>2</td><td></td><td>true</td><td></td></tr></tbody>";
    if (!strstr(r.body, want))
        fail_msg("table not as expected:\n%s", r.body);
    wt_response_free(&r);
}

/* Broken JSON from the backend is the 502 page, naming what is wrong. */
static void invalid_json_is_a_502(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "[{\"id\":1,\"name\":\"cut", "{\"id\":1}", "[{\"id\":01}]", "[{\"id\":1}] [",
        "[{\"name\":\"\xff\"}]",
    };
    static const char *const says[] = {"unterminated string", "not a JSON array",
                                       "leading zero", "after the end", "invalid UTF-8"};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        char response[256];
        wt_response r;
        assert_int_equal(get_with_fake_backend(json_answer(response, sizeof response, bodies[i]),
                                               "/gizmos-async", &r),
                         502);
        if (!strstr(r.body, says[i]))
            fail_msg("%s: page does not say '%s':\n%s", bodies[i], says[i], r.body);
        assert_null(strstr(r.body, "<tbody>"));
        wt_response_free(&r);
    }
}

/* Last: the backend goes away; pages answer 502 with a readable page. */
/* A client that half-closes after its request (shutdown SHUT_WR) gets the
 * page all the same, from every handler kind, over HTTP/1.0 and 1.1. */
static void half_closed_client_gets_the_page(void **state)
{
    (void)state;
    static const char *const pages[] = {"/json/gizmos", "/gizmos-async", "/pwg-callback",
                                        "/pwg"};
    for (int minor = 0; minor <= 1; minor++)
        for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
            char raw[128];
            snprintf(raw, sizeof raw, "GET %s HTTP/1.%d\r\nHost: t\r\n\r\n", pages[i], minor);
            wt_conn *c = wt_connect(front.port);
            wt_send_str(c, raw);
            wt_shut_wr(c);
            wt_response r;
            assert_int_equal(wt_read_response(c, &r, 10000, 0), 0);
            if (r.status != 200)
                fail_msg("%s over HTTP/1.%d: %d %s", pages[i], minor, r.status, r.body);
            wt_response_free(&r);
            assert_int_equal(wt_wait_closed(c, 3000), 1);
            wt_close(c);
        }
}

static void backend_down_gives_502_page(void **state)
{
    (void)state;
    assert_int_equal(wt_stop(&backend, 15, 10000), 0);
    static const char *const paths[] = {"/gizmos", "/gizmos-async", "/pwg", "/pwg-async",
                                        "/pwg-callback", "/json/gizmos-async", "/json/pwg"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        wt_response r;
        int st = get(&front, paths[i], &r, NULL);
        if (st != 502)
            fail_msg("%s: %d", paths[i], st);
        /* the app's pages say what kind of failure; the server's own
         * (the JSON routes leave the failure to it) that a call failed */
        if (!strstr(r.body, "onnect") && !strstr(r.body, "a backend call failed (request "))
            fail_msg("%s: the page does not say what failed: %s", paths[i], r.body);
        /* never the backend's address: that is for the log */
        char port[16];
        snprintf(port, sizeof port, ":%d", backend.port);
        if (strstr(r.body, "127.0.0.1") || strstr(r.body, port))
            fail_msg("%s: the page shows the backend's address: %s", paths[i], r.body);
        wt_response_free(&r);
    }
}

int main(int argc, char **argv)
{
    use_h2 = argc > 1 && strcmp(argv[1], "h2") == 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backend_api),
        cmocka_unit_test(each_page_has_its_tables),
        cmocka_unit_test(parallel_beats_sequential),
        cmocka_unit_test(cancel_demo_both_ways),
        cmocka_unit_test(json_twins),
        cmocka_unit_test(values_are_escaped),
        cmocka_unit_test(json_escapes_and_odd_rows),
        cmocka_unit_test(invalid_json_is_a_502),
        cmocka_unit_test(half_closed_client_gets_the_page),
        cmocka_unit_test(backend_down_gives_502_page),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
