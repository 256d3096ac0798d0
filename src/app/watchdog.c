/* watchdog.c - the stall detector: a thread that notices a loop which has
 * not turned for more than --stall-ms and names what holds it.
 *
 * A loop that is idle waits in its poll; one that is busy runs callbacks,
 * and a callback that blocks - the classic mistake of a blocking call in
 * an async handler - holds every request of that loop. The watchdog posts
 * a ping to each loop and expects it answered within --stall-ms; while it
 * is not, it logs once a second which handler runs on that loop and for
 * how long (the loop's record, weft__loop_mark, set around every handler
 * and fiber run). The loop says when the stall is over. The ping's round
 * trip is also the loop's lag, the longest of which the statistics keep.
 * On the first report of a stall the loop thread also writes its own
 * backtrace to stderr (weft__loop_dump_stack). The thread never touches a
 * loop's state but through posts, atomics and that signal. */
#include <pthread.h>
#include <time.h>

#include "app_int.h"

#define REPORT_EVERY_NS 1000000000ull

struct weft_watchdog {
    pthread_t thread;
    weft_app *app;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

/* On the loop: the ping arrived, so the loop turns. */
static void on_ping(weft_post *p)
{
    weft_sloop *sl = (weft_sloop *)((char *)p - offsetof(weft_sloop, ping));
    uint64_t lag_ns = weft_now_ns() - atomic_load(&sl->ping_sent_ns);
    weft__count_max(&sl->lag_us_max, lag_ns / 1000);
    atomic_store_explicit(&sl->lag_us_last, lag_ns / 1000, memory_order_relaxed);
    if (atomic_exchange(&sl->stall_reported, 0))
        weft_warn("loop %d turns again after %llu ms", weft_loop_index(&sl->loop),
                  (unsigned long long)(lag_ns / 1000000));
    atomic_store(&sl->ping_pending, 0);
}

static void check_loop(weft_sloop *sl, uint64_t now, uint64_t stall_ns, uint64_t *last_report)
{
    if (!atomic_load(&sl->ping_pending)) {
        atomic_store(&sl->ping_sent_ns, now);
        atomic_store(&sl->ping_pending, 1);
        sl->ping.fn = on_ping;
        weft_loop_post(&sl->loop, &sl->ping);
        return;
    }
    uint64_t waited = now - atomic_load(&sl->ping_sent_ns);
    if (waited < stall_ns || now - *last_report < REPORT_EVERY_NS)
        return;
    int first = !atomic_exchange(&sl->stall_reported, 1);
    if (first)
        weft__count(&sl->stalls, 1); /* one stall, however many reports */
    *last_report = now;
    uint64_t since_ms;
    const char *what = weft__loop_what_runs(&sl->loop, &since_ms);
    uint64_t now_ms = now / 1000000;
    if (what)
        weft_warn("loop %d stalled for %llu ms: handler '%s' has been running for %llu ms "
                  "without returning to the loop (a blocking call in an async or callback "
                  "handler? make it WEFT_SYNC or await instead)",
                  weft_loop_index(&sl->loop), (unsigned long long)(waited / 1000000), what,
                  (unsigned long long)(now_ms > since_ms ? now_ms - since_ms : 0));
    else
        weft_warn("loop %d stalled for %llu ms outside any handler", weft_loop_index(&sl->loop),
                  (unsigned long long)(waited / 1000000));
    if (first) /* where it is stuck, once per stall */
        weft__loop_dump_stack(&sl->loop);
}

static void *watch(void *arg)
{
    weft_watchdog *w = arg;
    weft_app *app = w->app;
    uint64_t stall_ns = (uint64_t)app->cfg.stall_ms * 1000000u;
    uint64_t period_ns = stall_ns / 4 > 5000000u ? stall_ns / 4 : 5000000u;
    uint64_t *last_report = calloc((size_t)app->nloops, sizeof *last_report);
    pthread_mutex_lock(&w->mu);
    while (!w->stop && last_report) {
        uint64_t now = weft_now_ns();
        for (int i = 0; i < app->nloops; i++)
            check_loop(&app->loops[i], now, stall_ns, &last_report[i]);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        uint64_t ns = (uint64_t)until.tv_nsec + period_ns;
        until.tv_sec += (time_t)(ns / 1000000000u);
        until.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&w->cv, &w->mu, &until);
    }
    pthread_mutex_unlock(&w->mu);
    free(last_report);
    return NULL;
}

weft_watchdog *weft__watchdog_start(weft_app *app)
{
    if (app->cfg.stall_ms <= 0)
        return NULL;
    weft_watchdog *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->app = app;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    sigset_t old;
    weft__block_signals_for_thread(&old); /* signals are the control loop's */
    int rc = pthread_create(&w->thread, NULL, watch, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        free(w);
        return NULL;
    }
    return w;
}

void weft__watchdog_stop(weft_watchdog *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}
