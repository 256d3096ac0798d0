/* errors.c - the body of every error the server answers by itself.
 *
 * 404, 405, 503, 504, a handler's 500, a backend's 502/504, a codec's
 * 400/413/431: one format, chosen by what the client accepts. A client
 * that asks for JSON (an Accept naming application/json,
 * application/problem+json or any +json type) gets RFC 9457's
 * application/problem+json:
 *
 *   {"type":"about:blank","title":"Not Found","status":404,
 *    "detail":"no route for GET /x","request_id":"..."}
 *
 * anyone else (a browser, curl) the short text line it always got,
 * "404 Not Found: detail". The detail is the server's own wording: what
 * went wrong inside (a backend's address, its error) goes to the log
 * with the request id, never here. Formatted on the caller's stack: the
 * loop answers a deadline for a request whose memory a worker owns. */
#include <stdio.h>
#include <strings.h>

#include "server.h"

/* Whether the request's Accept asks for JSON: "json" in it, any case
 * (application/json, application/problem+json, application/vnd.x+json). */
static int wants_json(const weft_ctx *c)
{
    weft_str v = weft_req_header(c, "Accept");
    for (size_t i = 0; i + 4 <= v.len; i++)
        if (strncasecmp(v.base + i, "json", 4) == 0)
            return 1;
    return 0;
}

/* Appends s to out as the inside of a JSON string. */
static size_t put_json_string(char *out, size_t at, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s && at + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[at++] = '\\';
            out[at++] = (char)ch;
        } else if (ch < 0x20) {
            at += (size_t)snprintf(out + at, cap - at, "\\u00%c%c", hex[ch >> 4], hex[ch & 15]);
        } else {
            out[at++] = (char)ch;
        }
    }
    return at;
}

size_t weft__error_body(const weft_ctx *c, int status, const char *detail, const char *request_id,
                        char *out, size_t cap, const char **content_type)
{
    const char *title = weft_http_status_text(status);
    int n;
    if (!wants_json(c)) {
        *content_type = "text/plain; charset=utf-8";
        n = detail && *detail ? snprintf(out, cap, "%d %s: %s\n", status, title, detail)
                              : snprintf(out, cap, "%d %s\n", status, title);
        return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
    }
    *content_type = "application/problem+json";
    n = snprintf(out, cap, "{\"type\":\"about:blank\",\"title\":\"%s\",\"status\":%d", title,
                 status);
    size_t at = n < 0 ? 0 : (size_t)n;
    if (detail && *detail && at + 16 < cap) {
        memcpy(out + at, ",\"detail\":\"", 11);
        at = put_json_string(out, at + 11, cap - 3, detail);
        out[at++] = '"';
    }
    if (request_id && at + 24 < cap) {
        memcpy(out + at, ",\"request_id\":\"", 15);
        at = put_json_string(out, at + 15, cap - 3, request_id);
        out[at++] = '"';
    }
    out[at++] = '}';
    out[at] = '\0';
    return at;
}
