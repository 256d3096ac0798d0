/* file_send.c - a byte range of an open file as the body of a sized
 * streamed answer, from a fiber, without the loop ever touching the disk.
 *
 * Over plain HTTP/1.1 the bytes go by sendfile: a pool thread moves them
 * from the page cache to the socket until the socket is full, then the
 * fiber waits on the loop for it to be writable again - the disk read
 * (a page-cache miss) blocks a worker, never the loop. The pool thread
 * works on copies of both descriptors (dup), so a connection closing on
 * the loop cannot free the socket's number under it. Over TLS and HTTP/2
 * the codec must see the bytes: a pool thread reads a part, the fiber
 * writes it and waits until the client has taken most of it. Memory stays
 * at one part whatever the file's size. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "server.h"

#define SENDFILE_ROUND (32u << 20) /* a worker's turn: then the queue's others */
#define READ_PART (256u << 10)

typedef struct sf_job {
    int sock, file;
    off_t off;
    size_t len;
    size_t sent;
    int err; /* 0, EAGAIN (socket full) or why it failed */
} sf_job;

/* A full socket is waited for here this long before the round goes back
 * to the loop: a client that reads at the loopback's pace frees room
 * within microseconds, and each trip to the loop and back through the
 * pool costs tens of them (S11: 0.72 of nginx's speed without the wait).
 * A slow client lets the worker go after it. */
#define SOCKET_FULL_WAIT_MS 5

static void *sendfile_round(void *arg)
{
    sf_job *j = arg;
    while (j->sent < j->len) {
        ssize_t n = sendfile(j->sock, j->file, &j->off, j->len - j->sent);
        if (n > 0) {
            j->sent += (size_t)n;
        } else if (n == 0) {
            j->err = EIO; /* the file is shorter than it said */
            break;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            struct pollfd p = {j->sock, POLLOUT, 0};
            if (poll(&p, 1, SOCKET_FULL_WAIT_MS) <= 0 || (p.revents & (POLLERR | POLLHUP))) {
                j->err = EAGAIN; /* the loop waits for it from here */
                break;
            }
        } else if (errno != EINTR) {
            j->err = errno;
            break;
        }
    }
    return j;
}

static void sf_job_free(void *v)
{
    sf_job *j = v;
    close(j->sock);
    close(j->file);
    free(j);
}

/* Writability of the socket, on the loop, by a watch of its own copy. */
typedef struct writable_wait {
    weft_io_watch *watch;
    weft_task *task;
} writable_wait;

static void on_writable(weft_io_watch *w, int events, void *arg)
{
    writable_wait *ww = arg;
    weft__io_watch_set(w, 0);
    weft__wake_slot(&ww->task);
    (void)events;
}

/* Waits until sock takes more, at most --write-timeout: 0, the request's
 * reason, or WEFT_ETIMEDOUT (a client that stopped reading). */
static int await_writable(weft_ctx *c, writable_wait *ww, int sock)
{
    if (!ww->watch) {
        ww->watch = weft__io_watch_new(&c->sl->loop, sock, on_writable, ww);
        if (!ww->watch)
            return WEFT_ENOMEM;
    }
    weft_scope *s = weft_scope_new(weft_ctx_scope(c), -1);
    if (!s)
        return WEFT_ENOMEM;
    ww->task = weft_task_new(s);
    int ms = c->app->cfg.write_timeout_ms;
    int rc = ww->task ? weft__io_watch_set(ww->watch, WEFT_IO_WRITABLE) : WEFT_ENOMEM;
    if (!rc)
        rc = weft_await(ms > 0 ? weft_with_timeout(s, ww->task, (uint64_t)ms) : ww->task);
    ww->task = NULL;
    weft__io_watch_set(ww->watch, 0);
    weft_scope_free(s);
    return rc;
}

/* Runs fn(job) on the pool in a scope of its own, which the caller frees
 * after reading the job (the job's dtor runs then, or once a worker still
 * holding it is done). 0, or why not - when the job never ran, it is
 * freed here. */
static int run_job(weft_ctx *c, weft_scope **s, void *(*fn)(void *), void *job, weft_dtor dtor)
{
    *s = weft_scope_new(weft_ctx_scope(c), -1);
    weft_task *t = *s ? weft_run(*s, fn, job, dtor) : NULL;
    int rc = t ? weft_await(t) : WEFT_ENOMEM;
    if (rc == WEFT_EBUSY || !t)
        dtor(job);
    return rc;
}

