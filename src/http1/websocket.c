/* websocket.c - an HTTP/1.1 connection upgraded to a WebSocket
 * (weft/websocket.h), framed by libwslay's event API.
 *
 * After the 101 the connection speaks another protocol (ws_proto below):
 * bytes read go to wslay, which calls back with whole messages (kept in a
 * queue for the handler) and queues pongs and close replies itself;
 * whatever wslay sends goes into the connection's output buffer. The
 * request stays in flight, answered "streaming", until the handler
 * returns: the closing handshake is finished then, and the connection
 * ends as an HTTP/1.1 one that said Connection: close. The queue of
 * received messages is bounded: past it, reading stops until the handler
 * takes some, and the client is held back by TCP. Loop thread only. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <strings.h>
#include <wslay/wslay.h>

#include "../base/opts.h"
#include "http1.h"
#include "weft/websocket.h"

#define CLOSE_WAIT_MS 5000 /* our close sent, the client's awaited this long */

typedef struct ws_msg {
    struct ws_msg *next;
    weft_ws_type type;
    size_t len;
    char data[];
} ws_msg;

struct weft_ws {
    weft_conn *conn;
    wslay_event_context_ptr wslay;
    size_t max_message;
    ws_msg *head, *tail; /* received, not taken yet */
    size_t queued;        /* their bytes */
    ws_msg *given;        /* the one weft_ws_recv handed out last */
    weft_task *wait;      /* a weft_ws_recv waiting */
    const char *protocol;
    int peer_code;        /* the client's close code (1005: none given) */
    uint8_t peer_closed;  /* its close frame came */
    uint8_t lost;         /* the connection failed or closed under it */
    uint64_t close_sent_ms; /* when ours went, for CLOSE_WAIT_MS */
};

static void wake(weft_ws *ws)
{
    weft__wake_slot(&ws->wait);
}

/* ---- wslay's callbacks ---------------------------------------------------------- */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
    (void)flags;
    weft_ws *ws = ud;
    weft_conn *c = ws->conn;
    size_t have = c->rend - c->rstart;
    if (!have) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = have < len ? have : len;
    memcpy(buf, c->rbuf + c->rstart, n);
    c->rstart += n;
    return (ssize_t)n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *ud)
{
    (void)flags;
    weft_ws *ws = ud;
    if (weft_buf_append(&ws->conn->obuf, data, len)) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

/* The read queue holds this much before reading stops. */
static size_t queue_limit(const weft_ws *ws)
{
    return ws->max_message * 2 + 65536;
}

/* Checks wslay leaves to the application: a control frame is short and
 * never fragmented (RFC 6455 5.5). */
static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *f, void *ud)
{
    (void)ud;
    if ((f->opcode & 8) && (f->payload_length > 125 || !f->fin)) {
        static const char why[] = "malformed control frame";
        wslay_event_queue_close(ctx, 1002, (const uint8_t *)why, sizeof why - 1);
        wslay_event_shutdown_read(ctx);
    }
}

static void on_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *m,
                       void *ud)
{
    weft_ws *ws = ud;
    if (m->opcode == WSLAY_CONNECTION_CLOSE) {
        ws->peer_closed = 1;
        ws->peer_code = m->status_code ? m->status_code : 1005;
        wake(ws);
        return;
    }
    if (m->opcode != WSLAY_TEXT_FRAME && m->opcode != WSLAY_BINARY_FRAME)
        return; /* pongs */
    /* (Text that is not UTF-8 never gets here: wslay closes with 1007.) */
    ws_msg *q = malloc(sizeof *q + m->msg_length + 1);
    if (!q) {
        wslay_event_queue_close(ctx, 1011, NULL, 0);
        return;
    }
    q->next = NULL;
    q->type = m->opcode == WSLAY_TEXT_FRAME ? WEFT_WS_TEXT : WEFT_WS_BINARY;
    q->len = m->msg_length;
    if (m->msg_length) /* (an empty message has no buffer) */
        memcpy(q->data, m->msg, m->msg_length);
    q->data[m->msg_length] = '\0'; /* text can be used as a C string */
    if (ws->tail)
        ws->tail->next = q;
    else
        ws->head = q;
    ws->tail = q;
    ws->queued += q->len;
    if (ws->queued > queue_limit(ws))
        weft__conn_read_pause(ws->conn);
    wake(ws);
}

/* Writes what wslay has queued; once both close frames have passed and
 * everything is out, or the connection failed, the socket ends. */
