/** @file weft/http.h
 * @brief HTTP/1.1 message syntax (RFC 9112): request parser, chunked
 * body decoder, status texts.
 *
 * The parser is zero-copy: every slice it returns points into the caller's
 * buffer. It knows nothing of sockets, routes or handlers. */
#ifndef WEFT_HTTP_H
#define WEFT_HTTP_H

#include "weft/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One header field, as slices into the message. */
typedef struct weft_header {
    weft_str name;  /**< the field name, as sent (compare with weft_str_ieq) */
    weft_str value; /**< the value, without surrounding whitespace */
} weft_header;

/** Size limits on a request; past each, the answer named here. */
typedef struct weft_http_limits {
    size_t max_request_line; /**< longer: 414 (default 8 KiB) */
    size_t max_header_bytes; /**< header block longer: 431 (default 32 KiB) */
    size_t max_headers;      /**< more fields: 431 (default 100) */
    uint64_t max_body;       /**< larger body: 413 (default 8 MiB) */
} weft_http_limits;

/** The default limits: 8 KiB request line, 32 KiB of header fields, 100
 * fields, 8 MiB body. */
#define WEFT_HTTP_LIMITS_DEFAULT                                                                   \
    ((weft_http_limits){8192, 32768, 100, 8u << 20})

/** A parsed request head: slices into the caller's buffer. */
typedef struct weft_http_req {
    weft_str method;  /**< the method token, e.g. "GET" */
    weft_str target;  /**< as sent: origin-form or absolute-form */
    weft_str path;    /**< still percent-encoded, starts with '/' (or "*") */
    weft_str query;   /**< after '?', without it; empty if none */
    int minor;        /**< HTTP/1.minor: 0 or 1 */
    weft_header *headers; /**< the header fields, in order (the caller's array) */
    size_t nheaders;      /**< how many */
    uint64_t content_length; /**< valid when has_content_length */
    unsigned has_content_length : 1; /**< a Content-Length was sent */
    unsigned chunked : 1;         /**< Transfer-Encoding: chunked */
    unsigned keep_alive : 1;      /**< persistent after this request */
    unsigned expect_continue : 1; /**< Expect: 100-continue */
    unsigned absolute_form : 1;   /**< the target named its authority (it is `host`) */
    weft_str host;    /**< Host, or an absolute-form target's authority; checked */
    /** On error: a short reason for the response body. */
    const char *error;
} weft_http_req;

/** Parses a request head from buf[0..len). On success returns the length of
 * the head (through the blank line) and fills req, whose headers are
 * written to hdrs (capacity hdr_cap, which must be >= lim->max_headers).
 * WEFT_EAGAIN when the head is not complete yet; otherwise a WEFT_E* code
 * (answer with weft_http_status_of) and req->error says why: EBADMSG 400,
 * ETOOBIG 413, EURITOOLONG 414, EEXPECT 417, EFIELDS 431, ENOTIMPL 501,
 * EVERSION 505. Leading empty lines are skipped (RFC 9112 section 2.2);
 * they count in the returned length. Limits are enforced even on
 * incomplete input, so a caller never buffers more than the limits allow. */
WEFT_EXTERN int weft_http_parse_request(const char *buf, size_t len, weft_http_req *req,
                            weft_header *hdrs, size_t hdr_cap, const weft_http_limits *lim);

/** What a connection remembers of a head still arriving, so that bytes
 * which cannot change the outcome are not parsed again (a head sent a
 * byte at a time would otherwise cost a parse per byte). Zero it when a
 * new head begins at buf[0]. */
typedef struct weft_http_scan {
    size_t seen;         /**< bytes looked at so far */
    size_t line_start;   /**< where the unfinished line begins */
    size_t fields_start; /**< where the header block begins; 0 in the request line */
} weft_http_scan;

/** Notes buf[0..len), of which scan->seen bytes were seen before and
 * weft_http_parse_request said WEFT_EAGAIN for them. Returns 0 when that
 * is certainly its answer still (no line ended, no limit passed), 1 when
 * the head must be parsed. O(new bytes). */
WEFT_EXTERN int weft_http_scan_feed(weft_http_scan *scan, const char *buf, size_t len,
                        const weft_http_limits *lim);

