/* log.c - error log (stderr) and access log (stdout) through one writer thread.
 *
 * Loop threads must never block on a write(2) to a slow terminal or pipe,
 * so callers only append to memory: error lines go straight into the shared
 * queue (they are rare), access lines are batched per thread and handed over
 * by weft_log_flush_thread(), which a loop calls on its periodic tick. The
 * writer thread starts on first use. When more than QUEUE_LIMIT bytes wait,
 * new lines are dropped and counted rather than growing without bound.
 *
 * Access lines leave in the order their requests ended across all loops:
 * each carries its end time, and the writer holds lines for HOLD_NS - more
 * than a loop's flush period - and writes the ones older than that sorted
 * by time, so a loop that flushed late cannot put its lines after later
 * ones of another loop. weft_log_sync writes everything held. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "threads.h"
#include "weft/base.h"

#define QUEUE_LIMIT (8u << 20)
#define THREAD_BATCH 16384
#define HOLD_NS 600000000ull /* > the loops' 250 ms flush tick, with room */

/* An access line in a batch: its request's end, its length, its bytes. */
typedef struct access_rec {
    uint64_t t_ns;
    uint32_t len;
} access_rec;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t drained = PTHREAD_COND_INITIALIZER;
static weft_buf pending[2]; /* [0] stderr, [1] stdout */
static int writing;         /* the writer holds a batch outside the lock */
static int flush_all;       /* weft_log_sync: write what is held, too */
static size_t held_visible; /* how many access lines the writer holds back (under mu) */
static int writer_running;  /* under mu */
static int writer_exit;     /* under mu: weft__log_stop_writer asks it to end */
static pthread_t writer_thread;
static _Atomic int level = WEFT_LOG_INFO;
static _Atomic uint64_t dropped;
static __thread weft_buf access_batch;
static char tag[40]; /* "[worker 2] ", set before any thread logs */

void weft__log_set_tag(const char *t)
{
    snprintf(tag, sizeof tag, "%s%s%s", t ? "[" : "", t ? t : "", t ? "] " : "");
}

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

/* The access lines the writer holds back, unsorted, and their index. */
typedef struct held {
    uint64_t t_ns, seq;
    size_t off;
    uint32_t len;
} held;

static weft_buf held_bytes; /* the writer thread's alone */
static held *held_idx;
static size_t held_lines, held_cap;
static uint64_t held_seq;

/* Takes a batch of access records into the held lines. */
static void hold(const weft_buf *batch)
{
    size_t at = 0;
    while (at + sizeof(access_rec) <= batch->len) {
        access_rec r;
        memcpy(&r, batch->data + at, sizeof r);
        at += sizeof r;
        if (at + r.len > batch->len)
            break;
        if (held_lines == held_cap) {
            size_t cap = held_cap ? held_cap * 2 : 256;
            held *n = realloc(held_idx, cap * sizeof *n);
            if (!n)
                break;
            held_idx = n;
            held_cap = cap;
        }
        size_t off = held_bytes.len;
        if (weft_buf_append(&held_bytes, batch->data + at, r.len))
            break;
        held_idx[held_lines++] = (held){r.t_ns, held_seq++, off, r.len};
        at += r.len;
    }
}

static int by_time(const void *a, const void *b)
{
    const held *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Writes the held lines that ended before `before`, in time order, and
 * keeps the rest. Writer thread only, outside the lock. */
static void release(uint64_t before, weft_buf *out)
{
    if (held_lines == 0)
        return; /* (qsort wants an array, even of nothing) */
    qsort(held_idx, held_lines, sizeof *held_idx, by_time);
    size_t n = 0;
    while (n < held_lines && held_idx[n].t_ns <= before) {
        weft_buf_append(out, held_bytes.data + held_idx[n].off, held_idx[n].len);
        n++;
    }
    if (n == 0)
        return;
    /* compact what is left */
    weft_buf rest = {0};
    for (size_t i = n; i < held_lines; i++) {
        size_t off = rest.len;
        weft_buf_append(&rest, held_bytes.data + held_idx[i].off, held_idx[i].len);
        held_idx[i - n] = held_idx[i];
        held_idx[i - n].off = off;
    }
    held_lines -= n;
    weft_buf_free(&held_bytes);
    held_bytes = rest;
}

/* The writer's own buffers. Static, not on its stack: they stay
 * reachable (for a leak checker) whether or not the thread runs. */
static weft_buf writer_in[2], writer_out;

static void *writer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        /* held_lines is this thread's own: read under the lock or not */
        while (pending[0].len == 0 && pending[1].len == 0 && !(held_lines && flush_all)) {
            if (writer_exit && !held_lines) {
                pthread_mutex_unlock(&mu);
                return NULL;
            }
            if (!held_lines) {
                pthread_cond_wait(&wake, &mu);
                continue;
            }
            struct timespec until; /* wake to release what has aged */
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 100000000;
            if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
            }
            if (pthread_cond_timedwait(&wake, &mu, &until))
                break;
        }
        for (int i = 0; i < 2; i++) {
            weft_buf t = writer_in[i];
            writer_in[i] = pending[i];
            pending[i] = t;
            pending[i].len = 0;
        }
        int all = flush_all;
        writing = 1;
        pthread_mutex_unlock(&mu);
        write_all(2, writer_in[0].data, writer_in[0].len);
        hold(&writer_in[1]);
        release(all ? UINT64_MAX : weft_now_ns() - HOLD_NS, &writer_out);
        write_all(1, writer_out.data, writer_out.len);
        writer_in[0].len = writer_in[1].len = writer_out.len = 0;
        pthread_mutex_lock(&mu);
        held_visible = held_lines;
        writing = 0;
        pthread_cond_broadcast(&drained);
    }
    return NULL;
}

/* Under mu. */
static void start_writer(void)
{
    if (writer_running)
        return;
    writer_running = 1;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    sigset_t old; /* a master's SIGHUP is its own, not this thread's to die of */
    weft__block_signals_for_thread(&old);
    if (pthread_create(&writer_thread, &attr, writer_main, NULL) != 0)
        abort();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
}

static void enqueue(int which, const char *data, size_t len)
{
    pthread_mutex_lock(&mu);
    start_writer();
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
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, tags[lvl & 3], tag);
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
    access_rec r = {weft_now_ns(), (uint32_t)len};
    if (len > UINT32_MAX || weft_buf_reserve(&access_batch, sizeof r + len)) {
        atomic_fetch_add(&dropped, 1);
        return;
    }
    weft_buf_append(&access_batch, &r, sizeof r);
    weft_buf_append(&access_batch, line, len);
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
    pthread_mutex_lock(&mu);
    start_writer();
    flush_all = 1; /* lines held back for ordering go too */
    while (pending[0].len || pending[1].len || writing || held_visible) {
        pthread_cond_signal(&wake);
        pthread_cond_wait(&drained, &mu);
    }
    flush_all = 0;
    pthread_mutex_unlock(&mu);
}

void weft__log_stop_writer(void)
{
    weft_log_sync();
    pthread_mutex_lock(&mu);
    if (!writer_running) {
        pthread_mutex_unlock(&mu);
        return;
    }
    writer_exit = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&mu);
    pthread_join(writer_thread, NULL);
    pthread_mutex_lock(&mu);
    writer_running = writer_exit = 0;
    pthread_mutex_unlock(&mu);
}

uint64_t weft_log_dropped(void)
{
    return atomic_load(&dropped);
}
