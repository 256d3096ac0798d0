/* tls_ctx.c - the TLS client contexts of weft's own engines, one per set
 * of trust settings, shared by every loop.
 *
 * A context reads files (the CA bundle, a client certificate): the one
 * for the client configuration is made by weft_client_configure, at
 * start, on the main thread; one for settings a call names itself is made
 * on that call's loop the first time, once, and said in the log. Made
 * contexts live as long as the process. */
#include <pthread.h>
#include <stdlib.h>

#include "core.h"
#include "../tls/tls.h"

typedef struct tls_entry {
    struct tls_entry *next;
    char *ca, *cert, *key;
    int insecure;
    weft_tls_client *ctx;
} tls_entry;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static tls_entry *entries;

static int same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static char *dup_or_null(const char *s, int *failed)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *failed = 1;
    return d;
}

weft_tls_client *weft__client_tls(const weft_tls_client_opts *o, char *err, size_t errcap)
{
    pthread_mutex_lock(&mu);
    for (tls_entry *e = entries; e; e = e->next)
        if (same(e->ca, o->ca_file) && same(e->cert, o->cert_file) && same(e->key, o->key_file) &&
            e->insecure == o->insecure_no_verify) {
            pthread_mutex_unlock(&mu);
            return e->ctx;
        }
    weft_tls_client *ctx = weft__tls_client_new(o, err, errcap);
    tls_entry *e = ctx ? calloc(1, sizeof *e) : NULL;
    int failed = !e;
    if (e) {
        e->ca = dup_or_null(o->ca_file, &failed);
        e->cert = dup_or_null(o->cert_file, &failed);
        e->key = dup_or_null(o->key_file, &failed);
    }
    if (failed) {
        if (e) {
            free(e->ca);
            free(e->cert);
            free(e->key);
            free(e);
        }
        if (ctx)
            snprintf(err, errcap, "out of memory");
        weft__tls_client_free(ctx);
        pthread_mutex_unlock(&mu);
        return NULL;
    }
    e->insecure = o->insecure_no_verify;
    e->ctx = ctx;
    e->next = entries;
    entries = e;
    pthread_mutex_unlock(&mu);
    /* Said when it reads files someone named; the system's CAs, read by
     * every program at start, are the default and go unsaid. */
    weft_log(o->ca_file || o->cert_file ? WEFT_LOG_INFO : WEFT_LOG_DEBUG,
             "TLS client context made (CA %s%s%s)", o->ca_file ? o->ca_file : "of the system",
             o->cert_file ? ", client certificate " : "", o->cert_file ? o->cert_file : "");
    if (o->insecure_no_verify)
        weft_warn("TLS certificate verification is OFF for some backend calls "
                  "(tls_insecure_skip_verify): for tests only");
    return ctx;
}

weft_tls_client *weft__client_tls_for(const weft_client_config *cfg, const weft_http_opts *o,
                                      char *err, size_t errcap)
{
    weft_tls_client_opts t = {cfg->tls_ca_file, NULL, NULL, cfg->tls_insecure_skip_verify};
    if (o->tls_ca_file || o->tls_cert_file || o->tls_key_file || o->tls_insecure_skip_verify) {
        t = (weft_tls_client_opts){o->tls_ca_file ? o->tls_ca_file : cfg->tls_ca_file,
                                   o->tls_cert_file, o->tls_key_file,
                                   o->tls_insecure_skip_verify};
    }
    return weft__client_tls(&t, err, errcap);
}
