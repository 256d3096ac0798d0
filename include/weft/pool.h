/** @file weft/pool.h
 * @brief Bounded worker threads for blocking and CPU-bound work.
 *
 * The pool runs jobs that may block (synchronous handlers, Task.Run-style
 * offloads). Its queue is bounded: when every worker is busy and the queue
 * is full, submit fails at once with WEFT_EBUSY instead of queueing without
 * limit, which is what lets a server answer 503 rather than melt down.
 * A job's completion runs back on the loop that submitted it. */
#ifndef WEFT_POOL_H
#define WEFT_POOL_H

#include "weft/task.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A bounded pool of worker threads (opaque). */
typedef struct weft_pool weft_pool;

/** One piece of work for the pool. Embed it in your own struct, set work
 * and done, submit it; it must stay valid until done() has run. Its size
 * is part of the ABI: reserved gives the pool room to grow within it. */
typedef struct weft_job {
    weft_post post;          /**< internal: carries the completion home */
    struct weft_job *next;   /**< internal: queue link */
    weft_loop *origin;       /**< set by submit: where done() runs */
    void (*work)(struct weft_job *job); /**< on a worker thread; may block */
    void (*done)(struct weft_job *job); /**< on the origin loop, exactly once */
    int status;              /**< 0, or WEFT_ECANCELED if the pool stopped first */
    uint64_t queued_ns;      /**< internal: when it was queued (queue wait) */
    uint64_t ran_ns;         /**< how long work() ran (set before done()) */
    uint64_t waited_ns;      /**< of that, what it reported waiting (weft_pool_note_wait) */
    uint64_t took_ns;        /**< internal: queue wait + run, for the loop's spin */
    uint64_t reserved[4];    /**< internal: room for later versions */
} weft_job;

/** threads workers with stack_size-byte stacks, at most queue_len waiting
 * jobs. NULL on failure. */
WEFT_EXTERN weft_pool *weft_pool_new(unsigned threads, unsigned queue_len, size_t stack_size);
/** From a loop thread: queues job; done() will run on this loop. Returns 0,
 * or WEFT_EBUSY when the queue is full (done() is then never called). */
WEFT_EXTERN int weft_pool_submit(weft_pool *pool, weft_job *job);
/** Stops taking work, completes queued jobs with WEFT_ECANCELED (their done()
 * still runs), lets running ones finish, and joins the threads that finish
 * within timeout_ms. Returns the number of workers still busy. */
WEFT_EXTERN unsigned weft_pool_stop(weft_pool *pool, unsigned timeout_ms);
/** Frees the pool; only after a weft_pool_stop that returned 0. */
WEFT_EXTERN void weft_pool_free(weft_pool *pool);

/** A pool's counters at one moment (weft_pool_get_stats). */
typedef struct weft_pool_stats {
    unsigned threads;   /**< worker threads */
    unsigned busy;      /**< of those, running a job now */
    unsigned queued;    /**< jobs waiting for a worker */
    unsigned queue_len; /**< the most that may wait */
    uint64_t completed; /**< jobs finished, ever */
    uint64_t rejected;  /**< jobs refused with WEFT_EBUSY (queue full), ever */
    uint64_t queue_wait_ns_sum; /**< total time jobs waited, submit to a worker taking it */
    uint64_t queue_wait_ns_max; /**< the longest such wait */
    uint64_t drained_per_s;  /**< jobs finished in the last whole second: the drain rate */
} weft_pool_stats;
/** weft_pool_get_stats() as a function, with the size of weft_pool_stats as the caller was
 * compiled (see "The ABI" in docs/design.md); call weft_pool_get_stats(). */
WEFT_EXTERN void weft_pool_get_stats_sized(weft_pool *pool, weft_pool_stats *out, size_t out_size);
/** Fills a weft_pool_stats * with the pool's counters now. Any thread. */
#define weft_pool_get_stats(...) weft_pool_get_stats_sized(__VA_ARGS__, sizeof(weft_pool_stats))

/** Called on a worker thread by code that waits there (a blocking HTTP
 * call): the job running now spent ns waiting, not computing. The server's
 * starvation advisor tells sync routes that mostly wait from those that
 * compute. */
WEFT_EXTERN void weft_pool_note_wait(uint64_t ns);

/** The pool weft_run uses (a server sets its own at start). */
WEFT_EXTERN void weft_pool_set_default(weft_pool *pool);
/** The pool weft_run uses, or NULL before one is set. */
WEFT_EXTERN weft_pool *weft_pool_default(void);

/** Task.Run: runs fn(arg) on the default pool and completes the returned
 * task on the calling loop with fn's result as value (dtor frees it).
 * The task fails with WEFT_EBUSY if the pool's queue is full. If s is
 * cancelled first the task completes with the reason at once; fn, which
 * cannot be interrupted, finishes on its thread and its result is
 * destroyed. Loop thread only. */
WEFT_EXTERN weft_task *weft_run(weft_scope *s, void *(*fn)(void *arg), void *arg, weft_dtor dtor);

#ifdef __cplusplus
}
#endif
#endif
