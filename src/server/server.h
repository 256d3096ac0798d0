/* server.h - internal structures of the server layer: app, per-loop state,
 * connections, request contexts, routes. */
#ifndef WEFT_SRC_SERVER_H
#define WEFT_SRC_SERVER_H

#include <stdatomic.h>

#include "../base/stats.h"
#include "../loop/transport.h"
#include "../task/task_int.h"
#include "../tls/tls.h"
#include "weft/middleware.h"
#include "weft/pool.h"
#include "weft/server.h"

#define WEFT_MAX_PARAMS 8
/* Output a connection may have waiting for a client that does not read:
 * beyond it, pipelined requests are not processed (HTTP/1.1) and no more
 * frames are taken from the session (HTTP/2). Memory stays bounded. */
#define WEFT_OUT_HIGH_WATER (512u * 1024u)

/* A resolved middleware chain: the app's steps, then each enclosing
 * group's, outermost first (src/server/middleware.c). */
typedef struct weft__chain {
    weft_middleware *items;
    int n;
} weft__chain;

/* weft_group_new: a path prefix with its own steps. */
struct weft_group {
    struct weft_group *next; /* the app's list */
    struct weft_group *parent;
    weft_app *app;
    char *prefix;            /* "/api/v1": the parents' prefixes included */
    size_t prefix_len;
    weft_middleware *mws;    /* its own steps */
    int nmws;
    weft__chain chain;       /* resolved as the app starts */
};

typedef struct weft__rt {
    struct weft__rt *next;
    char *method;          /* "GET" */
    char *pattern;         /* "/api/{kind}/{id}" as written */
    char *name;            /* "GET /api/{kind}/{id}": logs, fiber names, the stall detector */
    int index;             /* its place in the app\'s routes, for its counters */
    char **segments;       /* split pattern; "{x}" = param, "{x*}" = rest */
    int nsegments;
    weft_handler_fn fn;
    weft_handler_kind kind;
    weft_route_opts opts;
    weft_group *group;     /* weft_group_route's, or NULL */
    const weft__chain *chain; /* its middleware, resolved as the app starts */
} weft__rt;

typedef struct weft_route_match {
    const weft__rt *route;
    int nparams;
    weft_str names[WEFT_MAX_PARAMS];
    weft_str values[WEFT_MAX_PARAMS]; /* still percent-encoded */
} weft_route_match;

/* Finds the route for method + path. Returns 0 and fills m, or
 * WEFT_ENOTFOUND, or WEFT_EMETHOD with the allowed methods written to
 * allow (comma-separated). */
int weft__route_match(const weft__rt *routes, weft_str method, weft_str path,
                      weft_route_match *m, char *allow, size_t allow_cap);
int weft__route_parse(weft__rt *r, const char *pattern);
/* Adds a route (in a group, or NULL). Before the app runs. */
int weft__route_add(weft_app *app, weft_group *group, const char *pattern, weft_handler_fn fn,
                    weft_handler_kind kind, const weft_route_opts *opts);
void weft__route_free(weft__rt *r);

/* Percent-decodes src into dst (room for src.len + 1); '+' becomes a space
 * when plus_is_space. Returns the decoded length or WEFT_EBADMSG on a bad
 * escape. */
long weft__pct_decode(char *dst, weft_str src, int plus_is_space);
/* Finds `name` in an application/x-www-form-urlencoded string; the value
 * is decoded into the arena. NULL if absent or malformed. */
const char *weft__query_get(weft_arena *a, weft_str query, const char *name);

typedef struct weft_conn weft_conn;
typedef struct weft_sloop weft_sloop;
typedef struct weft_h2 weft_h2;
typedef struct weft_h2_stream weft_h2_stream;

/* Where a response stands. */
typedef enum weft_resp_state {
    RESP_NONE,      /* nothing sent yet */
    RESP_STREAMING, /* head sent, body parts follow */
    RESP_DONE,      /* complete */
} weft_resp_state;

