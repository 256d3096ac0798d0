/* switch_cost.c - measures the bare context switch, the floor under await.
 *
 * Benchmarks compare weft_await's round trip with this to tell the
 * scheduler's share from the hardware's (docs/bench-history.md, S6). It uses
 * the same switch the fibers use, on a stack of its own, on the calling
 * thread; nothing else of the scheduler is touched. */
#include <stdlib.h>

#include "switch.h"
#include "weft/fiber.h"

#define COST_STACK 65536

static __thread weft__ctx home, away;

static void bounce(void *arg)
{
    (void)arg;
    for (;;)
        weft__ctx_switch(&away, &home);
}

double weft_fiber_switch_pair_ns(long n)
{
    char *stack = aligned_alloc(64, COST_STACK);
    if (!stack || n <= 0) {
        free(stack);
        return -1;
    }
    weft__ctx_make(&away, stack, COST_STACK, bounce, NULL);
    uint64_t t0 = weft_now_ns();
    for (long i = 0; i < n; i++)
        weft__ctx_switch(&home, &away);
    double ns = (double)(weft_now_ns() - t0) / (double)n;
    free(stack); /* `away` is parked inside bounce: never resumed again */
    return ns;
}
