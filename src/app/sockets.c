/* sockets.c - the application's listening sockets: bound once, before any
 * loop or worker process exists, then handed to the loops.
 *
 * There is one socket per loop on the port (SO_REUSEPORT: the kernel
 * spreads connections with no shared lock) and, with --redirect-http,
 * one per loop on that port. In one process each loop takes its socket.
 * Under a master (--processes) the master binds them and keeps them:
 * every worker's loop i accepts from socket i, so a worker that dies
 * leaves no connection stranded in a queue only it read, and a new worker
 * starts on sockets that never closed. A master that re-executes itself
 * for an upgrade passes them on in WEFT_LISTEN_FDS ("3,4;5,6": the port's
 * sockets, then the redirect port's), and the new program takes them
 * instead of binding: no moment without a listener. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app_int.h"

#define ENV_FDS "WEFT_LISTEN_FDS"

static int sock_port(int fd)
{
    struct sockaddr_storage a;
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len))
        return 0;
    return ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
                                         : ((struct sockaddr_in *)&a)->sin_port);
}

/* Reads "3,4" up to ';' or the end into fds; returns how many. */
static int parse_list(const char **p, int *fds, int cap)
{
    int n = 0;
    while (**p && **p != ';') {
        char *end;
        long v = strtol(*p, &end, 10);
        if (end == *p)
            break;
        if (n < cap && v >= 0 && v < 0x7fffffff && fcntl((int)v, F_GETFD) >= 0)
            fds[n++] = (int)v;
        *p = *end == ',' ? end + 1 : end;
    }
    if (**p == ';')
        (*p)++;
    return n;
}

/* Gives each of the loops one of the n inherited sockets in fds: the
 * same ones when there are more loops (a duplicate), closing the rest
 * when there are fewer - a socket nobody accepts from would keep its
 * share of the kernel's connections waiting forever. */
static void fit(int *fds, int n, int *out, int loops)
{
    for (int i = 0; i < loops; i++)
        out[i] = i < n ? fds[i] : n ? fcntl(fds[i % n], F_DUPFD_CLOEXEC, 0) : -1;
    for (int i = loops; i < n; i++)
        close(fds[i]);
}

static int inherit(weft_app *app, const char *env)
{
    int loops = app->cfg.loops;
    int got[512];
    const char *p = env;
    int n = parse_list(&p, got, 256);
    if (n == 0) {
        weft_error("%s='%s' names no open socket", ENV_FDS, env);
        return WEFT_EINVAL;
    }
    fit(got, n, app->listen_fds, loops);
    n = parse_list(&p, got, 256);
    if (n)
        fit(got, n, app->listen_fds + loops, loops);
    for (int i = 0; i < 2 * loops; i++)
        if (app->listen_fds[i] >= 0)
            fcntl(app->listen_fds[i], F_SETFD, FD_CLOEXEC);
    app->bound_port = sock_port(app->listen_fds[0]);
    app->redirect_port = n ? sock_port(app->listen_fds[loops]) : 0;
    return 0;
}

/* Binds loops sockets to port (0: any, then the one the first got). The
 * first checks that no other program holds the port. */
static int bind_all(weft_app *app, int *fds, int port, int *bound, const char *what)
{
    char why[160];
    int rc = port ? weft__port_free(app->cfg.host, port, why, sizeof why) : 0;
    for (int i = 0; !rc && i < app->cfg.loops; i++) {
        int fd = weft__listen_socket(app->cfg.host, i ? *bound : port, bound, why, sizeof why);
        if (fd < 0)
            rc = fd;
        else
            fds[i] = fd;
    }
    if (rc)
        weft_error("%s%s", what, why);
    return rc;
}

int weft__sockets_open(weft_app *app)
{
    int loops = app->cfg.loops;
    app->nlisten = 2 * loops;
    app->listen_fds = malloc((size_t)app->nlisten * sizeof *app->listen_fds);
    if (!app->listen_fds)
        return WEFT_ENOMEM;
    for (int i = 0; i < app->nlisten; i++)
        app->listen_fds[i] = -1;
    const char *env = getenv(ENV_FDS);
    if (env) {
        int rc = inherit(app, env);
        unsetenv(ENV_FDS); /* not for whatever this program starts */
        return rc;
    }
    int rc = bind_all(app, app->listen_fds, app->cfg.port, &app->bound_port, "");
    if (!rc && app->cfg.redirect_http_port >= 0)
        rc = bind_all(app, app->listen_fds + loops, app->cfg.redirect_http_port,
                      &app->redirect_port, "--redirect-http: ");
    return rc;
}

int weft__sockets_take(weft_app *app, int i, int redirect)
{
    int *slot = &app->listen_fds[(redirect ? app->cfg.loops : 0) + i];
    int fd = *slot;
    *slot = -1;
    return fd;
}

int weft__sockets_pass_on(weft_app *app)
{
    char list[4096];
    size_t len = 0;
    int loops = app->cfg.loops;
    for (int i = 0; i < app->nlisten; i++) {
        int fd = app->listen_fds[i];
        if (i == loops && len + 2 < sizeof list)
            list[len++] = ';';
        if (fd < 0)
            continue;
        if (fcntl(fd, F_SETFD, 0))
            return WEFT_EINVAL;
        int n = snprintf(list + len, sizeof list - len, "%s%d",
                         len && list[len - 1] != ';' ? "," : "", fd);
        if (n < 0 || (size_t)n >= sizeof list - len)
            return WEFT_EINVAL;
        len += (size_t)n;
    }
    list[len] = '\0';
    return setenv(ENV_FDS, list, 1) ? WEFT_ENOMEM : 0;
}

void weft__sockets_keep_private(weft_app *app)
{
    for (int i = 0; i < app->nlisten; i++)
        if (app->listen_fds[i] >= 0)
            fcntl(app->listen_fds[i], F_SETFD, FD_CLOEXEC);
    unsetenv(ENV_FDS);
}

void weft__sockets_close(weft_app *app)
{
    for (int i = 0; i < app->nlisten; i++)
        if (app->listen_fds[i] >= 0) {
            close(app->listen_fds[i]);
            app->listen_fds[i] = -1;
        }
}
