/** @file weft/server.h
 * @brief The HTTP server: application, routes, request context,
 * responses.
 *
 * A weft_app owns the configuration (common command-line flags), the route
 * table and, once running, the loops, listeners and worker pool. Handlers
 * receive a weft_ctx: the request, its arena and its response. */
#ifndef WEFT_SERVER_H
#define WEFT_SERVER_H

#include "weft/client.h"
#include "weft/fiber.h"
#include "weft/http.h"
#include "weft/loop.h"
#include "weft/task.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An application: configuration, routes and, once running, the server
 * (opaque). */
typedef struct weft_app weft_app;
/** One request's context: the request, its arena and scope, its answer
 * (opaque; valid until the request ends). */
typedef struct weft_ctx weft_ctx;
/** A handler: answers the request c (see weft_handler_kind for where it
 * runs). */
typedef void (*weft_handler_fn)(weft_ctx *c);

/** How a handler runs. */
typedef enum weft_handler_kind {
    /** On the connection's loop thread. Must never block. May reply before
     * returning, or keep the request open and reply later from the same
     * loop (a continuation, a timer): the IHttpAsyncHandler style. */
    WEFT_CALLBACK,
    /** On a worker-pool thread; may block. Must reply before returning.
     * When the pool's queue is full the server answers 503 + Retry-After
     * without running it: the classic synchronous action. */
    WEFT_SYNC,
    /** In a fiber on the loop thread: straight-line code that calls
     * weft_await() on tasks and holds no thread while it waits (the
     * `async Task<ActionResult>` action). Must not block either. */
    WEFT_ASYNC,
} weft_handler_kind;

/* ---- configuration: weft's common flags ----------------------------------- */
/** A flag given several times, in order (--tls-cert a --tls-cert b). */
typedef struct weft_strlist {
    const char **items; /**< the values, in the order given */
    int n;              /**< how many */
} weft_strlist;

/** weft's common command-line flags, parsed by weft_app_new; each field
 * names its flag and default. The app owns it (weft_app_config): it is
 * never allocated by the user, so it may grow. */
typedef struct weft_config {
    const char *host;           /**< --host (127.0.0.1) */
    int port;                   /**< --port, or $PORT (8080); 0 = any free port */
    int port_given;             /**< set by --port or $PORT */
    int loops;                  /**< --loops: per process (0 = the CPUs, divided among
                                   --processes) */
    int workers;                /**< --workers (64) */
    int queue_length;           /**< --queue-length (1000) */
    int max_concurrent;         /**< --max-concurrent: requests in flight in the process
                                   before 503 (0 = from the fd budget) */
    int max_connections;        /**< --max-connections: client sockets open in the process;
                                   past it the listeners pause (0 = from the fd budget) */
    int processes;              /**< --processes N|auto (1): worker processes under a master
                                   (0 = one per CPU) */
    int worker_stack_kb;        /**< --worker-stack-kb (1024) */
    int header_timeout_ms;      /**< --header-timeout (10000) */
    int body_timeout_ms;        /**< --body-timeout (30000, between body reads) */
    int keepalive_timeout_ms;   /**< --keepalive-timeout (75000) */
    int write_timeout_ms;       /**< --write-timeout (30000, a stalled write) */
    int shutdown_grace_ms;      /**< --shutdown-grace (30000) */
    int drain_delay_ms;         /**< --drain-delay (0): /readyz 503 and Connection: close
                                   while still accepting, before the listeners close */
    int idle_trim_s;            /**< --idle-trim (10): s of no requests before freed memory goes back, 0 = never */
    int stall_ms;               /**< --stall-ms (100): a loop busy this long is reported, 0 = off */
    const char *metrics_path;   /**< --metrics PATH: serve weft_app_enable_metrics there */
    const char *status_path;    /**< --status PATH: serve weft_app_enable_status there */
    const char *trusted_proxies; /**< --trusted-proxy ADDR[,NET/bits...]: whose X-Forwarded-* count */
    int request_timeout_ms;     /**< --request-timeout (30000; 0 = none) */
    int retry_after_s;          /**< --retry-after (10): cap on a 503's Retry-After, which is
                                   the pool queue's drain time at its measured rate */
    int quiet;                  /**< --quiet: no access log, warnings only */
    int dev;                    /**< --dev: error answers name what failed inside (backend
                                   addresses, errors); for development only */
    int max_conns_per_endpoint; /**< --max-conns-per-endpoint, HTTP client (0 = from the fd budget) */
    int max_conns_total;        /**< --max-conns-total, HTTP client (0 = from the fd budget) */
    int backend_http2;          /**< --backend-http2: HTTP/2 to backends */
    int backend_curl;           /**< --backend-curl: every call through libcurl */
    int h2c;                    /**< --h2c: HTTP/2 with prior knowledge on plain connections */
    int h2_max_streams;         /**< --h2-max-streams (1024): concurrent streams per connection */
    weft_strlist tls_certs;     /**< --tls-cert FILE...: serve HTTPS with these chains (PEM);
                                   the first is the default, the others picked by SNI */
    weft_strlist tls_keys;      /**< --tls-key FILE...: their keys, one per --tls-cert */
    int h2;                     /**< --h2 (1): HTTP/2 over TLS by ALPN; 0 = HTTP/1.1 only */
    int tls_handshake_timeout_ms; /**< --tls-handshake-timeout (10000) */
    int redirect_http_port;     /**< --redirect-http PORT: a plain listener that redirects to
                                   https (-1 = off, 0 = any free port) */
    const char *backend_ca;     /**< --backend-ca FILE: CA trusted for https:// backends
                                   (NULL: the system's) */
    int backend_tls_insecure_skip_verify; /**< --backend-tls-insecure-skip-verify: tests only */
    const char *log_level;      /**< --log-level (info) */
    const char *io;             /**< --io uring|epoll|auto (NULL: $WEFT_IO, else auto) */
    weft_http_limits limits;    /**< --max-request-line, --max-header-bytes,
                                   --max-headers, --max-body */
} weft_config;

