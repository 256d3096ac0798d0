/* cancel.c - cancellation sources, linked parents, deadlines.
 *
 * Owns nothing but the links it is given: registrations are intrusive, so
 * cancelling never allocates and cannot fail. A registration is unlinked
 * before it runs, so it may free its own memory from inside its callback.
 * Loop thread only. */
#include "weft/cancel.h"

static void link_reg(weft_cancel_source *src, weft_cancel_reg *r)
{
    r->next = NULL;
    r->prev = src->tail;
    if (src->tail)
        src->tail->next = r;
    else
        src->head = r;
    src->tail = r;
    r->linked = 1;
}

static void unlink_reg(weft_cancel_source *src, weft_cancel_reg *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        src->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        src->tail = r->prev;
    r->prev = r->next = NULL;
    r->linked = 0;
}

static void on_parent_cancel(weft_cancel_reg *reg, int reason)
{
    weft_cancel(reg->arg, reason);
}

static void on_deadline(weft_timer *t)
{
    weft_cancel_source *src = (weft_cancel_source *)((char *)t - offsetof(weft_cancel_source, timer));
    weft_cancel(src, WEFT_ETIMEDOUT);
}

void weft_cancel_init(weft_cancel_source *src, weft_cancel_source *parent)
{
    memset(src, 0, sizeof *src);
    src->deadline = -1;
    src->loop = weft_loop_current();
    src->parent = parent;
    if (parent) {
        int r = weft_cancel_register(parent, &src->parent_reg, on_parent_cancel, src);
        if (r)
            src->reason = r;
    }
}

void weft_cancel_fini(weft_cancel_source *src)
{
    if (src->parent && src->parent_reg.linked)
        unlink_reg(src->parent, &src->parent_reg);
    src->parent = NULL;
    if (src->loop)
        weft_timer_stop(src->loop, &src->timer);
    while (src->head)
        unlink_reg(src, src->head);
}

int weft_cancel(weft_cancel_source *src, int reason)
{
    if (src->reason)
        return WEFT_ESTATE;
    src->reason = reason < 0 ? reason : WEFT_ECANCELED;
    if (src->loop)
        weft_timer_stop(src->loop, &src->timer);
    weft_cancel_reg *r;
    while ((r = src->head) != NULL) {
        unlink_reg(src, r);
        r->fn(r, src->reason);
    }
    return 0;
}

int weft_cancel_reason(const weft_cancel_source *src)
{
    return src ? src->reason : 0;
}

void weft_cancel_set_deadline(weft_cancel_source *src, int64_t deadline)
{
    if (deadline < 0 || src->reason || !src->loop)
        return;
    if (src->deadline >= 0 && src->deadline <= deadline)
        return;
    src->deadline = deadline;
    int64_t now = (int64_t)weft_loop_now(src->loop);
    weft_timer_start(src->loop, &src->timer, deadline > now ? (uint64_t)(deadline - now) : 0,
                     on_deadline);
}

void weft_cancel_after(weft_cancel_source *src, uint64_t ms)
{
    if (src->loop)
        weft_cancel_set_deadline(src, (int64_t)(weft_loop_now(src->loop) + ms));
}

int64_t weft_cancel_deadline(const weft_cancel_source *src)
{
    int64_t best = -1;
    for (; src; src = src->parent)
        if (src->deadline >= 0 && (best < 0 || src->deadline < best))
            best = src->deadline;
    return best;
}

int weft_cancel_register(weft_cancel_source *src, weft_cancel_reg *reg,
                         void (*fn)(weft_cancel_reg *, int), void *arg)
{
    reg->fn = fn;
    reg->arg = arg;
    reg->linked = 0;
    if (!src)
        return 0;
    if (src->reason)
        return src->reason;
    link_reg(src, reg);
    return 0;
}

void weft_cancel_unregister(weft_cancel_source *src, weft_cancel_reg *reg)
{
    if (src && reg->linked)
        unlink_reg(src, reg);
}
