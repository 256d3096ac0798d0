/* server.h - internal structures of the server layer: app, per-loop state,
 * connections, request contexts, routes. */
#ifndef WEFT_SRC_SERVER_H
#define WEFT_SRC_SERVER_H

#include <stdatomic.h>
#include <uv.h>

#include "../loop/loop.h"
#include "weft/pool.h"
#include "weft/server.h"

#define WEFT_MAX_PARAMS 8

typedef struct weft__rt {
    struct weft__rt *next;
    char *method;          /* "GET" */
    char *pattern;         /* "/api/{kind}/{id}" as written */
    char **segments;       /* split pattern; "{x}" = param, "{x*}" = rest */
    int nsegments;
    weft_handler_fn fn;
    weft_handler_kind kind;
    weft_route_opts opts;
} weft__rt;

typedef struct weft_route_match {
    const weft__rt *route;
    int nparams;
    weft_str names[WEFT_MAX_PARAMS];
    weft_str values[WEFT_MAX_PARAMS]; /* still percent-encoded */
} weft_route_match;

/* Router results besides a match. */
#define WEFT_ROUTE_NOT_FOUND 404
#define WEFT_ROUTE_BAD_METHOD 405

/* Finds the route for method + path. Returns 0 and fills m, or 404, or 405
 * with the allowed methods written to allow (comma-separated). */
int weft__route_match(const weft__rt *routes, weft_str method, weft_str path,
                      weft_route_match *m, char *allow, size_t allow_cap);
int weft__route_parse(weft__rt *r, const char *pattern);
void weft__route_free(weft__rt *r);

/* Percent-decodes src into dst (room for src.len + 1); '+' becomes a space
 * when plus_is_space. Returns the decoded length or -1 on a bad escape. */
long weft__pct_decode(char *dst, weft_str src, int plus_is_space);
/* Finds `name` in an application/x-www-form-urlencoded string; the value
 * is decoded into the arena. NULL if absent or malformed. */
const char *weft__query_get(weft_arena *a, weft_str query, const char *name);

typedef struct weft_conn weft_conn;
typedef struct weft_sloop weft_sloop;

/* Where a response stands. */
typedef enum weft_resp_state {
    RESP_NONE,      /* nothing written yet */
    RESP_STREAMING, /* head written, chunks follow */
    RESP_DONE,      /* complete */
} weft_resp_state;

struct weft_ctx {
    weft_conn *conn;
    weft_app *app;
    weft_http_request req;
    weft_route_match match;
    weft_arena arena;
    weft_header *resp_headers; /* extra headers, in the arena */
    size_t nresp_headers, resp_headers_cap;
    weft_str body;
    int status;
    weft_resp_state resp;
    unsigned is_head : 1;       /* HEAD: suppress the body */
    unsigned close_after : 1;   /* send Connection: close, then close */
    unsigned stream_chunked : 1;
    uint64_t bytes_out;         /* body bytes, for the access log */
    uint64_t started_ms;
    weft_job job;               /* WEFT_SYNC: the pool job */
};

/* Connection states. */
typedef enum weft_conn_state {
    CONN_HEAD,     /* waiting for / reading a request head (idle if none) */
    CONN_BODY,     /* head parsed; reading its body */
    CONN_HANDLING, /* request dispatched; waiting for its answer */
    CONN_LINGER,   /* error sent and write side shut; draining input */
    CONN_CLOSED,   /* uv_close called; freed in the close callback */
} weft_conn_state;

