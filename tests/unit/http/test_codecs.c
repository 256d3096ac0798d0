/* test_codecs.c - the two codecs against the protocol-neutral request and
 * response: an HTTP/1.1 request and an HTTP/2 request with the same head
 * and body become equal request objects; one response serialised by the
 * HTTP/1.1 writer and as HTTP/2 fields says the same; HTTP/2 requests
 * meet HTTP/1.1's limits with the same statuses. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "../../../src/http1/http1.h"
#include "../../../src/http2/fields.h"

static const weft_http_limits lim = {8192, 32768, 100, 8u << 20};

/* memmem: a written head is not NUL-terminated */
static int contains(const weft_buf *b, const char *text)
{
    return memmem(b->data, b->len, text, strlen(text)) != NULL;
}

static int field_eq(weft_str a, const char *b)
{
    return a.len == strlen(b) && strncasecmp(a.base, b, a.len) == 0;
}

/* The value of name in a request's header list (case-insensitive), or NULL. */
static const weft_header *find(const weft_http_req *r, weft_str name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (weft_str_ieq(r->headers[i].name, name))
            return &r->headers[i];
    return NULL;
}

static void assert_same_request(const weft_http_req *a, const weft_http_req *b)
{
    assert_true(weft_str_eq(a->method, b->method));
    assert_true(weft_str_eq(a->target, b->target));
    assert_true(weft_str_eq(a->path, b->path));
    assert_true(weft_str_eq(a->query, b->query));
    assert_true(weft_str_eq(a->host, b->host));
    assert_int_equal(a->has_content_length, b->has_content_length);
    assert_int_equal(a->content_length, b->content_length);
    assert_int_equal(a->nheaders, b->nheaders);
    for (size_t i = 0; i < a->nheaders; i++) { /* the same fields, in any order */
        const weft_header *h = find(b, a->headers[i].name);
        assert_non_null(h);
        assert_true(weft_str_eq(h->value, a->headers[i].value));
    }
}

#define F(n, v) {WEFT_STRLIT(n), WEFT_STRLIT(v)}

static void same_head_and_body_same_request(void **state)
{
    (void)state;
    static const char text[] = "POST /orders/42?expand=items&x=1 HTTP/1.1\r\n"
                               "Host: shop.example\r\n"
                               "Content-Type: application/json\r\n"
                               "Accept: */*\r\n"
                               "X-Trace: abc 123\r\n"
                               "Content-Length: 13\r\n"
                               "\r\n"
                               "{\"qty\": 3456}";
    weft_header h1_fields[16], h2_out[16 + WEFT_H2_ADDED_FIELDS];
    weft_http_req r1, r2;
    int n = weft_http_parse_request(text, sizeof text - 1, &r1, h1_fields, 16, &lim);
    assert_true(n > 0);
    weft_str body1 = weft_str_make(text + n, sizeof text - 1 - (size_t)n);

    /* The same request as HTTP/2 fields: pseudo-fields first, names
     * lower-case, no content-length (the DATA says it), host as :authority. */
    const weft_header fields[] = {
        F(":method", "POST"), F(":scheme", "http"), F(":authority", "shop.example"),
        F(":path", "/orders/42?expand=items&x=1"), F("content-type", "application/json"),
        F("accept", "*/*"), F("x-trace", "abc 123"),
    };
    const char body2[] = "{\"qty\": 3456}";
    char clen[24];
    const char *why = NULL;
    assert_int_equal(weft__h2_request_fill(&r2, fields, sizeof fields / sizeof fields[0],
                                           sizeof body2 - 1, clen, h2_out, 16 + 2, &lim, &why),
                     0);
    assert_same_request(&r1, &r2);
    assert_int_equal(body1.len, sizeof body2 - 1);
    assert_memory_equal(body1.base, body2, body1.len);
    /* a host field wins over :authority, as Host does in HTTP/1.1 */
    const weft_header with_host[] = {F(":method", "GET"), F(":authority", "a.example"),
                                     F(":path", "/"), F("host", "b.example")};
    assert_int_equal(weft__h2_request_fill(&r2, with_host, 4, 0, clen, h2_out, 18, &lim, &why), 0);
    assert_true(field_eq(r2.host, "b.example"));
    assert_int_equal(r2.nheaders, 1);
    assert_int_equal(r2.has_content_length, 0);
    assert_true(weft_str_eq(r2.query, WEFT_STRLIT("")));
}