/* A response as the handler made it, before any protocol has seen it. A
 * codec serialises it: HTTP/1.1 as a status line and header lines,
 * HTTP/2 as a HEADERS frame. Everything it points to lives at least as
 * long as the request. */
typedef struct weft_response {
    int status;
    const char *content_type;   /* NULL: none */
    const weft_header *headers; /* the handler's own (weft_add_header) */
    size_t nheaders;
    int64_t content_length;     /* -1: streamed, the length is not known */
    uint8_t in_parts;           /* a known length whose body comes in parts over time
                                   (weft_stream_begin_sized): each part leaves as written */
} weft_response;

/* The protocol side of one request: what the request path needs of the
 * codec that carried it (src/http1/server.c, src/http2/server.c). The core
 * never looks into a connection or a stream; a codec never decides
 * anything about routes, handlers, deadlines or admission. Loop thread
 * only, all of them. */
typedef struct weft_codec {
    /* "HTTP/1.1", "HTTP/2.0": the access log's protocol field. */
    const char *(*proto)(const weft_ctx *c);
    /* The peer's address as text. */
    const char *(*peer)(weft_ctx *c);
    /* The answer, in up to three steps: the head, body bytes (any number
     * of times; none for HEAD), the end. A complete answer is the three
     * in a row with content_length set. 0 or WEFT_E*. */
    int (*begin)(weft_ctx *c, const weft_response *r);
    int (*write)(weft_ctx *c, const void *data, size_t len);
    int (*end)(weft_ctx *c);
    /* The request is over (logged, scope ended): go on with the
     * connection or end the stream. */
    void (*done)(weft_ctx *c);
    /* The handler is parked waiting: give back what memory can go. */
    void (*park)(weft_ctx *c);
    /* Bytes of this request's answer written but not yet taken by the
     * socket (HTTP/1.1) or by the session (HTTP/2, within its flow
     * control windows): what weft_stream_drained waits on. The codec
     * calls weft__ctx_out_progress as it goes down. */
    size_t (*unsent)(weft_ctx *c);
    /* A copy of the plain socket this request's answer goes to, when body
     * bytes may be put on it directly (sendfile): HTTP/1.1 without TLS,
     * nothing unsent. -1 otherwise. The caller closes it. */
    int (*socket_dup)(weft_ctx *c);
    /* A streamed body (weft__route_streams_body said so): the next piece,
     * as weft_body_read, or WEFT_EAGAIN - the codec then calls
     * weft__ctx_body_progress when more arrives or the body fails. The
     * piece before is taken back first. */
    int (*body_read)(weft_ctx *c, weft_str *piece);
    /* Keep the request's container (connection, stream) alive while a
     * handler context holds it. */
    void (*ref)(weft_ctx *c);
    void (*unref)(weft_ctx *c);
} weft_codec;

/* weft_req_on_end: run as the request ends, newest first (arena). */
typedef struct weft_end_fn {
    struct weft_end_fn *next;
    void (*fn)(void *arg);
    void *arg;
} weft_end_fn;

typedef struct weft_bag_item {
    struct weft_bag_item *next;
    const char *key;
    void *value;
} weft_bag_item;

/* One request and its answer, whichever protocol carried it. A codec
 * embeds one in its per-request container (an HTTP/1.1 connection, an
 * HTTP/2 stream), fills req and body, and calls weft__request_begin. */
