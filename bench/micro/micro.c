/* micro.c - S6 runtime micro-benchmarks: nanoseconds per operation for the
 * task, await, when_all, fiber and weft_run paths, the timers under a
 * server's load, and the request parser's
 * throughput on a fixed corpus. Each figure is the median of RUNS runs.
 *
 *   build/bin/weft-micro [--csv FILE] [NAME...]
 *
 * With NAMEs, only the benchmarks whose names contain one of them run (for
 * perf record on one path). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft/loop.h"
#include "weft/fiber.h"
#include "weft/http.h"
#include "weft/pool.h"
#include "weft/task.h"

#define RUNS 9

static weft_loop *loop;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef double (*bench_fn)(long n);

static double median_ns(bench_fn fn, long n)
{
    double v[RUNS];
    fn(n / 10); /* warm up caches, stack pool, allocator */
    for (int i = 0; i < RUNS; i++)
        v[i] = fn(n);
    qsort(v, RUNS, sizeof v[0], cmp_double);
    return v[RUNS / 2];
}

static double per_op(uint64_t t0, long n)
{
    return (double)(weft_now_ns() - t0) / (double)n;
}

/* task create + complete (+ release) */
static double b_task(long n)
{
    uint64_t t0 = weft_now_ns();
    for (long i = 0; i < n; i++) {
        weft_task *t = weft_task_new(NULL);
        weft_task_resolve(t, NULL, NULL);
        weft_task_unref(t);
    }
    return per_op(t0, n);
}

/* await round trip: a fiber parks on a pending task, the loop completes
 * it, the fiber resumes (task made and completed inside the loop too) */
static weft_task *pending;
static void awaiter(void *arg)
{
    long n = *(long *)arg;
    for (long i = 0; i < n; i++) {
        weft_task *t = weft_task_new(NULL);
        pending = t;
        weft_await(t);
        weft_task_unref(t);
    }
    pending = NULL;
}

static double b_await(long n)
{
    uint64_t t0 = weft_now_ns();
    weft_fiber_spawn(awaiter, &n, NULL);
    while (pending) {
        weft_task_resolve(pending, NULL, NULL);
        weft_fiber_run_ready(); /* what the loop's check phase does */
    }
    return per_op(t0, n);
}

/* the same loop without the await: what the task alone costs, so the
 * switch pair can be told apart */
static double b_await_net(long n)
{
    return b_await(n) - b_task(n);
}

/* the floor under any await: two bare stack switches (there and back),
 * no scheduler, no task; what the hardware charges for a context switch */
static double b_raw_switch(long n)
{
    return weft_fiber_switch_pair_ns(n);
}

static double b_when_all3(long n)
{
    uint64_t t0 = weft_now_ns();
    for (long i = 0; i < n; i++) {
        weft_task *t[3] = {weft_task_new(NULL), weft_task_new(NULL), weft_task_new(NULL)};
        weft_task *all = weft_when_all(NULL, t, 3);
        for (int k = 0; k < 3; k++) {
            weft_task_resolve(t[k], NULL, NULL);
            weft_task_unref(t[k]);
        }
        weft_task_unref(all);
    }
    return per_op(t0, n);
}

static void noop(void *arg)
{
    (void)arg;
}

static double b_fiber(long n)
{
    uint64_t t0 = weft_now_ns();
    for (long i = 0; i < n; i++)
        weft_fiber_spawn(noop, NULL, NULL);
    return per_op(t0, n);
}

/* weft_run round trip: hand a no-op to the pool, await its completion
 * posted back to the loop (two thread hand-offs and a wake-up) */
static void *work_noop(void *arg)
{
    return arg;
}

static int run_done;
static void runner(void *arg)
{
    long n = *(long *)arg;
    for (long i = 0; i < n; i++) {
        weft_task *t = weft_run(NULL, work_noop, NULL, NULL);
        weft_await(t);
        weft_task_unref(t);
    }
    run_done = 1;
    weft_loop_stop(loop);
}

