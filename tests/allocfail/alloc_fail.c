/* alloc_fail.c - allocation-failure injection for the test builds
 * weft-hello-allocfail and weft-client-app-allocfail (tests/CMakeLists.txt).
 *
 * Those binaries are linked with -Wl,--wrap=malloc,calloc,realloc,strdup,
 * strndup: every allocation that weft's own code makes comes here first
 * (libc's, libuv's and nghttp2's own do not - they are other libraries).
 * Nothing fails until the process gets SIGUSR2; from then on the
 * allocations are counted, and the one numbered WEFT_ALLOC_FAIL_NTH (0 =
 * the first) returns NULL, once. At exit the count since arming goes to
 * stderr ("allocations since armed: K"), which is how the test learns
 * how many N to try. */
#define _GNU_SOURCE
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

static long fail_nth = -1;
static atomic_int armed;
static atomic_long counted;

static int fail_now(void)
{
    if (!atomic_load_explicit(&armed, memory_order_relaxed))
        return 0;
    if (atomic_fetch_add(&counted, 1) != fail_nth)
        return 0;
    /* Where it failed, for the one reading a failed run's log. */
    void *frames[16];
    int n = backtrace(frames, 16);
    static const char msg[] = "alloc_fail: failing this allocation:\n";
    (void)!write(2, msg, sizeof msg - 1);
    backtrace_symbols_fd(frames, n, 2);
    return 1;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    return fail_now() ? NULL : __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return fail_now() ? NULL : __real_strndup(s, n);
}

/* SIGUSR2 is taken synchronously by a thread of its own (sigwait): a
 * handler, under ThreadSanitizer, runs only when the thread it landed on
 * next enters the runtime, and an idle server's threads may not. */
static void *arm_thread(void *arg)
{
    sigset_t *set = arg;
    int sig;
    if (sigwait(set, &sig) == 0) {
        atomic_store(&armed, 1);
        static const char msg[] = "alloc_fail: armed\n";
        (void)!write(2, msg, sizeof msg - 1);
    }
    return NULL;
}

static void report(void)
{
    if (atomic_load(&armed))
        fprintf(stderr, "alloc_fail: allocations since armed: %ld\n", atomic_load(&counted));
}

__attribute__((constructor)) static void setup(void)
{
    const char *n = getenv("WEFT_ALLOC_FAIL_NTH");
    fail_nth = n ? atol(n) : -1;
    /* Blocked here, before main, so every thread the program starts
     * inherits the mask and only arm_thread takes the signal. */
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t t;
    pthread_create(&t, NULL, arm_thread, &set);
    pthread_detach(t);
    atexit(report);
}
