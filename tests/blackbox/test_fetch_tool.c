/* test_fetch_tool.c - the example command-line tool (examples/fetch):
 * a loop of its own, no server. Against a real weft-hello it fetches
 * several URLs at once (the time is the slowest, not the sum), reports a
 * deadline that cuts a slow URL off, and a refused port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "wt.h"

static wt_server hello;

/* Runs weft-fetch with args; its stdout into out; returns its exit status. */
static int run_fetch(const char *args, char *out, size_t cap)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s/weft-fetch %s 2>&1", WEFT_BIN_DIR, args);
    return wt_capture(cmd, out, cap);
}

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--quiet", NULL};
    wt_start(&hello, "weft-hello", args);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wt_stop(&hello, 15, 5000);
    return 0;
}

/* Three 300 ms pages fetched together take ~300 ms, not ~900 ms. */
static void fetches_concurrently(void **state)
{
    (void)state;
    char args[1024], out[8192];
    int p = hello.port;
    snprintf(args, sizeof args,
             "http://127.0.0.1:%d/delay?ms=300 http://127.0.0.1:%d/delay?ms=300 "
             "http://127.0.0.1:%d/plaintext",
             p, p, p);
    long t0 = wt_now_ms();
    int rc = run_fetch(args, out, sizeof out);
    long took = wt_now_ms() - t0;
    printf("%s", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "3 of 3 ok"));
    assert_non_null(strstr(out, "/plaintext  (13 bytes"));
    char *first = strstr(out, "200 ");
    assert_non_null(first);
    assert_true(took >= 290);
    assert_true(took < (wt_sanitized() ? 3000 : 800));
}

/* The deadline covers every call: a 5 s page is cut off at 400 ms and
 * reported as timed out; the exit status says something failed. */
static void one_deadline_for_all(void **state)
{
    (void)state;
    char args[1024], out[8192];
    snprintf(args, sizeof args,
             "--timeout 400 http://127.0.0.1:%d/plaintext http://127.0.0.1:%d/delay?ms=5000",
             hello.port, hello.port);
    long t0 = wt_now_ms();
    int rc = run_fetch(args, out, sizeof out);
    long took = wt_now_ms() - t0;
    printf("%s", out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "ETIMEDOUT"));
    assert_non_null(strstr(out, "1 of 2 ok"));
    assert_true(took >= 390 && took < 4000);
}

/* A refused port is that URL's error; nothing crashes; bad usage is 2. */
static void refused_and_usage(void **state)
{
    (void)state;
    char out[8192];
    /* port 1 on loopback: nothing listens there */
    int rc = run_fetch("http://127.0.0.1:1/", out, sizeof out);
    printf("%s", out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "ECONNREFUSED"));
    assert_int_equal(run_fetch("", out, sizeof out), 2);
    assert_non_null(strstr(out, "usage:"));
    assert_int_equal(run_fetch("--timeout x http://127.0.0.1:1/", out, sizeof out), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fetches_concurrently),
        cmocka_unit_test(one_deadline_for_all),
        cmocka_unit_test(refused_and_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
