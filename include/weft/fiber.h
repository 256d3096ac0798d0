/** @file weft/fiber.h
 * @brief Stackful coroutines on a loop, and weft_await.
 *
 * A fiber runs a function on its own small stack on the loop's thread.
 * weft_await(task) parks the fiber and gives the thread back to the loop;
 * when the task completes, the fiber resumes where it left off, on the same
 * thread. This is what makes `async Task<ActionResult>` handlers possible
 * in C: straight-line code that holds no thread while it waits.
 *
 * Stacks are mmap'd with a guard page below them and pooled per loop; a
 * stack overflow hits the guard page and is reported with the fiber's name
 * instead of corrupting memory. */
#ifndef WEFT_FIBER_H
#define WEFT_FIBER_H

#include "weft/task.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A fiber: a function running on a stack of its own (opaque). */
typedef struct weft_fiber weft_fiber;
/** What a fiber runs. */
typedef void (*weft_fiber_fn)(void *arg);

/** The stack size fibers get unless told otherwise: 64 KiB (pooled). */
#define WEFT_FIBER_STACK_DEFAULT (64u * 1024u)

/** How a fiber is started (all optional: zero is the default). */
typedef struct weft_fiber_opts {
    size_t stack_size;     /**< 0 = WEFT_FIBER_STACK_DEFAULT (pooled size) */
    const char *name;      /**< for diagnostics (a route pattern) */
    weft_scope *scope;     /**< every await also ends when this is cancelled */
    /** Runs on the loop's own stack once fn has returned and the fiber is
     * gone: the place to finish what the fiber was doing. */
    void (*on_exit)(void *arg);
    void *exit_arg;        /**< on_exit's argument */
} weft_fiber_opts;

/** weft_fiber_spawn() as a function, with the size of weft_fiber_opts as the caller was
 * compiled (see "The ABI" in docs/design.md); call weft_fiber_spawn(). */
WEFT_EXTERN int weft_fiber_spawn_sized(weft_fiber_fn fn, void *arg, const weft_fiber_opts *opts,
                                       size_t opts_size);
/** Starts fn(arg) in a new fiber on the current loop. From the loop's own
 * stack it runs at once until its first await (or its end); from inside a
 * fiber it is queued and starts in the loop's next check phase. Returns 0,
 * WEFT_ENOMEM, or WEFT_EINVAL off a loop thread. */
#define weft_fiber_spawn(...) weft_fiber_spawn_sized(__VA_ARGS__, sizeof(weft_fiber_opts))

/** Fibers made ready by completions run in the loop's check phase, at most
 * 64 per loop iteration, so that I/O keeps being served between batches.
 * This runs every ready fiber now, from the loop's own stack (for code
 * that drives a loop by hand, such as tests and benchmarks). */
WEFT_EXTERN void weft_fiber_run_ready(void);

/** Parks the calling fiber until t completes, or until the fiber's scope is
 * cancelled; returns t's outcome (0 or WEFT_E*) or the scope's reason. The
 * fiber resumes in the loop's check phase after the completion.
 * Never blocks the thread. Outside a fiber it returns WEFT_ENOTFIBER at
 * once (unless t is already complete: then its outcome). */
WEFT_EXTERN int weft_await(weft_task *t);
/** Gives other ready fibers and the loop a turn; returns the scope's
 * reason if it was cancelled meanwhile, else 0. */
WEFT_EXTERN int weft_yield(void);

/** Registers fn(arg) to run when the current fiber's function returns, on
 * every path; cleanups run last-registered first. 0, WEFT_ENOTFIBER or
 * WEFT_ENOMEM. */
WEFT_EXTERN int weft_defer(void (*fn)(void *), void *arg);

/** The running fiber, or NULL on the loop's own stack. */
WEFT_EXTERN weft_fiber *weft_fiber_current(void);
/** The current fiber's scope, or NULL. */
WEFT_EXTERN weft_scope *weft_current_scope(void);

/** Frees the calling thread's cached stacks. weft_loop_free (and a
 * server's loop as it stops) does it; call it only for fibers run with no
 * loop at all. */
WEFT_EXTERN void weft_fiber_thread_cleanup(void);

/** For benchmarks: nanoseconds one bare context switch pair (there and
 * back, no scheduler, no task) takes on this machine, averaged over n -
 * the floor under any weft_await. Negative when out of memory. */
WEFT_EXTERN double weft_fiber_switch_pair_ns(long n);

#ifdef __cplusplus
}
#endif
#endif
