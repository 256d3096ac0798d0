/* test_json.c - the JSON pull reader: tokens, validation, decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "weft/json.h"

/* Reads a whole document; returns 0 when valid, else -1 (and the error). */
static int read_all(const char *doc, size_t len, const char **error, size_t *offset)
{
    weft_json_reader r;
    weft_json_init(&r, doc, len);
    weft_json_type t;
    while ((t = weft_json_next(&r)) > WEFT_JSON_ERROR)
        ;
    /* Both outcomes are sticky. */
    assert_int_equal(weft_json_next(&r), t);
    if (error)
        *error = r.error;
    if (offset)
        *offset = r.error_offset;
    return t == WEFT_JSON_END ? 0 : -1;
}

static int valid(const char *doc)
{
    return read_all(doc, strlen(doc), NULL, NULL) == 0;
}

static void accepts_valid_documents(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "[]", "{}", " [ ] ", "\t\r\n{}\n", "0", "-0", "42", "-1.5E-3", "1e10", "2E+2",
        "\"top\"", "true", "false", "null", "[1,-0,0.5,1e10,\"a\",true,false,null]",
        "{\"a\":{\"b\":[[],{}]},\"c\":\"\"}", "[\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\\b\\f\\r\\t\"]",
        "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]", "{\"\":0}", "[[[[[[[[1]]]]]]]]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        if (!valid(docs[i]))
            fail_msg("rejected valid JSON: %s", docs[i]);
    }
}

static void rejects_invalid_documents(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "", " ", "[", "]", "[1,]", "[,1]", "[1 2]", "{\"a\"}", "{\"a\" 1}", "{\"a\":1,}",
        "{1:2}", "{'a':1}", "01", "-01", "1.", ".5", "-", "1e", "1e+", "+1", "0x10", "tru",
        "nul", "True", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\ud800\"",
        "\"\\ud800\\u0041\"", "\"\\udc00\"", "\"a\x01z\"", "\"\xc0\x80\"", "\"\xc3\"",
        "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xff\"", "\"\x80\"", "[1] x", "[1]]",
        "{\"a\":1}}", "[1][2]", "\xef\xbb\xbf[]", "[NaN]", "[Infinity]", "{\"a\":}",
        "[\"a\",]", "{,}", "[\"\\\"]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        const char *err = NULL;
        if (read_all(docs[i], strlen(docs[i]), &err, NULL) == 0)
            fail_msg("accepted invalid JSON: %s", docs[i]);
        assert_non_null(err);
    }
    /* A NUL byte inside a string is a control character. */
    assert_int_equal(read_all("[\"a\0b\"]", 7, NULL, NULL), -1);
}

static void nesting_is_bounded(void **state)
{
    (void)state;
    char doc[2 * (WEFT_JSON_MAX_DEPTH + 1) + 1];
    for (int depth = WEFT_JSON_MAX_DEPTH; depth <= WEFT_JSON_MAX_DEPTH + 1; depth++) {
        int n = 0;
        for (int i = 0; i < depth; i++)
            doc[n++] = '[';
        for (int i = 0; i < depth; i++)
            doc[n++] = ']';
        const char *err = NULL;
        int rc = read_all(doc, (size_t)n, &err, NULL);
        if (depth <= WEFT_JSON_MAX_DEPTH)
            assert_int_equal(rc, 0);
        else
            assert_string_equal(err, "nesting too deep");
    }
}

static void errors_say_where(void **state)
{
    (void)state;
    const char *err;
    size_t at;
    assert_int_equal(read_all("[1, 2,, 3]", 10, &err, &at), -1);
    assert_int_equal(at, 6);
    assert_string_equal(err, "expected a value");
    assert_int_equal(read_all("{\"a\":1 \"b\":2}", 13, &err, &at), -1);
    assert_int_equal(at, 7);
    assert_string_equal(err, "expected ',' or '}'");
    assert_int_equal(read_all("[\"ok\", \"bad\xff\"]", 14, &err, &at), -1);
    assert_int_equal(at, 11);
    assert_string_equal(err, "invalid UTF-8 in a string");
}

