/* tls_int.h - what the files of the TLS layer share: one connection's
 * state (stream.c drives it; server.c and client.c make its SSL). */
#ifndef WEFT_SRC_TLS_INT_H
#define WEFT_SRC_TLS_INT_H

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls.h"
#include "../base/alloc.h"

struct weft_tls {
    weft_transport t;        /* first: what the owner holds */
    weft_transport *inner;   /* the ciphertext stream (TCP) */
    weft_loop *loop;
    SSL *ssl;
    /* Ciphertext read and not yet taken by OpenSSL: [src_pos, src_len) of
     * src, which is this thread's read buffer while a read is handled and
     * a copy (stash) when the owner paused with some left. */
    const char *src;
    size_t src_len, src_pos;
    char *stash;
    /* Ciphertext to write: OpenSSL appends to out; weft__tr_send swaps it
     * with `sending` while an inner write is pending. */
    weft_buf out, sending;
    weft_flush later;        /* callbacks that must not run inside a verb */
    weft_timer linger;       /* bounds a close that waits for ciphertext to leave */
    void **session_slot;     /* client: where its endpoint keeps a session to resume */
    const char *alpn_want;   /* client: the protocol the server must agree to */
    int werr;                /* the inner write failed: every write fails */
    int shut_status;
    uint8_t due;             /* DUE_* for `later` */
    uint8_t is_client, handshaking, reading, inner_reading, inner_writing;
    uint8_t owner_write;     /* the owner's write() waits for `written` */
    uint8_t shut_wanted, shut_sent, closing, inner_closing;
    uint8_t in_eof, eof_told, plain_http;
    char why[160];           /* why it failed, for the owner's log line */
};

/* stream.c: starts a connection over inner with ssl (accept or connect
 * state set by the caller), taking over inner's events and data as the
 * owner's; NULL when out of memory (ssl is freed, inner untouched). */
weft_tls *weft__tls_new(SSL *ssl, weft_loop *loop, weft_transport *inner);
/* Writes why the last OpenSSL call failed into t->why (once). */
void weft__tls_note_error(weft_tls *t, int err);

/* The failure OpenSSL last queued on this thread, in words ("" if none);
 * the queue is emptied. */
void weft__tls_openssl_error(char *out, size_t cap);

#endif
