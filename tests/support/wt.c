/* wt.c - see wt.h. Plain blocking sockets with poll() time limits: tests
 * may block, servers may not. */
#define _GNU_SOURCE
#include "wt.h"
#include "proc_rss.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

long wt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Servers still running when the test process exits (an assertion failed
 * before wt_stop) are killed then: a failing test leaves nothing behind. */
static pid_t live[64];
static int nlive;

static void kill_leftovers(void)
{
    for (int i = 0; i < nlive; i++)
        if (live[i] > 0) {
            kill(live[i], SIGKILL);
            waitpid(live[i], NULL, 0);
        }
}

static void track(pid_t pid, int add)
{
    if (add) {
        if (nlive == 0)
            atexit(kill_leftovers);
        if (nlive < 64)
            live[nlive++] = pid;
        return;
    }
    for (int i = 0; i < nlive; i++)
        if (live[i] == pid)
            live[i] = 0;
}

void wt_start(wt_server *s, const char *bin, const char *const *args)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", WEFT_BIN_DIR, bin);
    snprintf(s->log_path, sizeof s->log_path, "/tmp/weft-test-XXXXXX");
    int logfd = mkstemp(s->log_path);
    assert_true(logfd >= 0);
    const char *argv[64];
    int n = 0;
    argv[n++] = path;
    for (int i = 0; args && args[i] && n < 60; i++)
        argv[n++] = args[i];
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n] = NULL;
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(logfd, 1); /* the access log, next to the error log */
        dup2(logfd, 2);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    close(logfd);
    track(s->pid, 1);
    long until = wt_now_ms() + 10000;
    s->port = 0;
    while (wt_now_ms() < until && !s->port) {
        FILE *f = fopen(s->log_path, "r");
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            const char *p = strstr(line, "listening on http");
            if (p) { /* http:// or https:// */
                const char *colon = strrchr(p + 17, ':');
                if (colon)
                    s->port = atoi(colon + 1);
            }
        }
        if (f)
            fclose(f);
        if (!s->port)
            usleep(10000);
    }
    if (!s->port)
        fail_msg("%s did not report its port", bin);
}

/* A server that failed tells why: its log goes to the test's output. */
static void dump_log(const wt_server *s, int code)
{
    fprintf(stderr, "---- server exited with status %d; its log (%s):\n", code, s->log_path);
    FILE *f = fopen(s->log_path, "r");
    char line[4096];
    int n = 0;
    while (f && fgets(line, sizeof line, f) && n++ < 200)
        fputs(line, stderr);
    if (f)
        fclose(f);
    fprintf(stderr, "---- end of server log\n");
}

