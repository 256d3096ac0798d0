/* test_client.c - weft's HTTP client, driven through weft-client-app (a
 * weft server whose handlers call backends) against real backends on
 * loopback: weft-hello, and misbehaving ones on threads of this test. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt.h"
#include "wt_fault.h"

static wt_server backend, front;
/* "curl" as the first argument: the same tests with every call through
 * libcurl (--backend-curl) instead of weft's own HTTP/1.1 client. */
static int use_curl;

static int setup(void **state)
{
    (void)state;
    wt_raise_fd_limit();
    static const char *const bargs[] = {"--loops", "2", "--quiet", NULL};
    wt_start(&backend, "weft-hello", bargs);
    static const char *const fargs[] = {"--loops", "1", "--max-conns-per-endpoint", "10000",
                                        NULL, NULL};
    static const char *fargs_curl[] = {"--loops", "1", "--max-conns-per-endpoint", "10000",
                                       "--backend-curl", NULL};
    wt_start(&front, "weft-client-app", use_curl ? fargs_curl : fargs);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(wt_stop(&front, 15, 10000), 0);
    assert_int_equal(wt_stop(&backend, 15, 10000), 0);
    return 0;
}

static int front_get(const wt_server *fr, const char *route, int port, const char *path,
                     const char *extra, wt_response *r)
{
    return wt_get_via(fr->port, route, port, path, extra, r);
}

static long client_stat(const char *name)
{
    char key[32];
    snprintf(key, sizeof key, "%s=", name);
    return wt_number_after(front.port, "/client-stats", key);
}

static void get_post_chunked_and_statuses(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(front_get(&front, "/fetch", backend.port, "/plaintext", NULL, &r), 200);
    assert_non_null(strstr(r.body, "status=200"));
    assert_non_null(strstr(r.body, "Hello, World!"));
    wt_response_free(&r);
    /* chunked body from the backend */
    assert_int_equal(front_get(&front, "/fetch", backend.port, "/stream?n=3", NULL, &r), 200);
    assert_non_null(strstr(r.body, "chunk 0\nchunk 1\nchunk 2\n"));
    wt_response_free(&r);
    /* an HTTP error status is a response, passed through */
    assert_int_equal(front_get(&front, "/fetch", backend.port, "/nope", NULL, &r), 200);
    assert_non_null(strstr(r.body, "status=404"));
    wt_response_free(&r);
    /* POST with a body and headers */
    char req[512];
    snprintf(req, sizeof req,
             "POST /fetch-post?url=http://127.0.0.1:%d/echo HTTP/1.1\r\nHost: t\r\n"
             "Content-Length: 11\r\n\r\nhello there",
             backend.port);
    assert_int_equal(wt_request(front.port, req, &r), 200);
    assert_string_equal(r.body, "status=200\nhello there");
    wt_response_free(&r);
    /* the blocking variant on a worker thread */
    assert_int_equal(front_get(&front, "/fetch-sync", backend.port, "/json", NULL, &r), 200);
    assert_non_null(strstr(r.body, "status=200 len=27"));
    wt_response_free(&r);
}

/* Without an access log the server asks for the peer's address only when
 * a handler wants it (weft_req_peer). */
