/* loop.h - internal face of the loop layer (libuv lives behind it). */
#ifndef WEFT_SRC_LOOP_H
#define WEFT_SRC_LOOP_H

#include <pthread.h>
#include <uv.h>

#include "weft/loop.h"

/* Work to do once before the loop next waits for I/O (weft__loop_flush_later):
 * a protocol that writes many small frames to one socket (HTTP/2) queues
 * them during an iteration and writes them together here. */
typedef struct weft_flush {
    struct weft_flush *next;
    void (*fn)(struct weft_flush *f);
    int queued;
} weft_flush;

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
    uv_prepare_t before_poll; /* runs the flush list; active only while it is not empty */
    weft_flush *flush_head;
    uv_async_t wake;      /* rung by weft_loop_post */
    pthread_mutex_t mu;   /* guards the post list */
    weft_post *head, *tail;
    pthread_t thread;
    int index;
    int running;
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
};

/* Runs f->fn once before the loop next polls (after this iteration's
 * timers, I/O callbacks and check phase). Queuing a queued f again is a
 * no-op. Loop thread only. */
void weft__loop_flush_later(weft_loop *loop, weft_flush *f);
/* Takes f off the list if it is queued (its owner is going away). */
void weft__loop_flush_cancel(weft_loop *loop, weft_flush *f);

/* Creates the timerfd and its poll handle; 0 or WEFT_E*. */
int weft__timers_init(weft_loop *loop);
/* Frees the timer heap and closes the timerfd; after the loop has stopped
 * (weft__loop_release closed the poll handle). */
void weft__timers_free(weft_loop *loop);

/* Initialises the loop on the calling thread; the uv loop may be used to
 * create handles before the thread starts. 0 or WEFT_E*. */
int weft__loop_init(weft_loop *loop, int index);
/* Starts the loop's thread: it calls on_start(loop, arg) and then runs the
 * loop until no handle is active. */
int weft__loop_start(weft_loop *loop, void (*on_start)(weft_loop *, void *), void *arg);
/* Runs the loop on the calling thread until no handle is active. */
void weft__loop_run(weft_loop *loop);
void weft__loop_join(weft_loop *loop);
/* Lets the loop exit once its other handles are closed. */
void weft__loop_release(weft_loop *loop);
/* Makes `loop` the current loop of the calling thread. */
void weft__loop_set_current(weft_loop *loop);

#endif
