/* advisor.c - the starvation advisor: when every sync worker has been busy
 * with requests queued behind them for a few seconds, say once a minute
 * which WEFT_SYNC routes hold the workers and how much of that time they
 * only wait (on outbound calls), with the seeds' advice: make them
 * WEFT_ASYNC. Runs on the control loop once a second; reads the pool's
 * figures and the statistics snapshot, never a loop's state. */
#include <stdio.h>

#include "app_int.h"

#define CHECK_MS 1000
#define SATURATED_FOR_S 3     /* seconds in a row before saying anything */
#define ADVISE_EVERY_MS 60000 /* at most once a minute */
#define TOP 3

struct weft_advisor {
    weft_app *app;
    weft_timer tick;
    int saturated_s;
    uint64_t last_advice_ms; /* 0: never */
    uint64_t *seen_us;       /* each route's worker time at the last advice */
    uint64_t *seen_wait_us;
};

static void advise(weft_advisor *a, const weft_pool_stats *ps)
{
    weft_stats *st = weft_stats_snapshot();
    if (!st)
        return;
    size_t n = st->server.nroutes;
    size_t top[TOP];
    uint64_t held[TOP] = {0}, total = 0;
    size_t ntop = 0;
    for (size_t r = 0; r < n; r++) {
        const weft_route_stats *rs = &st->server.routes[r];
        uint64_t d = rs->sync ? rs->worker_us - a->seen_us[r] : 0;
        total += d;
        for (size_t k = 0; k < TOP; k++) /* insertion into the top few */
            if (d > held[k]) {
                for (size_t m = TOP - 1; m > k; m--) {
                    held[m] = held[m - 1];
                    top[m] = top[m - 1];
                }
                held[k] = d;
                top[k] = r;
                if (ntop < TOP)
                    ntop++;
                break;
            }
    }
    char list[512] = "";
    size_t len = 0;
    for (size_t k = 0; k < ntop && len < sizeof list; k++) {
        const weft_route_stats *rs = &st->server.routes[top[k]];
        uint64_t waited = rs->worker_wait_us - a->seen_wait_us[top[k]];
        len += (size_t)snprintf(list + len, sizeof list - len,
                                "%s%s (%.0f%% of worker time, %.0f%% of it waiting on outbound "
                                "calls)",
                                k ? "; " : "", rs->name, 100.0 * (double)held[k] / (double)total,
                                100.0 * (double)waited / (double)held[k]);
    }
    if (ntop)
        weft_warn("thread-pool starvation: all %llu sync workers busy with %llu requests queued "
                  "for %d s; the routes holding them: %s. A handler that waits on a backend "
                  "holds a thread for nothing: make it WEFT_ASYNC and await the call",
                  (unsigned long long)ps->threads, (unsigned long long)ps->queued, a->saturated_s,
                  list);
    for (size_t r = 0; r < n; r++) {
        a->seen_us[r] = st->server.routes[r].worker_us;
        a->seen_wait_us[r] = st->server.routes[r].worker_wait_us;
    }
    weft_stats_free(st);
}

static void on_tick(weft_timer *t)
{
    weft_advisor *a = (weft_advisor *)((char *)t - offsetof(weft_advisor, tick));
    weft_app *app = a->app;
    weft_timer_start(&app->ctl, &a->tick, CHECK_MS, on_tick);
    weft_pool_stats ps;
    weft_pool_get_stats(app->pool, &ps);
    if (ps.busy < ps.threads || ps.queued == 0) {
        a->saturated_s = 0;
        return;
    }
    uint64_t now = weft_now_ms();
    if (++a->saturated_s >= SATURATED_FOR_S &&
        (!a->last_advice_ms || now - a->last_advice_ms >= ADVISE_EVERY_MS)) {
        a->last_advice_ms = now;
        advise(a, &ps);
    }
}

weft_advisor *weft__advisor_start(weft_app *app)
{
    weft_advisor *a = calloc(1, sizeof *a);
    size_t n = (size_t)app->nroutes + 1;
    if (!a || !(a->seen_us = calloc(n, sizeof *a->seen_us)) ||
        !(a->seen_wait_us = calloc(n, sizeof *a->seen_wait_us))) {
        if (a)
            free(a->seen_us);
        free(a);
        return NULL;
    }
    a->app = app;
    weft_timer_start(&app->ctl, &a->tick, CHECK_MS, on_tick);
    return a;
}

void weft__advisor_stop(weft_advisor *a)
{
    if (!a)
        return;
    weft_timer_stop(&a->app->ctl, &a->tick);
    free(a->seen_us);
    free(a->seen_wait_us);
    free(a);
}
