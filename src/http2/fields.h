/* h2.h - the HTTP/2 codec's conversions between HPACK fields and the
 * protocol-neutral request and response (fields.c). Pure functions:
 * the codec (server.c) calls them, and unit tests hold them against the
 * HTTP/1.1 parser and writer. */
#ifndef WEFT_SRC_SERVER_H2_H
#define WEFT_SRC_SERVER_H2_H

#include <nghttp2/nghttp2.h>

#include "../server/server.h"

/* Room a request's extra fields need beside the client's: host (from
 * :authority) and content-length. */
#define WEFT_H2_ADDED_FIELDS 2

/* Fills req from a stream's fields (pseudo-fields and regular ones, in
 * the order received; names lower-case, as nghttp2 has checked) and the
 * length of its body. The regular fields go to out (room for out_cap);
 * host is added from :authority when absent, content-length from the
 * body received (clen holds its digits). The limits apply as HTTP/1.1's
 * parser applies them, with its codes: WEFT_EURITOOLONG for a :path past
 * max_request_line, WEFT_EFIELDS past max_headers fields or
 * max_header_bytes, WEFT_EBADMSG for a missing or malformed :method or
 * :path. Returns 0, or the code with *why saying why. */
int weft__h2_request_fill(weft_http_req *req, const weft_header *fields, size_t n,
                          size_t body_len, char clen[24], weft_header *out, size_t out_cap,
                          const weft_http_limits *lim, const char **why);

/* The response fields weft's HTTP/2 client keeps as they arrive, each
 * "name\0value\0" in data[0..len), back as up to max headers (slices
 * into data). Returns how many. nghttp2 has refused NUL in names and
 * values, so a NUL always ends one. */
size_t weft__h2_fields_split(const char *data, size_t len, weft_header *h, size_t max);

/* Room weft__h2_response_fields needs for r. */
size_t weft__h2_response_nfields(const weft_response *r);
/* Writes r's HEADERS fields to nv: :status, server, date, content-type,
 * content-length (when known and the status has a body), then the
 * handler's fields with their names lower-cased (copies in arena a) and
 * the connection-specific ones (RFC 9113 8.2.2) left out. The scratch
 * arrays hold the values nv points to. Returns the number of fields, or 0
 * when out of memory. */
size_t weft__h2_response_fields(const weft_response *r, nghttp2_nv *nv, weft_arena *a,
                                char status[4], char clen[24], char date[30]);

#endif
