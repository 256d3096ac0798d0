/* transport.h - the byte streams protocol codecs read and write.
 *
 * A transport is four verbs - read, write, shutdown, close - and the
 * callbacks that report them, after libuv's streams. The codecs (HTTP/1.1,
 * HTTP/2, server or client side) see only this interface, so a second
 * transport slots in beneath them without touching them: TLS is a
 * transport that holds another one and an in-memory TLS engine, reading
 * ciphertext from the inner transport and handing plaintext to the codec's
 * alloc/read callbacks, and encrypting what the codec writes.
 *
 * Rules every transport keeps:
 * - Every callback runs on the loop thread, never from inside the verb
 *   that caused it (write's `written`, shutdown's `shut`, connect's
 *   `connected`, close's `closed` all come later).
 * - At most one write() is pending at a time; try_write() may be called
 *   any time no write() is pending.
 * - After close(), the only callback left is `closed`, exactly once; the
 *   owner may free the transport's memory there and not before.
 * - Status codes are 0 or a negative errno value (WEFT_IO_EOF for the
 *   peer's end of stream); weft__io_strerror() words them for a log. */
#ifndef WEFT_SRC_TRANSPORT_H
#define WEFT_SRC_TRANSPORT_H

#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "loop.h"

#define WEFT_IO_EOF (-4095)          /* the peer ended its side */
#define WEFT_IO_NOBUFS (-ENOBUFS)    /* alloc gave no room: reading paused */
#define WEFT_IO_AGAIN (-EAGAIN)
#define WEFT_IO_CONNREFUSED (-ECONNREFUSED)

/* A status code in words ("connection refused", "too many open files"). */
const char *weft__io_strerror(int status);

typedef struct weft_transport weft_transport;

/* What a transport reports to its owner (the codec). */
typedef struct weft_transport_events {
    /* Where the next bytes go; *len = 0 means no room (read then reports
     * WEFT_IO_NOBUFS and the owner calls read_stop or makes room). */
    void (*alloc)(weft_transport *t, char **base, size_t *len);
    /* n > 0 bytes landed where alloc said; n < 0: WEFT_IO_EOF,
     * WEFT_IO_NOBUFS or an error. 0 means nothing happened. */
    void (*read)(weft_transport *t, ssize_t n);
    /* The pending write() is done: 0, or an error. May be NULL if the
     * owner never calls write(). */
    void (*written)(weft_transport *t, int status);
    /* shutdown() is done: 0, or an error. */
    void (*shut)(weft_transport *t, int status);
    /* An outgoing connection is open (0) or failed. */
    void (*connected)(weft_transport *t, int status);
    /* Closed: the last callback; the memory is the owner's again. */
    void (*closed)(weft_transport *t);
} weft_transport_events;

typedef struct weft_transport_ops {
    int (*read_start)(weft_transport *t);
    void (*read_stop)(weft_transport *t);
    /* What the peer's side takes now, without waiting: the bytes taken
     * (0 if none), or an error. */
    ssize_t (*try_write)(weft_transport *t, const char *p, size_t n);
    /* Writes all n bytes, then calls `written`; p stays valid until then. */
    int (*write)(weft_transport *t, const char *p, size_t n);
    /* Ends the write side once pending writes are out, then calls `shut`. */
    int (*shutdown)(weft_transport *t);
    void (*close)(weft_transport *t);
    /* Closes abortively: the peer sees a reset, not an orderly end, and
     * knows at once that nobody waits for its answer. Pending writes are
     * dropped. Then `closed`, as after close(). */
    void (*reset)(weft_transport *t);
    /* The peer's address as text; 0 or an error. */
    int (*peer_name)(weft_transport *t, char *out, size_t cap);
} weft_transport_ops;

struct weft_transport {
    const weft_transport_ops *ops;
    const weft_transport_events *ev;
    void *data; /* the owner's */
};

static inline int weft__tr_read_start(weft_transport *t)
{
    return t->ops->read_start(t);
}
static inline void weft__tr_read_stop(weft_transport *t)
{
    t->ops->read_stop(t);
}
static inline ssize_t weft__tr_try_write(weft_transport *t, const char *p, size_t n)
{
    return t->ops->try_write(t, p, n);
}
static inline int weft__tr_write(weft_transport *t, const char *p, size_t n)
{
    return t->ops->write(t, p, n);
}
static inline int weft__tr_shutdown(weft_transport *t)
{
    return t->ops->shutdown(t);
}
static inline void weft__tr_close(weft_transport *t)
{
    t->ops->close(t);
}
static inline void weft__tr_reset(weft_transport *t)
{
    t->ops->reset(t);
}
static inline int weft__tr_peer_name(weft_transport *t, char *out, size_t cap)
{
    return t->ops->peer_name(t, out, cap);
}

/* Writes what out holds: what the transport takes at once leaves now, and
 * the rest is written from `spare` (the two swap) while new output
 * collects in out; *writing stays set until `written` comes, when the
 * owner clears it and empties spare. Returns 1 when everything left now,
 * 0 when a write is pending (or out was empty while one is), or an error. */
int weft__tr_send(weft_transport *t, weft_buf *out, weft_buf *spare, uint8_t *writing);

/* ---- TCP ----------------------------------------------------------------------
 * The TCP transport. Embed it in the owner (it is what the verbs get), set
 * it up with weft__tcp_init, then either accept into it from a listener or
 * connect it. Two engines sit behind the same verbs, chosen per process
 * at start (weft_io_select): libuv's epoll streams, or io_uring (uring.c)
 * with multishot receives into a shared ring of buffers and sends
 * submitted together at the end of a loop turn. */