struct weft_ctx {
    const weft_codec *codec;
    weft_sloop *sl;
    weft_app *app;
    weft_http_req req;          /* method, target, path, query, host, headers */
    weft_str body;
    weft_route_match match;
    const weft__chain *chain;   /* the middleware around this request */
    int mw_ran;                 /* steps whose before let it through */
    weft_scope scope;           /* arena, cancellation, task references */
    weft_header *resp_headers;  /* extra headers, in the arena */
    size_t nresp_headers, resp_headers_cap;
    int status;
    weft_resp_state resp;
    _Atomic int answered;       /* claimed by whoever writes the answer */
    /* A WEFT_SYNC handler's answer, kept on the worker until the loop
     * hands it to the codec (the codec is the loop's). */
    weft_response sync_resp;
    weft_buf sync_body;
    uint8_t sync_ended;          /* the worker's streamed answer was ended */
    /* Bytes, not bitfields: the loop and a worker write different ones. */
    uint8_t is_head;            /* HEAD: suppress the body */
    uint8_t close_after;        /* the connection closes after this answer */
    uint8_t on_worker;          /* the handler runs on a pool thread (loop-owned) */
    uint8_t in_request;         /* begun and not yet ended (loop-owned) */
    uint8_t answered_at_deadline; /* the loop sent the 504 for a worker (loop-owned) */
    uint8_t client_gone;          /* the peer left before the answer was done: log 499 */
    uint8_t gone;                 /* the codec's side is closed: nothing more is sent */
    uint8_t to_https;             /* came to the --redirect-http port: answered 308 to https */
    int8_t kind_counted;          /* the handler kind counted in flight, or -1 */
    const char *client_addr;      /* weft_req_client, once asked (arena or the peer's) */
    const char *request_id;       /* weft_req_id, once asked (arena) */
    int holds;                  /* fiber alive, job running, deadline firing */
    uint64_t bytes_out;         /* body bytes, for the access log */
    uint64_t started_ms;
    weft_timer deadline;        /* the route's timeout */
    weft_job job;               /* WEFT_SYNC: the pool job */
    int ops;                    /* outstanding operations (callback handlers) */
    weft_handler_fn ops_complete;
    weft_bag_item *bag;
    weft_end_fn *on_end;
    void *body_json;            /* weft_body_json's tree, once parsed (src/server/json_io.c) */
    weft_task *drain_wait;      /* weft_stream_drained's, until the output is low */
    weft_task *body_wait;       /* weft_body_read's, until a piece arrives */
    uint8_t body_streamed;      /* the body comes through codec->body_read */
    uint8_t body_given;         /* a whole body was handed out by weft_body_read */
    size_t drain_below;         /* ... below this many unsent bytes */
};

/* Socket connection states. */
typedef enum weft_conn_state {
    CONN_HEAD,     /* HTTP/1.1: waiting for / reading a request head (idle if none) */
    CONN_BODY,     /* HTTP/1.1: head parsed; reading its body */
    CONN_HANDLING, /* HTTP/1.1: request dispatched; waiting for its answer */
    CONN_LINGER,   /* error or last answer sent, write side shut; draining input */
    CONN_H2,       /* speaking HTTP/2 (src/http2): requests are its streams */
    CONN_CLOSED,   /* transport closing; freed once it has closed */
} weft_conn_state;

/* The protocol spoken on a connection (HTTP/1.1 in src/http1, HTTP/2 in
 * src/http2). conn.c owns the transport, the buffers, closing and the
 * generic time limits, and hands everything else to these; it names no
 * protocol itself. Loop thread only. */
typedef struct weft_conn_proto {
    /* A new connection (the listener's protocol only). */
    void (*start)(weft_conn *c);
    /* Make room in the read buffer for the next read; 0 or WEFT_ENOMEM. */
    int (*room)(weft_conn *c);
    /* n bytes were read to rbuf + rend. */
    void (*read)(weft_conn *c, size_t n);
    /* The peer ended its side (or reading failed). */
    void (*eof)(weft_conn *c);
    /* A write has finished: more output may go. */
    void (*writable)(weft_conn *c);
    /* The protocol's own time limits (header, body, idle). */
    void (*sweep)(weft_conn *c, uint64_t now);
    /* Graceful shutdown has begun. */
    void (*drain)(weft_conn *c);
    /* The connection is closing; `was` is the state it was in. */
    void (*closed)(weft_conn *c, int was);
    /* Its memory is about to go. */
    void (*release)(weft_conn *c);
} weft_conn_proto;

/* A client's connection: a transport plus the protocol spoken on it
 * (HTTP/1.1, whose one request at a time is `ctx`, or HTTP/2 in `h2`). */
