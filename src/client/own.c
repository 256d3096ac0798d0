/* own.c - what weft's own engines (src/http1/client.c, src/http2/client.c)
 * share: which calls they carry - http:// or https:// to an IP address
 * (or localhost), with a method that needs no checking beyond its
 * letters - their endpoints, and how a call starts. Everything else -
 * host names (which need a resolver off the loop), odd URLs - is left to
 * libcurl, which validates and encodes them. Loop thread only. */
#include <stdlib.h>

#include "../loop/transport.h"
#include "core.h"
#include "../base/alloc.h"

/* http[s]://IP[:port]/path?query, IP numeric (v4, [v6]) or "localhost".
 * Fills addr, host, the path+query start, whether it is https and the
 * name a certificate must carry; 0, or WEFT_EINVAL to leave it to curl. */
static int parse_url(const char *url, struct sockaddr_storage *addr, char *host, size_t hcap,
                     const char **path, int *tls, char *name, size_t ncap)
{
    const char *h;
    if (strncmp(url, "http://", 7) == 0) {
        h = url + 7;
        *tls = 0;
    } else if (strncmp(url, "https://", 8) == 0) {
        h = url + 8;
        *tls = 1;
    } else {
        return WEFT_EINVAL;
    }
    const char *end = h;
    char ip[64];
    size_t iplen;
    if (*h == '[') {
        end = strchr(h, ']');
        if (!end || (size_t)(end - h - 1) >= sizeof ip)
            return WEFT_EINVAL;
        iplen = (size_t)(end - h - 1);
        memcpy(ip, h + 1, iplen);
        end++;
    } else {
        while (*end && *end != ':' && *end != '/' && *end != '?')
            end++;
        iplen = (size_t)(end - h);
        if (iplen == 0 || iplen >= sizeof ip)
            return WEFT_EINVAL;
        memcpy(ip, h, iplen);
    }
    ip[iplen] = '\0';
    snprintf(name, ncap, "%s", ip);
    long port = *tls ? 443 : 80;
    const char *p = end;
    if (*p == ':') {
        char *e;
        port = strtol(p + 1, &e, 10);
        if (e == p + 1 || port < 1 || port > 65535)
            return WEFT_EINVAL;
        p = e;
    }
    if (*p && *p != '/' && *p != '?')
        return WEFT_EINVAL;
    for (const char *q = p; *q; q++)
        if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f || *q == '#')
            return WEFT_EINVAL; /* anything unusual: curl validates and encodes */
    if (strcmp(ip, "localhost") == 0)
        strcpy(ip, "127.0.0.1");
    if (weft__ip_addr(ip, (int)port, addr))
        return WEFT_EINVAL; /* a host name: libcurl resolves it off the loop */
    snprintf(host, hcap, "%.*s", (int)(end - h), h);
    *path = *p ? p : "/";
    return 0;
}

int weft__own_target(const char *url, const weft_http_opts *o, own_target *out)
{
    if (parse_url(url, &out->addr, out->host, sizeof out->host, &out->path, &out->tls,
                  out->name, sizeof out->name))
        return WEFT_EINVAL;
    out->method = o->method ? o->method : o->body ? "POST" : "GET";
    for (const char *p = out->method; *p; p++)
        if (*p < 'A' || *p > 'Z')
            return WEFT_EINVAL;
    return 0;
}

/* The endpoint for the target (and, for https, the TLS context) among
 * e's on cl, made on first use. */
static own_endpoint *endpoint_for(const own_engine *e, client_loop *cl, const own_target *to,
                                  weft_tls_client *tls)
{
    own_endpoint **list = (own_endpoint **)&cl->state[e->slot];
    for (own_endpoint *ep = *list; ep; ep = ep->next)
        if (memcmp(&ep->addr, &to->addr, sizeof to->addr) == 0 && strcmp(ep->host, to->host) == 0 &&
            ep->tls == tls)
            return ep;
    own_endpoint *ep = calloc(1, e->endpoint_size);
    if (!ep)
        return NULL;
    ep->addr = to->addr;
    snprintf(ep->host, sizeof ep->host, "%s", to->host);
    ep->tls = tls;
    snprintf(ep->tls_name, sizeof ep->tls_name, "%s", to->name);
    weft__ep_stats_init(&ep->stats, &to->addr);
    ep->next = *list;
    *list = ep;
    return ep;
}

int weft__own_start(const weft_client_engine *engine, client_loop *cl, weft_scope *s,
                    weft_task *t, const char *url, const weft_http_opts *o)
{
    const own_engine *e = engine->impl;
    own_target to;
    if (weft__own_target(url, o, &to))
        return 0; /* not ours: curl takes it */
    weft_tls_client *tls = NULL;
    char why[200];
    if (to.tls && !(tls = weft__client_tls_for(cl->cfg, o, why, sizeof why))) {
        /* The trust settings do not load: the call fails, counted as any
         * failure, with why in the log. */
        call_base b = {0};
        weft__call_base_start(&b, s, t, cl, NULL, url, o);
        weft_warn("%s", why);
        weft__call_base_end(&b);
        weft__client_count_error(&b, WEFT_ETLS, url, why);
        weft_task_reject(t, WEFT_ETLS);
        weft_task_unref(t);
        return 1;
    }
    own_endpoint *ep = endpoint_for(e, cl, &to, tls);
    call_base *k = ep ? weft__zalloc(e->call_size) : NULL;
    if (!k)
        return 0;
    weft__call_base_start(k, s, t, cl, &ep->stats, url, o);
    if (e->build(k, ep, to.method, to.path, o)) {
        e->fail(k, WEFT_EINVAL, "invalid request (header or body)");
        return 1;
    }
    weft__call_base_arm(k, o, e->on_timeout, e->on_cancel, k);
    weft__call_queue_push(&ep->waiting, k);
    e->pump(ep);
    return 1;
}

weft_transport *weft__own_transport(own_endpoint *ep, weft_loop *loop, weft_tcp *tcp,
                                    const char *alpn)
{
    if (!ep->tls)
        return &tcp->t;
    return weft__tls_connect(ep->tls, loop, &tcp->t, ep->tls_name, alpn, &ep->tls_session);
}

int weft__own_connect_error(const own_endpoint *ep, weft_transport *t, int status,
                            const char **detail)
{
    const char *tls_why = weft__tls_why(t);
    if (tls_why[0]) {
        weft_warn("TLS to backend %s failed: %s", ep->stats.name, tls_why);
        *detail = tls_why;
        return WEFT_ETLS;
    }
    if (status == WEFT_IO_CONNREFUSED) {
        *detail = "connection refused";
        return WEFT_ECONNREFUSED;
    }
    *detail = weft__io_strerror(status);
    return WEFT_EIO;
}

void weft__own_cleanup(const weft_client_engine *engine, client_loop *cl)
{
    const own_engine *e = engine->impl;
    own_endpoint **list = (own_endpoint **)&cl->state[e->slot];
    while (*list) {
        own_endpoint *ep = *list;
        *list = ep->next;
        e->end(ep);
        weft__ep_stats_fini(&ep->stats);
        weft__tls_session_free(ep->tls_session);
        free(ep);
    }
}
