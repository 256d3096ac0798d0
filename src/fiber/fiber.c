/* fiber.c - fibers on a loop thread: spawn, park, resume, await, defer.
 *
 * Owns the per-thread scheduler: the loop stack's saved context, the
 * running fiber, a queue of fibers ready to run, and the stack cache.
 *
 * A fiber is only ever switched to from the loop's own stack. A completion
 * that happens there (a timer, a socket, a posted result) resumes the
 * waiting fiber at once; one that happens inside another fiber only queues
 * it, and the queue is drained when control is back on the loop stack.
 * So fibers never nest, the call depth stays flat, and a fiber always
 * parks back to one place. Never blocks; loop thread only. */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../base/opts.h"
#include "../loop/loop.h"
#include "../task/task_int.h"
#include "fiber_int.h"
#include "weft/fiber.h"

static __thread weft__sched *S;

static void collect(weft_stat_source *src, weft_stats *out)
{
    weft__sched *s = (weft__sched *)((char *)src - offsetof(weft__sched, stats_src));
    out->fibers.alive += weft__counter(&s->st.live);
    out->fibers.spawned += weft__counter(&s->st.spawned);
    out->fibers.finished += weft__counter(&s->st.finished);
    out->fibers.stacks_mapped += weft__counter(&s->st.mapped);
    out->fibers.stacks_cached += weft__counter(&s->st.cached);
    out->fibers.stack_bytes += weft__counter(&s->st.stack_bytes);
}

weft__sched *weft__sched_get(void)
{
    if (!S) {
        S = calloc(1, sizeof *S);
        if (!S)
            return NULL;
        S->stats_src.collect = collect;
        weft__stats_register(&S->stats_src);
        weft__guard_thread_init(S);
#if WEFT_TSAN
        S->tsan_main = __tsan_get_current_fiber();
#endif
    }
    return S;
}

weft_fiber *weft_fiber_current(void)
{
    return S ? S->current : NULL;
}

weft_scope *weft_current_scope(void)
{
    return S && S->current ? S->current->scope : NULL;
}

/* ---- switching, with the sanitizers told about every stack change ------ */

