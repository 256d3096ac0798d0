/* tcp.c - the TCP transport and listeners over libuv streams.
 *
 * Implements transport.h's verbs for a uv_tcp_t embedded in the owner's
 * object. One write request, one shutdown request and one connect request
 * live in the weft_tcp: the owners never have more than one of each
 * pending. Loop thread only; never blocks. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "uring.h"

_Static_assert(WEFT_IO_EOF == UV_EOF, "WEFT_IO_EOF must be libuv's EOF");
_Static_assert(WEFT_IO_NOBUFS == UV_ENOBUFS, "WEFT_IO_NOBUFS must be libuv's");
_Static_assert(WEFT_IO_AGAIN == UV_EAGAIN, "WEFT_IO_AGAIN must be libuv's");
_Static_assert(WEFT_IO_CONNREFUSED == UV_ECONNREFUSED, "WEFT_IO_CONNREFUSED must be libuv's");

/* Connections the kernel completes and queues for a listener that is not
 * taking them (busy, or paused at its connection budget); capped by
 * net.core.somaxconn. */
#define LISTEN_BACKLOG 4096

const char *weft__io_strerror(int status)
{
    return uv_strerror(status);
}

static weft_tcp *of_handle(void *h)
{
    return (weft_tcp *)((char *)h - offsetof(weft_tcp, h));
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    weft_tcp *t = of_handle(h);
    char *base = NULL;
    size_t len = 0;
    t->t.ev->alloc(&t->t, &base, &len);
    *buf = uv_buf_init(len ? base : NULL, (unsigned)len);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    weft_tcp *t = of_handle(s);
    t->t.ev->read(&t->t, n);
}

static int tcp_read_start(weft_transport *tr)
{
    weft_tcp *t = (weft_tcp *)tr;
    return uv_read_start((uv_stream_t *)&t->h, on_alloc, on_read);
}

static void tcp_read_stop(weft_transport *tr)
{
    uv_read_stop((uv_stream_t *)&((weft_tcp *)tr)->h);
}

/* Sends a connecting socket's first bytes before the engine has seen the
 * connect complete. On loopback the kernel finishes the handshake inside
 * connect() itself, so a request can leave in the same loop turn as the
 * call that opened the connection instead of one poll round later: in a
 * burst (S3's first wave: 8,000 calls accepted in batches of up to 1,024)
 * each call then reaches the backend as it is made. Elsewhere the socket
 * is still connecting and send() says EAGAIN; the owner writes again once
 * connected. The engine is bypassed only here: nothing is queued on the
 * stream, and nothing is read before the connect is seen. Both engines. */
ssize_t weft__tcp_send_early(weft_tcp *t, int fd, const char *p, size_t n)
{
    ssize_t sent = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0)
        return sent;
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN)
        /* The connect failed (refused, reset): send() has just taken the
         * socket's pending error, so the engine would see none - keep it. */
        t->early_err = -errno;
    return 0;
}

static ssize_t send_early(weft_tcp *t, const char *p, size_t n)
{
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&t->h, &fd))
        return 0;
    return weft__tcp_send_early(t, fd, p, n);
}

int weft__tcp_dup_fd(weft_tcp *t)
{
    if (t->ring)
        return t->u.fd < 0 ? -1 : fcntl(t->u.fd, F_DUPFD_CLOEXEC, 3);
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&t->h, &fd))
        return -1;
    return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static ssize_t tcp_try_write(weft_transport *tr, const char *p, size_t n)
{
    weft_tcp *t = (weft_tcp *)tr;
    if (t->connecting)
        return send_early(t, p, n);
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    int r = uv_try_write((uv_stream_t *)&t->h, &b, 1);
    return r == UV_EAGAIN ? 0 : r;
}

static void on_write(uv_write_t *w, int status)
{
    weft_tcp *t = w->data;
    if (!uv_is_closing((uv_handle_t *)&t->h)) /* after close: only `closed` */
        t->t.ev->written(&t->t, status);
}

static int tcp_write(weft_transport *tr, const char *p, size_t n)
{
    weft_tcp *t = (weft_tcp *)tr;
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    t->wreq.data = t;
    return uv_write(&t->wreq, (uv_stream_t *)&t->h, &b, 1, on_write);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    weft_tcp *t = req->data;
    if (!uv_is_closing((uv_handle_t *)&t->h))
        t->t.ev->shut(&t->t, status);
}

static int tcp_shutdown(weft_transport *tr)
{
    weft_tcp *t = (weft_tcp *)tr;
    t->sreq.data = t;
    return uv_shutdown(&t->sreq, (uv_stream_t *)&t->h, on_shutdown);
}