struct weft_conn {
    weft_tcp tcp;           /* the socket */
    weft_transport *tr;     /* what reads and writes go through: &tcp.t */
    const weft_conn_proto *proto;
    weft_sloop *sl;
    weft_conn *prev, *next; /* the loop's connection list */
    weft_conn_state state;
    /* read buffer: [rstart, rend) unconsumed; the current request starts at rstart */
    char *rbuf;
    size_t rcap, rstart, rend;
    size_t head_len;        /* CONN_BODY/HANDLING: length of the head */
    size_t body_len;        /* decoded body bytes */
    weft_http_scan head_scan;    /* what the head parse has seen (weft_http_scan_feed) */
    weft_chunked chunk;
    /* output: obuf accumulates, wbuf is being written */
    weft_buf obuf, wbuf;
    uint64_t since;         /* when the current state began (loop clock, ms) */
    uint64_t head_started;  /* first byte of the current head; 0 = idle */
    uint64_t write_since;   /* when the pending write began */
    int refs;               /* the transport, a busy handler, a frame on the stack */
    uint8_t writing;
    uint8_t read_stopped;
    uint8_t no_memory; /* the read buffer could not be allocated: close */
    uint8_t peer_eof;
    uint8_t close_when_flushed;
    uint8_t close_at_once;  /* ... and without waiting for the peer's end (weft__conn_end) */
    uint8_t in_process;
    uint8_t out_paused;     /* too much unsent output: not parsing */
    uint8_t unaccepted;     /* accept failed: only the transport to close */
    uint8_t tls_counted;    /* its handshake is in the TLS counters */
    uint8_t fd_counted;     /* its socket is in app->conn_fds */
    uint8_t streaming;      /* the current answer's body is streamed: parts leave as written */
    uint8_t stream_chunked; /* ... as chunks (HTTP/1.1; HTTP/1.0 ends it with the connection) */
    /* A request body the handler reads as it arrives (weft_body_read):
     * its bytes sit after the head in rbuf, at most a window of them. */
    uint8_t body_pending;   /* more of it is to come */
    int body_err;           /* why it cannot be read on (WEFT_E*), or 0 */
    size_t piece;           /* bytes handed out last: taken back at the next read */
    uint64_t body_left;     /* Content-Length bytes not yet handed out */
    uint64_t body_seen;     /* decoded bytes so far, against body_max */
    uint64_t body_max;      /* the route's max_body (0: none) */
    unsigned requests_seen;
    char peer[48];          /* "" until asked: weft__conn_peer */
    weft_h2 *h2;            /* CONN_H2: the HTTP/2 session on this socket */
    struct weft_ws *ws;     /* upgraded to a WebSocket (src/http1/websocket.c) */
    weft_ctx ctx;           /* HTTP/1.1: the request being served */
};

/* One route's counters on one loop. */
typedef struct weft_route_counters {
    weft_counter responses[6];
    weft_hist_counter duration;
    weft_counter worker_us, worker_wait_us; /* WEFT_SYNC: a worker held, and waiting */
} weft_route_counters;

/* A loop's server counters; only the loop writes them (base/stats.h). */
typedef struct weft_loop_stats {
    weft_counter accepted, open, requests, inflight, bad_requests, timeouts;
    weft_counter tls_full, tls_resumed, tls_failed; /* handshakes, by outcome */
    weft_counter responses[6], r499, r503, r504;
    weft_counter inflight_kind[3];  /* by weft_handler_kind */
    weft_route_counters *routes;    /* [app->nroutes + 1]: the last is "no route" */
} weft_loop_stats;