static void tokens_in_order(void **state)
{
    (void)state;
    const char *doc = "{\"id\": 7, \"name\": \"Flux\", \"tags\": [true, null], \"p\": -4.5}";
    static const weft_json_type want[] = {
        WEFT_JSON_OBJECT, WEFT_JSON_KEY,  WEFT_JSON_NUMBER, WEFT_JSON_KEY,       WEFT_JSON_STRING,
        WEFT_JSON_KEY,    WEFT_JSON_ARRAY, WEFT_JSON_TRUE,  WEFT_JSON_NULL,      WEFT_JSON_ARRAY_END,
        WEFT_JSON_KEY,    WEFT_JSON_NUMBER, WEFT_JSON_OBJECT_END, WEFT_JSON_END,
    };
    static const char *const text[] = {NULL, "id", "7", "name", "Flux", "tags", NULL, NULL, NULL,
                                       NULL, "p",  "-4.5", NULL, NULL};
    weft_json_reader r;
    weft_json_init(&r, doc, strlen(doc));
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        assert_int_equal(weft_json_next(&r), want[i]);
        if (text[i]) {
            assert_int_equal(r.text.len, strlen(text[i]));
            assert_memory_equal(r.text.base, text[i], r.text.len);
        }
    }
    assert_null(r.error);
}

static void strings_decode(void **state)
{
    (void)state;
    const char *doc = "\"a\\\"b\\\\c\\/d\\n\\u00e9\\u20ac\\ud83d\\ude00\\u0000z\"";
    weft_json_reader r;
    weft_json_init(&r, doc, strlen(doc));
    assert_int_equal(weft_json_next(&r), WEFT_JSON_STRING);
    assert_true(r.escaped);
    char out[64];
    const char want[] = "a\"b\\c/d\n\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z";
    size_t n = weft_json_string(&r, out, sizeof out);
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(out, want, n);
    assert_int_equal(out[n], '\0');
    /* Too small a buffer: cut short, terminated, and the needed length. */
    char tiny[4];
    assert_int_equal(weft_json_string(&r, tiny, sizeof tiny), sizeof want - 1);
    assert_string_equal(tiny, "a\"b");
    /* Unescaped strings are copied as they are. */
    weft_json_init(&r, "\"plain\"", 7);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_STRING);
    assert_false(r.escaped);
    assert_int_equal(weft_json_string(&r, out, sizeof out), 5);
    assert_string_equal(out, "plain");
}

static void numbers_convert(void **state)
{
    (void)state;
    const char *doc = "[9223372036854775807,-9223372036854775808,9223372036854775808,1.5,"
                      "2e3,-0.25,1e400]";
    weft_json_reader r;
    weft_json_init(&r, doc, strlen(doc));
    assert_int_equal(weft_json_next(&r), WEFT_JSON_ARRAY);
    int64_t i;
    double d;
    assert_int_equal(weft_json_next(&r), WEFT_JSON_NUMBER);
    assert_int_equal(weft_json_int64(&r, &i), 0);
    assert_true(i == INT64_MAX);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_NUMBER);
    assert_int_equal(weft_json_int64(&r, &i), 0);
    assert_true(i == INT64_MIN);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_NUMBER);
    assert_int_equal(weft_json_int64(&r, &i), WEFT_ETOOBIG);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_NUMBER);
    assert_int_equal(weft_json_int64(&r, &i), WEFT_EINVAL);
    assert_int_equal(weft_json_double(&r, &d), 0);
    assert_true(d == 1.5);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_NUMBER);
    assert_int_equal(weft_json_double(&r, &d), 0);
    assert_true(d == 2000.0);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_NUMBER);
    assert_int_equal(weft_json_double(&r, &d), 0);
    assert_true(d == -0.25);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_NUMBER);
    assert_int_equal(weft_json_double(&r, &d), WEFT_ETOOBIG);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_ARRAY_END);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_END);
}

