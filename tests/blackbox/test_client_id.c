/* test_client_id.c - who a request is from and which one it is: the
 * client address from X-Forwarded-For only when the peer is a trusted
 * proxy (the rightmost untrusted hop), the scheme from X-Forwarded-Proto
 * likewise, the request id taken or made; and the access log line with
 * them, the request's duration and id. Loopback only: the forwarded
 * addresses are only text in headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt.h"

static void whoami(int port, const char *headers, char *out, size_t cap)
{
    char req[1024];
    snprintf(req, sizeof req, "GET /whoami HTTP/1.1\r\nHost: t\r\n%s\r\n", headers);
    wt_response r;
    assert_int_equal(wt_request(port, req, &r), 200);
    snprintf(out, cap, "%s", r.body);
    wt_response_free(&r);
}

static void forwarded_only_from_trusted_proxies(void **state)
{
    (void)state;
    wt_server plain, behind;
    const char *a1[] = {NULL};
    wt_start(&plain, "weft-hello", a1);
    const char *a2[] = {"--trusted-proxy", "127.0.0.1,10.0.0.0/8", NULL};
    wt_start(&behind, "weft-hello", a2);
    const char *xff = "X-Forwarded-For: 198.51.100.9, 203.0.113.7, 10.1.2.3\r\n"
                      "X-Forwarded-Proto: https\r\n";
    char out[256];

    /* not trusted: the headers are anybody's words */
    whoami(plain.port, xff, out, sizeof out);
    assert_non_null(strstr(out, "client=127.0.0.1 scheme=http "));

    /* trusted 127.0.0.1 and 10/8: the rightmost other hop is the client */
    whoami(behind.port, xff, out, sizeof out);
    assert_non_null(strstr(out, "client=203.0.113.7 scheme=https "));
    /* garbage in the chain: trust nothing of it */
    whoami(behind.port, "X-Forwarded-For: 203.0.113.7, not-an-address\r\n", out, sizeof out);
    assert_non_null(strstr(out, "client=127.0.0.1 "));
    /* every hop trusted: the first is the client */
    whoami(behind.port, "X-Forwarded-For: 10.9.9.9, 10.1.1.1\r\n", out, sizeof out);
    assert_non_null(strstr(out, "client=10.9.9.9 "));

    /* the access log names the client */
    assert_true(wt_wait_log(&behind, "203.0.113.7 - - [", 3000));
    assert_int_equal(wt_stop(&plain, 15, 5000), 0);
    assert_int_equal(wt_stop(&behind, 15, 5000), 0);
}

/* The duration field (before the id, after the user agent's closing
 * quote) of the access-log line that contains what; -1 if none. */
static double logged_duration(const wt_server *s, const char *what)
{
    FILE *f = fopen(s->log_path, "r");
    char line[4096];
    double secs = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (!strstr(line, what))
            continue;
        const char *q = strrchr(line, '"');
        if (q)
            secs = strtod(q + 1, NULL);
    }
    if (f)
        fclose(f);
    return secs;
}

static void request_ids_and_durations_in_the_log(void **state)
{
    (void)state;
    wt_server s;
    const char *args[] = {NULL};
    wt_start(&s, "weft-hello", args);
    char out[256];
    whoami(s.port, "X-Request-Id: abc-123.x\r\n", out, sizeof out);
    assert_non_null(strstr(out, "id=abc-123.x\n"));
    /* not plain: a made one instead */
    whoami(s.port, "X-Request-Id: <script>\r\n", out, sizeof out);
    const char *id = strstr(out, "id=");
    assert_non_null(id);
    assert_int_equal(strlen(id + 3), 12 + 1 + 8 + 1); /* hex-hex and the newline */
    assert_null(strstr(out, "script"));
    /* duration and id close each access-log line */
    wt_response r;
    assert_int_equal(
        wt_request(s.port, "GET /delay?ms=250 HTTP/1.1\r\nHost: t\r\nX-Request-Id: slow-1\r\n\r\n",
                   &r),
        200);
    wt_response_free(&r);
    assert_true(wt_wait_log(&s, "\"GET /delay?ms=250 HTTP/1.1\" 200 ", 3000));
    assert_true(wt_log_contains(&s, " slow-1\n"));
    double secs = logged_duration(&s, "GET /delay?ms=250");
    printf("logged duration %.3f s\n", secs);
    assert_true(secs >= 0.245 && secs < (wt_sanitized() ? 5.0 : 1.0));
    assert_int_equal(wt_stop(&s, 15, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forwarded_only_from_trusted_proxies),
        cmocka_unit_test(request_ids_and_durations_in_the_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
