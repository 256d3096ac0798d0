/* threads.c - the signal mask of the threads weft starts (threads.h). */
#include <pthread.h>

#include "threads.h"

void weft__block_signals_for_thread(sigset_t *old)
{
    sigset_t block;
    sigfillset(&block);
    sigdelset(&block, SIGSEGV);
    sigdelset(&block, SIGBUS);
    sigdelset(&block, SIGFPE);
    sigdelset(&block, SIGILL);
    pthread_sigmask(SIG_BLOCK, &block, old);
}