/** A parsed response head (for clients). */
typedef struct weft_http_resp_head {
    int status;           /**< the status code, 100..999 */
    int minor;            /**< HTTP/1.minor: 0 or 1 */
    weft_header *headers; /**< the header fields, in order (the caller's array) */
    size_t nheaders;      /**< how many */
    uint64_t content_length; /**< valid when has_content_length */
    unsigned has_content_length : 1; /**< a Content-Length was sent */
    unsigned chunked : 1;            /**< Transfer-Encoding: chunked */
    unsigned keep_alive : 1;  /**< the connection may carry another request */
} weft_http_resp_head;

/** Parses a response head from buf[0..len): the length of the head,
 * WEFT_EAGAIN, or WEFT_EPROTO when it is not a valid HTTP/1.x response
 * (or is longer than max_head bytes / has more than hdr_cap fields). */
WEFT_EXTERN int weft_http_parse_response(const char *buf, size_t len, weft_http_resp_head *h,
                             weft_header *hdrs, size_t hdr_cap, size_t max_head);

/** Decoder state for a chunked body. Zero it before the first call. */
typedef struct weft_chunked {
    int state;          /**< where in the chunk syntax the decoder is (internal) */
    uint64_t remaining; /**< data bytes left in the current chunk */
    uint64_t total;     /**< decoded bytes so far */
    size_t line_len;    /**< bytes of the current size line or trailer field */
    size_t meta_bytes;  /**< chunk extensions and trailer fields so far */
    unsigned digits;    /**< hex digits of the current size line (internal) */
} weft_chunked;

/** Decodes raw[0..raw_len) in place into dst (dst <= raw; the regions may
 * overlap). *consumed receives the raw bytes used, *produced the body bytes
 * written. Returns 1 when the body (with trailers) is complete, 0 when more
 * input is needed, or WEFT_EBADMSG for bad syntax, WEFT_ETOOBIG past
 * max_body, WEFT_EFIELDS for chunk extensions and trailer fields past
 * max_trailer bytes together. */
WEFT_EXTERN int weft_chunked_decode(weft_chunked *d, char *dst, const char *raw, size_t raw_len,
                        size_t *consumed, size_t *produced, uint64_t max_body,
                        size_t max_trailer);

/** Re-points every slice of req that lies in [old_base, old_base + len) at
 * the same offset from new_base: for moving a parsed request elsewhere. */
WEFT_EXTERN void weft_http_rebase(weft_http_req *req, const char *old_base, size_t len,
                      const char *new_base);
/** The same for one slice: s moved from old_base to new_base if it lies in
 * [old_base, old_base + len), else s. */
WEFT_EXTERN weft_str weft_str_rebase(weft_str s, const char *old_base, size_t len, const char *new_base);

/** The HTTP status that answers a weft error code: the one place that maps
 * them. EBADMSG 400, ENOTFOUND 404, EMETHOD 405, ETOOBIG 413, EURITOOLONG
 * 414, EEXPECT 417, EFIELDS 431, ENOTIMPL 501, EVERSION 505, EBUSY and
 * ECANCELED 503, ETIMEDOUT 504, a failed backend call (ECONNREFUSED,
 * ECONNRESET, EPROTO, EDNS, ETLS, EIO, ECLOSED, EHTTP) 502; anything else
 * 500. */
WEFT_EXTERN int weft_http_status_of(int err);
/** The status a gateway answers when a backend call failed with err: 504
 * for a time-out, 502 for anything else (a backend's oversized answer is
 * no fault of the client's request). */
WEFT_EXTERN int weft_http_gateway_status(int err);

/** The reason phrase of a status code ("Not Found"); "Unknown" if none. */
WEFT_EXTERN const char *weft_http_status_text(int status);

/** Finds a header by name (case-insensitive); NULL slice if absent. */
WEFT_EXTERN weft_str weft_http_find_header(const weft_http_req *req, weft_str name);

/** True if the comma-separated list `list` contains `token`
 * (case-insensitive), as in Connection: keep-alive, Upgrade. */
WEFT_EXTERN int weft_http_list_has(weft_str list, weft_str token);

#ifdef __cplusplus
}
#endif
#endif
