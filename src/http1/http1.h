/* http1.h - HTTP/1.1: the server's codec (server.c frames requests from a
 * connection's read buffer; write.c writes answers as text) and the
 * client engine (client.c). Message syntax itself - the parser, chunked
 * bodies - is src/http's. */
#ifndef WEFT_SRC_HTTP1_H
#define WEFT_SRC_HTTP1_H

#include "../server/server.h"

extern const weft_codec weft__h1_codec;
/* The connection an HTTP/1.1 request context is embedded in. */
static inline weft_conn *weft__h1_conn(const weft_ctx *x)
{
    return (weft_conn *)((char *)x - offsetof(weft_conn, ctx));
}
extern const weft_conn_proto weft__h1_proto;
/* Parses and dispatches what the connection's read buffer holds. */
void weft__h1_process(weft_conn *c);
/* Answers status in place of the request being read, then closes. */
void weft__h1_reject(weft_conn *c, int status, const char *why);
/* Writes r's status line and header fields to out. chunked: the body
 * follows as chunks (Transfer-Encoding); keep_alive false: Connection:
 * close. 0 or WEFT_ENOMEM. Reserves room for extra_reserve bytes more. */
int weft__h1_write_head(weft_buf *out, const weft_response *r, int minor, int keep_alive,
                        int chunked, size_t extra_reserve);

#endif
