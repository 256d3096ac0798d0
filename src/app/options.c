/* options.c - weft's common command-line flags and application flags.
 *
 * One parser for every weft program, so each is configured the same way:
 * "--name value" or "--name=value". weft_app_new claims the common flags;
 * weft_app_opt_* claim the application's own; weft_app_run rejects any
 * argument nobody claimed. Runs at start-up, on the main thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "app_int.h"

/* OPT_CPUS: a count, or "auto" for one per CPU (stored as 0). */
typedef enum { OPT_INT, OPT_SIZE, OPT_U64, OPT_STR, OPT_FLAG, OPT_LONG, OPT_STRS, OPT_CPUS } opt_type;

struct weft_opt {
    weft_opt *next;
    const char *name;
    opt_type type;
    void *var;
    const char *help;
};

typedef struct common_opt {
    const char *name;
    opt_type type;
    size_t offset;
    const char *help;
} common_opt;

#define CFG(field) offsetof(weft_config, field)

static const common_opt common[] = {
    {"host", OPT_STR, CFG(host), "address to listen on (127.0.0.1)"},
    {"port", OPT_INT, CFG(port), "port to listen on, 0 = any free one ($PORT or 8080)"},
    {"loops", OPT_INT, CFG(loops), "event-loop threads per process (the CPUs, shared among --processes)"},
    {"workers", OPT_INT, CFG(workers), "worker threads for synchronous handlers (64)"},
    {"queue-length", OPT_INT, CFG(queue_length), "requests waiting for a worker before 503 (1000)"},
    {"processes", OPT_CPUS, CFG(processes), "worker processes under a master that binds the port and replaces a worker that dies; auto = one per CPU (1: no master)"},
    {"max-connections", OPT_INT, CFG(max_connections), "client connections open per process; past it new ones wait in the listen queue (half the fd budget)"},
    {"max-concurrent", OPT_INT, CFG(max_concurrent), "requests in flight per process before 503 (--max-connections)"},
    {"worker-stack-kb", OPT_INT, CFG(worker_stack_kb), "stack of each worker thread (1024)"},
    {"header-timeout", OPT_INT, CFG(header_timeout_ms), "ms to receive a request head (10000)"},
    {"body-timeout", OPT_INT, CFG(body_timeout_ms), "ms between pieces of a body (30000)"},
    {"keepalive-timeout", OPT_INT, CFG(keepalive_timeout_ms), "ms an idle connection stays (75000)"},
    {"write-timeout", OPT_INT, CFG(write_timeout_ms), "ms a stalled write is tolerated (30000)"},
    {"shutdown-grace", OPT_INT, CFG(shutdown_grace_ms), "ms to finish requests on SIGTERM (30000)"},
    {"drain-delay", OPT_INT, CFG(drain_delay_ms), "ms of /readyz 503 and Connection: close, still accepting, before the listeners close on SIGTERM (0)"},
    {"idle-trim", OPT_INT, CFG(idle_trim_s), "s without requests before freed memory goes back to the system, 0 = never (10)"},
    {"metrics", OPT_STR, CFG(metrics_path), "serve Prometheus metrics at this path (off)"},
    {"status", OPT_STR, CFG(status_path), "serve the live status page at this path (off)"},
    {"trusted-proxy", OPT_STR, CFG(trusted_proxies), "addresses (or IPv4 nets a.b.c.d/n), comma-separated, whose X-Forwarded-For/-Proto are honoured (none)"},
    {"stall-ms", OPT_INT, CFG(stall_ms), "ms a loop may stay busy before its running handler is reported, 0 = off (100)"},
    {"request-timeout", OPT_INT, CFG(request_timeout_ms), "ms before a request is answered 504, 0 = none (30000)"},
    {"retry-after", OPT_INT, CFG(retry_after_s), "cap on Retry-After of a 503, in s; the value is the pool queue's drain time (10)"},
    {"max-request-line", OPT_SIZE, CFG(limits.max_request_line), "bytes, else 414 (8192)"},
    {"max-header-bytes", OPT_SIZE, CFG(limits.max_header_bytes), "bytes, else 431 (32768)"},
    {"max-headers", OPT_SIZE, CFG(limits.max_headers), "fields, else 431 (100)"},
    {"max-body", OPT_U64, CFG(limits.max_body), "bytes, else 413 (8388608)"},
    {"max-conns-per-endpoint", OPT_INT, CFG(max_conns_per_endpoint),
     "HTTP client: connections to one backend, all loops (--max-conns-total)"},
    {"max-conns-total", OPT_INT, CFG(max_conns_total), "HTTP client: connections to backends in all; calls past it wait for one (half the fd budget)"},
    {"backend-http2", OPT_FLAG, CFG(backend_http2), "HTTP client: HTTP/2 to backends (h2c for http://)"},
    {"backend-curl", OPT_FLAG, CFG(backend_curl), "HTTP client: libcurl for every call, not weft's own"},
    {"h2c", OPT_FLAG, CFG(h2c), "accept HTTP/2 with prior knowledge (h2c) besides HTTP/1.1"},
    {"h2-max-streams", OPT_INT, CFG(h2_max_streams), "HTTP/2: concurrent streams per connection (1024)"},
    {"tls-cert", OPT_STRS, CFG(tls_certs), "serve HTTPS with this certificate chain (PEM); repeat for more names, picked by SNI (off)"},
    {"tls-key", OPT_STRS, CFG(tls_keys), "the private key (PEM) of each --tls-cert, in the same order"},
    {"h2", OPT_INT, CFG(h2), "HTTP/2 over TLS by ALPN, 0 = HTTP/1.1 only (1)"},
    {"tls-handshake-timeout", OPT_INT, CFG(tls_handshake_timeout_ms), "ms to finish a TLS handshake (10000)"},
    {"redirect-http", OPT_INT, CFG(redirect_http_port), "with TLS: also listen on this plain port (0 = any free one) and redirect to https (off)"},
    {"backend-ca", OPT_STR, CFG(backend_ca), "HTTP client: CA file (PEM) trusted for https:// backends (the system's)"},
    {"backend-tls-insecure-skip-verify", OPT_FLAG, CFG(backend_tls_insecure_skip_verify), "HTTP client: accept any certificate from https:// backends - tests only"},
    {"log-level", OPT_STR, CFG(log_level), "debug, info, warn or error (info)"},
    {"quiet", OPT_FLAG, CFG(quiet), "no access log; warnings and errors only"},
    {"io", OPT_STR, CFG(io), "I/O engine: uring, epoll or auto; auto (the default, or $WEFT_IO) is io_uring where the kernel allows it, else epoll"},
    {"dev", OPT_FLAG, CFG(dev), "development: error answers show what failed inside (backend addresses, errors); never in production"},
};

