/* pool.c - fixed set of worker threads fed by a bounded FIFO.
 *
 * Owns the worker threads and the queue between loops and workers. Workers
 * may block for as long as their job likes; loops never wait on the pool:
 * submit either queues or fails with WEFT_EBUSY at once. Completions travel
 * back with weft_loop_post, so done() runs on the submitting loop. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/stats.h"
#include "../base/threads.h"
#include "../loop/loop.h"
#include "weft/pool.h"

/* How long a worker that ran out of jobs keeps looking for the next one
 * before it sleeps, and how many do that at once. A sleeping worker costs
 * the submitter a futex wake and itself a scheduler wake-up (tens of
 * microseconds on a VM); a job that finds a worker spinning starts in
 * well under one. One spinner bounds the CPU this burns to one core's
 * worth for SPIN_NS after each idle spell begins. */
#define SPIN_NS 50000
#define MAX_SPINNERS 1

struct weft_pool {
    pthread_mutex_t mu;
    pthread_cond_t work_ready;
    pthread_cond_t idle;
    weft_job *head, *tail;
    unsigned queued, queue_len, busy, nthreads, exited;
    unsigned spinners;          /* workers looking for a job without sleeping */
    _Atomic unsigned queued_now; /* `queued`, for spinners to read without mu */
    int stopping;
    uint64_t completed, rejected;
    uint64_t wait_ns_sum, wait_ns_max;
    uint64_t rate_sec, rate_count, rate_last; /* jobs finished per whole second */
    weft_hist_counter wait; /* written under mu */
    pthread_t *threads;
    weft_stat_source stats_src; /* adds the pool to weft_stats_snapshot */
};

static void collect(weft_stat_source *src, weft_stats *out);

/* What the job running on this worker reported waiting. */
static __thread uint64_t job_waited;

void weft_pool_note_wait(uint64_t ns)
{
    job_waited += ns;
}

/* Jobs finished per whole second (under mu): the queue's drain rate. */
static void count_drain(weft_pool *pool)
{
    uint64_t sec = weft_now_ms() / 1000;
    if (sec != pool->rate_sec) {
        pool->rate_last = sec == pool->rate_sec + 1 ? pool->rate_count : 0;
        pool->rate_sec = sec;
        pool->rate_count = 0;
    }
    pool->rate_count++;
}

static void deliver(weft_post *p)
{
    weft_job *job = (weft_job *)((char *)p - offsetof(weft_job, post));
    weft__loop_expected_arrived(job->origin, job->took_ns);
    job->done(job);
}

static void send_home(weft_job *job)
{
    job->post.fn = deliver;
    weft_loop_post(job->origin, &job->post);
}

/* With mu held and no job queued: looks for one for up to SPIN_NS
 * without sleeping (mu released meanwhile), if few enough others do.
 * weft_pool_submit skips the wake while a spinner will take the job. */
static void spin_for_work(weft_pool *pool)
{
    if (pool->spinners >= MAX_SPINNERS || pool->stopping)
        return;
    pool->spinners++;
    pthread_mutex_unlock(&pool->mu);
    uint64_t until = weft_now_ns() + SPIN_NS;
    for (unsigned i = 1; !atomic_load_explicit(&pool->queued_now, memory_order_relaxed); i++) {
        if ((i & 63) == 0 && weft_now_ns() >= until)
            break;
        weft__spin_round(i);
    }
    pthread_mutex_lock(&pool->mu);
    /* Under mu again: a job queued from here on sees one spinner fewer
     * and wakes a sleeper; one queued before is in the list. */
    pool->spinners--;
}

static void *worker_main(void *arg)
{
    weft_pool *pool = arg;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        if (!pool->head)
            spin_for_work(pool);
        while (!pool->head && !pool->stopping)
            pthread_cond_wait(&pool->work_ready, &pool->mu);
        if (!pool->head)
            break;
        weft_job *job = pool->head;
        pool->head = job->next;
        if (!pool->head)
            pool->tail = NULL;
        pool->queued--;
        atomic_store_explicit(&pool->queued_now, pool->queued, memory_order_relaxed);
        pool->busy++;
        uint64_t waited = weft_now_ns() - job->queued_ns;
        pool->wait_ns_sum += waited;
        if (waited > pool->wait_ns_max)
            pool->wait_ns_max = waited;
        weft__hist_add(&pool->wait, waited / 1000);
        pthread_mutex_unlock(&pool->mu);

        job->status = 0;
        job_waited = 0;
        uint64_t t0 = weft_now_ns();
        job->work(job);
        job->ran_ns = weft_now_ns() - t0;
        job->waited_ns = job_waited;
        job->took_ns = waited + job->ran_ns;

        /* Counted before the job goes home: once its completion runs, the
         * loop may read the stats (or stop the pool) at once. Counting
         * after the post let a caller see completed one short (a TSan run
         * of test_pool caught it). */
        pthread_mutex_lock(&pool->mu);
        pool->busy--;
        pool->completed++;
        count_drain(pool);
        pthread_mutex_unlock(&pool->mu);
        send_home(job);
        pthread_mutex_lock(&pool->mu);
    }
    pool->exited++;
    pthread_cond_broadcast(&pool->idle);
    pthread_mutex_unlock(&pool->mu);
    return NULL;
}

