/* test_stall.c - the stall detector (--stall-ms): an async handler that
 * blocks its loop is named in the log while it blocks, counted, and the
 * loop's recovery is logged; normal load reports nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt.h"

/* /block?ms=700 holds the only loop for 700 ms: within it (by ~400 ms) the
 * log names the route and how long it has run; after it, the loop's turn
 * again; one stall counted. */
static void blocking_handler_is_named_while_it_blocks(void **state)
{
    (void)state;
    wt_server s;
    const char *args[] = {"--loops", "1", "--stall-ms", "100", NULL};
    wt_start(&s, "weft-hello", args);
    long before = wt_stat(s.port, "loop_stalls");
    wt_conn *c = wt_connect(s.port);
    long t0 = wt_now_ms();
    wt_send_str(c, "GET /block?ms=700 HTTP/1.1\r\nHost: t\r\n\r\n");
    /* while the handler still blocks */
    assert_true(wt_wait_log(&s, "stalled for", 450));
    long seen = wt_now_ms() - t0;
    assert_true(wt_log_contains(&s, "handler 'GET /block' has been running for"));
    /* and where it is stuck: the loop thread's backtrace, down in the sleep */
    assert_true(wt_wait_log(&s, "weft: backtrace of the stalled loop thread:", 300));
    assert_true(wt_wait_log(&s, "nanosleep", 300));
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 5000, 0), 0);
    assert_int_equal(r.status, 200);
    wt_response_free(&r);
    wt_close(c);
    printf("stall reported after %ld ms of a 700 ms block\n", seen);
    assert_true(seen < 650);
    assert_true(wt_wait_log(&s, "turns again after", 2000));
    assert_int_equal(wt_stat(s.port, "loop_stalls"), before + 1);
    assert_int_equal(wt_stop(&s, 15, 5000), 0);
}

/* Async waits, callbacks and sync work on the pool hold no loop: a burst
 * of them reports no stall. */
static void normal_load_reports_nothing(void **state)
{
    (void)state;
    wt_server s;
    /* sanitizer builds run ~10x slower: a bound that still catches a
     * blocked loop, not a slow one */
    const char *args[] = {"--loops", "2", "--stall-ms", wt_sanitized() ? "1000" : "100", NULL};
    wt_start(&s, "weft-hello", args);
    wt_burst_result b;
    wt_burst(s.port, 300, "GET /delay?ms=200 HTTP/1.1\r\nHost: t\r\n\r\n", 10000, &b);
    assert_int_equal(b.ok, 300);
    wt_burst(s.port, 200, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", 10000, &b);
    assert_int_equal(b.ok, 200);
    wt_burst(s.port, 20, "GET /sleep?ms=100 HTTP/1.1\r\nHost: t\r\n\r\n", 10000, &b);
    assert_int_equal(b.ok, 20);
    usleep(300000);
    assert_false(wt_log_contains(&s, "stalled"));
    assert_int_equal(wt_stat(s.port, "loop_stalls"), 0);
    assert_int_equal(wt_stop(&s, 15, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blocking_handler_is_named_while_it_blocks),
        cmocka_unit_test(normal_load_reports_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
