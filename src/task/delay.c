/* delay.c - weft_delay: a task that completes after a time, holding no
 * thread (Task.Delay). A timer in the loop's heap and a registration on the
 * scope's cancellation, whichever fires first completes the task; the other
 * is detached. */
#include <stdlib.h>

#include "task_int.h"
#include "../base/alloc.h"

typedef struct delay_op {
    weft_task *task;
    weft_timer timer;
    weft_cancel_reg reg;
    weft_scope *scope;
} delay_op;

static void delay_finish(delay_op *op, int err)
{
    if (err)
        weft_task_reject(op->task, err);
    else
        weft_task_resolve(op->task, NULL, NULL);
    weft_task_unref(op->task);
    free(op);
}

static void on_fire(weft_timer *t)
{
    delay_op *op = (delay_op *)((char *)t - offsetof(delay_op, timer));
    weft_cancel_unregister(weft_scope_token(op->scope), &op->reg);
    delay_finish(op, 0);
}

static void on_cancel(weft_cancel_reg *reg, int reason)
{
    delay_op *op = reg->arg;
    weft_timer_stop(op->scope ? op->scope->loop : weft_loop_current(), &op->timer);
    delay_finish(op, reason);
}

weft_task *weft_delay(weft_scope *s, uint64_t ms)
{
    weft_task *t = weft_task_new(s);
    if (!t)
        return NULL;
    int reason = weft_scope_reason(s);
    delay_op *op = reason ? NULL : weft__zalloc(sizeof *op);
    if (!op) {
        weft_task_reject(t, reason ? reason : WEFT_ENOMEM);
        return t;
    }
    op->task = t;
    op->scope = s;
    weft_task_ref(t); /* the operation's own reference until it completes */
    weft_cancel_register(weft_scope_token(s), &op->reg, on_cancel, op);
    weft_timer_start(s ? s->loop : weft_loop_current(), &op->timer, ms, on_fire);
    return t;
}
