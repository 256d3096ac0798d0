/* stack.c - fiber stacks: mmap'd with a guard page below, cached per loop.
 *
 * Each mapping is [guard page | stack ... | struct weft_fiber]. Only pages
 * a fiber actually touches become resident, so a parked fiber costs what
 * its deepest call used, not its reserved size; the struct shares the top
 * page with the first frames, so a shallow fiber costs one page. Default-size stacks go back
 * to a per-thread cache of at most CACHE_MAX; others are unmapped at once. */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fiber_int.h"

#define CACHE_MAX 1024

static size_t page_size(void)
{
    static size_t ps;
    if (!ps)
        ps = (size_t)sysconf(_SC_PAGESIZE);
    return ps;
}

static weft_fiber *map_stack(weft__sched *s, size_t stack_size)
{
    size_t ps = page_size();
    size_t header = (sizeof(weft_fiber) + 63) & ~(size_t)63;
    size_t usable = (stack_size + ps - 1) & ~(ps - 1);
    size_t total = ps + usable; /* the header comes out of the stack's top */
    char *map = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    if (map == MAP_FAILED)
        return NULL;
    if (mprotect(map, ps, PROT_NONE) != 0) {
        munmap(map, total);
        return NULL;
    }
    weft_fiber *f = (weft_fiber *)(map + total - header);
    memset(f, 0, sizeof *f);
    f->map = map;
    f->map_size = total;
    f->stack_lo = map + ps;
    f->stack_size = (size_t)((char *)f - (char *)f->stack_lo) & ~(size_t)15;
    s->mapped++;
    return f;
}

weft_fiber *weft__stack_acquire(weft__sched *s, size_t stack_size)
{
    if (stack_size == 0 || stack_size == WEFT_FIBER_STACK_DEFAULT) {
        if (s->cache) {
            weft_fiber *f = s->cache;
            s->cache = f->cache_next;
            s->ncached--;
            return f;
        }
        weft_fiber *f = map_stack(s, WEFT_FIBER_STACK_DEFAULT);
        if (f)
            f->pooled = 1;
        return f;
    }
    if (stack_size < 16384)
        stack_size = 16384;
    return map_stack(s, stack_size);
}

void weft__stack_release(weft__sched *s, weft_fiber *f)
{
    if (f->pooled && s->ncached < CACHE_MAX) {
        f->cache_next = s->cache;
        s->cache = f;
        s->ncached++;
        return;
    }
    s->mapped--;
    munmap(f->map, f->map_size);
}

void weft__stack_cache_free(weft__sched *s)
{
    while (s->cache) {
        weft_fiber *f = s->cache;
        s->cache = f->cache_next;
        s->mapped--;
        munmap(f->map, f->map_size);
    }
    s->ncached = 0;
}
