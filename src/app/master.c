/* master.c - --processes N: one master process holds the listening
 * sockets and keeps N worker processes serving from them.
 *
 * A server in C runs its users' C: one bad pointer in a handler ends the
 * process that ran it, and every connection it held. Under a master that
 * is one worker of N: the others keep serving from the same sockets, and
 * the master starts a replacement at once and logs the signal and the
 * route the worker was running (its crash handler leaves both in the
 * shared slot). Separate processes also have separate open-file tables:
 * each worker gets the whole fd budget.
 *
 * The master is single-threaded and never serves: it waits for signals
 * (sigtimedwait, 100 ms at a time) and acts on them.
 *   SIGCHLD  a worker ended: logged; replaced unless it was asked to go.
 *            Workers that die within a second of starting are replaced
 *            more and more slowly (a crash at start would otherwise fork
 *            in a loop).
 *   SIGUSR1  a worker's loops accept (it also says so in its slot).
 *   SIGHUP   a new generation of N workers starts (each loads its
 *            certificates and files afresh); once all of them accept,
 *            the old ones get SIGTERM and finish what they hold. Both
 *            generations accept from the same sockets meanwhile, so no
 *            connection is refused. A new worker that dies before it is
 *            ready, or a generation not ready in 30 s, abandons the
 *            reload and the old workers stay.
 *   SIGUSR2  upgrade: the master executes its binary anew (the same path,
 *            so a new file installed there), passing on the listening
 *            sockets and its workers; the new program starts its own
 *            workers and retires the old ones as SIGHUP does. The PID
 *            stays the same, which is what a service manager watches.
 *   SIGTERM, SIGINT  every worker drains; the master closes its copy of
 *            the sockets (the port refuses once the last worker has
 *            closed its own) and exits when they are all gone. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"
#include "app_int.h"
#include "procs.h"

#define MAX_PROCS 1024
#define RELOAD_TIMEOUT_MS 30000
#define ENV_OLD_WORKERS "WEFT_OLD_WORKERS"

typedef struct worker {
    pid_t pid;
    int slot;      /* in the shared mapping; -1 for a previous program's */
    int gen;       /* the generation it belongs to */
    int retiring;  /* sent SIGTERM: its end is expected */
    int announced; /* its readiness was logged */
    int replaces;  /* it took the place of one that died */
    uint64_t started_ms;
} worker;

typedef struct master {
    weft_app *app;
    weft_procs *procs;
    pid_t pid;
    worker w[MAX_PROCS];
    int nw;
    int gen;          /* the generation that serves */
    int reloading;    /* the generation being started (gen + 1), or 0 */
    uint64_t reload_deadline;
    int to_start;     /* replacements owed */
    int started;      /* workers forked so far */
    int said_listening;
    int exit_status;  /* 1 when the first workers could not start */
    int fast_deaths;  /* in a row, each within a second of its start */
    uint64_t start_at;
    int stopping;
    sigset_t watched, old_mask;
    char self[PATH_MAX];
} master;

static uint64_t now_ms(void)
{
    return weft_now_ns() / 1000000u;
}

/* ---- the shared mapping ---------------------------------------------------- */

static weft_procs *procs_map(int nslots)
{
    size_t size = sizeof(weft_procs) + (size_t)nslots * sizeof(weft_proc_slot);
    weft_procs *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    p->nslots = nslots;
    return p;
}

static int free_slot(master *m)
{
    for (int i = 0; i < m->procs->nslots; i++)
        if (atomic_load(&m->procs->slots[i].pid) == 0)
            return i;
    return -1;
}

/* ---- workers ----------------------------------------------------------------- */

/* Forks a worker of generation gen. Returns 1 in the new worker, 0 in
 * the master (a failure is logged and the start owed). */
