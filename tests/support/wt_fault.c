/* wt_fault.c - see wt_fault.h. A thread per accepted connection; all of
 * them end when the test calls wt_fault_stop. */
#define _GNU_SOURCE
#include "wt_fault.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct wt_fault {
    int fd, port;
    wt_fault_mode mode;
    const char *fixed;
    pthread_t thread;
    _Atomic int stop, accepted, peer_closed, threads;
};

typedef struct conn_arg {
    wt_fault *f;
    int fd;
} conn_arg;

static void read_request(int fd)
{
    char buf[4096];
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 2000) > 0)
        (void)!recv(fd, buf, sizeof buf, 0);
}

static void *serve(void *arg)
{
    conn_arg *a = arg;
    wt_fault *f = a->f;
    int fd = a->fd;
    free(a);
    read_request(fd);
    if (f->mode == WT_FAULT_FIXED) {
        (void)!send(fd, f->fixed, strlen(f->fixed), MSG_NOSIGNAL);
        shutdown(fd, SHUT_WR);
        read_request(fd);
    } else if (f->mode == WT_FAULT_GARBAGE) {
        static const char junk[] = "NONSENSE 42 bananas\r\nwhat: is this\r\n\r\n";
        (void)!send(fd, junk, sizeof junk - 1, MSG_NOSIGNAL);
    } else if (f->mode == WT_FAULT_RESET) {
        static const char part[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a part";
        (void)!send(fd, part, sizeof part - 1, MSG_NOSIGNAL);
        usleep(50000);
        struct linger l = {1, 0}; /* close with RST */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    } else if (f->mode == WT_FAULT_ENDLESS) {
        static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        static char chunk[8 + 65536 + 2];
        memcpy(chunk, "10000\r\n", 7);
        memset(chunk + 7, 'x', 65536);
        memcpy(chunk + 7 + 65536, "\r\n", 2);
        ssize_t n = send(fd, head, sizeof head - 1, MSG_NOSIGNAL);
        while (n > 0 && !atomic_load(&f->stop))
            n = send(fd, chunk, 7 + 65536 + 2, MSG_NOSIGNAL);
        atomic_fetch_add(&f->peer_closed, 1); /* the send failed: the peer closed */
    } else if (f->mode == WT_FAULT_DRIP) {
        static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        for (size_t i = 0; i < sizeof answer - 1 && !atomic_load(&f->stop); i++) {
            if (send(fd, answer + i, 1, MSG_NOSIGNAL) != 1) {
                atomic_fetch_add(&f->peer_closed, 1);
                break;
            }
            usleep(20000);
        }
    } else if (f->mode == WT_FAULT_SHORT) {
        static const char part[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";
        (void)!send(fd, part, sizeof part - 1, MSG_NOSIGNAL);
        shutdown(fd, SHUT_WR);
        read_request(fd);
    } else {
        /* silent: wait for the peer to give up, and count it */
        while (!atomic_load(&f->stop)) {
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, 50) > 0) {
                char b[512];
                if (recv(fd, b, sizeof b, 0) <= 0) {
                    atomic_fetch_add(&f->peer_closed, 1);
                    break;
                }
            }
        }
    }
    close(fd);
    atomic_fetch_sub(&f->threads, 1);
    return NULL;
}

static void *acceptor(void *arg)
{
    wt_fault *f = arg;
    while (!atomic_load(&f->stop)) {
        struct pollfd p = {f->fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(f->fd, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add(&f->accepted, 1);
        conn_arg *a = malloc(sizeof *a);
        a->f = f;
        a->fd = fd;
        pthread_t t;
        atomic_fetch_add(&f->threads, 1);
        pthread_create(&t, NULL, serve, a);
        pthread_detach(t);
    }
    return NULL;
}

wt_fault *wt_fault_start(wt_fault_mode mode)
{
    wt_fault *f = calloc(1, sizeof *f);
    f->mode = mode;
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(f->fd, (struct sockaddr *)&a, sizeof a);
    listen(f->fd, 128);
    socklen_t len = sizeof a;
    getsockname(f->fd, (struct sockaddr *)&a, &len);
    f->port = ntohs(a.sin_port);
    pthread_create(&f->thread, NULL, acceptor, f);
    return f;
}

wt_fault *wt_fault_start_fixed(const char *response)
{
    wt_fault *f = wt_fault_start(WT_FAULT_FIXED);
    f->fixed = response; /* read by connection threads started after this */
    return f;
}

int wt_fault_port(const wt_fault *f)
{
    return f->port;
}

int wt_fault_accepted(const wt_fault *f)
{
    return atomic_load(&((wt_fault *)f)->accepted);
}

int wt_fault_peer_closed(const wt_fault *f)
{
    return atomic_load(&((wt_fault *)f)->peer_closed);
}

void wt_fault_stop(wt_fault *f)
{
    atomic_store(&f->stop, 1);
    pthread_join(f->thread, NULL);
    while (atomic_load(&f->threads) > 0)
        usleep(10000);
    close(f->fd);
    free(f);
}

int wt_refusing_port(void)
{
    /* Bound and never listened on: connections are refused. The socket
     * stays open, so no other test running beside this one can bind the
     * port meanwhile (one socket per process, made on first use). */
    static int port;
    if (port)
        return port;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    port = ntohs(a.sin_port);
    return port;
}
