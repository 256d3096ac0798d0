/* loop.c - per-thread event loops and cross-thread posting.
 *
 * Owns the libuv loop of each weft loop, its wake-up handle and its queue
 * of posted messages. Messages are drained on the loop thread in order. The
 * post path takes one uncontended mutex and calls uv_async_send, which
 * coalesces wake-ups, so a burst of posts costs one wake. */
#include <signal.h>
#include <stdlib.h>

#include "loop.h"

static __thread weft_loop *current;

weft_loop *weft_loop_current(void)
{
    return current;
}

void weft__loop_set_current(weft_loop *loop)
{
    current = loop;
}

int weft_loop_index(const weft_loop *loop)
{
    return loop->index;
}

uint64_t weft_loop_now(const weft_loop *loop)
{
    return uv_now(&loop->uv);
}

static void drain_posts(uv_async_t *h)
{
    weft_loop *loop = h->data;
    pthread_mutex_lock(&loop->mu);
    weft_post *p = loop->head;
    loop->head = loop->tail = NULL;
    pthread_mutex_unlock(&loop->mu);
    while (p) {
        weft_post *next = p->next;
        p->next = NULL;
        p->fn(p); /* may free p */
        p = next;
    }
}

static void run_flushes(uv_prepare_t *h)
{
    weft_loop *loop = h->data;
    /* Whatever a flush queues runs in this round too: the poll that
     * follows may block, and nothing would wake it for that. */
    weft_flush *f;
    while ((f = loop->flush_head) != NULL) {
        loop->flush_head = f->next;
        f->next = NULL;
        f->queued = 0;
        f->fn(f);
    }
    uv_prepare_stop(&loop->before_poll);
}

void weft__loop_flush_later(weft_loop *loop, weft_flush *f)
{
    if (f->queued)
        return;
    f->queued = 1;
    f->next = loop->flush_head;
    loop->flush_head = f;
    uv_prepare_start(&loop->before_poll, run_flushes);
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

int weft__loop_init(weft_loop *loop, int index)
{
    memset(loop, 0, sizeof *loop);
    loop->index = index;
    if (uv_loop_init(&loop->uv))
        return WEFT_ENOMEM;
    if (pthread_mutex_init(&loop->mu, NULL))
        return WEFT_ENOMEM;
    if (uv_async_init(&loop->uv, &loop->wake, drain_posts))
        return WEFT_ENOMEM;
    loop->wake.data = loop;
    loop->uv.data = loop;
    uv_prepare_init(&loop->uv, &loop->before_poll);
    loop->before_poll.data = loop;
    /* A pending flush never keeps a loop alive by itself: what it writes
     * to has a handle of its own. */
    uv_unref((uv_handle_t *)&loop->before_poll);
    return weft__timers_init(loop);
}

void weft_loop_post(weft_loop *loop, weft_post *p)
{
    p->next = NULL;
    pthread_mutex_lock(&loop->mu);
    if (loop->tail)
        loop->tail->next = p;
    else
        loop->head = p;
    loop->tail = p;
    pthread_mutex_unlock(&loop->mu);
    uv_async_send(&loop->wake);
}

void weft__loop_run(weft_loop *loop)
{
    current = loop;
    if (loop->on_start)
        loop->on_start(loop, loop->start_arg);
    uv_run(&loop->uv, UV_RUN_DEFAULT);
    /* Deliver posts that raced with the close of the wake handle. */
    drain_posts(&loop->wake);
    weft_log_thread_done();
    current = NULL;
}

static void *loop_thread(void *arg)
{
    weft__loop_run(arg);
    return NULL;
}

int weft__loop_start(weft_loop *loop, void (*on_start)(weft_loop *, void *), void *arg)
{
    loop->on_start = on_start;
    loop->start_arg = arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 2u << 20);
    /* Signals are the control thread's business, not the loops'. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&loop->thread, &attr, loop_thread, loop);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc)
        return WEFT_ENOMEM;
    loop->running = 1;
    return 0;
}

void weft__loop_join(weft_loop *loop)
{
    if (loop->running)
        pthread_join(loop->thread, NULL);
    loop->running = 0;
}

void weft__loop_release(weft_loop *loop)
{
    uv_close((uv_handle_t *)&loop->wake, NULL);
    uv_close((uv_handle_t *)&loop->timer_poll, NULL);
    uv_close((uv_handle_t *)&loop->before_poll, NULL);
}
