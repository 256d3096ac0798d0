/* server.c - the server's TLS contexts: certificates picked by name (SNI),
 * ALPN, session tickets, reload.
 *
 * One SSL_CTX per certificate pair, all configured alike; the first is the
 * default and a ClientHello naming another's host switches to it. TLS 1.2
 * and 1.3 only; for 1.2 only ECDHE key exchange with AEAD ciphers (1.3
 * has nothing else). ALPN prefers h2 (when on) over http/1.1; a client
 * that offers neither gets no ALPN answer and speaks HTTP/1.1.
 *
 * Session tickets are sealed with keys of our own (AES-256-CBC and
 * HMAC-SHA256, the scheme of RFC 5077's example) that rotate every
 * TICKET_ROTATE_S: a ticket sealed with one of the previous keys is still
 * taken (and renewed), so a session resumes for up to TICKET_KEYS
 * periods. The keys live in the weft_tls_server, not in a context, so a
 * reload keeps every ticket valid.
 *
 * A reload builds a new set of contexts from the same files and swaps it
 * in under the mutex; connections hold a reference to the context they
 * started with (OpenSSL counts them), so open ones keep their
 * certificate. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "tls_int.h"
#include "weft/base.h"

#define TICKET_ROTATE_S 3600
#define TICKET_KEYS 3
#define CIPHERS_TLS12                                                                          \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                               \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

typedef struct ticket_key {
    unsigned char name[16], aes[32], hmac[32];
    time_t born;
} ticket_key;

typedef struct ctx_set {
    SSL_CTX **ctx;
    size_t n;
} ctx_set;

struct weft_tls_server {
    pthread_mutex_t mu;       /* guards set and keys */
    ctx_set set;
    char **certs, **keys;     /* the files, read again on reload */
    size_t n;
    int alpn_h2;
    ticket_key tickets[TICKET_KEYS]; /* [0] seals; the others still open */
    int ntickets;
    /* Fetched once: EVP_aes_256_cbc() would be looked up by name, under
     * the provider store's lock, on every ticket sealed or opened. */
    EVP_CIPHER *ticket_cipher;
};

/* ---- ALPN and SNI -------------------------------------------------------------- */

static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg)
{
    (void)ssl;
    const weft_tls_server *s = arg;
    static const unsigned char both[] = "\x02h2\x08http/1.1";
    static const unsigned char h1[] = "\x08http/1.1";
    const unsigned char *ours = s->alpn_h2 ? both : h1;
    unsigned ourlen = s->alpn_h2 ? sizeof both - 1 : sizeof h1 - 1;
    unsigned char *chosen;
    if (SSL_select_next_proto(&chosen, outlen, ours, ourlen, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK; /* no ALPN: HTTP/1.1 */
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

static int select_cert(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    weft_tls_server *s = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name)
        return SSL_TLSEXT_ERR_OK; /* the default certificate */
    pthread_mutex_lock(&s->mu);
    for (size_t i = 1; i < s->set.n; i++) {
        X509 *cert = SSL_CTX_get0_certificate(s->set.ctx[i]);
        if (cert && X509_check_host(cert, name, 0, 0, NULL) == 1) {
            SSL_set_SSL_CTX(ssl, s->set.ctx[i]);
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return SSL_TLSEXT_ERR_OK;
}

/* ---- session tickets ------------------------------------------------------------- */

static int ticket_key_new(ticket_key *k)
{
    k->born = time(NULL);
    return RAND_bytes(k->name, sizeof k->name) == 1 && RAND_bytes(k->aes, sizeof k->aes) == 1 &&
                   RAND_bytes(k->hmac, sizeof k->hmac) == 1
               ? 0
               : WEFT_EIO;
}

/* Under s->mu: a new sealing key once the current one is old enough. */
static void rotate_if_due(weft_tls_server *s)
{
    if (s->ntickets && time(NULL) - s->tickets[0].born < TICKET_ROTATE_S)
        return;
    ticket_key k;
    if (ticket_key_new(&k))
        return; /* keep sealing with the old one */
    memmove(&s->tickets[1], &s->tickets[0], (TICKET_KEYS - 1) * sizeof k);
    s->tickets[0] = k;
    if (s->ntickets < TICKET_KEYS)
        s->ntickets++;
}

static int set_hmac_key(EVP_MAC_CTX *hctx, unsigned char *key)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key, 32),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    return EVP_MAC_CTX_set_params(hctx, params);
}

static int ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
                     EVP_MAC_CTX *hctx, int enc)
{
    weft_tls_server *s = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    int rc = -1;
    pthread_mutex_lock(&s->mu);
    if (enc) {
        rotate_if_due(s);
        ticket_key *k = &s->tickets[0];
        if (s->ntickets && RAND_bytes(iv, 16) == 1 &&
            EVP_EncryptInit_ex(cctx, s->ticket_cipher, NULL, k->aes, iv) == 1 &&
            set_hmac_key(hctx, k->hmac) == 1) {
            memcpy(name, k->name, 16);
            rc = 1;
        }
    } else {
        rc = 0; /* unknown key: a full handshake */
        for (int i = 0; i < s->ntickets; i++) {
            ticket_key *k = &s->tickets[i];
            if (memcmp(name, k->name, 16) != 0)
                continue;
            int ok = set_hmac_key(hctx, k->hmac) == 1 &&
                     EVP_DecryptInit_ex(cctx, s->ticket_cipher, NULL, k->aes, iv) == 1;
            /* 2: issue a fresh ticket - when an older key sealed this one,
             * and always in TLS 1.3, whose clients use a ticket once
             * (RFC 8446 C.4): without a new one the next connection
             * would be a full handshake. */
            rc = !ok ? -1 : i == 0 && SSL_version(ssl) != TLS1_3_VERSION ? 1 : 2;
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- contexts -------------------------------------------------------------------- */

static SSL_CTX *ctx_new(weft_tls_server *s, const char *cert, const char *key, char *err,
                        size_t errcap)
{
    char why[160];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        weft__tls_openssl_error(why, sizeof why);
        snprintf(err, errcap, "TLS: %s", why);
        return NULL;
    }
    const char *step = "certificate";
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        goto fail;
    step = "key";
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        goto fail;
    step = "key for this certificate";
    if (SSL_CTX_check_private_key(ctx) != 1)
        goto fail;
    step = "settings";
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, CIPHERS_TLS12) != 1)
        goto fail;
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_COMPRESSION);
    /* Buffers go back while a connection is idle: 10,000 keep-alive
     * clients should not hold 34 KiB each. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(ctx, 1);
    /* Resumption by tickets only: nothing shared between the loops. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 1);
    SSL_CTX_set_timeout(ctx, (long)TICKET_ROTATE_S * (TICKET_KEYS - 1));
    SSL_CTX_set_app_data(ctx, s);
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, s);
    if (s->n > 1) { /* one certificate: nothing to pick */
        SSL_CTX_set_tlsext_servername_callback(ctx, select_cert);
        SSL_CTX_set_tlsext_servername_arg(ctx, s);
    }
    return ctx;