/* A server loop: a weft_loop plus its listener and connections. */
struct weft_sloop {
    weft_loop loop;
    weft_app *app;
    weft_listener listener;
    weft_listener redirect;  /* --redirect-http: plain, every request sent to https */
    const weft_conn_proto *proto; /* what new connections speak first */
    weft_timer tick;        /* deadlines, Date, log batches */
    weft_conn *conns;       /* all open connections */
    weft_header *hdr_scratch;
    weft_buf logline;       /* access-log line being formatted */
    weft_h2_stream *stream_pool; /* freed HTTP/2 streams, for reuse (src/http2) */
    int stream_pool_len;
    uint64_t inflight;      /* requests dispatched and not finished */
    uint64_t inflight_share; /* floor(--max-concurrent / loops): past it, say so */
    uint64_t busy;          /* requests whose handler still runs (fiber, job) */
    _Atomic int draining;   /* read by workers writing response heads */
    int drained_sent;
    uint64_t budget_warned_ms; /* when it last said it was at --max-connections */
    weft_post stop_msg;     /* control -> loop: begin draining */
    weft_post force_msg;    /* control -> loop: grace over, close all */
    weft_post release_msg;  /* control -> loop: close the last handles */
    weft_loop_stats stats;
    weft_stat_source stats_src; /* adds stats to weft_stats_snapshot */
    /* The stall detector's ping (src/app/watchdog.c): posted by its thread,
     * answered on the loop. */
    weft_post ping;
    _Atomic int ping_pending;
    _Atomic uint64_t ping_sent_ns;
    _Atomic int stall_reported;  /* the watchdog said so; the loop says when it is over */
    weft_counter stalls;         /* written by the watchdog thread only */
    weft_counter lag_us_max;     /* written by the loop only */
    weft_counter lag_us_last;
};

typedef struct weft_opt weft_opt;
typedef struct weft_procs weft_procs;
typedef struct weft_worker weft_worker;

/* The open-file limit as src/app/fd_budget.c splits it. */
typedef struct weft_fd_budget {
    uint64_t files;    /* RLIMIT_NOFILE, raised to the hard limit */
    uint64_t reserve;  /* kept back: files, pipes, the loops' own, libraries */
    uint64_t clients;  /* connections from clients */
    uint64_t backends; /* connections to backends */
} weft_fd_budget;
typedef struct weft_watchdog weft_watchdog;
typedef struct weft_advisor weft_advisor;

struct weft_app {
    weft_config cfg;
    weft_fd_budget fd_budget;
    weft__rt *routes, **routes_tail;
    int nroutes;
    weft_middleware *mws;  /* weft_use's steps */
    int nmws;
    weft__chain chain;     /* ... resolved: what routes outside any group get */
    weft_group *groups;
    int running;           /* weft_app_run has begun: no more routes or steps */
    weft_end_fn *owned;    /* weft__app_own: freed with the app, newest first */
    int argc;
    char **argv;      /* unclaimed arguments; claimed ones become NULL */
    const char *prog;
    weft_opt *opts;   /* application flags, for --help */
    void *user;
    weft_sloop *loops;
    int nloops;
    /* Loops with more requests in flight than their even share of
     * --max-concurrent (src/server/dispatch.c): written only as one
     * crosses its share, read at every admission. */
    _Alignas(64) _Atomic int loops_over_share;
    /* Client sockets open in the process, held to --max-connections. */
    _Atomic int conn_fds;
    weft_pool *pool;
    weft_loop ctl;    /* the control loop on the main thread */
    weft_post ctl_wake;          /* a loop drained, or weft_app_stop */
    _Atomic int ctl_wake_posted;
    weft_signal_watch *sigint, *sigterm, *sighup;
    weft_tls_server *tls;        /* --tls-cert: every connection speaks TLS */
    weft_timer grace;
    weft_timer trim;             /* memory back to the kernel after a burst */
    uint64_t trim_last_requests; /* requests counted at the last check */
    uint64_t trim_done_requests; /* ... and at the last trim */
    int trim_quiet;              /* checks in a row with nothing going on */
    _Atomic int stop_requested;
    _Atomic int shutting_down;    /* from the first moment of a stop: /readyz 503, Connection: close */
    _Atomic int not_ready;        /* weft_app_set_ready(app, 0) */
    _Atomic int drained;
    int stopping;
    int forced;       /* grace ran out; connections were closed */
    int abandoned;    /* a worker never came back */
    int bound_port;
    int redirect_port;  /* --redirect-http's, once bound */
    int *listen_fds;    /* src/app/sockets.c: [loops] the port's, [loops] --redirect-http's */
    int nlisten;
    char **orig_argv;   /* main's, untouched: what a master runs again on SIGUSR2 */
    weft_procs *procs;  /* a worker under --processes: the shared slots (src/app/procs.h) */
    int proc_slot;      /* ... and its own */
    weft_worker *worker;
    weft_watchdog *watchdog; /* the stall detector (src/app/watchdog.c) */
    weft_advisor *advisor;   /* the starvation advisor (src/app/advisor.c) */
};

