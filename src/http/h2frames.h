/* h2frames.h - what weft's HTTP/2 server (src/server/h2.c) and client
 * (src/client/h2.c) share about moving libnghttp2's frames to a socket. */
#ifndef WEFT_SRC_H2FRAMES_H
#define WEFT_SRC_H2FRAMES_H

#include <nghttp2/nghttp2.h>

#include "weft/base.h"

/* Appends the frames the session has ready to out, and stops early once
 * out holds more than high_water bytes while a write is still in flight
 * (the rest waits in the session until the socket drains). 0, or
 * WEFT_EPROTO / WEFT_ENOMEM with *why saying what went wrong. */
int weft__h2_take_frames(nghttp2_session *ng, weft_buf *out, int writing, size_t high_water,
                         const char **why);

#endif
