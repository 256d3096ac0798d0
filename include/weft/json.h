/** @file weft/json.h
 * @brief A strict, zero-copy JSON pull reader (RFC 8259).
 *
 * For reading a backend's answer on the request path: the reader walks the
 * bytes where they lie (a client response body, a request body) and hands
 * out one token at a time, so rendering a table from a JSON array takes no
 * allocation and no tree. It validates everything jansson does - grammar,
 * string escapes and surrogate pairs, UTF-8, number syntax - and stops at
 * the first error with a message and its byte offset. Tokens of a bad
 * document may already have been handed out before the error, so a caller
 * that renders as it reads must be ready to throw its output away.
 *
 * jansson remains the tool for building documents and for code that wants
 * a tree; docs/design.md says why the request path does not parse with it.
 *
 *   weft_json_reader r;
 *   weft_json_init(&r, body, len);
 *   for (weft_json_type t; (t = weft_json_next(&r)) > WEFT_JSON_ERROR;)
 *       ...
 *   if (r.error) ... r.error, r.error_offset
 */
#ifndef WEFT_JSON_H
#define WEFT_JSON_H

#include "weft/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A token of the document (weft_json_next). */
typedef enum weft_json_type {
    WEFT_JSON_END = 0,   /**< the document is complete and valid */
    WEFT_JSON_ERROR,     /**< see error and error_offset; every later call too */
    WEFT_JSON_OBJECT,    /**< '{' */
    WEFT_JSON_OBJECT_END, /**< '}' */
    WEFT_JSON_ARRAY,     /**< '[' */
    WEFT_JSON_ARRAY_END, /**< ']' */
    WEFT_JSON_KEY,    /**< a member name, in text; its ':' is consumed */
    WEFT_JSON_STRING, /**< text: between the quotes, escapes as written */
    WEFT_JSON_NUMBER, /**< text: as written, e.g. "-12.5e3" */
    WEFT_JSON_TRUE,   /**< true */
    WEFT_JSON_FALSE,  /**< false */
    WEFT_JSON_NULL,   /**< null */
} weft_json_type;

/** Deeper nesting is an error (the nesting is tracked in one 64-bit word). */
#define WEFT_JSON_MAX_DEPTH 64

/** A pull reader over one document in memory. */
typedef struct weft_json_reader {
    const char *p;     /**< internal: the next byte to read */
    const char *begin; /**< the document's first byte */
    const char *end;   /**< one past its last byte */
    weft_str text;  /**< the current KEY, STRING or NUMBER */
    int escaped;    /**< text holds backslash escapes: decode with weft_json_string */
    int depth;      /**< containers open after the current token */
    int expect;     /**< internal: what the grammar allows next */
    uint64_t in_object; /**< internal: bit d set when level d is an object */
    const char *error;  /**< NULL, or why the document is invalid */
    size_t error_offset; /**< where the error is: bytes from begin */
} weft_json_reader;

/** Starts r on the len bytes at data (not copied: they must outlive r). */
WEFT_EXTERN void weft_json_init(weft_json_reader *r, const char *data, size_t len);
/** The next token. WEFT_JSON_END once the single top-level value and any
 * trailing whitespace are read; WEFT_JSON_ERROR on the first error. */
WEFT_EXTERN weft_json_type weft_json_next(weft_json_reader *r);
/** Skips the rest of a value whose first token was just returned: a whole
 * object or array, nothing for a scalar. 0, or WEFT_EBADMSG with error set. */
WEFT_EXTERN int weft_json_skip(weft_json_reader *r, weft_json_type first);
/** Decodes the current KEY or STRING into out as UTF-8 and NUL-terminates
 * it (when cap > 0). Returns the decoded length; if that is >= cap the
 * output was cut short and a buffer of the returned length + 1 is needed.
 * A \\u0000 escape decodes to a NUL byte inside the result. */
WEFT_EXTERN size_t weft_json_string(const weft_json_reader *r, char *out, size_t cap);
/** The current NUMBER as a double (0 or WEFT_ETOOBIG when it overflows). */
WEFT_EXTERN int weft_json_double(const weft_json_reader *r, double *out);
/** The current NUMBER as an integer: 0, WEFT_EINVAL when it has a fraction
 * or exponent, WEFT_ETOOBIG when it does not fit. */
WEFT_EXTERN int weft_json_int64(const weft_json_reader *r, int64_t *out);

#ifdef __cplusplus
}
#endif

#endif
