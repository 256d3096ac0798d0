/* timer.c - per-loop heap of intrusive one-shot timers.
 *
 * Owns the heap array and the loop's timerfd, which is always set to the
 * earliest deadline (and its poll handle stopped when the heap is empty,
 * so an idle loop can exit). Delays, request deadlines and time-outs all
 * live here: none of them creates a libuv handle, so none needs an
 * asynchronous close. Loop thread only.
 *
 * Deadlines are kept in nanoseconds of the monotonic clock, taken when
 * the timer starts, and the timerfd wakes the loop at that instant. A uv
 * timer counts in the loop's cached milliseconds and epoll waits whole
 * milliseconds, so a 500 ms delay used to end 500.8 ms after it started
 * on average (S2 in docs/benchmarks.md); now it ends within 0.1 ms (the
 * window timers are batched in) of 500 ms, never before. */
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

typedef struct weft_timer_ent ent;

static int before(const ent *a, const ent *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void place(weft_loop *l, size_t i, ent e)
{
    l->heap[i] = e;
    e.t->idx = i + 1;
}

static void sift_up(weft_loop *l, size_t i)
{
    ent e = l->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&e, &l->heap[parent]))
            break;
        place(l, i, l->heap[parent]);
        i = parent;
    }
    place(l, i, e);
}

static void sift_down(weft_loop *l, size_t i)
{
    ent e = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->heap_len)
            break;
        if (c + 1 < l->heap_len && before(&l->heap[c + 1], &l->heap[c]))
            c++;
        if (!before(&l->heap[c], &e))
            break;
        place(l, i, l->heap[c]);
        i = c;
    }
    place(l, i, e);
}

static void on_timerfd(uv_poll_t *h, int status, int events);

#define SLACK_NS 100000u /* 0.1 ms */

/* Makes sure the timerfd goes off no later than the heap's first deadline,
 * and watches it while the heap is not empty. It is set again only when
 * the first deadline moved earlier: when the first timer is stopped (a
 * request's deadline, removed as the request ends - every request), the
 * old setting is left to go off early, find nothing due, and set the real
 * one, which costs a wake-up now and then instead of a syscall each time. */
static void rearm(weft_loop *l)
{
    if (l->heap_len == 0) {
        uv_poll_stop(&l->timer_poll);
        return;
    }
    /* Rounded up to the next SLACK_NS: timers due within one window fire
     * in one wake-up (never early, at most SLACK_NS late). Without it a
     * busy backend woke once per request - an epoll_wait, a read and a
     * timerfd_settime for each of thousands of timers a second. */
    uint64_t due = (l->heap[0].due / SLACK_NS + 1) * SLACK_NS;
    if (!l->armed_due || due < l->armed_due) {
        struct itimerspec at = {.it_value = {(time_t)(due / 1000000000u),
                                             (long)(due % 1000000000u)}};
        timerfd_settime(l->timer_fd, TFD_TIMER_ABSTIME, &at, NULL);
        l->armed_due = due;
    }
    if (!uv_is_active((uv_handle_t *)&l->timer_poll))
        uv_poll_start(&l->timer_poll, UV_READABLE, on_timerfd);
}

static void remove_at(weft_loop *l, size_t i)
{
    l->heap[i].t->idx = 0;
    l->heap_len--;
    if (i == l->heap_len)
        return;
    place(l, i, l->heap[l->heap_len]);
    /* The moved entry goes down or up, not both. */
    if (i > 0 && before(&l->heap[i], &l->heap[(i - 1) / 2]))
        sift_up(l, i);
    else
        sift_down(l, i);
}

static void on_timerfd(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    weft_loop *l = h->data;
    uint64_t expirations;
    if (read(l->timer_fd, &expirations, sizeof expirations) == sizeof expirations)
        l->armed_due = 0; /* it went off: a one-shot timerfd is now disarmed */
    uint64_t now = uv_hrtime();
    /* Fire everything due; a callback may start or stop other timers. */
    while (l->heap_len > 0 && l->heap[0].due <= now) {
        weft_timer *t = l->heap[0].t;
        remove_at(l, 0);
        t->cb(t);
    }
    rearm(l);
}

int weft__timers_init(weft_loop *l)
{
    l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (l->timer_fd < 0)
        return WEFT_EIO;
    if (uv_poll_init(&l->uv, &l->timer_poll, l->timer_fd)) {
        close(l->timer_fd);
        l->timer_fd = -1;
        return WEFT_ENOMEM;
    }
    l->timer_poll.data = l;
    l->armed_due = 0;
    return 0;
}

void weft_timer_start(weft_loop *l, weft_timer *t, uint64_t delay_ms, void (*cb)(weft_timer *))
{
    if (t->idx)
        weft_timer_stop(l, t);
    if (l->heap_len == l->heap_cap) {
        size_t cap = l->heap_cap ? l->heap_cap * 2 : 64;
        ent *h = realloc(l->heap, cap * sizeof *h);
        if (!h)
            abort(); /* a timer that silently never fires would be worse */
        l->heap = h;
        l->heap_cap = cap;
    }
    t->due = uv_hrtime() + delay_ms * 1000000u;
    t->seq = ++l->timer_seq;
    t->cb = cb;
    place(l, l->heap_len++, (ent){t->due, t->seq, t});
    sift_up(l, l->heap_len - 1);
    if (l->heap[0].t == t)
        rearm(l);
}

void weft_timer_stop(weft_loop *l, weft_timer *t)
{
    if (!t->idx)
        return;
    int was_first = t->idx == 1;
    remove_at(l, t->idx - 1);
    if (was_first)
        rearm(l);
}

void weft__timers_free(weft_loop *l)
{
    free(l->heap);
    l->heap = NULL;
    l->heap_len = l->heap_cap = 0;
    if (l->timer_fd >= 0)
        close(l->timer_fd);
    l->timer_fd = -1;
}
