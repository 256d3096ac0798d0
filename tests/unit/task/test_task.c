/* test_task.c - tasks, cancellation and combinators: every completion
 * exactly once, under every race. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../support/loop_fixture.h"
#include "weft/task.h"

typedef struct counter {
    int calls;
    int last_err;
} counter;

static void count(weft_task *t, void *arg)
{
    counter *c = arg;
    c->calls++;
    c->last_err = weft_task_err(t);
}

static int freed;
static void free_value(void *v)
{
    freed++;
    free(v);
}

static void resolve_once(void **state)
{
    (void)state;
    weft_task *t = weft_task_new(NULL);
    counter c = {0};
    weft_task_then(t, count, &c);
    assert_int_equal(weft_task_err(t), WEFT_ESTATE);
    freed = 0;
    assert_int_equal(weft_task_resolve(t, malloc(8), free_value), 0);
    assert_int_equal(weft_task_reject(t, WEFT_ECANCELED), WEFT_ESTATE);
    /* a late value is destroyed, not leaked */
    assert_int_equal(weft_task_resolve(t, malloc(8), free_value), WEFT_ESTATE);
    assert_int_equal(freed, 1);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.last_err, 0);
    /* a continuation added after completion runs at once, once */
    counter late = {0};
    weft_task_then(t, count, &late);
    assert_int_equal(late.calls, 1);
    weft_task_unref(t);
    assert_int_equal(freed, 2);
}

static void unwait_detaches(void **state)
{
    (void)state;
    weft_task *t = weft_task_new(NULL);
    counter a = {0}, b = {0};
    weft_waiter wa, wb;
    weft_task_wait(t, &wa, count, &a);
    weft_task_wait(t, &wb, count, &b);
    weft_task_unwait(t, &wa);
    weft_task_unwait(t, &wa); /* twice is harmless */
    weft_task_reject(t, WEFT_EIO);
    assert_int_equal(a.calls, 0);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.last_err, WEFT_EIO);
    weft_task_unref(t);
}

static void delay_completes(void **state)
{
    (void)state;
    weft_scope *s = weft_scope_new(NULL, -1);
    uint64_t t0 = weft_now_ms();
    weft_task *t = weft_delay(s, 30);
    counter c = {0};
    weft_task_then(t, count, &c);
    assert_true(loop_run_until(&c.calls, 2000));
    assert_true(weft_now_ms() - t0 >= 29);
    assert_int_equal(c.last_err, 0);
    weft_scope_free(s);
    assert_int_equal(c.calls, 1);
}

/* Timers keep nanosecond deadlines and a timerfd: a delay never ends
 * before its time (the old millisecond clock allowed up to 1 ms early). */
static uint64_t fired_ns;
static int fired;
static void note_time(weft_task *t, void *arg)
{
    (void)t;
    (void)arg;
    fired_ns = weft_now_ns();
    fired = 1;
}

static void delay_never_early(void **state)
{
    (void)state;
    static const uint64_t delays[] = {1, 3, 7, 30, 100};
    for (size_t i = 0; i < sizeof delays / sizeof *delays; i++) {
        weft_scope *s = weft_scope_new(NULL, -1);
        fired = 0;
        uint64_t t0 = weft_now_ns();
        weft_task_then(weft_delay(s, delays[i]), note_time, NULL);
        assert_true(loop_run_until(&fired, 2000));
        uint64_t took = fired_ns - t0;
        if (took < delays[i] * 1000000u || took > (delays[i] + 50) * 1000000u)
            fail_msg("delay of %llu ms took %.3f ms", (unsigned long long)delays[i],
                     (double)took / 1e6);
        weft_scope_free(s);
    }
}

static void cancel_beats_delay(void **state)
{
    (void)state;
    weft_scope *s = weft_scope_new(NULL, -1);
    weft_task *t = weft_delay(s, 10000);
    counter c = {0};
    weft_task_then(t, count, &c);
    weft_scope_cancel(s, WEFT_ECANCELED);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.last_err, WEFT_ECANCELED);
    /* operations started after cancellation fail at once */
    weft_task *late = weft_delay(s, 1);
    assert_int_equal(weft_task_err(late), WEFT_ECANCELED);
    weft_scope_free(s);
    assert_int_equal(c.calls, 1);
}