/* ---- application ----------------------------------------------------------- */

/** Makes an application and parses weft's common flags from argv. Flags it
 * does not know are kept for weft_app_opt_*; weft_app_run rejects any that
 * nobody claimed. Exits with status 2 and a usage message on a bad value. */
WEFT_EXTERN weft_app *weft_app_new(int argc, char **argv);
/** Declares an application flag --name (integer or string), with a default
 * already in *var, and takes its value from the command line at once. A
 * malformed value prints the usage and exits with status 2; out of memory
 * aborts. Before weft_app_run. */
WEFT_EXTERN void weft_app_opt_int(weft_app *app, const char *name, long *var, const char *help);
/** The same for a string flag: *var points into argv (or keeps its
 * default). */
WEFT_EXTERN void weft_app_opt_str(weft_app *app, const char *name, const char **var, const char *help);
/** The parsed configuration; may be changed before weft_app_run. */
WEFT_EXTERN weft_config *weft_app_config(weft_app *app);
/** The port the app listens on, once weft_app_run has bound it (the one
 * the kernel chose for --port 0); 0 before. */
WEFT_EXTERN int weft_app_port(const weft_app *app);
/** The port to use when neither --port nor $PORT was given. */
WEFT_EXTERN void weft_app_default_port(weft_app *app, int port);
/** Stores a pointer of the application's own, for its handlers
 * (weft_app_user(weft_ctx_app(c))). */
WEFT_EXTERN void weft_app_set_user(weft_app *app, void *user);
/** The pointer stored by weft_app_set_user, or NULL. */
WEFT_EXTERN void *weft_app_user(const weft_app *app);

/** weft_route_opts.timeout_ms: the route has no deadline (NoAsyncTimeout). */
#define WEFT_NO_TIMEOUT (-1)

/** A route's options (all optional: zero is the default), given to
 * weft_route_opt as designated initialisers. */
typedef struct weft_route_opts {
    /** The request's deadline (AsyncTimeout): 0 = --request-timeout,
     * WEFT_NO_TIMEOUT = none (NoAsyncTimeout). At the deadline the server
     * answers - on_timeout if given, else 504 - even if the handler is
     * still running, then cancels the request's scope (WEFT_ETIMEDOUT). */
    int timeout_ms;
    /** Writes the timeout answer (the TimeoutErrorPage); runs on the loop.
     * For a WEFT_SYNC route, whose worker still owns the request, it gets
     * a context of its own: the same request (method, path, headers,
     * parameters, id) with a fresh arena, an empty bag and no body. */
    weft_handler_fn on_timeout;
    /** WEFT_ASYNC: the fiber's stack (0 = 64 KiB, pooled). */
    size_t stack_size;
    /** Whatever the handler needs of its own (weft_route_arg). */
    void *arg;
    /** The handler reads the body as it arrives (weft_body_read) instead
     * of getting it whole: an upload of any size in bounded memory, the
     * client held back while the handler is busy. --max-body does not
     * apply; max_body does (0: no limit). WEFT_ASYNC routes only
     * (weft_route refuses others with WEFT_EINVAL). */
    int stream_body;
    uint64_t max_body; /**< with stream_body: the most bytes taken (413 past it); 0: no limit */
} weft_route_opts;

