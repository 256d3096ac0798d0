/* threads.h - the signal mask of the threads weft starts. */
#ifndef WEFT_SRC_BASE_THREADS_H
#define WEFT_SRC_BASE_THREADS_H

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

#endif
