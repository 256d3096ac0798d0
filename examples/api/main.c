/* weft-api - a small JSON service the way a team would write one on weft:
 * middleware for the cross-cutting parts, JSON in and out with jansson, a
 * route group behind authentication, timeout pages.
 *
 *   app chain:   request id, Server-Timing, CORS (for --cors-origin), gzip
 *   GET  /items?n=N         a list of N items (JSON; gzipped past 1 KiB)
 *   GET  /items/{id}        one item
 *   POST /items             {"name": "..."} -> 201 with the item
 *   POST /upload            any size, read as it arrives -> {"bytes", "crc32"}
 *   GET  /slow-async?ms=N   waits N ms in a fiber; 200 ms deadline, own page
 *   GET  /slow-sync?ms=N    sleeps N ms on a worker; 200 ms deadline, own page
 *   /admin group:           Bearer --admin-token
 *   GET  /admin/stats       the server's counters (a blocking check is fine:
 *                           WEFT_SYNC)
 *   /account group:         Basic, user ann, --ann-password
 *   GET  /account/me        who you are
 *
 * Run: build/bin/weft-api --port 8080 --admin-token s3cret */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "weft.h"

static const char *admin_token = "s3cret";
static const char *cors_origin = "*";
static long max_upload_mb = 4096;

static void items(weft_ctx *c)
{
    long n = weft_query_int(c, "n", 10);
    if (n < 0 || n > 100000) {
        weft_reply_error(c, 400, "n must be 0..100000");
        return;
    }
    json_t *list = json_array();
    for (long i = 1; i <= n; i++)
        json_array_append_new(list, json_pack("{s:I, s:s, s:b}", "id", (json_int_t)i, "name",
                                              "a gizmo of the usual kind", "in_stock", i % 3 != 0));
    weft_reply_json_new(c, 200, json_pack("{s:o, s:I}", "items", list, "count", (json_int_t)n));
}

static void item(weft_ctx *c)
{
    const char *id = weft_param(c, "id");
    char *end;
    long n = strtol(id, &end, 10);
    if (*end || n <= 0) {
        weft_reply_error(c, 404, "no such item");
        return;
    }
    weft_reply_json_new(c, 200, json_pack("{s:I, s:s}", "id", (json_int_t)n, "name", "a gizmo"));
}

static void create_item(weft_ctx *c)
{
    json_t *body = weft_body_json(c); /* answers 400/415 itself */
    if (!body)
        return;
    const char *name = json_string_value(json_object_get(body, "name"));
    if (!name || !*name) {
        weft_reply_error(c, 422, "\"name\" must be a non-empty string");
        return;
    }
    weft_add_header(c, "Location", "/items/42");
    weft_reply_json_new(c, 201, json_pack("{s:i, s:s}", "id", 42, "name", name));
}

/* An upload of any size: read as it arrives, in a window of memory. */
static void upload(weft_ctx *c)
{
    uint64_t bytes = 0;
    uLong crc = crc32(0, NULL, 0);
    weft_str piece;
    int r;
    while ((r = weft_body_read(c, &piece)) == 1) {
        bytes += piece.len;
        crc = crc32(crc, (const Bytef *)piece.base, (uInt)piece.len);
    }
    if (r < 0) {
        int status = r == WEFT_ETOOBIG ? 413 : r == WEFT_ETIMEDOUT ? 408 : 400;
        if (r == WEFT_ETOOBIG || r == WEFT_ETIMEDOUT || r == WEFT_EBADMSG)
            weft_reply_error(c, status, weft_strerror(r));
        return; /* else the client left: nobody to answer */
    }
    char hex[16];
    snprintf(hex, sizeof hex, "%08lx", crc);
    weft_reply_json_new(c, 200, json_pack("{s:I, s:s}", "bytes", (json_int_t)bytes, "crc32", hex));
}

static void slow_async(weft_ctx *c)
{
    long ms = weft_query_int(c, "ms", 100);
    if (weft_await(weft_delay(weft_ctx_scope(c), (uint64_t)(ms < 0 ? 0 : ms))))
        return; /* the deadline passed: the timeout page went out */
    weft_reply_json_new(c, 200, json_pack("{s:i}", "waited_ms", (int)ms));
}

