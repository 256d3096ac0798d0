/* switch.h - the machine-level context switch, one implementation chosen at
 * build time: switch_x86_64.S, switch_aarch64.S, or switch_ucontext.c. */
#ifndef WEFT_SRC_FIBER_SWITCH_H
#define WEFT_SRC_FIBER_SWITCH_H

#include <stddef.h>

#ifdef WEFT_FIBER_UCONTEXT
#include <ucontext.h>
typedef struct weft__ctx {
    ucontext_t uc;
} weft__ctx;
#else
typedef struct weft__ctx {
    void *sp; /* saved stack pointer; callee-saved registers are on the stack */
} weft__ctx;
#endif

/* Prepares ctx so that switching to it calls entry(arg) on the stack
 * [stack_lo, stack_lo + size). entry must never return. */
void weft__ctx_make(weft__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *), void *arg);
/* Saves the current context in from and resumes to. */
void weft__ctx_switch(weft__ctx *from, weft__ctx *to);

#endif