static double b_run(long n)
{
    run_done = 0;
    uint64_t t0 = weft_now_ns();
    weft_fiber_spawn(runner, &n, NULL);
    while (!run_done)
        weft_loop_run(loop);
    return per_op(t0, n);
}

/* The same round trip while other jobs occupy part of a pool of its own:
 * `occupy` jobs run on a pool of `threads` workers for the whole
 * measurement, either blocked (as a sync handler waiting on a database)
 * or spinning on a core (CPU work). */
static _Atomic int release_occupiers;
static void *occupy_blocked(void *arg)
{
    (void)arg;
    struct timespec ms = {0, 1000000};
    while (!atomic_load(&release_occupiers))
        nanosleep(&ms, NULL);
    return NULL;
}
static void *occupy_cpu(void *arg)
{
    (void)arg;
    while (!atomic_load(&release_occupiers))
        ;
    return NULL;
}

static double run_beside(long n, unsigned threads, unsigned occupy, void *(*occupier)(void *))
{
    weft_pool *shared = weft_pool_default();
    weft_pool *pool = weft_pool_new(threads, 1024, 0);
    weft_pool_set_default(pool);
    atomic_store(&release_occupiers, 0);
    weft_task *busy[8];
    for (unsigned i = 0; i < occupy; i++)
        busy[i] = weft_run(NULL, occupier, NULL, NULL);
    double ns = b_run(n);
    atomic_store(&release_occupiers, 1);
    for (unsigned i = 0; i < occupy; i++) {
        weft_task_run(busy[i]);
        weft_task_unref(busy[i]);
    }
    weft_pool_stop(pool, 1000);
    weft_pool_free(pool);
    weft_pool_set_default(shared);
    return ns;
}

/* four workers, two of them blocked in jobs */
static double b_run_half_blocked(long n)
{
    return run_beside(n, 4, 2, occupy_blocked);
}

/* two workers, one of them busy on a core (this machine has two) */
static double b_run_half_cpu(long n)
{
    return run_beside(n, 2, 1, occupy_cpu);
}

/* timers as a server holds them: LIVE requests in flight, each with a
 * deadline timer inside its own larger struct (so the timers are spread
 * over memory as request contexts are); each op ends the oldest request
 * (give or take a few: answers do not come back in exact order) - its
 * timer stopped - and starts a new one with the same time-out. Two kinds
 * of time-out alternate, as a request deadline and a backend call's. */
#define LIVE 16384
typedef struct {
    weft_timer t;
    char rest[448];
} fake_request;
static void never(weft_timer *t)
{
    (void)t;
    abort(); /* 30 s time-outs; the benchmark ends long before */
}

static double b_timer_churn(long n)
{
    static fake_request *reqs;
    static unsigned order[LIVE];
    if (!reqs) {
        if (!(reqs = calloc(LIVE, sizeof *reqs)))
            abort();
        for (unsigned i = 0; i < LIVE; i++)
            order[i] = i;
        srand(7);
        for (unsigned i = 0; i + 8 < LIVE; i += 8) /* a little out of order */
            for (unsigned k = 0; k < 8; k++) {
                unsigned j = i + (unsigned)rand() % 8, tmp = order[i + k];
                order[i + k] = order[j];
                order[j] = tmp;
            }
        for (unsigned i = 0; i < LIVE; i++)
            weft_timer_start(loop, &reqs[i].t, 30000 + (i & 1) * 5000, never);
    }
    uint64_t t0 = weft_now_ns();
    for (long i = 0; i < n; i++) {
        fake_request *r = &reqs[order[i % LIVE]];
        weft_timer_stop(loop, &r->t);
        weft_timer_start(loop, &r->t, 30000 + (i & 1) * 5000, never);
    }
    return per_op(t0, n);
}

