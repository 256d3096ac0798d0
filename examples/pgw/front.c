/* pgw-front - the seeds' front end (Mvc4Async / WebAppAsync), in weft.
 *
 * Calls pgw-backend (BACKEND_URL, default http://127.0.0.1:9001) the two
 * ways the seeds compare:
 *   /gizmos               WEFT_SYNC: a blocking call holds a worker thread
 *   /gizmos-async         WEFT_ASYNC: weft_await holds no thread
 *   /pwg                  WEFT_SYNC: products, widgets, gizmos one after another
 *   /pwg-async            WEFT_ASYNC: the three in parallel, weft_when_all
 *   /pwg-callback         WEFT_CALLBACK: the three in parallel, AsyncController
 *                         style (outstanding operations + completion)
 *   /gizmos-cancel-async  a 150 ms route timeout (AsyncTimeout) against a
 *                         random-delay backend: the table or the timeout page
 * and JSON twins under /json/ for scripts and benchmarks. Every page passes
 * ?delay= through to the backend.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "lab.h"

static const char *backend = "http://127.0.0.1:9001";

static const char *const gizmo_cols[] = {"id", "name", "price", "weight", NULL};
static const char *const widget_cols[] = {"id", "name", "price", "color", NULL};
static const char *const product_cols[] = {"id", "name", "category", "price", NULL};

static size_t backend_len;

/* The backend URL for kind, with ?delay= passed through (or forced). */
static const char *api_url(weft_ctx *c, const char *kind, const char *force_delay)
{
    weft_arena *a = weft_ctx_arena(c);
    size_t kind_len = strlen(kind);
    char *url = weft_arena_alloc(a, backend_len + 5 + kind_len + 1);
    if (url) { /* backend + "/api/" + kind, without printf: every page does it */
        memcpy(url, backend, backend_len);
        memcpy(url + backend_len, "/api/", 5);
        memcpy(url + backend_len + 5, kind, kind_len + 1);
    }
    const char *delay = weft_query(c, "delay");
    if (!delay)
        delay = force_delay;
    return delay && url ? weft_url_add_query(a, url, "delay", delay) : url;
}

/* A failed call becomes the error page: 504 for a time-out, else 502. */
static void backend_failed(weft_ctx *c, int err, uint64_t t0)
{
    /* The call's message names the backend's address: the log's, with the
     * request id; the page says what kind of failure it was. */
    const char *detail;
    if (weft_scope_failure(weft_ctx_scope(c), &detail) && *detail)
        weft_warn("request %s: %s", weft_req_id(c), detail);
    html_error(c, err == WEFT_ETIMEDOUT ? 504 : 502,
               err == WEFT_ETIMEDOUT ? "The backend timed out" : "The backend failed",
               weft_strerror(err), weft_now_ms() - t0);
}

/* A response that is not 200 is a backend failure too. */
static int bad_status(weft_ctx *c, const weft_http_response *r, uint64_t t0)
{
    if (r->status == 200)
        return 0;
    char detail[96];
    snprintf(detail, sizeof detail, "the backend answered %d %s", r->status,
             weft_http_status_text(r->status));
    html_error(c, 502, "The backend failed", detail, weft_now_ms() - t0);
    return 1;
}

static void table_or_error(weft_ctx *c, weft_buf *b, const char *caption,
                           const weft_http_response *r, const char *const *cols, int *failed)
{
    char err[160];
    if (!*failed && html_table(b, caption, r->body, r->body_len, cols, err, sizeof err)) {
        *failed = 1;
        weft_buf_free(b);
        html_error(c, 502, "The backend failed", err, 0);
    }
}

/* ---- gizmos ------------------------------------------------------------------ */

static void gizmos_page(weft_ctx *c, const weft_http_response *r, const char *title,
                        const char *how, uint64_t t0)
{
    if (bad_status(c, r, t0))
        return;
    weft_buf b = {0};
    int failed = 0;
    html_begin(&b, title, how);
    table_or_error(c, &b, "Gizmos", r, gizmo_cols, &failed);
    if (failed)
        return;
    html_end(&b, weft_now_ms() - t0);
    html_reply(c, 200, &b);
}

static void gizmos_sync(weft_ctx *c)
{
    uint64_t t0 = weft_now_ms();
    weft_http_response *r;
    int err = weft_http_request_blocking(weft_ctx_scope(c), api_url(c, "gizmos", NULL), NULL, &r);
    if (err) {
        backend_failed(c, err, t0);
        return;
    }
    gizmos_page(c, r, "Gizmos (synchronous)",
                "A worker thread was blocked for the whole backend call.", t0);
}

