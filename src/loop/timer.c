/* timer.c - per-loop heap of intrusive one-shot timers.
 *
 * Owns the heap array and the loop's single uv timer, which is always armed
 * for the earliest deadline (and stopped when the heap is empty, so an idle
 * loop can exit). Delays, request deadlines and time-outs all live here:
 * none of them creates a libuv handle, so none needs an asynchronous close.
 * Loop thread only. */
#include <stdlib.h>

#include "loop.h"

static int before(const weft_timer *a, const weft_timer *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void place(weft_loop *l, size_t i, weft_timer *t)
{
    l->heap[i] = t;
    t->idx = i + 1;
}

static void sift_up(weft_loop *l, size_t i)
{
    weft_timer *t = l->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(t, l->heap[parent]))
            break;
        place(l, i, l->heap[parent]);
        i = parent;
    }
    place(l, i, t);
}

static void sift_down(weft_loop *l, size_t i)
{
    weft_timer *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->heap_len)
            break;
        if (c + 1 < l->heap_len && before(l->heap[c + 1], l->heap[c]))
            c++;
        if (!before(l->heap[c], t))
            break;
        place(l, i, l->heap[c]);
        i = c;
    }
    place(l, i, t);
}

static void on_heap_timer(uv_timer_t *h);

static void rearm(weft_loop *l)
{
    if (l->heap_len == 0) {
        uv_timer_stop(&l->heap_timer);
        return;
    }
    uint64_t now = uv_now(&l->uv), due = l->heap[0]->due;
    uv_timer_start(&l->heap_timer, on_heap_timer, due > now ? due - now : 0, 0);
}

static void remove_at(weft_loop *l, size_t i)
{
    weft_timer *t = l->heap[i];
    t->idx = 0;
    l->heap_len--;
    if (i == l->heap_len)
        return;
    place(l, i, l->heap[l->heap_len]);
    sift_down(l, i);
    sift_up(l, l->heap[i]->idx - 1);
}

static void on_heap_timer(uv_timer_t *h)
{
    weft_loop *l = h->data;
    uint64_t now = uv_now(&l->uv);
    /* Fire everything due; a callback may start or stop other timers. */
    while (l->heap_len > 0 && l->heap[0]->due <= now) {
        weft_timer *t = l->heap[0];
        remove_at(l, 0);
        t->cb(t);
    }
    rearm(l);
}

void weft_timer_start(weft_loop *l, weft_timer *t, uint64_t delay_ms, void (*cb)(weft_timer *))
{
    if (t->idx)
        weft_timer_stop(l, t);
    if (l->heap_len == l->heap_cap) {
        size_t cap = l->heap_cap ? l->heap_cap * 2 : 64;
        weft_timer **h = realloc(l->heap, cap * sizeof *h);
        if (!h)
            abort(); /* a timer that silently never fires would be worse */
        l->heap = h;
        l->heap_cap = cap;
    }
    t->due = uv_now(&l->uv) + delay_ms;
    t->seq = ++l->timer_seq;
    t->cb = cb;
    place(l, l->heap_len++, t);
    sift_up(l, l->heap_len - 1);
    if (l->heap[0] == t)
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
}
