/* app.c - the application's life: routes, binding, loops, graceful stop.
 *
 * The main thread runs a small control loop that owns the signal handlers
 * and the shutdown sequence; each server loop runs on its own thread with
 * its own SO_REUSEPORT listener, so the kernel spreads connections and no
 * connection ever moves between loops.
 *
 * Shutdown, in two phases: on SIGTERM/SIGINT every loop closes its listener
 * and its idle connections, and answers in-flight requests with
 * "Connection: close"; when all loops report drained, or --shutdown-grace
 * runs out (then the rest are closed), the loops stop and run returns. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/opts.h"
#include "app_int.h"
#include "procs.h"

#define TICK_MS 250


/* glibc raises its mmap threshold to the size of each large block freed
 * (up to 32 MiB) and its trim threshold to twice that: after one 16 MiB
 * read buffer - a backend answer near the client's 8 MiB limit - blocks
 * that size come from a loop thread's arena, whose free top malloc_trim
 * never returns (only the main arena's top is trimmed), and every arena
 * keeps up to 64 MiB of free top. Measured: ten oversized backend answers
 * left the front at 20-30 MB resident past --idle-trim, against 8.7 MB
 * before. Setting the thresholds turns the raising off: blocks from 1 MiB
 * up get their own mappings, given back the moment they are freed, and a
 * free top past glibc's default 128 KiB is returned as before. */
static void malloc_policy(void)
{
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 10);
}

weft_app *weft_app_new(int argc, char **argv)
{
    malloc_policy();
    weft_app *app = calloc(1, sizeof *app);
    if (!app)
        abort();
    app->argc = argc;
    app->argv = calloc((size_t)argc + 1, sizeof *argv);
    if (!app->argv)
        abort();
    memcpy(app->argv, argv, (size_t)argc * sizeof *argv);
    app->orig_argv = argv;
    const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;
    app->prog = argc > 0 ? (slash ? slash + 1 : argv[0]) : "weft";
    app->routes_tail = &app->routes;
    weft__options_parse_common(app);
    return app;
}

int weft_app_port(const weft_app *app)
{
    return app->bound_port;
}

weft_config *weft_app_config(weft_app *app)
{
    return &app->cfg;
}

void weft_app_set_user(weft_app *app, void *user)
{
    app->user = user;
}

void *weft_app_user(const weft_app *app)
{
    return app->user;
}

int weft__route_add(weft_app *app, weft_group *group, const char *pattern, weft_handler_fn fn,
                    weft_handler_kind kind, const weft_route_opts *opts)
{
    if (app->running)
        return WEFT_ESTATE;
    weft__rt *r = calloc(1, sizeof *r);
    if (!r)
        return WEFT_ENOMEM;
    int rc = weft__route_parse(r, pattern);
    if (rc || !fn) {
        weft_error("invalid route '%s'", pattern);
        weft__route_free(r);
        return rc ? rc : WEFT_EINVAL;
    }
    if (opts && opts->stream_body && kind != WEFT_ASYNC) {
        /* A streamed body is awaited piece by piece, on the connection's loop. */
        weft_error("route '%s': .stream_body needs a WEFT_ASYNC handler", pattern);
        weft__route_free(r);
        return WEFT_EINVAL;
    }
    r->fn = fn;
    r->kind = kind;
    r->group = group;
    r->chain = &weft__no_chain;
    r->index = app->nroutes++;
    if (opts)
        r->opts = *opts;
    *app->routes_tail = r;
    app->routes_tail = &r->next;
    return 0;
}

int weft_route_sized(weft_app *app, const char *pattern, weft_handler_fn fn, weft_handler_kind kind,
                     const weft_route_opts *opts, size_t opts_size)
{
    weft_route_opts own;
    opts = weft__opts_take(&own, sizeof own, opts, opts_size);
    return weft__route_add(app, NULL, pattern, fn, kind, opts);
}

int weft__app_own(weft_app *app, void *arg, void (*fn)(void *))
{
    weft_end_fn *o = malloc(sizeof *o);
    if (!o) {
        fn(arg);
        return WEFT_ENOMEM;
    }
    *o = (weft_end_fn){app->owned, fn, arg};
    app->owned = o;
    return 0;
}

