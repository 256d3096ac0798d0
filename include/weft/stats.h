/** @file weft/stats.h
 * @brief One snapshot of the whole process: the server, the
 * worker pool, the fibers and the HTTP client, over all loops.
 *
 * Every counter is kept by the thread that does the work (a loop, a
 * worker) and read here without stopping anyone: the snapshot is what
 * each counter said at one moment of the call, the way a metrics scrape
 * sees them. Counters only grow; gauges (open, in flight, busy, queued,
 * alive, active, waiting, idle) are momentary. This is what /metrics and
 * the status page read. */
#ifndef WEFT_STATS_H
#define WEFT_STATS_H

#include "weft/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The most backends a snapshot lists one by one (the rest are counted in
 * endpoints_omitted and in the totals). */
#define WEFT_STATS_MAX_ENDPOINTS 64
/** The most routes a snapshot lists one by one. */
#define WEFT_STATS_MAX_ROUTES 128
/** The most loops whose lag a snapshot lists. */
#define WEFT_STATS_MAX_LOOPS 64

/** The number of buckets of a weft_histogram. */
#define WEFT_HIST_BUCKETS 13
/** The buckets' upper bounds in microseconds, as an initialiser: 1 ms to
 * 10 s, the last bucket everything above. */
#define WEFT_HIST_BOUNDS_US                                                                        \
    {1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,         \
     10000000, UINT64_MAX}
/** A latency histogram: counts per bucket, with the bounds of
 * WEFT_HIST_BOUNDS_US. */
typedef struct weft_histogram {
    uint64_t buckets[WEFT_HIST_BUCKETS]; /**< observations per bucket (not cumulative) */
    uint64_t count;                      /**< all observations */
    uint64_t sum_us;                     /**< their sum, in microseconds */
} weft_histogram;

/** One route's answers (its name "GET /path"; "" for requests no route
 * took: 404, 405, rejected input). */
typedef struct weft_route_stats {
    char name[96];           /**< "GET /path" (the route's pattern), NUL-terminated */
    int sync;                /**< a WEFT_SYNC route: it holds a worker thread */
    uint64_t responses[6];   /**< by class: responses[2] counts 2xx */
    weft_histogram duration; /**< from the request's start to its end */
    uint64_t worker_us;      /**< WEFT_SYNC: time its handlers held a worker */
    uint64_t worker_wait_us; /**< ... of which waiting on outbound calls */
} weft_route_stats;

/** One backend as the HTTP client sees it (weft's own engines: plain
 * http:// to an IP address; calls through libcurl count in the totals). */
typedef struct weft_endpoint_stats {
    char name[64];     /**< "127.0.0.1:8081" */
    uint64_t calls;    /**< started */
    uint64_t errors;   /**< failed (not counting cancellations) */
    uint64_t active;   /**< on a connection or stream now */
    uint64_t waiting;  /**< waiting for a connection slot or a stream */
    uint64_t connections; /**< open to it now */
    uint64_t idle;     /**< of those, kept idle for the next call (HTTP/1.1) */
    uint64_t errors_by[32]; /**< by error: errors_by[-1000 - WEFT_E...] (weft_err_name) */
    weft_histogram duration; /**< calls that got a response */
} weft_endpoint_stats;

/** The server's part of a snapshot: connections, requests and answers,
 * loops, routes. */