/** The route's opts.arg, for the handler it runs. */
WEFT_EXTERN void *weft_route_arg(const weft_ctx *c);

/* ---- static files ----------------------------------------------------------- */

/** How weft_static serves (all optional: zero is the default). */
typedef struct weft_static_opts {
    const char *index;  /**< a directory's file ("index.html"); NULL: a directory is 404 */
    int max_age_s;      /**< Cache-Control: public, max-age=N; 0: no-cache (revalidate) */
} weft_static_opts;
/** weft_static() as a function, with the size of weft_static_opts as the
 * caller was compiled (see "The ABI" in docs/design.md); call weft_static(). */
WEFT_EXTERN int weft_static_sized(weft_app *app, const char *prefix, const char *root,
                                  const weft_static_opts *opts, size_t opts_size);
/** weft_static(app, "/assets", "/srv/www", &opts) serves GET and HEAD
 * /assets/PATH from the files under /srv/www (opts may be NULL; prefix "/"
 * serves the whole path space): sendfile over plain HTTP/1.1, read in
 * parts and written with back-pressure otherwise (TLS, HTTP/2) - opening,
 * reading and sendfile all on the worker pool, never on the loop. ETag
 * and Last-Modified with 304 for If-None-Match and If-Modified-Since, one
 * byte range (Range, If-Range) with 206 or 416, Content-Type by
 * extension. A path never leaves the root: "..", symbolic links that
 * point out, and encoded slashes, backslashes or NULs are 404 (resolved
 * by the kernel: openat2 RESOLVE_BENEATH). No request timeout (a large
 * file to a slow client takes what it takes); a client that stops reading
 * for --write-timeout is cut off. 0, WEFT_EINVAL (no such directory: said
 * in the log) or WEFT_ENOMEM. Before weft_app_run. */
#define weft_static(...) weft_static_sized(__VA_ARGS__, sizeof(weft_static_opts))

/** Adds a route. pattern is "METHOD /path/{param}/..."; a last segment
 * "{name*}" matches the rest of the path. Returns 0 or WEFT_EINVAL. */
WEFT_EXTERN int weft_route(weft_app *app, const char *pattern, weft_handler_fn fn, weft_handler_kind kind);
/** weft_route_opt() as a function, with the size of weft_route_opts as
 * the caller was compiled (see "The ABI" in docs/design.md). */
WEFT_EXTERN int weft_route_sized(weft_app *app, const char *pattern, weft_handler_fn fn,
                                 weft_handler_kind kind, const weft_route_opts *opts,
                                 size_t opts_size);
/** weft_route with options, given as designated initialisers of
 * weft_route_opts: `weft_route_opt(app, "GET /slow", slow, WEFT_ASYNC,
 * .timeout_ms = 500, .on_timeout = slow_page)`. 0 or WEFT_EINVAL. */
#define weft_route_opt(app, pattern, fn, kind, ...)                                                \
    weft_route_sized((app), (pattern), (fn), (kind), &(weft_route_opts){__VA_ARGS__},              \
                     sizeof(weft_route_opts))

/** Binds, prints the listening address, serves until SIGTERM/SIGINT, then
 * drains in-flight requests (up to --shutdown-grace) and returns the exit
 * status: 0 after a clean drain. Frees the app. */
WEFT_EXTERN int weft_app_run(weft_app *app);
/** Asks a running app to shut down gracefully, from any thread. */
WEFT_EXTERN void weft_app_stop(weft_app *app);
/** Every app answers GET /healthz (200 while the process serves) and GET
 * /readyz (200 when ready; 503 while the app says it is not, and from the
 * first moment of a shutdown), unless it routes those paths itself. An app
 * that must warm up first says so; any thread. */
WEFT_EXTERN void weft_app_set_ready(weft_app *app, int ready);
/** Serves GET path (e.g. "/metrics") with the statistics snapshot in
 * Prometheus' text format: requests, latency histograms and 503/504/499
 * by route, in flight by handler kind, the pool and its queue wait, loop
 * lag and stalls, fibers, each backend's calls, errors and latency, the
 * process's memory and descriptors. --metrics PATH does the same. 0 or
 * WEFT_EINVAL. Before weft_app_run. */
WEFT_EXTERN int weft_app_enable_metrics(weft_app *app, const char *path);
/** Serves a live status page at GET path (HTML with inline charts, no
 * external assets) and the figures it polls each second at GET path.json:
 * throughput, in flight async against sync, the pool's busy threads and
 * queue, loop lag, 503/504 rates, the slowest routes and the backends.
 * --status PATH does the same. 0 or WEFT_EINVAL. Before weft_app_run. */