/* A deadline and a delay due at the same instant: exactly one completion. */
static void deadline_races_delay(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++) {
        weft_scope *s = weft_scope_new(NULL, 5);
        weft_task *t = weft_delay(s, 5);
        counter c = {0};
        weft_task_then(t, count, &c);
        int settled = 0;
        uint64_t until = weft_now_ms() + 1000;
        while (!weft_task_done(t) && weft_now_ms() < until)
            loop_step();
        settled = weft_task_done(t);
        assert_true(settled);
        assert_true(c.last_err == 0 || c.last_err == WEFT_ETIMEDOUT);
        /* let the other side fire too, if it still can */
        sleep_ms(10);
        weft_loop_run_for(fixture_loop, 0);
        weft_scope_free(s);
        assert_int_equal(c.calls, 1);
    }
}

static void scope_deadline_is_timedout(void **state)
{
    (void)state;
    weft_scope *s = weft_scope_new(NULL, 20);
    weft_task *t = weft_delay(s, 5000);
    counter c = {0};
    weft_task_then(t, count, &c);
    assert_true(loop_run_until(&c.calls, 2000));
    assert_int_equal(c.last_err, WEFT_ETIMEDOUT);
    assert_int_equal(weft_scope_reason(s), WEFT_ETIMEDOUT);
    weft_scope_free(s);
}

static void when_all_fail_fast_and_cancel(void **state)
{
    (void)state;
    weft_scope *s = weft_scope_new(NULL, -1);
    weft_task *in[3] = {weft_delay(s, 10), weft_task_new(s), weft_delay(s, 5000)};
    weft_task *all = weft_when_all(s, in, 3);
    counter c = {0};
    weft_task_then(all, count, &c);
    weft_task_reject(in[1], WEFT_EIO);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.last_err, WEFT_EIO);
    /* cancelling the scope completes the rest, once each */
    counter c2 = {0};
    weft_task_then(in[2], count, &c2);
    weft_scope_cancel(s, WEFT_ECANCELED);
    assert_int_equal(c2.calls, 1);
    assert_int_equal(c2.last_err, WEFT_ECANCELED);
    assert_int_equal(c.calls, 1);
    weft_scope_free(s);
}

static void when_all_success_and_settled(void **state)
{
    (void)state;
    weft_scope *s = weft_scope_new(NULL, -1);
    weft_task *in[3] = {weft_delay(s, 10), weft_delay(s, 20), weft_delay(s, 5)};
    weft_task *all = weft_when_all(s, in, 3);
    counter c = {0};
    weft_task_then(all, count, &c);
    assert_true(loop_run_until(&c.calls, 2000));
    assert_int_equal(c.last_err, 0);
    for (int i = 0; i < 3; i++)
        assert_true(weft_task_done(in[i]));

    weft_task *mixed[2] = {weft_task_new(s), weft_task_new(s)};
    weft_task *settled = weft_when_all_settled(s, mixed, 2);
    weft_task_reject(mixed[0], WEFT_EIO);
    assert_false(weft_task_done(settled));
    weft_task_resolve(mixed[1], NULL, NULL);
    assert_int_equal(weft_task_err(settled), 0);
    /* empty input completes at once */
    assert_int_equal(weft_task_err(weft_when_all(s, NULL, 0)), 0);
    weft_scope_free(s);
}

static void when_any_picks_first(void **state)
{
    (void)state;
    weft_scope *s = weft_scope_new(NULL, -1);
    weft_task *in[3] = {weft_delay(s, 500), weft_delay(s, 10), weft_delay(s, 300)};
    weft_task *any = weft_when_any(s, in, 3);
    counter c = {0};
    weft_task_then(any, count, &c);
    assert_true(loop_run_until(&c.calls, 2000));
    assert_ptr_equal(weft_task_value(any), in[1]);
    assert_false(weft_task_done(in[0]));
    weft_scope_free(s); /* cancels the losers; the any's reference is dropped */
    assert_int_equal(c.calls, 1);
}

