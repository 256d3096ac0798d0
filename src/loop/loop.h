/* loop.h - internal face of the loop layer, libuv's only home.
 *
 * Everything else in weft reaches the platform through this header and
 * transport.h: loops and their phases, timers, cross-thread posting, file
 * descriptor watches, signals, TCP transports and listeners. No other
 * folder names a uv_ identifier (tests/unit/loop/test_layering.sh checks),
 * so the poller can change (io_uring) without touching a handler. */
#ifndef WEFT_SRC_LOOP_H
#define WEFT_SRC_LOOP_H

#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

#include "../base/threads.h"

#include "weft/loop.h"

/* Work to do once before the loop next waits for I/O (weft__loop_flush_later):
 * a protocol that writes many small frames to one socket (HTTP/2) queues
 * them during an iteration and writes them together here. */
typedef struct weft_flush {
    struct weft_flush *next;
    void (*fn)(struct weft_flush *f);
    int queued;
} weft_flush;

/* ---- phase hooks -------------------------------------------------------------
 * Code that must run at a point of every loop iteration (the fiber
 * scheduler after I/O, a stall detector around the poll) registers a hook
 * instead of owning a libuv handle. A hook never keeps the loop alive by
 * itself. Loop thread only. */
typedef enum weft_loop_phase {
    WEFT_PHASE_BEFORE_POLL, /* after timers and I/O callbacks, before the loop waits */
    WEFT_PHASE_AFTER_POLL,  /* right after the poll's I/O callbacks */
    WEFT_PHASE_CLOSE,       /* once, as the loop is freed: release per-loop state */
    WEFT__PHASES
} weft_loop_phase;

typedef struct weft_loop_hook {
    struct weft_loop_hook *prev, *next;
    void (*fn)(struct weft_loop_hook *h);
    weft_loop_phase phase;
    int added;
} weft_loop_hook;

/* Adds h (fn set by the caller) to run at every `phase` from now on;
 * adding an added hook is a no-op. */
void weft__loop_hook_add(weft_loop *loop, weft_loop_hook *h, weft_loop_phase phase);
/* Takes h off; safe from within its own fn. */
void weft__loop_hook_remove(weft_loop *loop, weft_loop_hook *h);
/* While `on`, the loop's next poll does not wait (work is ready to run in
 * a hook: ready fibers). Inline and mostly a flag: it is on every await. */
void weft__loop_start_busy(weft_loop *loop);
static inline void weft__loop_keep_busy(weft_loop *loop, int on);
/* phase.c: the handles behind the phases, made with the loop; _close runs
 * the CLOSE hooks and closes the handles. */
int weft__phases_init(weft_loop *loop);
void weft__phases_close(weft_loop *loop);

/* A heap entry holds its timer's key: sifting compares within the array
 * instead of loading each timer (a cache miss per level with thousands of
 * request deadlines in the heap; perf put the heap at 9% of a backend). */
struct weft_timer_ent {
    uint64_t due, seq;
    weft_timer *t;
};

/* A FIFO of timers that share one time-out. Each starts at a later (or
 * equal) instant than the one before it, so each is due no earlier than
 * the one before it: appending keeps the list in deadline order, the head
 * is always its earliest, and stopping one is an unlink. */
#define WEFT__TIMER_LISTS 8
struct weft_timer_list {
    uint64_t delay_ns;
    weft_timer *head, *tail;
};

struct weft_loop {
    uv_loop_t uv;
    uv_prepare_t before_poll; /* runs the flush list and BEFORE_POLL hooks */
    uv_check_t after_poll;    /* runs AFTER_POLL hooks; active while one is added */
    uv_idle_t busy;           /* active while weft__loop_keep_busy: the poll does not wait */
    uint8_t busy_wanted;      /* what keep_busy said last */
    uint8_t busy_started;     /* the idle handle is active (it stops itself) */
    weft_flush *flush_head;
    weft_loop_hook *hooks[WEFT__PHASES];
    uv_async_t wake;      /* rung by weft_loop_post */
    pthread_mutex_t mu;   /* guards the post list */
    weft_post *head, *tail;
    _Atomic int has_posts;  /* the post list is not empty (set and cleared under mu) */
    /* Posts expected back soon (expect.c): offloaded jobs out, how long
     * such jobs took of late on the other side, and whether the loop spins
     * for them now instead of sleeping (then posters need not ring `wake`). */
    unsigned expected;
    uint64_t expect_job_ns;
    _Atomic int spinning;
    weft_loop_hook expect_hook;
    weft_post stop_msg;   /* weft_loop_stop from another thread */
    _Atomic int stop_posted;
    /* What runs on the loop now, for a watchdog on another thread: a
     * handler's name and since when (loop clock, ms); NULL between them. */
    _Atomic(const char *) what_runs;
    _Atomic uint64_t what_runs_since_ms;
    pthread_t thread;
    int index;
    int running;          /* a thread of its own was started */
    int depth;            /* runs of it under way on its thread */
    int owned;            /* made by weft_loop_new: weft_loop_free frees it */
    void (*on_start)(weft_loop *loop, void *arg);
    void *start_arg;
    /* timers: per-time-out lists and a min-heap on (due, seq) for the
     * others, driving one timerfd, watched by a uv poll handle (active only
     * while a timer is) */
    int timer_fd;
    uv_poll_t timer_poll;
    uint64_t armed_due;   /* what the timerfd is set to; 0 = disarmed */
    struct weft_timer_list lists[WEFT__TIMER_LISTS];
    size_t lists_used;    /* slots ever keyed: the rest are never looked at */
    size_t listed;        /* timers in the lists */
    struct weft_timer_ent *heap;
    size_t heap_len, heap_cap;
    uint64_t timer_seq;
    struct weft_uring *uring; /* the io_uring engine's ring, or NULL: epoll (engine.c) */
};

