/* fuzz_framing_diff.c - differential fuzzer: weft's request framing
 * against the Node.js HTTP parser (nodejs/http-parser, Debian's
 * libhttp-parser-dev), a second, independent reading of RFC 9112.
 *
 * Request smuggling is two parsers disagreeing on where a message ends.
 * weft is deliberately stricter, so the property is one-sided: whenever
 * weft accepts a request whose body is complete in the input, the other
 * parser must accept the same bytes as one message with the same method,
 * the same target and the same end. Inputs weft refuses prove nothing
 * here (the other parser may accept them; that is its leniency). */
#include <http_parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/http.h"

typedef struct seen {
    char url[8192];
    size_t url_len;
    int complete;
} seen;

static int on_url(http_parser *p, const char *at, size_t len)
{
    seen *s = p->data;
    if (s->url_len + len > sizeof s->url)
        abort(); /* weft's limit is below this */
    memcpy(s->url + s->url_len, at, len);
    s->url_len += len;
    return 0;
}

static int on_complete(http_parser *p)
{
    ((seen *)p->data)->complete = 1;
    http_parser_pause(p, 1); /* stop at the first message's end */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static weft_header hdrs[64];
    weft_http_limits lim = {4096, 8192, 64, 1 << 16};
    weft_http_req req;
    int head = weft_http_parse_request((const char *)data, size, &req, hdrs, 64, &lim);
    if (head <= 0)
        return 0;
    /* Where weft says the message ends. */
    size_t end;
    if (req.chunked) {
        size_t rest = size - (size_t)head, used, made;
        char *buf = malloc(rest + 1);
        memcpy(buf, data + head, rest);
        weft_chunked d = {0};
        int r = weft_chunked_decode(&d, buf, buf, rest, &used, &made, lim.max_body, 4096);
        free(buf);
        if (r != 1)
            return 0; /* refused or incomplete: no framing to compare */
        end = (size_t)head + used;
    } else {
        if (req.content_length > size - (size_t)head)
            return 0;
        end = (size_t)head + req.content_length;
    }
    /* The other parser over the same bytes. */
    static http_parser_settings settings;
    settings.on_url = on_url;
    settings.on_message_complete = on_complete;
    seen s = {0};
    http_parser p;
    http_parser_init(&p, HTTP_REQUEST);
    p.data = &s;
    size_t n = http_parser_execute(&p, &settings, (const char *)data, size);
    /* A refusal cannot be desynchronised: smuggling needs both to accept.
     * (It refuses some valid requests weft takes: methods outside its
     * fixed list, and a field named like "Transfer-Encodingn", which it
     * takes for Transfer-Encoding.) */
    enum http_errno err = HTTP_PARSER_ERRNO(&p);
    if (err != HPE_OK && err != HPE_PAUSED)
        return 0;
    if (!s.complete || n != end)
        abort(); /* the two disagree on where the request ends */
    if (strlen(http_method_str((enum http_method)p.method)) != req.method.len ||
        memcmp(http_method_str((enum http_method)p.method), req.method.base, req.method.len) != 0)
        abort();
    if (s.url_len != req.target.len || memcmp(s.url, req.target.base, s.url_len) != 0)
        abort();
    return 0;
}