static void quiet_server_knows_its_peer(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(wt_request(backend.port, "GET /peer HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
    assert_string_equal(r.body, "127.0.0.1");
    wt_response_free(&r);
}

static void keep_alive_reuses_one_connection(void **state)
{
    (void)state;
    long before = client_stat("opened");
    for (int i = 0; i < 20; i++) {
        wt_response r;
        assert_int_equal(front_get(&front, "/fetch", backend.port, "/plaintext", NULL, &r), 200);
        if (i > 0)
            assert_non_null(strstr(r.body, "reused=1"));
        wt_response_free(&r);
    }
    assert_true(client_stat("opened") - before <= 1);
}

/* A request larger than a new connection's socket buffer: weft's client
 * writes what the kernel takes while the connection is still opening and
 * the rest once the connect completes; the backend must get every byte,
 * in order, once. A backend of its own makes the connection new. */
static void large_request_on_a_new_connection(void **state)
{
    (void)state;
    wt_server fresh;
    static const char *const args[] = {"--loops", "1", "--quiet", NULL};
    wt_start(&fresh, "weft-hello", args);
    wt_response r;
    assert_int_equal(front_get(&front, "/fetch-big-post", fresh.port, "/echo", "&size=6000000", &r),
                     200);
    if (!strstr(r.body, "status=200 reused=0 len=6000000 same=1"))
        fail_msg("want the 6,000,000 bytes echoed on a new connection, got: %s", r.body);
    wt_response_free(&r);
    /* and a small one right after, on the connection the big one left */
    assert_int_equal(front_get(&front, "/fetch-big-post", fresh.port, "/echo", "&size=10", &r),
                     200);
    assert_non_null(strstr(r.body, "status=200 reused=1 len=10 same=1"));
    wt_response_free(&r);
    assert_int_equal(wt_stop(&fresh, 15, 5000), 0);
}

/* Each fault gives its documented error, with a readable message. */
static void expect_error(int port, const char *path, const char *extra, const char *name,
                         const char *words)
{
    wt_response r;
    assert_int_equal(front_get(&front, "/fetch-err", port, path, extra, &r), 200);
    if (strncmp(r.body, name, strlen(name)) != 0 || !strstr(r.body, words))
        fail_msg("want %s (%s), got: %s", name, words, r.body);
    wt_response_free(&r);
}

static void faults_map_to_errors(void **state)
{
    (void)state;
    expect_error(wt_refusing_port(), "/", NULL, "WEFT_ECONNREFUSED", "127.0.0.1");
    wt_fault *silent = wt_fault_start(WT_FAULT_SILENT);
    long t0 = wt_now_ms();
    expect_error(wt_fault_port(silent), "/", "&timeout=300", "WEFT_ETIMEDOUT", "within 300 ms");
    long dt = wt_now_ms() - t0;
    assert_true(dt >= 290 && dt < 1500);
    wt_fault *garbage = wt_fault_start(WT_FAULT_GARBAGE);
    expect_error(wt_fault_port(garbage), "/", NULL, "WEFT_EPROTO", "127.0.0.1");
    wt_fault *reset = wt_fault_start(WT_FAULT_RESET);
    expect_error(wt_fault_port(reset), "/", NULL, "WEFT_ECONNRESET", "127.0.0.1");
    expect_error(backend.port, "/stream?n=10000", "&max=1000", "WEFT_ETOOBIG", "larger than 1000");
    /* a declared length past the limit fails at the head, body unread */
    wt_fault *declared = wt_fault_start_fixed("HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n");
    expect_error(wt_fault_port(declared), "/", "&max=1000", "WEFT_ETOOBIG",
                 use_curl ? "Maximum file size exceeded" : "larger than 1000");
    wt_fault_stop(declared);
    /* No descriptor for the socket: the reason is in the message. (weft's
     * client opens it as the call starts; libcurl later, out of reach.) */
    if (!use_curl) {
        wt_response r;
        assert_int_equal(front_get(&front, "/fetch-nofd", backend.port, "/", NULL, &r), 200);
        if (strncmp(r.body, "WEFT_EIO", 8) != 0 || !strstr(r.body, "too many open files"))
            fail_msg("want WEFT_EIO (too many open files), got: %s", r.body);
        wt_response_free(&r);
    }
    /* nothing is left in flight */
    assert_int_equal(client_stat("active"), 0);
    wt_fault_stop(silent);
    wt_fault_stop(garbage);
    wt_fault_stop(reset);
}

/* Every way a backend can misbehave ends the call in time with 502 or 504,
 * the connection is not kept for another call, nothing stays in flight,
 * and an answer that never ends costs no more memory than the body limit
 * allows, given back afterwards. */
static void every_backend_fault_ends_cleanly(void **state)
{
    (void)state;
    static const struct {
        wt_fault_mode mode;
        const char *what;
        int status;
    } faults[] = {
        {WT_FAULT_SILENT, "hangs", 504},           {WT_FAULT_GARBAGE, "sends garbage", 502},
        {WT_FAULT_RESET, "resets mid-body", 502},  {WT_FAULT_SHORT, "lies about its length", 502},
        {WT_FAULT_ENDLESS, "streams without end", 502}, {WT_FAULT_DRIP, "drips a byte at a time", 504},
    };
    long rss0 = wt_rss_kb(front.pid);
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        wt_fault *f = wt_fault_start(faults[i].mode);
        wt_response r;
        long t0 = wt_now_ms();
        int st = front_get(&front, "/fetch", wt_fault_port(f), "/", "&timeout=600", &r);
        long dt = wt_now_ms() - t0;
        if (st != faults[i].status || dt > 600 + (wt_sanitized() ? 3000 : 700))
            fail_msg("a backend that %s: %d after %ld ms, want %d within the 600 ms deadline",
                     faults[i].what, st, dt, faults[i].status);
        wt_response_free(&r);
        /* the connection was given up, not pooled */
        long until = wt_now_ms() + 3000;
        while (wt_fault_peer_closed(f) < 1 && faults[i].mode != WT_FAULT_SHORT &&
               faults[i].mode != WT_FAULT_GARBAGE && faults[i].mode != WT_FAULT_RESET &&
               wt_now_ms() < until)
            usleep(5000);
        if (faults[i].mode == WT_FAULT_SILENT || faults[i].mode == WT_FAULT_ENDLESS ||
            faults[i].mode == WT_FAULT_DRIP)
            assert_int_equal(wt_fault_peer_closed(f), 1);
        assert_int_equal(client_stat("active"), 0);
        if (!use_curl) /* libcurl keeps its own pool, which it does not report */
            assert_int_equal(client_stat("idle"), 0); /* none of these is kept for reuse */
        wt_fault_stop(f);
    }
    if (!wt_sanitized() && rss0 > 0) {
        long rss = wt_rss_kb(front.pid);
        if (rss - rss0 > 24 * 1024) /* the 8 MiB limit, with its buffer's doubling */
            fail_msg("front RSS grew from %ld to %ld KB", rss0, rss);
    }
}

/* A handler that lets the error through: the server answers 502 (or 504
 * for a time-out) with the call's message, never a crash or a hang. */
static void unhandled_errors_become_502_504(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(front_get(&front, "/fetch", wt_refusing_port(), "/", NULL, &r), 502);
    /* The client learns what kind of failure and the request id; the
     * backend's address and error go to the log under that id. */
    char port[16], id[64], logged[128];
    snprintf(port, sizeof port, "%d", wt_refusing_port());
    assert_non_null(strstr(r.body, "502 Bad Gateway: a backend call failed (request "));
    assert_null(strstr(r.body, "refused"));
    assert_null(strstr(r.body, "127.0.0.1"));
    assert_null(strstr(r.body, port));
    assert_int_equal(sscanf(strstr(r.body, "(request ") + 9, "%63[^)]", id), 1);
    snprintf(logged, sizeof logged, "request %s: answered 502: http://127.0.0.1:%s/", id, port);
    assert_true(wt_wait_log(&front, logged, 3000));
    wt_response_free(&r);
    wt_fault *silent = wt_fault_start(WT_FAULT_SILENT);
    assert_int_equal(front_get(&front, "/fetch", wt_fault_port(silent), "/", "&timeout=200", &r),
                     504);
    assert_non_null(strstr(r.body, "a backend did not answer in time (request "));
    assert_null(strstr(r.body, "127.0.0.1"));
    /* the log names the backend and the time limit (libcurl words it its
     * way). Waited for by the backend's port, which only this call's line
     * holds: an earlier test's 504 line may already say "answered 504". */
    char where[32];
    snprintf(where, sizeof where, "127.0.0.1:%d/", wt_fault_port(silent));
    assert_true(wt_wait_log(&front, where, 3000));
    assert_true(wt_log_contains(&front, "answered 504: "));
    assert_true(wt_log_contains(&front, "within 200 ms"));
    wt_response_free(&r);
    assert_int_equal(front_get(&front, "/fetch-sync", wt_refusing_port(), "/", NULL, &r), 502);
    wt_response_free(&r);
    wt_fault_stop(silent);
}

/* --dev: the error answer says what failed inside, for the developer at
 * the other end of the connection. */
static void dev_mode_shows_the_inside(void **state)
{
    (void)state;
    wt_server dev;
    static const char *const args[] = {"--loops", "1", "--dev", NULL};
    wt_start(&dev, "weft-client-app", args);
    wt_response r;
    assert_int_equal(front_get(&dev, "/fetch", wt_refusing_port(), "/", NULL, &r), 502);
    char where[48];
    snprintf(where, sizeof where, "127.0.0.1:%d/", wt_refusing_port());
    assert_non_null(strstr(r.body, where));
    assert_non_null(strstr(r.body, "(request "));
    wt_response_free(&r);
    assert_int_equal(wt_stop(&dev, 15, 5000), 0);
}

/* The client of the front goes away: the backend call is aborted - the
 * backend sees its connection closed. */
static void client_disconnect_aborts_backend_call(void **state)
{
    (void)state;
    wt_fault *silent = wt_fault_start(WT_FAULT_SILENT);
    char req[256];
    snprintf(req, sizeof req, "GET /fetch?url=http://127.0.0.1:%d/ HTTP/1.1\r\nHost: t\r\n\r\n",
             wt_fault_port(silent));
    wt_conn *c = wt_connect(front.port);
    wt_send_str(c, req);
    for (int i = 0; i < 100 && wt_fault_accepted(silent) == 0; i++)
        usleep(10000);
    assert_int_equal(wt_fault_accepted(silent), 1);
    long canceled = client_stat("canceled");
    wt_reset(c); /* gone: an RST (a FIN alone is a half-close, still served) */
    for (int i = 0; i < 200 && wt_fault_peer_closed(silent) == 0; i++)
        usleep(10000);
    assert_int_equal(wt_fault_peer_closed(silent), 1);
    assert_int_equal(client_stat("canceled"), canceled + 1);
    wt_fault_stop(silent);
}

/* A deadline shorter than the backend: the call is cut at the deadline. */
static void deadline_shorter_than_backend(void **state)
{
    (void)state;
    long t0 = wt_now_ms();
    wt_response r;
    assert_int_equal(front_get(&front, "/fetch-err", backend.port, "/delay?ms=3000",
                               "&timeout=250", &r),
                     200);
    assert_non_null(strstr(r.body, "WEFT_ETIMEDOUT"));
    wt_response_free(&r);
    assert_true(wt_now_ms() - t0 < 1500);
}

/* 8,000 calls at once to a backend with 500 ms latency all complete, and
 * together: one after another they would take 4,000 s. (Under ASan, with
 * libcurl and another test beside it, they took over 5 s.) */
static void eight_thousand_concurrent_calls(void **state)
{
    (void)state;
    if (wt_slow_build())
        skip();
    wt_response r;
    long t0 = wt_now_ms();
    assert_int_equal(front_get(&front, "/fetch-many", backend.port, "/delay?ms=500", "&n=8000", &r),
                     200);
    long dt = wt_now_ms() - t0;
    printf("# 8000 concurrent calls to a 500 ms backend: %s# wall %ld ms\n", r.body, dt);
    assert_non_null(strstr(r.body, "ok=8000 failed=0"));
    wt_response_free(&r);
    assert_true(dt < (wt_sanitized() ? 30000 : 5000));
}

/* With --max-conns-per-endpoint 4, 20 calls of 200 ms need 5 rounds, and
 * no more than 4 connections are ever opened. */
static void connection_limit_respected(void **state)
{
    (void)state;
    wt_server limited;
    static const char *const args[] = {"--loops", "1", "--max-conns-per-endpoint", "4", NULL,
                                       NULL};
    static const char *args_curl[] = {"--loops", "1", "--max-conns-per-endpoint", "4",
                                      "--backend-curl", NULL};
    wt_start(&limited, "weft-client-app", use_curl ? args_curl : args);
    wt_response r;
    long t0 = wt_now_ms();
    assert_int_equal(front_get(&limited, "/fetch-many", backend.port, "/delay?ms=200", "&n=20", &r),
                     200);
    long dt = wt_now_ms() - t0;
    assert_non_null(strstr(r.body, "ok=20 failed=0"));
    wt_response_free(&r);
    assert_true(dt >= 950); /* 5 rounds of 200 ms, not 1 */
    long opened = wt_number_after(limited.port, "/client-stats", "opened=");
    assert_true(opened >= 0); /* present */
    assert_true(opened <= 4);
    /* Calls waiting for one of the 4 connections time out where they
     * wait: all 20 end at their 300 ms, not in rounds, and the queue is
     * sound for the calls after them. */
    t0 = wt_now_ms();
    assert_int_equal(front_get(&limited, "/fetch-many", backend.port, "/delay?ms=1000",
                               "&n=20&timeout=300", &r),
                     200);
    dt = wt_now_ms() - t0;
    if (!strstr(r.body, "ok=0 failed=20"))
        fail_msg("want every call timed out, got: %s", r.body);
    wt_response_free(&r);
    assert_true(dt >= 290 && dt < 900);
    assert_int_equal(front_get(&limited, "/fetch-many", backend.port, "/delay?ms=50", "&n=8", &r),
                     200);
    assert_non_null(strstr(r.body, "ok=8 failed=0"));
    wt_response_free(&r);
    assert_int_equal(wt_stop(&limited, 15, 5000), 0);
}

typedef struct many_call {
    const wt_server *front;
    int backend_port, status, all_ok;
} many_call;

static void *call_many(void *arg)
{
    many_call *m = arg;
    wt_response r;
    m->status = front_get(m->front, "/fetch-many", m->backend_port, "/delay?ms=200", "&n=8", &r);
    if (m->status == 200) {
        m->all_ok = strstr(r.body, "ok=8 failed=0") != NULL;
        wt_response_free(&r);
    }
    return NULL;
}

/* --max-conns-total 2 holds across backends (weft's own engines): 8 calls
 * of 200 ms to each of two backends at once all succeed, waiting for one
 * of the 2 connections - 8 rounds, not 1 - and neither backend's idle
 * connections keep the other's calls waiting. */
static void total_limit_shared_by_backends(void **state)
{
    (void)state;
    if (use_curl)
        skip(); /* libcurl applies the limit per shard of its own */
    wt_server limited, other;
    static const char *const args[] = {"--loops", "1", "--max-conns-total", "2", NULL};
    static const char *const oargs[] = {"--loops", "1", "--quiet", NULL};
    wt_start(&limited, "weft-client-app", args);
    wt_start(&other, "weft-hello", oargs);
    many_call calls[2] = {{&limited, backend.port, 0, 0}, {&limited, other.port, 0, 0}};
    pthread_t t[2];
    long t0 = wt_now_ms();
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, call_many, &calls[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    long dt = wt_now_ms() - t0;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(calls[i].status, 200);
        assert_true(calls[i].all_ok);
    }
    assert_true(dt >= 1500); /* 16 calls over 2 connections: 8 rounds of 200 ms */
    assert_true(dt < (wt_sanitized() ? 20000 : 5000));
    assert_int_equal(wt_stop(&other, 15, 5000), 0);
    assert_int_equal(wt_stop(&limited, 15, 5000), 0);
}

int main(int argc, char **argv)
{
    use_curl = argc > 1 && strcmp(argv[1], "curl") == 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_post_chunked_and_statuses),
        cmocka_unit_test(quiet_server_knows_its_peer),
        cmocka_unit_test(keep_alive_reuses_one_connection),
        cmocka_unit_test(large_request_on_a_new_connection),
        cmocka_unit_test(faults_map_to_errors),
        cmocka_unit_test(every_backend_fault_ends_cleanly),
        cmocka_unit_test(unhandled_errors_become_502_504),
        cmocka_unit_test(dev_mode_shows_the_inside),
        cmocka_unit_test(client_disconnect_aborts_backend_call),
        cmocka_unit_test(deadline_shorter_than_backend),
        cmocka_unit_test(eight_thousand_concurrent_calls),
        cmocka_unit_test(connection_limit_respected),
        cmocka_unit_test(total_limit_shared_by_backends),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
