/* fiber_int.h - internal structures of the fiber layer. */
#ifndef WEFT_SRC_FIBER_INT_H
#define WEFT_SRC_FIBER_INT_H

#include <stdint.h>

#include "switch.h"
#include "../base/sanitizers.h"
#include "../base/stats.h"
#include "../loop/loop.h"
#include "weft/fiber.h"

#if WEFT_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#if WEFT_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

#define WEFT__INLINE_DEFERS 4

typedef struct weft__defer {
    struct weft__defer *next;
    void (*fn)(void *);
    void *arg;
} weft__defer;

/* Lives at the top of its own stack mapping. */
struct weft_fiber {
    weft__ctx ctx;
    void *map;            /* the mapping: guard page, stack, this struct */
    size_t map_size;
    void *stack_lo;       /* usable stack [stack_lo, stack_lo + stack_size) */
    size_t stack_size;
    weft_fiber_fn fn;
    void *arg;
    const char *name;
    weft_scope *scope;
    void (*on_exit)(void *);
    void *exit_arg;
    int finished;
    int resume_err;
    weft_fiber *ready_next;
    weft__defer *defers;
    weft__defer inline_defers[WEFT__INLINE_DEFERS];
    int ndefers_inline;
    int pooled;           /* default size: goes back to the cache */
    weft_fiber *cache_next;
#if WEFT_TSAN
    void *tsan;
#endif
};

typedef struct weft__sched {
    weft__ctx main_ctx;
    weft_loop *loop;      /* whose phases run the ready fibers; NULL until first use */
    weft_loop_hook after_poll; /* runs ready fibers after each poll's I/O */
    weft_loop_hook at_close;   /* frees this state as the loop is released */
    weft_fiber *current;
    weft_fiber *ready_head, *ready_tail;
    int in_exit;
    weft_fiber *cache;    /* finished fibers with their default-size stacks */
    uint64_t ncached;     /* stacks in the cache */
    uint64_t cache_low;   /* the fewest cached since trim_at (stack.c) */
    uint64_t trim_at;     /* loop time (ms) of the last trim */
    char *slab_next;      /* default-size stacks mapped but not yet handed out */
    size_t slab_left;
    /* What weft_stats_snapshot reads (only this loop writes them). */
    struct {
        weft_counter spawned, finished, live, mapped, cached, stack_bytes;
    } st;
    weft_stat_source stats_src;
    void *main_stack_lo;
    size_t main_stack_size;
    void *altstack;
#if WEFT_TSAN
    void *tsan_main;
#endif
} weft__sched;

weft__sched *weft__sched_get(void);
/* stack.c */
weft_fiber *weft__stack_acquire(weft__sched *s, size_t stack_size);
void weft__stack_release(weft__sched *s, weft_fiber *f);
/* Unmaps the stacks that stayed cached since the last trim, at most once
 * a second (the loop's check phase calls it every iteration). */
void weft__stack_trim(weft__sched *s, uint64_t now_ms);
void weft__stack_cache_free(weft__sched *s);
/* guard.c */
void weft__guard_thread_init(weft__sched *s);
void weft__guard_thread_fini(weft__sched *s);

#endif
