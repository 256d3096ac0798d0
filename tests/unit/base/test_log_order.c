/* test_log_order.c - access-log lines leave in the order their requests
 * ended, whichever thread's batch reached the writer first; and
 * weft_log_sync writes what is held back for that. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "weft/base.h"

static void *late_line(void *arg)
{
    (void)arg;
    weft_log_access("second\n", 7); /* ends after the main thread's line */
    weft_log_flush_thread();        /* ... but reaches the writer first */
    weft_log_thread_done();
    return NULL;
}

static void lines_leave_in_end_order(void **state)
{
    (void)state;
    char path[] = "/tmp/weft-log-order-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    int saved = dup(1);
    dup2(fd, 1); /* the access log is stdout */

    weft_log_access("first\n", 6);
    usleep(2000);
    pthread_t t;
    pthread_create(&t, NULL, late_line, NULL);
    pthread_join(t, NULL);
    usleep(50000);           /* the writer has "second" by now, held back */
    weft_log_flush_thread(); /* "first" arrives after it */
    weft_log_sync();         /* both written, in end order */

    dup2(saved, 1);
    close(saved);
    char buf[64] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    assert_string_equal(buf, "first\nsecond\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_leave_in_end_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