static void pump(weft_ws *ws)
{
    weft_conn *c = ws->conn;
    if (c->state == CONN_CLOSED)
        return;
    if (!ws->lost && wslay_event_send(ws->wslay) < 0)
        ws->lost = 1;
    if (wslay_event_get_close_sent(ws->wslay) && !ws->close_sent_ms)
        ws->close_sent_ms = weft_loop_now(&c->sl->loop);
    weft__conn_flush(c);
    if (ws->lost || (wslay_event_get_close_sent(ws->wslay) && !wslay_event_get_read_enabled(ws->wslay)))
        wake(ws);
}

/* ---- the connection's protocol once upgraded ------------------------------------- */

static int ws_room(weft_conn *c)
{
    return weft__conn_rbuf_room(c, 0);
}

static void ws_read(weft_conn *c, size_t n)
{
    weft_ws *ws = c->ws;
    c->rend += n;
    if (!ws->lost && wslay_event_recv(ws->wslay) < 0) {
        /* A frame wslay could not parse (a control frame over 125 bytes,
         * a bad length): the connection fails with 1002 (RFC 6455 7.4.1),
         * written here since wslay stops at such an error. */
        static const char close_1002[] = "\x88\x02\x03\xea";
        if (!wslay_event_get_close_sent(ws->wslay))
            weft_buf_append(&c->obuf, close_1002, sizeof close_1002 - 1);
        ws->lost = 1;
        c->rstart = c->rend;
    }
    if (c->rstart == c->rend)
        c->rstart = c->rend = 0;
    pump(ws);
}

static void ws_eof(weft_conn *c)
{
    weft_ws *ws = c->ws;
    if (!ws->peer_closed)
        ws->lost = 1; /* it went without the closing handshake */
    wake(ws);
    if (!c->ctx.in_request)
        weft__conn_close(c);
}

static void ws_writable(weft_conn *c)
{
    if (c->ctx.drain_wait)
        weft__ctx_out_progress(&c->ctx);
    if (c->ws && wslay_event_want_write(c->ws->wslay))
        pump(c->ws);
}

static void ws_sweep(weft_conn *c, uint64_t now)
{
    weft_ws *ws = c->ws;
    if (ws->close_sent_ms && !ws->peer_closed && now - ws->close_sent_ms >= CLOSE_WAIT_MS) {
        ws->lost = 1; /* the client never answered our close */
        wake(ws);
        weft__conn_close(c);
    }
}

static void ws_drain(weft_conn *c)
{
    weft_ws *ws = c->ws;
    static const char why[] = "server shutting down";
    if (!wslay_event_get_close_sent(ws->wslay))
        wslay_event_queue_close(ws->wslay, 1001, (const uint8_t *)why, sizeof why - 1);
    pump(ws);
}

static void ws_closed(weft_conn *c, int was)
{
    weft_ws *ws = c->ws;
    ws->lost = 1;
    wake(ws);
    if (was == CONN_HANDLING && c->ctx.in_request)
        weft__request_abort(&c->ctx); /* cancels what the handler waits on */
}

static void free_queue(weft_ws *ws)
{
    while (ws->head) {
        ws_msg *q = ws->head;
        ws->head = q->next;
        free(q);
    }
    ws->tail = NULL;
    free(ws->given);
    ws->given = NULL;
}

static void ws_release(weft_conn *c)
{
    weft_ws *ws = c->ws;
    if (!ws)
        return;
    free_queue(ws);
    wslay_event_context_free(ws->wslay);
    free(ws);
    c->ws = NULL;
}

static const weft_conn_proto ws_proto = {
    .room = ws_room,
    .read = ws_read,
    .eof = ws_eof,
    .writable = ws_writable,
    .sweep = ws_sweep,
    .drain = ws_drain,
    .closed = ws_closed,
    .release = ws_release,
};

/* ---- the handshake ------------------------------------------------------------- */

/* Sec-WebSocket-Accept: base64(SHA-1(key + the RFC's GUID)). */
static void accept_key(weft_str key, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[SHA_DIGEST_LENGTH];
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    unsigned len = 0;
    if (h && EVP_DigestInit_ex(h, EVP_sha1(), NULL) && EVP_DigestUpdate(h, key.base, key.len) &&
        EVP_DigestUpdate(h, guid, sizeof guid - 1) && EVP_DigestFinal_ex(h, md, &len))
        EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
    else
        out[0] = '\0';
    EVP_MD_CTX_free(h);
}

