/* frames.h - what weft's HTTP/2 server (session.c, server.c) and client
 * (client.c, client_session.c) share: how a libnghttp2 session is made, and moving
 * its frames to a socket. */
#ifndef WEFT_SRC_H2FRAMES_H
#define WEFT_SRC_H2FRAMES_H

#include <nghttp2/nghttp2.h>

#include "weft/base.h"

/* A server (server != 0) or client session with callbacks cb and user
 * data ud. Closed streams are forgotten at once: nghttp2 keeps them only
 * to weigh RFC 7540 priorities, which weft does not use (both sides send
 * SETTINGS_NO_RFC7540_PRIORITIES). The caller still owns cb. 0, or an
 * nghttp2 error code. */
int weft__h2_session_new(nghttp2_session **ng, int server, const nghttp2_session_callbacks *cb,
                         void *ud);

/* Appends the frames the session has ready to out, and stops early once
 * out holds more than high_water bytes while a write is still in flight
 * (the rest waits in the session until the socket drains). 0, or
 * WEFT_EPROTO / WEFT_ENOMEM with *why saying what went wrong. */
int weft__h2_take_frames(nghttp2_session *ng, weft_buf *out, int writing, size_t high_water,
                         const char **why);

#endif
