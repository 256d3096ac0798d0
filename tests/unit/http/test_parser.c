/* test_parser.c - the HTTP/1.1 request parser: every rule, every error,
 * every split point, pipelined batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "weft/http.h"

static weft_header hdrs[128];

static int parse(const char *s, weft_http_req *req)
{
    weft_http_limits lim = WEFT_HTTP_LIMITS_DEFAULT;
    return weft_http_parse_request(s, strlen(s), req, hdrs, 128, &lim);
}

static int parse_status(const char *s)
{
    weft_http_req req;
    return parse(s, &req);
}

#define assert_slice(sl, lit)                                                                      \
    do {                                                                                           \
        assert_int_equal((sl).len, strlen(lit));                                                   \
        assert_memory_equal((sl).base, (lit), strlen(lit));                                        \
    } while (0)

static void simple_get(void **state)
{
    (void)state;
    const char *s = "GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\n\r\n";
    weft_http_req req;
    assert_int_equal(parse(s, &req), (int)strlen(s));
    assert_slice(req.method, "GET");
    assert_slice(req.target, "/a/b?x=1&y=2");
    assert_slice(req.path, "/a/b");
    assert_slice(req.query, "x=1&y=2");
    assert_int_equal(req.minor, 1);
    assert_int_equal(req.nheaders, 2);
    assert_slice(req.headers[1].name, "User-Agent");
    assert_slice(req.headers[1].value, "t");
    assert_slice(req.host, "h");
    assert_true(req.keep_alive);
    assert_false(req.has_content_length);
    assert_false(req.chunked);
    /* slices point into the input: zero-copy */
    assert_ptr_equal(req.method.base, s);
}

static void header_value_whitespace_trimmed(void **state)
{
    (void)state;
    weft_http_req req;
    assert_true(parse("GET / HTTP/1.1\r\nHost:   h \t\r\nX-A:\r\n\r\n", &req) > 0);
    assert_slice(req.host, "h");
    assert_int_equal(req.headers[1].value.len, 0);
}