typedef struct weft_stats_server {
    uint64_t connections_accepted; /**< client connections accepted, ever */
    uint64_t connections_open;     /**< client connections open now */
    uint64_t requests;             /**< requests started, ever */
    uint64_t requests_inflight;    /**< requests started and not ended now */
    uint64_t responses[6];   /**< by class: responses[2] counts 2xx; [0] unused */
    uint64_t responses_499;  /**< the client left before its answer */
    uint64_t responses_503;  /**< shed: full pool queue, --max-concurrent, shutdown */
    uint64_t responses_504;  /**< the request's deadline passed */
    uint64_t bad_requests;   /**< 4xx/5xx answered by a protocol codec */
    uint64_t timeouts;       /**< header/body/idle/write time limits hit */
    uint64_t tls_handshakes; /**< TLS handshakes done: full ones ... */
    uint64_t tls_resumed;    /**< ... and resumed ones (a ticket) */
    uint64_t tls_handshake_failures; /**< failed, timed out, or plain HTTP on the TLS port */
    uint64_t loop_stalls;    /**< a loop busy past --stall-ms (the stall detector) */
    uint64_t loop_lag_us_max; /**< the longest a loop took to answer the detector's ping */
    uint64_t inflight_async;    /**< requests in flight now in WEFT_ASYNC handlers */
    uint64_t inflight_sync;     /**< ... in WEFT_SYNC handlers (holding a worker or queued) */
    uint64_t inflight_callback; /**< ... in WEFT_CALLBACK handlers */
    size_t nloops;           /**< loops, and entries of loop_lag_us */
    uint64_t loop_lag_us[WEFT_STATS_MAX_LOOPS]; /**< each loop's last ping round trip */
    size_t nroutes;          /**< entries of routes, before the last one */
    weft_route_stats routes[WEFT_STATS_MAX_ROUTES + 1]; /**< the last: no route */
} weft_stats_server;

/** The worker pool's part of a snapshot. */
typedef struct weft_stats_pool {
    uint64_t threads;        /**< worker threads */
    uint64_t busy;           /**< of those, running a job now */
    uint64_t queued;         /**< jobs waiting for a worker now */
    uint64_t queue_capacity; /**< the most that may wait (--queue-length) */
    uint64_t completed;      /**< jobs finished, ever */
    uint64_t rejected;       /**< jobs refused because the queue was full, ever */
    uint64_t queue_wait_ns_sum; /**< total time jobs waited, submit to a worker taking it */
    uint64_t queue_wait_ns_max; /**< the longest such wait */
    weft_histogram queue_wait;  /**< those waits, as a histogram */
} weft_stats_pool;

/** The fibers' part of a snapshot. */
typedef struct weft_stats_fibers {
    uint64_t alive;         /**< fibers started and not finished now */
    uint64_t spawned;       /**< fibers started, ever */
    uint64_t finished;      /**< fibers finished, ever */
    uint64_t stacks_mapped; /**< fiber stacks mapped now (in use or cached) */
    uint64_t stacks_cached; /**< of those, cached for reuse */
    uint64_t stack_bytes;   /**< the bytes those stacks map */
} weft_stats_fibers;

/** The HTTP client's part of a snapshot. */
typedef struct weft_stats_client {
    uint64_t calls_started;  /**< calls started, ever */
    uint64_t calls_ok;       /**< calls that got a response (any status), ever */
    uint64_t calls_failed;   /**< calls that failed (not counting cancellations), ever */
    uint64_t calls_canceled; /**< calls cancelled by their scope, ever */
    uint64_t calls_active;   /**< calls in flight now */
    uint64_t sockets_open;   /**< client sockets open now */
    uint64_t connections_opened; /**< connections opened to backends, ever */
    uint64_t latency_us_sum; /**< total latency of the calls that got a response */
    uint64_t latency_us_max; /**< the longest of those */
    size_t nendpoints;       /**< entries of endpoints */
    uint64_t endpoints_omitted; /**< more backends than the array holds */
    weft_endpoint_stats endpoints[WEFT_STATS_MAX_ENDPOINTS]; /**< one per backend */
} weft_stats_client;

/** One snapshot of the process (weft_stats_snapshot). The library
 * allocates it, so it may grow at its end. */
typedef struct weft_stats {
    weft_stats_server server; /**< the server */
    weft_stats_pool pool;     /**< the worker pool */
    weft_stats_fibers fibers; /**< the fibers */
    weft_stats_client client; /**< the HTTP client */
} weft_stats;

/** The process's counters now, in a snapshot of its own (tens of KiB: it
 * is on the heap, not on a fiber's stack); NULL when out of memory. Any
 * thread; never blocks for long (one mutex over the list of sources).
 * Free it with weft_stats_free. */
WEFT_EXTERN weft_stats *weft_stats_snapshot(void);
/** Frees a snapshot. */
WEFT_EXTERN void weft_stats_free(weft_stats *s);

#ifdef __cplusplus
}
#endif
#endif