/* weft_json_double takes a fast path for short decimals; its result must
 * be bit for bit what strtod gives, on the fast path and off it. */
static void doubles_match_strtod(void **state)
{
    (void)state;
    static const char *const fixed[] = {
        "0", "-0", "4.99", "42.49", "0.1", "0.3", "123456789012345", "1234567890123456",
        "9007199254740993", "1e22", "1e23", "1.7976931348623157e308", "4.9e-324", "2.5e-5",
        "-78.99e-3", "0.000000000000000000000001", "100000000000000000000000", "1E-22",
        "3.14159265358979", "0.30000000000000004",
    };
    char text[64];
    uint64_t seed = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 200000 + (int)(sizeof fixed / sizeof *fixed); i++) {
        if (i < (int)(sizeof fixed / sizeof *fixed)) {
            snprintf(text, sizeof text, "%s", fixed[i]);
        } else { /* random mantissas of 1-17 digits, decimal points, exponents */
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            unsigned long long m = (seed >> 11) % 100000000000000000ull;
            int nd = (int)(seed % 17) + 1, point = (int)((seed >> 5) % 19), e = (int)((seed >> 9) % 61) - 30;
            char mant[32];
            snprintf(mant, sizeof mant, "%0*llu", nd, m % 100000000000000000ull);
            mant[nd] = '\0';
            if (mant[0] == '0' && nd > 1)
                mant[0] = '1';
            if (point > 0 && point < nd)
                snprintf(text, sizeof text, "%s%.*s.%s%s", (seed & 1) ? "-" : "", point, mant,
                         mant + point, "");
            else
                snprintf(text, sizeof text, "%s%s", (seed & 1) ? "-" : "", mant);
            if (seed & 2)
                snprintf(text + strlen(text), sizeof text - strlen(text), "e%d", e);
        }
        weft_json_reader r;
        weft_json_init(&r, text, strlen(text));
        if (weft_json_next(&r) != WEFT_JSON_NUMBER)
            fail_msg("not a number: %s (%s)", text, r.error);
        double ours, theirs = strtod(text, NULL);
        assert_int_equal(weft_json_double(&r, &ours), 0);
        if (memcmp(&ours, &theirs, sizeof ours) != 0)
            fail_msg("%s: %.17g, strtod %.17g", text, ours, theirs);
    }
}

static void skip_passes_whole_values(void **state)
{
    (void)state;
    const char *doc = "[{\"a\":[1,{\"b\":[]}],\"c\":2},\"next\",[[]],7]";
    weft_json_reader r;
    weft_json_init(&r, doc, strlen(doc));
    assert_int_equal(weft_json_next(&r), WEFT_JSON_ARRAY);
    assert_int_equal(weft_json_skip(&r, weft_json_next(&r)), 0);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_STRING);
    assert_memory_equal(r.text.base, "next", 4);
    assert_int_equal(weft_json_skip(&r, weft_json_next(&r)), 0);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_NUMBER);
    assert_int_equal(weft_json_skip(&r, WEFT_JSON_NUMBER), 0);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_ARRAY_END);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_END);
    /* A truncated value cannot be skipped. */
    weft_json_init(&r, "[{\"a\":[1,2", 10);
    assert_int_equal(weft_json_next(&r), WEFT_JSON_ARRAY);
    assert_int_equal(weft_json_skip(&r, weft_json_next(&r)), WEFT_EBADMSG);
    assert_non_null(r.error);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_valid_documents), cmocka_unit_test(rejects_invalid_documents),
        cmocka_unit_test(nesting_is_bounded),      cmocka_unit_test(errors_say_where),
        cmocka_unit_test(tokens_in_order),         cmocka_unit_test(strings_decode),
        cmocka_unit_test(numbers_convert),         cmocka_unit_test(doubles_match_strtod),         cmocka_unit_test(skip_passes_whole_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
