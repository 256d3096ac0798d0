/* test_processes.c - --processes: a master and its worker processes.
 *
 * Under a steady keep-alive load (client threads, each re-sending on its
 * connection as a browser or wrk does, reconnecting after a
 * "Connection: close"): a worker that crashes in a handler is logged with
 * its signal and route and replaced within a second while the other keeps
 * serving; SIGHUP replaces every worker and SIGUSR2 re-executes the
 * binary with the sockets passed on, both with no failed request; SIGTERM
 * lets in-flight requests finish; statistics count every worker's
 * requests, whichever worker is asked. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt.h"

static wt_server srv;

#define CLIENTS 8
#define PAGE "/delay?ms=5"

static const char *const procs_args[] = {"--processes", "2", "--loops", "1", "--crash-route",
                                         "yes", NULL};

/* A handler's null pointer ends its worker, not the server: the master
 * logs the signal and the route, a new worker serves within a second,
 * and the load loses at most the requests the dead worker held. */
static void crashed_worker_is_replaced(void **state)
{
    (void)state;
    wt_start(&srv, "weft-hello", procs_args);
    wt_load *l = wt_load_start(srv.port, PAGE, CLIENTS);
    wt_load_wait(l, 50);
    int failed_before = wt_load_failed(l);
    long t0 = wt_now_ms();
    assert_int_equal(wt_request(srv.port, "GET /crash HTTP/1.1\r\nHost: t\r\n\r\n", NULL), -1);
    /* (AddressSanitizer reports the fault itself and aborts: no route) */
    assert_true(wt_wait_log(&srv,
                            wt_sanitized() ? "; starting another"
                                           : "(SIGSEGV) while running 'GET /crash'; starting another",
                            5000));
    /* the replacement (the third worker started) accepts within a second */
    long left = 1000 - (wt_now_ms() - t0);
    assert_true(wt_wait_log(&srv, "is ready (3 started)", left > 0 ? (int)left : 0));
    wt_load_wait(l, 200); /* served meanwhile, by the other worker and the new one */
    wt_load_result got;
    wt_load_stop(l, &got);
    /* a client's request in flight on the dead worker at most */
    assert_true(got.failed - failed_before <= CLIENTS);
    assert_int_equal(got.other, 0);
    assert_int_equal(wt_stop(&srv, SIGTERM, 10000), 0);
}

/* Sends sig to the master under the load; waits for the two log lines
 * that say the old workers were replaced and have left; then no request
 * of the load may have failed. */
static void workers_replaced_without_failures(int sig, const char *started, const char *left)
{
    wt_start(&srv, "weft-hello", procs_args);
    wt_load *l = wt_load_start(srv.port, PAGE, CLIENTS);
    wt_load_wait(l, 50);
    kill(srv.pid, sig);
    assert_true(wt_wait_log(&srv, started, 10000));
    assert_true(wt_wait_log(&srv, left, 10000));
    wt_load_wait(l, 200); /* served by the new workers */
    wt_load_result got;
    wt_load_stop(l, &got);
    assert_int_equal(got.failed, 0);
    assert_int_equal(got.other, 0);
    assert_int_equal(wt_stop(&srv, SIGTERM, 10000), 0);
}

/* SIGHUP: a new generation of workers, then the old one drains. */
static void sighup_replaces_workers_without_failures(void **state)
{
    (void)state;
    workers_replaced_without_failures(SIGHUP, "2 new workers accept; the previous ones finish",
                                      ") finished");
}

/* SIGUSR2: the master runs its binary again with the sockets passed on
 * (same PID); the new program's workers take over, and the new master
 * still stops cleanly. */
static void sigusr2_upgrades_in_place(void **state)
{
    (void)state;
    workers_replaced_without_failures(SIGUSR2, "SIGUSR2: executing",
                                      "the previous program's worker");
}

/* SIGTERM: a request in flight finishes; then every process exits 0. */
static void sigterm_drains_workers(void **state)
{
    (void)state;
    wt_start(&srv, "weft-hello", procs_args);
    wt_conn *c = wt_connect(srv.port);
    wt_send_str(c, "GET /delay?ms=700 HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(200000);
    kill(srv.pid, SIGTERM);
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 5000, 0), 0);
    assert_int_equal(r.status, 200);
    wt_response_free(&r);
    wt_close(c);
    assert_int_equal(wt_stop(&srv, SIGTERM, 10000), 0);
}

/* Each request lands on one worker; the statistics of whichever worker
 * answers count both (the others' figures at most a second old). */
static void statistics_cover_every_worker(void **state)
{
    (void)state;
    wt_start(&srv, "weft-hello", procs_args);
    for (int i = 0; i < 40; i++)
        assert_int_equal(wt_request(srv.port, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", NULL),
                         200);
    long until = wt_now_ms() + 3000, seen = 0;
    while ((seen = wt_stat(srv.port, "responses_2xx")) < 40 && wt_now_ms() < until)
        usleep(50000);
    assert_true(seen >= 40);
    assert_int_equal(wt_stop(&srv, SIGTERM, 10000), 0);
}

/* Workers that cannot start (a certificate file that is not there) are
 * not restarted for ever: the master says why and exits 1. */
static void workers_that_cannot_start_stop_the_master(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "timeout 20 %s/weft-hello --port 0 --processes 2 --tls-cert /nonexistent/cert.pem "
             "--tls-key /nonexistent/key.pem 2>&1 >/dev/null",
             WEFT_BIN_DIR);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[8192];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1); /* not 124: it did not loop until killed */
    assert_non_null(strstr(out, "before it was ready; stopping"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crashed_worker_is_replaced),
        cmocka_unit_test(sighup_replaces_workers_without_failures),
        cmocka_unit_test(sigusr2_upgrades_in_place),
        cmocka_unit_test(sigterm_drains_workers),
        cmocka_unit_test(statistics_cover_every_worker),
        cmocka_unit_test(workers_that_cannot_start_stop_the_master),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