static int cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void config_defaults(weft_config *cfg)
{
    const char *port = getenv("PORT");
    memset(cfg, 0, sizeof *cfg);
    cfg->host = "127.0.0.1";
    cfg->port = port && *port ? atoi(port) : 8080;
    cfg->port_given = port && *port;
    cfg->loops = 0; /* the CPUs, shared among the processes: weft__options_finish */
    cfg->workers = 64;
    cfg->queue_length = 1000;
    cfg->processes = 1;
    cfg->worker_stack_kb = 1024;
    cfg->header_timeout_ms = 10000;
    cfg->body_timeout_ms = 30000;
    cfg->keepalive_timeout_ms = 75000;
    cfg->write_timeout_ms = 30000;
    cfg->shutdown_grace_ms = 30000;
    cfg->idle_trim_s = 10;
    cfg->stall_ms = 100;
    cfg->request_timeout_ms = 30000;
    cfg->h2_max_streams = 1024;
    cfg->h2 = 1;
    cfg->tls_handshake_timeout_ms = 10000;
    cfg->redirect_http_port = -1;
    cfg->retry_after_s = 10;
    cfg->log_level = "info";
    cfg->limits = WEFT_HTTP_LIMITS_DEFAULT;
}

static void die_usage(weft_app *app, const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", app->prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry '%s --help'.\n", app->prog);
    exit(2);
}