/* parser: a corpus of real-looking requests, parsed back to back */
static const char *corpus[] = {
    "GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nAccept: text/plain,text/html;q=0.9,"
    "application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\nConnection: keep-alive\r\n\r\n",
    "GET /api/gizmos?delay=500 HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUser-Agent: Mozilla/5.0 (X11; "
    "Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n"
    "Accept: application/json\r\nAccept-Encoding: gzip, deflate, br\r\nAccept-Language: "
    "en-US,en;q=0.9\r\nCookie: session=3f9a0c2e7d; theme=dark\r\nReferer: "
    "http://127.0.0.1:8080/pwg-async\r\n\r\n",
    "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    "Content-Length: 27\r\n\r\n",
    "GET /json HTTP/1.1\r\nHost: localhost:8080\r\nAccept: */*\r\n\r\n",
};
static double parser_bytes;

static double b_parser(long n)
{
    static weft_header hdrs[100];
    weft_http_limits lim = WEFT_HTTP_LIMITS_DEFAULT;
    size_t k = sizeof corpus / sizeof corpus[0];
    size_t lens[8];
    double bytes = 0;
    for (size_t i = 0; i < k; i++)
        lens[i] = strlen(corpus[i]);
    uint64_t t0 = weft_now_ns();
    for (long i = 0; i < n; i++) {
        weft_http_req req;
        size_t j = (size_t)i % k;
        if (weft_http_parse_request(corpus[j], lens[j], &req, hdrs, 100, &lim) <= 0)
            abort();
        bytes += (double)lens[j];
    }
    parser_bytes = bytes / (double)n;
    return per_op(t0, n);
}

int main(int argc, char **argv)
{
    const char *csv = NULL;
    int first_name = 1;
    if (argc > 2 && strcmp(argv[1], "--csv") == 0) {
        csv = argv[2];
        first_name = 3;
    }
    if (!(loop = weft_loop_new()))
        return 1;
    weft_pool *pool = weft_pool_new(1, 1024, 0);
    weft_pool_set_default(pool);

    struct {
        const char *name;
        bench_fn fn;
        long n;
    } benches[] = {
        {"task_create_complete", b_task, 2000000},
        {"await_round_trip", b_await, 2000000},
        {"await_switch_pair_net", b_await_net, 2000000},
        {"raw_switch_pair", b_raw_switch, 2000000},
        {"when_all_of_3", b_when_all3, 500000},
        {"fiber_spawn_finish", b_fiber, 2000000},
        {"weft_run_round_trip", b_run, 50000},
        {"weft_run_rt_half_blocked", b_run_half_blocked, 50000},
        {"weft_run_rt_half_cpu", b_run_half_cpu, 50000},
        {"timer_stop_start_16k_live", b_timer_churn, 2000000},
        {"parse_request", b_parser, 2000000},
    };
    FILE *out = csv ? fopen(csv, "w") : NULL;
    if (out)
        fprintf(out, "benchmark,ns_per_op\n");
    printf("S6 micro-benchmarks (median of %d runs)\n", RUNS);
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) {
        int wanted = first_name >= argc;
        for (int a = first_name; a < argc && !wanted; a++)
            wanted = strstr(benches[i].name, argv[a]) != NULL;
        if (!wanted)
            continue;
        double ns = median_ns(benches[i].fn, benches[i].n);
        printf("  %-24s %10.1f ns/op\n", benches[i].name, ns);
        if (out)
            fprintf(out, "%s,%.1f\n", benches[i].name, ns);
        if (benches[i].fn == b_parser)
            printf("  %-24s %10.0f requests/s, %.0f MB/s (%.0f bytes/request)\n", "parser",
                   1e9 / ns, parser_bytes * 1e9 / ns / 1e6, parser_bytes);
    }
    if (out)
        fclose(out);
    weft_pool_stop(pool, 1000);
    weft_pool_free(pool);
    return 0;
}
