/* switch_asm.c - builds the first frame of a fiber for the assembly
 * switches: the frame weft__ctx_switch will pop, returning into the
 * trampoline with the entry point and its argument in callee-saved
 * registers. */
#ifndef WEFT_FIBER_UCONTEXT
#include <stdint.h>
#include <string.h>

#include "switch.h"

void weft__ctx_trampoline(void);

void weft__ctx_make(weft__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *), void *arg)
{
    uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
#if defined(__x86_64__)
    /* `ret` pops the trampoline address at top-24, leaving rsp 16-aligned
     * for the trampoline's call (the callee then sees rsp = 8 mod 16, as
     * the ABI requires at function entry). */
    uint64_t *sp = (uint64_t *)(top - 24);
    sp[2] = 0;
    sp[1] = 0;
    sp[0] = (uint64_t)(uintptr_t)weft__ctx_trampoline;
    *--sp = 0;                          /* rbp */
    *--sp = 0;                          /* rbx */
    *--sp = (uint64_t)(uintptr_t)entry; /* r12 */
    *--sp = (uint64_t)(uintptr_t)arg;   /* r13 */
    *--sp = 0;                          /* r14 */
    *--sp = 0;                          /* r15 */
    *--sp = 0x037F00001F80ull;          /* mxcsr = 0x1F80, x87 cw = 0x037F */
    ctx->sp = sp;
#elif defined(__aarch64__)
    uint64_t *sp = (uint64_t *)(top - 176);
    memset(sp, 0, 176);
    sp[0] = (uint64_t)(uintptr_t)entry;                 /* x19 */
    sp[1] = (uint64_t)(uintptr_t)arg;                   /* x20 */
    sp[11] = (uint64_t)(uintptr_t)weft__ctx_trampoline; /* x30 (lr) */
    ctx->sp = sp;
#else
#error "no assembly context switch for this architecture: build with WEFT_FIBER_UCONTEXT"
#endif
}
#endif
