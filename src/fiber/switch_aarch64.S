/* switch_aarch64.S - context switch for AArch64 (AAPCS64).
 *
 * Saves x19-x28, fp (x29), lr (x30) and the low halves d8-d15 of v8-v15 in
 * a 176-byte frame on the current stack, stores sp in *from, loads to's sp,
 * restores the same set and returns through the restored lr. */
    .text
    .globl weft__ctx_switch
    .hidden weft__ctx_switch  /* internal: not exported from libweft.so */
    .type weft__ctx_switch, %function
weft__ctx_switch:               /* x0 = from (weft__ctx *), x1 = to */
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x2, sp
    str x2, [x0]
    ldr x2, [x1]
    mov sp, x2
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #176
    ret
    .size weft__ctx_switch, .-weft__ctx_switch

/* First frame of a new fiber: x19 = entry, x20 = its argument. */
    .globl weft__ctx_trampoline
    .hidden weft__ctx_trampoline  /* internal: not exported from libweft.so */
    .type weft__ctx_trampoline, %function
weft__ctx_trampoline:
    mov x29, #0
    mov x0, x20
    blr x19
    brk #0                      /* entry never returns */
    .size weft__ctx_trampoline, .-weft__ctx_trampoline

    .section .note.GNU-stack,"",%progbits