static int send_by_sendfile(weft_ctx *c, int sock, int fd, uint64_t off, uint64_t len)
{
    writable_wait ww = {0};
    int rc = 0;
    /* Full segments while the file goes out (the connection has
     * TCP_NODELAY, which sends each sendfile's tail as its own short
     * segment: S11 measured 0.70 of nginx, whose tcp_nopush does this);
     * uncorked at the end, which sends what is left at once. */
    int cork = 1, uncork = 0;
    setsockopt(sock, IPPROTO_TCP, TCP_CORK, &cork, sizeof cork);
    while (len && !rc) {
        sf_job *j = calloc(1, sizeof *j);
        if (!j)
            return WEFT_ENOMEM;
        j->sock = fcntl(sock, F_DUPFD_CLOEXEC, 3);
        j->file = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        j->off = (off_t)off;
        j->len = len < SENDFILE_ROUND ? (size_t)len : SENDFILE_ROUND;
        if (j->sock < 0 || j->file < 0) {
            sf_job_free(j);
            return WEFT_EIO;
        }
        weft_scope *s;
        rc = run_job(c, &s, sendfile_round, j, sf_job_free);
        if (!rc) {
            off += j->sent;
            len -= j->sent;
            c->bytes_out += j->sent;
            if (j->err == EAGAIN)
                rc = await_writable(c, &ww, sock);
            else if (j->err)
                rc = WEFT_ECONNRESET; /* the client went, or the file shrank */
        }
        if (s)
            weft_scope_free(s); /* frees j once the worker is done with it */
    }
    if (ww.watch)
        weft__io_watch_free(ww.watch);
    setsockopt(sock, IPPROTO_TCP, TCP_CORK, &uncork, sizeof uncork);
    return rc;
}

typedef struct read_job {
    int file;
    off_t off;
    size_t len;
    ssize_t got;
    int err;
    char data[];
} read_job;

static void *read_part(void *arg)
{
    read_job *j = arg;
    do
        j->got = pread(j->file, j->data, j->len, j->off);
    while (j->got < 0 && errno == EINTR);
    j->err = j->got < 0 ? errno : j->got == 0 ? EIO : 0;
    return j;
}

static void read_job_free(void *v)
{
    read_job *j = v;
    close(j->file);
    free(j);
}

static int send_by_parts(weft_ctx *c, int fd, uint64_t off, uint64_t len)
{
    int rc = 0;
    while (len && !rc) {
        size_t n = len < READ_PART ? (size_t)len : READ_PART;
        read_job *j = malloc(sizeof *j + n);
        if (!j)
            return WEFT_ENOMEM;
        *j = (read_job){.file = fcntl(fd, F_DUPFD_CLOEXEC, 3), .off = (off_t)off, .len = n};
        if (j->file < 0) {
            free(j);
            return WEFT_EIO;
        }
        weft_scope *s;
        rc = run_job(c, &s, read_part, j, read_job_free);
        if (!rc && j->err)
            rc = WEFT_EIO;
        if (!rc) {
            rc = weft_stream_write(c, j->data, (size_t)j->got);
            off += (uint64_t)j->got;
            len -= (uint64_t)j->got;
        }
        if (s)
            weft_scope_free(s);
        if (!rc && len)
            rc = weft__await_drained(c, READ_PART);
    }
    return rc;
}

/* Waits until nothing of the answer is unsent (its head, before the file
 * goes on the socket directly). */
static int await_all_sent(weft_ctx *c)
{
    return weft__await_drained(c, 1);
}

int weft__send_file(weft_ctx *c, int fd, uint64_t off, uint64_t len)
{
    int rc = 0;
    if (!c->is_head && len) {
        int sock = -1;
        if (len >= 64 * 1024 && !(rc = await_all_sent(c)))
            sock = c->codec->socket_dup(c);
        if (!rc)
            rc = sock >= 0 ? send_by_sendfile(c, sock, fd, off, len) : send_by_parts(c, fd, off, len);
        if (sock >= 0)
            close(sock);
    }
    if (rc == WEFT_ETIMEDOUT)
        weft_debug("client %s read nothing for %d ms: cutting its file off", c->codec->peer(c),
                   c->app->cfg.write_timeout_ms);
    if (rc)
        c->close_after = 1; /* a body cut short cannot be framed: the connection ends */
    weft_stream_end(c);
    return rc;
}
