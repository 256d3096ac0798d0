/* stack.c - fiber stacks: mmap'd with a guard page below, cached per loop.
 *
 * Each stack is [guard page | stack ... | struct weft_fiber]. Only pages
 * a fiber actually touches become resident, so a parked fiber costs what
 * its deepest call used, not its reserved size; the struct shares the top
 * page with the first frames, so a shallow fiber costs one page.
 * Default-size stacks go back to a per-thread cache; others are unmapped
 * at once. The cache keeps what the loop's waves of requests reuse and
 * gives back what sits unused: once a second (weft__stack_trim, from the
 * loop's check phase) the stacks that stayed in the cache the whole time
 * are unmapped, down to CACHE_KEEP. A fixed cap of 1,024 made a backend
 * holding 6,000 calls per loop in 500 ms waves unmap and map again a
 * third of its stacks (18,000 munmap and 17,000 madvise in 3 s of S8),
 * each new one paying its page faults again. A loop asleep in poll does
 * not trim until something wakes it; a server's loops wake at least every
 * 250 ms (their connection-timeout tick).
 *
 * Default-size stacks are mapped SLAB at a time, and guard pages are
 * installed with madvise(MADV_GUARD_INSTALL) where the kernel has it
 * (Linux 6.13): that marks the page in the page tables without splitting
 * the mapping. With one mmap and one mprotect per stack, a burst of 4,000
 * new requests spent ~8% of the front end's CPU in mmap/mprotect (both
 * take the process's mmap lock for writing, against the page faults of
 * the other loop threads) and left two VMAs per stack, so
 * vm.max_map_count (65,530) capped a process near 32,000 fibers. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fiber_int.h"

#define CACHE_KEEP 1024  /* stacks an idle loop keeps */
#define TRIM_MS 1000
#define SLAB 32

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

/* Loop threads may ask at the same time on their first fibers: every one
 * computes the same value, so a relaxed atomic is all it needs. */
static size_t page_size(void)
{
    static _Atomic size_t ps;
    size_t v = atomic_load_explicit(&ps, memory_order_relaxed);
    if (!v) {
        v = (size_t)sysconf(_SC_PAGESIZE);
        atomic_store_explicit(&ps, v, memory_order_relaxed);
    }
    return v;
}

/* Makes the page at p fault on any access. WEFT_FIBER_GUARD=mprotect in
 * the environment takes the pre-6.13 path on any kernel, so that the tests
 * can hold it to its limits where the new one is present. */
static int install_guard(char *p, size_t ps)
{
    enum { UNKNOWN, MADVISE, MPROTECT };
    /* Loop threads may race to set it: they all compute the same value. */
    static atomic_int mode;
    int m = atomic_load_explicit(&mode, memory_order_relaxed);
    if (m == UNKNOWN) {
        const char *e = getenv("WEFT_FIBER_GUARD");
        m = e && strcmp(e, "mprotect") == 0 ? MPROTECT : MADVISE;
        atomic_store_explicit(&mode, m, memory_order_relaxed);
    }
    if (m == MADVISE) {
        if (madvise(p, ps, MADV_GUARD_INSTALL) == 0)
            return 0;
        if (errno != EINVAL)
            return -1;
        atomic_store_explicit(&mode, MPROTECT, memory_order_relaxed);
    }
    return mprotect(p, ps, PROT_NONE);
}

static size_t mapping_size(size_t stack_size)
{
    size_t ps = page_size();
    return ps + ((stack_size + ps - 1) & ~(ps - 1)); /* the header comes out of the top */
}