static void gizmos_async(weft_ctx *c)
{
    uint64_t t0 = weft_now_ms();
    weft_task *t = weft_http_get(weft_ctx_scope(c), api_url(c, "gizmos", NULL));
    int err = weft_await(t);
    if (err) {
        backend_failed(c, err, t0);
        return;
    }
    gizmos_page(c, weft_task_value(t), "Gizmos (asynchronous)",
                "No thread was held while the backend call was in flight.", t0);
}

/* ---- products, widgets and gizmos -------------------------------------------- */

static void pwg_page(weft_ctx *c, const weft_http_response *const r[3], const char *title,
                     const char *how, uint64_t t0)
{
    for (int i = 0; i < 3; i++)
        if (bad_status(c, r[i], t0))
            return;
    weft_buf b = {0};
    int failed = 0;
    html_begin(&b, title, how);
    table_or_error(c, &b, "Products", r[0], product_cols, &failed);
    table_or_error(c, &b, "Widgets", r[1], widget_cols, &failed);
    table_or_error(c, &b, "Gizmos", r[2], gizmo_cols, &failed);
    if (failed)
        return;
    html_end(&b, weft_now_ms() - t0);
    html_reply(c, 200, &b);
}

static const char *const pwg_kinds[3] = {"products", "widgets", "gizmos"};

static void pwg_sync(weft_ctx *c)
{
    uint64_t t0 = weft_now_ms();
    weft_http_response *r[3];
    for (int i = 0; i < 3; i++) {
        int err = weft_http_request_blocking(weft_ctx_scope(c), api_url(c, pwg_kinds[i], NULL),
                                             NULL, &r[i]);
        if (err) {
            backend_failed(c, err, t0);
            return;
        }
    }
    pwg_page(c, (const weft_http_response *const *)r, "Products, Widgets and Gizmos (synchronous)",
             "Three backend calls one after another, a worker thread blocked throughout.", t0);
}

/* Starts the three calls; 0 when all succeeded. */
static int pwg_fetch_all(weft_ctx *c, weft_task *t[3])
{
    weft_scope *s = weft_ctx_scope(c);
    for (int i = 0; i < 3; i++)
        t[i] = weft_http_get(s, api_url(c, pwg_kinds[i], NULL));
    return weft_await(weft_when_all(s, t, 3));
}

static void pwg_async(weft_ctx *c)
{
    uint64_t t0 = weft_now_ms();
    weft_task *t[3];
    int err = pwg_fetch_all(c, t);
    if (err) {
        backend_failed(c, err, t0);
        return;
    }
    const weft_http_response *r[3] = {weft_task_value(t[0]), weft_task_value(t[1]),
                                      weft_task_value(t[2])};
    pwg_page(c, r, "Products, Widgets and Gizmos (asynchronous)",
             "The three backend calls in parallel with weft_when_all; no thread held.", t0);
}

/* AsyncController style: count the operations, finish in a completion. */
static void pwg_callback_completed(weft_ctx *c)
{
    uint64_t t0 = *(uint64_t *)weft_bag_get(c, "t0");
    const weft_http_response *r[3];
    for (int i = 0; i < 3; i++) {
        weft_task *t = weft_bag_get(c, pwg_kinds[i]);
        int err = weft_task_err(t);
        if (err) {
            backend_failed(c, err, t0);
            return;
        }
        r[i] = weft_task_value(t);
    }
    pwg_page(c, r, "Products, Widgets and Gizmos (callbacks)",
             "Three calls started by a callback handler; the last one to finish renders.", t0);
}

static void pwg_callback_one(weft_task *t, void *arg)
{
    (void)t;
    weft_ops_done(arg);
}

static void pwg_callback(weft_ctx *c)
{
    uint64_t *t0 = weft_arena_alloc(weft_ctx_arena(c), sizeof *t0);
    *t0 = weft_now_ms();
    weft_bag_set(c, "t0", t0);
    weft_ops_on_complete(c, pwg_callback_completed);
    weft_ops_add(c, 3);
    for (int i = 0; i < 3; i++) {
        weft_task *t = weft_http_get(weft_ctx_scope(c), api_url(c, pwg_kinds[i], NULL));
        weft_bag_set(c, pwg_kinds[i], t);
        weft_task_then(t, pwg_callback_one, c);
    }
}

/* ---- the cancellation demo ---------------------------------------------------- */

