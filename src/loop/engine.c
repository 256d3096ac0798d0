/* engine.c - which I/O engine the loops use: libuv's epoll, or io_uring.
 *
 * Chosen once per process, before the first loop is made: by the
 * program (weft_io_select, a server's --io), else by WEFT_IO in the
 * environment (how CI runs the suite once per engine), else the default.
 * A kernel that refuses io_uring (too old, or forbidden by a seccomp
 * policy or kernel.io_uring_disabled) leaves the process on epoll, said
 * once in the log. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "uring.h"

enum { ENGINE_UNSET, ENGINE_EPOLL, ENGINE_URING };

/* The default when nothing is asked for: io_uring, the faster of the two
 * on the machine measured (docs/bench-history.md, round 17). */
#define ENGINE_DEFAULT ENGINE_URING

static _Atomic int engine = ENGINE_UNSET;
static _Atomic int fallback_told;

static int parse(const char *name)
{
    if (!name || !*name || strcmp(name, "auto") == 0)
        return ENGINE_DEFAULT;
    if (strcmp(name, "uring") == 0 || strcmp(name, "io_uring") == 0)
        return ENGINE_URING;
    if (strcmp(name, "epoll") == 0)
        return ENGINE_EPOLL;
    return ENGINE_UNSET;
}

int weft_io_select(const char *name)
{
    int e = parse(name);
    if (e == ENGINE_UNSET)
        return WEFT_EINVAL;
    atomic_store(&engine, e);
    return 0;
}

static int current_engine(void)
{
    int e = atomic_load(&engine);
    if (e == ENGINE_UNSET) {
        const char *env = getenv("WEFT_IO");
        e = parse(env);
        if (e == ENGINE_UNSET) {
            weft_warn("WEFT_IO=%s is neither uring, epoll nor auto: using the default", env);
            e = ENGINE_DEFAULT;
        }
        int unset = ENGINE_UNSET;
        if (!atomic_compare_exchange_strong(&engine, &unset, e))
            e = unset; /* another thread decided first */
    }
    return e;
}

const char *weft_io_engine(void)
{
    return current_engine() == ENGINE_URING ? "io_uring" : "epoll";
}

void weft__engine_open(weft_loop *loop)
{
    if (current_engine() != ENGINE_URING)
        return;
    char why[160];
    if (weft__uring_open(loop, why, sizeof why) == 0)
        return;
    atomic_store(&engine, ENGINE_EPOLL);
    if (!atomic_exchange(&fallback_told, 1))
        weft_warn("io_uring unavailable (%s): using epoll", why);
}
