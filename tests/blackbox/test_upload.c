/* test_upload.c - request bodies read as they arrive (.stream_body,
 * weft_body_read) against weft-api's POST /upload: 2 GiB in bounded
 * memory, chunked with keep-alive after it, 100-continue, the route's
 * own limit (413 declared and discovered), a stalled body (408), a client
 * leaving mid-upload, and the same over h2c with curl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "wt.h"

static wt_server api;

/* The byte at offset i of every upload here: a pattern the server's crc32
 * must agree on. */
static void fill(unsigned char *p, size_t n, uint64_t at)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(((at + i) * 2654435761u) >> 11);
}

static void expect_answer(wt_conn *c, uint64_t bytes, unsigned long crc)
{
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 30000, 0), 0);
    if (r.status != 200)
        fail_msg("%d %s", r.status, r.body);
    char want[96];
    snprintf(want, sizeof want, "{\"bytes\":%llu,\"crc32\":\"%08lx\"}", (unsigned long long)bytes,
             crc);
    assert_string_equal(r.body, want);
    wt_response_free(&r);
}

static void two_gib_in_bounded_memory(void **state)
{
    (void)state;
    const uint64_t total = wt_sanitized() ? (256ull << 20) : (2ull << 30);
    long rss0 = wt_rss_kb(api.pid);
    wt_conn *c = wt_connect(api.port);
    char head[256];
    snprintf(head, sizeof head,
             "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: %llu\r\n\r\n",
             (unsigned long long)total);
    wt_send_str(c, head);
    static unsigned char buf[1 << 20];
    unsigned long crc = crc32(0, NULL, 0);
    long peak = rss0;
    for (uint64_t at = 0; at < total; at += sizeof buf) {
        fill(buf, sizeof buf, at);
        crc = crc32(crc, buf, sizeof buf);
        wt_send(c, (const char *)buf, sizeof buf);
        if ((at >> 20) % 128 == 0) {
            long rss = wt_rss_kb(api.pid);
            if (rss > peak)
                peak = rss;
        }
    }
    expect_answer(c, total, crc);
    wt_close(c);
    print_message("upload %llu MiB: server RSS %ld KiB before, %ld KiB at most during\n",
                  (unsigned long long)(total >> 20), rss0, peak);
    assert_true(peak - rss0 < 64 * 1024);
}

static void chunked_then_keep_alive(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(api.port);
    wt_send_str(c, "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    unsigned char part[70000];
    unsigned long crc = crc32(0, NULL, 0);
    uint64_t at = 0;
    for (int i = 0; i < 40; i++) {
        size_t n = (size_t)(1 + (i * 7919) % (int)sizeof part);
        fill(part, n, at);
        crc = crc32(crc, part, (uInt)n);
        at += n;
        char size[32];
        snprintf(size, sizeof size, "%zx;ext=1\r\n", n);
        wt_send_str(c, size);
        wt_send(c, (const char *)part, n);
        wt_send_str(c, "\r\n");
    }
    wt_send_str(c, "0\r\nX-Trailer: yes\r\n\r\n");
    expect_answer(c, at, crc);
    /* the connection goes on, with a pipelined pair */
    wt_send_str(c, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                   "GET /items/5 HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_answer(c, 3, crc32(0, (const Bytef *)"abc", 3));
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 5000, 0), 0);
    assert_int_equal(r.status, 200);
    wt_response_free(&r);
    wt_close(c);
}

static void expect_continue(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(api.port);
    wt_send_str(c, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                   "Expect: 100-continue\r\n\r\n");
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 5000, 1), 0);
    assert_int_equal(r.status, 100);
    wt_response_free(&r);
    wt_send_str(c, "hello");
    expect_answer(c, 5, crc32(0, (const Bytef *)"hello", 5));
    wt_close(c);
}

/* With --max-upload-mb 8: a declared length past it is refused before
 * any body byte is read; a chunked body that goes past it is stopped
 * there. Either way the connection closes after the 413. */
