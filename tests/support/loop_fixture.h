/* loop_fixture.h - a weft loop on the test's own thread, for unit tests of
 * the task and fiber layers; public API only (weft/loop.h). */
#ifndef WT_LOOP_FIXTURE_H
#define WT_LOOP_FIXTURE_H

#include <time.h>

#include "weft/fiber.h"
#include "weft/loop.h"

static weft_loop *fixture_loop;

static inline void loop_setup(void)
{
    fixture_loop = weft_loop_new();
}

static inline void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One turn of the loop that does not wait, then a millisecond's pause. */
static inline void loop_step(void)
{
    weft_loop_run_for(fixture_loop, 0);
    sleep_ms(1);
}

/* Runs the loop until *flag is set or timeout_ms passes; returns *flag. */
static inline int loop_run_until(const int *flag, unsigned timeout_ms)
{
    uint64_t until = weft_now_ms() + timeout_ms;
    while (!*flag && weft_now_ms() < until)
        weft_loop_run_for(fixture_loop, 1);
    return *flag;
}

static inline void loop_teardown(void)
{
    weft_loop_free(fixture_loop); /* with the thread's fiber stacks */
    fixture_loop = NULL;
}

/* cmocka set-up and tear-down around one test: a fresh loop, and the
 * thread's fiber stacks and ready-queue hooks released after it. */
static inline int loop_fixture_up(void **state)
{
    (void)state;
    loop_setup();
    return fixture_loop ? 0 : -1;
}

static inline int loop_fixture_down(void **state)
{
    (void)state;
    loop_teardown();
    return 0;
}

#endif
