/* client_int.h - what the HTTP/1.1 client's two halves share: calls and
 * the connection pool (client.c), and reading responses (client_read.c). */
#ifndef WEFT_SRC_HTTP1_CLIENT_INT_H
#define WEFT_SRC_HTTP1_CLIENT_INT_H

#include <sys/socket.h>

#include "../client/core.h"
#include "../loop/transport.h"

#define MAX_HEAD (64u * 1024u)
#define MAX_FIELDS 100

typedef struct ncall ncall;
typedef struct nconn nconn;

typedef struct endpoint {
    own_endpoint base;      /* first: where, the Host value, waiting calls, figures */
    nconn *idle;            /* LIFO: the warmest connection first */
    long nconns;            /* open: connecting, busy or idle */
} endpoint;

typedef enum { NC_CONNECTING, NC_BUSY, NC_IDLE, NC_CLOSING } nc_state;

struct nconn {
    weft_tcp tcp;
    weft_transport *tr;     /* &tcp.t, or TLS over it (https://) */
    endpoint *ep;
    client_loop *cl;
    nc_state state;
    nconn *next_idle;
    ncall *call;
    weft_buf out;           /* the request being written (owned here) */
    weft_buf in;            /* response bytes */
    size_t head_len;        /* 0 until the head is parsed */
    weft_http_resp_head head;
    weft_chunked chunk;
    size_t body_len;        /* decoded body bytes, right after the head */
    int reused;
    size_t sent_early;      /* request bytes written before the connect completed */
};

struct ncall {
    call_base base; /* first: a queued base is the call */
    endpoint *ep;
    nconn *conn;
    weft_buf req;
    int idempotent, retried, head_request;
};

/* client.c */
void weft__h1c_conn_close(nconn *c);
void weft__h1c_conn_abort(nconn *c);
/* Closes c and fails its call with err and detail; the endpoint's
 * waiting calls go on. */
void weft__h1c_fail_on_conn(nconn *c, int err, const char *detail);
/* c is idle: the first the endpoint's next call gets. */
void weft__h1c_idle_push(nconn *c);
/* Detaches the call from everything but its task. */
void weft__h1c_call_release(ncall *k);
/* Gives waiting calls a connection: an idle one, else a new one within
 * the endpoint's limit. */
void weft__h1c_pump(endpoint *ep);

/* client_read.c */
void weft__h1c_on_alloc(weft_transport *t, char **base, size_t *len);
void weft__h1c_on_read(weft_transport *t, ssize_t n);
/* Sends c's GET or HEAD again on a new connection if c was a reused one
 * the backend had closed before answering: 1 if it did. */
int weft__h1c_retry_stale(nconn *c);

#endif
