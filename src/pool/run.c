/* run.c - weft_run: CPU-bound or blocking work offloaded to the worker
 * pool, as a task that completes back on the calling loop (Task.Run).
 *
 * The job struct lives until the worker is done with it, whatever happens
 * to the task meanwhile: cancelling the scope completes the task at once
 * but never frees memory the worker is still using. */
#include <stdatomic.h>
#include <stdlib.h>

#include "weft/pool.h"
#include "../base/alloc.h"

static _Atomic(weft_pool *) default_pool;

void weft_pool_set_default(weft_pool *pool)
{
    atomic_store(&default_pool, pool);
}

weft_pool *weft_pool_default(void)
{
    return atomic_load(&default_pool);
}

typedef struct run_op {
    weft_job job;
    weft_task *task;
    void *(*fn)(void *);
    void *arg;
    void *result;
    weft_dtor dtor;
    weft_cancel_reg reg;
    weft_cancel_source *token;
} run_op;

static void run_work(weft_job *job)
{
    run_op *op = (run_op *)job;
    op->result = op->fn(op->arg);
}

static void run_done(weft_job *job)
{
    run_op *op = (run_op *)job;
    weft_cancel_unregister(op->token, &op->reg);
    if (job->status)
        weft_task_reject(op->task, job->status);
    else
        weft_task_resolve(op->task, op->result, op->dtor); /* a late result is destroyed */
    weft_task_unref(op->task);
    free(op);
}

static void run_cancel(weft_cancel_reg *reg, int reason)
{
    run_op *op = reg->arg;
    weft_task_reject(op->task, reason);
}

weft_task *weft_run(weft_scope *s, void *(*fn)(void *arg), void *arg, weft_dtor dtor)
{
    weft_task *t = weft_task_new(s);
    if (!t)
        return NULL;
    int reason = weft_scope_reason(s);
    weft_pool *pool = weft_pool_default();
    run_op *op = reason || !pool ? NULL : weft__zalloc(sizeof *op);
    if (!op) {
        weft_task_reject(t, reason ? reason : pool ? WEFT_ENOMEM : WEFT_ESTATE);
        return t;
    }
    op->task = t;
    op->fn = fn;
    op->arg = arg;
    op->dtor = dtor;
    op->job.work = run_work;
    op->job.done = run_done;
    op->token = weft_scope_token(s);
    weft_task_ref(t);
    if (weft_pool_submit(pool, &op->job)) {
        weft_task_reject(t, WEFT_EBUSY);
        weft_task_unref(t);
        free(op);
        return t;
    }
    weft_cancel_register(op->token, &op->reg, run_cancel, op);
    return t;
}
