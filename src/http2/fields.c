/* fields.c - HPACK fields to a request, a response to HPACK fields.
 *
 * An HTTP/2 request arrives as fields, never as text: its method, target
 * and authority are pseudo-fields, its length is the DATA received. Here
 * they become the same weft_http_req the HTTP/1.1 parser makes, under the
 * same limits, so the request path cannot tell the protocols apart; and a
 * handler's weft_response becomes the fields of a HEADERS frame with no
 * HTTP/1.1 text in between. Pure functions; no session, no socket. */
#include <ctype.h>
#include <stdio.h>

#include "fields.h"
#include "../http/uri.h"

static int name_is(weft_str name, const char *lit)
{
    return weft_str_eq(name, weft_str_cstr(lit));
}

static int fail(const char **why, const char *text, int err)
{
    *why = text;
    return err;
}

/* Splits target into path and query at the first '?'. */
static void split_target(weft_http_req *req)
{
    const char *q = memchr(req->target.base, '?', req->target.len);
    if (!q) {
        req->path = req->target;
        req->query = weft_str_make(req->target.base + req->target.len, 0);
        return;
    }
    req->path = weft_str_make(req->target.base, (size_t)(q - req->target.base));
    req->query = weft_str_make(q + 1, req->target.len - req->path.len - 1);
}

int weft__h2_request_fill(weft_http_req *req, const weft_header *fields, size_t n,
                          size_t body_len, char clen[24], weft_header *out, size_t out_cap,
                          const weft_http_limits *lim, const char **why)
{
    memset(req, 0, sizeof *req);
    weft_str authority = WEFT_STR_NULL;
    size_t nout = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        weft_str name = fields[i].name, value = fields[i].value;
        if (name.len && name.base[0] == ':') {
            if (name_is(name, ":method"))
                req->method = value;
            else if (name_is(name, ":path"))
                req->target = value;
            else if (name_is(name, ":authority"))
                authority = value;
            continue; /* :scheme says nothing the request path uses */
        }
        /* The length comes from the body received; a 100-continue means
         * nothing once the whole body is here. */
        if (name_is(name, "content-length") || name_is(name, "expect"))
            continue;
        if (name_is(name, "host"))
            req->host = value;
        bytes += name.len + value.len + 4; /* as "name: value\r\n" would count */
        if (nout >= lim->max_headers || nout >= out_cap)
            return fail(why, "too many header fields", WEFT_EFIELDS);
        if (bytes > lim->max_header_bytes)
            return fail(why, "request header fields too large", WEFT_EFIELDS);
        out[nout++] = fields[i];
    }
    if (!req->method.len || !req->target.len)
        return fail(why, "missing :method or :path", WEFT_EBADMSG);
    if (req->target.len + req->method.len + 10 > lim->max_request_line)
        return fail(why, "request target too long", WEFT_EURITOOLONG);
    /* The same RFC 3986 rules as an HTTP/1.1 target and Host (uri.c). */
    const char *bad;
    if (req->target.len == 1 && req->target.base[0] == '*') {
        if (!name_is(req->method, "OPTIONS"))
            return fail(why, "the :path '*' is for OPTIONS only", WEFT_EBADMSG);
    } else if ((bad = weft__uri_origin_check(req->target))) {
        return fail(why, bad, WEFT_EBADMSG);
    }
    if ((authority.base && (bad = weft__uri_authority_check(authority))) ||
        (req->host.len && (bad = weft__uri_authority_check(req->host))))
        return fail(why, bad, WEFT_EBADMSG);
    if (!req->host.len && authority.len) {
        if (nout + 1 > out_cap)
            return fail(why, "too many header fields", WEFT_EFIELDS);
        out[nout++] = (weft_header){WEFT_STRLIT("host"), authority};
        req->host = authority;
    }
    if (body_len) {
        if (nout + 1 > out_cap)
            return fail(why, "too many header fields", WEFT_EFIELDS);
        size_t len = weft_u64_to_dec(clen, body_len);
        out[nout++] = (weft_header){WEFT_STRLIT("content-length"), weft_str_make(clen, len)};
        req->has_content_length = 1;
        req->content_length = body_len;
    }
    split_target(req);
    req->headers = out;
    req->nheaders = nout;
    req->minor = 1; /* HTTP/1.1 semantics, for handlers that ask */
    req->keep_alive = 1;
    return 0;
}

size_t weft__h2_fields_split(const char *data, size_t len, weft_header *h, size_t max)
{
    size_t n = 0;
    const char *p = data, *end = data + len;
    while (p < end && n < max) {
        const char *nz = memchr(p, '\0', (size_t)(end - p));
        if (!nz)
            break;
        const char *v = nz + 1;
        const char *vz = v < end ? memchr(v, '\0', (size_t)(end - v)) : NULL;
        if (!vz)
            break; /* a name without its value: never written so */
        h[n].name = weft_str_make(p, (size_t)(nz - p));
        h[n].value = weft_str_make(v, (size_t)(vz - v));
        n++;
        p = vz + 1;
    }
    return n;
}

/* Fields that belong to one HTTP/1.1 connection and have no meaning in
 * HTTP/2 (RFC 9113 8.2.2): never sent. */
static int connection_specific(weft_str name)
{
    return weft_str_ieq(name, WEFT_STRLIT("connection")) ||
           weft_str_ieq(name, WEFT_STRLIT("keep-alive")) ||
           weft_str_ieq(name, WEFT_STRLIT("transfer-encoding")) ||
           weft_str_ieq(name, WEFT_STRLIT("upgrade")) ||
           weft_str_ieq(name, WEFT_STRLIT("proxy-connection"));
}

static nghttp2_nv field(const char *name, size_t nlen, const char *value, size_t vlen)
{
    return (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, nlen, vlen, NGHTTP2_NV_FLAG_NONE};
}

#define LIT(s) s, sizeof(s) - 1

size_t weft__h2_response_nfields(const weft_response *r)
{
    return 5 + r->nheaders;
}

size_t weft__h2_response_fields(const weft_response *r, nghttp2_nv *nv, weft_arena *a,
                                char status[4], char clen[24], char date[30])
{
    size_t n = 0;
    int s = r->status >= 100 && r->status <= 999 ? r->status : 500;
    snprintf(status, 4, "%03d", s);
    nv[n++] = field(LIT(":status"), status, 3);
    nv[n++] = field(LIT("server"), LIT("weft"));
    weft_http_date(date);
    nv[n++] = field(LIT("date"), date, 29);
    if (r->content_type)
        nv[n++] = field(LIT("content-type"), r->content_type, strlen(r->content_type));
    int has_body = !(s < 200 || s == 204 || s == 304);
    if (r->content_length >= 0 && has_body) {
        size_t len = weft_u64_to_dec(clen, (uint64_t)r->content_length);
        nv[n++] = field(LIT("content-length"), clen, len);
    }
    for (size_t i = 0; i < r->nheaders; i++) {
        weft_str name = r->headers[i].name, value = r->headers[i].value;
        if (connection_specific(name))
            continue;
        char *lower = weft_arena_alloc(a, name.len ? name.len : 1);
        if (!lower)
            return 0;
        for (size_t k = 0; k < name.len; k++)
            lower[k] = (char)tolower((unsigned char)name.base[k]);
        nv[n++] = field(lower, name.len, value.base, value.len);
    }
    return n;
}
