/* test_json_io.c - JSON in and out (weft/jansson.h) and the server's own
 * error answers as the client asks for them (problem+json or text), over
 * HTTP/1.1 against weft-hello's /json-echo and /greet/{name}. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt.h"

#define srv wt_hello /* wt_hello_setup starts it */

/* Sends raw; returns the status with the body parsed as JSON in *out
 * (NULL if it is not JSON) and its Content-Type in type. */
static int ask(const char *raw, json_t **out, char *type, size_t cap)
{
    wt_response r;
    int status = wt_request(srv.port, raw, &r);
    assert_true(status > 0);
    if (!wt_header(&r, "Content-Type", type, cap))
        type[0] = '\0';
    *out = json_loadb(r.body, r.body_len, 0, NULL);
    wt_response_free(&r);
    return status;
}

static void post(const char *content_type, const char *accept, const char *body, char *raw,
                 size_t cap)
{
    snprintf(raw, cap,
             "POST /json-echo HTTP/1.1\r\nHost: t\r\nContent-Type: %s\r\n%s%s%s"
             "Content-Length: %zu\r\n\r\n%s",
             content_type, accept ? "Accept: " : "", accept ? accept : "", accept ? "\r\n" : "",
             strlen(body), body);
}

static void body_in_and_out(void **state)
{
    (void)state;
    char raw[1024], type[128];
    json_t *j;
    post("application/json; charset=utf-8", NULL,
         "{\"name\":\"a\\\"b\",\"n\":[1,2.5,null]}", raw, sizeof raw);
    assert_int_equal(ask(raw, &j, type, sizeof type), 200);
    assert_string_equal(type, "application/json");
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "a\"b");
    assert_int_equal(json_array_size(json_object_get(json_object_get(j, "got"), "n")), 3);
    json_decref(j);
    /* a +json type is JSON too */
    post("application/merge-patch+json", NULL, "{}", raw, sizeof raw);
    assert_int_equal(ask(raw, &j, type, sizeof type), 200);
    json_decref(j);
}

/* A path parameter with a quote and a backslash comes back as valid JSON. */
static void strings_are_escaped(void **state)
{
    (void)state;
    char type[128];
    json_t *j;
    assert_int_equal(ask("GET /greet/a%22b%5Cc HTTP/1.1\r\nHost: t\r\n\r\n", &j, type,
                         sizeof type),
                     200);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "hello")), "a\"b\\c");
    json_decref(j);
}

/* Another Content-Type: 415. Bad JSON: 400 naming line and column. As
 * problem+json to a client that accepts JSON, as text to others. */
static void bad_bodies_are_refused(void **state)
{
    (void)state;
    char raw[1024], type[128];
    json_t *j;
    post("text/plain", "application/json", "{}", raw, sizeof raw);
    assert_int_equal(ask(raw, &j, type, sizeof type), 415);
    assert_string_equal(type, "application/problem+json");
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 415);
    assert_string_equal(json_string_value(json_object_get(j, "title")), "Unsupported Media Type");
    json_decref(j);

    post("application/json", "application/problem+json, */*;q=0.1", "{\"a\": tru}", raw,
         sizeof raw);
    assert_int_equal(ask(raw, &j, type, sizeof type), 400);
    assert_string_equal(type, "application/problem+json");
    assert_non_null(j);
    const char *detail = json_string_value(json_object_get(j, "detail"));
    assert_non_null(detail);
    if (!strstr(detail, "line 1, column"))
        fail_msg("detail: %s", detail);
    json_decref(j);

    post("application/json", NULL, "[1,", raw, sizeof raw);
    assert_int_equal(ask(raw, &j, type, sizeof type), 400);
    assert_string_equal(type, "text/plain; charset=utf-8");
    assert_null(j);
}

/* The server's own errors follow Accept: a 404 and a 405 as problem+json
 * for JSON clients, as the old text line for curl's any-type Accept. */
static void server_errors_follow_accept(void **state)
{
    (void)state;
    char type[128];
    json_t *j;
    assert_int_equal(ask("GET /nope HTTP/1.1\r\nHost: t\r\nAccept: application/json\r\n\r\n", &j,
                         type, sizeof type),
                     404);
    assert_string_equal(type, "application/problem+json");
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "about:blank");
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 404);
    json_decref(j);
    assert_int_equal(ask("DELETE /json HTTP/1.1\r\nHost: t\r\nAccept: application/json\r\n\r\n",
                         &j, type, sizeof type),
                     405);
    assert_string_equal(type, "application/problem+json");
    json_decref(j);
    wt_response r;
    assert_int_equal(wt_request(srv.port, "GET /nope HTTP/1.1\r\nHost: t\r\nAccept: */*\r\n\r\n",
                                &r),
                     404);
    assert_string_equal(r.body, "404 Not Found\n");
    wt_response_free(&r);
    /* a 504 the server answers at a route's deadline, too */
    assert_int_equal(ask("GET /deadline?ms=1000 HTTP/1.1\r\nHost: t\r\nAccept: application/json"
                         "\r\n\r\n",
                         &j, type, sizeof type),
                     504);
    assert_string_equal(type, "application/problem+json");
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 504);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(body_in_and_out),
        cmocka_unit_test(strings_are_escaped),
        cmocka_unit_test(bad_bodies_are_refused),
        cmocka_unit_test(server_errors_follow_accept),
    };
    return cmocka_run_group_tests(tests, wt_hello_setup, wt_hello_teardown);
}
