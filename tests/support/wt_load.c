/* wt_load.c - a steady keep-alive load, and a shared weft-hello, for
 * black-box tests (wt.h). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt.h"

#define MAX_CLIENTS 64

struct wt_load {
    int port;
    char request[256];
    int nclients;
    atomic_int stop;
    atomic_int ok, other, failed;
    pthread_t threads[MAX_CLIENTS];
};

/* One client: a request on its connection, its answer, the next; a new
 * connection when the server said it closes this one, as browsers and
 * wrk do. A request sent and never answered is a failure. */
static void *client_main(void *arg)
{
    wt_load *l = arg;
    wt_conn *c = NULL;
    while (!atomic_load(&l->stop)) {
        if (!c)
            c = wt_connect(l->port);
        wt_send_str(c, l->request);
        wt_response r;
        if (wt_read_response(c, &r, 10000, 0) != 0) {
            atomic_fetch_add(&l->failed, 1);
            wt_close(c);
            c = NULL;
            continue;
        }
        atomic_fetch_add(r.status == 200 ? &l->ok : &l->other, 1);
        char conn[32];
        if (wt_header(&r, "Connection", conn, sizeof conn) && strcmp(conn, "close") == 0) {
            wt_close(c);
            c = NULL;
        }
        wt_response_free(&r);
    }
    if (c)
        wt_close(c);
    return NULL;
}

wt_load *wt_load_start(int port, const char *path, int clients)
{
    wt_load *l = calloc(1, sizeof *l);
    assert_non_null(l);
    assert_true(clients > 0 && clients <= MAX_CLIENTS);
    l->port = port;
    l->nclients = clients;
    snprintf(l->request, sizeof l->request, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    for (int i = 0; i < clients; i++)
        assert_int_equal(pthread_create(&l->threads[i], NULL, client_main, l), 0);
    return l;
}

void wt_load_wait(wt_load *l, int n)
{
    int target = atomic_load(&l->ok) + n;
    long until = wt_now_ms() + 15000;
    while (atomic_load(&l->ok) < target && wt_now_ms() < until)
        usleep(2000);
    if (atomic_load(&l->ok) < target)
        fail_msg("the load got %d answers of the %d awaited", atomic_load(&l->ok), target);
}

int wt_load_failed(wt_load *l)
{
    return atomic_load(&l->failed);
}

void wt_load_stop(wt_load *l, wt_load_result *out)
{
    atomic_store(&l->stop, 1);
    for (int i = 0; i < l->nclients; i++)
        pthread_join(l->threads[i], NULL);
    out->ok = atomic_load(&l->ok);
    out->other = atomic_load(&l->other);
    out->failed = atomic_load(&l->failed);
    print_message("load: %d answered 200, %d another status, %d failed\n", out->ok, out->other,
                  out->failed);
    free(l);
}

wt_server wt_hello;

int wt_hello_setup(void **state)
{
    (void)state;
    static const char *const args[] = {"--loops", "1", NULL};
    wt_start(&wt_hello, "weft-hello", args);
    return 0;
}

int wt_hello_teardown(void **state)
{
    (void)state;
    return wt_stop(&wt_hello, 15, 5000);
}
