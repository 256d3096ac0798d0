/* log.c - error log (stderr) and access log (stdout) through one writer thread.
 *
 * Loop threads must never block on a write(2) to a slow terminal or pipe,
 * so callers only append to memory: error lines go straight into the shared
 * queue (they are rare), access lines are batched per thread and handed over
 * by weft_log_flush_thread(), which a loop calls on its periodic tick. The
 * writer thread starts on first use. When more than QUEUE_LIMIT bytes wait,
 * new lines are dropped and counted rather than growing without bound. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "weft/base.h"

#define QUEUE_LIMIT (8u << 20)
#define THREAD_BATCH 16384

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t drained = PTHREAD_COND_INITIALIZER;
static weft_buf pending[2]; /* [0] stderr, [1] stdout */
static int writing;         /* the writer holds a batch outside the lock */
static pthread_once_t started = PTHREAD_ONCE_INIT;
static _Atomic int level = WEFT_LOG_INFO;
static _Atomic uint64_t dropped;
static __thread weft_buf access_batch;

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0)
            return; /* nowhere left to report a logging failure */
        p += w;
        n -= (size_t)w;
    }
}

static void *writer_main(void *arg)
{
    (void)arg;
    weft_buf mine[2] = {{0}, {0}};
    pthread_mutex_lock(&mu);
    for (;;) {
        while (pending[0].len == 0 && pending[1].len == 0)
            pthread_cond_wait(&wake, &mu);
        for (int i = 0; i < 2; i++) {
            weft_buf t = mine[i];
            mine[i] = pending[i];
            pending[i] = t;
            pending[i].len = 0;
        }
        writing = 1;
        pthread_mutex_unlock(&mu);
        write_all(2, mine[0].data, mine[0].len);
        write_all(1, mine[1].data, mine[1].len);
        mine[0].len = mine[1].len = 0;
        pthread_mutex_lock(&mu);
        writing = 0;
        pthread_cond_broadcast(&drained);
    }
    return NULL;
}

static void start_writer(void)
{
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (pthread_create(&t, &attr, writer_main, NULL) != 0)
        abort();
    pthread_attr_destroy(&attr);
}

static void enqueue(int which, const char *data, size_t len)
{
    pthread_once(&started, start_writer);
    pthread_mutex_lock(&mu);
    if (pending[0].len + pending[1].len + len > QUEUE_LIMIT ||
        weft_buf_append(&pending[which], data, len)) {
        atomic_fetch_add(&dropped, 1);
    } else {
        pthread_cond_signal(&wake);
    }
    pthread_mutex_unlock(&mu);
}

void weft_log_set_level(weft_log_level lvl)
{
    atomic_store(&level, lvl);
}

weft_log_level weft_log_get_level(void)
{
    return (weft_log_level)atomic_load(&level);
}

int weft_log_level_parse(const char *s)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return WEFT_EINVAL;
}

void weft_log(weft_log_level lvl, const char *fmt, ...)
{
    static const char *const tags[] = {"debug", "info", "warn", "error"};
    if ((int)lvl < atomic_load(&level))
        return;
    char line[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, tags[lvl & 3]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2; /* truncated message */
    line[len++] = '\n';
    enqueue(0, line, len);
}

void weft_log_access(const char *line, size_t len)
{
    if (weft_buf_append(&access_batch, line, len)) {
        atomic_fetch_add(&dropped, 1);
        return;
    }
    if (access_batch.len >= THREAD_BATCH)
        weft_log_flush_thread();
}

void weft_log_flush_thread(void)
{
    if (access_batch.len == 0)
        return;
    enqueue(1, access_batch.data, access_batch.len);
    access_batch.len = 0;
}

void weft_log_thread_done(void)
{
    weft_log_flush_thread();
    weft_buf_free(&access_batch);
}

void weft_log_sync(void)
{
    weft_log_flush_thread();
    pthread_once(&started, start_writer);
    pthread_mutex_lock(&mu);
    while (pending[0].len || pending[1].len || writing) {
        pthread_cond_signal(&wake);
        pthread_cond_wait(&drained, &mu);
    }
    pthread_mutex_unlock(&mu);
}

uint64_t weft_log_dropped(void)
{
    return atomic_load(&dropped);
}
