/* watch.c - watches on descriptors the loop does not own, and on signals.
 *
 * A descriptor watch serves a library that runs its own sockets and asks
 * to be told when they are ready (libcurl's CURLMOPT_SOCKETFUNCTION); a
 * signal watch delivers a signal on the loop's thread (the control loop's
 * SIGINT/SIGTERM). Both are allocated here and freed after libuv has
 * closed their handles. Loop thread only. */
#include <stdlib.h>

#include "loop.h"

struct weft_io_watch {
    uv_poll_t poll;
    weft_io_fn fn;
    void *arg;
};

static void on_poll(uv_poll_t *h, int status, int events)
{
    weft_io_watch *w = h->data;
    int ev = status < 0 ? WEFT_IO_ERROR : 0;
    if (events & UV_READABLE)
        ev |= WEFT_IO_READABLE;
    if (events & UV_WRITABLE)
        ev |= WEFT_IO_WRITABLE;
    w->fn(w, ev, w->arg);
}

weft_io_watch *weft__io_watch_new(weft_loop *loop, int fd, weft_io_fn fn, void *arg)
{
    weft_io_watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (uv_poll_init_socket(&loop->uv, &w->poll, fd)) {
        free(w);
        return NULL;
    }
    w->poll.data = w;
    w->fn = fn;
    w->arg = arg;
    return w;
}

int weft__io_watch_set(weft_io_watch *w, int events)
{
    int ev = ((events & WEFT_IO_READABLE) ? UV_READABLE : 0) |
             ((events & WEFT_IO_WRITABLE) ? UV_WRITABLE : 0);
    if (!ev)
        return uv_poll_stop(&w->poll) ? WEFT_EIO : 0;
    return uv_poll_start(&w->poll, ev, on_poll) ? WEFT_EIO : 0;
}

void weft__io_watch_free(weft_io_watch *w)
{
    uv_poll_stop(&w->poll);
    uv_close((uv_handle_t *)&w->poll, (uv_close_cb)free);
}

struct weft_signal_watch {
    uv_signal_t sig;
    void (*fn)(int signum, void *arg);
    void *arg;
};

static void on_signal(uv_signal_t *s, int signum)
{
    weft_signal_watch *w = s->data;
    w->fn(signum, w->arg);
}

weft_signal_watch *weft__signal_watch(weft_loop *loop, int signum,
                                      void (*fn)(int signum, void *arg), void *arg)
{
    weft_signal_watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    uv_signal_init(&loop->uv, &w->sig);
    w->sig.data = w;
    w->fn = fn;
    w->arg = arg;
    if (uv_signal_start(&w->sig, on_signal, signum)) {
        uv_close((uv_handle_t *)&w->sig, (uv_close_cb)free);
        return NULL;
    }
    return w;
}

void weft__signal_watch_free(weft_signal_watch *w)
{
    if (w)
        uv_close((uv_handle_t *)&w->sig, (uv_close_cb)free);
}
