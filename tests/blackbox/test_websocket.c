/* test_websocket.c - WebSockets (weft/websocket.h) against weft-hello's
 * GET /ws-echo and weft-chat's room, with a client written here (masking,
 * framing, and the mistakes a real client never makes): the handshake and
 * its refusals, echo of text and binary, fragmentation with a ping in the
 * middle, control frames, invalid UTF-8 (whole and split across
 * fragments), oversize messages, protocol errors (unmasked frames,
 * reserved bits, unknown opcodes, long or fragmented pings), the closing
 * handshake both ways, the drain on shutdown, and the chat's broadcast
 * across loops. Autobahn-style: each case the close code it must end in. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt.h"

#define srv wt_hello

/* ---- a small client ------------------------------------------------------------ */

/* Opens path with the RFC's sample key; returns the connection after the
 * 101, with its head in *head. */
static wt_conn *ws_open(int port, const char *path, const char *extra, wt_response *head)
{
    wt_conn *c = wt_connect(port);
    char req[512];
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
             path, extra ? extra : "");
    wt_send_str(c, req);
    assert_int_equal(wt_read_response(c, head, 5000, 1), 0);
    return c;
}

static void send_frame(wt_conn *c, int fin, int rsv, int opcode, const void *data, size_t len,
                       int masked)
{
    unsigned char h[14];
    size_t n = 0;
    h[n++] = (unsigned char)((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    unsigned char m = masked ? 0x80 : 0;
    if (len < 126) {
        h[n++] = (unsigned char)(m | len);
    } else if (len < 65536) {
        h[n++] = m | 126;
        h[n++] = (unsigned char)(len >> 8);
        h[n++] = (unsigned char)len;
    } else {
        h[n++] = m | 127;
        for (int i = 7; i >= 0; i--)
            h[n++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    if (masked)
        for (int i = 0; i < 4; i++)
            h[n++] = key[i];
    wt_send(c, (const char *)h, n);
    unsigned char *p = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        p[i] = ((const unsigned char *)data)[i] ^ (masked ? key[i % 4] : 0);
    wt_send(c, (const char *)p, len);
    free(p);
}

static void send_msg(wt_conn *c, int opcode, const void *data, size_t len)
{
    send_frame(c, 1, 0, opcode, data, len, 1);
}

typedef struct frame {
    int fin, opcode;
    size_t len;
    unsigned char *data;
} frame;

/* Reads one frame from the server (never masked); 0, or -1 on a time-out
 * or the end of the connection. */
static int read_frame(wt_conn *c, frame *f, int timeout_ms)
{
    long until = wt_now_ms() + timeout_ms;
    while (c->len < 2) {
        int r = wt_wait_closed(c, (int)(until - wt_now_ms()));
        if (r != 0 && c->len < 2)
            return -1;
    }
    unsigned char *b = (unsigned char *)c->buf;
    f->fin = b[0] >> 7;
    f->opcode = b[0] & 15;
    assert_int_equal(b[1] & 0x80, 0); /* a server never masks */
    size_t len = b[1] & 127, hl = 2;
    if (len == 126) {
        hl = 4;
        while (c->len < hl)
            if (wt_wait_closed(c, (int)(until - wt_now_ms())) != 0 && c->len < hl)
                return -1;
        len = (size_t)b[2] << 8 | b[3];
    } else if (len == 127) {
        hl = 10;
        while (c->len < hl)
            if (wt_wait_closed(c, (int)(until - wt_now_ms())) != 0 && c->len < hl)
                return -1;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | b[2 + i];
    }
    while (c->len < hl + len)
        if (wt_wait_closed(c, (int)(until - wt_now_ms())) != 0 && c->len < hl + len)
            return -1;
    f->len = len;
    f->data = malloc(len + 1);
    memcpy(f->data, c->buf + hl, len);
    f->data[len] = 0;
    memmove(c->buf, c->buf + hl + len, c->len - hl - len);
    c->len -= hl + len;
    return 0;
}

/* The next frame must be a close with this code; then the server ends
 * the connection once ours answers. */
static void expect_close(wt_conn *c, int code)
{
    frame f;
    assert_int_equal(read_frame(c, &f, 5000), 0);
    while (f.opcode == 0xA || f.opcode == 0x1 || f.opcode == 0x2) { /* pongs, echoes before it */
        free(f.data);
        assert_int_equal(read_frame(c, &f, 5000), 0);
    }
    if (f.opcode != 8 || f.len < 2 || (f.data[0] << 8 | f.data[1]) != code)
        fail_msg("expected close %d, got opcode %d len %zu code %d", code, f.opcode, f.len,
                 f.len >= 2 ? f.data[0] << 8 | f.data[1] : -1);
    free(f.data);
    unsigned char reply[2] = {(unsigned char)(code >> 8), (unsigned char)code};
    send_msg(c, 8, reply, 2);
    c->len = 0;
    assert_int_equal(wt_wait_closed(c, 5000), 1);
    wt_close(c);
}

static wt_conn *echo_open(void)
{
    wt_response h;
    wt_conn *c = ws_open(srv.port, "/ws-echo", NULL, &h);
    assert_int_equal(h.status, 101);
    wt_response_free(&h);
    return c;
}

/* ---- cases --------------------------------------------------------------------- */

static void handshake(void **state)
{
    (void)state;
    wt_response h;
    wt_conn *c = ws_open(srv.port, "/ws-echo", "Sec-WebSocket-Protocol: chat, echo\r\n", &h);
    assert_int_equal(h.status, 101);
    char v[128];
    /* RFC 6455's own example: this key gives this accept value */
    assert_string_equal(wt_header(&h, "Sec-WebSocket-Accept", v, sizeof v),
                        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_string_equal(wt_header(&h, "Upgrade", v, sizeof v), "websocket");
    assert_string_equal(wt_header(&h, "Sec-WebSocket-Protocol", v, sizeof v), "echo");
    wt_response_free(&h);
    send_msg(c, 1, "hi", 2);
    frame f;
    assert_int_equal(read_frame(c, &f, 5000), 0);
    assert_int_equal(f.opcode, 1);
    assert_string_equal((char *)f.data, "hi");
    free(f.data);
    send_msg(c, 8, "\x03\xe8" "bye", 5);
    expect_close(c, 1000);
    assert_true(wt_wait_log(&srv, "\"GET /ws-echo HTTP/1.1\" 101", 3000));
}

static void refused_handshakes(void **state)
{
    (void)state;
    wt_response r;
    /* a plain GET of a WebSocket route */
    assert_int_equal(wt_request(srv.port, "GET /ws-echo HTTP/1.1\r\nHost: t\r\n\r\n", &r), 426);
    wt_response_free(&r);
    /* another version */
    assert_int_equal(wt_request(srv.port,
                                "GET /ws-echo HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 8\r\n\r\n",
                                &r),
                     426);
    char v[16];
    assert_string_equal(wt_header(&r, "Sec-WebSocket-Version", v, sizeof v), "13");
    wt_response_free(&r);
    /* a key that is not 16 bytes of base64 */
    assert_int_equal(wt_request(srv.port,
                                "GET /ws-echo HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Key: short\r\n"
                                "Sec-WebSocket-Version: 13\r\n\r\n",
                                &r),
                     400);
    wt_response_free(&r);
    /* over HTTP/2 (curl, h2c): 426, use HTTP/1.1 */
    wt_server h2;
    static const char *const args[] = {"--loops", "1", "--h2c", NULL};
    wt_start(&h2, "weft-hello", args);
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "curl -s -o /dev/null --max-time 5 --http2-prior-knowledge -w '%%{http_code}' "
             "http://127.0.0.1:%d/ws-echo",
             h2.port);
    char out[16];
    assert_int_equal(wt_capture(cmd, out, sizeof out), 0);
    assert_string_equal(out, "426");
    assert_int_equal(wt_stop(&h2, 15, 5000), 0);
}

static void echo_text_and_binary(void **state)
{
    (void)state;
    wt_conn *c = echo_open();
    static unsigned char big[60000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7);
    send_msg(c, 2, big, sizeof big);
    send_msg(c, 1, "h\xc3\xa9llo", 6);
    send_msg(c, 1, "", 0);
    frame f;
    assert_int_equal(read_frame(c, &f, 5000), 0);
    assert_int_equal(f.opcode, 2);
    assert_int_equal(f.len, sizeof big);
    assert_memory_equal(f.data, big, sizeof big);
    free(f.data);
    assert_int_equal(read_frame(c, &f, 5000), 0);
    assert_int_equal(f.opcode, 1);
    assert_string_equal((char *)f.data, "h\xc3\xa9llo");
    free(f.data);
    assert_int_equal(read_frame(c, &f, 5000), 0);
    assert_int_equal(f.len, 0);
    free(f.data);
    send_msg(c, 8, "\x03\xe8", 2);
    expect_close(c, 1000);
}

/* A text message in three fragments with a ping between them: the pong
 * comes at once, the message whole after the last fragment. */
static void fragments_and_control_frames(void **state)
{
    (void)state;
    wt_conn *c = echo_open();
    send_frame(c, 0, 0, 1, "frag", 4, 1);
    send_frame(c, 1, 0, 9, "are you there", 13, 1); /* ping in the middle */
    send_frame(c, 0, 0, 0, "ment", 4, 1);
    send_frame(c, 1, 0, 0, "ed", 2, 1);
    frame f;
    assert_int_equal(read_frame(c, &f, 5000), 0);
    assert_int_equal(f.opcode, 0xA);
    assert_string_equal((char *)f.data, "are you there");
    free(f.data);
    assert_int_equal(read_frame(c, &f, 5000), 0);
    assert_int_equal(f.opcode, 1);
    assert_string_equal((char *)f.data, "fragmented");
    free(f.data);
    /* an unsolicited pong is ignored */
    send_msg(c, 0xA, "x", 1);
    send_msg(c, 1, "after", 5);
    assert_int_equal(read_frame(c, &f, 5000), 0);
    assert_string_equal((char *)f.data, "after");
    free(f.data);
    send_msg(c, 8, "\x03\xe8", 2);
    expect_close(c, 1000);
}

static void invalid_utf8(void **state)
{
    (void)state;
    wt_conn *c = echo_open();
    send_msg(c, 1, "bad \xc3\x28 text", 11);
    expect_close(c, 1007);
    /* split: each fragment alone is no whole character, together invalid */
    c = echo_open();
    send_frame(c, 0, 0, 1, "ok \xe2\x82", 5, 1);
    send_frame(c, 1, 0, 0, "\x28", 1, 1);
    expect_close(c, 1007);
    /* a surrogate encoded as UTF-8 (CESU) */
    c = echo_open();
    send_msg(c, 1, "\xed\xa0\x80", 3);
    expect_close(c, 1007);
}

static void oversize_message(void **state)
{
    (void)state;
    wt_conn *c = echo_open();
    static char big[70000];
    memset(big, 'a', sizeof big);
    send_msg(c, 1, big, sizeof big);
    expect_close(c, 1009);
    /* ... also when it only grows too big fragment by fragment */
    c = echo_open();
    for (int i = 0; i < 3; i++)
        send_frame(c, 0, 0, i ? 0 : 1, big, 30000, 1);
    expect_close(c, 1009);
}

static void protocol_errors(void **state)
{
    (void)state;
    static const struct {
        int fin, rsv, opcode, masked;
        size_t len;
        const char *what;
    } bad[] = {
        {1, 0, 1, 0, 5, "an unmasked frame"},
        {1, 4, 1, 1, 5, "a reserved bit"},
        {1, 0, 3, 1, 5, "an unknown data opcode"},
        {1, 0, 11, 1, 5, "an unknown control opcode"},
        {1, 0, 9, 1, 126, "a ping over 125 bytes"},
        {0, 0, 9, 1, 5, "a fragmented ping"},
        {1, 0, 0, 1, 5, "a continuation with nothing to continue"},
    };
    static char payload[200];
    memset(payload, 'p', sizeof payload);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wt_conn *c = echo_open();
        send_frame(c, bad[i].fin, bad[i].rsv, bad[i].opcode, payload, bad[i].len, bad[i].masked);
        frame f;
        if (read_frame(c, &f, 5000) != 0 || f.opcode != 8 || f.len < 2 ||
            (f.data[0] << 8 | f.data[1]) != 1002)
            fail_msg("%s: no close 1002", bad[i].what);
        free(f.data);
        c->len = 0;
        int end = wt_wait_closed(c, 5000); /* the server ends it (a protocol error: no wait) */
        if (end != 1 && end != -2)
            fail_msg("%s: the connection stayed open", bad[i].what);
        wt_close(c);
    }
    /* and a new text message inside a fragmented one */
    wt_conn *c = echo_open();
    send_frame(c, 0, 0, 1, "one", 3, 1);
    send_frame(c, 1, 0, 1, "two", 3, 1);
    frame f;
    assert_int_equal(read_frame(c, &f, 5000), 0);
    assert_int_equal(f.opcode, 8);
    assert_int_equal(f.data[0] << 8 | f.data[1], 1002);
    free(f.data);
    wt_close(c);
    wt_response r; /* the server serves on */
    assert_int_equal(wt_request(srv.port, "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
    wt_response_free(&r);
}

/* A client that vanishes mid-conversation: the handler's wait ends, the
 * server logs the request and serves on. */
static void client_vanishes(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        wt_conn *c = echo_open();
        send_msg(c, 1, "x", 1);
        wt_reset(c);
    }
    assert_true(wt_wait_log(&srv, "\"GET /ws-echo HTTP/1.1\" 101", 3000));
    long t0 = wt_now_ms();
    while (wt_stat(srv.port, "requests_inflight") > 1 && wt_now_ms() - t0 < 3000)
        usleep(20 * 1000);
    assert_true(wt_stat(srv.port, "requests_inflight") <= 1); /* only the /stats asking */
}

/* Shutdown: an open WebSocket gets close 1001, and the server exits as
 * soon as the client answers. */
static void drained_on_shutdown(void **state)
{
    (void)state;
    wt_server own;
    static const char *const args[] = {"--loops", "1", NULL};
    wt_start(&own, "weft-hello", args);
    wt_response h;
    wt_conn *c = ws_open(own.port, "/ws-echo", NULL, &h);
    assert_int_equal(h.status, 101);
    wt_response_free(&h);
    kill(own.pid, SIGTERM);
    long t0 = wt_now_ms();
    expect_close(c, 1001);
    assert_int_equal(wt_stop(&own, 0, 5000), 0); /* (0: no second signal, just the wait) */
    assert_true(wt_now_ms() - t0 < 3000);
}

/* The chat: sockets on two loops, a message from one reaches all. */
static void chat_broadcast(void **state)
{
    (void)state;
    wt_server chat;
    static const char *const args[] = {"--loops", "2", NULL};
    wt_start(&chat, "weft-chat", args);
    wt_conn *c[6];
    for (int i = 0; i < 6; i++) {
        wt_response h;
        c[i] = ws_open(chat.port, "/ws", NULL, &h);
        assert_int_equal(h.status, 101);
        wt_response_free(&h);
        frame f;
        assert_int_equal(read_frame(c[i], &f, 5000), 0); /* the history */
        assert_int_equal(f.data[0], '[');
        free(f.data);
    }
    static const char said[] = "{\"name\":\"ann\",\"text\":\"hello, room\"}";
    send_msg(c[2], 1, said, sizeof said - 1);
    for (int i = 0; i < 6; i++) {
        frame f;
        assert_int_equal(read_frame(c[i], &f, 5000), 0);
        assert_non_null(strstr((char *)f.data, "\"text\":\"hello, room\""));
        free(f.data);
    }
    /* a POST to the room reaches the sockets too */
    wt_response r;
    assert_int_equal(wt_request(chat.port,
                                "POST /api/messages HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                "Content-Length: 33\r\n\r\n{\"name\":\"bob\",\"text\":\"from http\"}",
                                &r),
                     201);
    wt_response_free(&r);
    for (int i = 0; i < 6; i++) {
        frame f;
        assert_int_equal(read_frame(c[i], &f, 5000), 0);
        assert_non_null(strstr((char *)f.data, "from http"));
        free(f.data);
        send_msg(c[i], 8, "\x03\xe8", 2);
        expect_close(c[i], 1000);
    }
    assert_int_equal(wt_request(chat.port, "GET /api/messages HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
    assert_non_null(strstr(r.body, "hello, room"));
    wt_response_free(&r);
    assert_int_equal(wt_stop(&chat, 15, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handshake),
        cmocka_unit_test(refused_handshakes),
        cmocka_unit_test(echo_text_and_binary),
        cmocka_unit_test(fragments_and_control_frames),
        cmocka_unit_test(invalid_utf8),
        cmocka_unit_test(oversize_message),
        cmocka_unit_test(protocol_errors),
        cmocka_unit_test(client_vanishes),
        cmocka_unit_test(drained_on_shutdown),
        cmocka_unit_test(chat_broadcast),
    };
    return cmocka_run_group_tests(tests, wt_hello_setup, wt_hello_teardown);
}
