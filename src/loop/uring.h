/* uring.h - the io_uring engine behind the TCP transport and listeners.
 *
 * One ring per loop, made with the loop when the process runs with
 * io_uring (weft_io_select). libuv still runs the loop: it polls the
 * ring's descriptor (readable while completions wait) beside its timers,
 * signals and libcurl's sockets, and the ring's submissions go out in one
 * io_uring_enter at the end of each loop turn (a flush), so a turn that
 * answers a thousand requests makes one system call for their sends.
 *
 * Receives are multishot, into a ring of buffers the kernel picks from;
 * each lands in the owner's buffer (the transport's alloc) by one copy and
 * its ring buffer goes back at once, so a slow reader never holds the
 * shared buffers. Accepts are one at a time (uring_listen.c says why).
 * Loop thread only. */
#ifndef WEFT_SRC_URING_H
#define WEFT_SRC_URING_H

#include <liburing.h>

#include "transport.h"

/* What a completion is for: the low bits of its user_data (the socket or
 * listener pointer is the rest). */
enum {
    UOP_RECV = 1,    /* the multishot receive */
    UOP_SEND = 2,
    UOP_SHUT = 3,    /* shutdown(SHUT_WR) */
    UOP_CONNECT = 4, /* a poll for writable: the connect finished */
    UOP_CANCEL = 5,  /* a cancel of one of the socket's operations */
    UOP_ACCEPT = 6,  /* a listener's multishot accept */
    UOP_LCANCEL = 7, /* a cancel of a listener's accept */
};
#define UOP_MASK 7u

struct weft_uring {
    struct io_uring ring;
    weft_loop *loop;
    uv_poll_t poll;          /* the ring's fd: readable while completions wait */
    weft_flush flush;        /* deferred callbacks, then one submit */
    struct io_uring_buf_ring *br;
    char *bufs;
    unsigned live;           /* sockets and listeners open (keep the loop running) */
    weft_usock *pend_head, *pend_tail; /* sockets with callbacks due */
    uint8_t releasing;       /* the loop is closing: close the poll once nothing is live */
    uint8_t poll_closed;
};

/* Makes loop's ring; 0, or an error (the kernel refused io_uring: the
 * caller falls back to epoll). */
int weft__uring_open(weft_loop *loop, char *why, size_t cap);
/* At weft__loop_release: stop polling once the last socket is closed. */
void weft__uring_release(weft_loop *loop);
/* At weft__loop_close: frees the ring. */
void weft__uring_free(weft_loop *loop);

/* A submission slot with user_data set; the flush submits it. Never NULL:
 * a full queue is submitted first. */
struct io_uring_sqe *weft__uring_sqe(struct weft_uring *ur, void *owner, unsigned op);
/* Cancels owner's operation op (a hash lookup by its user_data; a cancel
 * by descriptor walks every pending operation of the ring: with 16,000
 * sockets waiting for input, perf put that at 3.7% of S8's front). The
 * cancel's own completion comes as op `as`. */
void weft__uring_cancel(struct weft_uring *ur, void *owner, unsigned as, unsigned op);
/* One more / one fewer socket or listener open. */
void weft__uring_live(struct weft_uring *ur, int delta);

/* uring_tcp.c: the transport verbs and completions of a socket. */
void weft__utcp_init(struct weft_uring *ur, weft_tcp *t);
void weft__utcp_adopt(weft_tcp *t, int fd);
int weft__utcp_connect(weft_tcp *t, const struct sockaddr *addr);
void weft__utcp_complete(weft_tcp *t, unsigned op, int res, unsigned flags);
void weft__utcp_run_pending(weft_tcp *t);

/* uring_listen.c: listeners. */
int weft__ulisten_adopt(struct weft_uring *ur, weft_listener *l, int fd);
int weft__ulisten_start(weft_listener *l);
int weft__ulisten_accept(weft_listener *l, weft_tcp *t);
void weft__ulisten_resume(weft_listener *l);
void weft__ulisten_close(weft_listener *l);
void weft__ulisten_complete(weft_listener *l, unsigned op, int res);

/* uring.c: the buffer a receive completion names, and giving it back. */
char *weft__uring_buf(struct weft_uring *ur, unsigned bid);
void weft__uring_buf_return(struct weft_uring *ur, unsigned bid);
/* Queues t's pending callbacks (t->u.pend) for the end of the turn. */
void weft__uring_defer(struct weft_uring *ur, weft_tcp *t);

#endif
