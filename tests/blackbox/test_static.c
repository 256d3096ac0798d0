/* test_static.c - weft_static against examples/chat (weft-chat --public
 * DIR) serving a directory this test makes: types and validators (304),
 * byte ranges (206, 416, If-Range), directories and their index, every
 * way out of the root refused (each its own case), a 24 MiB file by
 * sendfile and over h2c by parts, HEAD, and clients that stall or leave
 * in the middle of a file. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt.h"

#define BIG_SIZE (24u << 20)

static wt_server srv;
static char dir[64] = "/tmp/weft-static-XXXXXX";

static void put_file(const char *name, const char *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static int get(const char *target, const char *headers, wt_response *r)
{
    char raw[1024];
    snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n", target, headers ? headers : "");
    int status = wt_request(srv.port, raw, r);
    assert_true(status > 0);
    return status;
}

static const char *hdr(const wt_response *r, const char *name)
{
    static char v[4][256];
    static int i;
    i = (i + 1) % 4;
    return wt_header(r, name, v[i], sizeof v[i]);
}

static unsigned char big_byte(size_t i)
{
    return (unsigned char)((i * 2654435761u) >> 13);
}

static int open_fds(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)srv.pid);
    DIR *d = opendir(path);
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

static void types_and_validators(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(get("/hello.txt", NULL, &r), 200);
    assert_string_equal(r.body, "hello, world\n");
    assert_string_equal(hdr(&r, "Content-Type"), "text/plain; charset=utf-8");
    assert_string_equal(hdr(&r, "Accept-Ranges"), "bytes");
    char etag[128], modified[64], cond[256];
    strcpy(etag, hdr(&r, "ETag"));
    strcpy(modified, hdr(&r, "Last-Modified"));
    assert_true(etag[0] == '"');
    wt_response_free(&r);
    assert_int_equal(get("/style.css", NULL, &r), 200);
    assert_string_equal(hdr(&r, "Content-Type"), "text/css; charset=utf-8");
    wt_response_free(&r);
    assert_int_equal(get("/blob.unknownext", NULL, &r), 200);
    assert_string_equal(hdr(&r, "Content-Type"), "application/octet-stream");
    wt_response_free(&r);
    /* If-None-Match, strong and weak, in a list: 304 with no body */
    snprintf(cond, sizeof cond, "If-None-Match: \"other\", W/%s\r\n", etag);
    assert_int_equal(get("/hello.txt", cond, &r), 304);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(hdr(&r, "ETag"), etag);
    wt_response_free(&r);
    assert_int_equal(get("/hello.txt", "If-None-Match: \"other\"\r\n", &r), 200);
    wt_response_free(&r);
    snprintf(cond, sizeof cond, "If-Modified-Since: %s\r\n", modified);
    assert_int_equal(get("/hello.txt", cond, &r), 304);
    wt_response_free(&r);
    assert_int_equal(get("/hello.txt", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n", &r),
                     200);
    wt_response_free(&r);
}

static void ranges(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(get("/hello.txt", "Range: bytes=7-11\r\n", &r), 206);
    assert_string_equal(r.body, "world");
    assert_string_equal(hdr(&r, "Content-Range"), "bytes 7-11/13");
    wt_response_free(&r);
    assert_int_equal(get("/hello.txt", "Range: bytes=-6\r\n", &r), 206);
    assert_string_equal(r.body, "world\n");
    wt_response_free(&r);
    assert_int_equal(get("/hello.txt", "Range: bytes=7-\r\n", &r), 206);
    assert_string_equal(r.body, "world\n");
    wt_response_free(&r);
    assert_int_equal(get("/hello.txt", "Range: bytes=5-500\r\n", &r), 206);
    assert_string_equal(hdr(&r, "Content-Range"), "bytes 5-12/13");
    wt_response_free(&r);
    assert_int_equal(get("/hello.txt", "Range: bytes=13-\r\n", &r), 416);
    assert_string_equal(hdr(&r, "Content-Range"), "bytes */13");
    wt_response_free(&r);
    /* several ranges, another unit, nonsense, a stale If-Range: the whole file */
    static const char *const whole[] = {"Range: bytes=0-1,4-5\r\n", "Range: items=0-1\r\n",
                                        "Range: bytes=5-2\r\n", "Range: bytes=x-y\r\n",
                                        "Range: bytes=0-3\r\nIf-Range: \"stale\"\r\n"};
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
        assert_int_equal(get("/hello.txt", whole[i], &r), 200);
        assert_int_equal(r.body_len, 13);
        wt_response_free(&r);
    }
}

