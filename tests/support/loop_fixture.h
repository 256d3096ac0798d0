/* loop_fixture.h - a weft loop on the test's own thread, for unit tests of
 * the task and fiber layers. */
#ifndef WT_LOOP_FIXTURE_H
#define WT_LOOP_FIXTURE_H

#include "../../src/loop/loop.h"
#include "weft/fiber.h"

static weft_loop fixture_loop;

static inline void loop_setup(void)
{
    weft__loop_init(&fixture_loop, 0);
    weft__loop_set_current(&fixture_loop);
}

/* One non-blocking turn of the loop. (UV_RUN_ONCE would block forever
 * once the due timers have run, since the wake handle keeps it alive.) */
static inline void loop_step(void)
{
    uv_update_time(&fixture_loop.uv);
    uv_run(&fixture_loop.uv, UV_RUN_NOWAIT);
    uv_sleep(1);
}

/* Runs the loop until *flag is set or timeout_ms passes; returns *flag. */
static inline int loop_run_until(const int *flag, unsigned timeout_ms)
{
    uint64_t until = uv_now(&fixture_loop.uv) + timeout_ms;
    while (!*flag && uv_now(&fixture_loop.uv) < until) {
        uv_update_time(&fixture_loop.uv);
        uv_run(&fixture_loop.uv, UV_RUN_NOWAIT);
        if (!*flag)
            uv_sleep(1);
    }
    return *flag;
}

static inline void loop_teardown(void)
{
    weft__loop_release(&fixture_loop);
    uv_run(&fixture_loop.uv, UV_RUN_DEFAULT);
    weft__timers_free(&fixture_loop);
    uv_loop_close(&fixture_loop.uv);
    weft__loop_set_current(NULL);
}

/* cmocka set-up and tear-down around one test: a fresh loop, and the
 * thread's fiber stacks and ready-queue handles released after it. */
static inline int loop_fixture_up(void **state)
{
    (void)state;
    loop_setup();
    return 0;
}

static inline int loop_fixture_down(void **state)
{
    (void)state;
    weft_fiber_thread_cleanup();
    loop_teardown();
    return 0;
}

#endif
