/* test_loop.c - the loop layer: timers (per-time-out lists and the heap)
 * fire in deadline order and never fire a stopped timer; a list emptied
 * takes another time-out; work queued for before the next poll runs once,
 * including work queued while those run; phase hooks run where they say;
 * the public API runs, stops and frees a loop of one's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../../src/loop/loop.h"
#include "../../support/loop_fixture.h"
#include "weft/task.h"

#define N 2000

typedef struct tt {
    weft_timer t;
    int ms, order, stopped;
} tt;

static tt timers[N];
static int fired;

static void on_fire(weft_timer *t)
{
    tt *x = (tt *)t;
    assert_false(x->stopped);
    assert_int_equal(x->order, 0);
    assert_true(weft_now_ns() >= x->t.due); /* never early */
    x->order = ++fired;
}

/* Thousands of timers with clashing deadlines, a third stopped from all
 * over the heap (the root, leaves, the middle): the rest fire once each,
 * never before their delay, in (deadline, start) order. */
static void timers_fire_in_order(void **state)
{
    (void)state;
    srand(7);
    fired = 0;
    for (int i = 0; i < N; i++) {
        timers[i] = (tt){.ms = rand() % 40};
        weft_timer_start(fixture_loop, &timers[i].t, (uint64_t)timers[i].ms, on_fire);
    }
    int expected = N;
    for (int i = 0; i < N; i += 3) {
        weft_timer_stop(fixture_loop, &timers[i].t);
        timers[i].stopped = 1;
        expected--;
    }
    /* stopping twice, or an inactive timer, is harmless */
    weft_timer_stop(fixture_loop, &timers[0].t);
    assert_false(weft_timer_active(&timers[0].t));
    uint64_t until = weft_loop_now(fixture_loop) + 2000;
    while (fired < expected && weft_loop_now(fixture_loop) < until)
        loop_step();
    assert_int_equal(fired, expected);
    for (int i = 0; i < N; i++) {
        if (timers[i].stopped)
            continue;
        for (int j = 0; j < N; j++) {
            if (timers[j].stopped || j == i)
                continue;
            /* equal delays were started in index order, so fire in it */
            if (timers[i].t.due < timers[j].t.due ||
                (timers[i].t.due == timers[j].t.due && i < j))
                assert_true(timers[i].order < timers[j].order);
        }
    }
}

/* Timers with more distinct time-outs than there are lists: the first
 * WEFT__TIMER_LISTS time-outs get a list each, the others the heap. A
 * list's head, middle and tail are stopped, another list is emptied and
 * taken by a new time-out, a timer starts itself again from its own
 * callback. Every other timer fires once, never early, and the fires come
 * in (due, start order) across lists and heap; with nothing left the
 * timer poll stops, so the loop could exit. */
#define PER 3
#define KINDS (WEFT__TIMER_LISTS + 4)
static tt kinds[KINDS][PER];
static tt rekeyed, again;
static int again_runs;
static uint64_t last_due, last_seq;
static int out_of_order;

static void on_fire_ordered(weft_timer *t)
{
    if (t->due < last_due || (t->due == last_due && t->seq < last_seq))
        out_of_order++;
    last_due = t->due;
    last_seq = t->seq;
    on_fire(t);
}

static void on_again(weft_timer *t)
{
    on_fire_ordered(t);
    if (++again_runs == 1) {
        again.order = 0; /* it may fire once more */
        weft_timer_start(fixture_loop, t, 3, on_again);
    }
}

static int is_listed(const weft_timer *t)
{
    return t->idx > SIZE_MAX - WEFT__TIMER_LISTS;
}