static void gizmos_cancel_async(weft_ctx *c)
{
    uint64_t t0 = weft_now_ms();
    /* without ?delay=, the backend picks a random delay per call */
    weft_task *t = weft_http_get(weft_ctx_scope(c), api_url(c, "gizmos", "random"));
    int err = weft_await(t);
    if (err == WEFT_ETIMEDOUT || err == WEFT_ECANCELED)
        return; /* the server answered with timeout_page already */
    if (err) {
        backend_failed(c, err, t0);
        return;
    }
    gizmos_page(c, weft_task_value(t), "Gizmos (cancellation demo)",
                "This time the backend answered within the 150 ms route timeout.", t0);
}

/* The seeds' TimeoutErrorPage, written by the server at the deadline. */
static void timeout_page(weft_ctx *c)
{
    html_error(c, 504, "Timeout Error",
               "The gizmos service did not answer within the page's 150 ms timeout, so the "
               "request was canceled (and so was the backend call). Reload to try again: the "
               "backend's delay is random.",
               150);
}

/* ---- JSON twins (scripts, benchmarks) ------------------------------------------- */

/* Appends "name":BODY, checking BODY is a JSON array. */
static int json_member(weft_buf *b, const char *name, const weft_http_response *r)
{
    const char *p = r->body;
    while (p && (*p == ' ' || *p == '\n'))
        p++;
    if (r->status != 200 || !p || *p != '[')
        return -1;
    weft_buf_append(b, ",\"", 2);
    weft_buf_append(b, name, strlen(name));
    weft_buf_append(b, "\":", 2);
    weft_buf_append(b, r->body, r->body_len);
    return 0;
}

static void json_reply(weft_ctx *c, weft_buf *b, uint64_t t0, int ok)
{
    if (!ok) {
        weft_buf_free(b);
        weft_reply_error(c, 502, "the backend's answer is not a JSON array");
        return;
    }
    /* The elapsed time is known only now, and it leads the object; the
     * members gathered in b follow it (S8 runs this for every request,
     * hence no printf). */
    char ms[20];
    weft_buf out = {0};
    weft_buf_reserve(&out, b->len + 40);
    weft_buf_append(&out, "{\"elapsed_ms\":", 14);
    weft_buf_append(&out, ms, weft_u64_to_dec(ms, weft_now_ms() - t0));
    weft_buf_append(&out, b->data, b->len);
    weft_buf_append(&out, "}", 1);
    weft_reply(c, 200, "application/json", out.data, out.len);
    weft_buf_free(&out);
    weft_buf_free(b);
}

static void json_gizmos(weft_ctx *c)
{
    uint64_t t0 = weft_now_ms();
    weft_http_response *r;
    if (weft_http_request_blocking(weft_ctx_scope(c), api_url(c, "gizmos", NULL), NULL, &r))
        return; /* 502/504 from the server, with the call's message */
    weft_buf b = {0};
    json_reply(c, &b, t0, json_member(&b, "gizmos", r) == 0);
}

static void json_gizmos_async(weft_ctx *c)
{
    uint64_t t0 = weft_now_ms();
    weft_task *t = weft_http_get(weft_ctx_scope(c), api_url(c, "gizmos", NULL));
    if (weft_await(t))
        return;
    weft_buf b = {0};
    json_reply(c, &b, t0, json_member(&b, "gizmos", weft_task_value(t)) == 0);
}

static void json_pwg(weft_ctx *c)
{
    uint64_t t0 = weft_now_ms();
    weft_buf b = {0};
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        weft_http_response *r;
        if (weft_http_request_blocking(weft_ctx_scope(c), api_url(c, pwg_kinds[i], NULL), NULL,
                                       &r)) {
            weft_buf_free(&b);
            return;
        }
        ok = ok && json_member(&b, pwg_kinds[i], r) == 0;
    }
    json_reply(c, &b, t0, ok);
}

static void json_pwg_async(weft_ctx *c)
{
    uint64_t t0 = weft_now_ms();
    weft_task *t[3];
    if (pwg_fetch_all(c, t))
        return;
    weft_buf b = {0};
    int ok = 1;
    for (int i = 0; i < 3; i++)
        ok = ok && json_member(&b, pwg_kinds[i], weft_task_value(t[i])) == 0;
    json_reply(c, &b, t0, ok);
}

/* ---- index and plaintext -------------------------------------------------------- */

