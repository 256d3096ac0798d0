/* timing.c - Server-Timing: app;dur=<ms> (weft_mw_timing).
 *
 * The time from this step's before to the answer's head, with
 * microsecond resolution: what a browser's developer tools show next to
 * the network time, so a slow page says whether the server was slow. */
#include <inttypes.h>
#include <stdio.h>

#include "../server/server.h"

#define KEY "weft.timing.start"

static int start(weft_ctx *c, void *arg)
{
    (void)arg;
    /* The start fits in the bag's pointer: no allocation of its own. */
    weft_bag_set(c, KEY, (void *)(uintptr_t)weft_now_ns());
    return WEFT_NEXT;
}

static void stamp(weft_ctx *c, weft_out *out, void *arg)
{
    (void)out;
    (void)arg;
    uint64_t t0 = (uint64_t)(uintptr_t)weft_bag_get(c, KEY);
    if (!t0)
        return;
    uint64_t us = (weft_now_ns() - t0) / 1000;
    char v[48];
    snprintf(v, sizeof v, "app;dur=%" PRIu64 ".%03" PRIu64, us / 1000, us % 1000);
    weft_add_header(c, "Server-Timing", v);
}

weft_middleware weft_mw_timing(void)
{
    return (weft_middleware){.name = "timing", .before = start, .after = stamp};
}
