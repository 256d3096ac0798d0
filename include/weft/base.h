/** @file weft/base.h
 * @brief Errors, string slices, arenas, growable buffers, clocks, logging.
 *
 * The bottom layer: nothing here knows about loops, tasks or HTTP. Every
 * other layer builds on these types.
 */
#ifndef WEFT_BASE_H
#define WEFT_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "weft/export.h"
#include "weft/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------ */

/** weft's error codes. Functions that can fail return 0 (or a count, a
 * length) on success and one of these negative codes on failure; the HTTP
 * status a code answers with is weft_http_status_of's (weft/http.h), the
 * one place that maps them. weft_strerror and weft_err_name describe them. */
typedef enum weft_errno {
    WEFT_OK = 0, /**< success */
    WEFT_EINVAL = -1000, /**< invalid argument */
    WEFT_ENOMEM = -1001, /**< out of memory */
    WEFT_EBUSY = -1002, /**< server busy, try again later */
    WEFT_ECANCELED = -1003, /**< operation canceled */
    WEFT_ETIMEDOUT = -1004, /**< operation timed out */
    WEFT_ENOTFIBER = -1005, /**< not called from a fiber */
    WEFT_ECONNREFUSED = -1006, /**< connection refused */
    WEFT_ECONNRESET = -1007, /**< connection reset by peer */
    WEFT_EPROTO = -1008, /**< malformed response from peer */
    WEFT_ETOOBIG = -1009, /**< size limit exceeded */
    WEFT_ECLOSED = -1010, /**< connection closed */
    WEFT_EIO = -1011, /**< input/output error */
    WEFT_ENOTFOUND = -1012, /**< not found */
    WEFT_EADDRINUSE = -1013, /**< address already in use */
    WEFT_ETLS = -1014, /**< TLS failure */
    WEFT_EDNS = -1015, /**< name resolution failed */
    WEFT_ESTATE = -1016, /**< operation not valid in this state */
    WEFT_EHTTP = -1017, /**< HTTP error status from peer */
    WEFT_EAGAIN = -1018, /**< more input needed */
    WEFT_EBADMSG = -1019, /**< malformed message */
    WEFT_EMETHOD = -1020, /**< method not allowed */
    WEFT_EURITOOLONG = -1021, /**< request target too long */
    WEFT_EEXPECT = -1022, /**< unsupported expectation */
    WEFT_EFIELDS = -1023, /**< header fields too large */
    WEFT_ENOTIMPL = -1024, /**< not implemented */
    WEFT_EVERSION = -1025, /**< HTTP version not supported */
} weft_errno;

/** A human-readable message for a weft error code (never NULL). */
WEFT_EXTERN const char *weft_strerror(int err);
/** The code's symbolic name, e.g. "WEFT_ETIMEDOUT" (never NULL). */
WEFT_EXTERN const char *weft_err_name(int err);

/* ---- string slices ------------------------------------------------------ */

/** A string slice: len bytes at base, in memory owned by someone else
 * (usually a read buffer or an arena). Not NUL-terminated: print it with
 * `printf("%.*s", (int)s.len, s.base)`. */
typedef struct weft_str {
    const char *base; /**< the first byte (NULL for the null slice) */
    size_t len;       /**< the number of bytes */
} weft_str;

/** A slice of a string literal, without its NUL: WEFT_STRLIT("GET"). */
#define WEFT_STRLIT(s) ((weft_str){(s), sizeof(s) - 1})
/** The null slice: no memory, length 0 (what lookups return for "absent"). */
#define WEFT_STR_NULL ((weft_str){NULL, 0})

/** The slice of len bytes at s. */
static inline weft_str weft_str_make(const char *s, size_t len)
{
    return (weft_str){s, len};
}

/** The slice of a NUL-terminated string (without the NUL); NULL gives the
 * null slice. */
static inline weft_str weft_str_cstr(const char *s)
{
    return (weft_str){s, s ? strlen(s) : 0};
}

/** True when a and b hold the same bytes (two empty slices are equal). */
static inline int weft_str_eq(weft_str a, weft_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.base, b.base, a.len) == 0);
}

/** ASCII case-insensitive comparison (header names, tokens). */
WEFT_EXTERN int weft_str_ieq(weft_str a, weft_str b);
/** Parses an unsigned decimal made only of digits; 0 or WEFT_EINVAL (empty,
 * other characters, or overflow past max). */
WEFT_EXTERN int weft_str_to_u64(weft_str s, uint64_t max, uint64_t *out);
/** Writes v in decimal to out (room for 20 digits; not NUL-terminated) and
 * returns the number of digits. For hot paths that would otherwise call
 * printf for one number (response heads, pages). */
WEFT_EXTERN size_t weft_u64_to_dec(char *out, uint64_t v);

/* ---- arena ---------------------------------------------------------------- */

/** One block of an arena's memory (internal). */
typedef struct weft_arena_chunk weft_arena_chunk;

/** A bump allocator: many allocations, one free. Request-lifetime memory
 * comes from here (weft_ctx_arena, weft_scope_arena). Not thread-safe: one
 * owner at a time. The fields are the allocator's own; use the functions. */
typedef struct weft_arena {
    weft_arena_chunk *chunks; /**< the chunks, newest first */
    char *ptr;                /**< the free space in the newest chunk begins here ... */
    char *end;                /**< ... and ends here */
    size_t chunk_size;        /**< the default size of new chunks */
} weft_arena;

/** Makes a an empty arena whose chunks are chunk_size bytes (0: 4 KiB);
 * nothing is allocated until the first weft_arena_alloc. */