weft_pool *weft_pool_new(unsigned threads, unsigned queue_len, size_t stack_size)
{
    if (threads == 0)
        return NULL;
    weft_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    pool->threads = calloc(threads, sizeof *pool->threads);
    if (!pool->threads) {
        free(pool);
        return NULL;
    }
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->work_ready, NULL);
    pthread_cond_init(&pool->idle, NULL);
    pool->queue_len = queue_len;

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack_size)
        pthread_attr_setstacksize(&attr, stack_size);
    sigset_t old;
    weft__block_signals_for_thread(&old);
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&pool->threads[i], &attr, worker_main, pool))
            break;
        pool->nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (pool->nthreads == 0) {
        free(pool->threads);
        free(pool);
        return NULL;
    }
    pool->stats_src.collect = collect;
    weft__stats_register(&pool->stats_src);
    return pool;
}

int weft_pool_submit(weft_pool *pool, weft_job *job)
{
    job->origin = weft_loop_current();
    job->next = NULL;
    job->ran_ns = job->waited_ns = job->took_ns = 0;
    pthread_mutex_lock(&pool->mu);
    /* Jobs in the queue that an idle worker is about to take are not
     * waiting; the rest must fit in queue_len, or the caller sheds load. */
    unsigned free_workers = pool->nthreads - pool->busy;
    if (pool->stopping || pool->queued >= free_workers + pool->queue_len) {
        pool->rejected++;
        pthread_mutex_unlock(&pool->mu);
        return WEFT_EBUSY;
    }
    if (pool->tail)
        pool->tail->next = job;
    else
        pool->head = job;
    pool->tail = job;
    pool->queued++;
    atomic_store_explicit(&pool->queued_now, pool->queued, memory_order_relaxed);
    job->queued_ns = weft_now_ns();
    /* A spinning worker takes it; more jobs than spinners wake sleepers. */
    if (pool->queued > pool->spinners)
        pthread_cond_signal(&pool->work_ready);
    pthread_mutex_unlock(&pool->mu);
    if (job->origin)
        weft__loop_expect_post(job->origin);
    return 0;
}

unsigned weft_pool_stop(weft_pool *pool, unsigned timeout_ms)
{
    pthread_mutex_lock(&pool->mu);
    pool->stopping = 1;
    weft_job *job = pool->head;
    pool->head = pool->tail = NULL;
    pool->queued = 0;
    atomic_store_explicit(&pool->queued_now, 0, memory_order_relaxed);
    pthread_cond_broadcast(&pool->work_ready);
    pthread_mutex_unlock(&pool->mu);
    while (job) {
        weft_job *next = job->next;
        job->status = WEFT_ECANCELED;
        send_home(job);
        job = next;
    }

    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&pool->mu);
    while (pool->exited < pool->nthreads) {
        if (pthread_cond_timedwait(&pool->idle, &pool->mu, &until) == ETIMEDOUT)
            break;
    }
    unsigned left = pool->nthreads - pool->exited;
    pthread_mutex_unlock(&pool->mu);
    if (left == 0)
        for (unsigned i = 0; i < pool->nthreads; i++)
            pthread_join(pool->threads[i], NULL);
    return left;
}

void weft_pool_free(weft_pool *pool)
{
    weft__stats_unregister(&pool->stats_src);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->work_ready);
    pthread_cond_destroy(&pool->idle);
    free(pool->threads);
    free(pool);
}

void weft_pool_get_stats_sized(weft_pool *pool, weft_pool_stats *out_given, size_t out_size)
{
    weft_pool_stats own, *out = out_size >= sizeof own ? out_given : &own;
    pthread_mutex_lock(&pool->mu);
    out->threads = pool->nthreads;
    out->busy = pool->busy;
    out->queued = pool->queued;
    out->queue_len = pool->queue_len;
    out->completed = pool->completed;
    out->rejected = pool->rejected;
    out->queue_wait_ns_sum = pool->wait_ns_sum;
    out->queue_wait_ns_max = pool->wait_ns_max;
    /* the last whole second's, if it was the last one */
    uint64_t sec = weft_now_ms() / 1000;
    out->drained_per_s = sec == pool->rate_sec       ? pool->rate_last
                         : sec == pool->rate_sec + 1 ? pool->rate_count
                                                     : 0;
    pthread_mutex_unlock(&pool->mu);
    if (out != out_given) /* a caller built with an older, shorter struct */
        memcpy(out_given, out, out_size);
}

static void collect(weft_stat_source *src, weft_stats *out)
{
    weft_pool *pool = (weft_pool *)((char *)src - offsetof(weft_pool, stats_src));
    weft_pool_stats st;
    weft_pool_get_stats(pool, &st);
    out->pool.threads += st.threads;
    out->pool.busy += st.busy;
    out->pool.queued += st.queued;
    out->pool.queue_capacity += st.queue_len;
    out->pool.completed += st.completed;
    out->pool.rejected += st.rejected;
    out->pool.queue_wait_ns_sum += st.queue_wait_ns_sum;
    pthread_mutex_lock(&pool->mu);
    weft__hist_read(&pool->wait, &out->pool.queue_wait);
    pthread_mutex_unlock(&pool->mu);
    if (st.queue_wait_ns_max > out->pool.queue_wait_ns_max)
        out->pool.queue_wait_ns_max = st.queue_wait_ns_max;
}
