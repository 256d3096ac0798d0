/* weft/loop.h - one event loop per thread, and the one way across threads.
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

typedef struct weft_loop weft_loop;

/* An intrusive message: embed it in your own struct, set fn, post it. The
 * loop calls fn(post) on its own thread, once, in posting order. */
typedef struct weft_post {
    struct weft_post *next;
    void (*fn)(struct weft_post *p);
} weft_post;

/* Thread-safe, never blocks for long (one short mutex), never fails: the
 * message is linked in place, no allocation. */
void weft_loop_post(weft_loop *loop, weft_post *p);

/* The loop that runs on the calling thread, or NULL on other threads. */
weft_loop *weft_loop_current(void);
/* Index of the loop (0..n-1) within its server. */
int weft_loop_index(const weft_loop *loop);
/* The loop's cached monotonic clock in ms, updated once per iteration. */
uint64_t weft_loop_now(const weft_loop *loop);

#ifdef __cplusplus
}
#endif
#endif
