/* task.c - the promise: reference counting, exactly-once completion,
 * continuations.
 *
 * A task completes once; later attempts return WEFT_ESTATE and destroy the
 * late value, so racing completions (result vs cancel vs deadline) are safe
 * by construction. Continuations run in registration order on the loop
 * thread, each unlinked before it runs so it may detach or free itself.
 * The task holds a reference on itself while they run. */
#include <stdlib.h>
#include <string.h>

#include "task_int.h"
#include "../base/alloc.h"
#include "../base/sanitizers.h"
#include "../loop/loop.h"

/* ---- a per-thread cache of task memory -------------------------------------
 * A task is made and freed per await; malloc and free were a fifth of an
 * await round trip (perf record of `weft-micro await`). Freed tasks wait
 * here, up to CACHE_MAX per thread, and the thread's loop gives them back
 * to malloc as it closes. Sanitizer builds go straight to malloc: a reused
 * task would hide a use after free from ASan and TSan. */
#define CACHE_ON (!WEFT_ASAN && !WEFT_TSAN)
#define CACHE_MAX 256

static __thread struct task_cache {
    weft_task *head; /* linked through scope_next */
    unsigned n;
    weft_loop_hook at_close;
} cache;

static void cache_release(weft_loop_hook *h)
{
    (void)h;
    while (cache.head) {
        weft_task *t = cache.head;
        cache.head = t->scope_next;
        free(t);
    }
    cache.n = 0;
}

static void task_free(weft_task *t)
{
    if (!CACHE_ON || cache.n >= CACHE_MAX) {
        free(t);
        return;
    }
    if (!cache.at_close.added) {
        /* Only a thread with a loop keeps a cache: its close empties it. */
        weft_loop *loop = weft_loop_current();
        if (!loop) {
            free(t);
            return;
        }
        cache.at_close.fn = cache_release;
        weft__loop_hook_add(loop, &cache.at_close, WEFT_PHASE_CLOSE);
    }
    t->scope_next = cache.head;
    cache.head = t;
    cache.n++;
}

static weft_task *task_alloc(void)
{
    weft_task *t = cache.head;
    if (!t)
        return weft__zalloc(sizeof *t);
    cache.head = t->scope_next;
    cache.n--;
    memset(t, 0, sizeof *t);
    return t;
}

weft_task *weft_task_new(weft_scope *scope)
{
    weft_task *t = task_alloc();
    if (!t)
        return NULL;
    t->refs = 1;
    t->err = WEFT_ESTATE;
    if (scope)
        weft__scope_adopt(scope, t); /* the caller's reference becomes the scope's */
    return t;
}

void weft_task_ref(weft_task *t)
{
    weft__task_ref(t);
}

void weft_task_unref(weft_task *t)
{
    if (--t->refs > 0)
        return;
    if (t->dtor && t->value)
        t->dtor(t->value);
    task_free(t);
}

static int complete(weft_task *t, int err, void *value, weft_dtor dtor)
{
    if (t->done) {
        if (dtor && value)
            dtor(value);
        return WEFT_ESTATE;
    }
    t->done = 1;
    t->err = err;
    t->value = value;
    t->dtor = dtor;
    t->refs++;
    weft_waiter *w;
    while ((w = t->head) != NULL) {
        t->head = w->next;
        if (t->head)
            t->head->prev = NULL;
        else
            t->tail = NULL;
        w->prev = w->next = NULL;
        w->fn(t, w->arg);
    }
    weft_task_unref(t);
    return 0;
}

int weft_task_resolve(weft_task *t, void *value, weft_dtor dtor)
{
    return complete(t, 0, value, dtor);
}

int weft_task_reject(weft_task *t, int err)
{
    return complete(t, err < 0 ? err : WEFT_EINVAL, NULL, NULL);
}

int weft_task_done(const weft_task *t)
{
    return t->done;
}

int weft_task_err(const weft_task *t)
{
    return t->done ? t->err : WEFT_ESTATE;
}

void *weft_task_value(const weft_task *t)
{
    return t->done ? t->value : NULL;
}

void weft_task_wait(weft_task *t, weft_waiter *w, weft_task_fn fn, void *arg)
{
    if (t->done) {
        w->fn = fn;
        w->arg = arg;
        w->prev = w->next = NULL;
        fn(t, arg);
        return;
    }
    weft__task_link(t, w, fn, arg);
}

void weft_task_unwait(weft_task *t, weft_waiter *w)
{
    if (!w->prev && t->head != w)
        return; /* not linked: already ran */
    if (w->prev)
        w->prev->next = w->next;
    else
        t->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        t->tail = w->prev;
    w->prev = w->next = NULL;
}

typedef struct then_node {
    weft_waiter w;
    weft_task_fn fn;
    void *arg;
} then_node;

static void run_then(weft_task *t, void *arg)
{
    then_node *n = arg;
    weft_task_fn fn = n->fn;
    void *a = n->arg;
    free(n);
    fn(t, a);
}

/* What a continuation sees when its task could not be made, or could not
 * be waited on, for want of memory: a task that failed with WEFT_ENOMEM.
 * Shared and never freed (its references never reach zero). */
static weft_task out_of_memory = {.refs = 1 << 30, .done = 1, .err = WEFT_ENOMEM};

int weft_task_then(weft_task *t, weft_task_fn fn, void *arg)
{
    /* A continuation runs exactly once, whatever happens: code that counts
     * its operations down (weft_ops_done) would otherwise wait forever. */
    if (!t) {
        fn(&out_of_memory, arg);
        return WEFT_ENOMEM;
    }
    if (t->done) {
        fn(t, arg);
        return 0;
    }
    then_node *n = malloc(sizeof *n);
    if (!n) {
        fn(&out_of_memory, arg);
        return WEFT_ENOMEM;
    }
    n->fn = fn;
    n->arg = arg;
    weft_task_wait(t, &n->w, run_then, n);
    return 0;
}
