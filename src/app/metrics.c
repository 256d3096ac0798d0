/* metrics.c - GET /metrics: the statistics snapshot in Prometheus' text
 * exposition format (version 0.0.4), opt-in (weft_app_enable_metrics,
 * --metrics PATH).
 *
 * Everything comes from one weft_stats_snapshot plus two figures of the
 * process read from /proc (resident memory, open descriptors), so a scrape
 * costs one mutex and some formatting on the loop that serves it. Names
 * follow Prometheus' conventions: base units (seconds, bytes), _total for
 * counters, cumulative histogram buckets with le="+Inf". */
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include "app_int.h"

static const uint64_t bounds_us[WEFT_HIST_BUCKETS] = WEFT_HIST_BOUNDS_US;

/* A label value with \, " and newlines escaped. */
static void put_label(weft_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            weft_buf_printf(b, "\\%c", *v);
        else if (*v == '\n')
            weft_buf_append(b, "\\n", 2);
        else
            weft_buf_append(b, v, 1);
    }
}

static void family(weft_buf *b, const char *name, const char *type, const char *help)
{
    weft_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name+suffix{k1="v1",k2="v2"}: the labels that are given (values
 * escaped), no braces when none is. The value follows. */
static void series(weft_buf *b, const char *name, const char *suffix, const char *k1,
                   const char *v1, const char *k2, const char *v2)
{
    weft_buf_printf(b, "%s%s", name, suffix);
    const char *keys[2] = {k1, k2}, *values[2] = {v1, v2};
    int n = 0;
    for (int i = 0; i < 2; i++) {
        if (!keys[i])
            continue;
        weft_buf_printf(b, "%s%s=\"", n++ ? "," : "{", keys[i]);
        put_label(b, values[i]);
        weft_buf_append(b, "\"", 1);
    }
    if (n)
        weft_buf_append(b, "}", 1);
}

static void sample(weft_buf *b, const char *name, const char *label, const char *value, uint64_t v)
{
    series(b, name, "", label, value, NULL, NULL);
    weft_buf_printf(b, " %llu\n", (unsigned long long)v);
}

/* A family of one unlabelled sample. */
static void single(weft_buf *b, const char *name, const char *type, const char *help, uint64_t v)
{
    family(b, name, type, help);
    sample(b, name, NULL, NULL, v);
}

static void histogram(weft_buf *b, const char *name, const char *label, const char *value,
                      const weft_histogram *h)
{
    uint64_t cumulative = 0;
    for (size_t i = 0; i < WEFT_HIST_BUCKETS; i++) {
        char le[32];
        if (bounds_us[i] == UINT64_MAX)
            snprintf(le, sizeof le, "+Inf");
        else
            snprintf(le, sizeof le, "%g", (double)bounds_us[i] / 1e6);
        cumulative += h->buckets[i];
        series(b, name, "_bucket", label, value, "le", le);
        weft_buf_printf(b, " %llu\n", (unsigned long long)cumulative);
    }
    series(b, name, "_sum", label, value, NULL, NULL);
    weft_buf_printf(b, " %.6f\n", (double)h->sum_us / 1e6);
    series(b, name, "_count", label, value, NULL, NULL);
    weft_buf_printf(b, " %llu\n", (unsigned long long)h->count);
}

static void server_metrics(weft_buf *b, const weft_stats *st)
{
    static const char *const classes[6] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
    family(b, "weft_requests_total", "counter",
           "Requests answered, by method, route pattern and status class.");
    for (size_t r = 0; r <= st->server.nroutes; r++) {
        const weft_route_stats *rs = &st->server.routes[r];
        /* a route's name is "METHOD /pattern" */
        const char *sp = r < st->server.nroutes ? strchr(rs->name, ' ') : NULL;
        char method[16] = "";
        if (sp && (size_t)(sp - rs->name) < sizeof method)
            memcpy(method, rs->name, (size_t)(sp - rs->name));
        for (int k = 2; k < 6; k++) { /* no final answer is 1xx */
            weft_buf_printf(b, "weft_requests_total{method=\"");
            put_label(b, sp ? method : "");
            weft_buf_printf(b, "\",route=\"");
            put_label(b, sp ? sp + 1 : "");
            weft_buf_printf(b, "\",class=\"%s\"} %llu\n", classes[k],
                            (unsigned long long)rs->responses[k]);
        }
    }
    family(b, "weft_request_duration_seconds", "histogram",
           "Time from a request's start to its end (the loop's clock: ms steps), by route "
           "(\"METHOD /pattern\"; \"\" for requests no route took).");
    for (size_t r = 0; r <= st->server.nroutes; r++) {
        const weft_route_stats *rs = &st->server.routes[r];
        histogram(b, "weft_request_duration_seconds", "route",
                  r < st->server.nroutes ? rs->name : "", &rs->duration);
    }
    family(b, "weft_requests_in_flight", "gauge", "Requests being handled, by handler kind.");
    sample(b, "weft_requests_in_flight", "kind", "async", st->server.inflight_async);
    sample(b, "weft_requests_in_flight", "kind", "sync", st->server.inflight_sync);
    sample(b, "weft_requests_in_flight", "kind", "callback", st->server.inflight_callback);
    family(b, "weft_responses_total", "counter",
           "Answers that say the server could not serve: shed (503), past the deadline "
           "(504), client gone (499).");
    sample(b, "weft_responses_total", "status", "503", st->server.responses_503);
    sample(b, "weft_responses_total", "status", "504", st->server.responses_504);
    sample(b, "weft_responses_total", "status", "499", st->server.responses_499);
    single(b, "weft_connections_open", "gauge", "Client connections open.",
           st->server.connections_open);
    single(b, "weft_connections_accepted_total", "counter", "Client connections accepted.",
           st->server.connections_accepted);
    single(b, "weft_bad_requests_total", "counter", "Requests a protocol codec refused.",
           st->server.bad_requests);
    single(b, "weft_timeouts_total", "counter", "Header, body, idle and write time limits hit.",
           st->server.timeouts);
    family(b, "weft_tls_handshakes_total", "counter",
           "TLS handshakes with clients: full, resumed from a ticket, or failed (including "
           "time-outs and plain HTTP sent to the TLS port).");
    sample(b, "weft_tls_handshakes_total", "result", "full", st->server.tls_handshakes);
    sample(b, "weft_tls_handshakes_total", "result", "resumed", st->server.tls_resumed);
    sample(b, "weft_tls_handshakes_total", "result", "failed", st->server.tls_handshake_failures);
    family(b, "weft_loop_lag_seconds", "gauge",
           "How long each loop last took to answer the stall detector's ping.");
    for (size_t i = 0; i < st->server.nloops; i++) {
        char loop[24];
        snprintf(loop, sizeof loop, "%zu", i);
        series(b, "weft_loop_lag_seconds", "", "loop", loop, NULL, NULL);
        weft_buf_printf(b, " %.6f\n", (double)st->server.loop_lag_us[i] / 1e6);
    }
    single(b, "weft_loop_stalls_total", "counter", "Loops found busy past --stall-ms.",
           st->server.loop_stalls);
}

static void pool_and_fiber_metrics(weft_buf *b, const weft_stats *st)
{
    single(b, "weft_pool_threads", "gauge", "Worker threads for WEFT_SYNC handlers.",
           st->pool.threads);
    single(b, "weft_pool_busy", "gauge", "Worker threads running a job now.", st->pool.busy);
    single(b, "weft_pool_queued", "gauge", "Jobs waiting for a worker.", st->pool.queued);
    single(b, "weft_pool_queue_capacity", "gauge", "Jobs the queue holds before 503.",
           st->pool.queue_capacity);
    single(b, "weft_pool_rejected_total", "counter", "Jobs refused: the queue was full.",
           st->pool.rejected);
    family(b, "weft_pool_queue_wait_seconds", "histogram",
           "Time from a job's submission to a worker taking it.");
    histogram(b, "weft_pool_queue_wait_seconds", NULL, NULL, &st->pool.queue_wait);
    single(b, "weft_fibers_alive", "gauge", "Fibers started and not finished.", st->fibers.alive);
    single(b, "weft_fiber_stack_bytes", "gauge", "Bytes of fiber stacks mapped.",
           st->fibers.stack_bytes);
}

/* name{endpoint="E",KEY="VALUE"} V */
static void endpoint_sample(weft_buf *b, const char *name, const char *endpoint, const char *key,
                            const char *value, uint64_t v)
{
    series(b, name, "", "endpoint", endpoint, key, value);
    weft_buf_printf(b, " %llu\n", (unsigned long long)v);
}

/* Each family's TYPE line, then all its samples: the format wants them
 * together. */
static void client_metrics(weft_buf *b, const weft_stats *st)
{
    size_t n = st->client.nendpoints;
    const weft_endpoint_stats *eps = st->client.endpoints;
    single(b, "weft_client_calls_total", "counter", "Outbound calls started, all engines.",
           st->client.calls_started);
    family(b, "weft_client_endpoint_calls_total", "counter", "Outbound calls started, by backend.");
    for (size_t i = 0; i < n; i++)
        sample(b, "weft_client_endpoint_calls_total", "endpoint", eps[i].name, eps[i].calls);
    family(b, "weft_client_endpoint_calls_in_flight", "gauge",
           "Outbound calls now, by backend and state (active: on a connection or stream; "
           "waiting: for a connection slot or a stream).");
    for (size_t i = 0; i < n; i++) {
        endpoint_sample(b, "weft_client_endpoint_calls_in_flight", eps[i].name, "state", "active",
                        eps[i].active);
        endpoint_sample(b, "weft_client_endpoint_calls_in_flight", eps[i].name, "state", "waiting",
                        eps[i].waiting);
    }
    family(b, "weft_client_endpoint_connections", "gauge",
           "Connections to a backend, by state (open, idle).");
    for (size_t i = 0; i < n; i++) {
        endpoint_sample(b, "weft_client_endpoint_connections", eps[i].name, "state", "open",
                        eps[i].connections);
        endpoint_sample(b, "weft_client_endpoint_connections", eps[i].name, "state", "idle",
                        eps[i].idle);
    }
    family(b, "weft_client_endpoint_errors_total", "counter",
           "Failed calls, by backend and error.");
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 32; k++)
            if (eps[i].errors_by[k])
                endpoint_sample(b, "weft_client_endpoint_errors_total", eps[i].name, "error",
                                weft_err_name(-1000 - k), eps[i].errors_by[k]);
    family(b, "weft_client_call_duration_seconds", "histogram",
           "Time of outbound calls that got a response, by backend.");
    for (size_t i = 0; i < n; i++)
        histogram(b, "weft_client_call_duration_seconds", "endpoint", eps[i].name,
                  &eps[i].duration);
}

