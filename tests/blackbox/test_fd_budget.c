/* test_fd_budget.c - the open-file limit, budgeted: the split printed at
 * start follows the hard limit, and at --max-connections (counted over
 * the whole process, all loops) a new client waits in the listen queue,
 * unanswered but not refused, until a connection closes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "wt.h"

#define GET "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"

/* The split: the soft limit raised to the hard one, a reserve of 128 + 8
 * per loop + a sixteenth, the rest halved between clients and backends;
 * the limits left at their defaults follow it. */
static void budget_follows_the_hard_limit(void **state)
{
    (void)state;
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    unsigned long long files = rl.rlim_max == RLIM_INFINITY ? 1048576ull : rl.rlim_max;
    unsigned long long reserve = 128 + 8 * 1 + files / 16;
    unsigned long long clients = (files - reserve) / 2;
    wt_server s;
    static const char *const args[] = {"--loops", "1", NULL};
    wt_start(&s, "weft-hello", args);
    char want[160];
    snprintf(want, sizeof want, "fd budget: %llu files: %llu for clients", files, clients);
    assert_true(wt_wait_log(&s, want, 3000));
    snprintf(want, sizeof want, "--max-connections %llu, --max-concurrent %llu", clients, clients);
    assert_true(wt_log_contains(&s, want));
    assert_int_equal(wt_stop(&s, 15, 5000), 0);
}

/* Three connections open on two loops fill --max-connections 3: a fourth
 * client connects (the kernel's queue) but is not answered; when one of
 * the three closes it is. */
static void listener_pauses_at_max_connections(void **state)
{
    (void)state;
    wt_server s;
    static const char *const args[] = {"--loops", "2", "--max-connections", "3", NULL};
    wt_start(&s, "weft-hello", args);
    wt_conn *open[3];
    wt_response r;
    for (int i = 0; i < 3; i++) {
        open[i] = wt_connect(s.port);
        wt_send_str(open[i], GET);
        assert_int_equal(wt_read_response(open[i], &r, 3000, 0), 0);
        assert_int_equal(r.status, 200);
        wt_response_free(&r);
    }
    wt_conn *waiting = wt_connect(s.port);
    wt_send_str(waiting, GET);
    assert_int_not_equal(wt_read_response(waiting, &r, 700, 0), 0); /* not answered */
    assert_true(wt_wait_log(&s, "3 connections open (--max-connections)", 3000));
    long t0 = wt_now_ms();
    wt_close(open[0]);
    assert_int_equal(wt_read_response(waiting, &r, 3000, 0), 0); /* taken once one closed */
    assert_int_equal(r.status, 200);
    wt_response_free(&r);
    assert_true(wt_now_ms() - t0 < 1000);
    wt_close(waiting);
    for (int i = 1; i < 3; i++)
        wt_close(open[i]);
    assert_int_equal(wt_stop(&s, 15, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(budget_follows_the_hard_limit),
        cmocka_unit_test(listener_pauses_at_max_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