static void on_closed(uv_handle_t *h)
{
    weft_tcp *t = of_handle(h);
    t->t.ev->closed(&t->t);
}

static void tcp_close(weft_transport *tr)
{
    weft_tcp *t = (weft_tcp *)tr;
    if (!uv_is_closing((uv_handle_t *)&t->h))
        uv_close((uv_handle_t *)&t->h, on_closed);
}

static void tcp_reset(weft_transport *tr)
{
    weft_tcp *t = (weft_tcp *)tr;
    if (uv_is_closing((uv_handle_t *)&t->h))
        return;
    /* Refused while a shutdown is pending (or on a socket never opened):
     * an orderly close is the next best thing. */
    if (uv_tcp_close_reset(&t->h, on_closed))
        uv_close((uv_handle_t *)&t->h, on_closed);
}

int weft__fd_peer_name(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (fd < 0)
        return -EBADF;
    if (getpeername(fd, (struct sockaddr *)&ss, &len))
        return -errno;
    const void *a = ss.ss_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                                             : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
    return inet_ntop(ss.ss_family, a, out, (socklen_t)cap) ? 0 : -ENOSPC;
}

static int tcp_peer_name(weft_transport *tr, char *out, size_t cap)
{
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&((weft_tcp *)tr)->h, &fd))
        return -EBADF;
    return weft__fd_peer_name(fd, out, cap);
}

static const weft_transport_ops tcp_ops = {
    tcp_read_start, tcp_read_stop, tcp_try_write, tcp_write, tcp_shutdown, tcp_close, tcp_reset,
    tcp_peer_name,
};

void weft__tcp_init(weft_loop *loop, weft_tcp *t, const weft_transport_events *ev, void *data)
{
    t->t.ops = &tcp_ops;
    t->t.ev = ev;
    t->t.data = data;
    t->early_err = 0;
    t->connecting = 0;
    t->ring = NULL;
    if (loop->uring) {
        weft__utcp_init(loop->uring, t);
        return;
    }
    uv_tcp_init(&loop->uv, &t->h);
}

static void on_connect(uv_connect_t *req, int status)
{
    weft_tcp *t = req->data;
    t->connecting = 0;
    if (status >= 0 && t->early_err)
        status = t->early_err;
    if (status == 0)
        uv_tcp_nodelay(&t->h, 1);
    if (!uv_is_closing((uv_handle_t *)&t->h))
        t->t.ev->connected(&t->t, status);
}

int weft__tcp_connect(weft_tcp *t, const struct sockaddr *addr)
{
    if (t->ring)
        return weft__utcp_connect(t, addr);
    t->creq.data = t;
    int rc = uv_tcp_connect(&t->creq, &t->h, addr, on_connect);
    if (rc == 0)
        t->connecting = 1;
    return rc;
}

int weft__ip_addr(const char *ip, int port, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    if (uv_ip4_addr(ip, port, (struct sockaddr_in *)out) == 0 ||
        uv_ip6_addr(ip, port, (struct sockaddr_in6 *)out) == 0)
        return 0;
    return WEFT_EINVAL;
}

/* ---- listeners --------------------------------------------------------------- */

/* A TCP socket bound to host:port, with SO_REUSEPORT or not: the fd, or
 * an error with why in err (in_use: how to word EADDRINUSE). */
static int bound_socket(const char *host, int port, int reuseport, int flags, const char *in_use,
                        char *err, size_t errcap)
{
    struct sockaddr_storage addr;
    if (weft__ip_addr(host, port, &addr)) {
        snprintf(err, errcap, "invalid --host '%s'", host);
        return WEFT_EINVAL;
    }
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
    if (fd < 0) {
        snprintf(err, errcap, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        return WEFT_EINVAL;
    }
    int one = 1;
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)) {
        close(fd);
        snprintf(err, errcap, "SO_REUSEPORT unavailable");
        return WEFT_EINVAL;
    }
    /* a port whose last connections linger in TIME_WAIT after a restart is free */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t len = addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                : sizeof(struct sockaddr_in);
    int rc = bind(fd, (struct sockaddr *)&addr, len) ? errno : 0;
    if (rc) {
        close(fd);
        snprintf(err, errcap, "cannot listen on %s:%d: %s", host, port,
                 rc == EADDRINUSE ? in_use : strerror(rc));
        return rc == EADDRINUSE ? WEFT_EADDRINUSE : WEFT_EINVAL;
    }
    return fd;
}