/* A socket as the io_uring engine keeps it. */
typedef struct weft_usock {
    int fd;
    unsigned inflight;      /* operations the kernel still holds (their memory is ours) */
    const char *wp;         /* the write under way: what is left of it */
    size_t wleft;
    weft_buf stash;         /* received, not yet taken by the owner (paused) */
    size_t stash_off;
    int stash_end;          /* EOF or an error to report after the stash */
    struct weft_usock *pend_next;
    unsigned pend;          /* callbacks due at the end of the turn (uring_tcp.c PEND_*) */
    uint8_t reading, recv_armed, recv_cancelling, writing, shut_wanted, closing, pend_queued,
        eof_seen, sending, connect_polled;
} weft_usock;

typedef struct weft_tcp {
    weft_transport t; /* first: a weft_tcp * is a weft_transport * */
    union {
        struct { /* epoll: libuv's stream */
            uv_tcp_t h;
            uv_write_t wreq;
            uv_shutdown_t sreq;
            uv_connect_t creq;
        };
        weft_usock u; /* io_uring */
    };
    struct weft_uring *ring; /* the loop's ring, or NULL: epoll */
    int early_err;    /* what a write while connecting learned instead (both engines) */
    uint8_t connecting;
} weft_tcp;

/* tcp.c, for both engines: send_early's send() on a connecting socket's
 * descriptor (0 or the bytes taken; a failure is kept in early_err), and
 * the peer's address of a descriptor as text (0 or an error). */
ssize_t weft__tcp_send_early(weft_tcp *t, int fd, const char *p, size_t n);
int weft__fd_peer_name(int fd, char *out, size_t cap);

void weft__tcp_init(weft_loop *loop, weft_tcp *tcp, const weft_transport_events *ev, void *data);
/* Starts connecting to addr; `connected` follows. 0 or an error (then
 * close it). While connecting, try_write sends what the kernel already
 * takes: on loopback the handshake is done inside connect(). */
int weft__tcp_connect(weft_tcp *tcp, const struct sockaddr *addr);
/* A new descriptor for tcp's socket (dup), or -1: for work done on the
 * socket outside the loop (sendfile on a pool thread) and for watching it
 * apart from the transport. The caller closes it; the socket stays open
 * for as long as the copy does, so its number cannot be reused under a
 * thread still writing to it. */
int weft__tcp_dup_fd(weft_tcp *tcp);

/* Fills out with ip:port (IPv4 or IPv6 literal); 0 or WEFT_EINVAL. */
int weft__ip_addr(const char *ip, int port, struct sockaddr_storage *out);

/* A listening socket as one loop uses it. Several loops' (and several
 * processes') listeners share a port (SO_REUSEPORT, or one socket
 * inherited by many processes): the kernel spreads connections with no
 * shared lock. */
typedef struct weft_listener {
    union {
        struct { /* epoll */
            uv_tcp_t h;
            /* A connection the owner did not take (it could not allocate
             * for it) is accepted into this handle and closed at once:
             * left waiting, it would stop the listener for good (libuv
             * polls a listener again only once its pending connection is
             * taken). */
            uv_tcp_t spare;
        };
        struct { /* io_uring: one accept at a time; what it accepted waits here */
            int fd;
            int waiting;       /* accepted and not yet taken, or -1 */
            unsigned inflight; /* the accept and its cancel, until they complete */
            weft_timer retry; /* an accept that failed for want of fds tries again */
            uint8_t accepting, cancelling;
        } u;
    };
    struct weft_uring *ring;
    void (*on_connection)(struct weft_listener *l);
    void *data;
    int open;
    uint8_t took, spare_busy, refuse_waiting;
    /* The owner paused it: the one connection libuv accepted waits, and
     * the rest wait in the kernel's backlog, until weft__listener_resume. */
    uint8_t paused;
} weft_listener;

/* A bound, listening, non-blocking socket on host:port (0 = any free
 * port) with SO_REUSEPORT, any thread or process: the fd, or
 * WEFT_EADDRINUSE / WEFT_EINVAL with why written to err. *bound_port gets
 * the port. Close-on-exec (a process that passes it on clears that). */
int weft__listen_socket(const char *host, int port, int *bound_port, char *err, size_t errcap);
/* Whether host:port is free, asked before the first socket binds it:
 * the sockets bind with SO_REUSEPORT, which would let this program join
 * another program's sockets on the port (same user) and split its
 * traffic with it. A bind without SO_REUSEPORT fails on any socket bound
 * there, whatever its options. 0, or WEFT_EADDRINUSE / WEFT_EINVAL with
 * why written to err. */
int weft__port_free(const char *host, int port, char *err, size_t errcap);
/* Makes l use the listening socket fd (which it then owns and closes)
 * on loop; before the loop runs or on its thread. 0 or WEFT_EINVAL. */
int weft__listener_adopt(weft_loop *loop, weft_listener *l, int fd);
/* Calls on_connection for each connection waiting (loop thread). One
 * that on_connection neither takes with weft__listener_accept nor
 * leaves with weft__listener_pause is closed. */
int weft__listener_start(weft_listener *l, void (*on_connection)(weft_listener *l));
/* Takes one waiting connection into tcp (weft__tcp_init'ed); 0 or error. */
int weft__listener_accept(weft_listener *l, weft_tcp *tcp);
/* From on_connection: take nothing more for now; the connection stays
 * queued (no accept failure, no reset) until weft__listener_resume, which
 * offers it to on_connection again. Loop thread. */
void weft__listener_pause(weft_listener *l);
void weft__listener_resume(weft_listener *l);
void weft__listener_close(weft_listener *l);

#endif