static int spawn(master *m, int gen, int replaces)
{
    int slot = free_slot(m);
    if (slot < 0 || m->nw == MAX_PROCS) {
        weft_error("no room for another worker process (%d running)", m->nw);
        return 0;
    }
    weft_proc_slot *s = &m->procs->slots[slot];
    memset(s, 0, sizeof *s); /* before the fork: the worker writes it */
    weft__log_stop_writer(); /* fork with no thread but this one */
    pid_t pid = fork();
    if (pid < 0) {
        weft_error("cannot start a worker process: %s", strerror(errno));
        m->to_start++;
        m->start_at = now_ms() + 1000;
        return 0;
    }
    if (pid == 0) {
        /* A worker outlives no master: were it SIGKILLed, its workers
         * would serve on with nobody to replace or stop them. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != m->pid)
            _exit(1);
        /* Its own process group: a terminal's Ctrl-C reaches the master
         * alone, which passes it on once - twice would be the "second
         * signal: exit now" that skips draining. */
        setpgid(0, 0);
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_SETMASK, &m->old_mask, NULL);
        atomic_store(&s->pid, getpid());
        m->app->procs = m->procs;
        m->app->proc_slot = slot;
        return 1;
    }
    atomic_store(&s->pid, pid);
    m->w[m->nw++] = (worker){
        .pid = pid, .slot = slot, .gen = gen, .replaces = replaces, .started_ms = now_ms()};
    m->started++;
    return 0;
}

static worker *find(master *m, pid_t pid)
{
    for (int i = 0; i < m->nw; i++)
        if (m->w[i].pid == pid)
            return &m->w[i];
    return NULL;
}

static int ready(master *m, const worker *w)
{
    return w->slot < 0 || atomic_load(&m->procs->slots[w->slot].ready);
}

static void remove_worker(master *m, worker *w)
{
    if (w->slot >= 0)
        atomic_store(&m->procs->slots[w->slot].pid, 0);
    *w = m->w[--m->nw];
}

static const char *signame(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    case SIGXCPU: return "SIGXCPU";
    default: return "another signal";
    }
}

/* "was killed by signal 11 (SIGSEGV) while running 'GET /crash'" */
static void describe(master *m, const worker *w, int status, char *out, size_t cap)
{
    if (WIFEXITED(status)) {
        snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
        return;
    }
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    const char *in = "";
    if (w->slot >= 0 && atomic_load(&m->procs->slots[w->slot].crash_signal) == sig) {
        weft_proc_slot *s = &m->procs->slots[w->slot];
        s->crashed_in[sizeof s->crashed_in - 1] = '\0';
        in = s->crashed_in;
    }
    snprintf(out, cap, "was killed by signal %d (%s)%s%s%s", sig, signame(sig),
             *in ? " while running '" : "", in, *in ? "'" : "");
}

static void send_all(master *m, int sig, int gen_below)
{
    for (int i = 0; i < m->nw; i++)
        if (m->w[i].gen < gen_below) {
            if (sig == SIGTERM)
                m->w[i].retiring = 1;
            kill(m->w[i].pid, sig);
        }
}

static void abandon_reload(master *m, const char *why)
{
    weft_error("reload abandoned: %s; the running workers stay", why);
    for (int i = 0; i < m->nw; i++)
        if (m->w[i].gen == m->reloading) {
            m->w[i].retiring = 1;
            kill(m->w[i].pid, SIGTERM);
        }
    m->reloading = 0;
}

static void stop(master *m, int sig);

