/* combinators.c - when_all (fail-fast and settled), when_any, with_timeout.
 *
 * Each combinator holds a reference on its inputs and its result until the
 * last input completes, so inputs may be dropped by their owners early.
 * Inputs that are already complete are handled at once, in order. */
#include <stdlib.h>

#include "task_int.h"
#include "../base/alloc.h"

typedef enum { ALL_FAIL_FAST, ALL_SETTLED, ANY } combine_kind;

typedef struct combine_op {
    weft_task *result;
    combine_kind kind;
    size_t remaining;
    weft_task **inputs;
    weft_waiter *waiters;
    size_t n;
} combine_op;

static void unref_task(void *t)
{
    weft_task_unref(t);
}

static void on_input(weft_task *t, void *arg)
{
    combine_op *op = arg;
    if (!weft_task_done(op->result)) {
        if (op->kind == ANY) {
            weft_task_ref(t);
            weft_task_resolve(op->result, t, unref_task);
        } else if (op->kind == ALL_FAIL_FAST && weft_task_err(t)) {
            weft_task_reject(op->result, weft_task_err(t));
        }
    }
    if (--op->remaining > 0)
        return;
    if (!weft_task_done(op->result))
        weft_task_resolve(op->result, NULL, NULL);
    for (size_t i = 0; i < op->n; i++)
        weft_task_unref(op->inputs[i]);
    weft_task_unref(op->result);
    free(op);
}

static weft_task *combine(weft_scope *s, weft_task *const *tasks, size_t n, combine_kind kind)
{
    weft_task *result = weft_task_new(s);
    if (!result)
        return NULL;
    if (n == 0) {
        if (kind == ANY)
            weft_task_reject(result, WEFT_EINVAL); /* nothing can come first */
        else
            weft_task_resolve(result, NULL, NULL);
        return result;
    }
    for (size_t i = 0; i < n; i++) {
        if (!tasks[i]) { /* an input failed to be made: out of memory */
            weft_task_reject(result, WEFT_ENOMEM);
            return result;
        }
    }
    combine_op *op = malloc(sizeof *op + n * (sizeof(weft_task *) + sizeof(weft_waiter)));
    if (!op) {
        weft_task_reject(result, WEFT_ENOMEM);
        return result;
    }
    op->result = result;
    op->kind = kind;
    op->n = n;
    op->remaining = n;
    op->inputs = (weft_task **)(op + 1);
    op->waiters = (weft_waiter *)(op->inputs + n);
    weft_task_ref(result);
    for (size_t i = 0; i < n; i++) {
        op->inputs[i] = tasks[i];
        weft_task_ref(tasks[i]);
    }
    /* The last wait may complete the op and free it: use locals only. */
    weft_waiter *waiters = op->waiters;
    for (size_t i = 0; i < n; i++)
        weft_task_wait(tasks[i], &waiters[i], on_input, op);
    return result;
}

weft_task *weft_when_all(weft_scope *s, weft_task *const *tasks, size_t n)
{
    return combine(s, tasks, n, ALL_FAIL_FAST);
}

weft_task *weft_when_all_settled(weft_scope *s, weft_task *const *tasks, size_t n)
{
    return combine(s, tasks, n, ALL_SETTLED);
}

weft_task *weft_when_any(weft_scope *s, weft_task *const *tasks, size_t n)
{
    return combine(s, tasks, n, ANY);
}

typedef struct timeout_op {
    weft_task *result, *input;
    weft_waiter waiter;
    weft_timer timer;
    weft_loop *loop;
} timeout_op;

static void timeout_finish(timeout_op *op)
{
    weft_task_unref(op->input);
    weft_task_unref(op->result);
    free(op);
}

static void on_timeout_input(weft_task *t, void *arg)
{
    timeout_op *op = arg;
    weft_timer_stop(op->loop, &op->timer);
    int err = weft_task_err(t);
    if (err)
        weft_task_reject(op->result, err);
    else
        weft_task_resolve(op->result, NULL, NULL);
    timeout_finish(op);
}

static void on_timeout_fire(weft_timer *tm)
{
    timeout_op *op = (timeout_op *)((char *)tm - offsetof(timeout_op, timer));
    weft_task_unwait(op->input, &op->waiter);
    weft_task_reject(op->result, WEFT_ETIMEDOUT);
    timeout_finish(op);
}

weft_task *weft_with_timeout(weft_scope *s, weft_task *t, uint64_t ms)
{
    weft_task *result = weft_task_new(s);
    if (!result)
        return NULL;
    timeout_op *op = t ? weft__zalloc(sizeof *op) : NULL;
    if (!op) {
        weft_task_reject(result, WEFT_ENOMEM);
        return result;
    }
    op->result = result;
    op->input = t;
    op->loop = s ? s->loop : weft_loop_current();
    weft_task_ref(result);
    weft_task_ref(t);
    weft_timer_start(op->loop, &op->timer, ms, on_timeout_fire);
    weft_task_wait(t, &op->waiter, on_timeout_input, op); /* may finish op at once */
    return result;
}
