/* clientbench.c - S7: requests per second of weft's HTTP client alone.
 *
 *   build/bin/weft-clientbench URL CONCURRENCY SECONDS
 *
 * One loop thread; CONCURRENCY fibers each call URL again as soon as the
 * previous call completes, for SECONDS. Prints calls/s and errors. */
#include <stdio.h>
#include <stdlib.h>

#include "weft/loop.h"
#include "weft/client.h"
#include "weft/fiber.h"

static const char *url;
static uint64_t until_ms, done_calls, errors;
static int running;

static void caller(void *arg)
{
    weft_scope *s = arg;
    while (weft_now_ms() < until_ms) {
        weft_task *t = weft_http_get(NULL, url);
        int err = weft_await(t);
        if (err || ((weft_http_response *)weft_task_value(t))->status != 200)
            errors++;
        else
            done_calls++;
        weft_task_unref(t);
    }
    (void)s;
    if (--running == 0)
        weft_loop_stop(weft_loop_current());
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s URL CONCURRENCY SECONDS\n", argv[0]);
        return 2;
    }
    url = argv[1];
    int conc = atoi(argv[2]);
    double secs = atof(argv[3]);
    weft_loop *loop = weft_loop_new();
    if (!loop)
        return 1;
    weft_client_config cfg = {.max_conns_per_endpoint = conc};
    weft_client_configure(&cfg);
    uint64_t t0 = weft_now_ms();
    until_ms = t0 + (uint64_t)(secs * 1000);
    for (int i = 0; i < conc; i++) {
        running++;
        weft_fiber_spawn(caller, NULL, NULL);
    }
    while (running > 0)
        weft_loop_run(loop); /* the last caller stops it */
    double elapsed = (double)(weft_now_ms() - t0) / 1000.0;
    printf("calls %llu errors %llu seconds %.2f calls_per_s %.0f\n", (unsigned long long)done_calls,
           (unsigned long long)errors, elapsed, (double)done_calls / elapsed);
    weft_loop_free(loop); /* with the client's connections */
    return 0;
}
