/* weft-fetch - fetches several URLs at once and prints their statuses.
 *
 *     weft-fetch [--timeout MS] URL...
 *
 * A command-line tool on weft's public API alone, with no server: one loop
 * of its own (weft_loop_new), one scope whose deadline covers every call,
 * the calls started together and awaited with weft_when_all, which fails
 * fast: the first error ends the wait, and what is still running is
 * canceled with the scope. Each URL's line says its status (or why it has
 * none) and how long it took. Exit status: 0 when every URL answered
 * 2xx/3xx, 1 otherwise, 2 on bad arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

typedef struct fetch {
    const char *url;
    weft_task *task;
    uint64_t started_ns, ended_ns;
} fetch;

static void note_end(weft_task *t, void *arg)
{
    (void)t;
    ((fetch *)arg)->ended_ns = weft_now_ns();
}

static int usage(const char *prog)
{
    fprintf(stderr, "usage: %s [--timeout MS] URL...\n"
                    "  fetches the URLs concurrently under one deadline (default 10000 ms)\n",
            prog);
    return 2;
}

/* One line per URL; returns 1 if the URL counts as failed. */
static int report(const fetch *f)
{
    if (!weft_task_done(f->task)) {
        printf("%-7s %9s  %s  (canceled: another URL failed first)\n", "-", "-", f->url);
        return 1;
    }
    double ms = (double)(f->ended_ns - f->started_ns) / 1e6;
    int err = weft_task_err(f->task);
    if (err) {
        const char *name = weft_err_name(err);
        if (strncmp(name, "WEFT_", 5) == 0)
            name += 5;
        printf("%-7s %7.1f ms  %s  (%s)\n", name, ms, f->url, weft_strerror(err));
        return 1;
    }
    const weft_http_response *r = weft_task_value(f->task);
    printf("%-7d %7.1f ms  %s  (%zu bytes%s)\n", r->status, ms, f->url, r->body_len,
           r->reused ? ", reused connection" : "");
    return r->status >= 400;
}

int main(int argc, char **argv)
{
    long timeout_ms = 10000;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--timeout") == 0) {
        char *end;
        timeout_ms = strtol(argv[2], &end, 10);
        if (*end || timeout_ms <= 0)
            return usage(argv[0]);
        first = 3;
    }
    int n = argc - first;
    if (n <= 0 || argv[first][0] == '-')
        return usage(argv[0]);

    weft_loop *loop = weft_loop_new();
    fetch *f = calloc((size_t)n, sizeof *f);
    weft_task **tasks = calloc((size_t)n, sizeof *tasks);
    if (!loop || !f || !tasks) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    weft_scope *s = weft_scope_new(NULL, timeout_ms); /* one deadline for all */
    uint64_t t0 = weft_now_ns();
    for (int i = 0; i < n; i++) {
        f[i].url = argv[first + i];
        f[i].started_ns = weft_now_ns();
        f[i].task = tasks[i] = weft_http_get(s, f[i].url);
        weft_task_then(f[i].task, note_end, &f[i]);
    }
    int err = weft_task_run(weft_when_all(s, tasks, (size_t)n));

    int failed = 0;
    for (int i = 0; i < n; i++)
        failed += report(&f[i]);
    const char *why = NULL;
    if (err && (!weft_scope_failure(s, &why) || !why || !*why))
        why = weft_strerror(err); /* no call reported more than its code */
    printf("%d of %d ok in %.1f ms%s%s\n", n - failed, n, (double)(weft_now_ns() - t0) / 1e6,
           err ? "; first failure: " : "", err ? why : "");
    weft_scope_free(s); /* cancels what still runs */
    weft_loop_free(loop);
    free(tasks);
    free(f);
    return failed ? 1 : 0;
}
