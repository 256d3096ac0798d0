/* threads.h - the signal mask of the threads weft starts, and the one
 * step of their bounded spin-waits. */
#ifndef WEFT_SRC_BASE_THREADS_H
#define WEFT_SRC_BASE_THREADS_H

#include <sched.h>
#include <signal.h>

/* Blocks, on the calling thread, every signal a thread it is about to
 * create should leave to the control thread (old gets the mask to put
 * back after pthread_create): a process-directed signal goes to a thread
 * that does not block it, and a loop, a pool worker or the log writer
 * taking SIGHUP or SIGTERM would run its default action - the end of the
 * process. Not the faults - SIGSEGV, SIGBUS, SIGFPE, SIGILL: a fault on a
 * thread that blocks its signal kills the process without running any
 * handler, and the handlers are what report a fiber's stack overflow or
 * a worker process's crash with the route it ran. */
void weft__block_signals_for_thread(sigset_t *old);

/* Round i (from 1) of a spin-wait for another thread (a pool worker
 * waiting for a job, a loop for a job's completion): a few rounds of the
 * processor's spin hint, then the core is yielded each round - cores are
 * few, and the thread waited for may need this one (weft-micro: a round
 * trip with one of two workers busy on a core took 20-29 us pausing for
 * 512 rounds first, 4 us for 32). */
static inline void weft__spin_round(unsigned i)
{
    if (i >= 32) {
        sched_yield();
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

#endif
