/* guard.c - turns a fiber stack overflow into a clear report.
 *
 * A fiber that overflows its stack touches the guard page below it and
 * gets SIGSEGV. The handler runs on a per-thread alternate signal stack
 * (the fiber's own stack is exhausted), checks whether the faulting
 * address is in the running fiber's guard page, and if so writes which
 * fiber (its route) overflowed and by how much stack, with only
 * async-signal-safe calls. Then the default action ends the process: a
 * stack overflow is a bug, and carrying on would corrupt memory.
 * Under AddressSanitizer its own handler reports instead. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fiber_int.h"

#define ALTSTACK_SIZE (64 * 1024)

static __thread weft__sched *guard_sched;
#if !WEFT_ASAN
static struct sigaction previous;

static size_t fmt_u(char *out, size_t v)
{
    char tmp[24];
    size_t n = 0, k = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        out[k++] = tmp[--n];
    return k;
}

static void put(char *buf, size_t *len, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n > cap)
        n = cap - *len;
    memcpy(buf + *len, s, n);
    *len += n;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    weft__sched *s = guard_sched;
    weft_fiber *f = s ? s->current : NULL;
    char *addr = si->si_addr;
    if (f && addr >= (char *)f->map && addr < (char *)f->stack_lo + 256) {
        char msg[512];
        size_t len = 0;
        put(msg, &len, sizeof msg, "weft: stack overflow in fiber '");
        put(msg, &len, sizeof msg, f->name ? f->name : "?");
        put(msg, &len, sizeof msg, "' (stack of ");
        char num[24];
        num[fmt_u(num, f->stack_size)] = '\0';
        put(msg, &len, sizeof msg, num);
        put(msg, &len, sizeof msg, " bytes); give the route a larger stack_size\n");
        ssize_t w = write(2, msg, len);
        (void)w;
    }
    /* Fall back to whatever was there before (or the default action). */
    sigaction(sig, &previous, NULL);
    if (previous.sa_handler == SIG_DFL || previous.sa_handler == SIG_IGN)
        return; /* returning re-executes the fault under the default action */
    if (previous.sa_flags & SA_SIGINFO)
        previous.sa_sigaction(sig, si, uc);
    else
        previous.sa_handler(sig);
}

/* Installs the handler unless it is already the current one (someone may
 * have replaced it since); the one it replaces is chained to. */
static void install(void)
{
    struct sigaction cur;
    sigaction(SIGSEGV, NULL, &cur);
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_segv)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous);
}

#endif

void weft__guard_thread_init(weft__sched *s)
{
    guard_sched = s;
#if !WEFT_ASAN
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    s->altstack = malloc(ALTSTACK_SIZE);
    if (s->altstack) {
        stack_t ss = {.ss_sp = s->altstack, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
        sigaltstack(&ss, NULL);
    }
    pthread_mutex_lock(&mu);
    install();
    pthread_mutex_unlock(&mu);
#endif
}

void weft__guard_thread_fini(weft__sched *s)
{
    if (s->altstack) {
        stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
        sigaltstack(&ss, NULL);
        free(s->altstack);
        s->altstack = NULL;
    }
    guard_sched = NULL;
}
