/* switch_ucontext.c - portable fallback context switch on ucontext(3).
 * Slower (it saves the signal mask with a system call per switch), used
 * where no assembly switch exists or when asked for at build time. */
#ifdef WEFT_FIBER_UCONTEXT
#include <stdint.h>
#include <stdlib.h>

#include "switch.h"

/* makecontext passes int arguments only: split the pointers. */
static void start(unsigned e_hi, unsigned e_lo, unsigned a_hi, unsigned a_lo)
{
    void (*entry)(void *) =
        (void (*)(void *))(uintptr_t)(((uint64_t)e_hi << 32) | (uint64_t)e_lo);
    void *arg = (void *)(uintptr_t)(((uint64_t)a_hi << 32) | (uint64_t)a_lo);
    entry(arg);
    abort();
}

void weft__ctx_make(weft__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *), void *arg)
{
    getcontext(&ctx->uc);
    ctx->uc.uc_stack.ss_sp = stack_lo;
    ctx->uc.uc_stack.ss_size = size;
    ctx->uc.uc_link = NULL;
    uint64_t e = (uint64_t)(uintptr_t)entry, a = (uint64_t)(uintptr_t)arg;
    makecontext(&ctx->uc, (void (*)(void))start, 4, (unsigned)(e >> 32), (unsigned)e,
                (unsigned)(a >> 32), (unsigned)a);
}

void weft__ctx_switch(weft__ctx *from, weft__ctx *to)
{
    swapcontext(&from->uc, &to->uc);
}
#endif
