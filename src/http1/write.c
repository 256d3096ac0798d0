/* write.c - a weft_response as HTTP/1.1 text (RFC 9112 section 4-6).
 *
 * A pure function of the response and the connection's framing choices:
 * no socket, no context. The head is assembled with memcpy rather than
 * printf - it is on every request's path - into one allocation that also
 * holds the body when the caller says how long it is. */
#include "http1.h"

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUT_LIT(p, s) put((p), (s), sizeof(s) - 1)

static char *put_u64(char *p, uint64_t v)
{
    return p + weft_u64_to_dec(p, v);
}

static int has_body_status(int status)
{
    return !(status < 200 || status == 204 || status == 304);
}

int weft__h1_write_head(weft_buf *out, const weft_response *r, int minor, int keep_alive,
                        int chunked, size_t extra_reserve)
{
    size_t ctlen = r->content_type ? strlen(r->content_type) : 0;
    size_t need = 160 + ctlen + extra_reserve;
    for (size_t i = 0; i < r->nheaders; i++)
        need += r->headers[i].name.len + r->headers[i].value.len + 4;
    if (weft_buf_reserve(out, need))
        return WEFT_ENOMEM;

    char *p = out->data + out->len;
    const char *reason = weft_http_status_text(r->status);
    p = PUT_LIT(p, "HTTP/1.1 ");
    p = put_u64(p, (uint64_t)r->status);
    *p++ = ' ';
    p = put(p, reason, strlen(reason));
    p = PUT_LIT(p, "\r\nServer: weft\r\nDate: ");
    char date[30];
    weft_http_date(date);
    p = put(p, date, 29);
    if (r->content_type) {
        p = PUT_LIT(p, "\r\nContent-Type: ");
        p = put(p, r->content_type, ctlen);
    }
    if (r->content_length >= 0) {
        if (has_body_status(r->status)) {
            p = PUT_LIT(p, "\r\nContent-Length: ");
            p = put_u64(p, (uint64_t)r->content_length);
        }
    } else if (chunked) {
        p = PUT_LIT(p, "\r\nTransfer-Encoding: chunked");
    }
    if (!keep_alive)
        p = PUT_LIT(p, "\r\nConnection: close");
    else if (minor == 0)
        p = PUT_LIT(p, "\r\nConnection: keep-alive");
    for (size_t i = 0; i < r->nheaders; i++) {
        p = PUT_LIT(p, "\r\n");
        p = put(p, r->headers[i].name.base, r->headers[i].name.len);
        p = PUT_LIT(p, ": ");
        p = put(p, r->headers[i].value.base, r->headers[i].value.len);
    }
    p = PUT_LIT(p, "\r\n\r\n");
    out->len = (size_t)(p - out->data);
    return 0;
}
