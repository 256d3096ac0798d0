/** @file weft/websocket.h
 * @brief WebSockets (RFC 6455) over HTTP/1.1 Upgrade, framed
 * by Debian's libwslay.
 *
 * A WEFT_ASYNC handler of a GET route accepts the handshake and then
 * awaits messages and sends them, holding no thread while it waits:
 *
 *     static void echo(weft_ctx *c)
 *     {
 *         weft_ws *ws = weft_ws_accept(c, NULL);
 *         if (!ws)
 *             return;                  // not a handshake: answered 400/426
 *         weft_ws_type type;
 *         weft_str msg;
 *         while (weft_ws_recv(ws, &type, &msg) == 1)
 *             weft_ws_send(ws, type, msg.base, msg.len);
 *     }                                // returning closes it (1000)
 *
 * The connection is a request in flight the whole time: counted, shown
 * on /metrics, and drained on shutdown - the server sends close 1001 and
 * the handler's weft_ws_recv returns 0 once the client answers. Pings are
 * answered by themselves; fragmented messages arrive whole; a text
 * message that is not UTF-8 closes with 1007, one past max_message with
 * 1009, a protocol error with 1002. Everything here runs on the
 * connection's loop, from its own handler: a handler serving another
 * connection (on any loop) hands messages over with weft_loop_post. No
 * request timeout applies once accepted. HTTP/2 (RFC 8441) is not
 * offered: browsers then open an HTTP/1.1 connection for it. */
#ifndef WEFT_WEBSOCKET_H
#define WEFT_WEBSOCKET_H

#include "weft/server.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An accepted WebSocket, alive until its handler returns (opaque). */
typedef struct weft_ws weft_ws;

/** A message's kind. */
typedef enum weft_ws_type {
    WEFT_WS_TEXT = 1,   /**< text: UTF-8, checked */
    WEFT_WS_BINARY = 2, /**< binary: any bytes */
} weft_ws_type;

/** How a handshake is accepted (all optional: zero is the default). */
typedef struct weft_ws_opts {
    size_t max_message; /**< a larger message closes with 1009 (0: 1 MiB) */
    const char *protocol; /**< the subprotocol to agree to if the client offers it (NULL: none) */
} weft_ws_opts;

/** weft_ws_accept() as a function, with the size of weft_ws_opts as the caller was
 * compiled (see "The ABI" in docs/design.md); call weft_ws_accept(). */
WEFT_EXTERN weft_ws *weft_ws_accept_sized(weft_ctx *c, const weft_ws_opts *opts, size_t opts_size);
/** Completes the handshake (101 Switching Protocols), from a WEFT_ASYNC
 * handler. NULL when the request is not a WebSocket handshake - answered
 * 400, or 426 naming version 13 - when it came over HTTP/2 (426: use
 * HTTP/1.1), or from a WEFT_SYNC handler (500). The weft_ws lives until
 * the handler returns. */
#define weft_ws_accept(...) weft_ws_accept_sized(__VA_ARGS__, sizeof(weft_ws_opts))
/** Awaits the next message: 1 with *type and *msg (valid until the next
 * call), 0 once the closing handshake is done (weft_ws_close_code says the
 * client's code), or WEFT_E* when the connection was lost or the request
 * canceled (shutdown's grace over). */
WEFT_EXTERN int weft_ws_recv(weft_ws *ws, weft_ws_type *type, weft_str *msg);
/** Queues a message (copied) and starts sending it. 0, WEFT_EINVAL (text
 * that is not UTF-8), WEFT_ESTATE after the close, WEFT_ENOMEM. A sender
 * outrunning its client awaits weft_stream_drained(c) between messages. */
WEFT_EXTERN int weft_ws_send(weft_ws *ws, weft_ws_type type, const void *data, size_t len);
/** weft_ws_send of a NUL-terminated text message. */
WEFT_EXTERN int weft_ws_send_str(weft_ws *ws, const char *text);
/** A ping with up to 125 bytes; the pong is consumed here. */
WEFT_EXTERN int weft_ws_ping(weft_ws *ws, const void *data, size_t len);
/** Starts the closing handshake with code (1000: normal) and a reason of up
 * to 123 bytes; weft_ws_recv then returns 0 once the client answers. */
WEFT_EXTERN int weft_ws_close(weft_ws *ws, int code, const char *reason);
/** The code of the client's close frame (1005: it gave none), 0 before. */
WEFT_EXTERN int weft_ws_close_code(const weft_ws *ws);
/** The subprotocol agreed on, or NULL. */
WEFT_EXTERN const char *weft_ws_protocol(const weft_ws *ws);

#ifdef __cplusplus
}
#endif
#endif