WEFT_EXTERN int weft_app_enable_status(weft_app *app, const char *path);

/* ---- the request ------------------------------------------------------------ */
/** The method, e.g. "GET". */
WEFT_EXTERN weft_str weft_req_method(const weft_ctx *c);
/** The path, percent-encoded, as sent (without the query). */
WEFT_EXTERN weft_str weft_req_path(const weft_ctx *c);
/** The request target as sent: path and query. */
WEFT_EXTERN weft_str weft_req_target(const weft_ctx *c);
/** The value of the header name (case-insensitive), or WEFT_STR_NULL. */
WEFT_EXTERN weft_str weft_req_header(const weft_ctx *c, const char *name);
/** The whole request body (empty if none); on a .stream_body route, use
 * weft_body_read instead. */
WEFT_EXTERN weft_str weft_req_body(const weft_ctx *c);
/** The next piece of the body, as it arrives (WEFT_ASYNC: it awaits; on a
 * route with .stream_body, else the whole body as one piece): 1 with
 * *piece (valid until the next call), 0 at the end, or WEFT_ETOOBIG (past
 * the route's max_body: answer 413), WEFT_EBADMSG (malformed chunks: 400),
 * WEFT_ETIMEDOUT (nothing for --body-timeout: 408), or the request's
 * reason (the client left). Answering before the body is read to its end
 * closes the connection after the answer. */
WEFT_EXTERN int weft_body_read(weft_ctx *c, weft_str *piece);
/** HTTP/1.minor of the request: 0 or 1 (1 for HTTP/2, whose semantics are
 * 1.1's). */
WEFT_EXTERN int weft_req_http_minor(const weft_ctx *c);
/** Route parameter {name}, percent-decoded, NUL-terminated; NULL if none. */
WEFT_EXTERN const char *weft_param(weft_ctx *c, const char *name);
/** Query parameter, percent-decoded ('+' is a space); NULL if absent. */
WEFT_EXTERN const char *weft_query(weft_ctx *c, const char *name);
/** Query parameter as an integer; def if absent or not a number. */
WEFT_EXTERN long weft_query_int(weft_ctx *c, const char *name, long def);
/** The peer's address as text ("127.0.0.1"): who opened the connection. */
WEFT_EXTERN const char *weft_req_peer(const weft_ctx *c);
/** The client's address: the peer's, or - when the peer is one of
 * --trusted-proxy - the rightmost address of X-Forwarded-For that is not a
 * trusted proxy (what the nearest untrusted hop said; anything left of it
 * may be forged). The access log names this one. */
WEFT_EXTERN const char *weft_req_client(weft_ctx *c);
/** "https" when a trusted proxy says X-Forwarded-Proto: https, else "http". */
WEFT_EXTERN const char *weft_req_scheme(weft_ctx *c);
/** The request's id: its X-Request-Id when that is short and plain
 * (letters, digits, - _ . :, at most 64), else one made for it, unique in
 * the process and across restarts. In the access log. */
WEFT_EXTERN const char *weft_req_id(weft_ctx *c);

/** The request's arena: memory freed when the request ends. */
WEFT_EXTERN weft_arena *weft_ctx_arena(weft_ctx *c);
/** The request's scope: pass it to weft_delay, weft_when_all, weft_run,
 * the HTTP client... Everything started in it is cancelled when the
 * answer is sent, the deadline passes, the client disconnects or the
 * server shuts down. */
WEFT_EXTERN weft_scope *weft_ctx_scope(weft_ctx *c);
/** The application serving the request. */
WEFT_EXTERN weft_app *weft_ctx_app(const weft_ctx *c);
/** The loop that owns this request's connection. */
WEFT_EXTERN weft_loop *weft_ctx_loop(const weft_ctx *c);

/* ---- the response ----------------------------------------------------------
 * All reply functions are called on the handler's own thread (the loop for
 * WEFT_CALLBACK, the worker for WEFT_SYNC) and exactly once per request
 * (weft_stream_* count as one). They return 0 or WEFT_ESTATE when the
 * request already has its answer. */

/** Adds a response header (copied). Before the reply. */
WEFT_EXTERN int weft_add_header(weft_ctx *c, const char *name, const char *value);
/** Answers with status and len bytes of body (copied) of content_type
 * (NULL: none), with Content-Length. */