/* Resident memory from /proc/self/statm, open descriptors from
 * /proc/self/fd: what an operator compares with the limits. */
static void process_metrics(weft_buf *b)
{
    unsigned long pages_total = 0, pages_rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lu %lu", &pages_total, &pages_rss) != 2)
            pages_rss = 0;
        fclose(f);
    }
    family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    sample(b, "process_resident_memory_bytes", NULL, NULL,
           (uint64_t)pages_rss * (uint64_t)sysconf(_SC_PAGESIZE));
    uint64_t fds = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        for (struct dirent *e; (e = readdir(d)) != NULL;)
            fds += e->d_name[0] != '.';
        closedir(d);
        fds--; /* the directory's own descriptor */
    }
    single(b, "process_open_fds", "gauge", "Number of open file descriptors.", fds);
}

static void metrics(weft_ctx *c)
{
    weft_stats *st = weft_stats_snapshot();
    weft_buf b = {0};
    if (!st || weft_buf_reserve(&b, 64 * 1024)) {
        weft_stats_free(st);
        weft_reply_error(c, 503, "out of memory");
        return;
    }
    server_metrics(&b, st);
    pool_and_fiber_metrics(&b, st);
    client_metrics(&b, st);
    process_metrics(&b);
    weft_stats_free(st);
    weft_reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
    weft_buf_free(&b);
}

int weft_app_enable_metrics(weft_app *app, const char *path)
{
    if (!path || path[0] != '/')
        return WEFT_EINVAL;
    char pattern[256];
    if (snprintf(pattern, sizeof pattern, "GET %s", path) >= (int)sizeof pattern)
        return WEFT_EINVAL;
    return weft_route(app, pattern, metrics, WEFT_CALLBACK);
}
