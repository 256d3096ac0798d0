/* core.h - the client's core: the one call object and its wait queue,
 * the per-loop client, its counters, and the interface every engine
 * (src/http1/client.c over HTTP/1.1, src/http2/client.c over HTTP/2,
 * src/client/curl.c through libcurl)
 * implements. The core calls no engine by name; src/app/client.c picks them. */
#ifndef WEFT_SRC_CLIENT_CORE_H
#define WEFT_SRC_CLIENT_CORE_H

#include <stdio.h>
#include <sys/socket.h>

#include "weft/client.h"
#include "../base/stats.h"
#include "../loop/loop.h"
#include "../tls/tls.h"

/* A client engine: one way to carry calls (the engines register none of
 * this with each other: src/app/client.c holds the list and picks). */
typedef struct client_loop client_loop;
typedef struct weft_client_engine {
    const char *name;
    /* Takes the call if this engine carries it (returns 1: t now completes
     * exactly once, through this engine), or leaves it (0) to the next. */
    int (*start)(const struct weft_client_engine *e, client_loop *cl, weft_scope *s,
                 weft_task *t, const char *url, const weft_http_opts *o);
    /* Frees the engine's state on this loop (idle connections, sessions)
     * as the loop ends. */
    void (*cleanup)(const struct weft_client_engine *e, client_loop *cl);
    const void *impl; /* what the engine needs to know of itself (own_engine) */
} weft_client_engine;

/* The engines' slots in client_loop.state. */
enum { ENGINE_NATIVE, ENGINE_H2, ENGINE_CURL, ENGINE_SLOTS };

/* The client on one loop: its limits, the engines' per-loop state, its
 * counters. Made on a loop's first call; freed as the loop ends. */
struct client_loop {
    weft_loop *loop;
    weft_loop_hook at_close; /* frees it as the loop is released */
    const weft_client_config *cfg;
    long host_limit;        /* this loop's share of the per-endpoint limit (0 = none) */
    long total_limit;       /* this loop's share of the total limit (0 = none) */
    int total_blocked;      /* a call waits because the loop is at total_limit */
    void *state[ENGINE_SLOTS];
    const weft_client_engine *const *engines; /* for cleanup */
    size_t nengines;
    /* What weft_stats_snapshot reads (only this loop writes them). */
    struct {
        weft_counter calls_started, calls_ok, calls_failed, calls_canceled, calls_active;
        weft_counter sockets_open, connections_opened, latency_us_sum, latency_us_max;
    } st;
    weft_stat_source stats_src;
};

/* One backend's figures on one loop, kept by an engine's endpoint and
 * merged by name across loops in a snapshot. */
typedef struct client_ep_stats {
    weft_stat_source src;
    char name[64];          /* "127.0.0.1:8081" */
    weft_counter calls, errors, in_flight, waiting, connections, idle;
    weft_counter errors_by[32];
    weft_hist_counter duration;
} client_ep_stats;
/* Names e after addr and registers it; _fini takes it off (before the
 * endpoint is freed). */
void weft__ep_stats_init(client_ep_stats *e, const struct sockaddr_storage *addr);
void weft__ep_stats_fini(client_ep_stats *e);

/* This thread's client, made on first use with the engines to clean up;
 * NULL off a loop or out of memory. */
client_loop *weft__client_loop(const weft_client_config *cfg,
                               const weft_client_engine *const *engines, size_t n);
/* Frees this thread's client (each engine's cleanup first). */
void weft__client_loop_free(void);

uint64_t weft__call_timeout(client_loop *cl, weft_scope *s, uint64_t per_call);

/* What every call carries whichever engine takes it: the task it
 * completes, its scope, its limits, when it started, its URL for
 * messages, and its time-out and cancellation hooks. Each engine's call
 * begins with one. */
typedef struct call_base {
    weft_task *task;
    weft_scope *scope;
    client_loop *cl;
    client_ep_stats *eps;   /* its endpoint's figures (NULL: libcurl's calls) */
    uint64_t t0, timeout_ms;
    size_t max_body;
    weft_cancel_reg reg;
    weft_timer timer;       /* armed when the call set its own time-out */
    struct call_base *wait_prev, *wait_next; /* in its endpoint's call_queue */
    int waiting;
    char url[256];          /* may be cut */
} call_base;
/* Calls waiting for a connection (HTTP/1.1) or a stream (HTTP/2), oldest
 * first. Doubly linked: a call canceled or timed out while thousands wait
 * with it leaves in O(1). The engines' calls begin with their call_base,
 * so a queued base is also the call. */
typedef struct call_queue {
    call_base *head, *tail;
} call_queue;
void weft__call_queue_push(call_queue *q, call_base *b);       /* at the back */
void weft__call_queue_push_front(call_queue *q, call_base *b); /* first again: a retry */
void weft__call_queue_remove(call_queue *q, call_base *b);     /* a no-op unless b waits */
/* Fills b for a call that starts now, takes a reference on t and counts
 * the call as started and active in the loop's stats. */
void weft__call_base_start(call_base *b, weft_scope *s, weft_task *t, client_loop *cl,
                           client_ep_stats *eps, const char *url, const weft_http_opts *o);
/* The time-out a call gets: its own (per_call, 0 = none), shortened to
 * what is left of the scope's deadline. 0 = none. */
uint64_t weft__call_timeout(client_loop *cl, weft_scope *s, uint64_t per_call);
/* Once the request is built: starts b->timer with on_timeout when the
 * call set its own time-out (the scope's deadline covers the others), and
 * registers on_cancel(reg, reason), reg->arg = arg, with the scope. */
