/* alloc.h - zeroed allocation for objects made once per request or more.
 *
 * glibc's calloc (2.36, Debian 12) never takes a chunk from the per-thread
 * cache: it always goes through _int_malloc, while free puts the chunk in
 * that cache. A calloc/free pair per task therefore costs ~25 ns more than
 * malloc/free; on the await path it was a fifth of the time (perf record of
 * `weft-micro await`, docs/benchmarks.md S6). malloc + memset of a known
 * size is served from the cache and the memset is inlined. Use it for small
 * fixed-size objects on hot paths; calloc stays right for arrays and for
 * objects made once. */
#ifndef WEFT_SRC_BASE_ALLOC_H
#define WEFT_SRC_BASE_ALLOC_H

#include <stdlib.h>
#include <string.h>

static inline void *weft__zalloc(size_t size)
{
    void *p = malloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

#endif