static int set_value(weft_app *app, const char *name, opt_type type, void *var, const char *val)
{
    char *end;
    if (type == OPT_CPUS) { /* "auto" (0), else a count */
        if (strcmp(val, "auto") == 0) {
            *(int *)var = 0;
            return 0;
        }
        if (strcmp(val, "0") == 0)
            die_usage(app, "--%s wants a count >= 1 or auto", name);
        type = OPT_INT;
    }
    switch (type) {
    case OPT_FLAG:
        *(int *)var = 1;
        return 0;
    case OPT_STR:
        *(const char **)var = val;
        return 0;
    case OPT_STRS: {
        weft_strlist *l = var;
        const char **items = realloc(l->items, (size_t)(l->n + 1) * sizeof *items);
        if (!items)
            abort();
        items[l->n++] = val;
        l->items = items;
        return 0;
    }
    case OPT_INT:
    case OPT_LONG:
    case OPT_U64:
    case OPT_SIZE: {
        errno = 0;
        long long v = strtoll(val, &end, 10);
        if (!*val || *end || errno || v < 0 || (type == OPT_INT && v > 0x7fffffff))
            die_usage(app, "invalid value for --%s", name);
        if (type == OPT_INT)
            *(int *)var = (int)v;
        else if (type == OPT_LONG)
            *(long *)var = (long)v;
        else if (type == OPT_U64)
            *(uint64_t *)var = (uint64_t)v;
        else
            *(size_t *)var = (size_t)v;
        return 0;
    }
    default:
        return 0;
    }
}

/* Finds --name / --name=value in the unclaimed arguments and claims it;
 * returns whether it was there. */