int wt_stop(wt_server *s, int sig, int timeout_ms)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, sig);
    long until = wt_now_ms() + timeout_ms;
    int status;
    while (wt_now_ms() < until) {
        pid_t r = waitpid(s->pid, &status, WNOHANG);
        if (r == s->pid) {
            track(s->pid, 0);
            s->pid = 0;
            int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            if (code != 0)
                dump_log(s, code);
            unlink(s->log_path);
            return code;
        }
        usleep(5000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    track(s->pid, 0);
    s->pid = 0;
    dump_log(s, -1);
    unlink(s->log_path);
    return -1;
}

int wt_log_contains(const wt_server *s, const char *text)
{
    FILE *f = fopen(s->log_path, "r");
    if (!f)
        return 0;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

int wt_wait_log(const wt_server *s, const char *text, int timeout_ms)
{
    long until = wt_now_ms() + timeout_ms;
    while (!wt_log_contains(s, text)) {
        if (wt_now_ms() >= until)
            return 0;
        usleep(20000);
    }
    return 1;
}

wt_conn *wt_connect(int port)
{
    wt_conn *c = calloc(1, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
        fail_msg("connect to port %d: %s", port, strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return c;
}

void wt_send(wt_conn *c, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return; /* the server may close early; the reader will see it */
        data += n;
        len -= (size_t)n;
    }
}

void wt_send_str(wt_conn *c, const char *s)
{
    wt_send(c, s, strlen(s));
}

void wt_close(wt_conn *c)
{
    if (c) {
        close(c->fd);
        free(c);
    }
}

void wt_shut_wr(wt_conn *c)
{
    assert_int_equal(shutdown(c->fd, SHUT_WR), 0);
}

void wt_reset(wt_conn *c)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    wt_close(c);
}

/* Reads more bytes into c->buf: 1 got data, 0 a clean end (FIN), -2 a
 * reset, -1 a time-out or another error. A reset is never a clean close:
 * the server closes gracefully so that its answer survives. */
static int fill(wt_conn *c, long until)
{
    if (c->len == sizeof c->buf)
        return -1;
    long left = until - wt_now_ms();
    if (left <= 0)
        return -1;
    struct pollfd p = {c->fd, POLLIN, 0};
    if (poll(&p, 1, (int)left) <= 0)
        return -1;
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (n < 0)
        return errno == ECONNRESET ? -2 : -1;
    c->len += (size_t)n;
    return n > 0;
}

static void consume(wt_conn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* Ensures n bytes are buffered. */
static int need(wt_conn *c, size_t n, long until)
{
    while (c->len < n)
        if (fill(c, until) <= 0)
            return -1;
    return 0;
}

static char *find_crlf(wt_conn *c, size_t from, long until)
{
    for (;;) {
        char *e = c->len > from ? memmem(c->buf + from, c->len - from, "\r\n", 2) : NULL;
        if (e)
            return e;
        if (fill(c, until) <= 0)
            return NULL;
    }
}

static int read_chunked(wt_conn *c, wt_response *r, long until)
{
    size_t cap = 1024, len = 0;
    char *body = malloc(cap);
    for (;;) {
        char *e = find_crlf(c, 0, until);
        if (!e)
            goto bad;
        unsigned long sz = strtoul(c->buf, NULL, 16);
        consume(c, (size_t)(e - c->buf) + 2);
        if (sz == 0) {
            for (;;) { /* trailers until the empty line */
                e = find_crlf(c, 0, until);
                if (!e)
                    goto bad;
                size_t l = (size_t)(e - c->buf);
                consume(c, l + 2);
                if (l == 0)
                    break;
            }
            break;
        }
        if (need(c, sz + 2, until))
            goto bad;
        while (len + sz + 1 > cap)
            cap *= 2;
        body = realloc(body, cap);
        memcpy(body + len, c->buf, sz);
        len += sz;
        consume(c, sz + 2);
    }
    body[len] = '\0';
    r->body = body;
    r->body_len = len;
    return 0;
bad:
    free(body);
    return -1;
}

/* A Content-Length body larger than the connection's buffer: what is
 * buffered, then straight from the socket into the body. */
static int read_large_body(wt_conn *c, wt_response *r, size_t n, long until)
{
    char *body = malloc(n + 1);
    if (!body)
        return -1;
    size_t got = c->len < n ? c->len : n;
    memcpy(body, c->buf, got);
    consume(c, got);
    while (got < n) {
        long left = until - wt_now_ms();
        struct pollfd p = {c->fd, POLLIN, 0};
        ssize_t k = left > 0 && poll(&p, 1, (int)left) > 0 ? recv(c->fd, body + got, n - got, 0) : -1;
        if (k <= 0) {
            free(body);
            return -1;
        }
        got += (size_t)k;
    }
    body[n] = '\0';
    r->body = body;
    r->body_len = n;
    return 0;
}

int wt_read_response(wt_conn *c, wt_response *r, int timeout_ms, int head_only)
{
    memset(r, 0, sizeof *r);
    long until = wt_now_ms() + timeout_ms;
    char *end;
    for (;;) {
        end = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
        if (end)
            break;
        if (fill(c, until) <= 0)
            return -1;
    }
    size_t hlen = (size_t)(end - c->buf) + 4;
    if (hlen >= sizeof r->head)
        return -1;
    memcpy(r->head, c->buf, hlen);
    r->head[hlen] = '\0';
    consume(c, hlen);
    if (sscanf(r->head, "HTTP/1.%d %d", &r->minor, &r->status) != 2)
        return -1;
    char v[64];
    if (head_only || r->status == 204 || r->status == 304 || r->status < 200) {
        r->body = calloc(1, 1);
        return 0;
    }
    if (wt_header(r, "Transfer-Encoding", v, sizeof v) && strcasecmp(v, "chunked") == 0) {
        r->chunked = 1;
        return read_chunked(c, r, until);
    }
    if (wt_header(r, "Content-Length", v, sizeof v)) {
        size_t n = strtoul(v, NULL, 10);
        if (n >= sizeof c->buf)
            return read_large_body(c, r, n, until);
        if (need(c, n, until))
            return -1;
        r->body = malloc(n + 1);
        memcpy(r->body, c->buf, n);
        r->body[n] = '\0';
        r->body_len = n;
        consume(c, n);
        return 0;
    }
    int f;
    while ((f = fill(c, until)) > 0) /* close-delimited: only a clean end ends it */
        ;
    if (f < 0)
        return -1;
    r->body = malloc(c->len + 1);
    memcpy(r->body, c->buf, c->len);
    r->body[c->len] = '\0';
    r->body_len = c->len;
    consume(c, c->len);
    return 0;
}

void wt_response_free(wt_response *r)
{
    free(r->body);
    r->body = NULL;
}

const char *wt_header(const wt_response *r, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    const char *p = strstr(r->head, "\r\n");
    while (p && p[2] != '\r') {
        p += 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t l = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;
            memcpy(out, v, l);
            out[l] = '\0';
            return out;
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

int wt_wait_closed(wt_conn *c, int timeout_ms)
{
    long until = wt_now_ms() + timeout_ms;
    size_t before = c->len;
    int r = fill(c, until);
    if (r == 0)
        return 1;
    if (r < 0)
        return r;
    return c->len > before ? 0 : -1;
}

int wt_request(int port, const char *raw, wt_response *r)
{
    wt_conn *c = wt_connect(port);
    wt_send_str(c, raw);
    wt_response tmp, *out = r ? r : &tmp;
    /* Under a sanitizer a server does the same work several times slower
     * (a burst of 2,000 HTTP/2 calls under TSan, 8,000 libcurl calls under
     * ASan beside another test: over 5 s each), so the wait for one answer
     * is longer; what a test asserts about time it measures itself. */
    int rc = wt_read_response(c, out, wt_sanitized() || wt_slow_build() ? 30000 : 5000,
                              strncmp(raw, "HEAD ", 5) == 0);
    wt_close(c);
    int status = rc == 0 ? out->status : -1;
    if (!r)
        wt_response_free(&tmp);
    return status;
}

long wt_rss_kb(pid_t pid)
{
    return proc_rss_kb(pid);
}

typedef struct burst_conn {
    int fd;
    size_t sent, got;
    char buf[512];
    long t0, done_ms;
    int status;
} burst_conn;

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* A response is complete when its head is in and Content-Length bytes follow. */
static int burst_complete(burst_conn *b)
{
    b->buf[b->got] = '\0';
    char *end = strstr(b->buf, "\r\n\r\n");
    if (!end)
        return 0;
    const char *cl = strcasestr(b->buf, "\r\nContent-Length:");
    size_t len = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
    if (b->got < (size_t)(end + 4 - b->buf) + len)
        return 0;
    sscanf(b->buf, "HTTP/1.%*d %d", &b->status);
    return 1;
}

void wt_burst(int port, int n, const char *raw, int timeout_ms, wt_burst_result *out)
{
    memset(out, 0, sizeof *out);
    burst_conn *c = calloc((size_t)n, sizeof *c);
    int ep = epoll_create1(0);
    size_t rawlen = strlen(raw);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    long start = wt_now_ms();
    for (int i = 0; i < n; i++) {
        c[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        assert_true(c[i].fd >= 0);
        connect(c[i].fd, (struct sockaddr *)&a, sizeof a);
        struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
    }
    int pending = n;
    long until = start + timeout_ms;
    struct epoll_event evs[256];
    while (pending > 0 && wt_now_ms() < until) {
        int k = epoll_wait(ep, evs, 256, (int)(until - wt_now_ms()));
        for (int e = 0; e < k; e++) {
            burst_conn *b = &c[evs[e].data.u32];
            if (b->done_ms)
                continue;
            if ((evs[e].events & EPOLLOUT) && b->sent < rawlen) {
                if (!b->t0)
                    b->t0 = wt_now_ms();
                ssize_t w = send(b->fd, raw + b->sent, rawlen - b->sent, MSG_NOSIGNAL);
                if (w > 0)
                    b->sent += (size_t)w;
                if (b->sent == rawlen) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[e].data.u32};
                    epoll_ctl(ep, EPOLL_CTL_MOD, b->fd, &ev);
                }
            }
            if (evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t r = recv(b->fd, b->buf + b->got, sizeof b->buf - 1 - b->got, 0);
                if (r > 0)
                    b->got += (size_t)r;
                if (burst_complete(b) || r == 0 || (r < 0 && errno != EAGAIN) ||
                    b->got == sizeof b->buf - 1) {
                    b->done_ms = wt_now_ms();
                    epoll_ctl(ep, EPOLL_CTL_DEL, b->fd, NULL);
                    pending--;
                }
            }
        }
    }
    out->elapsed_ms = wt_now_ms() - start;
    long *lat = calloc((size_t)n, sizeof *lat);
    int nl = 0;
    for (int i = 0; i < n; i++) {
        if (c[i].done_ms && c[i].status == 200) {
            out->ok++;
            lat[nl++] = c[i].done_ms - c[i].t0;
        } else if (c[i].done_ms && c[i].status) {
            out->other++;
        } else {
            out->failed++;
        }
        close(c[i].fd);
    }
    qsort(lat, (size_t)nl, sizeof *lat, cmp_long);
    out->p50_ms = nl ? lat[nl / 2] : -1;
    out->max_ms = nl ? lat[nl - 1] : -1;
    free(lat);
    free(c);
    close(ep);
}

/* Whether the environment variable name is set to 1 (by the Makefile). */
static int env_flag(const char *name)
{
    const char *v = getenv(name);
    return v && *v == '1';
}

int wt_slow_build(void)
{
    return env_flag("WT_SLOW_BUILD");
}

int wt_sanitized(void)
{
    return env_flag("WT_SANITIZED");
}

void wt_raise_fd_limit(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

int wt_get_via(int front_port, const char *route, int port, const char *path, const char *extra,
               wt_response *r)
{
    char url[512], req[1024], target[256];
    size_t n = 0;
    snprintf(target, sizeof target, "http://127.0.0.1:%d%s", port, path);
    for (const char *p = target; *p && n < sizeof url - 4; p++) {
        if (*p == '?' || *p == '&' || *p == '=' || *p == '%' || *p == ' ')
            n += (size_t)snprintf(url + n, sizeof url - n, "%%%02X", (unsigned char)*p);
        else
            url[n++] = *p;
    }
    url[n] = '\0';
    snprintf(req, sizeof req, "GET %s?url=%s%s HTTP/1.1\r\nHost: t\r\n\r\n", route, url,
             extra ? extra : "");
    return wt_request(front_port, req, r);
}

long wt_stat(int port, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", name);
    return wt_number_after(port, "/stats", key);
}

long wt_number_after(int port, const char *path, const char *key)
{
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    wt_response r;
    assert_int_equal(wt_request(port, req, &r), 200);
    const char *p = strstr(r.body, key);
    long v = p ? strtol(p + strlen(key), NULL, 10) : -1;
    wt_response_free(&r);
    return v;
}

int wt_capture(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = 0, k;
    while (n < cap - 1 && (k = fread(out + n, 1, cap - 1 - n, p)) > 0)
        n += k;
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
