/** @file weft/middleware.h
 * @brief Steps that run around every handler, for the whole
 * app or for a group of routes under a path prefix, and the middleware
 * weft ships: request id, CORS, authentication, gzip, Server-Timing.
 *
 * A step has two halves, either optional:
 *  - before(c, arg) runs before the handler, in the handler's own context
 *    (the loop for WEFT_CALLBACK, the pool thread for WEFT_SYNC, the fiber
 *    for WEFT_ASYNC - so it may block or weft_await exactly as the handler
 *    may), with the request's scope and deadline. It returns WEFT_NEXT to
 *    go on, or answers (weft_reply...) and returns WEFT_ANSWERED: the
 *    handler and the steps inside this one do not run.
 *  - after(c, out, arg) runs as the answer is about to leave, innermost
 *    step first, on whichever thread replies: it may change the status,
 *    the content type and a complete body (new memory from the request's
 *    arena), and add or remove headers. A streamed answer (weft_stream_*,
 *    SSE) shows its head only: out->streamed is set and the body is not
 *    seen. Only the steps whose before let the request through (or that
 *    have none) see the answer.
 *
 * Requests no route takes (404, 405) go through the app's chain and the
 * chain of the innermost group whose prefix their path starts with, on the
 * loop - so CORS answers a preflight for a path routed only for GET. The
 * answers the server makes without a request context (a 400 for a bad
 * head, a 503 shed at admission, the 504 a worker's late answer loses
 * to) go out without them. */
#ifndef WEFT_MIDDLEWARE_H
#define WEFT_MIDDLEWARE_H

#include "weft/server.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a step's before() returns. */
enum weft_mw_result {
    WEFT_NEXT = 0,     /**< go on: the next step, then the handler */
    WEFT_ANSWERED = 1, /**< the step answered; the handler does not run */
};

/** The answer as it is about to leave. */
typedef struct weft_out {
    int status;               /**< the status code */
    const char *content_type; /**< NULL: none */
    const void *body;         /**< complete answers: the body; NULL when streamed */
    size_t len;               /**< the body's length */
    int streamed;             /**< weft_stream_begin/SSE: the body follows in parts */
} weft_out;

/** A middleware step: passed and returned by value, so its size is part
 * of the ABI; reserved is room for later hooks. Build it with designated
 * initialisers, which leave reserved zero. */
typedef struct weft_middleware {
    const char *name; /**< for logs and diagnostics ("cors") */
    /** Before the handler, in its context: WEFT_NEXT or WEFT_ANSWERED; NULL: none. */
    int (*before)(weft_ctx *c, void *arg);
    /** As the answer leaves, innermost step first; NULL: none. */
    void (*after)(weft_ctx *c, weft_out *out, void *arg);
    void *arg;               /**< given to before, after and free */
    void (*free)(void *arg); /**< called on arg when the app is freed; may be NULL */
    void *reserved[3];       /**< room for later versions; zero */
} weft_middleware;

/** Adds a step to the app's chain, outermost first (the first added runs
 * first before the handler and last after it). 0, WEFT_ENOMEM or
 * WEFT_ESTATE once the app runs. */
WEFT_EXTERN int weft_use(weft_app *app, weft_middleware mw);

/** Routes under a path prefix ("/api", no trailing slash) with a chain of
 * their own, run inside the app's (and inside the parent group's, for a
 * group made from a group). Owned by the app (opaque). */
typedef struct weft_group weft_group;
/** A group of app's routes under prefix; NULL on a bad prefix. Before
 * weft_app_run. */
WEFT_EXTERN weft_group *weft_group_new(weft_app *app, const char *prefix);
/** A group inside parent: its prefix follows the parent's ("/api" then
 * "/v1" is "/api/v1"), its chain runs inside the parent's. NULL on a bad
 * prefix. */
WEFT_EXTERN weft_group *weft_group_sub(weft_group *parent, const char *prefix);
/** Adds a step to the group's chain, outermost first. 0, WEFT_ENOMEM or
 * WEFT_ESTATE once the app runs. */
WEFT_EXTERN int weft_group_use(weft_group *g, weft_middleware mw);
/** Adds a route to the group: "GET /items/{id}" in group "/api" is the
 * route "GET /api/items/{id}". 0, WEFT_EINVAL or WEFT_ENOMEM. */
WEFT_EXTERN int weft_group_route(weft_group *g, const char *pattern, weft_handler_fn fn,
                     weft_handler_kind kind);
/** weft_group_route_opt() as a function, with the size of weft_route_opts
 * as the caller was compiled (see "The ABI" in docs/design.md). */
WEFT_EXTERN int weft_group_route_sized(weft_group *g, const char *pattern, weft_handler_fn fn,
                                       weft_handler_kind kind, const weft_route_opts *opts,
                                       size_t opts_size);
/** weft_group_route with options, given as designated initialisers of
 * weft_route_opts: `weft_group_route_opt(g, "GET /x", x, WEFT_ASYNC,
 * .timeout_ms = 500)`. */
