/* test_starvation.c - what weft says about a starved sync pool: the
 * advisor names the sync route that holds the workers while waiting on a
 * backend, and a shed request's Retry-After follows the queue's drain
 * rate, capped by --retry-after. Real servers over loopback. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt.h"

typedef struct client {
    int port;
    const char *req;
    long until_ms;
    int shed;             /* 503s seen */
    char first_retry[16]; /* Retry-After of the first 503 */
    long first_at;        /* when (ms since the start) */
    char late_retry[16];  /* Retry-After of a 503 after a second of load */
    long start;
} client;

static void *keep_asking(void *arg)
{
    client *c = arg;
    while (wt_now_ms() < c->until_ms) {
        wt_response r;
        int st = wt_request(c->port, c->req, &r);
        if (st == 503) {
            char v[16] = "";
            wt_header(&r, "Retry-After", v, sizeof v);
            if (!c->shed++) {
                memcpy(c->first_retry, v, sizeof v);
                c->first_at = wt_now_ms() - c->start;
            }
            if (wt_now_ms() - c->start > 1500)
                memcpy(c->late_retry, v, sizeof v);
            usleep(20000);
        }
        if (st > 0)
            wt_response_free(&r);
    }
    return NULL;
}

static void load(client *cs, int n, int port, const char *req, long ms)
{
    pthread_t t[64];
    long start = wt_now_ms();
    for (int i = 0; i < n; i++) {
        cs[i] = (client){.port = port, .req = req, .until_ms = start + ms, .start = start};
        pthread_create(&t[i], NULL, keep_asking, &cs[i]);
    }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

/* The "NN% of it waiting" figure of the advisor's line, or -1. */
static int waiting_share(const wt_server *s)
{
    FILE *f = fopen(s->log_path, "r");
    char line[4096];
    int share = -1;
    while (f && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "% of it waiting");
        if (!p)
            continue;
        while (p > line && p[-1] >= '0' && p[-1] <= '9')
            p--;
        share = atoi(p);
    }
    if (f)
        fclose(f);
    return share;
}

/* pgw-front's /gizmos is the seeds' synchronous page: a worker waits 500 ms
 * on the backend. With 2 workers and 20 clients the pool stays full; after
 * 3 s the advisor names the route and says the time was waiting. */
static void advisor_names_the_waiting_sync_route(void **state)
{
    (void)state;
    wt_server backend, front;
    const char *bargs[] = {"--quiet", NULL};
    wt_start(&backend, "pgw-backend", bargs);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", backend.port);
    const char *fargs[] = {"--backend",      url,   "--workers", "2",
                           "--queue-length", "100", "--quiet",   NULL};
    wt_start(&front, "pgw-front", fargs);
    client cs[20];
    load(cs, 20, front.port, "GET /gizmos HTTP/1.1\r\nHost: t\r\n\r\n", 4500);
    assert_true(wt_wait_log(&front, "thread-pool starvation", 2000));
    assert_true(wt_log_contains(&front, "all 2 sync workers busy"));
    assert_true(wt_log_contains(&front, "GET /gizmos (100% of worker time"));
    /* the worker time was nearly all waiting on the backend */
    int waiting = waiting_share(&front);
    printf("the advisor says %d%% of the workers' time was waiting\n", waiting);
    assert_true(waiting >= 90);
    assert_true(wt_log_contains(&front, "make it WEFT_ASYNC"));
    assert_int_equal(wt_stop(&front, 15, 10000), 0);
    assert_int_equal(wt_stop(&backend, 15, 5000), 0);
}

/* 2 workers on /sleep?ms=200 drain 10 jobs a second: once that is
 * measured, a shed request is told to come back in 1 s; before anything
 * finished, the cap (--retry-after 9). */
static void retry_after_follows_the_drain_rate(void **state)
{
    (void)state;
    wt_server s;
    const char *args[] = {"--loops",       "1", "--workers", "2", "--queue-length", "2",
                          "--retry-after", "9", "--quiet",   NULL};
    wt_start(&s, "weft-hello", args);
    client cs[12];
    load(cs, 12, s.port, "GET /sleep?ms=200 HTTP/1.1\r\nHost: t\r\n\r\n", 3000);
    int early_cap = 0, late_drain = 0, shed = 0;
    for (int i = 0; i < 12; i++) {
        shed += cs[i].shed;
        if (cs[i].shed && cs[i].first_at < 150)
            early_cap += strcmp(cs[i].first_retry, "9") == 0;
        late_drain += strcmp(cs[i].late_retry, "1") == 0;
    }
    printf("%d shed; %d first answers at the cap, %d late answers of 1 s\n", shed, early_cap,
           late_drain);
    assert_true(shed > 0);
    assert_true(early_cap > 0);
    assert_true(late_drain > 0);
    assert_int_equal(wt_stop(&s, 15, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(advisor_names_the_waiting_sync_route),
        cmocka_unit_test(retry_after_follows_the_drain_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
