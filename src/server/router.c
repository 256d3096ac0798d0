/* router.c - method + path-template matching.
 *
 * Routes are kept in registration order and matched segment by segment;
 * the first match wins. Tables are small (tens of routes), so a linear scan
 * over pre-split templates beats a trie in both code and speed. A path
 * that matches some route under another method gives 405 with Allow. */
#include <stdlib.h>

#include "server.h"

static int is_param(const char *seg)
{
    size_t n = strlen(seg);
    return n >= 3 && seg[0] == '{' && seg[n - 1] == '}';
}

static int is_rest(const char *seg)
{
    size_t n = strlen(seg);
    return n >= 4 && seg[0] == '{' && seg[n - 2] == '*' && seg[n - 1] == '}';
}

int weft__route_parse(weft__rt *r, const char *pattern)
{
    const char *sp = strchr(pattern, ' ');
    if (!sp || sp == pattern || sp[1] != '/')
        return WEFT_EINVAL;
    r->method = strndup(pattern, (size_t)(sp - pattern));
    r->pattern = strdup(sp + 1);
    r->name = strdup(pattern);
    if (!r->method || !r->pattern || !r->name)
        return WEFT_ENOMEM;
    int cap = 1;
    for (const char *p = r->pattern; *p; p++)
        cap += *p == '/';
    r->segments = calloc((size_t)cap, sizeof *r->segments);
    if (!r->segments)
        return WEFT_ENOMEM;
    /* "/a/{b}" splits to "a", "{b}"; "/" to one empty segment, and a
     * trailing slash adds an empty last segment, so paths and templates
     * split the same way. */
    const char *p = r->pattern + 1;
    int nparams = 0;
    for (;;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *seg = strndup(p, n);
        if (!seg)
            return WEFT_ENOMEM;
        r->segments[r->nsegments++] = seg;
        if (is_param(seg) && ++nparams > WEFT_MAX_PARAMS)
            return WEFT_EINVAL;
        if (is_rest(seg) && e)
            return WEFT_EINVAL; /* {x*} must be last */
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

void weft__route_free(weft__rt *r)
{
    for (int i = 0; i < r->nsegments; i++)
        free(r->segments[i]);
    free(r->segments);
    free(r->method);
    free(r->pattern);
    free(r->name);
    free(r);
}

/* Matches the path against one template; fills params on success. */
static int match_path(const weft__rt *r, weft_str path, weft_route_match *m)
{
    const char *p = path.base + 1, *end = path.base + path.len;
    m->nparams = 0;
    if (path.len == 0 || path.base[0] != '/')
        return 0;
    for (int i = 0; i < r->nsegments; i++) {
        const char *seg = r->segments[i];
        if (p > end)
            return 0;
        if (is_rest(seg)) {
            m->names[m->nparams] = weft_str_make(seg + 1, strlen(seg) - 3);
            m->values[m->nparams++] = weft_str_make(p, (size_t)(end - p));
            return 1;
        }
        const char *e = memchr(p, '/', (size_t)(end - p));
        if (!e)
            e = end;
        weft_str part = weft_str_make(p, (size_t)(e - p));
        if (is_param(seg)) {
            if (part.len == 0)
                return 0;
            m->names[m->nparams] = weft_str_make(seg + 1, strlen(seg) - 2);
            m->values[m->nparams++] = part;
        } else if (!weft_str_eq(part, weft_str_cstr(seg))) {
            return 0;
        }
        p = e + 1;
    }
    return p == end + 1; /* every path segment consumed */
}

static void allow_add(char *allow, size_t cap, const char *method)
{
    size_t n = strlen(allow), m = strlen(method);
    /* skip duplicates such as two GET routes on similar templates */
    for (const char *p = allow; (p = strstr(p, method)); p += m)
        if ((p == allow || p[-1] == ' ') && (p[m] == ',' || p[m] == '\0'))
            return;
    if (n + m + 3 > cap)
        return;
    if (n)
        memcpy(allow + n, ", ", 2), n += 2;
    memcpy(allow + n, method, m + 1);
}

int weft__route_match(const weft__rt *routes, weft_str method, weft_str path,
                      weft_route_match *m, char *allow, size_t allow_cap)
{
    int path_seen = 0;
    int is_head = weft_str_eq(method, WEFT_STRLIT("HEAD"));
    const weft__rt *get_for_head = NULL;
    weft_route_match head_m;
    if (allow_cap)
        allow[0] = '\0';
    for (const weft__rt *r = routes; r; r = r->next) {
        if (!match_path(r, path, m))
            continue;
        if (weft_str_eq(method, weft_str_cstr(r->method))) {
            m->route = r;
            return 0;
        }
        if (is_head && !get_for_head && strcmp(r->method, "GET") == 0) {
            get_for_head = r;
            head_m = *m;
        }
        path_seen = 1;
        allow_add(allow, allow_cap, r->method);
        if (strcmp(r->method, "GET") == 0)
            allow_add(allow, allow_cap, "HEAD");
    }
    if (get_for_head) {
        *m = head_m;
        m->route = get_for_head;
        return 0;
    }
    return path_seen ? WEFT_EMETHOD : WEFT_ENOTFOUND;
}