static void reap(master *m)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        worker *w = find(m, pid);
        if (!w)
            continue;
        char how[200], who[64];
        describe(m, w, status, how, sizeof how);
        if (w->slot < 0)
            snprintf(who, sizeof who, "the previous program's worker (pid %d)", (int)pid);
        else
            snprintf(who, sizeof who, "worker %d (pid %d)", w->slot + 1, (int)pid);
        if (m->stopping || w->retiring) {
            weft_info("%s %s", who,
                      WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "finished" : how);
            remove_worker(m, w);
        } else if (!m->said_listening && !ready(m, w)) {
            /* The first workers cannot start (a certificate that does not
             * load, a port...): restarting them would only repeat it. */
            weft_error("%s %s before it was ready; stopping", who, how);
            remove_worker(m, w);
            m->exit_status = 1;
            stop(m, SIGTERM);
        } else if (m->reloading && w->gen == m->reloading && !ready(m, w)) {
            weft_error("new %s %s before it was ready", who, how);
            remove_worker(m, w);
            abandon_reload(m, "a new worker failed to start");
        } else {
            uint64_t lived = now_ms() - w->started_ms;
            m->fast_deaths = lived < 1000 ? m->fast_deaths + 1 : 0;
            weft_error("%s %s; starting another", who, how);
            remove_worker(m, w);
            m->to_start++;
            if (m->fast_deaths >= 3) { /* 1 s, 2 s, ... up to 10 s between tries */
                uint64_t wait = 1000u * (uint64_t)(m->fast_deaths - 2);
                m->start_at = now_ms() + (wait > 10000 ? 10000 : wait);
            }
        }
    }
}

/* Starts the replacements owed, when their time has come. */
static int start_owed(master *m)
{
    while (m->to_start > 0 && !m->stopping && now_ms() >= m->start_at) {
        m->to_start--;
        if (spawn(m, m->gen, 1))
            return 1;
    }
    return 0;
}

/* Says when a worker starts to accept, and how long it took. */
static void announce_ready(master *m)
{
    for (int i = 0; i < m->nw; i++) {
        worker *w = &m->w[i];
        if (!w->announced && w->slot >= 0 && ready(m, w)) {
            w->announced = 1;
            /* a replacement is news even with --quiet */
            weft_log(w->replaces ? WEFT_LOG_WARN : WEFT_LOG_INFO,
                     "worker %d (pid %d) is ready (%d started) in %llu ms%s", w->slot + 1,
                     (int)w->pid, m->started, (unsigned long long)(now_ms() - w->started_ms),
                     w->replaces ? ", in place of the one that died" : "");
        }
    }
    /* The port is announced once the first workers all accept, so that
     * whoever waits for the line finds the server serving. */
    int up = 0;
    for (int i = 0; i < m->nw; i++)
        up += m->w[i].slot >= 0 && ready(m, &m->w[i]);
    if (!m->said_listening && up >= m->app->cfg.processes) {
        m->said_listening = 1;
        weft__app_say_listening(m->app);
    }
}

/* The new generation accepts: the old one finishes what it holds. */
static void check_reload(master *m)
{
    if (!m->reloading)
        return;
    int n = 0, up = 0;
    for (int i = 0; i < m->nw; i++)
        if (m->w[i].gen == m->reloading && !m->w[i].retiring) {
            n++;
            up += ready(m, &m->w[i]);
        }
    if (n && up == n) {
        weft_info("%d new workers accept; the previous ones finish their requests", n);
        send_all(m, SIGTERM, m->reloading);
        m->gen = m->reloading;
        m->reloading = 0;
    } else if (now_ms() > m->reload_deadline) {
        abandon_reload(m, "the new workers were not ready in 30 s");
    }
}

static int reload(master *m, const char *why)
{
    if (m->reloading) {
        weft_warn("%s: a reload is already under way", why);
        return 0;
    }
    m->reloading = m->gen + 1;
    m->reload_deadline = now_ms() + RELOAD_TIMEOUT_MS;
    weft_info("%s: starting %d new workers", why, m->app->cfg.processes);
    for (int i = 0; i < m->app->cfg.processes; i++)
        if (spawn(m, m->reloading, 0))
            return 1;
    return 0;
}

/* ---- upgrade: the binary again, sockets and workers passed on ------------------ */