static void switch_into(weft_fiber *f)
{
#if WEFT_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, f->stack_lo, f->stack_size);
#endif
#if WEFT_TSAN
    __tsan_switch_to_fiber(f->tsan, 0);
#endif
    weft__ctx_switch(&S->main_ctx, &f->ctx);
#if WEFT_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

static void switch_out(weft_fiber *f, int final)
{
#if WEFT_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(final ? NULL : &fake, S->main_stack_lo, S->main_stack_size);
#endif
#if WEFT_TSAN
    __tsan_switch_to_fiber(S->tsan_main, 0);
#endif
    (void)final;
    weft__ctx_switch(&f->ctx, &S->main_ctx);
#if WEFT_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

/* ---- life cycle ----------------------------------------------------------- */

static void run_defers(weft_fiber *f)
{
    while (f->defers) {
        weft__defer *d = f->defers;
        f->defers = d->next;
        d->fn(d->arg);
        if (d < f->inline_defers || d >= f->inline_defers + WEFT__INLINE_DEFERS)
            free(d);
    }
}

static void fiber_main(void *arg)
{
    weft_fiber *f = arg;
#if WEFT_ASAN
    __sanitizer_finish_switch_fiber(NULL, (const void **)&S->main_stack_lo,
                                    &S->main_stack_size);
#endif
    f->fn(f->arg);
    run_defers(f);
    f->finished = 1;
    switch_out(f, 1);
    abort(); /* a finished fiber is never resumed */
}

/* What follows a fiber's last switch: its stack back to the cache, its
 * exit callback. Out of line: run_one stays small enough to inline. */
static void finish_one(weft_fiber *f)
{
    void (*on_exit)(void *) = f->on_exit;
    void *exit_arg = f->exit_arg;
#if WEFT_TSAN
    __tsan_destroy_fiber(f->tsan);
#endif
    weft__stack_release(S, f);
    weft__count(&S->st.finished, 1);
    weft__count(&S->st.live, -1);
    if (on_exit) {
        /* Whatever on_exit starts is queued, not nested. */
        S->in_exit++;
        on_exit(exit_arg);
        S->in_exit--;
    }
}

/* Runs f until it parks or finishes; on the loop stack only. Inlined into
 * its callers: the loop side of a switch then returns to the place that
 * ran it without one more return the processor mispredicts (its return
 * stack holds the fiber's calls, not the loop's). */
static inline __attribute__((always_inline)) void run_one(weft_fiber *f)
{
    S->current = f;
    if (S->loop)
        weft__loop_mark(S->loop, f->name);
    switch_into(f);
    if (S->loop)
        weft__loop_mark(S->loop, NULL);
    S->current = NULL;
    if (f->finished)
        finish_one(f);
}

static void enqueue(weft_fiber *f)
{
    f->ready_next = NULL;
    if (S->ready_tail)
        S->ready_tail->ready_next = f;
    else
        S->ready_head = f;
    S->ready_tail = f;
}

/* Ready fibers run after each poll's I/O callbacks (the AFTER_POLL
 * phase), at most BUDGET per loop iteration; while some remain the loop is
 * kept busy so the next poll does not block. A completion therefore never
 * runs a whole handler inside an I/O callback, and a loop under load still
 * reads new requests between batches: S4 measured bystander latency
 * growing with the work one poll batch resumed. */
#define BUDGET 64

static void drain_ready(int budget)
{
    weft_fiber *f;
    while (budget-- > 0 && (f = S->ready_head) != NULL) {
        S->ready_head = f->ready_next;
        if (!S->ready_head)
            S->ready_tail = NULL;
        run_one(f);
    }
    if (S->loop)
        weft__loop_keep_busy(S->loop, S->ready_head != NULL);
}

static void on_after_poll(weft_loop_hook *h)
{
    (void)h;
    if (S && !S->current) {
        drain_ready(BUDGET);
        weft__stack_trim(S, weft_loop_now(S->loop));
    }
}

static void on_loop_close(weft_loop_hook *h)
{
    (void)h;
    weft_fiber_thread_cleanup();
}

/* Hooks this thread's scheduler into its loop, on first use. Off a loop
 * (a bare test) there is none, and resumes run at once. */
static void hook_into_loop(void)
{
    weft_loop *loop = weft_loop_current();
    if (!loop)
        return;
    S->loop = loop;
    S->after_poll.fn = on_after_poll;
    S->at_close.fn = on_loop_close;
    weft__loop_hook_add(loop, &S->after_poll, WEFT_PHASE_AFTER_POLL);
    weft__loop_hook_add(loop, &S->at_close, WEFT_PHASE_CLOSE);
}

static inline void ensure_hooks(void)
{
    if (!S->loop)
        hook_into_loop();
}

/* Makes f run: after the loop's next poll (or now, without a loop). */
static void resume(weft_fiber *f)
{
    enqueue(f);
    ensure_hooks();
    if (S->loop) {
        weft__loop_keep_busy(S->loop, 1);
        return;
    }
    if (!S->current && !S->in_exit)
        drain_ready(1 << 30);
}

int weft_fiber_spawn_sized(weft_fiber_fn fn, void *arg, const weft_fiber_opts *opts,
                           size_t opts_size)
{
    weft_fiber_opts own;
    opts = weft__opts_take(&own, sizeof own, opts, opts_size);
    if (!weft__sched_get())
        return WEFT_ENOMEM;
    weft_fiber_opts none = {0};
    if (!opts)
        opts = &none;
    weft_fiber *f = weft__stack_acquire(S, opts->stack_size);
    if (!f)
        return WEFT_ENOMEM;
    f->fn = fn;
    f->arg = arg;
    f->name = opts->name ? opts->name : "fiber";
    f->scope = opts->scope;
    f->on_exit = opts->on_exit;
    f->exit_arg = opts->exit_arg;
    f->finished = 0;
    f->defers = NULL;
    f->ndefers_inline = 0;
#if WEFT_TSAN
    f->tsan = __tsan_create_fiber(0);
#endif
    weft__ctx_make(&f->ctx, f->stack_lo, f->stack_size, fiber_main, f);
    weft__count(&S->st.spawned, 1);
    weft__count(&S->st.live, 1);
    if (!S->current && !S->in_exit) {
        ensure_hooks(); /* the loop's record of what runs needs S->loop */
        run_one(f); /* a new handler starts at once, up to its first await */
        return 0;
    }
    resume(f);
    return 0;
}

void weft_fiber_run_ready(void)
{
    if (S && !S->current && !S->in_exit)
        drain_ready(1 << 30);
}

/* ---- await ----------------------------------------------------------------- */

typedef struct await_rec {
    weft_waiter waiter;
    weft_cancel_reg reg;
    weft_task *task;
    weft_fiber *fiber;
    weft_cancel_source *token;
} await_rec;

static void on_await_done(weft_task *t, void *arg)
{
    await_rec *r = arg;
    if (r->token)
        weft_cancel_unregister(r->token, &r->reg);
    r->fiber->resume_err = t->err; /* done: the task calls its waiters once it is */
    resume(r->fiber);
}

static void on_await_cancel(weft_cancel_reg *reg, int reason)
{
    await_rec *r = reg->arg;
    weft_task_unwait(r->task, &r->waiter);
    r->fiber->resume_err = reason;
    resume(r->fiber);
}

int weft_await(weft_task *t)
{
    if (!t)
        return WEFT_ENOMEM;
    if (t->done)
        return t->err;
    weft_fiber *f = S ? S->current : NULL;
    if (!f)
        return WEFT_ENOTFIBER;
    /* Only the fields that are read are set: this record is on the hot
     * path of every await (zero-filling it was a quarter of the cost). */
    await_rec r;
    r.task = t;
    r.fiber = f;
    r.token = f->scope ? &f->scope->cancel : NULL;
    if (r.token) {
        int reason = weft_cancel_register(r.token, &r.reg, on_await_cancel, &r);
        if (reason)
            return reason;
    }
    weft__task_ref(t); /* t must outlive our waiter even if its owner lets go */
    weft__task_link(t, &r.waiter, on_await_done, &r); /* t is not done: checked above */
    switch_out(f, 0);
    weft__task_unref(t);
    return f->resume_err;
}

int weft_yield(void)
{
    weft_fiber *f = S ? S->current : NULL;
    if (!f)
        return WEFT_ENOTFIBER;
    weft_task *t = weft_delay(NULL, 0);
    int r = weft_await(t);
    weft_task_unref(t);
    return r;
}

int weft_defer(void (*fn)(void *), void *arg)
{
    weft_fiber *f = S ? S->current : NULL;
    if (!f)
        return WEFT_ENOTFIBER;
    weft__defer *d;
    if (f->ndefers_inline < WEFT__INLINE_DEFERS)
        d = &f->inline_defers[f->ndefers_inline++];
    else if (!(d = malloc(sizeof *d)))
        return WEFT_ENOMEM;
    d->fn = fn;
    d->arg = arg;
    d->next = f->defers;
    f->defers = d;
    return 0;
}

void weft_fiber_thread_cleanup(void)
{
    if (!S)
        return;
    if (S->loop) {
        weft__loop_hook_remove(S->loop, &S->after_poll);
        weft__loop_hook_remove(S->loop, &S->at_close);
        weft__loop_keep_busy(S->loop, 0);
    }
    weft__stats_unregister(&S->stats_src);
    weft__stack_cache_free(S);
    weft__guard_thread_fini(S);
    free(S);
    S = NULL;
}
