/* test_haproxy.c - scale-out behind an existing load balancer, as
 * docs/deploy.md sets it up: HAProxy on loopback in front of two
 * pgw-front instances (each over the one pgw-backend), health-checking
 * /readyz. Under a steady keep-alive load one instance gets SIGTERM: its
 * /readyz answers 503 for --drain-delay, HAProxy takes it out, it
 * finishes what it holds and exits 0 - and no client request fails.
 * Skipped, saying why, where haproxy is not installed (scripts/deps.sh
 * installs it). */
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt.h"

#define HAPROXY "/usr/sbin/haproxy"

/* A port free now, for HAProxy, which cannot be told to take any port
 * and say which: bound to port 0 and released. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* The configuration docs/deploy.md gives, for two instances. */
static void write_config(const char *path, int port, int a, int b)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "global\n"
            "    maxconn 4096\n"
            "defaults\n"
            "    mode http\n"
            "    timeout connect 2s\n"
            "    timeout client 30s\n"
            "    timeout server 30s\n"
            "    option http-keep-alive\n"
            "    retries 3\n"
            "    option redispatch 1\n"
            "    retry-on conn-failure empty-response response-timeout\n"
            "frontend web\n"
            "    bind 127.0.0.1:%d\n"
            "    default_backend weft\n"
            "backend weft\n"
            "    balance roundrobin\n"
            "    option httpchk GET /readyz\n"
            "    http-check expect status 200\n"
            "    default-server inter 200ms fall 1 rise 2\n"
            "    server w1 127.0.0.1:%d check\n"
            "    server w2 127.0.0.1:%d check\n",
            port, a, b);
    fclose(f);
}

/* Whether something listens on port (wt_connect would fail the test). */
static int listening(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static pid_t start_haproxy(const char *cfg, const char *log)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(HAPROXY, "haproxy", "-db", "-f", cfg, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid, int timeout_ms)
{
    long until = wt_now_ms() + timeout_ms;
    int status;
    while (wt_now_ms() < until) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* How many requests an instance's access log shows for path. */
static int served(const wt_server *s, const char *path)
{
    FILE *f = fopen(s->log_path, "r");
    if (!f)
        return 0;
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, path) != NULL && strstr(line, "\" 200 ") != NULL;
    fclose(f);
    return n;
}

/* What the test started outside wt_start, for the teardown to stop and
 * remove even when an assertion ended the test early. */
static pid_t hap = -1;
static char hap_cfg[] = "/tmp/weft-haproxy-XXXXXX";
static char hap_log[sizeof hap_cfg + 8];

static int stop_haproxy(void **state)
{
    (void)state;
    if (hap > 0) {
        kill(hap, SIGTERM);
        wait_exit(hap, 5000);
        hap = -1;
    }
    if (hap_log[0]) {
        unlink(hap_cfg);
        unlink(hap_log);
    }
    return 0;
}

static void instance_stopped_under_load_fails_nothing(void **state)
{
    (void)state;
    if (access(HAPROXY, X_OK) != 0) {
        print_message("skipped: %s is not installed (scripts/deps.sh installs haproxy)\n", HAPROXY);
        skip();
    }
    wt_server backend, w1, w2;
    static const char *const bargs[] = {"--quiet", "--delay", "20", NULL};
    wt_start(&backend, "pgw-backend", bargs);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", backend.port);
    const char *fargs[] = {"--backend", url, "--loops", "1", "--drain-delay", "1000", NULL};
    wt_start(&w1, "pgw-front", fargs);
    wt_start(&w2, "pgw-front", fargs);

    int cfd = mkstemp(hap_cfg);
    assert_true(cfd >= 0);
    close(cfd);
    snprintf(hap_log, sizeof hap_log, "%s.log", hap_cfg);
    int port = free_port();
    write_config(hap_cfg, port, w1.port, w2.port);
    hap = start_haproxy(hap_cfg, hap_log);

    /* HAProxy is up once it answers through an instance */
    long until = wt_now_ms() + 10000;
    while (!listening(port) && wt_now_ms() < until)
        usleep(20000);
    while (wt_request(port, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", NULL) != 200 &&
           wt_now_ms() < until)
        usleep(50000);
    assert_int_equal(wt_request(port, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", NULL), 200);

    wt_load *load = wt_load_start(port, "/json/gizmos-async", 16);
    wt_load_wait(load, 300);
    /* both instances in use (their access logs are written within a second) */
    until = wt_now_ms() + 3000;
    while ((!served(&w1, "/json/gizmos-async") || !served(&w2, "/json/gizmos-async")) &&
           wt_now_ms() < until)
        usleep(50000);
    assert_true(served(&w1, "/json/gizmos-async") > 0 && served(&w2, "/json/gizmos-async") > 0);
    assert_int_equal(wt_stop(&w1, SIGTERM, 15000), 0); /* drains, then exits 0 */
    wt_load_wait(load, 300); /* all on the other instance now */
    wt_load_result got;
    wt_load_stop(load, &got);

    stop_haproxy(NULL);
    assert_int_equal(wt_stop(&w2, SIGTERM, 10000), 0);
    assert_int_equal(wt_stop(&backend, SIGTERM, 10000), 0);
    assert_int_equal(got.failed, 0);
    assert_int_equal(got.other, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(instance_stopped_under_load_fails_nothing, stop_haproxy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
