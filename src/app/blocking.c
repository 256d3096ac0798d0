/* blocking.c - the synchronous client call for WEFT_SYNC handlers.
 *
 * The worker thread posts the call to its scope's loop and waits on a
 * condition variable; the call itself runs on the loop's multi handle, so
 * it shares the loop's connection pool and per-endpoint limit. This is
 * the seeds' WebClient.DownloadString: the thread is held for the whole
 * wait - which is exactly what the synchronous model costs. */
#include <pthread.h>

#include "../base/opts.h"
#include "../task/task_int.h"
#include "../client/core.h"
#include "weft/pool.h"

typedef struct blocking_call {
    weft_post post;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, err;
    weft_http_response *resp;
    weft_scope *scope;
    const char *url;
    const weft_http_opts *opts;
} blocking_call;

static void on_done(weft_task *t, void *arg)
{
    blocking_call *b = arg;
    pthread_mutex_lock(&b->mu);
    b->err = weft_task_err(t);
    b->resp = b->err ? NULL : weft_task_value(t);
    b->done = 1;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static void on_loop(weft_post *p)
{
    blocking_call *b = (blocking_call *)p;
    weft_task *t = weft_http_request(b->scope, b->url, b->opts);
    if (!t) {
        pthread_mutex_lock(&b->mu);
        b->err = WEFT_ENOMEM;
        b->done = 1;
        pthread_cond_signal(&b->cv);
        pthread_mutex_unlock(&b->mu);
        return;
    }
    weft_task_then(t, on_done, b);
}

int weft_http_request_blocking_sized(weft_scope *s, const char *url, const weft_http_opts *opts,
                                     weft_http_response **out, size_t opts_size)
{
    weft_http_opts own;
    opts = weft__opts_take(&own, sizeof own, opts, opts_size);
    *out = NULL;
    if (weft_loop_current() || !s)
        return WEFT_ESTATE; /* blocking a loop thread is never allowed */
    blocking_call b = {.scope = s, .url = url, .opts = opts};
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.cv, NULL);
    b.post.fn = on_loop;
    weft_loop_post(s->loop, &b.post);
    uint64_t t0 = weft_now_ns();
    pthread_mutex_lock(&b.mu);
    while (!b.done)
        pthread_cond_wait(&b.cv, &b.mu);
    pthread_mutex_unlock(&b.mu);
    weft_pool_note_wait(weft_now_ns() - t0); /* a worker held, waiting */
    pthread_mutex_destroy(&b.mu);
    pthread_cond_destroy(&b.cv);
    *out = b.resp;
    return b.err;
}