int weft_route(weft_app *app, const char *pattern, weft_handler_fn fn, weft_handler_kind kind)
{
    return weft__route_add(app, NULL, pattern, fn, kind, NULL);
}

/* ---- per-loop start, tick and stop ---------------------------------------- */

static void on_tick(weft_timer *t)
{
    weft_sloop *sl = (weft_sloop *)((char *)t - offsetof(weft_sloop, tick));
    weft_timer_start(&sl->loop, &sl->tick, TICK_MS, on_tick);
    weft__conn_sweep(sl, weft_loop_now(&sl->loop));
    weft__conn_accept_resume(sl); /* sockets another loop closed */
    weft_log_flush_thread();
}

static void loop_started(weft_loop *loop, void *arg)
{
    weft_sloop *sl = arg;
    weft_timer_start(loop, &sl->tick, TICK_MS, on_tick);
    weft__conn_accept(sl);
}

/* Wakes the control loop to look at the stop and drain flags. One message
 * serves every waker: while it is queued, more wake-ups are the same. */
static void on_ctl_wake(weft_post *p);

static void wake_ctl(weft_app *app)
{
    if (atomic_exchange(&app->ctl_wake_posted, 1))
        return;
    app->ctl_wake.fn = on_ctl_wake;
    weft_loop_post(&app->ctl, &app->ctl_wake);
}

void weft__app_loop_drained(weft_sloop *sl)
{
    if (sl->drained_sent)
        return;
    sl->drained_sent = 1;
    atomic_fetch_add(&sl->app->drained, 1);
    wake_ctl(sl->app);
}

static void on_stop_msg(weft_post *p)
{
    weft_sloop *sl = (weft_sloop *)((char *)p - offsetof(weft_sloop, stop_msg));
    atomic_store(&sl->draining, 1);
    weft__listener_close(&sl->listener);
    weft__listener_close(&sl->redirect);
    weft__conn_drain(sl);
    if (!sl->conns && sl->busy == 0)
        weft__app_loop_drained(sl);
}

static void on_force_msg(weft_post *p)
{
    weft_sloop *sl = (weft_sloop *)((char *)p - offsetof(weft_sloop, force_msg));
    weft__conn_close_all(sl);
}

static void on_release_msg(weft_post *p)
{
    weft_sloop *sl = (weft_sloop *)((char *)p - offsetof(weft_sloop, release_msg));
    weft_timer_stop(&sl->loop, &sl->tick);
    /* Its CLOSE hooks release the fibers' stack cache and the client's
     * idle backend connections, on this thread. */
    weft__loop_release(&sl->loop);
}

