/* json_io.c - weft/jansson.h: the request body as a jansson tree, and
 * jansson values as answers. */
#include <stdio.h>
#include <strings.h>

#include "server.h"
#include "weft/jansson.h"

/* application/json, or any application/...+json, parameters allowed. */
static int is_json_type(weft_str v)
{
    size_t end = 0;
    while (end < v.len && v.base[end] != ';')
        end++;
    while (end > 0 && (v.base[end - 1] == ' ' || v.base[end - 1] == '\t'))
        end--;
    if (end == 16 && strncasecmp(v.base, "application/json", 16) == 0)
        return 1;
    return end > 17 && strncasecmp(v.base, "application/", 12) == 0 &&
           strncasecmp(v.base + end - 5, "+json", 5) == 0;
}

static void free_tree(void *tree)
{
    json_decref(tree);
}

json_t *weft_body_json(weft_ctx *c)
{
    if (c->body_json)
        return c->body_json;
    if (!is_json_type(weft_req_header(c, "Content-Type"))) {
        weft_reply_error(c, 415, "the body must be application/json");
        return NULL;
    }
    json_error_t err;
    json_t *tree = json_loadb(c->body.base ? c->body.base : "", c->body.len, 0, &err);
    if (!tree) {
        char why[256];
        snprintf(why, sizeof why, "invalid JSON at line %d, column %d: %s", err.line,
                 err.column, err.text);
        weft_reply_error(c, 400, why);
        return NULL;
    }
    if (weft_req_on_end(c, free_tree, tree)) {
        json_decref(tree);
        weft_reply_error(c, 500, "out of memory");
        return NULL;
    }
    return c->body_json = tree;
}

int weft_reply_json(weft_ctx *c, int status, const json_t *value)
{
    size_t n = value ? json_dumpb(value, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) : 0;
    char *body = n ? weft_arena_alloc(&c->scope.arena, n) : NULL;
    if (!body || json_dumpb(value, body, n, JSON_COMPACT | JSON_ENCODE_ANY) != n)
        return weft_reply_error(c, 500, "the answer could not be encoded as JSON");
    return weft_reply(c, status, "application/json", body, n);
}

int weft_reply_json_new(weft_ctx *c, int status, json_t *value)
{
    int rc = weft_reply_json(c, status, value);
    json_decref(value);
    return rc;
}
