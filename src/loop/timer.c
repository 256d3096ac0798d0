/* timer.c - per-loop intrusive one-shot timers.
 *
 * Owns the timer lists, the heap array and the loop's timerfd, which is
 * always set no later than the earliest deadline (and its poll handle
 * stopped when no timer is active, so an idle loop can exit). Delays,
 * request deadlines and time-outs all live here: none of them creates a
 * libuv handle, so none needs an asynchronous close. Loop thread only.
 *
 * Most timers of a server share a handful of time-outs: every request's
 * deadline (30 s), every backend call's, a page's fixed delay. Those go
 * to a FIFO list per time-out (loop.h), where starting is an append and
 * stopping an unlink, touching the two neighbours only. In the binary
 * heap they had before, every start and stop moved entries along a path
 * of up to log2(n) levels and wrote each moved timer's position into the
 * timer itself - a cache miss per level with thousands of timers spread
 * over request contexts: the heap's remove was the first of weft's own
 * symbols in a profile of pgw-backend holding 8,000 delays (4.8%).
 * Time-outs that find no list (more than WEFT__TIMER_LISTS distinct ones
 * live at once) go to the heap. Firing takes the earliest of the heap's
 * top and the lists' heads, so timers still fire in (due, start order).
 *
 * Deadlines are kept in nanoseconds of the monotonic clock, taken when
 * the timer starts, and the timerfd wakes the loop at that instant. A uv
 * timer counts in the loop's cached milliseconds and epoll waits whole
 * milliseconds, so a 500 ms delay used to end 500.8 ms after it started
 * on average (S2 in docs/bench-history.md); now it ends within 0.1 ms (the
 * window timers are batched in) of 500 ms, never before. */
#include <stdlib.h>
#include <string.h>
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
#define WEFT__TIMER_MAX_MS 1000000000000ull

/* Makes sure the timerfd goes off no later than first_due, and watches
 * it. It is set again only when the first deadline moved earlier: when
 * the first timer is stopped (a request's deadline, removed as the
 * request ends - every request), the old setting is left to go off early,
 * find nothing due, and set the real one, which costs a wake-up now and
 * then instead of a syscall each time. */
static void arm_for(weft_loop *l, uint64_t first_due)
{
    /* Rounded up to the next SLACK_NS: timers due within one window fire
     * in one wake-up (never early, at most SLACK_NS late). Without it a
     * busy backend woke once per request - an epoll_wait, a read and a
     * timerfd_settime for each of thousands of timers a second. */
    uint64_t due = (first_due / SLACK_NS + 1) * SLACK_NS;
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

/* A listed timer's idx names its list: the top WEFT__TIMER_LISTS values
 * of size_t, which no heap position reaches. */
static size_t list_mark(size_t list)
{
    return SIZE_MAX - list;
}

static int is_listed(const weft_timer *t)
{
    return t->idx > SIZE_MAX - WEFT__TIMER_LISTS;
}

/* The list for this time-out: the one keyed to it, else an empty slot
 * (keyed to it now), else NULL - the timer goes to the heap. */
static struct weft_timer_list *list_for(weft_loop *l, uint64_t delay_ns)
{
    struct weft_timer_list *empty = NULL;
    for (size_t i = 0; i < l->lists_used; i++) {
        struct weft_timer_list *q = &l->lists[i];
        if (q->head && q->delay_ns == delay_ns)
            return q;
        if (!q->head && !empty)
            empty = q;
    }
    if (!empty && l->lists_used < WEFT__TIMER_LISTS)
        empty = &l->lists[l->lists_used++];
    if (empty)
        empty->delay_ns = delay_ns;
    return empty;
}

static void list_append(weft_loop *l, struct weft_timer_list *q, weft_timer *t)
{
    t->idx = list_mark((size_t)(q - l->lists));
    t->next = NULL;
    t->prev = q->tail;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
    l->listed++;
}

static void list_remove(weft_loop *l, weft_timer *t)
{
    struct weft_timer_list *q = &l->lists[SIZE_MAX - t->idx];
    if (t->prev)
        t->prev->next = t->next;
    else
        q->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        q->tail = t->prev;
    t->prev = t->next = NULL;
    t->idx = 0;
    l->listed--;
}

/* The active timer due first, by (due, seq); NULL when none is. */
static weft_timer *earliest(weft_loop *l)
{
    weft_timer *best = NULL;
    uint64_t due = 0, seq = 0;
    if (l->heap_len) {
        best = l->heap[0].t;
        due = l->heap[0].due;
        seq = l->heap[0].seq;
    }
    for (size_t i = 0; i < l->lists_used; i++) {
        weft_timer *h = l->lists[i].head;
        if (h && (!best || h->due < due || (h->due == due && h->seq < seq))) {
            best = h;
            due = h->due;
            seq = h->seq;
        }
    }
    return best;
}

/* Takes t out of whichever structure holds it. */
static void unlink_timer(weft_loop *l, weft_timer *t)
{
    if (is_listed(t))
        list_remove(l, t);
    else
        remove_at(l, t->idx - 1);
}

static void rearm(weft_loop *l)
{
    weft_timer *first = earliest(l);
    if (first)
        arm_for(l, first->due);
    else
        uv_poll_stop(&l->timer_poll);
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
    weft_timer *t;
    while ((t = earliest(l)) && t->due <= now) {
        unlink_timer(l, t);
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

static void heap_insert(weft_loop *l, weft_timer *t)
{
    if (l->heap_len == l->heap_cap) {
        size_t cap = l->heap_cap ? l->heap_cap * 2 : 64;
        ent *h = realloc(l->heap, cap * sizeof *h);
        if (!h)
            abort(); /* a timer that silently never fires would be worse */
        l->heap = h;
        l->heap_cap = cap;
    }
    place(l, l->heap_len++, (ent){t->due, t->seq, t});
    sift_up(l, l->heap_len - 1);
}

void weft_timer_start(weft_loop *l, weft_timer *t, uint64_t delay_ms, void (*cb)(weft_timer *))
{
    if (t->idx)
        weft_timer_stop(l, t);
    /* ~31 years: a larger delay would wrap the nanosecond deadline
     * around and fire at once; it means "practically never" instead. */
    if (delay_ms > WEFT__TIMER_MAX_MS)
        delay_ms = WEFT__TIMER_MAX_MS;
    uint64_t delay_ns = delay_ms * 1000000u;
    t->due = uv_hrtime() + delay_ns;
    t->seq = ++l->timer_seq;
    t->cb = cb;
    struct weft_timer_list *q = list_for(l, delay_ns);
    if (q)
        list_append(l, q, t);
    else
        heap_insert(l, t);
    arm_for(l, t->due);
}

void weft_timer_stop(weft_loop *l, weft_timer *t)
{
    if (!t->idx)
        return;
    unlink_timer(l, t);
    if (!l->listed && !l->heap_len)
        uv_poll_stop(&l->timer_poll); /* nothing left: the loop may exit */
}

void weft__timers_free(weft_loop *l)
{
    free(l->heap);
    l->heap = NULL;
    l->heap_len = l->heap_cap = 0;
    memset(l->lists, 0, sizeof l->lists); /* the timers in them are their owners' */
    l->lists_used = l->listed = 0;
    if (l->timer_fd >= 0)
        close(l->timer_fd);
    l->timer_fd = -1;
}

int weft__timers_watched(const weft_loop *l)
{
    return uv_is_active((const uv_handle_t *)&l->timer_poll);
}