WEFT_EXTERN void weft_arena_init(weft_arena *a, size_t chunk_size);
/** Returns 16-byte aligned memory, or NULL when out of memory. */
WEFT_EXTERN void *weft_arena_alloc(weft_arena *a, size_t size);
/** Copies len bytes and adds a NUL. */
WEFT_EXTERN char *weft_arena_strndup(weft_arena *a, const char *s, size_t len);
/** Formats like printf into new memory of the arena (NUL-terminated);
 * NULL when out of memory. */
WEFT_EXTERN char *weft_arena_printf(weft_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Frees everything but the first chunk, which is kept for reuse. */
WEFT_EXTERN void weft_arena_reset(weft_arena *a);
/** Frees every chunk; a is empty afterwards (and may be used again). */
WEFT_EXTERN void weft_arena_free(weft_arena *a);

/* ---- growable byte buffer --------------------------------------------- */

/** A growable byte buffer on the heap. Zero it to start (`weft_buf b =
 * {0};`), append, read data[0..len), free with weft_buf_free. */
typedef struct weft_buf {
    char *data; /**< the bytes (NULL until the first append); not NUL-terminated */
    size_t len; /**< bytes in use */
    size_t cap; /**< bytes allocated */
} weft_buf;

/** Makes room for at least `extra` more bytes; 0 or WEFT_ENOMEM. */
WEFT_EXTERN int weft_buf_reserve(weft_buf *b, size_t extra);
/** The out-of-line half of weft_buf_append: grows b, then appends. 0 or
 * WEFT_ENOMEM. */
WEFT_EXTERN int weft_buf_append_slow(weft_buf *b, const void *data, size_t len);

/** Appends len bytes of data; 0 or WEFT_ENOMEM (b is then unchanged).
 * Inline because pages and heads are built from many small appends: with
 * room in the buffer this is a copy the compiler can see (a constant
 * length becomes a few moves), not two calls. */
static inline int weft_buf_append(weft_buf *b, const void *data, size_t len)
{
    if (b->cap - b->len < len || !b->data)
        return weft_buf_append_slow(b, data, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}
/** Appends text formatted like printf (no NUL counted in len); 0 or
 * WEFT_ENOMEM. */
WEFT_EXTERN int weft_buf_printf(weft_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** weft_buf_printf with a va_list. */
WEFT_EXTERN int weft_buf_vprintf(weft_buf *b, const char *fmt, va_list ap);
/** Frees the bytes; b is an empty buffer afterwards. */
WEFT_EXTERN void weft_buf_free(weft_buf *b);

/** Whether data is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF). */
WEFT_EXTERN int weft_utf8_valid(const void *data, size_t len);

/* ---- clocks --------------------------------------------------------------- */
/** Monotonic time in milliseconds (arbitrary origin). */
WEFT_EXTERN uint64_t weft_now_ms(void);
/** Monotonic time in nanoseconds (arbitrary origin). */
WEFT_EXTERN uint64_t weft_now_ns(void);
/** RFC 9110 IMF-fixdate of the current second, cached per thread; `out`
 * receives 29 characters plus a NUL. */
WEFT_EXTERN void weft_http_date(char out[30]);

/* ---- logging -------------------------------------------------------------
 * Error-log lines go to stderr, access-log lines to stdout. Neither ever
 * blocks the caller on I/O: lines are queued for a logging thread, and
 * dropped (and counted) if it falls far behind. */

/** How much an error-log line matters; lines below the level are dropped. */
typedef enum weft_log_level {
    WEFT_LOG_DEBUG, /**< detail for development */
    WEFT_LOG_INFO,  /**< what the server does (the default level) */
    WEFT_LOG_WARN,  /**< something went wrong that the server works around */
    WEFT_LOG_ERROR, /**< something failed */
} weft_log_level;

/** Sets the level below which error-log lines are dropped (--log-level). */
WEFT_EXTERN void weft_log_set_level(weft_log_level lvl);
/** The current level. */
WEFT_EXTERN weft_log_level weft_log_get_level(void);
/** Parses "debug", "info", "warn", "error" to a weft_log_level;
 * WEFT_EINVAL when unknown. */
WEFT_EXTERN int weft_log_level_parse(const char *s);
/** Writes one error-log line at level lvl, formatted like printf (the
 * newline is added), with the time and level in front. */
WEFT_EXTERN void weft_log(weft_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Appends one access-log line (with its newline) to the calling thread's
 * batch; batches are handed to the logging thread by weft_log_flush_thread(). */
WEFT_EXTERN void weft_log_access(const char *line, size_t len);
/** Hands the calling thread's batch of access-log lines to the logging
 * thread (a server's loops do it each turn). */
WEFT_EXTERN void weft_log_flush_thread(void);
/** Flushes and frees the calling thread's batch; call before a thread that
 * logged access lines exits. */
WEFT_EXTERN void weft_log_thread_done(void);
/** Waits until everything queued so far has been written. */
WEFT_EXTERN void weft_log_sync(void);
/** Lines dropped because the logging thread fell behind. */
WEFT_EXTERN uint64_t weft_log_dropped(void);

/** weft_log at WEFT_LOG_DEBUG: weft_debug("fd %d", fd). */
#define weft_debug(...) weft_log(WEFT_LOG_DEBUG, __VA_ARGS__)
/** weft_log at WEFT_LOG_INFO. */
#define weft_info(...) weft_log(WEFT_LOG_INFO, __VA_ARGS__)
/** weft_log at WEFT_LOG_WARN. */
#define weft_warn(...) weft_log(WEFT_LOG_WARN, __VA_ARGS__)
/** weft_log at WEFT_LOG_ERROR. */
#define weft_error(...) weft_log(WEFT_LOG_ERROR, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
