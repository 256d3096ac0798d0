/* worker.c - a worker process's side of --processes: its crash report,
 * its readiness, and statistics over all the workers.
 *
 * Crash report: a fatal signal (a handler's bad pointer, an abort) is
 * caught once, on the thread that took it: what that thread was running
 * - the route on a loop (the stall detector's record) or on a pool
 * thread - goes into the worker's shared slot and to stderr, with only
 * async-signal-safe calls; then the signal takes its default course. The
 * master names the route when it logs the death.
 *
 * Statistics: a scrape of /metrics or the status page reaches one worker,
 * chosen by the kernel. So every worker publishes its own snapshot into
 * its slot each second (a sequence count makes a torn read visible), and
 * a statistics source of its own adds the other live workers' latest to
 * every snapshot it takes: /metrics, /_status and weft_stats_snapshot
 * answer for the whole server, the other workers' part up to a second
 * old. A worker that is replaced takes its counts with it: the totals
 * drop, which Prometheus's rate() reads as a counter reset. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/log.h"
#include "../base/sanitizers.h"
#include "app_int.h"
#include "procs.h"

#define PUBLISH_MS 1000


struct weft_worker {
    weft_app *app;
    weft_procs *procs;
    int slot;
    weft_timer publish;
    weft_stat_source peers;
};

/* ---- the crash report -------------------------------------------------------- */

static weft_proc_slot *crash_slot;

static size_t put(char *buf, size_t len, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (len + n > cap)
        n = cap - len;
    memcpy(buf + len, s, n);
    return len + n;
}

static const char *running_here(void)
{
    weft_loop *loop = weft_loop_current();
    uint64_t since;
    const char *what = loop ? weft__loop_what_runs(loop, &since) : NULL;
    return what ? what : weft__sync_route_running();
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    const char *what = running_here();
    weft_proc_slot *s = crash_slot;
    if (s) {
        size_t n = what ? strlen(what) : 0;
        if (n >= sizeof s->crashed_in)
            n = sizeof s->crashed_in - 1;
        memcpy(s->crashed_in, what ? what : "", n);
        s->crashed_in[n] = '\0';
        atomic_store(&s->crash_signal, sig);
    }
    char msg[256];
    size_t len = put(msg, 0, sizeof msg - 1, "weft: worker crashed on a fatal signal");
    if (what) {
        len = put(msg, len, sizeof msg - 1, " while running '");
        len = put(msg, len, sizeof msg - 1, what);
        len = put(msg, len, sizeof msg - 1, "'");
    }
    msg[len++] = '\n';
    ssize_t w = write(2, msg, len);
    (void)w;
    /* SA_RESETHAND put the default action back; raised again, it ends
     * the process once this handler returns (a fault re-faults anyway). */
    raise(sig);
}

static void watch_crashes(weft_proc_slot *slot)
{
    crash_slot = slot;
#if !WEFT_ASAN /* AddressSanitizer reports fatal signals itself */
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);
#else
    (void)on_fatal; /* AddressSanitizer's report names the frame instead */
#endif
}

/* ---- statistics over all workers ----------------------------------------------- */

static void publish(weft_worker *w)
{
    weft_stats *own = weft__stats_snapshot_own();
    if (!own)
        return;
    weft_proc_slot *s = &w->procs->slots[w->slot];
    atomic_fetch_add(&s->seq, 1); /* odd: being written */
    memcpy(&s->stats, own, sizeof *own);
    atomic_fetch_add(&s->seq, 1);
    weft_stats_free(own);
}

static void on_publish(weft_timer *t)
{
    weft_worker *w = (weft_worker *)((char *)t - offsetof(weft_worker, publish));
    publish(w);
    weft_timer_start(&w->app->ctl, &w->publish, PUBLISH_MS, on_publish);
}

/* Copies a slot's stats if no write overlapped the copy; 0 if it did. */
static int read_slot(weft_proc_slot *s, weft_stats *out)
{
    for (int tries = 0; tries < 4; tries++) {
        unsigned before = atomic_load(&s->seq);
        if (before & 1)
            continue;
        memcpy(out, &s->stats, sizeof *out);
        if (atomic_load(&s->seq) == before)
            return before != 0; /* 0: nothing published yet */
    }
    return 0;
}

static void collect_peers(weft_stat_source *src, weft_stats *out)
{
    weft_worker *w = (weft_worker *)((char *)src - offsetof(weft_worker, peers));
    weft_stats *peer = malloc(sizeof *peer);
    if (!peer)
        return;
    for (int i = 0; i < w->procs->nslots; i++) {
        weft_proc_slot *s = &w->procs->slots[i];
        if (i != w->slot && atomic_load(&s->pid) != 0 && read_slot(s, peer))
            weft__stats_merge(out, peer);
    }
    free(peer);
}

weft_worker *weft__worker_begin(weft_app *app, weft_procs *procs, int slot)
{
    weft_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->app = app;
    w->procs = procs;
    w->slot = slot;
    watch_crashes(&procs->slots[slot]);
    char name[24];
    snprintf(name, sizeof name, "worker %d", slot + 1);
    weft__log_set_tag(name);
    w->peers.collect = collect_peers;
    w->peers.peers = 1;
    weft__stats_register(&w->peers);
    return w;
}

void weft__worker_ready(weft_worker *w)
{
    if (!w)
        return;
    publish(w);
    weft_timer_start(&w->app->ctl, &w->publish, PUBLISH_MS, on_publish);
    atomic_store(&w->procs->slots[w->slot].ready, 1);
    kill(getppid(), SIGUSR1);
}

void weft__worker_stop_publishing(weft_worker *w)
{
    if (w)
        weft_timer_stop(&w->app->ctl, &w->publish);
}

void weft__worker_end(weft_worker *w)
{
    if (!w)
        return;
    weft__stats_unregister(&w->peers);
    crash_slot = NULL;
    free(w);
}
