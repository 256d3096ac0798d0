/* tls.h - TLS as a transport (transport.h), over OpenSSL 3.
 *
 * A TLS transport wraps another transport (TCP): it reads ciphertext from
 * the inner one, feeds it to an in-memory OpenSSL engine and hands the
 * plaintext to its owner's alloc/read callbacks; what the owner writes is
 * encrypted and written to the inner transport. OpenSSL never sees a
 * socket - its BIO is a pair of buffers (bio.c) - so every socket
 * operation stays in the loop layer, and the codecs above do not know
 * whether their bytes are encrypted.
 *
 * The contexts hold what connections share: the server's certificates
 * (several, picked by SNI), ALPN, session ticket keys that rotate and
 * survive a reload (server.c); a client's trust store, its own
 * certificate and whether to verify (client.c). A context is shared by
 * every loop thread; connections are loop thread only. */
#ifndef WEFT_SRC_TLS_H
#define WEFT_SRC_TLS_H

#include "../loop/transport.h"

typedef struct weft_tls weft_tls;

/* ---- server --------------------------------------------------------------------- */

typedef struct weft_tls_server weft_tls_server;

/* Loads n certificate chains and their keys (PEM), in pairs; the first is
 * the default, the others are picked by the client's server name (SNI).
 * alpn_h2: offer "h2" before "http/1.1". NULL with why written to err. */
weft_tls_server *weft__tls_server_new(const char *const *certs, const char *const *keys, size_t n,
                                      int alpn_h2, char *err, size_t errcap);
/* Reads the files again: connections that start from now on get the new
 * certificates, open ones keep theirs, session tickets stay valid. 0, or
 * an error with why in err (the old certificates stay). Any thread. */
int weft__tls_server_reload(weft_tls_server *s, char *err, size_t errcap);
void weft__tls_server_free(weft_tls_server *s);

/* Starts the server side of TLS over inner, a connection just accepted;
 * from now on the owner reads and writes through the returned transport,
 * which reports to the events and data inner had (inner's become the TLS
 * layer's). NULL when out of memory (inner is untouched then). */
weft_transport *weft__tls_accept(weft_tls_server *s, weft_loop *loop, weft_transport *inner);

/* ---- client --------------------------------------------------------------------- */

typedef struct weft_tls_client_opts {
    const char *ca_file;      /* NULL: the system's trust store */
    const char *cert_file;    /* a client certificate (PEM chain), or NULL */
    const char *key_file;
    int insecure_no_verify;   /* accept any certificate and name (tests only) */
} weft_tls_client_opts;

typedef struct weft_tls_client weft_tls_client;
/* NULL with why written to err. */
weft_tls_client *weft__tls_client_new(const weft_tls_client_opts *o, char *err, size_t errcap);
void weft__tls_client_free(weft_tls_client *c);

/* Starts the client side of TLS over inner, which is about to connect
 * (inner's `connected` starts the handshake; the owner's `connected`
 * comes when the handshake is done, or failed); the owner's events and
 * data are those inner had, as for weft__tls_accept. name is the server's
 * name as the URL gave it: checked against the certificate (a DNS name
 * or an IP address) and sent as SNI when it is a name. alpn is one
 * protocol ("h2", "http/1.1") the server must agree to. *session, when
 * given, is where the endpoint keeps a session to resume (the TLS layer
 * reads it and replaces it with newer ones; the endpoint frees it with
 * weft__tls_session_free). NULL when out of memory. */
weft_transport *weft__tls_connect(weft_tls_client *c, weft_loop *loop, weft_transport *inner,
                                  const char *name, const char *alpn, void **session);
void weft__tls_session_free(void *session);

/* ---- a connection --------------------------------------------------------------- */

/* Whether t is a TLS transport, and if so what it knows. */
int weft__tls_is(const weft_transport *t);
/* 1 until the handshake is done (server: a handshake timeout applies). */
int weft__tls_handshaking(const weft_transport *t);
/* The protocol ALPN agreed on ("h2", "http/1.1"), or NULL. */
const char *weft__tls_alpn(const weft_transport *t);
/* 1 when this session was resumed (a ticket), not a full handshake. */
int weft__tls_resumed(const weft_transport *t);
/* Why the connection failed, for a log line ("certificate verify failed:
 * hostname mismatch"); "" when it did not. */
const char *weft__tls_why(const weft_transport *t);

#endif
