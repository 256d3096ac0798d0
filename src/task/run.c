/* run.c - weft_task_run: a command-line tool's way to wait for a task.
 *
 * Runs the thread's own loop until the task completes. Only from outside
 * the loop: a handler or a fiber that waited this way would run the loop
 * inside one of its own callbacks. */
#include "task_int.h"
#include "../loop/loop.h"

static void stop_when_done(weft_task *t, void *arg)
{
    (void)t;
    weft_loop_stop(arg);
}

int weft_task_run(weft_task *t)
{
    weft_loop *loop = weft_loop_current();
    if (!t || !loop || weft__loop_running(loop))
        return WEFT_ESTATE;
    if (!weft_task_done(t)) {
        weft_waiter w;
        weft_task_wait(t, &w, stop_when_done, loop);
        while (!weft_task_done(t))
            weft_loop_run(loop);
    }
    return weft_task_err(t);
}