static int claim(weft_app *app, const char *name, opt_type type, void *var)
{
    int found = 0;
    size_t n = strlen(name);
    for (int i = 1; i < app->argc; i++) {
        const char *a = app->argv[i];
        if (!a || strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
            continue;
        const char *rest = a + 2 + n;
        if (*rest == '=') {
            if (type == OPT_FLAG)
                die_usage(app, "--%s takes no value", name);
            set_value(app, name, type, var, rest + 1);
            app->argv[i] = NULL;
            found = 1;
        } else if (*rest == '\0') {
            app->argv[i] = NULL;
            found = 1;
            if (type == OPT_FLAG) {
                set_value(app, name, type, var, NULL);
                continue;
            }
            if (i + 1 >= app->argc || !app->argv[i + 1])
                die_usage(app, "--%s needs a value", name);
            set_value(app, name, type, var, app->argv[i + 1]);
            app->argv[++i] = NULL;
        }
    }
    return found;
}

void weft__options_parse_common(weft_app *app)
{
    config_defaults(&app->cfg);
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (claim(app, common[i].name, common[i].type, (char *)&app->cfg + common[i].offset) &&
            common[i].offset == CFG(port))
            app->cfg.port_given = 1;
}

void weft_app_default_port(weft_app *app, int port)
{
    if (!app->cfg.port_given)
        app->cfg.port = port;
}

static void add_opt(weft_app *app, const char *name, opt_type type, void *var, const char *help)
{
    weft_opt *o = calloc(1, sizeof *o);
    if (!o)
        abort();
    *o = (weft_opt){NULL, name, type, var, help};
    weft_opt **tail = &app->opts;
    while (*tail)
        tail = &(*tail)->next;
    *tail = o;
    claim(app, name, type, var);
}

void weft_app_opt_int(weft_app *app, const char *name, long *var, const char *help)
{
    add_opt(app, name, OPT_LONG, var, help);
}

void weft_app_opt_str(weft_app *app, const char *name, const char **var, const char *help)
{
    add_opt(app, name, OPT_STR, var, help);
}

static void print_usage(weft_app *app)
{
    printf("usage: %s [options]\n\nweft server options:\n", app->prog);
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        printf("  --%-20s %s\n", common[i].name, common[i].help);
    if (app->opts)
        printf("\n%s options:\n", app->prog);
    for (weft_opt *o = app->opts; o; o = o->next) {
        if (o->type == OPT_LONG)
            printf("  --%-20s %s (%ld)\n", o->name, o->help, *(long *)o->var);
        else
            printf("  --%-20s %s (%s)\n", o->name, o->help,
                   *(const char **)o->var ? *(const char **)o->var : "none");
    }
}

/* Called by weft_app_run: handles --help and unclaimed arguments, checks
 * values. Returns -1 to go on, or an exit status. */
int weft__options_finish(weft_app *app)
{
    for (int i = 1; i < app->argc; i++) {
        const char *a = app->argv[i];
        if (!a)
            continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_usage(app);
            return 0;
        }
        fprintf(stderr, "%s: unknown option '%s'\nTry '%s --help'.\n", app->prog, a, app->prog);
        return 2;
    }
    weft_config *cfg = &app->cfg;
    int lvl = weft_log_level_parse(cfg->log_level);
    if (lvl < 0) {
        fprintf(stderr, "%s: unknown --log-level '%s'\n", app->prog, cfg->log_level);
        return 2;
    }
    weft_log_set_level(cfg->quiet && lvl < WEFT_LOG_WARN ? WEFT_LOG_WARN : (weft_log_level)lvl);
    if (cfg->io && weft_io_select(cfg->io)) {
        fprintf(stderr, "%s: --io takes uring, epoll or auto, not '%s'\n", app->prog, cfg->io);
        return 2;
    }
    if (cfg->processes == 0)
        cfg->processes = cpu_count();
    /* Under a master each worker process gets its part of the CPUs: as
     * many loop threads in all as there are CPUs, as nginx runs one
     * single-threaded worker per CPU. */
    if (cfg->loops == 0)
        cfg->loops = cfg->processes > 1 ? (cpu_count() + cfg->processes - 1) / cfg->processes
                                        : cpu_count();
    if (cfg->loops < 1 || cfg->loops > 256 || cfg->workers < 1 || cfg->port > 65535 ||
        cfg->limits.max_headers < 1 || cfg->h2_max_streams < 1) {
        fprintf(stderr, "%s: --loops, --workers, --max-headers, --h2-max-streams must be >= 1 "
                        "(loops <= 256) and --port <= 65535\n",
                app->prog);
        return 2;
    }
    if (cfg->processes > 256) {
        fprintf(stderr, "%s: --processes must be <= 256\n", app->prog);
        return 2;
    }
    if (cfg->tls_certs.n != cfg->tls_keys.n) {
        fprintf(stderr, "%s: give one --tls-key for each --tls-cert (%d certificates, %d keys)\n",
                app->prog, cfg->tls_certs.n, cfg->tls_keys.n);
        return 2;
    }
    if (cfg->redirect_http_port >= 0 && (!cfg->tls_certs.n || cfg->redirect_http_port > 65535)) {
        fprintf(stderr, "%s: --redirect-http needs --tls-cert and a port <= 65535\n", app->prog);
        return 2;
    }
    return -1;
}

void weft__options_free(weft_app *app)
{
    free(app->cfg.tls_certs.items);
    free(app->cfg.tls_keys.items);
    app->cfg.tls_certs = app->cfg.tls_keys = (weft_strlist){0};
    while (app->opts) {
        weft_opt *next = app->opts->next;
        free(app->opts);
        app->opts = next;
    }
}
