/* test_chunked.c - the in-place chunked decoder: valid bodies at every
 * split point, extensions, trailers, and each malformed case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "weft/http.h"
#include "../../support/chunked_feed.h"

/* Feeds `raw` in pieces of `step` bytes the way the connection does: the
 * undecoded tail is kept right after the decoded body. Returns the decoder
 * result; *body receives the decoded bytes, *rest the bytes after it. */
/* The extension and trailer budget feed() passes (max_trailer). */
static size_t feed_meta = 1024;

static int feed(const char *raw, size_t step, uint64_t max_body, char *body, size_t *body_len,
                size_t *rest)
{
    size_t total = strlen(raw);
    char *buf = malloc(total + 1);
    int r = wt_chunked_feed(raw, total, step, max_body, feed_meta, buf, body_len, rest);
    memcpy(body, buf, *body_len);
    free(buf);
    return r;
}

static void decodes_at_every_step(void **state)
{
    (void)state;
    const char *raw = "5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: t\r\n\r\nNEXT";
    for (size_t step = 1; step <= strlen(raw); step++) {
        char body[64];
        size_t len, rest;
        assert_int_equal(feed(raw, step, 1000, body, &len, &rest), 1);
        assert_int_equal(len, 12);
        assert_memory_equal(body, "hello world!", 12);
        /* what follows the body (a pipelined request) is left intact */
        if (step >= strlen(raw))
            assert_int_equal(rest, 4);
    }
}

static void uppercase_hex_and_empty_body(void **state)
{
    (void)state;
    char body[64];
    size_t len, rest;
    assert_int_equal(feed("A\r\n0123456789\r\n0\r\n\r\n", 3, 100, body, &len, &rest), 1);
    assert_int_equal(len, 10);
    assert_int_equal(feed("0\r\n\r\n", 1, 100, body, &len, &rest), 1);
    assert_int_equal(len, 0);
}

static void incomplete_is_zero(void **state)
{
    (void)state;
    char body[64];
    size_t len, rest;
    assert_int_equal(feed("5\r\nhel", 100, 100, body, &len, &rest), 0);
    assert_int_equal(feed("5\r\nhello\r\n0\r\n", 100, 100, body, &len, &rest), 0);
}

static void malformed(void **state)
{
    (void)state;
    static const struct {
        const char *raw;
        int want;
    } cases[] = {
        {"\r\n", WEFT_EBADMSG},                         /* no size */
        {"g\r\nx\r\n0\r\n\r\n", WEFT_EBADMSG},          /* not hex */
        {"5x\r\nhello\r\n0\r\n\r\n", WEFT_EBADMSG},     /* junk after size */
        {"5\nhello\r\n0\r\n\r\n", WEFT_EBADMSG},        /* bare LF */
        {"5\r\nhelloXX0\r\n\r\n", WEFT_EBADMSG},        /* no CRLF after data */
        {"ffffffffffffffffff\r\n", WEFT_EBADMSG},       /* size overflow */
        {"1000\r\n", WEFT_ETOOBIG},                     /* past max_body */
        {"0\r\n: bad\r\n\r\n", WEFT_EBADMSG},           /* trailer without a name */
        {"0\r\nX: a\x01\r\n\r\n", WEFT_EBADMSG},        /* control char in trailer */
        {"5;\x01\r\nhello\r\n0\r\n\r\n", WEFT_EBADMSG}, /* control char in extension */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[64];
        size_t len, rest;
        int r = feed(cases[i].raw, 1, 100, body, &len, &rest);
        if (r != cases[i].want)
            fail_msg("case %zu: got %d want %d", i, r, cases[i].want);
    }
}

/* Chunk extensions by RFC 9112 section 7.1.1's grammar, fed a byte at a
 * time: each case is the size line of a 2-byte chunk. */
static void extensions_by_grammar(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        int ok;
    } cases[] = {
        {"2", 1}, {"2;a", 1}, {"2;a=b", 1}, {"2;a=\"b c\"", 1}, {"2;a=\"q\\\"d\"", 1},
        {"2 ;a", 1}, {"2\t;a", 1}, {"2; a", 1}, {"2;a =b", 1}, {"2;a= b", 1}, {"2;a;b=1;c", 1},
        {"2;a=\"\"", 1}, {"2;a=b ;c", 1}, {"2;a=\"x\" ;c", 1}, {"2;a=\"\xe9\"", 1},
        {"2 junk", 0}, {"2;", 0}, {"2 ", 0}, {"2\t", 0}, {"2;a=\"unterminated", 0},
        {"2;a=", 0}, {"2;=b", 0}, {"2;a b", 0}, {"2;a=b c", 0}, {"2;a=\"b\"c", 0},
        {"2;a ", 0}, {"2;a=b ", 0}, {"2;a=\"b\" ", 0}, {"2;a=(b)", 0}, {"2;a=\"\x01\"", 0},
        {"2;a=\"\\\x01\"", 0}, {"2;;a", 0}, {"2,a", 0}, {"2;a=b=c", 0}, {"2;a\x7f", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char raw[128];
        snprintf(raw, sizeof raw, "%s\r\nhi\r\n0\r\n\r\n", cases[i].line);
        char body[64];
        size_t len, rest;
        int r = feed(raw, 1, 100, body, &len, &rest);
        if (cases[i].ok ? r != 1 || len != 2 : r != WEFT_EBADMSG)
            fail_msg("size line '%s': got %d, want %s", cases[i].line, r,
                     cases[i].ok ? "accepted" : "400");
    }
}

/* Extensions are bounded per line (4 KiB) and, with trailers, per body. */
static void extension_limits(void **state)
{
    (void)state;
    char raw[8192];
    char body[64];
    size_t len, rest;
    int n = snprintf(raw, sizeof raw, "2;a=");
    memset(raw + n, 'x', 5000);
    strcpy(raw + n + 5000, "\r\nhi\r\n0\r\n\r\n");
    feed_meta = 1 << 20; /* the line limit, not the body's budget */
    assert_int_equal(feed(raw, 100, 100, body, &len, &rest), WEFT_EBADMSG);
    feed_meta = 1024;
    /* 30 chunks each with a 40-byte extension: past the 1 KiB budget */
    size_t off = 0;
    for (int i = 0; i < 30; i++)
        off += (size_t)snprintf(raw + off, sizeof raw - off,
                                "1;name=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\na\r\n");
    strcpy(raw + off, "0\r\n\r\n");
    assert_int_equal(feed(raw, 64, 100, body, &len, &rest), WEFT_EFIELDS);
}

static void sum_of_chunks_limited(void **state)
{
    (void)state;
    char body[64];
    size_t len, rest;
    /* each chunk fits, the sum does not */
    assert_int_equal(feed("6\r\naaaaaa\r\n6\r\nbbbbbb\r\n0\r\n\r\n", 4, 10, body, &len, &rest),
                     WEFT_ETOOBIG);
}

static void trailer_limit(void **state)
{
    (void)state;
    char raw[3000] = "0\r\nX: ";
    memset(raw + 6, 'a', 2000);
    strcpy(raw + 2006, "\r\n\r\n");
    char body[8];
    size_t len, rest;
    assert_int_equal(feed(raw, 50, 100, body, &len, &rest), WEFT_EFIELDS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_at_every_step),
        cmocka_unit_test(uppercase_hex_and_empty_body),
        cmocka_unit_test(incomplete_is_zero),
        cmocka_unit_test(malformed),
        cmocka_unit_test(sum_of_chunks_limited),
        cmocka_unit_test(trailer_limit),
        cmocka_unit_test(extensions_by_grammar),
        cmocka_unit_test(extension_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