struct weft_conn {
    uv_tcp_t tcp;
    weft_sloop *sl;
    weft_conn *prev, *next; /* the loop's connection list */
    weft_conn_state state;
    /* read buffer: [rstart, rend) unconsumed; the current request starts at rstart */
    char *rbuf;
    size_t rcap, rstart, rend;
    size_t head_len;        /* CONN_BODY/HANDLING: length of the head */
    size_t body_raw;        /* CONN_BODY: raw body bytes consumed so far */
    size_t body_len;        /* decoded body bytes */
    weft_chunked chunk;
    /* output: obuf accumulates, wbuf is being written */
    weft_buf obuf, wbuf;
    uv_write_t wreq;
    uv_shutdown_t sreq;
    uint64_t since;         /* when the current state began (loop clock, ms) */
    uint64_t head_started;  /* first byte of the current head; 0 = idle */
    uint64_t write_since;   /* when the pending write began */
    /* Plain bytes, not bitfields: a worker thread reads `offloaded` while
     * the loop writes `writing`, and bitfields would share a memory word. */
    uint8_t writing;
    uint8_t offloaded;      /* a worker thread owns ctx and obuf */
    uint8_t read_stopped;
    uint8_t peer_eof;
    uint8_t close_when_flushed;
    uint8_t in_process;
    uint8_t close_done;     /* uv_close finished */
    uint8_t out_paused;     /* too much unsent output: not parsing */
    unsigned requests_seen;
    char peer[48];
    weft_ctx ctx;
};

typedef struct weft_loop_stats {
    _Atomic uint64_t accepted, open, requests, inflight, rejected_busy, bad_requests, timeouts;
} weft_loop_stats;

/* A server loop: a weft_loop plus its listener and connections. */
struct weft_sloop {
    weft_loop loop;
    weft_app *app;
    uv_tcp_t listener;
    uv_timer_t tick;        /* deadlines, Date, log batches */
    weft_conn *conns;       /* all open connections */
    weft_header *hdr_scratch;
    weft_buf logline;       /* access-log line being formatted */
    uint64_t inflight;      /* requests dispatched and not finished */
    uint64_t max_inflight;  /* --max-concurrent share of this loop */
    uint64_t offloaded;     /* connections whose request is on the pool */
    _Atomic int draining;   /* read by workers writing response heads */
    int listener_open;
    int drained_sent;
    weft_post stop_msg;     /* control -> loop: begin draining */
    weft_post force_msg;    /* control -> loop: grace over, close all */
    weft_post release_msg;  /* control -> loop: close the last handles */
    weft_loop_stats stats;
};

typedef struct weft_opt weft_opt;

struct weft_app {
    weft_config cfg;
    weft__rt *routes, **routes_tail;
    int argc;
    char **argv;      /* unclaimed arguments; claimed ones become NULL */
    const char *prog;
    weft_opt *opts;   /* application flags, for --help */
    void *user;
    weft_sloop *loops;
    int nloops;
    weft_pool *pool;
    uv_loop_t ctl;    /* the control loop on the main thread */
    uv_async_t ctl_wake;
    uv_signal_t sigint, sigterm;
    uv_timer_t grace;
    _Atomic int stop_requested;
    _Atomic int drained;
    int stopping;
    int forced;       /* grace ran out; connections were closed */
    int abandoned;    /* a worker never came back */
    int bound_port;
};

/* conn.c */
void weft__conn_accept(weft_sloop *sl);
void weft__conn_sweep(weft_sloop *sl, uint64_t now);
void weft__conn_drain(weft_sloop *sl);
void weft__conn_close_all(weft_sloop *sl);
/* The handler has produced the whole answer (loop thread). */
void weft__conn_request_done(weft_conn *conn);
/* Appends response bytes; flushes when on the loop thread. */
int weft__conn_out(weft_conn *conn, const void *data, size_t len);
void weft__conn_flush(weft_conn *conn);
/* A WEFT_SYNC job came back from the pool (loop thread). */
void weft__conn_job_returned(weft_conn *conn);
void weft__conn_begin_linger(weft_conn *conn);

/* dispatch.c */
void weft__dispatch(weft_conn *conn);
/* Answers an error from the protocol layer, then closes (loop thread). */
void weft__reply_protocol_error(weft_conn *conn, int status, const char *why);

/* ctx.c */
void weft__ctx_begin(weft_ctx *c, weft_conn *conn);
void weft__ctx_end(weft_ctx *c);
int weft__write_head(weft_ctx *c, int status, const char *ctype, int64_t content_length);

/* accesslog.c */
void weft__access_log(weft_ctx *c);

/* app.c */
void weft__app_loop_drained(weft_sloop *sl);

#endif
