/* test_port.c - a port another program holds is refused loudly. The
 * listeners bind with SO_REUSEPORT (one per loop); without a check a
 * second weft program started on the same port joined the first one's
 * group and the kernel split the traffic between two different programs.
 * Now the second exits with status 1 and "address already in use", and
 * every request still reaches the first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "wt.h"

/* Runs bin with --port port (and --loops 2, and flags) for at most secs;
 * its exit status (124: still running when the time was up), with its
 * error output copied to out. */
static int run_with(const char *bin, const char *flags, int port, int secs, char *out, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "timeout %d %s/%s --loops 2 %s --port %d 2>&1 >/dev/null", secs,
             WEFT_BIN_DIR, bin, flags, port);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run_on_port(const char *bin, int port, int secs, char *out, size_t cap)
{
    return run_with(bin, "", port, secs, out, cap);
}

static void a_taken_port_is_refused(void **state)
{
    (void)state;
    wt_server first;
    static const char *const args[] = {"--loops", "2", "--quiet", NULL};
    wt_start(&first, "weft-hello", args);
    char out[4096];
    /* the same program, and another one */
    assert_int_equal(run_on_port("weft-hello", first.port, 10, out, sizeof out), 1);
    assert_non_null(strstr(out, "address already in use"));
    assert_int_equal(run_on_port("weft-client-app", first.port, 10, out, sizeof out), 1);
    assert_non_null(strstr(out, "address already in use"));
    /* a master binds before it forks: it fails the same way */
    assert_int_equal(run_with("weft-hello", "--processes 2", first.port, 10, out, sizeof out), 1);
    assert_non_null(strstr(out, "address already in use"));
    /* every request reached the first program (weft-client-app has no
     * /plaintext: a 404 would be one that went astray) */
    for (int i = 0; i < 12; i++)
        assert_int_equal(wt_request(first.port, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", NULL),
                         200);
    int port = first.port;
    assert_int_equal(wt_stop(&first, 15, 10000), 0);
    /* once it is gone the port is free again at once (its closed
     * connections' TIME_WAIT does not count) */
    assert_int_equal(run_on_port("weft-hello", port, 2, out, sizeof out), 124); /* ran until stopped */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_taken_port_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
