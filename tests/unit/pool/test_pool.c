/* test_pool.c - the bounded worker pool: completions come home to the
 * submitting loop exactly once, a full queue rejects at once, stop
 * cancels what is queued. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "weft/loop.h"
#include "weft/pool.h"

typedef struct item {
    weft_job job;
    int ran, done, on_loop;
    unsigned sleep_ms;
} item;

static weft_loop *loop;
static int outstanding;

static void work(weft_job *j)
{
    item *it = (item *)j;
    if (it->sleep_ms)
        usleep(it->sleep_ms * 1000);
    it->ran++;
}

static void done(weft_job *j)
{
    item *it = (item *)j;
    it->done++;
    it->on_loop = weft_loop_current() == loop;
    if (--outstanding == 0)
        weft_loop_stop(loop);
}

static void completes_on_origin_loop(void **state)
{
    (void)state;
    assert_non_null(loop = weft_loop_new());
    weft_pool *pool = weft_pool_new(4, 100, 0);
    item items[50];
    memset(items, 0, sizeof items);
    outstanding = 50;
    for (int i = 0; i < 50; i++) {
        items[i].job.work = work;
        items[i].job.done = done;
        assert_int_equal(weft_pool_submit(pool, &items[i].job), 0);
    }
    weft_loop_run(loop);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(items[i].ran, 1);
        assert_int_equal(items[i].done, 1);
        assert_true(items[i].on_loop);
    }
    assert_int_equal(weft_pool_stop(pool, 1000), 0);
    weft_pool_free(pool);
    weft_loop_free(loop);
}

static void full_queue_rejects(void **state)
{
    (void)state;
    assert_non_null(loop = weft_loop_new());
    /* 2 workers + 2 queue slots: the fifth concurrent job is refused */
    weft_pool *pool = weft_pool_new(2, 2, 0);
    item items[5];
    memset(items, 0, sizeof items);
    int accepted = 0, rejected = 0;
    for (int i = 0; i < 5; i++) {
        items[i].job.work = work;
        items[i].job.done = done;
        items[i].sleep_ms = 200;
        int r = weft_pool_submit(pool, &items[i].job);
        if (r == 0)
            accepted++;
        else if (r == WEFT_EBUSY)
            rejected++;
    }
    assert_int_equal(accepted, 4);
    assert_int_equal(rejected, 1);
    outstanding = accepted;
    weft_loop_run(loop);
    weft_pool_stats st;
    weft_pool_get_stats(pool, &st);
    assert_int_equal(st.completed, 4);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(weft_pool_stop(pool, 1000), 0);
    weft_pool_free(pool);
    weft_loop_free(loop);
}

static void stop_cancels_queued(void **state)
{
    (void)state;
    assert_non_null(loop = weft_loop_new());
    weft_pool *pool = weft_pool_new(1, 10, 0);
    item items[4];
    memset(items, 0, sizeof items);
    for (int i = 0; i < 4; i++) {
        items[i].job.work = work;
        items[i].job.done = done;
        items[i].sleep_ms = 100;
        assert_int_equal(weft_pool_submit(pool, &items[i].job), 0);
    }
    weft_pool_stats st; /* wait until the worker has taken the first */
    for (int i = 0; i < 2000; i++) {
        weft_pool_get_stats(pool, &st);
        if (st.busy == 1)
            break;
        usleep(1000);
    }
    outstanding = 4;
    assert_int_equal(weft_pool_stop(pool, 2000), 0);
    weft_loop_run(loop);
    int canceled = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(items[i].done, 1); /* exactly once, ran or not */
        canceled += items[i].job.status == WEFT_ECANCELED;
        assert_int_equal(items[i].ran, items[i].job.status == 0);
    }
    assert_int_equal(canceled, 3);
    weft_pool_free(pool);
    weft_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(completes_on_origin_loop),
        cmocka_unit_test(full_queue_rejects),
        cmocka_unit_test(stop_cancels_queued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
