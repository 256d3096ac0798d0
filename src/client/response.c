/* response.c - what a call's task holds: one block per response, the
 * header look-up, and query strings built for calls. Pure functions. */
#include <stdlib.h>

#include "core.h"

/* One block: the response, its header array and text, its body; freed
 * with one free(). */
weft_http_response *weft__response_make(int status, const weft_header *hdr, size_t n,
                                        const char *body, size_t body_len)
{
    size_t text = 0;
    for (size_t i = 0; i < n; i++)
        text += hdr[i].name.len + hdr[i].value.len + 2;
    size_t hdr_at = (sizeof(weft_http_response) + _Alignof(weft_header) - 1) &
                    ~(_Alignof(weft_header) - 1);
    size_t text_at = hdr_at + n * sizeof(weft_header);
    size_t body_at = text_at + text;
    char *block = malloc(body_at + body_len + 1);
    if (!block)
        return NULL;
    weft_http_response *r = (weft_http_response *)block;
    memset(r, 0, sizeof *r);
    r->status = status;
    weft_header *h = (weft_header *)(block + hdr_at);
    r->body = block + body_at;
    char *p = block + text_at;
    for (size_t i = 0; i < n; i++) {
        weft_str nm = hdr[i].name, v = hdr[i].value;
        memcpy(p, nm.base, nm.len);
        p[nm.len] = '\0';
        h[i].name = weft_str_make(p, nm.len);
        p += nm.len + 1;
        memcpy(p, v.base, v.len);
        p[v.len] = '\0';
        h[i].value = weft_str_make(p, v.len);
        p += v.len + 1;
    }
    r->headers = h;
    r->nheaders = n;
    if (body_len)
        memcpy(r->body, body, body_len);
    r->body[body_len] = '\0';
    r->body_len = body_len;
    return r;
}

void weft__response_free(void *r)
{
    free(r);
}

const char *weft_http_response_header(const weft_http_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (weft_str_ieq(r->headers[i].name, weft_str_cstr(name)))
            return r->headers[i].value.base;
    return NULL;
}

/* Percent-encodes all but RFC 3986's unreserved characters into the arena. */
static char *escape(weft_arena *a, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = weft_arena_alloc(a, 3 * n + 1), *p = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p = '\0';
    return out;
}

char *weft_url_add_query(weft_arena *a, const char *url, const char *key, const char *value)
{
    char *k = escape(a, key), *v = escape(a, value);
    if (!k || !v)
        return NULL;
    return weft_arena_printf(a, "%s%c%s=%s", url, strchr(url, '?') ? '&' : '?', k, v);
}
