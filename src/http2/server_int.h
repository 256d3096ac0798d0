/* server_int.h - what the HTTP/2 server's two halves share: the session
 * on a connection (session.c) and the streams it carries, each a request
 * with its answer (server.c). */
#ifndef WEFT_SRC_HTTP2_SERVER_INT_H
#define WEFT_SRC_HTTP2_SERVER_INT_H

#include "http2.h"

struct weft_h2 {
    weft_conn *conn;      /* the socket's connection */
    nghttp2_session *ng;
    weft_flush flush;     /* frames to write before the next poll */
    weft_h2_stream *streams; /* open on the wire */
    size_t nstreams;
    int dead;             /* the socket is closing: no more frames */
    int goaway;           /* draining: GOAWAY sent, no new streams */
    /* A response head's fields until nghttp2 has copied them: not the
     * request's arena, which a worker may be using when the loop answers
     * a deadline for it. */
    weft_arena scratch;
};

/* Where a field's bytes are in a stream's field buffer (which may move
 * while fields arrive). */
typedef struct field_at {
    size_t name, name_len, value, value_len;
} field_at;

struct weft_h2_stream {
    weft_ctx ctx;         /* the request, once whole */
    weft_h2 *h2;          /* NULL once the stream is closed on the wire */
    int32_t id;
    weft_h2_stream *prev, *next; /* in h2->streams */
    weft_h2_stream *pool_next;
    int refs;             /* open on the wire, its request running, each handler hold */
    /* the request, as it arrives */
    weft_buf fields;      /* every field's name and value bytes */
    field_at *at;
    size_t nat, at_cap;
    weft_buf body;
    char clen[24];        /* the content-length field's digits */
    uint8_t too_big;      /* 413: the body passed --max-body */
    uint8_t head_too_big; /* 431: the fields passed the head limits */
    uint8_t begun;        /* the request went to the request path */
    uint8_t ended;        /* ... and is over */
    /* a body the handler reads as it arrives (weft_body_read): DATA
     * collects in `body` and is consumed (flow control) as it is taken */
    uint8_t streamed;
    uint8_t body_done;    /* END_STREAM came */
    int body_err;         /* WEFT_ETOOBIG past body_max, or 0 */
    size_t piece;         /* bytes handed out last, taken back at the next read */
    uint64_t body_seen, body_max;
    /* the answer */
    weft_buf out;         /* DATA bytes not framed yet */
    size_t out_off;
    uint8_t submitted;    /* HEADERS handed to nghttp2 */
    uint8_t deferred;     /* the data source waits for more bytes */
    uint8_t eof;          /* the answer is complete */
};

/* Writes the session's frames before the loop next polls. */
void weft__h2_schedule(weft_h2 *h2);
/* The stream ended on the wire (closed, reset, or its socket went). */
void weft__h2_stream_closed(weft_h2_stream *st, const char *how);
/* Sets the stream callbacks of a server session. */
void weft__h2_stream_callbacks(nghttp2_session_callbacks *cb);

#endif