/* A key is 16 bytes in base64: 24 characters ending "==". */
static int key_ok(weft_str k)
{
    if (k.len != 24 || k.base[22] != '=' || k.base[23] != '=')
        return 0;
    for (size_t i = 0; i < 22; i++) {
        char ch = k.base[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '+' || ch == '/'))
            return 0;
    }
    return 1;
}

static weft_ws *refuse(weft_ctx *c, int status, const char *why)
{
    if (status == 426) {
        weft_add_header(c, "Sec-WebSocket-Version", "13");
        weft_add_header(c, "Upgrade", "websocket");
    }
    weft_reply_error(c, status, why);
    return NULL;
}

static void ws_request_end(void *arg)
{
    weft_conn *c = arg;
    weft_ws *ws = c->ws;
    if (!ws || c->state == CONN_CLOSED)
        return;
    if (!wslay_event_get_close_sent(ws->wslay))
        wslay_event_queue_close(ws->wslay, ws->peer_closed ? (uint16_t)0 : 1000, NULL, 0);
    pump(ws);
}

weft_ws *weft_ws_accept_sized(weft_ctx *c, const weft_ws_opts *opts, size_t opts_size)
{
    weft_ws_opts own;
    opts = weft__opts_take(&own, sizeof own, opts, opts_size);
    if (c->resp != RESP_NONE)
        return NULL;
    if (c->on_worker) { /* the socket is the loop's: it cannot be handed to a pool thread */
        weft_reply_error(c, 500, "a WebSocket needs a WEFT_ASYNC handler");
        return NULL;
    }
    if (c->codec != &weft__h1_codec)
        return refuse(c, 426, "WebSockets go over HTTP/1.1 here");
    weft_str upgrade = weft_req_header(c, "Upgrade");
    weft_str key = weft_req_header(c, "Sec-WebSocket-Key");
    if (!weft_str_eq(c->req.method, WEFT_STRLIT("GET")) || c->req.minor != 1 ||
        !weft_http_list_has(upgrade, WEFT_STRLIT("websocket")) ||
        !weft_http_list_has(weft_req_header(c, "Connection"), WEFT_STRLIT("upgrade")))
        return refuse(c, 426, "this is a WebSocket endpoint");
    if (!weft_str_eq(weft_req_header(c, "Sec-WebSocket-Version"), WEFT_STRLIT("13")))
        return refuse(c, 426, "WebSocket version 13 only");
    if (!key_ok(key) || c->body.len)
        return refuse(c, 400, "malformed WebSocket handshake");

    weft_conn *conn = weft__h1_conn(c);
    weft_ws *ws = calloc(1, sizeof *ws);
    static const struct wslay_event_callbacks cb = {
        .recv_callback = on_recv,
        .send_callback = on_send,
        .on_frame_recv_start_callback = on_frame_start,
        .on_msg_recv_callback = on_message,
    };
    if (!ws || wslay_event_context_server_init(&ws->wslay, &cb, ws)) {
        free(ws);
        weft_reply_error(c, 503, "out of memory");
        return NULL;
    }
    ws->conn = conn;
    ws->max_message = opts && opts->max_message ? opts->max_message : 1u << 20;
    wslay_event_config_set_max_recv_msg_length(ws->wslay, ws->max_message);
    if (opts && opts->protocol &&
        weft_http_list_has(weft_req_header(c, "Sec-WebSocket-Protocol"), weft_str_cstr(opts->protocol)))
        ws->protocol = opts->protocol;
    if (!weft__ctx_claim(c) || weft_req_on_end(c, ws_request_end, conn)) {
        wslay_event_context_free(ws->wslay);
        free(ws);
        return NULL;
    }
    char accept[29];
    accept_key(key, accept);
    weft_buf *o = &conn->obuf;
    int rc = weft_buf_printf(o, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n", accept);
    if (!rc && ws->protocol)
        rc = weft_buf_printf(o, "Sec-WebSocket-Protocol: %s\r\n", ws->protocol);
    for (size_t i = 0; !rc && i < c->nresp_headers; i++) /* the middleware's */
        rc = weft_buf_printf(o, "%.*s: %.*s\r\n", (int)c->resp_headers[i].name.len,
                             c->resp_headers[i].name.base, (int)c->resp_headers[i].value.len,
                             c->resp_headers[i].value.base);
    if (!rc)
        rc = weft_buf_append(o, "\r\n", 2);
    /* The request stays in flight as long as the socket is a WebSocket:
     * no deadline, and the answer "streaming" until the handler returns. */
    weft_timer_stop(&c->sl->loop, &c->deadline);
    c->scope.cancel.deadline = -1;
    c->status = 101;
    c->resp = RESP_STREAMING;
    c->close_after = 1;
    weft__count_answer(c, 101);
    /* The request's slices point into the read buffer, which frames
     * overwrite from now on: they move to the arena (the access log reads
     * them at the end). */
    const char *old = conn->rbuf + conn->rstart;
    char *copy = weft_arena_alloc(&c->scope.arena, conn->head_len);
    if (copy) {
        memcpy(copy, old, conn->head_len);
        weft_http_rebase(&c->req, old, conn->head_len, copy);
        for (int i = 0; i < c->match.nparams; i++)
            c->match.values[i] = weft_str_rebase(c->match.values[i], old, conn->head_len, copy);
    } else {
        rc = WEFT_ENOMEM;
    }
    conn->ws = ws;
    conn->proto = &ws_proto;
    /* What the client sent after its handshake is already frames. */
    conn->rstart += conn->head_len;
    conn->head_len = conn->body_len = 0;
    weft__conn_flush(conn);
    if (rc)
        ws->lost = 1;
    else if (conn->rend > conn->rstart)
        ws_read(conn, 0);
    return ws;
}

/* ---- the handler's side --------------------------------------------------------- */

int weft_ws_recv(weft_ws *ws, weft_ws_type *type, weft_str *msg)
{
    *msg = WEFT_STR_NULL;
    free(ws->given);
    ws->given = NULL;
    for (;;) {
        ws_msg *q = ws->head;
        if (q) {
            ws->head = q->next;
            if (!ws->head)
                ws->tail = NULL;
            ws->queued -= q->len;
            if (ws->queued <= queue_limit(ws) / 2)
                weft__conn_read_resume(ws->conn);
            ws->given = q;
            *type = q->type;
            *msg = weft_str_make(q->data, q->len);
            return 1;
        }
        if (ws->peer_closed || (wslay_event_get_close_sent(ws->wslay) &&
                                !wslay_event_get_read_enabled(ws->wslay)))
            return 0;
        if (ws->lost)
            return WEFT_ECONNRESET;
        int rc = weft__wait_in(&ws->wait);
        if (rc)
            return rc;
    }
}

static int queue(weft_ws *ws, uint8_t opcode, const void *data, size_t len)
{
    if (ws->lost || wslay_event_get_close_sent(ws->wslay))
        return WEFT_ESTATE;
    struct wslay_event_msg m = {opcode, data, len};
    int r = wslay_event_queue_msg(ws->wslay, &m);
    if (r == WSLAY_ERR_NOMEM)
        return WEFT_ENOMEM;
    if (r)
        return r == WSLAY_ERR_NO_MORE_MSG ? WEFT_ESTATE : WEFT_EINVAL;
    pump(ws);
    return 0;
}

int weft_ws_send(weft_ws *ws, weft_ws_type type, const void *data, size_t len)
{
    if (type == WEFT_WS_TEXT && !weft_utf8_valid(data, len))
        return WEFT_EINVAL;
    return queue(ws, type == WEFT_WS_TEXT ? WSLAY_TEXT_FRAME : WSLAY_BINARY_FRAME, data, len);
}

int weft_ws_send_str(weft_ws *ws, const char *text)
{
    return weft_ws_send(ws, WEFT_WS_TEXT, text, strlen(text));
}

int weft_ws_ping(weft_ws *ws, const void *data, size_t len)
{
    return len > 125 ? WEFT_EINVAL : queue(ws, WSLAY_PING, data, len);
}

int weft_ws_close(weft_ws *ws, int code, const char *reason)
{
    size_t n = reason ? strlen(reason) : 0;
    if (code < 1000 || code > 4999 || n > 123 || (reason && !weft_utf8_valid(reason, n)))
        return WEFT_EINVAL;
    if (ws->lost || wslay_event_get_close_sent(ws->wslay))
        return WEFT_ESTATE;
    int r = wslay_event_queue_close(ws->wslay, (uint16_t)code, (const uint8_t *)reason, n);
    if (r)
        return r == WSLAY_ERR_NOMEM ? WEFT_ENOMEM : WEFT_ESTATE;
    pump(ws);
    return 0;
}

int weft_ws_close_code(const weft_ws *ws)
{
    return ws->peer_closed ? ws->peer_code : 0;
}

const char *weft_ws_protocol(const weft_ws *ws)
{
    return ws->protocol;
}