static void directories(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(get("/", NULL, &r), 200);
    assert_non_null(strstr(r.body, "<title>chat"));
    assert_string_equal(hdr(&r, "Content-Type"), "text/html; charset=utf-8");
    wt_response_free(&r);
    assert_int_equal(get("/docs?x=1", NULL, &r), 308);
    assert_string_equal(hdr(&r, "Location"), "/docs/?x=1");
    wt_response_free(&r);
    assert_int_equal(get("/docs/", NULL, &r), 200);
    assert_string_equal(r.body, "docs index\n");
    wt_response_free(&r);
    assert_int_equal(get("/empty/", NULL, &r), 404); /* no index there */
    wt_response_free(&r);
}

/* Each way out of the root, and what looks like one: all 404. */
static void no_escape(void **state)
{
    (void)state;
    static const char *const out[] = {
        "/../etc/passwd",          /* dot-dot */
        "/docs/../../etc/passwd",  /* dot-dot deeper */
        "/%2e%2e/etc/passwd",      /* dot-dot, encoded */
        "/%2E%2E%2Fetc%2Fpasswd",  /* ... with encoded slashes */
        "/docs%2findex.html",      /* an encoded slash inside the root */
        "/docs%5cindex.html",      /* an encoded backslash */
        "/hello.txt%00.png",       /* an encoded NUL */
        "/passwd-link",            /* a symbolic link out of the root */
        "/docs/up-link/etc/passwd", /* a link to a directory out of it */
        "/.secret",                /* a hidden file */
        "/./hello.txt",            /* a dot segment */
        "/nothing-here",           /* and a plain miss, for comparison */
    };
    for (size_t i = 0; i < sizeof out / sizeof *out; i++) {
        wt_response r;
        int status = get(out[i], NULL, &r);
        if (status != 404 && status != 400)
            fail_msg("%s: %d", out[i], status);
        assert_null(strstr(r.body, "root:"));
        wt_response_free(&r);
    }
    /* a link that stays inside is followed */
    wt_response r;
    assert_int_equal(get("/hello-link", NULL, &r), 200);
    assert_string_equal(r.body, "hello, world\n");
    wt_response_free(&r);
}

