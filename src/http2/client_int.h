/* client_int.h - what the HTTP/2 client's two halves share: the calls
 * (client.c) and the sessions that carry them (client_session.c). */
#ifndef WEFT_SRC_HTTP2_CLIENT_INT_H
#define WEFT_SRC_HTTP2_CLIENT_INT_H

#include <nghttp2/nghttp2.h>

#include "../client/core.h"
#include "../loop/transport.h"

#define READ_BUF (64u * 1024u)
#define MAX_FIELDS 100
#define MAX_REQ_FIELDS 64
/* Streams assumed allowed on a new session until the server's SETTINGS
 * say (RFC 9113 6.5.2 recommends at least 100). */
#define ASSUMED_STREAMS 100
/* Unsent frames beyond which no more are pulled until the socket drains. */
#define OUT_HIGH_WATER (512u * 1024u)

typedef struct h2sess h2sess;
typedef struct h2call h2call;

typedef struct h2ep {
    own_endpoint base;    /* first: where, the Host value, waiting calls, figures */
    h2sess *sessions;
    h2sess *cur;          /* the session new streams go to while it has room */
    long nsessions;
    char open_failure[96]; /* why the last session could not be opened */
} h2ep;

struct h2sess {
    weft_tcp tcp;
    weft_transport *tr;   /* &tcp.t, or TLS over it (https://, ALPN h2) */
    h2ep *ep;
    client_loop *cl;
    h2sess *next;
    nghttp2_session *ng;
    weft_flush flush;
    weft_buf out, wbuf;   /* frames collecting / being written */
    char *rbuf;
    h2call *calls;        /* calls with a stream here */
    long streams;
    long max_streams;     /* the server's SETTINGS_MAX_CONCURRENT_STREAMS */
    int connected, closing, goaway, failed_open;
    uint8_t writing;      /* a write of wbuf is pending */
    int spoke_h2;         /* the server's SETTINGS arrived */
};

struct h2call {
    call_base base; /* first: a queued base is the call */
    h2ep *ep;
    h2sess *sess;
    h2call *prev, *next;  /* in sess->calls */
    int32_t id;
    int retried, head_request;
    /* the request: name/value pairs as NUL-separated text, and the body */
    weft_buf req;
    size_t nfields;
    const char *body;     /* in req, after the fields */
    size_t body_len, body_off;
    /* the answer */
    int status;
    weft_buf hdrs;        /* name \0 value \0 ... */
    size_t nhdrs;
    weft_buf resp;
};


/* client.c: the calls */
void weft__h2c_call_fail(h2call *k, int err, const char *detail);
/* A call whose stream never reached a handler waits for another session. */
void weft__h2c_requeue(h2call *k);
/* Takes a call off its endpoint's wait queue. */
void weft__h2c_unwait(h2call *k);
/* The data source of a call's request body. */
ssize_t weft__h2c_read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
                            uint32_t *flags, nghttp2_data_source *src, void *ud);
/* Sets the call callbacks of a client session. */
void weft__h2c_callbacks(nghttp2_session_callbacks *cb);

/* client_session.c: the sessions */
/* Gives waiting calls a stream: on a session with room, or a new one. */
void weft__h2c_pump(h2ep *ep);
/* Ends the session: its calls fail with err (or, never sent, wait). */
void weft__h2c_sess_close(h2sess *s, int err, const char *why);
/* Writes the session's frames before the loop next polls. */
void weft__h2c_schedule(h2sess *s);

#endif
