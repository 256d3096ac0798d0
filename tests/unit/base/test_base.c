/* test_base.c - errors table, slices, arena, buffers, clock, date. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "weft/base.h"

static void errors_have_names_and_messages(void **state)
{
    (void)state;
    assert_string_equal(weft_err_name(WEFT_ETIMEDOUT), "WEFT_ETIMEDOUT");
    assert_string_equal(weft_strerror(WEFT_ECANCELED), "operation canceled");
    assert_string_equal(weft_strerror(0), "success");
    assert_string_equal(weft_strerror(-1), "unknown error");
    assert_string_equal(weft_err_name(12345), "WEFT_EUNKNOWN");
    /* codes are distinct and negative */
    assert_true(WEFT_EINVAL < 0 && WEFT_EHTTP < 0 && WEFT_EINVAL != WEFT_EHTTP);
}

static void slices(void **state)
{
    (void)state;
    assert_true(weft_str_ieq(WEFT_STRLIT("Content-Length"), WEFT_STRLIT("content-length")));
    assert_false(weft_str_ieq(WEFT_STRLIT("a"), WEFT_STRLIT("ab")));
    uint64_t v;
    assert_int_equal(weft_str_to_u64(WEFT_STRLIT("18446744073709551615"), UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(weft_str_to_u64(WEFT_STRLIT("18446744073709551616"), UINT64_MAX, &v),
                     WEFT_EINVAL);
    assert_int_equal(weft_str_to_u64(WEFT_STRLIT("12a"), UINT64_MAX, &v), WEFT_EINVAL);
    assert_int_equal(weft_str_to_u64(WEFT_STRLIT(""), UINT64_MAX, &v), WEFT_EINVAL);
    assert_int_equal(weft_str_to_u64(WEFT_STRLIT("101"), 100, &v), WEFT_EINVAL);
    char dec[20];
    assert_int_equal(weft_u64_to_dec(dec, 0), 1);
    assert_memory_equal(dec, "0", 1);
    assert_int_equal(weft_u64_to_dec(dec, 1234567890), 10);
    assert_memory_equal(dec, "1234567890", 10);
    assert_int_equal(weft_u64_to_dec(dec, UINT64_MAX), 20);
    assert_memory_equal(dec, "18446744073709551615", 20);
}

static void arena(void **state)
{
    (void)state;
    weft_arena a;
    weft_arena_init(&a, 256);
    char *p = weft_arena_alloc(&a, 10);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    /* larger than a chunk: gets its own */
    char *big = weft_arena_alloc(&a, 10000);
    assert_non_null(big);
    memset(big, 1, 10000);
    char *s = weft_arena_printf(&a, "%d-%s", 42, "x");
    assert_string_equal(s, "42-x");
    assert_string_equal(weft_arena_strndup(&a, "hello", 3), "hel");
    weft_arena_reset(&a);
    /* after reset, the first chunk is reused */
    char *q = weft_arena_alloc(&a, 10);
    assert_non_null(q);
    weft_arena_free(&a);
}

/* weft_arena_printf formats in place when the text fits the current
 * chunk and again in a new one when it does not; the result must not
 * depend on which. */
static void arena_printf_in_place_or_not(void **state)
{
    (void)state;
    weft_arena a;
    weft_arena_init(&a, 64);
    char *first = weft_arena_printf(&a, "%s", "fresh arena"); /* no chunk yet */
    assert_string_equal(first, "fresh arena");
    char long_text[200];
    memset(long_text, 'z', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    for (int fill = 0; fill < 70; fill++) {
        weft_arena_reset(&a);
        /* leave fill bytes used, so the formatted text meets every boundary */
        if (fill)
            assert_non_null(weft_arena_alloc(&a, (size_t)fill));
        char *s = weft_arena_printf(&a, "%d:%.*s", fill, fill % 40, long_text);
        char want[64];
        snprintf(want, sizeof want, "%d:%.*s", fill, fill % 40, long_text);
        assert_string_equal(s, want);
        /* what comes next does not overlap it */
        char *next = weft_arena_alloc(&a, 16);
        memset(next, 'n', 16);
        assert_string_equal(s, want);
    }
    char *big = weft_arena_printf(&a, "%s", long_text);
    assert_int_equal(strlen(big), sizeof long_text - 1);
    weft_arena_free(&a);
}

static void buffers(void **state)
{
    (void)state;
    weft_buf b = {0};
    for (int i = 0; i < 1000; i++)
        assert_int_equal(weft_buf_printf(&b, "%04d", i), 0);
    assert_int_equal(b.len, 4000);
    assert_memory_equal(b.data + 3996, "0999", 4);
    assert_int_equal(weft_buf_append(&b, "xy", 2), 0);
    assert_int_equal(b.len, 4002);
    weft_buf_free(&b);
}

static void clock_and_date(void **state)
{
    (void)state;
    uint64_t a = weft_now_ns(), b = weft_now_ns();
    assert_true(b >= a);
    char d[30];
    weft_http_date(d);
    assert_int_equal(strlen(d), 29);
    assert_memory_equal(d + 25, " GMT", 4);
    assert_int_equal(d[3], ',');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errors_have_names_and_messages),
        cmocka_unit_test(slices),
        cmocka_unit_test(arena),
        cmocka_unit_test(arena_printf_in_place_or_not),
        cmocka_unit_test(buffers),
        cmocka_unit_test(clock_and_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