static void timer_lists_and_heap(void **state)
{
    (void)state;
    fired = 0;
    for (int k = 0; k < KINDS; k++)
        for (int i = 0; i < PER; i++) {
            kinds[k][i] = (tt){.ms = 2 + 3 * k};
            weft_timer_start(fixture_loop, &kinds[k][i].t, (uint64_t)kinds[k][i].ms,
                             on_fire_ordered);
            assert_int_equal(is_listed(&kinds[k][i].t), k < WEFT__TIMER_LISTS);
        }
    int expected = KINDS * PER;
    for (int i = 0; i < PER; i++) { /* head, middle and tail of one list */
        weft_timer_stop(fixture_loop, &kinds[0][i].t);
        kinds[0][i].stopped = 1;
        expected--;
    }
    for (int i = PER - 1; i >= 0; i--) { /* another list, tail first */
        weft_timer_stop(fixture_loop, &kinds[1][i].t);
        kinds[1][i].stopped = 1;
        expected--;
    }
    assert_false(weft_timer_active(&kinds[1][0].t));
    /* a new time-out finds the emptied lists */
    rekeyed = (tt){.ms = 1};
    weft_timer_start(fixture_loop, &rekeyed.t, 1, on_fire_ordered);
    assert_true(is_listed(&rekeyed.t));
    /* a delay too large for nanoseconds means "never", not "at once" */
    static tt never_due;
    never_due = (tt){.ms = -1, .stopped = 1};
    weft_timer_start(fixture_loop, &never_due.t, UINT64_MAX, on_fire_ordered);
    again = (tt){.ms = 5};
    weft_timer_start(fixture_loop, &again.t, 5, on_again);
    expected += 2 + 1; /* rekeyed, and again twice */
    uint64_t until = weft_loop_now(fixture_loop) + 2000;
    while (fired < expected && weft_loop_now(fixture_loop) < until)
        loop_step();
    assert_int_equal(fired, expected);
    assert_int_equal(again_runs, 2);
    assert_int_equal(out_of_order, 0);
    for (int k = 0; k < KINDS; k++)
        for (int i = 0; i < PER; i++)
            assert_int_equal(kinds[k][i].order != 0, !kinds[k][i].stopped);
    assert_true(weft_timer_active(&never_due.t));
    weft_timer_stop(fixture_loop, &never_due.t);
    assert_false(weft__timers_watched(fixture_loop));
}

typedef struct job {
    weft_flush f;
    int runs;
    struct job *then; /* queued by this one's run */
} job;

static void run_job(weft_flush *f)
{
    job *j = (job *)f;
    j->runs++;
    if (j->then)
        weft__loop_flush_later(fixture_loop, &j->then->f);
}

static void flush_runs_once_before_poll(void **state)
{
    (void)state;
    job a = {.f.fn = run_job}, b = {.f.fn = run_job}, c = {.f.fn = run_job};
    a.then = &b;
    weft__loop_flush_later(fixture_loop, &a.f);
    weft__loop_flush_later(fixture_loop, &a.f); /* already queued: once */
    weft__loop_flush_later(fixture_loop, &c.f);
    weft__loop_flush_cancel(fixture_loop, &c.f); /* taken back: never runs */
    weft_loop_run_for(fixture_loop, 0);
    assert_int_equal(a.runs, 1);
    assert_int_equal(b.runs, 1); /* queued by a, run in the same round */
    assert_int_equal(c.runs, 0);
    weft_loop_run_for(fixture_loop, 0);
    assert_int_equal(a.runs, 1);
    assert_int_equal(b.runs, 1);
    /* after running, an item may be queued again */
    weft__loop_flush_later(fixture_loop, &c.f);
    weft_loop_run_for(fixture_loop, 0);
    assert_int_equal(c.runs, 1);
}

/* ---- phase hooks ---------------------------------------------------------- */

typedef struct hook_probe {
    weft_loop_hook h;
    int runs;
    int remove_after; /* takes itself off after this many runs (0 = never) */
} hook_probe;

static void count_run(weft_loop_hook *h)
{
    hook_probe *p = (hook_probe *)h;
    if (++p->runs == p->remove_after)
        weft__loop_hook_remove(fixture_loop, h);
}

/* BEFORE_POLL and AFTER_POLL hooks run once per iteration while added, a
 * hook may take itself off from its own run, and adding twice is once. */
static void hooks_run_each_iteration(void **state)
{
    (void)state;
    hook_probe before = {.h.fn = count_run}, after = {.h.fn = count_run, .remove_after = 2};
    weft__loop_hook_add(fixture_loop, &before.h, WEFT_PHASE_BEFORE_POLL);
    weft__loop_hook_add(fixture_loop, &before.h, WEFT_PHASE_BEFORE_POLL);
    weft__loop_hook_add(fixture_loop, &after.h, WEFT_PHASE_AFTER_POLL);
    for (int i = 0; i < 5; i++)
        weft_loop_run_for(fixture_loop, 0);
    assert_int_equal(before.runs, 5);
    assert_int_equal(after.runs, 2); /* removed itself on its second run */
    weft__loop_hook_remove(fixture_loop, &before.h);
    weft_loop_run_for(fixture_loop, 0);
    assert_int_equal(before.runs, 5);
}

/* keep_busy makes the poll not wait: run_for(50) with nothing due spins
 * many iterations instead of sleeping through one. */