/* Sets up the stack at map (guard page first). */
static weft_fiber *carve(weft__sched *s, char *map, size_t total)
{
    size_t ps = page_size();
    size_t header = (sizeof(weft_fiber) + 63) & ~(size_t)63;
    if (install_guard(map, ps) != 0) {
        munmap(map, total);
        return NULL;
    }
    weft_fiber *f = (weft_fiber *)(map + total - header);
    memset(f, 0, sizeof *f);
    f->map = map;
    f->map_size = total;
    f->stack_lo = map + ps;
    f->stack_size = (size_t)((char *)f - (char *)f->stack_lo) & ~(size_t)15;
    weft__count(&s->st.mapped, 1);
    weft__count(&s->st.stack_bytes, (int64_t)total);
    return f;
}

static char *map_pages(size_t len)
{
    char *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    return map == MAP_FAILED ? NULL : map;
}

static weft_fiber *map_stack(weft__sched *s, size_t stack_size)
{
    size_t total = mapping_size(stack_size);
    char *map = map_pages(total);
    return map ? carve(s, map, total) : NULL;
}

/* A default-size stack from the current slab, mapping a new slab when it
 * is used up. Each stack can still be unmapped on its own. */
static weft_fiber *slab_stack(weft__sched *s)
{
    size_t total = mapping_size(WEFT_FIBER_STACK_DEFAULT);
    if (!s->slab_left) {
        char *slab = map_pages(total * SLAB);
        if (!slab)
            return map_stack(s, WEFT_FIBER_STACK_DEFAULT);
        s->slab_next = slab;
        s->slab_left = SLAB;
    }
    char *map = s->slab_next;
    s->slab_next += total;
    s->slab_left--;
    return carve(s, map, total);
}

static void unmap_stack(weft__sched *s, weft_fiber *f)
{
    weft__count(&s->st.mapped, -1);
    weft__count(&s->st.stack_bytes, -(int64_t)f->map_size);
    munmap(f->map, f->map_size);
}

weft_fiber *weft__stack_acquire(weft__sched *s, size_t stack_size)
{
    if (stack_size == 0 || stack_size == WEFT_FIBER_STACK_DEFAULT) {
        if (s->cache) {
            weft_fiber *f = s->cache;
            s->cache = f->cache_next;
            if (--s->ncached < s->cache_low)
                s->cache_low = s->ncached;
            weft__count(&s->st.cached, -1);
            return f;
        }
        weft_fiber *f = slab_stack(s);
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
    if (f->pooled) {
        f->cache_next = s->cache;
        s->cache = f;
        s->ncached++;
        weft__count(&s->st.cached, 1);
        return;
    }
    unmap_stack(s, f);
}

void weft__stack_trim(weft__sched *s, uint64_t now_ms)
{
    if (now_ms - s->trim_at < TRIM_MS)
        return;
    s->trim_at = now_ms;
    /* cache_low stacks were never taken since the last trim; the cache is
     * a stack (LIFO), so they are the ones at its bottom. */
    uint64_t unused = s->cache_low < s->ncached ? s->cache_low : s->ncached;
    uint64_t keep = s->ncached - unused;
    if (keep < CACHE_KEEP)
        keep = CACHE_KEEP;
    if (s->ncached > keep) {
        weft_fiber **pp = &s->cache;
        for (uint64_t i = 0; i < keep; i++)
            pp = &(*pp)->cache_next;
        weft_fiber *f = *pp;
        *pp = NULL;
        while (f) {
            weft_fiber *next = f->cache_next;
            unmap_stack(s, f);
            f = next;
        }
        weft__count(&s->st.cached, (int64_t)keep - (int64_t)s->ncached);
        s->ncached = keep;
    }
    s->cache_low = s->ncached;
}

void weft__stack_cache_free(weft__sched *s)
{
    while (s->cache) {
        weft_fiber *f = s->cache;
        s->cache = f->cache_next;
        unmap_stack(s, f);
    }
    weft__count(&s->st.cached, -(int64_t)s->ncached);
    s->ncached = s->cache_low = 0;
    if (s->slab_left) /* the never-used rest of the current slab */
        munmap(s->slab_next, s->slab_left * mapping_size(WEFT_FIBER_STACK_DEFAULT));
    s->slab_left = 0;
}
