/* loop.c - per-thread event loops: life cycle, running, cross-thread posting.
 *
 * Owns the libuv loop of each weft loop, its wake-up handle and its queue
 * of posted messages. Messages are drained on the loop thread in order. The
 * post path takes one uncontended mutex and calls uv_async_send, which
 * coalesces wake-ups, so a burst of posts costs one wake. A loop runs
 * either on a thread of its own (a server's loops) or on the thread that
 * made it with weft_loop_new (a tool, a test, a benchmark). */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "loop.h"
#include "uring.h"

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

void weft__loop_drain_posts(weft_loop *loop)
{
    pthread_mutex_lock(&loop->mu);
    weft_post *p = loop->head;
    loop->head = loop->tail = NULL;
    atomic_store_explicit(&loop->has_posts, 0, memory_order_relaxed);
    pthread_mutex_unlock(&loop->mu);
    while (p) {
        weft_post *next = p->next;
        p->next = NULL;
        p->fn(p); /* may free p */
        p = next;
    }
}

static void drain_posts(uv_async_t *h)
{
    weft__loop_drain_posts(h->data);
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
    atomic_store(&loop->has_posts, 1);
    pthread_mutex_unlock(&loop->mu);
    /* A loop spinning for posts (expect.c) sees has_posts without the
     * wake: it clears `spinning` before it last looks at has_posts, and
     * both are sequentially consistent, so one of the two sides always
     * sees the other's store. */
    if (!atomic_load(&loop->spinning))
        uv_async_send(&loop->wake);
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
    int rc = weft__phases_init(loop);
    if (!rc)
        rc = weft__timers_init(loop);
    if (!rc && index >= 0) /* a server's control loop (-1) has no sockets */
        weft__engine_open(loop);
    return rc;
}

void weft__loop_run(weft_loop *loop)
{
    current = loop;
    if (loop->on_start)
        loop->on_start(loop, loop->start_arg);
    loop->depth++;
    uv_run(&loop->uv, UV_RUN_DEFAULT);
    loop->depth--;
    /* Deliver posts that raced with the close of the wake handle. */
    drain_posts(&loop->wake);
    weft_log_thread_done();
    current = NULL;
}

static void *loop_thread(void *arg)
{
    weft__loop_allow_dumps();
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
    sigset_t old;
    weft__block_signals_for_thread(&old);
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
    weft__phases_close(loop); /* CLOSE hooks first: they may close handles of their own */
    weft__uring_release(loop);
    uv_close((uv_handle_t *)&loop->wake, NULL);
    uv_close((uv_handle_t *)&loop->timer_poll, NULL);
}

void weft__loop_close(weft_loop *loop)
{
    uv_loop_close(&loop->uv);
    weft__uring_free(loop);
    weft__timers_free(loop);
    pthread_mutex_destroy(&loop->mu);
}

/* ---- a loop of one's own (weft/loop.h) ------------------------------------ */

weft_loop *weft_loop_new(void)
{
    weft_loop *loop = malloc(sizeof *loop);
    if (!loop)
        return NULL;
    if (weft__loop_init(loop, 0)) {
        free(loop);
        return NULL;
    }
    loop->owned = 1;
    current = loop;
    return loop;
}

const char *weft__loop_what_runs(const weft_loop *loop, uint64_t *since_ms)
{
    const char *what = atomic_load_explicit(&((weft_loop *)loop)->what_runs, memory_order_relaxed);
    *since_ms = atomic_load_explicit(&((weft_loop *)loop)->what_runs_since_ms, memory_order_relaxed);
    return what;
}

int weft__loop_running(const weft_loop *loop)
{
    return loop->depth > 0;
}

int weft_loop_run(weft_loop *loop)
{
    current = loop;
    loop->depth++;
    uv_run(&loop->uv, UV_RUN_DEFAULT);
    loop->depth--;
    return 0;
}

static void on_run_deadline(uv_timer_t *t)
{
    uv_stop(t->loop);
}

void weft_loop_run_for(weft_loop *loop, uint64_t ms)
{
    current = loop;
    loop->depth++;
    if (ms == 0) {
        uv_update_time(&loop->uv);
        uv_run(&loop->uv, UV_RUN_NOWAIT);
    } else {
        uv_timer_t deadline;
        uv_timer_init(&loop->uv, &deadline);
        uv_timer_start(&deadline, on_run_deadline, ms, 0);
        uv_run(&loop->uv, UV_RUN_DEFAULT);
        uv_close((uv_handle_t *)&deadline, NULL);
        /* Closing completes in the next iteration's close phase; the
         * handle lives on this stack, so that iteration runs before
         * returning. */
        uv_run(&loop->uv, UV_RUN_NOWAIT);
    }
    loop->depth--;
}

static void on_stop_msg(weft_post *p)
{
    weft_loop *loop = (weft_loop *)((char *)p - offsetof(weft_loop, stop_msg));
    atomic_store(&loop->stop_posted, 0);
    uv_stop(&loop->uv);
}

void weft_loop_stop(weft_loop *loop)
{
    if (current == loop) {
        uv_stop(&loop->uv);
        return;
    }
    if (atomic_exchange(&loop->stop_posted, 1))
        return; /* one stop message on its way is enough */
    loop->stop_msg.fn = on_stop_msg;
    weft_loop_post(loop, &loop->stop_msg);
}

void weft_loop_free(weft_loop *loop)
{
    if (!loop)
        return;
    current = loop;
    weft__loop_release(loop);
    /* Run until every handle has closed: what the CLOSE hooks shut (idle
     * backend connections, libcurl's sockets) finishes closing here. */
    uv_run(&loop->uv, UV_RUN_DEFAULT);
    drain_posts(&loop->wake);
    weft__loop_close(loop);
    current = NULL;
    if (loop->owned)
        free(loop);
}