/* The limits HTTP/1.1's parser applies, with the same statuses. */
static void h2_requests_meet_the_same_limits(void **state)
{
    (void)state;
    weft_header out[16];
    weft_http_req r;
    char clen[24];
    const char *why = NULL;
    weft_http_limits small = {64, 100, 3, 1000};

    char longpath[80];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    const weft_header too_long[] = {F(":method", "GET"),
                                    {WEFT_STRLIT(":path"), weft_str_cstr(longpath)}};
    assert_int_equal(weft__h2_request_fill(&r, too_long, 2, 0, clen, out, 16, &small, &why),
                     WEFT_EURITOOLONG);
    assert_non_null(why);

    const weft_header many[] = {F(":method", "GET"), F(":path", "/"), F("a", "1"),
                                F("b", "2"),         F("c", "3"),     F("d", "4")};
    assert_int_equal(weft__h2_request_fill(&r, many, 6, 0, clen, out, 16, &small, &why), WEFT_EFIELDS);

    char big[120];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const weft_header fat[] = {F(":method", "GET"), F(":path", "/"),
                               {WEFT_STRLIT("x-big"), weft_str_cstr(big)}};
    assert_int_equal(weft__h2_request_fill(&r, fat, 3, 0, clen, out, 16, &small, &why), WEFT_EFIELDS);

    const weft_header no_path[] = {F(":method", "GET")};
    assert_int_equal(weft__h2_request_fill(&r, no_path, 1, 0, clen, out, 16, &small, &why), WEFT_EBADMSG);
    const weft_header bad_path[] = {F(":method", "GET"), F(":path", "relative")};
    assert_int_equal(weft__h2_request_fill(&r, bad_path, 2, 0, clen, out, 16, &small, &why),
                     WEFT_EBADMSG);
    /* the same head within the limits is fine */
    assert_int_equal(weft__h2_request_fill(&r, many, 5, 0, clen, out, 16, &small, &why), 0);
}

/* One response, both codecs: the HTTP/1.1 text parsed back and the
 * HTTP/2 fields carry the same status and the same fields (names
 * case-insensitively), minus what belongs to an HTTP/1.1 connection. */
static void one_response_both_codecs(void **state)
{
    (void)state;
    const weft_header extra[] = {F("Cache-Control", "no-store"), F("X-Request-Id", "r-17"),
                                 F("Connection", "close")};
    weft_response r = {201, "application/json", extra, 3, 42, 0};

    weft_buf text = {0};
    assert_int_equal(weft__h1_write_head(&text, &r, 1, 1, 0, 0), 0);
    weft_header parsed[32];
    weft_http_resp_head head;
    assert_true(weft_http_parse_response(text.data, text.len, &head, parsed, 32, 65536) > 0);
    assert_int_equal(head.status, 201);

    weft_arena a;
    weft_arena_init(&a, 1024);
    nghttp2_nv nv[16];
    assert_true(weft__h2_response_nfields(&r) <= 16);
    char status[4], clen[24], date[30];
    size_t n = weft__h2_response_fields(&r, nv, &a, status, clen, date);
    assert_true(n > 0);
    assert_int_equal(nv[0].namelen, 7);
    assert_memory_equal(nv[0].name, ":status", 7);
    assert_memory_equal(nv[0].value, "201", 3);

    /* every HTTP/2 field is in the HTTP/1.1 head, with the same value
     * (the date may tick between the two: only its presence counts) */
    for (size_t i = 1; i < n; i++) {
        weft_str name = weft_str_make((const char *)nv[i].name, nv[i].namelen);
        for (size_t k = 0; k < name.len; k++)
            assert_false(name.base[k] >= 'A' && name.base[k] <= 'Z'); /* lower-case */
        int found = 0;
        for (size_t k = 0; k < head.nheaders && !found; k++)
            if (weft_str_ieq(head.headers[k].name, name))
                found = weft_str_eq(name, WEFT_STRLIT("date")) ||
                        weft_str_eq(head.headers[k].value,
                                    weft_str_make((const char *)nv[i].value, nv[i].valuelen));
        assert_true(found);
    }
    /* and every HTTP/1.1 field is among the HTTP/2 ones, but Connection */
    size_t expected = 0;
    for (size_t k = 0; k < head.nheaders; k++)
        if (!weft_str_ieq(head.headers[k].name, WEFT_STRLIT("connection")))
            expected++;
    assert_int_equal(n - 1, expected);

    /* a streamed answer: chunked in HTTP/1.1, no length in either */
    weft_response s = {200, "text/plain", NULL, 0, -1, 0};
    text.len = 0;
    assert_int_equal(weft__h1_write_head(&text, &s, 1, 1, 1, 0), 0);
    assert_true(contains(&text, "Transfer-Encoding: chunked\r\n"));
    n = weft__h2_response_fields(&s, nv, &a, status, clen, date);
    for (size_t i = 0; i < n; i++)
        assert_false(nv[i].namelen == 14 && memcmp(nv[i].name, "content-length", 14) == 0);
    /* 204 has no body: no length in either */
    weft_response empty = {204, NULL, NULL, 0, 0, 0};
    text.len = 0;
    assert_int_equal(weft__h1_write_head(&text, &empty, 1, 0, 0, 0), 0);
    assert_false(contains(&text, "Content-Length"));
    assert_true(contains(&text, "Connection: close\r\n"));
    n = weft__h2_response_fields(&empty, nv, &a, status, clen, date);
    assert_int_equal(n, 3); /* :status, server, date */
    weft_buf_free(&text);
    weft_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_head_and_body_same_request),
        cmocka_unit_test(h2_requests_meet_the_same_limits),
        cmocka_unit_test(one_response_both_codecs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
