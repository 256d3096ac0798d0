/** @file weft/client.h
 * @brief The asynchronous HTTP client (HttpClient.GetStringAsync).
 *
 * Calls run on libcurl's multi interface, one multi handle per loop,
 * driven by that loop: no thread is held while a call waits. A call is a
 * task in a scope: when the scope is cancelled (the answer was sent, the
 * deadline passed, the client left, shutdown) the transfer is removed at
 * once and the task completes with the reason. Connections are kept alive
 * and reused per endpoint, with a per-endpoint limit (ASP.NET's
 * maxconnection); calls beyond it wait, in order, and that wait counts
 * against the deadline.
 *
 * http:// and https:// calls to an IP address (or localhost) go through
 * weft's own HTTP/1.1 or HTTP/2 client (a pool of keep-alive connections
 * per endpoint, responses parsed in place, TLS with the certificate and
 * host name verified); everything else - host names, which need a
 * resolver - through libcurl's multi interface. */
#ifndef WEFT_CLIENT_H
#define WEFT_CLIENT_H

#include "weft/task.h"
#include "weft/http.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A response: the value of a call's task, freed with the task. HTTP error
 * statuses (4xx, 5xx) are responses, not errors. */
typedef struct weft_http_response {
    int status;           /**< the backend's status code */
    weft_header *headers; /**< names and values NUL-terminated */
    size_t nheaders;      /**< how many headers */
    char *body;           /**< NUL-terminated (the NUL is not counted) */
    size_t body_len;      /**< the body's length in bytes */
    double total_ms;      /**< from the call to the last byte */
    int reused;           /**< the call used an already open connection */
} weft_http_response;

/** What a call sends and how (all optional: zero is the default). */
typedef struct weft_http_opts {
    const char *method;              /**< NULL = GET (or POST with a body) */
    const char *const *headers;      /**< "Name: value", NULL-terminated */
    const void *body;                /**< the request body (copied), or NULL */
    size_t body_len;                 /**< its length */
    uint64_t timeout_ms;             /**< 0 = only the scope's deadline; can only shorten it */
    size_t max_body;                 /**< 0 = the client default (8 MiB) */
    /** https:// only: CA certificates (PEM) to trust instead of what the
     * client configuration trusts (weft_client_config.tls_ca_file, else
     * the system's CAs); the certificate must name the URL's host either
     * way. Files named here are read once, on the first call that names
     * them; name them in weft_client_config to have them read at start. */
    const char *tls_ca_file;
    const char *tls_cert_file;       /**< https:// only: a client certificate chain (PEM) ... */
    const char *tls_key_file;        /**< ... and its key */
    int tls_insecure_skip_verify;    /**< accept ANY certificate for any name: tests only */
} weft_http_opts;

/** weft_http_request() as a function, with the size of weft_http_opts as the caller was
 * compiled (see "The ABI" in docs/design.md); call weft_http_request(). */
WEFT_EXTERN weft_task *weft_http_request_sized(weft_scope *s, const char *url,
                                               const weft_http_opts *opts, size_t opts_size);
/** Starts a call in scope s (on the current loop). The task's value is a
 * weft_http_response *. Errors: WEFT_ECONNREFUSED, WEFT_ECONNRESET,
 * WEFT_ETIMEDOUT, WEFT_ECANCELED, WEFT_EDNS, WEFT_ETLS, WEFT_EPROTO
 * (malformed response), WEFT_ETOOBIG (body over the limit), WEFT_EIO; the
 * scope records the message (weft_scope_failure). */
#define weft_http_request(...) weft_http_request_sized(__VA_ARGS__, sizeof(weft_http_opts))
/** A GET of url in scope s: weft_http_request(s, url, NULL). */
WEFT_EXTERN weft_task *weft_http_get(weft_scope *s, const char *url);

/** weft_http_request_blocking() as a function, with the size of weft_http_opts as the caller was
 * compiled (see "The ABI" in docs/design.md); call weft_http_request_blocking(). */
WEFT_EXTERN int weft_http_request_blocking_sized(weft_scope *s, const char *url,
                                                 const weft_http_opts *opts,
                                                 weft_http_response **out, size_t opts_size);
/** The blocking variant, for WEFT_SYNC handlers on a worker thread (the
 * seeds' synchronous WebClient.DownloadString): the call runs on the
 * scope's loop, under the same limits, while this thread waits. Returns
 * 0 and *out (valid until the scope ends), or an error. Never call it on a
 * loop thread: it returns WEFT_ESTATE there. */
#define weft_http_request_blocking(...) weft_http_request_blocking_sized(__VA_ARGS__, sizeof(weft_http_opts))

/** The response's value of a header (case-insensitive), or NULL. */
WEFT_EXTERN const char *weft_http_response_header(const weft_http_response *r, const char *name);

/** Appends key=value to a query string being built in the arena, escaping
 * both; returns the new string ("?k=v&k2=v2"), or NULL. */
WEFT_EXTERN char *weft_url_add_query(weft_arena *a, const char *url, const char *key, const char *value);

/** Client configuration, process-wide; set before the first call. The
 * limits are the process's totals: each of `loops` loops keeps its share
 * (rounded up), since each loop has a connection pool of its own. A
 * server sets all of this from weft_config (--max-conns-per-endpoint,
 * --max-conns-total, --backend-http2, --backend-curl) and its loop count;
 * a tool with one loop leaves loops at 0. Counters: weft/stats.h. */
typedef struct weft_client_config {
    long max_conns_per_endpoint; /**< to one backend, all loops; default 1024, 0 = none */
    long max_conns_total;        /**< to all backends, all loops; 0 = unlimited */
    int http2;                   /**< HTTP/2 to backends (h2c prior knowledge for http://) */
    size_t max_body;             /**< default response body limit (8 MiB) */
    long connect_timeout_ms;     /**< 0 = only the deadline */
    int curl_only;               /**< never weft's own engines */
    int loops;                   /**< loops sharing the limits (0 = 1) */
    const char *tls_ca_file;     /**< CA (PEM) trusted for https://; NULL = the system's */
    int tls_insecure_skip_verify; /**< accept any certificate: tests only */
} weft_client_config;
/** weft_client_configure() as a function, with the size of weft_client_config as the caller was
 * compiled (see "The ABI" in docs/design.md); call weft_client_configure(). */
WEFT_EXTERN void weft_client_configure_sized(const weft_client_config *cfg, size_t cfg_size);
/** Sets the process's client configuration (a weft_client_config *),
 * before the first call; a server does it at start. */
#define weft_client_configure(...) weft_client_configure_sized(__VA_ARGS__, sizeof(weft_client_config))

/** Frees the calling loop's client state. weft_loop_free (and a server's
 * loop as it stops) does it; call it only to drop idle connections early. */
WEFT_EXTERN void weft_client_thread_cleanup(void);

#ifdef __cplusplus
}
#endif
#endif
