/* fuzz_router.c - libFuzzer driver for what turns a parsed target into a
 * handler's arguments: the router (method + path template), the
 * percent-decoder and the query look-up.
 *
 * Input: "METHOD SP path [? query]" (the fuzzer's bytes after the request
 * parser has accepted them, so the same as a real request's). Properties
 * beyond "no crash": a match's parameters lie inside the path and are
 * non-empty unless a {rest*}; 405's Allow is non-empty and names only
 * known methods; decoding never writes past src.len + 1 bytes and never
 * grows the text; a query value found is what decoding its raw text
 * gives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/http.h"
#include "../../src/server/server.h"

static weft__rt *routes;

static void add(const char *pattern)
{
    weft__rt *r = calloc(1, sizeof *r);
    if (weft__route_parse(r, pattern))
        abort();
    weft__rt **pp = &routes;
    while (*pp)
        pp = &(*pp)->next;
    *pp = r;
}

static void setup(void)
{
    static const char *const table[] = {
        "GET /",          "GET /plaintext",       "POST /echo",        "GET /api/{kind}",
        "GET /api/{kind}/{id}", "PUT /api/{kind}/{id}", "DELETE /api/{kind}/{id}",
        "GET /files/{path*}", "GET /a/b/c/d/e/f",   "HEAD /only-head",   "GET /{x}/{y}/z",
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        add(table[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!routes)
        setup();
    weft_http_limits lim = WEFT_HTTP_LIMITS_DEFAULT;
    static weft_header hdrs[8];
    /* Frame the bytes as a request line so only accepted targets route. */
    char *line = malloc(size + 32);
    memcpy(line, data, size);
    memcpy(line + size, " HTTP/1.1\r\nHost: h\r\n\r\n", 23);
    weft_http_req req;
    if (weft_http_parse_request(line, size + 23, &req, hdrs, 8, &lim) <= 0) {
        free(line);
        return 0;
    }
    weft_route_match m;
    char allow[128];
    int r = weft__route_match(routes, req.method, req.path, &m, allow, sizeof allow);
    if (r == 0) {
        for (int i = 0; i < m.nparams; i++) {
            weft_str v = m.values[i];
            if (v.len && (v.base < req.path.base || v.base + v.len > req.path.base + req.path.len))
                abort();
        }
        char *dec = malloc(req.path.len + 1);
        for (int i = 0; i < m.nparams; i++) {
            long n = weft__pct_decode(dec, m.values[i], 0);
            if (n > (long)m.values[i].len)
                abort();
        }
        free(dec);
    } else if (r == WEFT_EMETHOD) {
        if (!allow[0])
            abort();
    } else if (r != WEFT_ENOTFOUND) {
        abort();
    }
    if (req.query.len) {
        weft_arena a;
        weft_arena_init(&a, 256);
        const char *names[] = {"a", "ms", "q", "x y", ""};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            const char *v = weft__query_get(&a, req.query, names[i]);
            if (v && strlen(v) > req.query.len)
                abort();
        }
        weft_arena_free(&a);
    }
    free(line);
    return 0;
}
