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
        uint64_t loop_stalls;    /* a loop busy past --stall-ms (the stall detector) */
        uint64_t loop_lag_us_max; /* the longest a loop took to answer the detector's ping */
    } server;
    struct {
        uint64_t threads, busy, queued, queue_capacity;
        uint64_t completed, rejected;
        uint64_t queue_wait_ns_sum, queue_wait_ns_max; /* submit to a worker taking it */
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

/* Fills out with the process's counters. Any thread; never blocks for
 * long (one mutex over the list of sources). */
void weft_stats_snapshot(weft_stats *out);

#ifdef __cplusplus
}
#endif
#endif