static void index_page(weft_ctx *c)
{
    weft_buf b = {0};
    html_begin(&b, "weft: asynchronous requests, the seeds' sample application",
               "A front end calling a slow web service (pgw-backend), synchronously and "
               "asynchronously.");
    weft_buf_printf(
        &b,
        "<ul>"
        "<li><a href=\"/gizmos\">Gizmos</a>: one backend call, synchronous: a worker thread "
        "is blocked while it waits.</li>"
        "<li><a href=\"/gizmos-async\">Gizmos async</a>: the same call awaited: no thread is "
        "held while it waits.</li>"
        "<li><a href=\"/pwg\">Products, Widgets and Gizmos</a>: three calls one after "
        "another: about three times the backend's delay.</li>"
        "<li><a href=\"/pwg-async\">PWG async</a>: the three calls in parallel with "
        "weft_when_all: about one backend delay.</li>"
        "<li><a href=\"/pwg-callback\">PWG callback</a>: the same in parallel, written "
        "AsyncController-style with an outstanding-operations counter.</li>"
        "<li><a href=\"/gizmos-cancel-async\">Cancellation demo</a>: a 150 ms route timeout "
        "against a backend with a random delay: the table, or the timeout page.</li>"
        "</ul><p>Add <code>?delay=MS</code> to any page to set the backend's delay. JSON "
        "twins: <a href=\"/json/gizmos\">/json/gizmos</a>, <a "
        "href=\"/json/gizmos-async\">/json/gizmos-async</a>, <a href=\"/json/pwg\">/json/pwg</a>, "
        "<a href=\"/json/pwg-async\">/json/pwg-async</a>.</p><p>Backend: ");
    html_text(&b, backend);
    weft_buf_printf(
        &b,
        "</p><h2>Load lab</h2><p>Make this server send itself 200 concurrent requests for 10 s "
        "and watch the pool below: the synchronous page fills the worker pool, queues and "
        "sheds with 503; the asynchronous one serves the same load with no thread held.</p>"
        "<p><button id=lab-sync onclick=\"lab('gizmos')\">200 clients on /gizmos "
        "(sync)</button> <button id=lab-async onclick=\"lab('gizmos-async')\">200 clients on "
        "/gizmos-async</button> <span id=lab-state></span></p>"
        "<iframe id=status src=\"/_status\" style=\"width:100%%;height:640px;border:1px solid "
        "#ddd\"></iframe><script>async function lab(page){const r=await fetch('/lab?page='+"
        "page+'&clients=200&seconds=10',{method:'POST'});document.getElementById('lab-state')"
        ".textContent=await r.text();}</script>");
    html_end(&b, 0);
    html_reply(c, 200, &b);
}

static void plaintext(weft_ctx *c)
{
    weft_reply_str(c, 200, "text/plain", "Hello, World!");
}

int main(int argc, char **argv)
{
    weft_app *app = weft_app_new(argc, argv);
    const char *env = getenv("BACKEND_URL");
    if (env && *env)
        backend = env;
    weft_app_opt_str(app, "backend", &backend, "the pgw-backend base URL ($BACKEND_URL)");
    size_t n = strlen(backend);
    while (n > 0 && backend[n - 1] == '/') /* "http://host:9001/" works too */
        n--;
    backend = strndup(backend, n);
    backend_len = n;

    weft_route(app, "GET /", index_page, WEFT_CALLBACK);
    weft_app_enable_metrics(app, "/metrics"); /* the pool, the queue, 503s: starvation, counted */
    weft_app_enable_status(app, "/_status");  /* ... and seen live */
    weft_route(app, "POST /lab", lab_start, WEFT_CALLBACK);
    weft_route(app, "GET /plaintext", plaintext, WEFT_CALLBACK);
    weft_route(app, "GET /gizmos", gizmos_sync, WEFT_SYNC);
    weft_route(app, "GET /gizmos-async", gizmos_async, WEFT_ASYNC);
    weft_route(app, "GET /pwg", pwg_sync, WEFT_SYNC);
    weft_route(app, "GET /pwg-async", pwg_async, WEFT_ASYNC);
    weft_route(app, "GET /pwg-callback", pwg_callback, WEFT_CALLBACK);
    weft_route_opt(app, "GET /gizmos-cancel-async", gizmos_cancel_async, WEFT_ASYNC,
                   .timeout_ms = 150, .on_timeout = timeout_page);
    weft_route(app, "GET /json/gizmos", json_gizmos, WEFT_SYNC);
    weft_route(app, "GET /json/gizmos-async", json_gizmos_async, WEFT_ASYNC);
    weft_route(app, "GET /json/pwg", json_pwg, WEFT_SYNC);
    weft_route(app, "GET /json/pwg-async", json_pwg_async, WEFT_ASYNC);
    int rc = weft_app_run(app);
    free((char *)backend);
    return rc;
}