int weft__listen_socket(const char *host, int port, int *bound_port, char *err, size_t errcap)
{
    /* One listening socket per loop on the same port: the kernel balances
     * new connections across loops with no shared accept lock. */
    int fd = bound_socket(host, port, 1, SOCK_NONBLOCK, strerror(EADDRINUSE), err, errcap);
    if (fd < 0)
        return fd;
    /* Linux copies TCP_NODELAY to every connection accepted from this
     * socket: one setsockopt here instead of one per connection. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (listen(fd, LISTEN_BACKLOG)) {
        int e = errno;
        snprintf(err, errcap, "cannot listen on %s:%d: %s", host, port, strerror(e));
        close(fd);
        return e == EADDRINUSE ? WEFT_EADDRINUSE : WEFT_EINVAL;
    }
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &len);
    *bound_port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
                                                   : ((struct sockaddr_in *)&addr)->sin_port);
    return fd;
}

int weft__listener_adopt(weft_loop *loop, weft_listener *l, int fd)
{
    l->ring = loop->uring;
    if (l->ring)
        return weft__ulisten_adopt(l->ring, l, fd);
    uv_tcp_init(&loop->uv, &l->h);
    l->open = 1;
    int rc = uv_tcp_open(&l->h, fd);
    if (rc) {
        weft_error("cannot use listening socket %d: %s", fd, uv_strerror(rc));
        return WEFT_EINVAL;
    }
    return 0;
}

int weft__port_free(const char *host, int port, char *err, size_t errcap)
{
    /* Without SO_REUSEPORT: fails on any socket bound there. */
    int fd = bound_socket(host, port, 0, 0, "address already in use (another program listens there)",
                          err, errcap);
    if (fd < 0)
        return fd;
    close(fd);
    return 0;
}

static void refuse(weft_listener *l);

static void on_spare_closed(uv_handle_t *h)
{
    weft_listener *l = (weft_listener *)((char *)h - offsetof(weft_listener, spare));
    l->spare_busy = 0;
    if (l->refuse_waiting) {
        l->refuse_waiting = 0;
        refuse(l);
    }
}

/* Closes the connection waiting on l without an owner. While the spare
 * handle is still closing, the next one waits for it (libuv does not poll
 * the listener meanwhile), then goes the same way. */
static void refuse(weft_listener *l)
{
    if (!l->open)
        return;
    if (l->spare_busy) {
        l->refuse_waiting = 1;
        return;
    }
    uv_tcp_init(l->h.loop, &l->spare);
    l->spare_busy = 1;
    if (uv_accept((uv_stream_t *)&l->h, (uv_stream_t *)&l->spare) == 0)
        weft_warn("a connection was closed unanswered: no memory to serve it");
    uv_close((uv_handle_t *)&l->spare, on_spare_closed);
}

/* Offers the connection libuv accepted to the owner: taken, refused, or
 * left where it is while the owner has paused the listener. */
static void offer(weft_listener *l)
{
    l->took = 0;
    l->on_connection(l);
    if (!l->took && !l->paused)
        refuse(l);
}

static void on_connection(uv_stream_t *s, int status)
{
    weft_listener *l = (weft_listener *)((char *)s - offsetof(weft_listener, h));
    if (status < 0) {
        weft_warn("accept failed: %s", uv_strerror(status));
        return;
    }
    offer(l);
}

int weft__listener_start(weft_listener *l, void (*cb)(weft_listener *l))
{
    l->on_connection = cb;
    if (l->ring)
        return weft__ulisten_start(l);
    return uv_listen((uv_stream_t *)&l->h, LISTEN_BACKLOG, on_connection);
}

void weft__listener_pause(weft_listener *l)
{
    l->paused = 1;
}

void weft__listener_resume(weft_listener *l)
{
    if (!l->paused || !l->open)
        return;
    l->paused = 0;
    if (l->ring) {
        weft__ulisten_resume(l);
        return;
    }
    offer(l);
}

int weft__listener_accept(weft_listener *l, weft_tcp *t)
{
    if (l->ring)
        return weft__ulisten_accept(l, t);
    l->took = 1; /* even on failure: libuv has closed the connection then */
    return uv_accept((uv_stream_t *)&l->h, (uv_stream_t *)&t->h);
}

void weft__listener_close(weft_listener *l)
{
    if (l->open) {
        l->open = 0;
        if (l->ring)
            weft__ulisten_close(l);
        else
            uv_close((uv_handle_t *)&l->h, NULL);
    }
}