static void with_timeout_both_ways(void **state)
{
    (void)state;
    weft_scope *s = weft_scope_new(NULL, -1);
    weft_task *slow = weft_with_timeout(s, weft_delay(s, 5000), 20);
    weft_task *fast = weft_with_timeout(s, weft_delay(s, 5), 1000);
    counter a = {0}, b = {0};
    weft_task_then(slow, count, &a);
    weft_task_then(fast, count, &b);
    assert_true(loop_run_until(&a.calls, 2000));
    assert_int_equal(a.last_err, WEFT_ETIMEDOUT);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.last_err, 0);
    weft_scope_free(s);
}

static void nested_scopes_and_links(void **state)
{
    (void)state;
    weft_scope *parent = weft_scope_new(NULL, -1);
    weft_scope *child = weft_scope_new(parent, -1);
    weft_scope *other = weft_scope_new(parent, 30);
    weft_task *tc = weft_delay(child, 5000), *to = weft_delay(other, 5000);
    counter cc = {0}, co = {0};
    weft_task_then(tc, count, &cc);
    weft_task_then(to, count, &co);
    /* the child's own deadline ends only the child */
    assert_true(loop_run_until(&co.calls, 2000));
    assert_int_equal(co.last_err, WEFT_ETIMEDOUT);
    assert_int_equal(cc.calls, 0);
    /* the parent's cancellation reaches the other child */
    weft_scope_cancel(parent, WEFT_ECANCELED);
    assert_int_equal(cc.calls, 1);
    assert_int_equal(cc.last_err, WEFT_ECANCELED);
    assert_int_equal(weft_scope_reason(child), WEFT_ECANCELED);
    /* a scope made under a cancelled parent starts cancelled */
    weft_scope *late = weft_scope_new(parent, -1);
    assert_int_equal(weft_scope_reason(late), WEFT_ECANCELED);
    weft_scope_free(late);
    weft_scope_free(child);
    weft_scope_free(other);
    weft_scope_free(parent);
}

static int reg_calls;
static void on_reg(weft_cancel_reg *r, int reason)
{
    (void)r;
    reg_calls++;
    assert_int_equal(reason, WEFT_ETIMEDOUT);
}

static void tokens_and_deadlines(void **state)
{
    (void)state;
    weft_cancel_source parent, child;
    weft_cancel_init(&parent, NULL);
    weft_cancel_init(&child, &parent);
    int64_t now = (int64_t)weft_loop_now(fixture_loop);
    weft_cancel_set_deadline(&parent, now + 1000);
    weft_cancel_set_deadline(&child, now + 5000); /* later than the parent's */
    assert_true(weft_cancel_deadline(&child) == now + 1000);
    weft_cancel_set_deadline(&child, now + 10); /* earlier: wins */
    assert_true(weft_cancel_deadline(&child) == now + 10);
    weft_cancel_reg r1, r2;
    reg_calls = 0;
    assert_int_equal(weft_cancel_register(&child, &r1, on_reg, NULL), 0);
    assert_int_equal(weft_cancel_register(&child, &r2, on_reg, NULL), 0);
    weft_cancel_unregister(&child, &r2);
    uint64_t until = weft_now_ms() + 2000;
    while (!weft_cancel_reason(&child) && weft_now_ms() < until)
        loop_step();
    assert_int_equal(weft_cancel_reason(&child), WEFT_ETIMEDOUT);
    assert_int_equal(weft_cancel_reason(&parent), 0);
    assert_int_equal(reg_calls, 1);
    assert_int_equal(weft_cancel(&child, WEFT_ECANCELED), WEFT_ESTATE);
    /* registering on a cancelled source says so and does not call */
    assert_int_equal(weft_cancel_register(&child, &r2, on_reg, NULL), WEFT_ETIMEDOUT);
    assert_int_equal(reg_calls, 1);
    weft_cancel_fini(&child);
    weft_cancel_fini(&parent);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(resolve_once, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(unwait_detaches, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(delay_completes, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(delay_never_early, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(cancel_beats_delay, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(deadline_races_delay, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(scope_deadline_is_timedout, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(when_all_fail_fast_and_cancel, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(when_all_success_and_settled, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(when_any_picks_first, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(with_timeout_both_ways, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(nested_scopes_and_links, loop_fixture_up, loop_fixture_down),
        cmocka_unit_test_setup_teardown(tokens_and_deadlines, loop_fixture_up, loop_fixture_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
