/* uring_tcp.c - the TCP transport's verbs on io_uring (uring.h).
 *
 * A socket's operations: one multishot receive while the owner reads, at
 * most one send (the transport's one pending write), a shutdown, the
 * connect's poll, and cancels. Each counts in `inflight` until its last
 * completion: the socket's memory is the kernel's to write into until
 * then, so close() cancels them all and the descriptor is closed, and
 * `closed` called, only once the count is zero.
 *
 * The transport's rules (transport.h) hold as for epoll: callbacks never
 * run inside the verb that caused them (deferred ones run at the end of
 * the turn, uring.c's flush), and after close() only `closed` comes.
 *
 * try_write takes nothing (but a connecting socket's first bytes): every
 * write is a send submitted with the rest of the turn's, which is the
 * point. Sending a turn's first write at once instead cost S3's front 14%
 * more CPU per request. Loop thread only. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "uring.h"

/* Callbacks due at the end of the turn. */
#define PEND_DELIVER 1u   /* what was stashed while paused, now that reading resumed */
#define PEND_CONNECTED 2u /* a connect that failed at once (refused: early_err) */
#define PEND_CLOSED 4u

static void defer(weft_tcp *t, unsigned what)
{
    t->u.pend |= what;
    weft__uring_defer(t->ring, t);
}

