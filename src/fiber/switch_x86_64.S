/* switch_x86_64.S - context switch for x86-64 System V.
 *
 * Saves the callee-saved registers (rbp, rbx, r12-r15), the SSE control
 * word and the x87 control word on the current stack, stores the stack
 * pointer in *from, loads to's stack pointer and restores the same set.
 * Everything else is caller-saved, so the C compiler has already spilled
 * it around the call.
 *
 * The control words are reloaded only when they differ from the current
 * ones: ldmxcsr and fldcw cost ~14 ns a switch pair on this machine and
 * almost never change anything (measured in docs/benchmarks.md, S6).
 * They are read back as 4 and 2 bytes, the sizes they were stored at:
 * one 8-byte load over the two fresh stores cannot be forwarded from the
 * store buffer and stalled each switch (perf annotate put half of the
 * function's samples there). Only MXCSR's control bits are compared: its
 * low six bits are sticky exception flags, which the ABI leaves
 * caller-saved; comparing them too made almost every switch take the slow
 * reload, as any inexact floating-point operation sets one.
 *
 * It leaves by an indirect jump, not `ret`: the processor predicts a
 * return from its stack of recent calls, which here are the other side's,
 * so every switch's `ret` was mispredicted; the jump is predicted like
 * any other (a switch pair went from 24 to 7 ns, an await round trip from
 * 79 to 69, weft-micro). The return address it takes is the one `call`
 * pushed on the side it resumes. */
    .text
    .globl weft__ctx_switch
    .hidden weft__ctx_switch  /* internal: not exported from libweft.so */
    .type weft__ctx_switch, @function
weft__ctx_switch:               /* rdi = from (weft__ctx *), rsi = to */
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq $0                    /* slot: mxcsr in bytes 0-3, x87 cw in 4-5 */
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movl (%rsp), %ecx           /* the current words, each read back at the */
    movzwl 4(%rsp), %edx        /* size it was stored (see below) */
    movq %rsp, (%rdi)
    movq (%rsi), %rsp
    movl (%rsp), %eax
    xorl %ecx, %eax
    testl $0xffc0, %eax         /* MXCSR control bits only: the status */
    jne 2f                      /* flags (0-5) are caller-saved, sticky */
    cmpw 4(%rsp), %dx
    jne 2f
1:
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    popq %rcx                   /* not `ret`: see above */
    jmpq *%rcx
2:
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    jmp 1b
    .cfi_endproc
    .size weft__ctx_switch, .-weft__ctx_switch

/* First frame of a new fiber: weft__ctx_make put entry in r12 and its
 * argument in r13; the stack is 16-byte aligned here. */
    .globl weft__ctx_trampoline
    .hidden weft__ctx_trampoline  /* internal: not exported from libweft.so */
    .type weft__ctx_trampoline, @function
weft__ctx_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq %r13, %rdi
    callq *%r12
    ud2                         /* entry never returns */
    .cfi_endproc
    .size weft__ctx_trampoline, .-weft__ctx_trampoline

    .section .note.GNU-stack,"",@progbits
