/* stats.h - counters any thread may read, and the sources a snapshot
 * (weft_stats_snapshot) collects from.
 *
 * A weft_counter has one writer (the loop or worker that owns it) and any
 * number of readers: the writer's add is a relaxed load and store - no
 * locked instruction on the hot path - and readers see some recent value,
 * never a torn one. No counter has two writing threads. */
#ifndef WEFT_SRC_BASE_STATS_H
#define WEFT_SRC_BASE_STATS_H

#include <stdatomic.h>

#include "weft/stats.h"

typedef _Atomic uint64_t weft_counter;

static inline void weft__count(weft_counter *c, int64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + (uint64_t)n,
                          memory_order_relaxed);
}

static inline void weft__count_max(weft_counter *c, uint64_t v)
{
    if (v > atomic_load_explicit(c, memory_order_relaxed))
        atomic_store_explicit(c, v, memory_order_relaxed);
}

static inline uint64_t weft__counter(const weft_counter *c)
{
    return atomic_load_explicit((weft_counter *)c, memory_order_relaxed);
}

/* A histogram one thread writes (weft_histogram's buckets). */
typedef struct weft_hist_counter {
    weft_counter buckets[WEFT_HIST_BUCKETS];
    weft_counter count, sum_us;
} weft_hist_counter;

/* Counts one observation of us microseconds. */
void weft__hist_add(weft_hist_counter *h, uint64_t us);
/* Adds h's figures to out. */
void weft__hist_read(const weft_hist_counter *h, weft_histogram *out);
/* Adds one histogram to another. */
void weft__hist_merge(weft_histogram *into, const weft_histogram *h);

/* Something that adds its counters to a snapshot: a server loop, a fiber
 * scheduler, a pool, a client, a backend endpoint. Registered while it
 * exists; collect runs under the registry's lock, so a source is never
 * freed while it is being read (unregister first). */
typedef struct weft_stat_source {
    struct weft_stat_source *prev, *next;
    void (*collect)(struct weft_stat_source *src, weft_stats *out);
    int registered;
    int peers; /* adds other processes' figures: not in weft__stats_snapshot_own */
} weft_stat_source;

/* This process's own figures, without the other worker processes' (what
 * a worker publishes for the others: src/app/worker.c). */
weft_stats *weft__stats_snapshot_own(void);
/* Adds every figure of from to into: counters and gauges summed, maxima
 * kept, routes merged by index (the processes share one route list),
 * endpoints by name, loops appended. */
void weft__stats_merge(weft_stats *into, const weft_stats *from);

void weft__stats_register(weft_stat_source *src);
void weft__stats_unregister(weft_stat_source *src);

/* Adds an endpoint's figures to out, merging by name. */
void weft__stats_add_endpoint(weft_stats *out, const weft_endpoint_stats *e);

#endif