static void arm_recv(weft_tcp *t)
{
    weft_usock *u = &t->u;
    struct io_uring_sqe *sqe = weft__uring_sqe(t->ring, t, UOP_RECV);
    io_uring_prep_recv_multishot(sqe, u->fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    u->recv_armed = 1;
    u->inflight++;
}

static void submit_send(weft_tcp *t)
{
    weft_usock *u = &t->u;
    struct io_uring_sqe *sqe = weft__uring_sqe(t->ring, t, UOP_SEND);
    io_uring_prep_send(sqe, u->fd, u->wp, u->wleft, MSG_NOSIGNAL);
    u->sending = 1;
    u->inflight++;
}

static void cancel_op(weft_tcp *t, unsigned op)
{
    weft__uring_cancel(t->ring, t, UOP_CANCEL, op);
    t->u.inflight++;
}

static void cancel_recv(weft_tcp *t)
{
    if (t->u.recv_armed && !t->u.recv_cancelling) {
        cancel_op(t, UOP_RECV);
        t->u.recv_cancelling = 1;
    }
}

static void submit_shut(weft_tcp *t)
{
    weft_usock *u = &t->u;
    u->shut_wanted = 0;
    struct io_uring_sqe *sqe = weft__uring_sqe(t->ring, t, UOP_SHUT);
    io_uring_prep_shutdown(sqe, u->fd, SHUT_WR);
    u->inflight++;
}

static int stashed(const weft_usock *u)
{
    return u->stash.len > u->stash_off || u->stash_end;
}

static void stash(weft_tcp *t, const char *p, size_t n)
{
    weft_usock *u = &t->u;
    if (u->stash_end)
        return; /* nothing follows an end */
    if (u->stash_off && u->stash_off == u->stash.len)
        u->stash.len = u->stash_off = 0;
    if (weft_buf_append(&u->stash, p, n))
        u->stash_end = -ENOMEM; /* the owner hears of it as a read error */
}

/* Hands n bytes to the owner through its alloc/read pair while it reads;
 * returns how many it took (the rest is the caller's to stash). */
static size_t hand_over(weft_tcp *t, const char *p, size_t n)
{
    weft_usock *u = &t->u;
    size_t given = 0;
    while (given < n && u->reading && !u->closing) {
        char *base = NULL;
        size_t room = 0;
        t->t.ev->alloc(&t->t, &base, &room);
        if (room == 0) {
            /* The owner pauses (read_start later hands over the rest,
             * stashed by the caller) or closes, as with epoll. */
            t->t.ev->read(&t->t, WEFT_IO_NOBUFS);
            break;
        }
        size_t k = n - given < room ? n - given : room;
        memcpy(base, p + given, k);
        given += k;
        t->t.ev->read(&t->t, (ssize_t)k);
    }
    return given;
}

static void maybe_arm(weft_tcp *t)
{
    weft_usock *u = &t->u;
    if (u->reading && !u->recv_armed && !u->eof_seen && !u->closing && !t->connecting &&
        !stashed(u))
        arm_recv(t);
}

static void deliver_stash(weft_tcp *t)
{
    weft_usock *u = &t->u;
    if (u->stash.len > u->stash_off) {
        u->stash_off += hand_over(t, u->stash.data + u->stash_off, u->stash.len - u->stash_off);
        if (u->stash_off < u->stash.len)
            return;
        u->stash.len = u->stash_off = 0;
    }
    if (u->stash_end && u->reading && !u->closing) {
        int end = u->stash_end;
        u->stash_end = 0;
        t->t.ev->read(&t->t, end);
    }
    maybe_arm(t);
}

static void maybe_finish_close(weft_tcp *t)
{
    weft_usock *u = &t->u;
    if (!u->closing || u->inflight || (u->pend & PEND_CLOSED))
        return;
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
    defer(t, PEND_CLOSED);
}

static void finish_connect(weft_tcp *t, int status)
{
    weft_usock *u = &t->u;
    t->connecting = 0;
    if (status == 0 && t->early_err)
        status = t->early_err;
    if (status == 0) {
        int one = 1;
        setsockopt(u->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (u->writing)
            submit_send(t);
        maybe_arm(t);
    }
    t->t.ev->connected(&t->t, status);
    if (status < 0 && u->writing && !u->closing) {
        u->writing = 0;
        t->t.ev->written(&t->t, -ECANCELED);
    }
}

static void on_recv(weft_tcp *t, int res, unsigned flags)
{
    weft_usock *u = &t->u;
    if (!(flags & IORING_CQE_F_MORE)) {
        u->recv_armed = 0;
        u->recv_cancelling = 0;
        u->inflight--;
    }
    int end = 0;
    if (res > 0) {
        unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
        const char *p = weft__uring_buf(t->ring, bid);
        if (!u->closing) {
            size_t took = stashed(u) ? 0 : hand_over(t, p, (size_t)res);
            if (took < (size_t)res && !u->closing)
                stash(t, p + took, (size_t)res - took);
        }
        weft__uring_buf_return(t->ring, bid);
    } else if (res == 0) {
        end = WEFT_IO_EOF;
    } else if (res != -ECANCELED && res != -ENOBUFS) {
        end = res; /* a reset, or another error: nothing more will come */
    }
    /* -ENOBUFS: every shared buffer was full at once; they are back by
     * now and the receive is armed again below. */
    if (end) {
        u->eof_seen = 1;
        if (u->closing)
            ;
        else if (!u->reading || stashed(u))
            u->stash_end = end;
        else
            t->t.ev->read(&t->t, end);
    }
    if (u->closing)
        maybe_finish_close(t);
    else
        maybe_arm(t);
}

static void on_send(weft_tcp *t, int res)
{
    weft_usock *u = &t->u;
    u->inflight--;
    u->sending = 0;
    if (u->closing) {
        maybe_finish_close(t);
        return;
    }
    if (res > 0 && (size_t)res < u->wleft) { /* the rest, as the kernel takes it */
        u->wp += res;
        u->wleft -= (size_t)res;
        submit_send(t);
        return;
    }
    if (res == 0 && u->wleft > 0)
        res = -EPIPE; /* nothing taken of a non-empty send: the socket is done */
    u->writing = 0;
    u->wp = NULL;
    u->wleft = 0;
    if (res >= 0 && u->shut_wanted)
        submit_shut(t);
    t->t.ev->written(&t->t, res < 0 ? res : 0);
}

static void on_connect_polled(weft_tcp *t, int res)
{
    weft_usock *u = &t->u;
    u->inflight--;
    u->connect_polled = 0;
    if (u->closing) {
        maybe_finish_close(t);
        return;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (res >= 0 && getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &len))
        err = errno;
    finish_connect(t, res < 0 ? res : -err);
}

void weft__utcp_complete(weft_tcp *t, unsigned op, int res, unsigned flags)
{
    weft_usock *u = &t->u;
    switch (op) {
    case UOP_RECV:
        on_recv(t, res, flags);
        break;
    case UOP_SEND:
        on_send(t, res);
        break;
    case UOP_SHUT:
        u->inflight--;
        if (u->closing)
            maybe_finish_close(t);
        else
            t->t.ev->shut(&t->t, res < 0 ? res : 0);
        break;
    case UOP_CONNECT:
        on_connect_polled(t, res);
        break;
    case UOP_CANCEL:
        u->inflight--;
        maybe_finish_close(t);
        break;
    default:
        break;
    }
}

void weft__utcp_run_pending(weft_tcp *t)
{
    weft_usock *u = &t->u;
    unsigned what = u->pend;
    u->pend = 0;
    if (what & PEND_CLOSED) {
        weft_buf_free(&u->stash);
        weft__uring_live(t->ring, -1);
        t->t.ev->closed(&t->t); /* the last word: the memory is the owner's */
        return;
    }
    if (u->closing)
        return;
    if (what & PEND_CONNECTED)
        finish_connect(t, 0); /* early_err says how it failed */
    if ((what & PEND_DELIVER) && !u->closing && u->reading)
        deliver_stash(t);
}

/* ---- verbs ------------------------------------------------------------------ */

static int utcp_read_start(weft_transport *tr)
{
    weft_tcp *t = (weft_tcp *)tr;
    weft_usock *u = &t->u;
    if (u->closing)
        return -EINVAL;
    u->reading = 1;
    if (stashed(u))
        defer(t, PEND_DELIVER);
    else
        maybe_arm(t);
    return 0;
}

static void utcp_read_stop(weft_transport *tr)
{
    weft_tcp *t = (weft_tcp *)tr;
    weft_usock *u = &t->u;
    u->reading = 0;
    if (!u->closing)
        cancel_recv(t); /* what lands before the cancel takes is stashed, not lost */
}

static ssize_t utcp_try_write(weft_transport *tr, const char *p, size_t n)
{
    weft_tcp *t = (weft_tcp *)tr;
    if (t->u.closing)
        return -EPIPE;
    if (t->u.writing)
        return 0;
    if (t->connecting)
        return weft__tcp_send_early(t, t->u.fd, p, n);
    return 0; /* sent with the rest of the turn's writes, by write() */
}

static int utcp_write(weft_transport *tr, const char *p, size_t n)
{
    weft_tcp *t = (weft_tcp *)tr;
    weft_usock *u = &t->u;
    if (u->closing || u->writing)
        return -EINVAL;
    u->writing = 1;
    u->wp = p;
    u->wleft = n;
    if (!t->connecting)
        submit_send(t); /* else once connected (finish_connect) */
    return 0;
}

static int utcp_shutdown(weft_transport *tr)
{
    weft_tcp *t = (weft_tcp *)tr;
    weft_usock *u = &t->u;
    if (u->closing || t->connecting)
        return -ENOTCONN;
    if (u->writing)
        u->shut_wanted = 1; /* after the write (on_send) */
    else
        submit_shut(t);
    return 0;
}

static void utcp_close(weft_transport *tr)
{
    weft_tcp *t = (weft_tcp *)tr;
    weft_usock *u = &t->u;
    if (u->closing)
        return;
    u->closing = 1;
    u->reading = 0;
    u->writing = 0;
    /* A shutdown under way completes by itself; the rest may wait for
     * the peer forever. */
    cancel_recv(t);
    if (u->sending)
        cancel_op(t, UOP_SEND);
    if (u->connect_polled)
        cancel_op(t, UOP_CONNECT);
    maybe_finish_close(t);
}

static void utcp_reset(weft_transport *tr)
{
    weft_tcp *t = (weft_tcp *)tr;
    if (t->u.closing)
        return;
    if (t->u.fd >= 0) { /* the close that follows sends a reset, not a FIN */
        struct linger lg = {1, 0};
        setsockopt(t->u.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    utcp_close(tr);
}

static int utcp_peer_name(weft_transport *tr, char *out, size_t cap)
{
    return weft__fd_peer_name(((weft_tcp *)tr)->u.fd, out, cap);
}

static const weft_transport_ops utcp_ops = {
    utcp_read_start, utcp_read_stop, utcp_try_write, utcp_write, utcp_shutdown, utcp_close,
    utcp_reset, utcp_peer_name,
};

void weft__utcp_init(struct weft_uring *ur, weft_tcp *t)
{
    memset(&t->u, 0, sizeof t->u);
    t->u.fd = -1;
    t->ring = ur;
    t->t.ops = &utcp_ops;
    weft__uring_live(ur, 1);
}

void weft__utcp_adopt(weft_tcp *t, int fd)
{
    t->u.fd = fd;
}

int weft__utcp_connect(weft_tcp *t, const struct sockaddr *addr)
{
    weft_usock *u = &t->u;
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        return -errno;
    u->fd = fd;
    socklen_t len = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                : sizeof(struct sockaddr_in);
    t->connecting = 1;
    if (connect(fd, addr, len) && errno != EINPROGRESS) {
        if (errno != ECONNREFUSED) {
            t->connecting = 0;
            return -errno; /* the owner closes it */
        }
        /* Refused at once (loopback): told through `connected`, as epoll does. */
        t->early_err = -ECONNREFUSED;
        defer(t, PEND_CONNECTED);
        return 0;
    }
    struct io_uring_sqe *sqe = weft__uring_sqe(t->ring, t, UOP_CONNECT);
    io_uring_prep_poll_add(sqe, fd, POLLOUT);
    u->connect_polled = 1;
    u->inflight++;
    return 0;
}
