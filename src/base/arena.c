/* arena.c - bump allocator for request-lifetime memory.
 *
 * Owns a list of malloc'd chunks. Allocation is a pointer bump; reset frees
 * all chunks but the first, so a connection that serves many requests
 * reuses one chunk and does no malloc on the hot path. The first chunk is
 * small (what most requests need, and what a parked request costs); each
 * later one is twice the last, up to 64 KiB, so a request that builds a
 * large page needs few chunks. Not thread-safe. */
#include <stdio.h>
#include <stdlib.h>

#include "weft/base.h"

struct weft_arena_chunk {
    weft_arena_chunk *next;
    size_t size;
    /* payload follows, 16-byte aligned */
    _Alignas(16) char data[];
};

void weft_arena_init(weft_arena *a, size_t chunk_size)
{
    a->chunks = NULL;
    a->ptr = a->end = NULL;
    a->chunk_size = chunk_size ? chunk_size : 4096;
}

#define CHUNK_MAX (64u * 1024u)

static int add_chunk(weft_arena *a, size_t need)
{
    size_t size = a->chunk_size;
    if (a->chunks) /* grow geometrically after the first */
        size = a->chunks->size * 2 > CHUNK_MAX ? CHUNK_MAX : a->chunks->size * 2;
    if (size < need)
        size = need;
    weft_arena_chunk *c = malloc(sizeof(*c) + size);
    if (!c)
        return WEFT_ENOMEM;
    c->size = size;
    /* Keep the first (reusable) chunk at the tail of the list. */
    c->next = a->chunks;
    a->chunks = c;
    a->ptr = c->data;
    a->end = c->data + size;
    return 0;
}

/* What an allocation of size takes from a chunk: whole 16-byte units,
 * at least one. */
static size_t taken(size_t size)
{
    size = (size + 15) & ~(size_t)15;
    return size ? size : 16;
}

void *weft_arena_alloc(weft_arena *a, size_t size)
{
    size = taken(size);
    if ((size_t)(a->end - a->ptr) < size || !a->ptr) {
        if (add_chunk(a, size))
            return NULL;
    }
    void *p = a->ptr;
    a->ptr += size;
    return p;
}

char *weft_arena_strndup(weft_arena *a, const char *s, size_t len)
{
    char *p = weft_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *weft_arena_printf(weft_arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    /* One pass when the text fits in what is left of the current chunk
     * (the usual case); measure and format again only when it does not. */
    size_t room = (size_t)(a->end - a->ptr);
    int n = vsnprintf(room ? a->ptr : NULL, room, fmt, ap);
    va_end(ap);
    char *p = NULL;
    if (n >= 0 && taken((size_t)n + 1) <= room) {
        p = weft_arena_alloc(a, (size_t)n + 1); /* the bytes just written: it fits */
    } else if (n >= 0) {
        p = weft_arena_alloc(a, (size_t)n + 1);
        if (p)
            vsnprintf(p, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    return p;
}

void weft_arena_reset(weft_arena *a)
{
    weft_arena_chunk *c = a->chunks;
    if (!c)
        return;
    while (c->next) {
        weft_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->chunks = c;
    a->ptr = c->data;
    a->end = c->data + c->size;
}

void weft_arena_free(weft_arena *a)
{
    weft_arena_chunk *c = a->chunks;
    while (c) {
        weft_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->chunks = NULL;
    a->ptr = a->end = NULL;
}
