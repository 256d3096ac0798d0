/* client_int.h - internal structures of the client layer. */
#ifndef WEFT_SRC_CLIENT_INT_H
#define WEFT_SRC_CLIENT_INT_H

#include <curl/curl.h>
#include <stdio.h>

#include "weft/client.h"
#include "../loop/loop.h"

/* One multi handle and its connection pool. A loop has one or more. */
typedef struct client_shard {
    CURLM *multi;
    struct client_loop *cl;
    weft_timer timer;  /* libcurl's own time-outs */
    uint64_t active;   /* calls in this multi */
} client_shard;

#define CLIENT_MAX_SHARDS 64
/* libcurl 7.88 finds a reusable connection by walking every connection to
 * the host, so one multi with thousands of connections to one backend
 * spends its time in that walk (O(n^2) for a burst). A shard holds at most
 * this many connections per endpoint. */
#define CLIENT_SHARD_CONNS 256

typedef struct client_loop {
    weft_loop *loop;
    weft_loop_hook at_close; /* weft_client_thread_cleanup as the loop is released */
    client_shard shards[CLIENT_MAX_SHARDS];
    int nshards, max_shards;
    long shard_host_limit;  /* CURLMOPT_MAX_HOST_CONNECTIONS per shard */
    long host_limit;        /* this loop's per-endpoint limit (0 = none) */
    void *native;           /* native.c: endpoints and their connections */
    void *h2;               /* h2.c: endpoints and their HTTP/2 sessions */
    weft_client_stats st;
} client_loop;

typedef struct weft_call {
    CURL *easy;
    client_loop *cl;
    client_shard *shard;
    weft_task *task;
    weft_scope *scope;
    weft_cancel_reg reg;
    weft_timer timer;       /* the per-call time-out */
    uint64_t timeout_ms;
    struct curl_slist *hdrs;
    weft_buf body, head;
    size_t max_body;
    int too_big;
    int in_multi;
    int reused;
    uint64_t t0;
    char url[512];          /* for messages */
    char errbuf[CURL_ERROR_SIZE];
} weft_call;

client_loop *weft__client_loop(void);
uint64_t weft__call_timeout(client_loop *cl, weft_scope *s, uint64_t per_call);

/* What a call on weft's own connections carries whichever protocol takes
 * it (native.c over HTTP/1.1, h2.c over HTTP/2): the task it completes,
 * its scope, its limits, when it started, its URL for messages, and its
 * time-out and cancellation hooks. */
typedef struct call_base {
    weft_task *task;
    weft_scope *scope;
    client_loop *cl;
    uint64_t t0, timeout_ms;
    size_t max_body;
    weft_cancel_reg reg;
    weft_timer timer;       /* armed when the call set its own time-out */
    struct call_base *wait_prev, *wait_next; /* in its endpoint's call_queue */
    int waiting;
    char url[256];          /* may be cut */
} call_base;
/* Calls waiting for a connection (native.c) or a stream (h2.c), oldest
 * first. Doubly linked: a call canceled or timed out while thousands wait
 * with it leaves in O(1). The protocols' calls begin with their call_base,
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
                           const char *url, const weft_http_opts *o, uint64_t default_max_body);
/* Once the request is built: starts b->timer with on_timeout when the
 * call set its own time-out (the scope's deadline covers the others), and
 * registers on_cancel(reg, reason), reg->arg = arg, with the scope. */
void weft__call_base_arm(call_base *b, const weft_http_opts *o, void (*on_timeout)(weft_timer *),
                         void (*on_cancel)(weft_cancel_reg *, int), void *arg);
/* The call is over: no longer active in the stats, its timer stopped, its
 * cancellation registration undone. */
void weft__call_base_end(call_base *b);
/* native.c: takes the call if it is plain http:// to an IP (returns 1). */
int weft__native_request(weft_scope *s, weft_task *t, client_loop *cl, const char *url,
                         const weft_http_opts *o, uint64_t default_max_body);
void weft__native_cleanup(client_loop *cl);
/* Whether a call is one weft's own connections carry (native.c, h2.c):
 * http://IP[:port]/path?query (IP numeric or "localhost") with an
 * upper-case method. Fills addr, the Host value, where the path starts
 * and the method; 0, or -1 to leave the call to libcurl. */
struct sockaddr_storage;
int weft__native_target(const char *url, const weft_http_opts *o, struct sockaddr_storage *addr,
                        char *host, size_t hcap, const char **path, const char **method);
/* A call ended: count it in the loop's stats. A failure other than a
 * cancellation is also noted on the scope as "url: detail" (just detail
 * when url is NULL), unless the scope already ended for a reason. */
void weft__client_count_ok(client_loop *cl, double ms);
void weft__client_count_error(client_loop *cl, weft_scope *s, int err, const char *url,
                              const char *detail);
/* A complete response in one malloc'd block (headers and body copied). */
weft_http_response *weft__response_make(int status, const weft_header *hdr, size_t n,
                                        const char *body, size_t body_len);
/* h2.c: the same calls over HTTP/2 with prior knowledge (--backend-http2). */
int weft__h2_request(weft_scope *s, weft_task *t, client_loop *cl, const char *url,
                     const weft_http_opts *o, uint64_t default_max_body);
void weft__h2_cleanup(client_loop *cl);
/* call.c */
int weft__call_setup(weft_call *c, const char *url, const weft_http_opts *opts,
                     const weft_client_config *cfg);
int weft__map_curl_error(const weft_call *c, CURLcode rc);
void weft__describe_error(const weft_call *c, CURLcode rc, char *out, size_t cap);
weft_http_response *weft__response_build(weft_call *c, double ms);
void weft__response_free(void *r);
size_t weft__call_on_body(char *d, size_t s, size_t n, void *a);
size_t weft__call_on_header(char *d, size_t s, size_t n, void *a);

#endif