void weft__call_base_arm(call_base *b, const weft_http_opts *o, void (*on_timeout)(weft_timer *),
                         void (*on_cancel)(weft_cancel_reg *, int), void *arg);
/* The call is over: no longer active in the stats, its timer stopped, its
 * cancellation registration undone. */
void weft__call_base_end(call_base *b);
/* own.c: whether a call is one weft's own engines carry (src/http1,
 * src/http2): http[s]://IP[:port]/path?query (IP numeric or "localhost")
 * with an upper-case method. Fills out; 0, or WEFT_EINVAL to leave the
 * call to libcurl. */
typedef struct own_target {
    struct sockaddr_storage addr;
    char host[80];          /* the Host header's value */
    char name[64];          /* the host alone: what a certificate must name */
    int tls;                /* https:// */
    const char *path;       /* path and query, in the URL */
    const char *method;
} own_target;
int weft__own_target(const char *url, const weft_http_opts *o, own_target *out);
/* tls_ctx.c: the TLS client context for these settings, made on first use
 * and shared by every loop (NULL with why in err); _for picks the call's
 * own settings when it names any, else the configuration's. */
weft_tls_client *weft__client_tls(const weft_tls_client_opts *o, char *err, size_t errcap);
weft_tls_client *weft__client_tls_for(const weft_client_config *cfg, const weft_http_opts *o,
                                      char *err, size_t errcap);
/* A call ended: count it in the loop's stats. A failure other than a
 * cancellation is also noted on the scope as "url: detail" (just detail
 * when url is NULL), unless the scope already ended for a reason. */
void weft__client_count_ok(call_base *b, double ms);
void weft__client_count_error(call_base *b, int err, const char *url, const char *detail);
/* A connection to an endpoint opened (+1) or closed (-1); eps may be NULL.
 * A close that makes room under the total limit gives the other
 * endpoints' waiting calls their chance (their engines' pump). */
void weft__client_count_conn(client_loop *cl, client_ep_stats *eps, int delta);
/* Whether one more connection fits under this loop's share of
 * --max-conns-total (the backends' part of the fd budget); if not, the
 * caller's call waits and a close elsewhere pumps it. */
int weft__client_may_open(client_loop *cl);
/* A complete response in one malloc'd block (headers and body copied;
 * response.c); freed with weft__response_free. */
weft_http_response *weft__response_make(int status, const weft_header *hdr, size_t n,
                                        const char *body, size_t body_len);
/* ---- weft's own engines (own.c) -------------------------------------------------
 * What every endpoint of weft's own engines keeps; their endpoints begin
 * with one. */
typedef struct own_endpoint {
    struct own_endpoint *next;
    struct sockaddr_storage addr;
    char host[80];          /* for the Host header */
    /* https://: the context its connections start from, the name their
     * certificate must carry (the URL's host), and the newest session
     * to resume (weft__tls_connect keeps it fresh). */
    weft_tls_client *tls;
    char tls_name[64];
    void *tls_session;
    call_queue waiting;     /* calls without a connection or stream yet */
    client_ep_stats stats;  /* its figures for weft_stats_snapshot */
} own_endpoint;

/* How one of weft's own engines starts calls. */
typedef struct own_engine {
    int slot;               /* client_loop.state: the engine's endpoint list */
    size_t endpoint_size;   /* its endpoint, beginning with own_endpoint */
    size_t call_size;       /* its call, beginning with call_base */
    /* Writes the request into the new call k for ep; 0, or an error. */
    int (*build)(call_base *k, own_endpoint *ep, const char *method, const char *path,
                 const weft_http_opts *o);
    /* Completes k with err (it never started, or it failed). */
    void (*fail)(call_base *k, int err, const char *detail);
    void (*on_timeout)(weft_timer *t);
    void (*on_cancel)(weft_cancel_reg *reg, int reason);
    /* Gives ep's waiting calls a connection or stream. */
    void (*pump)(own_endpoint *ep);
    /* Closes what ep holds as the loop ends (the endpoint then goes). */
    void (*end)(own_endpoint *ep);
    /* Closes one of ep's idle kept-alive connections to make room under
     * the total limit; 1 if it did (NULL: the engine keeps none). */
    int (*drop_idle)(own_endpoint *ep);
} own_engine;

/* weft_client_engine.start and .cleanup of weft's own engines (impl is
 * their own_engine): a call weft's own engines carry starts on e (1), any
 * other is left to libcurl (0). */
int weft__own_start(const weft_client_engine *e, client_loop *cl, weft_scope *s, weft_task *t,
                    const char *url, const weft_http_opts *o);
void weft__own_cleanup(const weft_client_engine *e, client_loop *cl);
/* What a connection of ep reads and writes through: tcp itself (set up
 * with the connection's events), or for https TLS over it, speaking alpn
 * and resuming ep's session. NULL when out of memory (tcp untouched). */
weft_transport *weft__own_transport(own_endpoint *ep, weft_loop *loop, weft_tcp *tcp,
                                    const char *alpn);
/* A connection of ep failed to open (the transport's `connected` said
 * status < 0): the call's error and its words - WEFT_ETLS with the TLS
 * layer's reason (also logged, with the backend's name), else
 * WEFT_ECONNREFUSED or WEFT_EIO. */
int weft__own_connect_error(const own_endpoint *ep, weft_transport *t, int status,
                            const char **detail);

/* response.c: a response's value destructor, for the task. */
void weft__response_free(void *r);

/* The engines (src/http1/client.c, src/http2/client.c, curl.c). */
extern const weft_client_engine weft__engine_native, weft__engine_h2, weft__engine_curl;

#endif
