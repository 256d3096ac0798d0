/* cors.c - cross-origin resource sharing (weft_mw_cors), after the Fetch
 * standard's CORS protocol.
 *
 * A preflight from an allowed origin is answered here, before any route
 * is looked at (a path routed only for GET still gets its preflight
 * answered); one from another origin gets 403. Every other answer to an
 * allowed origin carries Access-Control-Allow-Origin. With a list of
 * origins the answer depends on Origin, so it says Vary: Origin for
 * caches, matched or not. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "../base/opts.h"
#include "../server/server.h"

typedef struct cors {
    weft_cors_opts o;
    int any;          /* origins "*" */
    char max_age[16];
} cors;

/* Whether `origin` is one of the comma-separated list. */
static int listed(const char *list, weft_str origin)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if ((size_t)(e - p) == origin.len && origin.len && memcmp(p, origin.base, origin.len) == 0)
            return 1;
        p = e;
    }
    return 0;
}

/* The value of Access-Control-Allow-Origin for this request, or NULL
 * when it comes from an origin not allowed (or none). */
static const char *allow_origin(weft_ctx *c, const cors *k, weft_str origin)
{
    if (!origin.len)
        return NULL;
    if (k->any && !k->o.credentials)
        return "*";
    if (!k->any && !listed(k->o.origins, origin))
        return NULL;
    /* Credentials forbid "*": the origin itself goes back. */
    return weft_arena_strndup(weft_ctx_arena(c), origin.base, origin.len);
}

static void common_headers(weft_ctx *c, const cors *k, const char *allowed)
{
    weft_add_header(c, "Access-Control-Allow-Origin", allowed);
    if (k->o.credentials)
        weft_add_header(c, "Access-Control-Allow-Credentials", "true");
    if (strcmp(allowed, "*") != 0 || !k->any)
        weft_add_header(c, "Vary", "Origin");
}

static int preflight(weft_ctx *c, void *arg)
{
    const cors *k = arg;
    if (!weft_str_eq(weft_req_method(c), WEFT_STRLIT("OPTIONS")))
        return WEFT_NEXT; /* (the common case: no header looked at) */
    weft_str origin = weft_req_header(c, "Origin");
    weft_str asked = weft_req_header(c, "Access-Control-Request-Method");
    if (!origin.len || !asked.len)
        return WEFT_NEXT;
    const char *allowed = allow_origin(c, k, origin);
    if (!allowed) {
        if (!k->any)
            weft_add_header(c, "Vary", "Origin");
        weft_reply_error(c, 403, "this origin may not make cross-origin requests here");
        return WEFT_ANSWERED;
    }
    common_headers(c, k, allowed);
    weft_add_header(c, "Access-Control-Allow-Methods",
                    k->o.methods ? k->o.methods : "GET, HEAD, POST, PUT, PATCH, DELETE");
    weft_str want = weft_req_header(c, "Access-Control-Request-Headers");
    if (k->o.headers) {
        weft_add_header(c, "Access-Control-Allow-Headers", k->o.headers);
    } else if (want.len) {
        const char *h = weft_arena_strndup(weft_ctx_arena(c), want.base, want.len);
        if (h)
            weft_add_header(c, "Access-Control-Allow-Headers", h);
    }
    weft_add_header(c, "Access-Control-Max-Age", k->max_age);
    weft_reply(c, 204, NULL, NULL, 0);
    return WEFT_ANSWERED;
}

static void on_answer(weft_ctx *c, weft_out *out, void *arg)
{
    (void)out;
    const cors *k = arg;
    weft_str origin = weft_req_header(c, "Origin");
    const char *allowed = allow_origin(c, k, origin);
    if (!allowed) {
        if (!k->any)
            weft_add_header(c, "Vary", "Origin");
        return;
    }
    common_headers(c, k, allowed);
    if (k->o.expose)
        weft_add_header(c, "Access-Control-Expose-Headers", k->o.expose);
}

weft_middleware weft_mw_cors_sized(const weft_cors_opts *opts, size_t opts_size)
{
    weft_cors_opts own;
    opts = weft__opts_take(&own, sizeof own, opts, opts_size);
    cors *k = calloc(1, sizeof *k);
    if (!k)
        abort(); /* at start-up: nothing to fall back to */
    k->o = *opts;
    if (!k->o.origins)
        k->o.origins = "*";
    k->any = strcmp(k->o.origins, "*") == 0;
    snprintf(k->max_age, sizeof k->max_age, "%d", k->o.max_age_s > 0 ? k->o.max_age_s : 600);
    return (weft_middleware){
        .name = "cors", .before = preflight, .after = on_answer, .arg = k, .free = free};
}