static int setup_loops(weft_app *app)
{
    int n = app->cfg.loops;
    app->loops = calloc((size_t)n, sizeof *app->loops);
    if (!app->loops)
        return WEFT_ENOMEM;
    app->nloops = n;
    for (int i = 0; i < n; i++) {
        weft_sloop *sl = &app->loops[i];
        if (weft__loop_init(&sl->loop, i))
            return WEFT_ENOMEM;
        sl->app = app;
        sl->inflight_share = (uint64_t)app->cfg.max_concurrent / (uint64_t)n;
        sl->stats.routes = calloc((size_t)app->nroutes + 1, sizeof *sl->stats.routes);
        if (!sl->stats.routes)
            return WEFT_ENOMEM;
        weft__loop_stats_register(sl);
        /* the parsers' header lists: HTTP/2 adds host and content-length */
        sl->hdr_scratch =
            calloc(app->cfg.limits.max_headers + WEFT_H2_ADDED_FIELDS, sizeof(weft_header));
        if (!sl->hdr_scratch)
            return WEFT_ENOMEM;
        sl->proto = &weft__h1_proto; /* h2c clients switch with their preface */
        /* The sockets weft__sockets_open bound (or inherited) */
        int rc = weft__listener_adopt(&sl->loop, &sl->listener, weft__sockets_take(app, i, 0));
        int redirect = weft__sockets_take(app, i, 1);
        if (!rc && redirect >= 0)
            rc = weft__listener_adopt(&sl->loop, &sl->redirect, redirect);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- control loop: signals and the shutdown sequence ---------------------- */

static void close_ctl(weft_app *app)
{
    weft__worker_stop_publishing(app->worker);
    weft__advisor_stop(app->advisor);
    app->advisor = NULL;
    weft_timer_stop(&app->ctl, &app->trim);
    weft_timer_stop(&app->ctl, &app->grace);
    weft__signal_watch_free(app->sigint);
    weft__signal_watch_free(app->sigterm);
    weft__signal_watch_free(app->sighup);
    app->sigint = app->sigterm = app->sighup = NULL;
    weft_loop_stop(&app->ctl);
}

static void on_grace(weft_timer *t)
{
    weft_app *app = (weft_app *)((char *)t - offsetof(weft_app, grace));
    if (app->forced) {
        weft_warn("requests still running after the grace period; giving up on them");
        app->abandoned = 1;
        close_ctl(app);
        return;
    }
    weft_warn("shutdown grace period over: closing remaining connections");
    app->forced = 1;
    for (int i = 0; i < app->nloops; i++) {
        app->loops[i].force_msg.fn = on_force_msg;
        weft_loop_post(&app->loops[i].loop, &app->loops[i].force_msg);
    }
    /* A worker stuck in a blocking handler cannot be interrupted; give it
     * one more second, then leave without it. */
    weft_timer_start(&app->ctl, &app->grace, 1000, on_grace);
}

/* Phase two of a stop: listeners close, idle connections close, in-flight
 * requests finish within --shutdown-grace. */
static void begin_drain(weft_app *app)
{
    weft_info("shutting down: finishing in-flight requests (grace %d ms)",
              app->cfg.shutdown_grace_ms);
    for (int i = 0; i < app->nloops; i++) {
        app->loops[i].stop_msg.fn = on_stop_msg;
        weft_loop_post(&app->loops[i].loop, &app->loops[i].stop_msg);
    }
    weft_timer_start(&app->ctl, &app->grace, (uint64_t)app->cfg.shutdown_grace_ms, on_grace);
}

static void on_drain_delay(weft_timer *t)
{
    begin_drain((weft_app *)((char *)t - offsetof(weft_app, grace)));
}

/* Phase one: /readyz says 503 and answers say Connection: close while new
 * connections are still accepted, for --drain-delay, so that a load
 * balancer stops sending before the listeners go. */
static void begin_stop(weft_app *app)
{
    if (app->stopping)
        return;
    app->stopping = 1;
    atomic_store(&app->shutting_down, 1);
    if (app->cfg.drain_delay_ms <= 0) {
        begin_drain(app);
        return;
    }
    weft_info("draining: /readyz answers 503 for %d ms before the listeners close",
              app->cfg.drain_delay_ms);
    weft_timer_start(&app->ctl, &app->grace, (uint64_t)app->cfg.drain_delay_ms, on_drain_delay);
}

static void on_ctl_wake(weft_post *p)
{
    weft_app *app = (weft_app *)((char *)p - offsetof(weft_app, ctl_wake));
    atomic_store(&app->ctl_wake_posted, 0); /* before reading the flags it is about */
    if (atomic_load(&app->stop_requested))
        begin_stop(app);
    if (app->stopping && atomic_load(&app->drained) == app->nloops)
        close_ctl(app);
}

/* A burst leaves its memory with glibc: a pgw-front that had served
 * 8,000 clients kept 60-100 MB resident once they were gone, most of it
 * free chunks in the loop threads' arenas, which glibc does not give back
 * by itself. Once a second the control thread looks at the counters; when
 * no request has been in flight or come in for --idle-trim looks (10) in
 * a row, and some came since the last trim, malloc_trim returns the
 * arenas' free pages. Not sooner: the next burst would pay its page
 * faults again (a tenth of a burst's CPU in S3's first wave), and bursts
 * seconds apart are better served from memory kept. It runs here, not on
 * a loop; a loop that allocates meanwhile may wait on its arena's lock for
 * the trim's milliseconds - on an idle server. */
#define TRIM_CHECK_MS 1000

static void on_trim_check(weft_timer *t)
{
    weft_app *app = (weft_app *)((char *)t - offsetof(weft_app, trim));
    weft_timer_start(&app->ctl, &app->trim, TRIM_CHECK_MS, on_trim_check);
    uint64_t requests = 0, inflight = 0;
    for (int i = 0; i < app->nloops; i++) {
        requests += weft__counter(&app->loops[i].stats.requests);
        inflight += weft__counter(&app->loops[i].stats.inflight);
    }
    if (inflight == 0 && requests == app->trim_last_requests)
        app->trim_quiet++;
    else
        app->trim_quiet = 0;
    app->trim_last_requests = requests;
    if (app->trim_quiet >= app->cfg.idle_trim_s && requests != app->trim_done_requests) {
        app->trim_done_requests = requests;
        malloc_trim(0);
    }
}

static void on_signal(int signum, void *arg)
{
    weft_app *app = arg;
    if (app->stopping) {
        weft_warn("second signal %d: exiting now", signum);
        weft_log_sync();
        _exit(1);
    }
    begin_stop(app);
}

/* SIGHUP: the certificates and keys are read again. New connections get
 * them; open ones keep what they started with. A file that does not load
 * leaves the old ones in place. */
static void on_hangup(int signum, void *arg)
{
    (void)signum;
    weft_app *app = arg;
    if (!app->tls) {
        weft_info("SIGHUP: nothing to reload (no --tls-cert)");
        return;
    }
    char why[256];
    if (weft__tls_server_reload(app->tls, why, sizeof why))
        weft_error("SIGHUP: certificates not reloaded, the old ones stay: %s", why);
    else
        weft_info("SIGHUP: certificates reloaded (%d)", app->cfg.tls_certs.n);
}

void weft_app_stop(weft_app *app)
{
    atomic_store(&app->stop_requested, 1);
    wake_ctl(app);
}

static int ctl_init(weft_app *app)
{
    if (weft__loop_init(&app->ctl, -1))
        return WEFT_ENOMEM;
    app->sigint = weft__signal_watch(&app->ctl, SIGINT, on_signal, app);
    app->sigterm = weft__signal_watch(&app->ctl, SIGTERM, on_signal, app);
    app->sighup = weft__signal_watch(&app->ctl, SIGHUP, on_hangup, app);
    if (!app->sigint || !app->sigterm || !app->sighup)
        return WEFT_ENOMEM;
    if (app->cfg.idle_trim_s > 0)
        weft_timer_start(&app->ctl, &app->trim, TRIM_CHECK_MS, on_trim_check);
    return 0;
}

/* ---- run -------------------------------------------------------------------- */

static void app_free(weft_app *app)
{
    while (app->routes) {
        weft__rt *next = app->routes->next;
        weft__route_free(app->routes);
        app->routes = next;
    }
    weft__mw_free(app);
    while (app->owned) {
        weft_end_fn *o = app->owned;
        app->owned = o->next;
        o->fn(o->arg);
        free(o);
    }
    for (int i = 0; i < app->nloops; i++) {
        weft__loop_stats_unregister(&app->loops[i]);
        free(app->loops[i].stats.routes);
        free(app->loops[i].hdr_scratch);
        weft__h2_pool_free(&app->loops[i]);
        weft_buf_free(&app->loops[i].logline);
    }
    free(app->loops);
    weft__worker_end(app->worker);
    if (app->listen_fds)
        weft__sockets_close(app);
    free(app->listen_fds);
    weft__tls_server_free(app->tls);
    weft__options_free(app);
    free(app->argv);
    free(app);
}

/* Printed even with --quiet, once the loops accept (under a master, once
 * its first workers do): scripts and tests read the port here. */
void weft__app_say_listening(const weft_app *app)
{
    const weft_config *cfg = &app->cfg;
    int v6 = strchr(cfg->host, ':') != NULL;
    char procs[32] = "";
    if (cfg->processes > 1)
        snprintf(procs, sizeof procs, "%d processes of ", cfg->processes);
    fprintf(stderr, "%s: listening on %s://%s%s%s:%d (%s%d loops on %s, %d workers, queue %d)\n",
            app->prog, cfg->tls_certs.n ? "https" : "http", v6 ? "[" : "", cfg->host,
            v6 ? "]" : "", app->bound_port, procs, cfg->loops, weft_io_engine(), cfg->workers,
            cfg->queue_length);
    if (app->redirect_port)
        fprintf(stderr, "%s: redirecting http://%s:%d to https\n", app->prog, cfg->host,
                app->redirect_port);
    fflush(stderr);
}

static int start(weft_app *app)
{
    app->pool = weft_pool_new((unsigned)app->cfg.workers, (unsigned)app->cfg.queue_length,
                              (size_t)app->cfg.worker_stack_kb * 1024);
    if (!app->pool) {
        weft_error("cannot start %d worker threads", app->cfg.workers);
        return 1;
    }
    weft_pool_set_default(app->pool); /* weft_run offloads here */
    /* The client's limits are totals; each loop keeps its share. */
    weft_client_config cc = {
        .max_conns_per_endpoint = app->cfg.max_conns_per_endpoint,
        .max_conns_total = app->cfg.max_conns_total,
        .http2 = app->cfg.backend_http2,
        .curl_only = app->cfg.backend_curl,
        .loops = app->cfg.loops,
        .tls_ca_file = app->cfg.backend_ca,
        .tls_insecure_skip_verify = app->cfg.backend_tls_insecure_skip_verify,
    };
    weft_client_configure(&cc);
    if (app->cfg.tls_certs.n) {
        char why[256];
        app->tls = weft__tls_server_new(app->cfg.tls_certs.items, app->cfg.tls_keys.items,
                                        (size_t)app->cfg.tls_certs.n, app->cfg.h2, why,
                                        sizeof why);
        if (!app->tls) {
            weft_error("%s", why);
            return 1;
        }
    }
    if (ctl_init(app) || setup_loops(app))
        return 1;
    for (int i = 0; i < app->nloops; i++)
        if (weft__loop_start(&app->loops[i].loop, loop_started, &app->loops[i]))
            return 1;
    app->watchdog = weft__watchdog_start(app);
    app->advisor = weft__advisor_start(app);
    if (app->worker)
        weft__worker_ready(app->worker);
    else
        weft__app_say_listening(app); /* (under a master, the master says it) */
    return 0;
}

int weft_app_run(weft_app *app)
{
    int rc = weft__options_finish(app);
    if (rc >= 0) {
        app_free(app);
        return rc;
    }
    signal(SIGPIPE, SIG_IGN);
    if ((app->cfg.metrics_path && weft_app_enable_metrics(app, app->cfg.metrics_path)) ||
        (app->cfg.status_path && weft_app_enable_status(app, app->cfg.status_path))) {
        weft_error("--metrics and --status want a path such as /metrics or /_status");
        app_free(app);
        return 2;
    }
    weft__health_routes(app);
    if (weft__mw_resolve(app)) {
        weft_error("out of memory");
        app_free(app);
        return 1;
    }
    weft__fd_budget(app);
    if (weft__sockets_open(app)) {
        weft_log_sync();
        app_free(app);
        return 1;
    }
    weft__fd_budget_print(app);
    if (app->cfg.processes > 1) {
        rc = weft__master_run(app);
        if (rc >= 0) { /* the master, done */
            app_free(app);
            return rc;
        }
        app->worker = weft__worker_begin(app, app->procs, app->proc_slot); /* a worker */
    }
    if (start(app)) {
        weft_log_sync();
        _exit(1); /* threads may be half started; nothing to drain */
    }
    weft_loop_run(&app->ctl); /* until close_ctl */
    weft__watchdog_stop(app->watchdog); /* before the loops it pings go */
    app->watchdog = NULL;

    if (app->abandoned) {
        weft_log_sync();
        _exit(1); /* a worker is stuck in a handler: leave without joining */
    }
    for (int i = 0; i < app->nloops; i++) {
        app->loops[i].release_msg.fn = on_release_msg;
        weft_loop_post(&app->loops[i].loop, &app->loops[i].release_msg);
    }
    for (int i = 0; i < app->nloops; i++)
        weft__loop_join(&app->loops[i].loop);
    unsigned busy = weft_pool_stop(app->pool, 1000);
    weft_pool_set_default(NULL);
    if (busy == 0)
        weft_pool_free(app->pool);
    weft_loop_free(&app->ctl); /* not weft_loop_new's: closed, not freed */
    for (int i = 0; i < app->nloops; i++)
        weft__loop_close(&app->loops[i].loop);
    weft_info("stopped");
    weft_log_sync();
    app_free(app);
    return 0;
}
