/* http2.h - HTTP/2: the server's codec (server.c: sessions, streams and
 * their answers; fields.c: HPACK fields to and from the protocol-neutral
 * request and response), the client engine (client.c), and what both
 * share of libnghttp2 (frames.c). */
#ifndef WEFT_SRC_HTTP2_H
#define WEFT_SRC_HTTP2_H

#include "fields.h"

/* 1: p starts with the whole preface; 0: with part of it; -1: not at all. */
int weft__h2_is_preface(const char *p, size_t len);
/* The connection's read buffer starts with the preface: speak HTTP/2. */
int weft__h2_start(weft_conn *c);

#endif
