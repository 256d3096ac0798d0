/* stack_dump.c - the backtrace of a loop thread, on request from another
 * thread: what the stall detector prints when a loop does not turn.
 *
 * The asking thread sends SIGURG to the loop's thread (loop threads block
 * every signal but this one); the handler, on the loop's own stack - a
 * fiber's, if one is running - writes the frames to stderr with
 * backtrace_symbols_fd, which allocates nothing. SIGURG's default action
 * is to be ignored, so a stray one harms nothing. glibc's backtrace loads
 * libgcc on first use; that first use happens here, outside any handler. */
#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

#include "loop.h"

#define MAX_FRAMES 48

static void on_dump(int sig)
{
    (void)sig;
    static const char head[] = "weft: backtrace of the stalled loop thread:\n";
    void *frames[MAX_FRAMES];
    int n = backtrace(frames, MAX_FRAMES);
    ssize_t w = write(2, head, sizeof head - 1);
    (void)w;
    backtrace_symbols_fd(frames, n, 2);
}

static void install(void)
{
    void *warm[1];
    backtrace(warm, 1); /* loads libgcc now, not in the handler */
    struct sigaction sa = {0};
    sa.sa_handler = on_dump;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGURG, &sa, NULL);
}

static pthread_once_t installed = PTHREAD_ONCE_INIT;

void weft__loop_allow_dumps(void)
{
    pthread_once(&installed, install);
    sigset_t urg;
    sigemptyset(&urg);
    sigaddset(&urg, SIGURG);
    pthread_sigmask(SIG_UNBLOCK, &urg, NULL);
}

int weft__loop_dump_stack(weft_loop *loop)
{
    if (!loop->running)
        return WEFT_ESTATE; /* runs on its caller's thread: nobody to ask */
    return pthread_kill(loop->thread, SIGURG) ? WEFT_EIO : 0;
}