static void route_limit(void **state)
{
    (void)state;
    wt_server small;
    static const char *const args[] = {"--loops", "1", "--max-upload-mb", "8", NULL};
    wt_start(&small, "weft-api", args);
    wt_conn *c = wt_connect(small.port);
    wt_send_str(c, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 400000000\r\n\r\n");
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 5000, 0), 0);
    assert_int_equal(r.status, 413);
    wt_response_free(&r);
    assert_int_equal(wt_wait_closed(c, 3000), 1);
    wt_close(c);

    c = wt_connect(small.port);
    wt_send_str(c, "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    static char mib[1 << 20];
    memset(mib, 'x', sizeof mib);
    char size[32];
    snprintf(size, sizeof size, "%zx\r\n", sizeof mib);
    for (int i = 0; i < 10; i++) {
        wt_send_str(c, size);
        wt_send(c, mib, sizeof mib);
        wt_send_str(c, "\r\n");
    }
    assert_int_equal(wt_read_response(c, &r, 5000, 0), 0);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.head, "Connection: close"));
    wt_response_free(&r);
    wt_close(c);
    /* and a buffered route keeps --max-body (8 MiB) for a declared length */
    assert_int_equal(wt_request(small.port,
                                "POST /items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                "Content-Length: 9000000\r\n\r\n",
                                &r),
                     413);
    wt_response_free(&r);
    assert_int_equal(wt_stop(&small, 15, 5000), 0);
}

/* --body-timeout is 500 ms here: a body that stops arriving is a 408. */
static void stalled_body(void **state)
{
    (void)state;
    wt_conn *c = wt_connect(api.port);
    wt_send_str(c, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\npart");
    long t0 = wt_now_ms();
    wt_response r;
    assert_int_equal(wt_read_response(c, &r, 5000, 0), 0);
    assert_int_equal(r.status, 408);
    long took = wt_now_ms() - t0;
    assert_true(took >= 400 && took < 3000);
    wt_response_free(&r);
    wt_close(c);
}

static void client_leaves_mid_upload(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        wt_conn *c = wt_connect(api.port);
        wt_send_str(c, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n");
        static char part[1 << 20];
        for (int k = 0; k < 4; k++)
            wt_send(c, part, sizeof part);
        wt_reset(c);
    }
    assert_true(wt_wait_log(&api, "\"POST /upload HTTP/1.1\" 499", 5000));
    wt_response r;
    assert_int_equal(wt_request(api.port, "GET /items/1 HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
    wt_response_free(&r);
}

static void over_http2(void **state)
{
    (void)state;
    char path[] = "/tmp/weft-upload-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static unsigned char buf[1 << 20];
    unsigned long crc = crc32(0, NULL, 0);
    for (uint64_t at = 0; at < (32u << 20); at += sizeof buf) {
        fill(buf, sizeof buf, at);
        crc = crc32(crc, buf, sizeof buf);
        assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
    }
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "curl -s --max-time 30 --http2-prior-knowledge -T %s -X POST "
             "-w ' %%{http_code} %%{http_version}' http://127.0.0.1:%d/upload",
             path, api.port);
    char out[256];
    int exit_status = wt_capture(cmd, out, sizeof out);
    unlink(path);
    assert_int_equal(exit_status, 0);
    char want[128];
    snprintf(want, sizeof want, "{\"bytes\":%u,\"crc32\":\"%08lx\"} 200 2", 32u << 20, crc);
    assert_string_equal(out, want);
}

static int setup(void **state)
{
    (void)state;
    static const char *const args[] = {"--loops", "1", "--h2c", "--body-timeout", "500", NULL};
    wt_start(&api, "weft-api", args);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return wt_stop(&api, 15, 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_gib_in_bounded_memory), cmocka_unit_test(chunked_then_keep_alive),
        cmocka_unit_test(expect_continue),           cmocka_unit_test(route_limit),
        cmocka_unit_test(stalled_body),              cmocka_unit_test(client_leaves_mid_upload),
        cmocka_unit_test(over_http2),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