static void big_file_by_sendfile(void **state)
{
    (void)state;
    int fds = open_fds();
    wt_response r;
    assert_int_equal(get("/big.bin", NULL, &r), 200);
    assert_int_equal(r.body_len, BIG_SIZE);
    for (size_t i = 0; i < BIG_SIZE; i += 4093)
        if ((unsigned char)r.body[i] != big_byte(i))
            fail_msg("byte %zu differs", i);
    wt_response_free(&r);
    /* a range in the middle, by sendfile too */
    assert_int_equal(get("/big.bin", "Range: bytes=1000000-2999999\r\n", &r), 206);
    assert_int_equal(r.body_len, 2000000);
    assert_true((unsigned char)r.body[0] == big_byte(1000000));
    assert_true((unsigned char)r.body[1999999] == big_byte(2999999));
    wt_response_free(&r);
    /* HEAD: the length, no body, and the connection goes on */
    wt_conn *c = wt_connect(srv.port);
    wt_send_str(c, "HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(wt_read_response(c, &r, 5000, 1), 0);
    assert_int_equal(atol(hdr(&r, "Content-Length")), BIG_SIZE);
    wt_response_free(&r);
    wt_send_str(c, "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(wt_read_response(c, &r, 5000, 0), 0);
    assert_string_equal(r.body, "hello, world\n");
    wt_response_free(&r);
    wt_close(c);
    /* every copy of a descriptor closed (the connections' own go a moment
     * after their clients close them) */
    long t0 = wt_now_ms();
    while (open_fds() > fds && wt_now_ms() - t0 < 3000)
        usleep(20 * 1000);
    assert_true(open_fds() <= fds);
}

static void over_http2(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "curl -s --max-time 20 --http2-prior-knowledge -o %s/h2.out -w '%%{http_code} "
             "%%{http_version}' http://127.0.0.1:%d/big.bin && cmp %s/h2.out %s/big.bin && "
             "curl -s --max-time 5 --http2-prior-knowledge -r 7-11 "
             "http://127.0.0.1:%d/hello.txt",
             dir, srv.port, dir, dir, srv.port);
    char out[256];
    assert_int_equal(wt_capture(cmd, out, sizeof out), 0);
    assert_string_equal(out, "200 2world");
    char path[128];
    snprintf(path, sizeof path, "%s/h2.out", dir);
    unlink(path);
}

/* A client that asks for the big file and reads nothing is cut off after
 * --write-timeout (500 ms here); clients that leave mid-file leave no
 * descriptor behind; the server serves on. */
static void stalled_and_leaving_clients(void **state)
{
    (void)state;
    wt_conn *stalled = wt_connect(srv.port);
    wt_send_str(stalled, "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    for (int i = 0; i < 3; i++) {
        wt_conn *c = wt_connect(srv.port);
        wt_send_str(c, "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_int_equal(wt_wait_closed(c, 3000), 0); /* some of it came */
        wt_reset(c);
    }
    assert_true(wt_wait_log(&srv, "\"GET /big.bin HTTP/1.1\" 200", 5000));
    /* the stalled one: once its buffers stayed full for 500 ms the server
     * cut it off - read now, it ends (FIN or reset) well short of the file */
    usleep(wt_sanitized() ? 3000 * 1000 : 1500 * 1000);
    size_t got = 0;
    int end;
    long t0 = wt_now_ms();
    do {
        got += stalled->len;
        stalled->len = 0;
        end = wt_wait_closed(stalled, 2000);
    } while (end == 0 && wt_now_ms() - t0 < 15000);
    got += stalled->len;
    if (end != 1 && end != -2)
        fail_msg("the stalled client's connection did not end (%d), %zu bytes read", end, got);
    assert_true(got < BIG_SIZE);
    wt_close(stalled);
    wt_response r;
    assert_int_equal(get("/hello.txt", NULL, &r), 200);
    wt_response_free(&r);
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    put_file("hello.txt", "hello, world\n", 13);
    put_file("style.css", "p{}\n", 4);
    put_file("blob.unknownext", "?", 1);
    put_file("index.html", "<!doctype html><title>chat</title>\n", 35);
    put_file(".secret", "secret\n", 7);
    char path[256];
    snprintf(path, sizeof path, "%s/docs", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/empty", dir);
    mkdir(path, 0755);
    put_file("docs/index.html", "docs index\n", 11);
    snprintf(path, sizeof path, "%s/passwd-link", dir);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    snprintf(path, sizeof path, "%s/docs/up-link", dir);
    assert_int_equal(symlink("/", path), 0);
    snprintf(path, sizeof path, "%s/hello-link", dir);
    assert_int_equal(symlink("hello.txt", path), 0);
    char *big = malloc(BIG_SIZE);
    assert_non_null(big);
    for (size_t i = 0; i < BIG_SIZE; i++)
        big[i] = (char)big_byte(i);
    put_file("big.bin", big, BIG_SIZE);
    free(big);
    const char *args[] = {"--loops", "1", "--h2c", "--write-timeout", "500", "--public", dir,
                          NULL};
    wt_start(&srv, "weft-chat", args);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = wt_stop(&srv, 15, 5000);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = -1;
    return rc;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(types_and_validators),
        cmocka_unit_test(ranges),
        cmocka_unit_test(directories),
        cmocka_unit_test(no_escape),
        cmocka_unit_test(big_file_by_sendfile),
        cmocka_unit_test(over_http2),
        cmocka_unit_test(stalled_and_leaving_clients),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