static void keep_alive_rules(void **state)
{
    (void)state;
    weft_http_req req;
    assert_true(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", &req) > 0);
    assert_false(req.keep_alive);
    assert_true(parse("GET / HTTP/1.0\r\n\r\n", &req) > 0);
    assert_false(req.keep_alive);
    assert_int_equal(req.minor, 0);
    assert_true(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req) > 0);
    assert_true(req.keep_alive);
    assert_true(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n", &req) > 0);
    assert_false(req.keep_alive);
    /* a higher 1.x minor is served as 1.1 */
    assert_true(parse("GET / HTTP/1.7\r\nHost: h\r\n\r\n", &req) > 0);
    assert_int_equal(req.minor, 1);
}

static void bodies_and_expect(void **state)
{
    (void)state;
    weft_http_req req;
    assert_true(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n", &req) > 0);
    assert_true(req.has_content_length);
    assert_int_equal(req.content_length, 42);
    assert_true(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n", &req) > 0);
    assert_true(req.chunked);
    assert_true(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
                      "Expect: 100-Continue\r\n\r\n",
                      &req) > 0);
    assert_true(req.expect_continue);
}

static void target_forms(void **state)
{
    (void)state;
    weft_http_req req;
    assert_true(parse("GET http://example.com/p/q?z=9 HTTP/1.1\r\nHost: example.com\r\n\r\n",
                      &req) > 0);
    assert_slice(req.path, "/p/q");
    assert_slice(req.query, "z=9");
    assert_true(parse("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", &req) > 0);
    assert_slice(req.path, "/");
    assert_true(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &req) > 0);
    assert_slice(req.path, "*");
    assert_true(parse("GET /x? HTTP/1.1\r\nHost: h\r\n\r\n", &req) > 0);
    assert_slice(req.path, "/x");
    assert_int_equal(req.query.len, 0);
    assert_int_equal(parse_status("GET example.com/x HTTP/1.1\r\nHost: h\r\n\r\n"), WEFT_EBADMSG);
}

static void leading_empty_lines_skipped(void **state)
{
    (void)state;
    const char *s = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    weft_http_req req;
    assert_int_equal(parse(s, &req), (int)strlen(s));
    assert_slice(req.method, "GET");
}

/* Each malformed input and the status it must get. */
static const struct {
    const char *in;
    int status;
} bad[] = {
    {"GET\r\n\r\n", 400},
    {"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400},
    {"GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400},
    {"GET / HTTP/11\r\nHost: h\r\n\r\n", 400},
    {"GET / http/1.1\r\nHost: h\r\n\r\n", 400},
    {"GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"GET / HTTP/1.1\nHost: h\r\n\r\n", 400},            /* bare LF */
    {"GET / HTTP/1.1\r\nHost: h\n\n", 400},              /* bare LFs end no head */
    {"GET / HTTP/1.1\rHost: h\r\n\r\n", 400},            /* bare CR */
    {"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400},    /* bare CR in field */
    {"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: h\r\nName : v\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: h\r\n(x): v\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n", 400}, /* obs-fold */
    {"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tfolded\r\n\r\n", 400},
    {"GET / HTTP/1.1\r\n\r\n", 400}, /* no Host in 1.1 */
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
    {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
    {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9000000\r\n\r\n", 413},
    {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400}, /* not chunked last */
    {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
    {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
     "Transfer-Encoding: chunked\r\n\r\n",
     400}, /* chunked twice */
    {"GET / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n", 417},
    {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
    {"GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505},
    {"GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505},
};

static void every_error_rule(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        weft_http_req req;
        int r = parse(bad[i].in, &req);
        /* a WEFT_E* code, and the status weft answers it with */
        if (r >= 0 || r == WEFT_EAGAIN || weft_http_status_of(r) != bad[i].status)
            fail_msg("case %zu: got %d (%s), want status %d for %s", i, r, weft_err_name(r),
                     bad[i].status, bad[i].in);
        assert_non_null(req.error);
    }
}

static char *repeat(const char *prefix, char ch, size_t n, const char *suffix)
{
    size_t p = strlen(prefix), s = strlen(suffix);
    char *out = malloc(p + n + s + 1);
    memcpy(out, prefix, p);
    memset(out + p, ch, n);
    memcpy(out + p + n, suffix, s + 1);
    return out;
}

static void size_limits(void **state)
{
    (void)state;
    /* request line: 8 KiB is fine, longer is 414 - even before its end arrives */
    char *ok = repeat("GET /", 'a', 8000, " HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_true(parse_status(ok) > 0);
    free(ok);
    char *longline = repeat("GET /", 'a', 8200, " HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(parse_status(longline), WEFT_EURITOOLONG);
    free(longline);
    char *partial = repeat("GET /", 'a', 9000, "");
    assert_int_equal(parse_status(partial), WEFT_EURITOOLONG);
    free(partial);

    /* header block over 32 KiB: 431, also while incomplete */
    char *big = repeat("GET / HTTP/1.1\r\nHost: h\r\nX: ", 'v', 33000, "\r\n\r\n");
    assert_int_equal(parse_status(big), WEFT_EFIELDS);
    big[strlen(big) - 4] = '\0';
    assert_int_equal(parse_status(big), WEFT_EFIELDS);
    free(big);

    /* 100 fields fine, 101 is 431 */
    char buf[4096];
    for (int n = 100; n <= 101; n++) {
        size_t len = (size_t)snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: h\r\n");
        for (int i = 1; i < n; i++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "X%d: v\r\n", i);
        snprintf(buf + len, sizeof buf - len, "\r\n");
        weft_http_req req;
        int r = parse(buf, &req);
        if (n == 100)
            assert_true(r > 0);
        else
            assert_int_equal(r, WEFT_EFIELDS);
    }
}

static void custom_limits(void **state)
{
    (void)state;
    weft_http_limits lim = {64, 64, 2, 10};
    weft_http_req req;
    const char *s = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n";
    assert_int_equal(weft_http_parse_request(s, strlen(s), &req, hdrs, 128, &lim), WEFT_ETOOBIG);
    s = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n"; /* exactly at it */
    assert_true(weft_http_parse_request(s, strlen(s), &req, hdrs, 128, &lim) > 0);
    s = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
    assert_int_equal(weft_http_parse_request(s, strlen(s), &req, hdrs, 128, &lim), WEFT_EFIELDS);
}

static const char *valid[] = {
    "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    "POST /echo HTTP/1.1\r\nHost: localhost:8080\r\nContent-Length: 5\r\n"
    "Content-Type: text/plain\r\n\r\n",
    "GET /api/gizmos?delay=500 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept-Encoding: gzip, deflate\r\n"
    "Cookie: a=b; c=d\r\n\r\n",
    "GET / HTTP/1.0\r\n\r\n",
};

/* Every prefix of a valid head is incomplete, never an error, and the
 * whole parses to the same result: the property that makes re-parsing on
 * each read correct however TCP splits the bytes. */
static void every_split_point(void **state)
{
    (void)state;
    for (size_t v = 0; v < sizeof valid / sizeof valid[0]; v++) {
        const char *s = valid[v];
        size_t len = strlen(s);
        weft_http_limits lim = WEFT_HTTP_LIMITS_DEFAULT;
        for (size_t k = 0; k < len; k++) {
            weft_http_req req;
            char *copy = malloc(k + 1); /* exact size: ASan catches over-reads */
            memcpy(copy, s, k);
            int r = weft_http_parse_request(copy, k, &req, hdrs, 128, &lim);
            free(copy);
            if (r != WEFT_EAGAIN)
                fail_msg("valid[%zu] prefix %zu: got %d", v, k, r);
        }
        weft_http_req req;
        assert_int_equal(weft_http_parse_request(s, len, &req, hdrs, 128, &lim), (int)len);
    }
}


/* Hosts and targets, RFC 3986 rule by rule: the Host value or target,
 * and whether it is accepted. */
static const struct {
    const char *host; /* a Host field value */
    int ok;
} hosts[] = {
    {"h", 1}, {"example.com", 1}, {"example.com.", 1}, {"a-b_c~d.e", 1}, {"h:8080", 1},
    {"h:", 1}, /* an empty port is allowed by the grammar */
    {"127.0.0.1", 1}, {"127.0.0.1:80", 1}, {"[::1]", 1}, {"[::1]:8080", 1}, {"[::]", 1},
    {"[2001:db8::1]", 1}, {"[1:2:3:4:5:6:7:8]", 1}, {"[::ffff:10.0.0.1]", 1},
    {"[1:2:3:4:5:6:1.2.3.4]", 1}, {"[v1.x:y]", 1}, {"%41bc", 1}, {"a,b", 1},
    {"xn--bcher-kva.example", 1}, {"1.example", 1}, {"123abc", 1},
    {"user@h", 0}, {"h/path", 0}, {"a, b", 0}, {"a b", 0}, {"abc\\foo", 0}, {"::1", 0},
    {"localhost:80 x", 0}, {"h:80x", 0}, {":80", 0}, {":80:80", 0}, {"::80", 0},
    {"[4712::abcd::]", 0}, {"[::1", 0}, {"[::1]x", 0}, {"[1:2:3:4:5:6:7:8:9]", 0},
    {"[1:2:3:4:5:6:7]", 0}, {"[12345::]", 0}, {"[::1%25eth0]", 0}, {"[1.2.3.4]", 0},
    {"h:99999", 0}, {"h:-1", 0}, {"%4", 0}, {"%zz", 0}, {"h#x", 0}, {"h?x", 0},
    /* numbers a resolver reads as IPv4 must be dotted-quad decimal */
    {"017700000001", 0}, {"0x7f.1", 0}, {"0x7f000001", 0}, {"127.1", 0}, {"127.0.0.01", 0},
    {"256.0.0.1", 0}, {"1.2.3.4.5", 0}, {"example.0x10", 0}, {"a.123", 0},
};

static const struct {
    const char *target;
    int ok;
} targets[] = {
    {"/", 1}, {"/a/b/c", 1}, {"/a?b=c&d=e", 1}, {"/a?x=/y?z", 1}, {"/%7Euser", 1},
    {"/caf%C3%A9", 1}, {"/%F0%9F%98%80", 1}, {"/a:b@c!$&'()*+,;=-._~", 1}, {"/?", 1},
    {"/x?%FF", 1}, /* a query's bytes are the application's */
    {"http://h/", 1}, {"http://h", 1}, {"http://h?q=1", 1}, {"https://h:8443/p", 1},
    {"http://[::1]:80/p", 1},
    {"/x#frag", 0}, {"/\xc3\xa9", 0}, {"/a b", 0}, {"/a\"b", 0}, {"/a<b", 0}, {"/a{b}", 0},
    {"/a|b", 0}, {"/a\\b", 0}, {"/a^b", 0}, {"/a`b", 0}, {"/%", 0}, {"/%2", 0}, {"/%zz", 0},
    {"/%C0%AF", 0}, {"/%E0%80%AF", 0}, {"/%ED%A0%80", 0}, {"/%F4%90%80%80", 0}, {"/%00", 0},
    {"/%C3", 0}, {"/%C3/", 0}, {"/?a#b", 0},
    {"http://localhost:80x/", 0}, {"http://:80:80/", 0}, {"http://::80/", 0},
    {"http://foo@localhost/", 0}, {"http://[4712::abcd::]/", 0}, {"http:///p", 0},
    {"http://h/a#b", 0}, {"http://h#b", 0}, {"1http://h/", 0}, {"h:80", 0}, {"*x", 0},
};

static void hosts_by_rfc3986(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        char in[256];
        snprintf(in, sizeof in, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", hosts[i].host);
        weft_http_req req;
        int r = parse(in, &req);
        if ((r > 0) != hosts[i].ok || (!hosts[i].ok && r != WEFT_EBADMSG))
            fail_msg("Host: %s: got %d, want %s", hosts[i].host, r,
                     hosts[i].ok ? "accepted" : "400");
        if (r > 0)
            assert_slice(req.host, hosts[i].host);
    }
    /* empty Host: an error with origin-form; absolute-form's authority rules */
    assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost:\r\n\r\n"), WEFT_EBADMSG);
    weft_http_req req;
    assert_true(parse("GET http://a.example/x HTTP/1.1\r\nHost:\r\n\r\n", &req) > 0);
    assert_slice(req.host, "a.example");
    assert_true(parse("GET http://a.example:81/x HTTP/1.1\r\nHost: b.example\r\n\r\n", &req) > 0);
    assert_slice(req.host, "a.example:81"); /* RFC 9112 3.2.2: the target's authority wins */
    assert_true(req.absolute_form);
}

static void targets_by_rfc3986(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        char in[256];
        snprintf(in, sizeof in, "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", targets[i].target);
        int r = parse_status(in);
        if ((r > 0) != targets[i].ok || (!targets[i].ok && r != WEFT_EBADMSG))
            fail_msg("target %s: got %d, want %s", targets[i].target, r,
                     targets[i].ok ? "accepted" : "400");
    }
    /* '*' is for OPTIONS alone; CONNECT (a proxy's method) is 501 */
    assert_true(parse_status("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n") > 0);
    assert_int_equal(parse_status("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), WEFT_EBADMSG);
    assert_int_equal(parse_status("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n"), WEFT_ENOTIMPL);
}

/* Transfer-Encoding, every spelling that matters: accepted only when it
 * says chunked, once, last; unknown codings before it are 501. */
static void transfer_encoding_spellings(void **state)
{
    (void)state;
    static const struct {
        const char *te;
        int status; /* 0: accepted as chunked */
    } cases[] = {
        {"chunked", 0}, {"Chunked", 0}, {"CHUNKED", 0}, {"chunked ", 0}, {" chunked", 0},
        {", chunked", 0}, {"chunked,", 0}, {"chunked, ,", 0},
        {"gzip, chunked", 501}, {"deflate,chunked", 501}, {"gzip;q=1, chunked", 501},
        {"identity, chunked", 501},
        {"gzip", 400}, {"identity", 400}, {"chunked, gzip", 400}, {"chunked, chunked", 400},
        {"chunked;x=1", 400}, {"chunked;", 400}, {"chunked x", 400}, {"\"chunked\"", 400},
        {"chunk", 400}, {"chunkedx", 400}, {"", 400}, {",", 400}, {"chunked;a=\"b", 400},
        {"gzip;a, chunked", 400}, {"x;=1, chunked", 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char in[256];
        snprintf(in, sizeof in, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: %s\r\n\r\n",
                 cases[i].te);
        weft_http_req req;
        int r = parse(in, &req);
        int got = r > 0 ? 0 : weft_http_status_of(r);
        if (got != cases[i].status || (r > 0 && !req.chunked))
            fail_msg("Transfer-Encoding: '%s': got %d, want %d", cases[i].te, got,
                     cases[i].status);
    }
}

/* weft_http_scan_feed: feeding a head a byte at a time and parsing only
 * when it says so ends in the same answer as parsing the whole, for valid
 * heads and for every error rule, with a parse per line, not per byte. */
static void scan_skips_nothing_that_matters(void **state)
{
    (void)state;
    weft_http_limits lim = WEFT_HTTP_LIMITS_DEFAULT;
    lim.max_request_line = 64;
    lim.max_header_bytes = 128;
    const char *extra[] = {
        "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r",
        /* past a limit with no line end yet: refused as soon as it passes */
        "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "GET / HTTP/1.1\r\nHost: h\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    size_t nbad = sizeof bad / sizeof bad[0], nvalid = sizeof valid / sizeof valid[0];
    size_t nextra = sizeof extra / sizeof extra[0];
    for (size_t i = 0; i < nbad + nvalid + nextra; i++) {
        const char *s = i < nbad ? bad[i].in : i < nbad + nvalid ? valid[i - nbad] : extra[i - nbad - nvalid];
        size_t len = strlen(s);
        weft_http_req req;
        int whole = weft_http_parse_request(s, len, &req, hdrs, 128, &lim);
        weft_http_scan scan = {0};
        int r = WEFT_EAGAIN, parses = 0;
        size_t k;
        for (k = 1; k <= len && r == WEFT_EAGAIN; k++)
            if (weft_http_scan_feed(&scan, s, k, &lim)) {
                parses++;
                r = weft_http_parse_request(s, k, &req, hdrs, 128, &lim);
            }
        if (r != whole && !(whole > 0 && r == WEFT_EAGAIN))
            fail_msg("case %zu: fed %d, whole %d: %s", i, r, whole, s);
        if (whole > 0)
            assert_int_equal(r, whole);
        int lines = 1;
        for (const char *p = s; *p; p++)
            lines += *p == '\n' || *p == '\r';
        if (parses > lines + 2)
            fail_msg("case %zu: %d parses for %d line ends", i, parses, lines);
    }
}

static void pipelined_batch(void **state)
{
    (void)state;
    char batch[4096];
    size_t len = 0;
    for (int i = 0; i < 10; i++)
        len += (size_t)snprintf(batch + len, sizeof batch - len,
                                "GET /r%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
    weft_http_limits lim = WEFT_HTTP_LIMITS_DEFAULT;
    size_t off = 0;
    for (int i = 0; i < 10; i++) {
        weft_http_req req;
        int r = weft_http_parse_request(batch + off, len - off, &req, hdrs, 128, &lim);
        assert_true(r > 0);
        char want[8];
        snprintf(want, sizeof want, "/r%d", i);
        assert_slice(req.path, want);
        off += (size_t)r;
    }
    assert_int_equal(off, len);
}

static void list_has(void **state)
{
    (void)state;
    assert_true(weft_http_list_has(WEFT_STRLIT("a, Keep-Alive ,b"), WEFT_STRLIT("keep-alive")));
    assert_false(weft_http_list_has(WEFT_STRLIT("keep-alivex"), WEFT_STRLIT("keep-alive")));
    assert_false(weft_http_list_has(WEFT_STRLIT(""), WEFT_STRLIT("close")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simple_get),
        cmocka_unit_test(header_value_whitespace_trimmed),
        cmocka_unit_test(keep_alive_rules),
        cmocka_unit_test(bodies_and_expect),
        cmocka_unit_test(target_forms),
        cmocka_unit_test(leading_empty_lines_skipped),
        cmocka_unit_test(every_error_rule),
        cmocka_unit_test(size_limits),
        cmocka_unit_test(custom_limits),
        cmocka_unit_test(every_split_point),
        cmocka_unit_test(pipelined_batch),
        cmocka_unit_test(hosts_by_rfc3986),
        cmocka_unit_test(targets_by_rfc3986),
        cmocka_unit_test(transfer_encoding_spellings),
        cmocka_unit_test(scan_skips_nothing_that_matters),
        cmocka_unit_test(list_has),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