/* engine.c: gives a new loop its io_uring ring if the process uses one;
 * falls back to epoll (logged once) where the kernel refuses. */
void weft__engine_open(weft_loop *loop);

/* Runs f->fn once before the loop next polls (after this iteration's
 * timers, I/O callbacks and check phase). Queuing a queued f again is a
 * no-op. Loop thread only. */
void weft__loop_flush_later(weft_loop *loop, weft_flush *f);
/* The same, after every flush queued before it or later in this round:
 * for the io_uring engine's one submit of the writes the others make. */
void weft__loop_flush_last(weft_loop *loop, weft_flush *f);
/* Takes f off the list if it is queued (its owner is going away). */
void weft__loop_flush_cancel(weft_loop *loop, weft_flush *f);

/* Creates the timerfd and its poll handle; 0 or WEFT_E*. */
int weft__timers_init(weft_loop *loop);
/* Frees the timer heap and closes the timerfd; after the loop has stopped
 * (weft__loop_release closed the poll handle). */
void weft__timers_free(weft_loop *loop);
/* 1 while some timer is started (the timerfd is watched). */
int weft__timers_watched(const weft_loop *loop);

/* Initialises the loop on the calling thread; handles may be created on
 * it before its thread starts. 0 or WEFT_E*. */
int weft__loop_init(weft_loop *loop, int index);
/* Starts the loop's thread: it calls on_start(loop, arg) and then runs the
 * loop until no handle is active. */
int weft__loop_start(weft_loop *loop, void (*on_start)(weft_loop *, void *), void *arg);
/* Runs the loop on the calling thread until no handle is active. */
void weft__loop_run(weft_loop *loop);
void weft__loop_join(weft_loop *loop);
/* Runs the CLOSE hooks (on the loop's thread) and lets the loop exit once
 * its other handles are closed. */
void weft__loop_release(weft_loop *loop);
/* After the loop has run out (weft__loop_release, then its run returned):
 * frees what the loop holds. Any thread. */
void weft__loop_close(weft_loop *loop);
/* Says what code runs on the loop from now on (a route's name; NULL when
 * it returns to the loop). Two relaxed stores: a watchdog thread reads
 * them (weft__loop_what_runs) to name what holds a stalled loop. */
static inline void weft__loop_mark(weft_loop *loop, const char *what)
{
    if (what)
        atomic_store_explicit(&loop->what_runs_since_ms, loop->uv.time, memory_order_relaxed);
    atomic_store_explicit(&loop->what_runs, what, memory_order_relaxed);
}
static inline void weft__loop_keep_busy(weft_loop *loop, int on)
{
    loop->busy_wanted = (uint8_t)on;
    if (on && !loop->busy_started)
        weft__loop_start_busy(loop);
}
/* stack_dump.c: writes the backtrace of loop's thread (a loop started
 * with weft__loop_start) to stderr, from that thread, as soon as it takes
 * the signal. 0 or WEFT_E*. Any thread. */
int weft__loop_dump_stack(weft_loop *loop);
/* Called on a loop thread as it starts: it may be asked for its stack. */
void weft__loop_allow_dumps(void);
/* What runs on loop and since when (its clock, ms); any thread. */
const char *weft__loop_what_runs(const weft_loop *loop, uint64_t *since_ms);
/* 1 while weft_loop_run/_run_for or a loop thread is running it: a caller
 * is inside one of its callbacks. */
int weft__loop_running(const weft_loop *loop);
/* Makes `loop` the current loop of the calling thread. */
void weft__loop_set_current(weft_loop *loop);

/* ---- expected posts (expect.c) ----------------------------------------------
 * A job handed to another thread (the worker pool) comes back as a post.
 * Sleeping in the poll for it costs a wake-up on each side (an eventfd
 * write and the scheduler waking the loop: ~20 us each on a VM), far
 * more than a short job itself. While posts are expected and recent such
 * jobs were short, the loop spins for them before it polls,
 * for at most WEFT__EXPECT_SPIN_NS; long jobs are waited for in the poll. */
#define WEFT__EXPECT_SPIN_NS 30000
/* Loop thread: a post is on its way to this loop. */
void weft__loop_expect_post(weft_loop *loop);
/* Loop thread: it came; the job took took_ns on the other side (queue
 * wait and run, not the trip back). */
void weft__loop_expected_arrived(weft_loop *loop, uint64_t took_ns);
/* loop.c: runs what has been posted; loop thread. */
void weft__loop_drain_posts(weft_loop *loop);

/* ---- descriptors and signals ------------------------------------------------ */

/* A watch on a file descriptor the loop does not own (libcurl's sockets). */
typedef struct weft_io_watch weft_io_watch;
#define WEFT_IO_READABLE 1
#define WEFT_IO_WRITABLE 2
#define WEFT_IO_ERROR 4
typedef void (*weft_io_fn)(weft_io_watch *w, int events, void *arg);
/* NULL when out of memory or the fd cannot be watched. */
weft_io_watch *weft__io_watch_new(weft_loop *loop, int fd, weft_io_fn fn, void *arg);
/* Watches for `events` (READABLE|WRITABLE) from now on; 0 pauses. */
int weft__io_watch_set(weft_io_watch *w, int events);
/* Stops and frees the watch (the fd stays open). */
void weft__io_watch_free(weft_io_watch *w);

/* A signal delivered on the loop's thread. */
typedef struct weft_signal_watch weft_signal_watch;
weft_signal_watch *weft__signal_watch(weft_loop *loop, int signum,
                                      void (*fn)(int signum, void *arg), void *arg);
void weft__signal_watch_free(weft_signal_watch *w);

#endif