/* ---- the request path (request.c, response.c, dispatch.c) ----------------- */

/* Sets up c for its container's whole life (once). */
void weft__ctx_init(weft_ctx *c, const weft_codec *codec, weft_sloop *sl);
/* The codec filled c->req and c->body: route, admit and run the request. */
void weft__request_begin(weft_ctx *c);
/* The codec cannot take the request (bad syntax, over a limit): answer
 * status with why and close after it. c->req may hold what was parsed of
 * the request line (for the log). */
void weft__request_reject(weft_ctx *c, int status, const char *why);
/* The client left before the answer was done (connection closed, stream
 * reset): the request's scope is canceled; logged once ("client PEER how"). */
void weft__request_client_gone(weft_ctx *c, const char *how);
/* The codec's side closed under the request: nothing more can be sent; the
 * request ends once no handler holds it. */
void weft__request_abort(weft_ctx *c);
/* The request is over (answered or aborted, no handler holds it): log
 * it, end its scope, and let the codec go on. */
void weft__request_end(weft_ctx *c);
/* dispatch.c: admission, routing and the hand-off by handler kind. */
void weft__dispatch(weft_ctx *c);
/* The WEFT_SYNC route the calling pool thread runs, or NULL (a crash
 * report reads it: async-signal-safe). */
const char *weft__sync_route_running(void);
/* A handler context ended (fiber exit, job return, deadline done). */
void weft__ctx_release(weft_ctx *c);
/* Claims the right to answer; 1 if the caller now owns it. */
int weft__ctx_claim(weft_ctx *c);
/* Sends a complete error answer through the codec (loop), worded as
 * weft__error_body does, without touching the request's memory. */
int weft__send_simple(weft_ctx *c, int status, const char *detail);
/* errors.c: the body of a server-made error answer, as the client's Accept
 * asks: problem+json or a text line. Written to out (cap bytes, NUL-ended),
 * its length returned, *content_type set. request_id may be NULL. */
size_t weft__error_body(const weft_ctx *c, int status, const char *detail, const char *request_id,
                        char *out, size_t cap, const char **content_type);
/* A fiber's wait for "something happened" (a body piece, drained output, a
 * WebSocket message): weft__wait_in puts a fresh task, outside any scope
 * (waited thousands of times in a long stream, each goes at once), in
 * *slot and awaits it; weft__wake_slot completes the one there, if any.
 * 0 or the fiber's reason. Loop thread. */
int weft__wait_in(weft_task **slot);
void weft__wake_slot(weft_task **slot);
/* The codec sent some of the answer: a weft_stream_drained waiting may
 * complete. Loop thread. */
void weft__ctx_out_progress(weft_ctx *c);
/* Whether the request's route reads its body as it arrives (the codec
 * asks once the head is in); *max_body gets the route's limit. */
int weft__route_streams_body(weft_ctx *c, uint64_t *max_body);
/* A piece of a streamed body arrived, or it failed: a reader may go on. */
void weft__ctx_body_progress(weft_ctx *c);
/* weft_stream_drained's wait, from a fiber, with a mark of one's own (1:
 * all sent) and a task outside the scope (for loops that wait many
 * times). 0 or why not. */
int weft__await_drained(weft_ctx *c, size_t below);
/* file_send.c: from a fiber, after weft_stream_begin_sized: len bytes of
 * fd from off, then the stream's end. 0, or why it stopped (the
 * connection then closes after what was sent). fd stays the caller's. */