fail:
    weft__tls_openssl_error(why, sizeof why);
    snprintf(err, errcap, "TLS %s from %s / %s: %s", step, cert, key, why);
    SSL_CTX_free(ctx);
    return NULL;
}

static void set_free(ctx_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        SSL_CTX_free(set->ctx[i]);
    free(set->ctx);
    set->ctx = NULL;
    set->n = 0;
}

static int set_load(weft_tls_server *s, ctx_set *set, char *err, size_t errcap)
{
    set->ctx = calloc(s->n, sizeof *set->ctx);
    set->n = 0;
    if (!set->ctx) {
        snprintf(err, errcap, "out of memory");
        return WEFT_ENOMEM;
    }
    for (size_t i = 0; i < s->n; i++) {
        set->ctx[i] = ctx_new(s, s->certs[i], s->keys[i], err, errcap);
        if (!set->ctx[i]) {
            set_free(set);
            return WEFT_EINVAL;
        }
        set->n++;
    }
    return 0;
}

static void files_free(weft_tls_server *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->certs[i]);
        free(s->keys[i]);
    }
    free(s->certs);
    free(s->keys);
}

weft_tls_server *weft__tls_server_new(const char *const *certs, const char *const *keys, size_t n,
                                      int alpn_h2, char *err, size_t errcap)
{
    if (n == 0) {
        snprintf(err, errcap, "TLS needs --tls-cert and --tls-key");
        return NULL;
    }
    weft_tls_server *s = calloc(1, sizeof *s);
    if (!s || !(s->certs = calloc(n, sizeof *s->certs)) || !(s->keys = calloc(n, sizeof *s->keys))) {
        if (s)
            free(s->certs);
        free(s);
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    s->n = n;
    s->alpn_h2 = alpn_h2;
    pthread_mutex_init(&s->mu, NULL);
    for (size_t i = 0; i < n; i++) {
        s->certs[i] = strdup(certs[i]);
        s->keys[i] = strdup(keys[i]);
        if (!s->certs[i] || !s->keys[i]) {
            snprintf(err, errcap, "out of memory");
            weft__tls_server_free(s);
            return NULL;
        }
    }
    rotate_if_due(s);
    s->ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    if (!s->ntickets || !s->ticket_cipher || set_load(s, &s->set, err, errcap)) {
        if (!s->ntickets || !s->ticket_cipher)
            snprintf(err, errcap, "TLS: no random bytes or no AES-256-CBC for the ticket keys");
        weft__tls_server_free(s);
        return NULL;
    }
    return s;
}

int weft__tls_server_reload(weft_tls_server *s, char *err, size_t errcap)
{
    ctx_set fresh;
    int rc = set_load(s, &fresh, err, errcap);
    if (rc)
        return rc;
    pthread_mutex_lock(&s->mu);
    ctx_set old = s->set;
    s->set = fresh;
    pthread_mutex_unlock(&s->mu);
    set_free(&old); /* connections made from them keep them alive */
    return 0;
}

void weft__tls_server_free(weft_tls_server *s)
{
    if (!s)
        return;
    set_free(&s->set);
    files_free(s);
    EVP_CIPHER_free(s->ticket_cipher);
    OPENSSL_cleanse(s->tickets, sizeof s->tickets);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

weft_transport *weft__tls_accept(weft_tls_server *s, weft_loop *loop, weft_transport *inner)
{
    pthread_mutex_lock(&s->mu);
    SSL *ssl = SSL_new(s->set.ctx[0]);
    pthread_mutex_unlock(&s->mu);
    if (!ssl)
        return NULL;
    SSL_set_accept_state(ssl);
    weft_tls *t = weft__tls_new(ssl, loop, inner);
    return t ? &t->t : NULL;
}
