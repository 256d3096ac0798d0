/* client.c - TLS for weft's own client engines: a context per set of
 * trust settings, and the client side of a connection.
 *
 * Verification is on unless the caller says, by an option named for it,
 * that any certificate will do: the chain must lead to a trusted CA (the
 * system's bundle, or the caller's CA file) and the certificate must name
 * the host the URL named - a DNS name, or an IP address for a numeric
 * URL. The system bundle is loaded as one file into memory when the
 * context is made, not looked up by hash in /etc/ssl/certs during a
 * handshake: a handshake never touches the file system on a loop thread.
 *
 * Sessions: the endpoint keeps the newest session a server issued (a
 * TLS 1.3 ticket arrives after the handshake, hence the callback) and the
 * next connection to it offers that session: a pool opening many
 * connections to one backend pays one full handshake. */
#include <arpa/inet.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include "tls_int.h"
#include "weft/base.h"

struct weft_tls_client {
    SSL_CTX *ctx;
};

static int keep_session(SSL *ssl, SSL_SESSION *sess)
{
    weft_tls *t = SSL_get_app_data(ssl);
    if (!t || !t->session_slot || !SSL_SESSION_is_resumable(sess))
        return 0; /* not kept: OpenSSL frees it */
    if (*t->session_slot)
        SSL_SESSION_free(*t->session_slot);
    *t->session_slot = sess;
    return 1; /* the reference is ours now */
}

void weft__tls_session_free(void *session)
{
    SSL_SESSION_free(session);
}

weft_tls_client *weft__tls_client_new(const weft_tls_client_opts *o, char *err, size_t errcap)
{
    weft_tls_client *c = calloc(1, sizeof *c);
    SSL_CTX *ctx = c ? SSL_CTX_new(TLS_client_method()) : NULL;
    char why[160];
    const char *step = "settings";
    if (!ctx) {
        free(c);
        snprintf(err, errcap, "TLS client: out of memory");
        return NULL;
    }
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        goto fail;
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    if (o->insecure_no_verify) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        step = o->ca_file ? o->ca_file : X509_get_default_cert_file();
        if (SSL_CTX_load_verify_file(ctx, step) != 1)
            goto fail;
    }
    if (o->cert_file || o->key_file) {
        step = "client certificate";
        if (!o->cert_file || !o->key_file ||
            SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, o->key_file, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1)
            goto fail;
    }
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, keep_session);
    c->ctx = ctx;
    return c;
fail:
    weft__tls_openssl_error(why, sizeof why);
    snprintf(err, errcap, "TLS client (%s): %s", step, why[0] ? why : "invalid");
    SSL_CTX_free(ctx);
    free(c);
    return NULL;
}

void weft__tls_client_free(weft_tls_client *c)
{
    if (c) {
        SSL_CTX_free(c->ctx);
        free(c);
    }
}

static int is_ip(const char *name)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

weft_transport *weft__tls_connect(weft_tls_client *c, weft_loop *loop, weft_transport *inner,
                                  const char *name, const char *alpn, void **session)
{
    SSL *ssl = SSL_new(c->ctx);
    if (!ssl)
        return NULL;
    int ok = 1;
    if (is_ip(name)) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1;
    } else {
        ok = SSL_set1_host(ssl, name) == 1 && SSL_set_tlsext_host_name(ssl, name) == 1;
    }
    unsigned char protos[32];
    size_t plen = alpn ? strlen(alpn) : 0;
    if (alpn && plen < sizeof protos) {
        protos[0] = (unsigned char)plen;
        memcpy(protos + 1, alpn, plen);
        ok = ok && SSL_set_alpn_protos(ssl, protos, (unsigned)plen + 1) == 0;
    }
    if (ok && session && *session)
        SSL_set_session(ssl, *session);
    if (!ok) {
        SSL_free(ssl);
        ERR_clear_error();
        return NULL;
    }
    SSL_set_connect_state(ssl);
    weft_tls *t = weft__tls_new(ssl, loop, inner);
    if (!t)
        return NULL;
    t->is_client = 1;
    t->session_slot = session;
    t->alpn_want = alpn;
    return &t->t;
}
