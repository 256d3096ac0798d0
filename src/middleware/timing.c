/* timing.c - Server-Timing: app;dur=<ms> (weft_mw_timing).
 *
 * The time from this step's before to the answer's head, with
 * microsecond resolution: what a browser's developer tools show next to
 * the network time, so a slow page says whether the server was slow. */

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
    /* "app;dur=" ms "." three digits, by hand: this runs for every answer. */
    char *v = weft_arena_alloc(weft_ctx_arena(c), 40);
    if (!v)
        return;
    memcpy(v, "app;dur=", 8);
    size_t n = 8 + weft_u64_to_dec(v + 8, us / 1000);
    v[n++] = '.';
    v[n++] = (char)('0' + us % 1000 / 100);
    v[n++] = (char)('0' + us % 100 / 10);
    v[n++] = (char)('0' + us % 10);
    v[n] = '\0';
    weft__add_header_kept(c, "Server-Timing", v);
}

weft_middleware weft_mw_timing(void)
{
    return (weft_middleware){.name = "timing", .before = start, .after = stamp};
}
