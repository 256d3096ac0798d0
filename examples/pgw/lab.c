/* lab.c - the load lab of the sample application: POST /lab makes the
 * front send itself N concurrent requests for a few seconds, to /gizmos
 * (synchronous) or /gizmos-async, so a visitor can watch on /_status what
 * the seeds describe: the sync page fills the worker pool, queues and
 * sheds; the async page serves the same load with no thread held.
 *
 * Bounded on purpose: at most 400 clients for at most 15 s, one run at a
 * time, loopback only (the front's own address). The clients are fibers
 * on the loop that took the POST, each with a scope of its own (the
 * request's ends with its answer). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

#define MAX_CLIENTS 400
#define MAX_SECONDS 15

static _Atomic int running; /* clients still running (any loop) */

typedef struct lab_client {
    char url[128];
    uint64_t until_ms;
} lab_client;

static void client(void *arg)
{
    lab_client *lc = arg;
    while (weft_now_ms() < lc->until_ms) {
        weft_scope *s = weft_scope_new(NULL, 30000); /* one call's: its task goes with it */
        int err = s ? weft_await(weft_http_get(s, lc->url)) : WEFT_ENOMEM;
        weft_scope_free(s);
        if (err == WEFT_ECANCELED || err == WEFT_ENOMEM)
            break; /* the server is shutting down */
    }
    free(lc);
    running--;
}

/* POST /lab?page=gizmos|gizmos-async&clients=N&seconds=S */
void lab_start(weft_ctx *c)
{
    const char *page = weft_query(c, "page");
    long n = weft_query_int(c, "clients", 200), secs = weft_query_int(c, "seconds", 10);
    if (!page || (strcmp(page, "gizmos") && strcmp(page, "gizmos-async")) || n < 1 ||
        n > MAX_CLIENTS || secs < 1 || secs > MAX_SECONDS) {
        weft_reply_error(c, 400, "page=gizmos|gizmos-async, clients=1..400, seconds=1..15");
        return;
    }
    if (running > 0) {
        weft_reply_error(c, 409, "a lab run is still going: wait for it to end");
        return;
    }
    int port = weft_app_port(weft_ctx_app(c));
    uint64_t until = weft_now_ms() + (uint64_t)secs * 1000u;
    for (long i = 0; i < n; i++) {
        lab_client *lc = malloc(sizeof *lc);
        if (!lc)
            break;
        snprintf(lc->url, sizeof lc->url, "http://127.0.0.1:%d/%s", port, page);
        lc->until_ms = until;
        running++;
        weft_fiber_opts o = {.name = "load lab client"};
        if (weft_fiber_spawn(client, lc, &o)) {
            running--;
            free(lc);
            break;
        }
    }
    weft_replyf(c, 202, "text/plain", "%ld clients on /%s for %ld s\n", n, page, secs);
}
