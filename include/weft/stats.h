/* weft/stats.h - one snapshot of the whole process: the server, the
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

#define WEFT_STATS_MAX_ENDPOINTS 64
#define WEFT_STATS_MAX_ROUTES 128
#define WEFT_STATS_MAX_LOOPS 64

/* A latency histogram: counts per bucket (not cumulative) with these upper
 * bounds in microseconds, the last bucket everything above; the count and
 * the sum of all observations. */
#define WEFT_HIST_BUCKETS 13
#define WEFT_HIST_BOUNDS_US                                                                        \
    {1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,         \
     10000000, UINT64_MAX}
typedef struct weft_histogram {
    uint64_t buckets[WEFT_HIST_BUCKETS];
    uint64_t count, sum_us;
} weft_histogram;

/* One route's answers (its name "GET /path"; "" for requests no route
 * took: 404, 405, rejected input). */
typedef struct weft_route_stats {
    char name[96];
    int sync;                /* a WEFT_SYNC route: it holds a worker thread */
    uint64_t responses[6];   /* by class: responses[2] counts 2xx */
    weft_histogram duration; /* from the request's start to its end */
    uint64_t worker_us;      /* WEFT_SYNC: time its handlers held a worker */
    uint64_t worker_wait_us; /* ... of which waiting on outbound calls */
} weft_route_stats;

/* One backend as the HTTP client sees it (weft's own engines: plain
 * http:// to an IP address; calls through libcurl count in the totals). */
typedef struct weft_endpoint_stats {
    char name[64];     /* "127.0.0.1:8081" */
    uint64_t calls;    /* started */
    uint64_t errors;   /* failed (not counting cancellations) */
    uint64_t active;   /* on a connection or stream now */
    uint64_t waiting;  /* waiting for a connection slot or a stream */
    uint64_t connections; /* open to it now */
    uint64_t idle;     /* of those, kept idle for the next call (HTTP/1.1) */
    uint64_t errors_by[32]; /* by error: errors_by[-1000 - WEFT_E...] (weft_err_name) */
    weft_histogram duration; /* calls that got a response */
} weft_endpoint_stats;

typedef struct weft_stats {
    struct {
        uint64_t connections_accepted, connections_open;
        uint64_t requests, requests_inflight;
        uint64_t responses[6];   /* by class: responses[2] counts 2xx; [0] unused */
        uint64_t responses_499;  /* the client left before its answer */
        uint64_t responses_503;  /* shed: full pool queue, --max-concurrent, shutdown */
        uint64_t responses_504;  /* the request's deadline passed */
        uint64_t bad_requests;   /* 4xx/5xx answered by a protocol codec */
        uint64_t timeouts;       /* header/body/idle/write time limits hit */
        uint64_t tls_handshakes; /* TLS handshakes done: full ones ... */
        uint64_t tls_resumed;    /* ... and resumed ones (a ticket) */
        uint64_t tls_handshake_failures; /* failed, timed out, or plain HTTP on the TLS port */
        uint64_t loop_stalls;    /* a loop busy past --stall-ms (the stall detector) */
        uint64_t loop_lag_us_max; /* the longest a loop took to answer the detector's ping */
        uint64_t inflight_async, inflight_sync, inflight_callback;
        size_t nloops;
        uint64_t loop_lag_us[WEFT_STATS_MAX_LOOPS]; /* each loop's last ping round trip */
        size_t nroutes;
        weft_route_stats routes[WEFT_STATS_MAX_ROUTES + 1]; /* the last: no route */
    } server;
    struct {
        uint64_t threads, busy, queued, queue_capacity;
        uint64_t completed, rejected;
        uint64_t queue_wait_ns_sum, queue_wait_ns_max; /* submit to a worker taking it */
        weft_histogram queue_wait;
    } pool;
    struct {
        uint64_t alive, spawned, finished;
        uint64_t stacks_mapped, stacks_cached, stack_bytes;
    } fibers;
    struct {
        uint64_t calls_started, calls_ok, calls_failed, calls_canceled, calls_active;
        uint64_t sockets_open, connections_opened;
        uint64_t latency_us_sum, latency_us_max; /* calls that got a response */
        size_t nendpoints;
        uint64_t endpoints_omitted; /* more backends than the array holds */
        weft_endpoint_stats endpoints[WEFT_STATS_MAX_ENDPOINTS];
    } client;
} weft_stats;

/* The process's counters now, in a snapshot of its own (tens of KiB: it
 * is on the heap, not on a fiber's stack); NULL when out of memory. Any
 * thread; never blocks for long (one mutex over the list of sources).
 * Free it with weft_stats_free. */
WEFT_EXTERN weft_stats *weft_stats_snapshot(void);
WEFT_EXTERN void weft_stats_free(weft_stats *s);

#ifdef __cplusplus
}
#endif
#endif
