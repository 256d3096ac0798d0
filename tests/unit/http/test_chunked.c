/* test_chunked.c - the in-place chunked decoder: valid bodies at every
 * split point, extensions, trailers, and each malformed case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "weft/http.h"

/* Feeds `raw` in pieces of `step` bytes the way the connection does: the
 * undecoded tail is kept right after the decoded body. Returns the decoder
 * result; *body receives the decoded bytes, *rest the bytes after it. */
static int feed(const char *raw, size_t step, uint64_t max_body, char *body, size_t *body_len,
                size_t *rest)
{
    size_t total = strlen(raw);
    char *buf = malloc(total + 1);
    size_t dec = 0, end = 0, fed = 0;
    weft_chunked d;
    memset(&d, 0, sizeof d);
    int r = 0;
    while (fed < total) {
        size_t n = total - fed < step ? total - fed : step;
        memcpy(buf + end, raw + fed, n);
        end += n;
        fed += n;
        size_t used, made;
        r = weft_chunked_decode(&d, buf + dec, buf + dec, end - dec, &used, &made, max_body, 1024);
        if (r < 0)
            break;
        size_t left = end - dec - used;
        memmove(buf + dec + made, buf + dec + used, left);
        dec += made;
        end = dec + left;
        if (r == 1)
            break;
    }
    memcpy(body, buf, dec);
    *body_len = dec;
    *rest = end - dec;
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