static void slow_sync(weft_ctx *c)
{
    long ms = weft_query_int(c, "ms", 100);
    usleep((useconds_t)(ms < 0 ? 0 : ms > 5000 ? 5000 : ms) * 1000);
    weft_reply_json_new(c, 200, json_pack("{s:i}", "slept_ms", (int)ms));
}

/* The TimeoutErrorPage of both slow routes: the app's own wording, as JSON. */
static void too_slow(weft_ctx *c)
{
    weft_reply_json_new(c, 503,
                        json_pack("{s:s, s:s}", "error", "this took too long; try again later",
                                  "request_id", weft_req_id(c)));
}

static void me(weft_ctx *c)
{
    weft_reply_json_new(c, 200, json_pack("{s:s}", "user", (const char *)weft_bag_get(c, "user")));
}

static void admin_stats(weft_ctx *c)
{
    weft_stats *st = weft_stats_snapshot();
    json_t *o = json_pack("{s:I, s:I, s:s}", "requests", (json_int_t)st->server.requests,
                          "in_flight", (json_int_t)st->server.requests_inflight, "user",
                          (const char *)weft_bag_get(c, "user"));
    weft_stats_free(st);
    weft_reply_json_new(c, 200, o);
}

/* Constant time in the token's length: a wrong guess takes as long as a
 * nearly right one. */
static int token_ok(weft_ctx *c, const char *user, const char *token, void *arg)
{
    (void)user;
    (void)arg;
    size_t n = strlen(admin_token), m = strlen(token);
    unsigned char diff = n != m;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(admin_token[i] ^ (i < m ? token[i] : 0));
    if (diff)
        return 0;
    weft_bag_set(c, "user", "admin");
    return 1;
}

/* Basic: one account, "ann", with --ann-password. */
static const char *ann_password = "open sesame";

static int password_ok(weft_ctx *c, const char *user, const char *password, void *arg)
{
    (void)arg;
    if (strcmp(user, "ann") != 0 || strcmp(password, ann_password) != 0)
        return 0;
    weft_bag_set(c, "user", "ann");
    return 1;
}

int main(int argc, char **argv)
{
    weft_app *app = weft_app_new(argc, argv);
    weft_app_opt_str(app, "admin-token", &admin_token, "the Bearer token of /admin (s3cret)");
    weft_app_opt_str(app, "ann-password", &ann_password, "the password of ann at /account (open sesame)");
    weft_app_opt_str(app, "cors-origin", &cors_origin,
                     "origins allowed cross-origin: * or a comma-separated list (*)");
    weft_app_opt_int(app, "max-upload-mb", &max_upload_mb, "POST /upload: most MiB taken (4096)");
    weft_use(app, weft_mw_request_id());
    weft_use(app, weft_mw_timing());
    weft_use(app, weft_mw_cors(&(weft_cors_opts){.origins = cors_origin,
                                                 .expose = "X-Request-Id, Server-Timing"}));
    weft_use(app, weft_mw_gzip(NULL));

    weft_route(app, "GET /items", items, WEFT_CALLBACK);
    weft_route(app, "GET /items/{id}", item, WEFT_CALLBACK);
    weft_route(app, "POST /items", create_item, WEFT_CALLBACK);
    weft_route_opt(app, "POST /upload", upload, WEFT_ASYNC, .stream_body = 1,
                   .max_body = (uint64_t)max_upload_mb << 20, .timeout_ms = WEFT_NO_TIMEOUT);
    weft_route_opt(app, "GET /slow-async", slow_async, WEFT_ASYNC, .timeout_ms = 200,
                   .on_timeout = too_slow);
    weft_route_opt(app, "GET /slow-sync", slow_sync, WEFT_SYNC, .timeout_ms = 200,
                   .on_timeout = too_slow);

    weft_group *admin = weft_group_new(app, "/admin");
    weft_group_use(admin, weft_mw_auth(&(weft_auth_opts){.scheme = "Bearer",
                                                         .realm = "weft-api admin",
                                                         .check = token_ok}));
    weft_group_route(admin, "GET /stats", admin_stats, WEFT_SYNC);

    weft_group *account = weft_group_new(app, "/account");
    weft_group_use(account, weft_mw_auth(&(weft_auth_opts){.scheme = "Basic",
                                                           .realm = "weft-api",
                                                           .check = password_ok}));
    weft_group_route(account, "GET /me", me, WEFT_CALLBACK);
    return weft_app_run(app);
}
