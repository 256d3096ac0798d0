/* client_id.c - who a request comes from and which one it is: the peer's
 * address, or X-Forwarded-For's when the peer is a trusted proxy
 * (--trusted-proxy), the scheme X-Forwarded-Proto says, and a request id
 * (X-Request-Id taken when it looks like one, else made). Computed on
 * first use and kept in the request's arena: a request that never asks
 * (no access log, a handler that does not) pays nothing. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "server.h"

/* 1 if addr (text) is one of the trusted proxies: exact addresses, or
 * IPv4 networks "a.b.c.d/n", comma-separated. */
static int trusted(const char *list, const char *addr)
{
    if (!list || !*list)
        return 0;
    struct in_addr a4;
    int is4 = inet_pton(AF_INET, addr, &a4) == 1;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[64];
        if (n > 0 && n < sizeof item) {
            memcpy(item, p, n);
            item[n] = '\0';
            char *slash = strchr(item, '/');
            struct in_addr net;
            if (!slash && strcmp(item, addr) == 0)
                return 1;
            if (slash && is4) {
                *slash = '\0';
                int bits = atoi(slash + 1);
                if (inet_pton(AF_INET, item, &net) == 1 && bits >= 0 && bits <= 32) {
                    uint32_t mask = bits ? htonl(~0u << (32 - bits)) : 0;
                    if ((a4.s_addr & mask) == (net.s_addr & mask))
                        return 1;
                }
            }
        }
        p += n + (end ? 1 : 0);
    }
    return 0;
}

/* The rightmost address of X-Forwarded-For that is not a trusted proxy:
 * proxies append, so everything left of the first untrusted one could be
 * forged by the client. NULL when the header says nothing usable. */
static const char *forwarded_for(weft_ctx *c, const char *list)
{
    weft_str v = weft_http_find_header(&c->req, WEFT_STRLIT("X-Forwarded-For"));
    if (!v.base || v.len == 0 || v.len > 1024)
        return NULL;
    char *copy = weft_arena_strndup(&c->scope.arena, v.base, v.len);
    if (!copy)
        return NULL;
    char *hop = copy + v.len;
    const char *leftmost = NULL;
    while (hop > copy) {
        char *end = hop;
        while (hop > copy && hop[-1] != ',')
            hop--;
        char *s = hop;
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        *end = '\0';
        unsigned char probe[16];
        if (inet_pton(AF_INET, s, probe) != 1 && inet_pton(AF_INET6, s, probe) != 1)
            return NULL; /* not an address: trust nothing of it */
        if (!trusted(list, s))
            return s;
        leftmost = s; /* every hop so far trusted: the first is the client */
        if (hop > copy)
            hop--; /* past the comma */
    }
    return leftmost;
}

static int from_trusted_proxy(const weft_ctx *c)
{
    return trusted(c->app->cfg.trusted_proxies, c->codec->peer((weft_ctx *)c));
}

const char *weft_req_client(weft_ctx *c)
{
    if (c->client_addr)
        return c->client_addr;
    const char *peer = c->codec->peer(c);
    const char *fwd = from_trusted_proxy(c) ? forwarded_for(c, c->app->cfg.trusted_proxies) : NULL;
    c->client_addr = fwd ? fwd : peer;
    return c->client_addr;
}

const char *weft_req_scheme(weft_ctx *c)
{
    if (from_trusted_proxy(c)) {
        weft_str p = weft_http_find_header(&c->req, WEFT_STRLIT("X-Forwarded-Proto"));
        if (weft_str_ieq(p, WEFT_STRLIT("https")))
            return "https";
        if (weft_str_ieq(p, WEFT_STRLIT("http")))
            return "http";
    }
    return "http";
}

/* An id a client or proxy sent is kept when it is short and plain. */
static int plain_id(weft_str v)
{
    if (!v.base || v.len == 0 || v.len > 64)
        return 0;
    for (size_t i = 0; i < v.len; i++) {
        char ch = v.base[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.' || ch == ':'))
            return 0;
    }
    return 1;
}

/* Made ids: the process's start (wall clock, µs, 12 hex digits) and a
 * sequence number - unique across restarts and across threads. Each
 * thread takes its numbers from the process's counter a block at a time:
 * one shared atomic per request, written by every loop, cost the id
 * middleware a measurable share of /plaintext (S11). Within a thread the
 * numbers go up in the order the requests asked. */
#define ID_BLOCK 256
static uint64_t process_epoch;
static _Atomic uint64_t id_seq;
static pthread_once_t epoch_once = PTHREAD_ONCE_INIT;
static __thread uint64_t id_next, id_end;

static void put_hex(char *out, uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--, v >>= 4)
        out[i] = hex[v & 15];
}

static void set_epoch(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    process_epoch =
        ((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u) & 0xffffffffffffull;
}

const char *weft_req_id(weft_ctx *c)
{
    if (c->request_id)
        return c->request_id;
    weft_str v = weft_http_find_header(&c->req, WEFT_STRLIT("X-Request-Id"));
    if (plain_id(v)) {
        c->request_id = weft_arena_strndup(&c->scope.arena, v.base, v.len);
    } else {
        pthread_once(&epoch_once, set_epoch);
        if (id_next == id_end) {
            id_next = atomic_fetch_add_explicit(&id_seq, ID_BLOCK, memory_order_relaxed);
            id_end = id_next + ID_BLOCK;
        }
        char *id = weft_arena_alloc(&c->scope.arena, 22); /* "%012x-%08x" */
        if (id) {
            put_hex(id, process_epoch, 12);
            id[12] = '-';
            put_hex(id + 13, id_next++, 8);
            id[21] = '\0';
        }
        c->request_id = id;
    }
    return c->request_id ? c->request_id : "-";
}
