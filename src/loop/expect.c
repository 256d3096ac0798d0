/* expect.c - spinning briefly for posts the loop knows are on their way.
 *
 * weft_run and sync handlers hand work to the pool, whose completion comes
 * back as a post. A loop that sleeps in the poll for it pays two
 * scheduler wake-ups per job (the worker's eventfd write, the loop's
 * epoll_wait returning): weft-micro measured a round trip of ~40 us for a
 * no-op job. While completions are expected and recent ones came back
 * within the spin budget, the loop spins before its poll until one
 * arrives, then runs them at once; jobs that take longer (a sync handler
 * waiting on a database) push the average past the budget and the loop
 * sleeps as before. While it spins it also asks the poller, every couple
 * of microseconds, whether a socket or timer is ready (an epoll fd is
 * itself pollable), and stops for that: a loop with I/O to do does not
 * wait for a job. Loop thread only. */
#include "loop.h"

#include <poll.h>

/* Whether the poller has something ready (a socket, a timer), without
 * taking it: a zero-time poll of the epoll descriptor. */
static int io_ready(weft_loop *loop)
{
    struct pollfd p = {.fd = uv_backend_fd(&loop->uv), .events = POLLIN};
    return p.fd >= 0 && poll(&p, 1, 0) > 0;
}

/* The BEFORE_POLL hook while posts are expected. */
static void spin_for_posts(weft_loop_hook *h)
{
    weft_loop *loop = (weft_loop *)((char *)h - offsetof(weft_loop, expect_hook));
    /* A poll that will not wait (ready fibers), or jobs the budget
     * would not cover: nothing to gain. */
    if (loop->busy_wanted || loop->expect_job_ns > WEFT__EXPECT_SPIN_NS)
        return;
    if (atomic_load_explicit(&loop->has_posts, memory_order_acquire)) {
        weft__loop_drain_posts(loop);
        return;
    }
    if (io_ready(loop))
        return;
    atomic_store(&loop->spinning, 1);
    uint64_t until = weft_now_ns() + WEFT__EXPECT_SPIN_NS;
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(&loop->has_posts, memory_order_acquire))
            break;
        if ((i & 63) == 0 && (weft_now_ns() >= until || io_ready(loop)))
            break;
        weft__spin_round(i);
    }
    atomic_store(&loop->spinning, 0);
    /* After `spinning` is clear: a post that came meanwhile either rang
     * the wake or is seen here (loop.c, weft_loop_post). */
    if (atomic_load(&loop->has_posts))
        weft__loop_drain_posts(loop);
}

void weft__loop_expect_post(weft_loop *loop)
{
    if (loop->expected++ == 0) {
        loop->expect_hook.fn = spin_for_posts;
        weft__loop_hook_add(loop, &loop->expect_hook, WEFT_PHASE_BEFORE_POLL);
    }
}

void weft__loop_expected_arrived(weft_loop *loop, uint64_t took_ns)
{
    /* An average over the last eight or so: one slow job does not stop
     * the spinning, a run of them does. took_ns is the job's own time on
     * the other side, not its round trip: a round trip slept through is
     * long because of the sleep, and counting it would never let the
     * spinning start again. */
    loop->expect_job_ns = loop->expect_job_ns - loop->expect_job_ns / 8 + took_ns / 8;
    if (loop->expected && --loop->expected == 0)
        weft__loop_hook_remove(loop, &loop->expect_hook);
}
