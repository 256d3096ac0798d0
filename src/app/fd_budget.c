/* fd_budget.c - what the open-file limit lets a process hold, and the
 * limits that follow from it.
 *
 * Every client connection, every backend connection, every file a handler
 * opens comes out of one table of RLIMIT_NOFILE descriptors. Run into it
 * and accept() fails with EMFILE (libuv then accepts and drops waiting
 * clients to stay alive) and connect() to a backend fails: at 10,000
 * clients a proxy with a 20,000 limit could not hold 10,000 client and
 * 10,000 backend sockets and failed some of each. So the limit is
 * budgeted once, at start: the soft limit is raised to the hard one, a
 * reserve is kept for files, log pipes, the loops' own descriptors and
 * libraries, and the rest is split evenly between connections from
 * clients (--max-connections, at which the listeners pause and the
 * kernel's listen queue holds newcomers) and connections to backends
 * (--max-conns-total and --max-conns-per-endpoint, past which calls wait
 * for a slot within their deadline). --max-concurrent follows the
 * clients' part: an HTTP/1.1 request holds its connection. A limit given
 * on the command line is kept as given. */
#include <stdio.h>
#include <sys/resource.h>

#include "app_int.h"

/* glibc's and the kernel's usual ceiling (fs.nr_open) for an infinite
 * hard limit. */
#define NOFILE_CEILING 1048576u

static void raise_soft_limit(struct rlimit *rl)
{
    if (getrlimit(RLIMIT_NOFILE, rl)) {
        rl->rlim_cur = rl->rlim_max = 1024;
        return;
    }
    rlim_t want = rl->rlim_max == RLIM_INFINITY ? NOFILE_CEILING : rl->rlim_max;
    if (rl->rlim_cur >= want)
        return;
    struct rlimit raised = {.rlim_cur = want, .rlim_max = rl->rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
        rl->rlim_cur = want;
}

static int clamp_int(uint64_t v)
{
    return v > 0x7fffffff ? 0x7fffffff : v < 1 ? 1 : (int)v;
}

void weft__fd_budget(weft_app *app)
{
    struct rlimit rl;
    raise_soft_limit(&rl);
    uint64_t files = rl.rlim_cur == RLIM_INFINITY ? NOFILE_CEILING : (uint64_t)rl.rlim_cur;
    /* Per loop: its epoll, eventfd, timers' and listeners' descriptors;
     * and a sixteenth of the table for what handlers and libraries open. */
    uint64_t reserve = 128 + 8 * (uint64_t)app->cfg.loops + files / 16;
    uint64_t usable = files > 2 * reserve ? files - reserve : files / 2;
    weft_fd_budget *b = &app->fd_budget;
    b->files = files;
    b->reserve = files - usable;
    b->clients = usable / 2;
    b->backends = usable - b->clients;
    weft_config *cfg = &app->cfg;
    if (cfg->max_connections <= 0)
        cfg->max_connections = clamp_int(b->clients);
    if (cfg->max_concurrent <= 0)
        cfg->max_concurrent = cfg->max_connections;
    if (cfg->max_conns_total <= 0)
        cfg->max_conns_total = clamp_int(b->backends);
    if (cfg->max_conns_per_endpoint <= 0)
        cfg->max_conns_per_endpoint = cfg->max_conns_total;
}

void weft__fd_budget_print(const weft_app *app)
{
    const weft_fd_budget *b = &app->fd_budget;
    const weft_config *cfg = &app->cfg;
    weft_info("fd budget%s: %llu files: %llu for clients, %llu for backends, %llu kept back; "
              "--max-connections %d, --max-concurrent %d, --max-conns-total %d, "
              "--max-conns-per-endpoint %d",
              cfg->processes > 1 ? " per process" : "", (unsigned long long)b->files,
              (unsigned long long)b->clients, (unsigned long long)b->backends,
              (unsigned long long)b->reserve, cfg->max_connections, cfg->max_concurrent,
              cfg->max_conns_total, cfg->max_conns_per_endpoint);
}