#define weft_group_route_opt(g, pattern, fn, kind, ...)                                            \
    weft_group_route_sized((g), (pattern), (fn), (kind), &(weft_route_opts){__VA_ARGS__},         \
                           sizeof(weft_route_opts))

/** Response headers as the handler has set them so far: the value of the
 * last `name` (case-insensitive), or NULL. */
WEFT_EXTERN const char *weft_resp_header(const weft_ctx *c, const char *name);
/** Drops every response header called name (case-insensitive); 0, or
 * WEFT_ESTATE once the head is sent. */
WEFT_EXTERN int weft_remove_header(weft_ctx *c, const char *name);

/* ---- the middleware weft ships -------------------------------------------- */

/** X-Request-Id on every answer: the request's id (weft_req_id - the
 * client's own when it sent a plain one), the one the log names. */
WEFT_EXTERN weft_middleware weft_mw_request_id(void);

/** Server-Timing: app;dur=MS - the time from this step to the answer. */
WEFT_EXTERN weft_middleware weft_mw_timing(void);

/** Cross-origin resource sharing. A preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) from an allowed origin is answered 204
 * with the allowed methods and headers; any other request from one gets
 * Access-Control-Allow-Origin. Requests from other origins get no CORS
 * headers (the browser then refuses them). Vary: Origin whenever the
 * answer depends on it. The strings are not copied. */
typedef struct weft_cors_opts {
    const char *origins;       /**< "*" or "https://a.example, https://b.example" */
    const char *methods;       /**< NULL: "GET, HEAD, POST, PUT, PATCH, DELETE" */
    const char *headers;       /**< allowed request headers; NULL: those the preflight asks */
    const char *expose;        /**< Access-Control-Expose-Headers; NULL: none */
    int credentials;           /**< Access-Control-Allow-Credentials: true (needs listed origins) */
    int max_age_s;             /**< a preflight's lifetime in caches (0: 600) */
} weft_cors_opts;
/** weft_mw_cors() as a function, with the size of weft_cors_opts as the caller was
 * compiled (see "The ABI" in docs/design.md); call weft_mw_cors(). */
WEFT_EXTERN weft_middleware weft_mw_cors_sized(const weft_cors_opts *opts, size_t opts_size);
/** The CORS step for a const weft_cors_opts * (see weft_cors_opts). */
#define weft_mw_cors(...) weft_mw_cors_sized(__VA_ARGS__, sizeof(weft_cors_opts))

/** Authentication by the Authorization header. check() decides, in the
 * handler's context (a WEFT_SYNC route's may block, a WEFT_ASYNC route's
 * may await): for Basic it gets the user and password, for Bearer the
 * token (and user NULL). It returns 1 to let the request in - it may
 * weft_bag_set what it learnt, e.g. under "user" - or 0: the answer is 401
 * with WWW-Authenticate (and the handler does not run). */
typedef struct weft_auth_opts {
    const char *scheme; /**< "Basic" or "Bearer" */
    const char *realm;  /**< NULL: "weft" */
    /** Decides: 1 lets the request in, 0 answers 401. */
    int (*check)(weft_ctx *c, const char *user, const char *secret, void *arg);
    void *arg;          /**< check's last argument */
} weft_auth_opts;
/** weft_mw_auth() as a function, with the size of weft_auth_opts as the caller was
 * compiled (see "The ABI" in docs/design.md); call weft_mw_auth(). */
WEFT_EXTERN weft_middleware weft_mw_auth_sized(const weft_auth_opts *opts, size_t opts_size);
/** The authentication step for a const weft_auth_opts * (see
 * weft_auth_opts). */
#define weft_mw_auth(...) weft_mw_auth_sized(__VA_ARGS__, sizeof(weft_auth_opts))

/** gzip for complete answers (zlib), when the client's Accept-Encoding
 * takes gzip, the content type is text or structured text (any text/ type, JSON,
 * JavaScript, XML, SVG, +json, +xml), the status is 200 and the body is
 * at least min_size bytes, and no Content-Encoding is set. Adds Vary:
 * Accept-Encoding; a strong ETag becomes weak. Streamed answers go out as
 * written (compressing them would hold events back). */
typedef struct weft_gzip_opts {
    size_t min_size; /**< 0: 1024 */
    int level;       /**< 1..9; 0: 5 */
} weft_gzip_opts;
/** weft_mw_gzip() as a function, with the size of weft_gzip_opts as the caller was
 * compiled (see "The ABI" in docs/design.md); call weft_mw_gzip(). */
WEFT_EXTERN weft_middleware weft_mw_gzip_sized(const weft_gzip_opts *opts, size_t opts_size);
/** The gzip step for a const weft_gzip_opts * (NULL: the defaults; see
 * weft_gzip_opts). */
#define weft_mw_gzip(...) weft_mw_gzip_sized(__VA_ARGS__, sizeof(weft_gzip_opts))

#ifdef __cplusplus
}
#endif
#endif