static void upgrade(master *m)
{
    if (m->reloading) {
        weft_warn("SIGUSR2: a reload is under way; try again when it is done");
        return;
    }
    char list[MAX_PROCS * 12] = "";
    size_t len = 0;
    for (int i = 0; i < m->nw; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%d", i ? "," : "",
                                (int)m->w[i].pid);
    if (weft__sockets_pass_on(m->app) || setenv(ENV_OLD_WORKERS, list, 1)) {
        weft_error("SIGUSR2: cannot pass the sockets on; carrying on");
        weft__sockets_keep_private(m->app);
        return;
    }
    weft_info("SIGUSR2: executing %s; its workers take over from the %d running", m->self, m->nw);
    weft_log_sync();
    /* The signals stay blocked across exec: the new master waits for
     * them the same way, and none is lost in between. */
    execv(m->self, m->app->orig_argv);
    int err = errno;
    weft__sockets_keep_private(m->app);
    unsetenv(ENV_OLD_WORKERS);
    weft_error("SIGUSR2: cannot execute %s: %s; carrying on", m->self, strerror(err));
}

/* The workers a previous program of this PID left: ours to retire. */
static void adopt_old_workers(master *m)
{
    const char *env = getenv(ENV_OLD_WORKERS);
    if (!env)
        return;
    for (const char *p = env; *p;) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        if (pid > 0 && m->nw < MAX_PROCS)
            m->w[m->nw++] = (worker){.pid = (pid_t)pid, .slot = -1, .gen = -1};
        p = *end == ',' ? end + 1 : end;
    }
    unsetenv(ENV_OLD_WORKERS);
}

/* ---- signals ------------------------------------------------------------------ */

static void on_sigchld(int sig)
{
    (void)sig; /* only to be waited for: SIG_DFL would discard it */
}

static void stop(master *m, int sig)
{
    if (m->stopping) { /* a second one: the workers stop at once */
        send_all(m, sig, INT_MAX);
        return;
    }
    m->stopping = sig;
    weft_info("stopping: %d workers finish their requests", m->nw);
    weft__sockets_close(m->app);
    send_all(m, sig, INT_MAX);
}

/* Returns 1 in a worker that was just forked. */
static int on_signal(master *m, int sig)
{
    switch (sig) {
    case SIGCHLD:
        break; /* reaped below, every turn */
    case SIGTERM:
    case SIGINT:
        stop(m, sig);
        break;
    case SIGHUP:
        if (!m->stopping)
            return reload(m, "SIGHUP");
        break;
    case SIGUSR2:
        if (!m->stopping)
            upgrade(m);
        break;
    default:
        break;
    }
    return 0;
}

int weft__master_run(weft_app *app)
{
    static master m; /* large, and a forked worker must not free it */
    memset(&m, 0, sizeof m);
    m.app = app;
    m.pid = getpid();
    ssize_t n = readlink("/proc/self/exe", m.self, sizeof m.self - 1);
    if (n <= 0) {
        weft_error("cannot find this program's own path: %s", strerror(errno));
        return 1;
    }
    m.self[n] = '\0';
    int nproc = app->cfg.processes;
    m.procs = procs_map(2 * nproc + 2); /* two generations during a reload */
    if (!m.procs) {
        weft_error("cannot map the workers' shared memory: %s", strerror(errno));
        return 1;
    }
    sigemptyset(&m.watched);
    int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&m.watched, sigs[i]);
    sigprocmask(SIG_BLOCK, &m.watched, &m.old_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigdelset(&m.old_mask, sigs[i]); /* a worker hears them all */
    signal(SIGCHLD, on_sigchld);

    adopt_old_workers(&m);
    if (m.nw) { /* an upgrade: the new workers take over from these */
        if (reload(&m, "upgraded"))
            return -1;
    } else {
        for (int i = 0; i < nproc; i++)
            if (spawn(&m, 0, 0))
                return -1;
    }
    while (!m.stopping || m.nw > 0) {
        siginfo_t si;
        struct timespec wait = {0, 100 * 1000000};
        int sig = sigtimedwait(&m.watched, &si, &wait);
        if (sig > 0 && on_signal(&m, sig))
            return -1;
        reap(&m);
        if (start_owed(&m))
            return -1;
        announce_ready(&m);
        check_reload(&m);
    }
    weft_info("stopped");
    weft_log_sync();
    munmap(m.procs, sizeof(weft_procs) + (size_t)m.procs->nslots * sizeof(weft_proc_slot));
    return m.exit_status;
}