int weft__send_file(weft_ctx *c, int fd, uint64_t off, uint64_t len);
/* Frees what the context owns (its container is going away). */
void weft__ctx_free(weft_ctx *c);
/* Counts an answer of `status` as it leaves (the loop's counters). */
void weft__count_answer(weft_ctx *c, int status);
/* Registers sl's counters with the snapshot (and takes them off). */
void weft__loop_stats_register(weft_sloop *sl);
void weft__loop_stats_unregister(weft_sloop *sl);

/* weft_add_header without the copies and checks, for a literal name and a
 * value that lives as long as the request (the arena's, a literal). */
int weft__add_header_kept(weft_ctx *c, const char *name, const char *value);

/* src/app/app.c: fn(arg) when the app is freed (what a route's arg owns). */
int weft__app_own(weft_app *app, void *arg, void (*fn)(void *));

/* ---- middleware (middleware.c) ---------------------------------------------- */

/* Resolves every route's and group's chain. 0 or WEFT_ENOMEM. */
int weft__mw_resolve(weft_app *app);
void weft__mw_free(weft_app *app);
/* The chain for a path no route takes: the innermost group's it is under,
 * else the app's. */
const weft__chain *weft__mw_chain_for_path(const weft_app *app, weft_str path);
/* Runs the request's before-steps not run yet; 1 if the handler is to
 * run, 0 if a step answered. The handler's context. */
int weft__mw_before(weft_ctx *c);
/* Runs the after-steps of those that let it through, innermost first. */
void weft__mw_after(weft_ctx *c, weft_out *out);
extern const weft__chain weft__no_chain;

/* ---- connections (conn.c) ----------------------------------------------------- */

/* Accepts connections on sl's listener, speaking sl->proto (and on its
 * --redirect-http listener, plain HTTP/1.1, each request redirected). */
void weft__conn_accept(weft_sloop *sl);
/* Listeners paused at --max-connections take connections again if the
 * process is under it now (loop thread: on a close, on the tick). */
void weft__conn_accept_resume(weft_sloop *sl);
void weft__conn_close(weft_conn *c);
/* Closes c if it was idle in the same state for idle_ms. */
void weft__conn_close_if_idle(weft_conn *c, uint64_t now, uint64_t idle_ms);
/* Counts a time limit hit and says so (debug log). */
void weft__conn_timed_out(weft_conn *c, const char *what);
/* The peer's address as text ("-" if unknown), looked up once. */
const char *weft__conn_peer(weft_conn *c);
void weft__conn_sweep(weft_sloop *sl, uint64_t now);
void weft__conn_drain(weft_sloop *sl);
void weft__conn_close_all(weft_sloop *sl);
void weft__conn_ref(weft_conn *conn);
void weft__conn_unref(weft_conn *conn);
/* Writes what obuf holds (loop thread). */
void weft__conn_flush(weft_conn *conn);
/* Output sent and nothing more to read: FIN, then drain input and close. */
void weft__conn_linger(weft_conn *c);
/* The last answer is written and the client said it sends nothing more
 * (Connection: close, or HTTP/1.0 without keep-alive) and nothing of its
 * is unread: close as soon as the answer is out, without the half-close
 * and the wait for the client's end that weft__conn_linger does for a
 * peer that may still be sending. */
void weft__conn_end(weft_conn *c);
/* Reading resumes (it was stopped for back-pressure or a full buffer). */
void weft__conn_read_resume(weft_conn *c);
void weft__conn_read_pause(weft_conn *c);
/* Makes room in the read buffer: `need` bytes from rstart (0: some free
 * tail). 0 or WEFT_ENOMEM. */
int weft__conn_rbuf_room(weft_conn *c, size_t need);

/* accesslog.c */
void weft__access_log(weft_ctx *c);

/* src/app/app.c: a loop has no connection and no handler left while draining. */
void weft__app_loop_drained(weft_sloop *sl);
/* src/http2: frees the loop's pool of HTTP/2 streams. */
void weft__h2_pool_free(weft_sloop *sl);

#endif