static void keep_busy_spins(void **state)
{
    (void)state;
    hook_probe after = {.h.fn = count_run};
    weft__loop_hook_add(fixture_loop, &after.h, WEFT_PHASE_AFTER_POLL);
    weft_loop_run_for(fixture_loop, 50);
    int idle_runs = after.runs;
    after.runs = 0;
    weft__loop_keep_busy(fixture_loop, 1);
    weft_loop_run_for(fixture_loop, 50);
    weft__loop_keep_busy(fixture_loop, 0);
    weft__loop_hook_remove(fixture_loop, &after.h);
    /* The deadline's wake-up, little else: with io_uring, the teardown of
     * the previous test's ring may interrupt one poll of this thread. */
    assert_true(idle_runs <= 5);
    assert_true(after.runs > 100); /* spun */
}

static int closes;
static void on_close_hook(weft_loop_hook *h)
{
    (void)h;
    closes++;
}

/* CLOSE hooks run once, as the loop is freed. */
static void close_hooks_run_once(void **state)
{
    (void)state;
    weft_loop *l = weft_loop_new();
    assert_non_null(l);
    static weft_loop_hook a = {.fn = on_close_hook}, b = {.fn = on_close_hook};
    closes = 0;
    weft__loop_hook_add(l, &a, WEFT_PHASE_CLOSE);
    weft__loop_hook_add(l, &b, WEFT_PHASE_CLOSE);
    weft_loop_run_for(l, 0);
    assert_int_equal(closes, 0);
    weft_loop_free(l);
    assert_int_equal(closes, 2);
    weft__loop_set_current(fixture_loop); /* l had taken its place as current */
}

/* ---- the public loop API ---------------------------------------------------- */

static void *stop_later(void *arg)
{
    sleep_ms(30);
    weft_loop_stop(arg);
    return NULL;
}

/* run() returns when another thread stops the loop; run_for() returns at
 * its time-out; a stop before run makes the next run return at once. */
static void run_stop_and_run_for(void **state)
{
    (void)state;
    pthread_t th;
    uint64_t t0 = weft_now_ms();
    assert_int_equal(pthread_create(&th, NULL, stop_later, fixture_loop), 0);
    assert_int_equal(weft_loop_run(fixture_loop), 0);
    uint64_t took = weft_now_ms() - t0;
    pthread_join(th, NULL);
    assert_true(took >= 25 && took < 2000);
    t0 = weft_now_ms();
    weft_loop_run_for(fixture_loop, 40);
    took = weft_now_ms() - t0;
    assert_true(took >= 39 && took < 2000);
    weft_loop_stop(fixture_loop); /* on its own thread, not running */
    t0 = weft_now_ms();
    weft_loop_run(fixture_loop);
    assert_true(weft_now_ms() - t0 < 1000);
}

/* weft_task_run runs the loop until the task is done and returns its
 * outcome; a task already done returns at once; inside the loop it
 * refuses (WEFT_ESTATE) rather than run the loop from its own callback. */
static int inner_rc;
static void try_inside(weft_timer *t)
{
    (void)t;
    weft_task *p = weft_task_new(NULL);
    inner_rc = weft_task_run(p);
    weft_task_reject(p, WEFT_ECANCELED);
    weft_task_unref(p);
}

static void task_run_waits_for_the_task(void **state)
{
    (void)state;
    weft_scope *s = weft_scope_new(NULL, -1);
    uint64_t t0 = weft_now_ms();
    weft_task *d = weft_delay(s, 30);
    assert_int_equal(weft_task_run(d), 0);
    assert_true(weft_now_ms() - t0 >= 29);
    assert_int_equal(weft_task_run(d), 0); /* already done */
    weft_scope *short_lived = weft_scope_new(s, 20);
    assert_int_equal(weft_task_run(weft_delay(short_lived, 5000)), WEFT_ETIMEDOUT);
    weft_scope_free(short_lived);
    static weft_timer t;
    inner_rc = 1;
    weft_timer_start(fixture_loop, &t, 1, try_inside);
    assert_int_equal(weft_task_run(weft_delay(s, 20)), 0);
    assert_int_equal(inner_rc, WEFT_ESTATE);
    weft_scope_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(timers_fire_in_order, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(timer_lists_and_heap, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(flush_runs_once_before_poll, loop_fixture_up,
                                        loop_fixture_down),
        cmocka_unit_test_setup_teardown(hooks_run_each_iteration, loop_fixture_up,
                                        loop_fixture_down),
        cmocka_unit_test_setup_teardown(keep_busy_spins, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(close_hooks_run_once, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(run_stop_and_run_for, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(task_run_waits_for_the_task, loop_fixture_up,
                                        loop_fixture_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
