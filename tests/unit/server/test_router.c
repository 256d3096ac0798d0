/* test_router.c - route templates, parameters, 404/405, HEAD, query and
 * percent-decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../../src/server/server.h"

static void dummy(weft_ctx *c)
{
    (void)c;
}

static weft__rt *routes;

static void add(const char *pattern)
{
    weft__rt *r = calloc(1, sizeof *r);
    assert_int_equal(weft__route_parse(r, pattern), 0);
    r->fn = dummy;
    weft__rt **t = &routes;
    while (*t)
        t = &(*t)->next;
    *t = r;
}

static int setup(void **state)
{
    (void)state;
    add("GET /plaintext");
    add("GET /api/{kind}/{id}");
    add("GET /api/{kind}");
    add("POST /api/{kind}");
    add("GET /static/{path*}");
    add("GET /");
    add("DELETE /dir/");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    while (routes) {
        weft__rt *n = routes->next;
        weft__route_free(routes);
        routes = n;
    }
    return 0;
}

static int match(const char *method, const char *path, weft_route_match *m, char *allow)
{
    return weft__route_match(routes, weft_str_cstr(method), weft_str_cstr(path), m, allow, 128);
}

static void literal_and_params(void **state)
{
    (void)state;
    weft_route_match m;
    char allow[128];
    assert_int_equal(match("GET", "/plaintext", &m, allow), 0);
    assert_string_equal(m.route->pattern, "/plaintext");
    assert_int_equal(match("GET", "/api/gizmos/42", &m, allow), 0);
    assert_string_equal(m.route->pattern, "/api/{kind}/{id}");
    assert_int_equal(m.nparams, 2);
    assert_memory_equal(m.names[0].base, "kind", 4);
    assert_memory_equal(m.values[0].base, "gizmos", 6);
    assert_memory_equal(m.values[1].base, "42", 2);
    assert_int_equal(match("GET", "/api/gizmos", &m, allow), 0);
    assert_string_equal(m.route->pattern, "/api/{kind}");
    assert_int_equal(match("GET", "/", &m, allow), 0);
    assert_int_equal(match("DELETE", "/dir/", &m, allow), 0);
}

static void rest_parameter(void **state)
{
    (void)state;
    weft_route_match m;
    char allow[128];
    assert_int_equal(match("GET", "/static/css/site.css", &m, allow), 0);
    assert_int_equal(m.nparams, 1);
    assert_int_equal(m.values[0].len, strlen("css/site.css"));
}

static void not_found(void **state)
{
    (void)state;
    weft_route_match m;
    char allow[128];
    assert_int_equal(match("GET", "/plaintext/x", &m, allow), WEFT_ENOTFOUND);
    assert_int_equal(match("GET", "/api", &m, allow), WEFT_ENOTFOUND);
    assert_int_equal(match("GET", "/api//", &m, allow), WEFT_ENOTFOUND); /* empty param */
    assert_int_equal(match("GET", "/nope", &m, allow), WEFT_ENOTFOUND);
    assert_int_equal(match("GET", "/dir", &m, allow), WEFT_ENOTFOUND);
}

static void method_not_allowed(void **state)
{
    (void)state;
    weft_route_match m;
    char allow[128];
    assert_int_equal(match("PUT", "/api/gizmos", &m, allow), WEFT_EMETHOD);
    assert_string_equal(allow, "GET, HEAD, POST");
    assert_int_equal(match("POST", "/plaintext", &m, allow), WEFT_EMETHOD);
    assert_string_equal(allow, "GET, HEAD");
}

static void head_uses_get(void **state)
{
    (void)state;
    weft_route_match m;
    char allow[128];
    assert_int_equal(match("HEAD", "/plaintext", &m, allow), 0);
    assert_string_equal(m.route->method, "GET");
}

static void bad_patterns(void **state)
{
    (void)state;
    const char *badp[] = {"GET", "/x", "GET x", "GET /{a*}/b"};
    for (size_t i = 0; i < 4; i++) {
        weft__rt *r = calloc(1, sizeof *r);
        assert_int_not_equal(weft__route_parse(r, badp[i]), 0);
        weft__route_free(r);
    }
}

static void percent_decoding(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(weft__pct_decode(out, WEFT_STRLIT("a%20b+c"), 1), 5);
    assert_string_equal(out, "a b c");
    assert_int_equal(weft__pct_decode(out, WEFT_STRLIT("a+b"), 0), 3);
    assert_string_equal(out, "a+b");
    assert_int_equal(weft__pct_decode(out, WEFT_STRLIT("%zz"), 1), WEFT_EBADMSG);
    assert_int_equal(weft__pct_decode(out, WEFT_STRLIT("%4"), 1), WEFT_EBADMSG);
    assert_int_equal(weft__pct_decode(out, WEFT_STRLIT("%"), 1), WEFT_EBADMSG);
}

static void query_lookup(void **state)
{
    (void)state;
    weft_arena a;
    weft_arena_init(&a, 512);
    weft_str q = WEFT_STRLIT("ms=500&name=J%C3%B6rg+X&flag&a%62=2&bad=%zz");
    assert_string_equal(weft__query_get(&a, q, "ms"), "500");
    assert_string_equal(weft__query_get(&a, q, "name"), "J\xc3\xb6rg X");
    assert_string_equal(weft__query_get(&a, q, "flag"), "");
    assert_string_equal(weft__query_get(&a, q, "ab"), "2");
    assert_null(weft__query_get(&a, q, "bad"));
    assert_null(weft__query_get(&a, q, "missing"));
    assert_null(weft__query_get(&a, WEFT_STR_NULL, "ms"));
    weft_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literal_and_params),
        cmocka_unit_test(rest_parameter),
        cmocka_unit_test(not_found),
        cmocka_unit_test(method_not_allowed),
        cmocka_unit_test(head_uses_get),
        cmocka_unit_test(bad_patterns),
        cmocka_unit_test(percent_decoding),
        cmocka_unit_test(query_lookup),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
