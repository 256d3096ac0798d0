/* phase.c - hooks at fixed points of a loop iteration, and the flush list.
 *
 * libuv runs a loop iteration as: timers, I/O callbacks of the last poll,
 * prepare handles, the poll, check handles, close callbacks. weft names two
 * of those points (BEFORE_POLL = prepare, AFTER_POLL = check) and lets
 * higher layers hang hooks there, plus CLOSE hooks that run once when the
 * loop is released. One prepare, one check and one idle handle per loop
 * serve every hook; none of them keeps the loop alive. Loop thread only. */
#include "loop.h"

static void run_hooks(weft_loop *loop, weft_loop_phase phase)
{
    weft_loop_hook *h = loop->hooks[phase];
    while (h) {
        weft_loop_hook *next = h->next; /* fn may remove h */
        h->fn(h);
        h = next;
    }
}

static int nothing_before_poll(const weft_loop *loop)
{
    return !loop->flush_head && !loop->hooks[WEFT_PHASE_BEFORE_POLL];
}

static void on_before_poll(uv_prepare_t *p)
{
    weft_loop *loop = p->data;
    /* Whatever a flush queues runs in this round too: the poll that
     * follows may block, and nothing would wake it for that. */
    weft_flush *f;
    while ((f = loop->flush_head) != NULL) {
        loop->flush_head = f->next;
        f->next = NULL;
        f->queued = 0;
        f->fn(f);
    }
    run_hooks(loop, WEFT_PHASE_BEFORE_POLL);
    if (nothing_before_poll(loop))
        uv_prepare_stop(&loop->before_poll);
}

static void on_after_poll(uv_check_t *c)
{
    run_hooks(c->data, WEFT_PHASE_AFTER_POLL);
}

/* Its being active is the point: the poll does not wait. It stops itself
 * once nobody wants it any more - before this iteration's poll works out
 * its time-out - so a fiber that parks and is resumed within one
 * iteration costs a flag, not a handle stop and start (the idle queue's
 * two calls were a tenth of an await round trip, S6). */
static void on_busy(uv_idle_t *i)
{
    weft_loop *loop = i->data;
    if (!loop->busy_wanted) {
        uv_idle_stop(i);
        loop->busy_started = 0;
    }
}

/* Links f into the loop's flush list at *at, once per round. */
static void queue_flush(weft_loop *loop, weft_flush *f, weft_flush **at)
{
    if (f->queued)
        return;
    f->queued = 1;
    f->next = *at;
    *at = f;
    uv_prepare_start(&loop->before_poll, on_before_poll);
}

void weft__loop_flush_later(weft_loop *loop, weft_flush *f)
{
    queue_flush(loop, f, &loop->flush_head);
}

void weft__loop_flush_last(weft_loop *loop, weft_flush *f)
{
    if (f->queued) /* every sqe asks: the walk only for the first */
        return;
    weft_flush **tail = &loop->flush_head;
    while (*tail)
        tail = &(*tail)->next;
    queue_flush(loop, f, tail);
}

void weft__loop_flush_cancel(weft_loop *loop, weft_flush *f)
{
    if (!f->queued)
        return;
    for (weft_flush **pp = &loop->flush_head; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    f->queued = 0;
    f->next = NULL;
}

void weft__loop_hook_add(weft_loop *loop, weft_loop_hook *h, weft_loop_phase phase)
{
    if (h->added)
        return;
    h->added = 1;
    h->phase = phase;
    h->prev = NULL;
    h->next = loop->hooks[phase];
    if (h->next)
        h->next->prev = h;
    loop->hooks[phase] = h;
    if (phase == WEFT_PHASE_BEFORE_POLL)
        uv_prepare_start(&loop->before_poll, on_before_poll);
    else if (phase == WEFT_PHASE_AFTER_POLL)
        uv_check_start(&loop->after_poll, on_after_poll);
}

void weft__loop_hook_remove(weft_loop *loop, weft_loop_hook *h)
{
    if (!h->added)
        return;
    h->added = 0;
    if (h->prev)
        h->prev->next = h->next;
    else
        loop->hooks[h->phase] = h->next;
    if (h->next)
        h->next->prev = h->prev;
    h->prev = h->next = NULL;
    if (h->phase == WEFT_PHASE_AFTER_POLL && !loop->hooks[WEFT_PHASE_AFTER_POLL])
        uv_check_stop(&loop->after_poll);
    /* an idle prepare handle stops itself after its next run */
}

void weft__loop_start_busy(weft_loop *loop)
{
    loop->busy_started = 1;
    uv_idle_start(&loop->busy, on_busy);
}

int weft__phases_init(weft_loop *loop)
{
    if (uv_prepare_init(&loop->uv, &loop->before_poll) ||
        uv_check_init(&loop->uv, &loop->after_poll) || uv_idle_init(&loop->uv, &loop->busy))
        return WEFT_ENOMEM;
    loop->before_poll.data = loop->after_poll.data = loop->busy.data = loop;
    /* A pending flush or a hook never keeps a loop alive by itself: what
     * it works for has a handle of its own. The idle handle does, while
     * work is ready - that is what it is for. */
    uv_unref((uv_handle_t *)&loop->before_poll);
    uv_unref((uv_handle_t *)&loop->after_poll);
    return 0;
}

void weft__phases_close(weft_loop *loop)
{
    weft_loop_hook *h;
    while ((h = loop->hooks[WEFT_PHASE_CLOSE]) != NULL) {
        weft__loop_hook_remove(loop, h); /* before fn: fn may free h */
        h->fn(h);
    }
    uv_close((uv_handle_t *)&loop->before_poll, NULL);
    uv_close((uv_handle_t *)&loop->after_poll, NULL);
    uv_close((uv_handle_t *)&loop->busy, NULL);
}
