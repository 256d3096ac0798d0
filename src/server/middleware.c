/* middleware.c - the steps around handlers: the app's chain, groups of
 * routes under a prefix with chains of their own, and running a request's
 * chain before its handler and on its answer (weft/middleware.h).
 *
 * Chains are resolved once, as the app starts: each route points at one
 * array (the app's steps, then its groups' from the outermost in), so a
 * request walks a flat array and no list is looked at per request. */
#include <stdlib.h>

#include "../base/opts.h"
#include "server.h"

const weft__chain weft__no_chain = {NULL, 0};

static int append(weft_middleware **items, int *n, weft_middleware mw)
{
    weft_middleware *grown = realloc(*items, (size_t)(*n + 1) * sizeof *grown);
    if (!grown)
        return WEFT_ENOMEM;
    grown[(*n)++] = mw;
    *items = grown;
    return 0;
}

int weft_use(weft_app *app, weft_middleware mw)
{
    if (app->running)
        return WEFT_ESTATE;
    return append(&app->mws, &app->nmws, mw);
}

/* "/api" or "/api/v1": a slash, no trailing slash, nothing a route could
 * not match literally. */
static int prefix_ok(const char *prefix)
{
    size_t n = strlen(prefix);
    return n >= 2 && prefix[0] == '/' && prefix[n - 1] != '/' && !strpbrk(prefix, "{} ?#");
}

static weft_group *group_new(weft_app *app, weft_group *parent, const char *prefix)
{
    if (app->running || !prefix_ok(prefix)) {
        weft_error("invalid route group prefix '%s' (\"/name\", no trailing slash)", prefix);
        return NULL;
    }
    weft_group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->app = app;
    g->parent = parent;
    size_t pl = parent ? parent->prefix_len : 0, n = strlen(prefix);
    g->prefix = malloc(pl + n + 1);
    if (!g->prefix) {
        free(g);
        return NULL;
    }
    if (pl)
        memcpy(g->prefix, parent->prefix, pl);
    memcpy(g->prefix + pl, prefix, n + 1);
    g->prefix_len = pl + n;
    g->next = app->groups;
    app->groups = g;
    return g;
}

weft_group *weft_group_new(weft_app *app, const char *prefix)
{
    return group_new(app, NULL, prefix);
}

weft_group *weft_group_sub(weft_group *parent, const char *prefix)
{
    return group_new(parent->app, parent, prefix);
}

int weft_group_use(weft_group *g, weft_middleware mw)
{
    if (g->app->running)
        return WEFT_ESTATE;
    return append(&g->mws, &g->nmws, mw);
}

int weft_group_route_sized(weft_group *g, const char *pattern, weft_handler_fn fn,
                           weft_handler_kind kind, const weft_route_opts *opts, size_t opts_size)
{
    weft_route_opts own;
    opts = weft__opts_take(&own, sizeof own, opts, opts_size);
    const char *sp = strchr(pattern, ' ');
    if (!sp || sp[1] != '/')
        return WEFT_EINVAL;
    /* "GET /" in "/api" is "GET /api", not "GET /api/". */
    const char *path = strcmp(sp + 1, "/") == 0 ? "" : sp + 1;
    size_t n = (size_t)(sp - pattern) + 1 + g->prefix_len + strlen(path) + 1;
    char *full = malloc(n);
    if (!full)
        return WEFT_ENOMEM;
    snprintf(full, n, "%.*s %s%s", (int)(sp - pattern), pattern, g->prefix, path);
    int rc = weft__route_add(g->app, g, full, fn, kind, opts);
    free(full);
    return rc;
}

int weft_group_route(weft_group *g, const char *pattern, weft_handler_fn fn,
                     weft_handler_kind kind)
{
    return weft_group_route_sized(g, pattern, fn, kind, NULL, 0);
}

/* ---- resolving -------------------------------------------------------------- */

static int add_group_steps(weft__chain *ch, const weft_group *g)
{
    if (!g)
        return 0;
    int rc = add_group_steps(ch, g->parent);
    for (int i = 0; !rc && i < g->nmws; i++)
        rc = append(&ch->items, &ch->n, g->mws[i]);
    return rc;
}

int weft__mw_resolve(weft_app *app)
{
    app->running = 1;
    for (int i = 0; i < app->nmws; i++)
        if (append(&app->chain.items, &app->chain.n, app->mws[i]))
            return WEFT_ENOMEM;
    for (weft_group *g = app->groups; g; g = g->next) {
        for (int i = 0; i < app->nmws; i++)
            if (append(&g->chain.items, &g->chain.n, app->mws[i]))
                return WEFT_ENOMEM;
        if (add_group_steps(&g->chain, g))
            return WEFT_ENOMEM;
    }
    for (weft__rt *r = app->routes; r; r = r->next)
        r->chain = r->group ? &r->group->chain : &app->chain;
    return 0;
}

void weft__mw_free(weft_app *app)
{
    /* Each step's arg is freed once, where it was added. */
    for (int i = 0; i < app->nmws; i++)
        if (app->mws[i].free)
            app->mws[i].free(app->mws[i].arg);
    free(app->mws);
    free(app->chain.items);
    while (app->groups) {
        weft_group *g = app->groups;
        app->groups = g->next;
        for (int i = 0; i < g->nmws; i++)
            if (g->mws[i].free)
                g->mws[i].free(g->mws[i].arg);
        free(g->mws);
        free(g->chain.items);
        free(g->prefix);
        free(g);
    }
}

const weft__chain *weft__mw_chain_for_path(const weft_app *app, weft_str path)
{
    const weft_group *best = NULL;
    for (const weft_group *g = app->groups; g; g = g->next) {
        size_t n = g->prefix_len;
        if (path.len >= n && memcmp(path.base, g->prefix, n) == 0 &&
            (path.len == n || path.base[n] == '/') && (!best || n > best->prefix_len))
            best = g;
    }
    return best ? &best->chain : &app->chain;
}

/* ---- running ------------------------------------------------------------------ */

int weft__mw_before(weft_ctx *c)
{
    const weft__chain *ch = c->chain;
    while (c->mw_ran < ch->n) {
        const weft_middleware *m = &ch->items[c->mw_ran];
        if (m->before) {
            int go = m->before(c, m->arg) == WEFT_NEXT && c->resp == RESP_NONE;
            if (!go) {
                if (c->resp == RESP_NONE) {
                    weft_warn("middleware %s stopped request %s without an answer",
                              m->name ? m->name : "?", weft_req_id(c));
                    weft_reply_error(c, 500, "the request was stopped without an answer");
                }
                return 0;
            }
        }
        c->mw_ran++;
    }
    return 1;
}

void weft__mw_after(weft_ctx *c, weft_out *out)
{
    for (int i = c->mw_ran - 1; i >= 0; i--) {
        const weft_middleware *m = &c->chain->items[i];
        if (m->after)
            m->after(c, out, m->arg);
    }
}
