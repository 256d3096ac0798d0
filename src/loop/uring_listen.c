/* uring_listen.c - listeners on io_uring: one accept in flight per
 * listening socket, armed again after each completion, the connections
 * offered to the owner one by one (transport.h's listener contract, as
 * tcp.c keeps it for epoll).
 *
 * Not a multishot accept: the kernel wakes one io_uring accept per new
 * connection, the first in the socket's wait queue, and a multishot one
 * never leaves that place. On a socket shared by --processes workers one
 * worker then took every connection, and SIGHUP's replacement under TSan
 * lost requests; an accept armed again queues behind the other workers'.
 *
 * One accept in flight means at most one connection waits here: the
 * one a paused owner did not take (the rest wait in the kernel's backlog
 * until it resumes). An accept that fails for want of descriptors or
 * memory is tried again after RETRY_MS rather than at once, which would
 * spin. Loop thread only. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "uring.h"

#define RETRY_MS 50

static void arm_accept(weft_listener *l)
{
    struct io_uring_sqe *sqe = weft__uring_sqe(l->ring, l, UOP_ACCEPT);
    io_uring_prep_accept(sqe, l->u.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    l->u.accepting = 1;
    l->u.inflight++;
}

/* The last of a closed listener: a connection a paused owner will never
 * take goes unanswered, and the socket closes once the kernel holds
 * nothing of ours. */
static void finish_close(weft_listener *l)
{
    if (l->open)
        return;
    if (l->paused && l->u.waiting >= 0) {
        close(l->u.waiting);
        l->u.waiting = -1;
    }
    if (l->u.inflight || l->u.fd < 0)
        return;
    close(l->u.fd);
    l->u.fd = -1;
    weft__uring_live(l->ring, -1);
}

/* Offers the accepted connection: taken, refused (closed), or left
 * waiting while the owner has paused. Also once the owner has closed the
 * listener: the kernel accepted it for this process (the accept runs
 * ahead of the owner), and with the socket shared by worker processes
 * nobody else will serve it; dropping it failed requests while SIGHUP
 * replaced the workers (test_processes under TSan). */
static void offer(weft_listener *l)
{
    if (l->u.waiting < 0 || l->paused)
        return;
    l->took = 0;
    l->on_connection(l);
    if (!l->took && !l->paused && l->u.waiting >= 0) {
        close(l->u.waiting);
        l->u.waiting = -1;
        weft_warn("a connection was closed unanswered: no memory to serve it");
    }
}

static void maybe_rearm(weft_listener *l)
{
    if (l->open && !l->paused && !l->u.accepting && l->on_connection &&
        !weft_timer_active(&l->u.retry))
        arm_accept(l);
}

static void on_retry(weft_timer *tm)
{
    weft_listener *l = (weft_listener *)((char *)tm - offsetof(weft_listener, u.retry));
    maybe_rearm(l);
}

void weft__ulisten_complete(weft_listener *l, unsigned op, int res)
{
    l->u.inflight--;
    if (op == UOP_LCANCEL) {
        finish_close(l);
        return;
    }
    l->u.accepting = 0;
    l->u.cancelling = 0;
    if (res >= 0) {
        l->u.waiting = res; /* the only accept in flight: nothing waits */
    } else if (res != -ECANCELED) {
        weft_warn("accept failed: %s", weft__io_strerror(res));
        if ((res == -EMFILE || res == -ENFILE || res == -ENOMEM || res == -ENOBUFS) && l->open &&
            !weft_timer_active(&l->u.retry))
            weft_timer_start(l->ring->loop, &l->u.retry, RETRY_MS, on_retry);
    }
    offer(l);
    if (!l->open)
        finish_close(l);
    else
        maybe_rearm(l);
}

int weft__ulisten_adopt(struct weft_uring *ur, weft_listener *l, int fd)
{
    memset(&l->u, 0, sizeof l->u);
    l->ring = ur;
    l->u.fd = fd;
    l->u.waiting = -1;
    l->open = 1;
    weft__uring_live(ur, 1);
    return 0;
}

int weft__ulisten_start(weft_listener *l)
{
    arm_accept(l);
    return 0;
}

int weft__ulisten_accept(weft_listener *l, weft_tcp *t)
{
    l->took = 1;
    if (l->u.waiting < 0)
        return -EAGAIN;
    weft__utcp_adopt(t, l->u.waiting);
    l->u.waiting = -1;
    return 0;
}

void weft__ulisten_resume(weft_listener *l)
{
    offer(l);
    maybe_rearm(l);
}

void weft__ulisten_close(weft_listener *l)
{
    weft_timer_stop(l->ring->loop, &l->u.retry);
    if (l->u.accepting && !l->u.cancelling) {
        weft__uring_cancel(l->ring, l, UOP_LCANCEL, UOP_ACCEPT);
        l->u.cancelling = 1;
        l->u.inflight++;
    }
    offer(l); /* what was accepted is served (offer says why) */
    finish_close(l);
}
