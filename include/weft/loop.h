/** @file weft/loop.h
 * @brief One event loop per thread, and the one way across threads.
 *
 * A weft_loop runs on its own thread and owns everything created on it:
 * connections, timers, tasks. Code on another thread never touches those;
 * it hands work over with weft_loop_post(), the only cross-thread path. */
#ifndef WEFT_LOOP_H
#define WEFT_LOOP_H

#include "weft/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An event loop: one per thread (opaque). */
typedef struct weft_loop weft_loop;

/** An intrusive message: embed it in your own struct, set fn, post it. The
 * loop calls fn(post) on its own thread, once, in posting order. */
typedef struct weft_post {
    struct weft_post *next;          /**< the loop's queue (internal) */
    void (*fn)(struct weft_post *p); /**< runs on the loop's thread, once */
} weft_post;

/** Thread-safe, never blocks for long (one short mutex), never fails: the
 * message is linked in place, no allocation. */
WEFT_EXTERN void weft_loop_post(weft_loop *loop, weft_post *p);

/* ---- a loop of your own ----------------------------------------------------
 * A server makes and runs its loops itself (weft_app_run). A command-line
 * tool, a test or a benchmark makes one here and runs tasks, fibers and
 * client calls on it with no server at all:
 *
 *     weft_loop *loop = weft_loop_new();
 *     weft_scope *s = weft_scope_new(NULL, 5000);      // one deadline
 *     int err = weft_task_run(weft_http_get(s, url));  // runs the loop
 *     weft_scope_free(s);
 *     weft_loop_free(loop);
 */

/** A new loop on the calling thread, which becomes its current loop; NULL
 * when out of memory. The loop belongs to this thread from now on. */
WEFT_EXTERN weft_loop *weft_loop_new(void);
/** Runs the loop on its thread until weft_loop_stop. Returns 0. */
WEFT_EXTERN int weft_loop_run(weft_loop *loop);
/** Runs the loop for at most ms milliseconds, or until weft_loop_stop; with
 * 0, one turn that does not wait (what is ready runs, then it returns). */
WEFT_EXTERN void weft_loop_run_for(weft_loop *loop, uint64_t ms);
/** Makes weft_loop_run return after the current iteration (at once if it
 * is not running: the next run returns at once). Any thread. */
WEFT_EXTERN void weft_loop_stop(weft_loop *loop);
/** Ends the loop: releases what fibers and the client keep on it (stack
 * cache, idle backend connections), closes its handles and frees it. On
 * the loop's thread, with nothing of the caller's still pending on it. */
WEFT_EXTERN void weft_loop_free(weft_loop *loop);

/** The I/O engine of the loops made from now on, for the whole process:
 * "uring" (io_uring), "epoll", or "auto" (the default, io_uring). Without
 * a call, the WEFT_IO environment variable decides. A kernel that refuses
 * io_uring leaves the process on epoll (logged once). 0 or WEFT_EINVAL.
 * A server takes it from --io. */
WEFT_EXTERN int weft_io_select(const char *engine);
/** The engine in use: "io_uring" or "epoll". */
WEFT_EXTERN const char *weft_io_engine(void);

/** The loop that runs on the calling thread, or NULL on other threads. */
WEFT_EXTERN weft_loop *weft_loop_current(void);
/** Index of the loop (0..n-1) within its server. */
WEFT_EXTERN int weft_loop_index(const weft_loop *loop);
/** The loop's cached monotonic clock in ms, updated once per iteration. */
WEFT_EXTERN uint64_t weft_loop_now(const weft_loop *loop);

/* ---- timers --------------------------------------------------------------- */

/** An intrusive one-shot timer; starting or stopping one allocates
 * nothing. A loop keeps a FIFO list per time-out it sees often (request
 * deadlines, backend call time-outs, a page's delay: one time-out,
 * thousands of timers), where start and stop are O(1), and a binary heap
 * for the rest. Loop thread only. Zero the struct before first use; the
 * fields are the loop's. */
typedef struct weft_timer {
    uint64_t due;    /**< monotonic clock (weft_now_ns), ns */
    uint64_t seq;    /**< start order: equal deadlines fire in start order */
    size_t idx;      /**< heap position + 1, or a list's mark; 0 = not active */
    struct weft_timer *prev; /**< the neighbour before it in its list */
    struct weft_timer *next; /**< the neighbour after it in its list */
    void (*cb)(struct weft_timer *t); /**< runs when it fires */
} weft_timer;

/** Starts (or restarts) t to call cb once, delay_ms from now; delays over
 * 10^12 ms (~31 years) are taken as that. */
WEFT_EXTERN void weft_timer_start(weft_loop *loop, weft_timer *t, uint64_t delay_ms,
                      void (*cb)(weft_timer *t));
/** Stops t if it is active; harmless if not. */
WEFT_EXTERN void weft_timer_stop(weft_loop *loop, weft_timer *t);
/** True while t is started and has not fired or been stopped. */
static inline int weft_timer_active(const weft_timer *t)
{
    return t->idx != 0;
}

#ifdef __cplusplus
}
#endif
#endif