WEFT_EXTERN int weft_reply(weft_ctx *c, int status, const char *content_type, const void *body, size_t len);
/** weft_reply with a NUL-terminated body. */
WEFT_EXTERN int weft_reply_str(weft_ctx *c, int status, const char *content_type, const char *body);
/** weft_reply with a body formatted like printf. */
WEFT_EXTERN int weft_replyf(weft_ctx *c, int status, const char *content_type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** An error answer: application/problem+json (RFC 9457) when the request's
 * Accept asks for JSON, else the text line "404 Not Found: <detail>". A
 * 5xx names the request id. */
WEFT_EXTERN int weft_reply_error(weft_ctx *c, int status, const char *detail);
/** Starts a streamed answer of unknown length: chunked (close-delimited
 * for HTTP/1.0 clients; DATA frames on HTTP/2). */
WEFT_EXTERN int weft_stream_begin(weft_ctx *c, int status, const char *content_type);
/** Sends len bytes of data (copied) of the streamed answer. */
WEFT_EXTERN int weft_stream_write(weft_ctx *c, const void *data, size_t len);
/** Ends the streamed answer. */
WEFT_EXTERN int weft_stream_end(weft_ctx *c);
/** A streamed answer whose length is known (Content-Length, no chunks):
 * exactly `length` bytes follow in weft_stream_write calls. */
WEFT_EXTERN int weft_stream_begin_sized(weft_ctx *c, int status, const char *content_type, uint64_t length);
/** Back-pressure for a loop handler (WEFT_ASYNC: weft_await it): completes
 * once less than 256 KiB of the answer is waiting for the client, at once
 * if that is so now. A handler writing more than it has memory for awaits
 * it between writes. Fails with the request's reason if the client
 * leaves. NULL (WEFT_ENOMEM) or a task in the request's scope. */
WEFT_EXTERN weft_task *weft_stream_drained(weft_ctx *c);
/** Server-sent events (EventSource), from an async or callback handler:
 * weft_sse_begin answers 200 text/event-stream (no-cache) and keeps it
 * open, sending a ":" comment whenever nothing went out for heartbeat_ms
 * (0: none) so that idle streams survive proxies; weft_sse_send writes one
 * event (event and id optional, one line each; data split into "data:"
 * lines); weft_sse_end ends the stream. WEFT_ESTATE from a WEFT_SYNC
 * handler, WEFT_EINVAL for a line break in event or id. */
WEFT_EXTERN int weft_sse_begin(weft_ctx *c, unsigned heartbeat_ms);
/** Sends one event (see weft_sse_begin). */
WEFT_EXTERN int weft_sse_send(weft_ctx *c, const char *event, const char *id, const char *data);
/** Sends a comment line (": text"), which clients ignore. */
WEFT_EXTERN int weft_sse_comment(weft_ctx *c, const char *text);
/** The id a reconnecting client saw last (its Last-Event-ID), or NULL. */
WEFT_EXTERN const char *weft_sse_last_event_id(weft_ctx *c);
/** Ends the event stream. */
WEFT_EXTERN int weft_sse_end(weft_ctx *c);
/** True once the request has its complete answer. */
WEFT_EXTERN int weft_replied(const weft_ctx *c);

/* ---- callback handlers: outstanding operations (AsyncManager) -------------
 * A WEFT_CALLBACK handler that starts several operations counts them; when
 * the count returns to zero the completion function runs on the loop and
 * writes the answer (OutstandingOperations.Increment/Decrement and the
 * ...Completed method). The bag carries results between them (Parameters).
 * Loop thread only. */
/** Sets the function that answers once the count returns to zero. */
WEFT_EXTERN void weft_ops_on_complete(weft_ctx *c, weft_handler_fn fn);
/** Counts n more operations started (OutstandingOperations.Increment). */
WEFT_EXTERN void weft_ops_add(weft_ctx *c, int n);
/** Counts one operation finished (Decrement); at zero, the completion
 * function runs. */
WEFT_EXTERN void weft_ops_done(weft_ctx *c);
/** Operations still outstanding. */
WEFT_EXTERN int weft_ops_pending(const weft_ctx *c);
/** Runs fn(arg) when the request ends - answered, and no handler holds it
 * any more - on its loop, before its memory goes; the newest first. For
 * what a request owns outside its arena (a parsed tree, a file). 0 or
 * WEFT_ENOMEM. The handler's thread. */
WEFT_EXTERN int weft_req_on_end(weft_ctx *c, void (*fn)(void *), void *arg);
/** Stores value under key for this request (the key is not copied). */
WEFT_EXTERN int weft_bag_set(weft_ctx *c, const char *key, void *value);
/** The value stored under key, or NULL. */
WEFT_EXTERN void *weft_bag_get(const weft_ctx *c, const char *key);

/* Counters: weft_stats_snapshot (weft/stats.h) covers the server, the
 * pool, fibers and the client across all loops. */

#ifdef __cplusplus
}
#endif
#endif
