/* app_int.h - what the files of the application layer share: options,
 * and the stall detector's thread. */
#ifndef WEFT_SRC_APP_INT_H
#define WEFT_SRC_APP_INT_H

#include <signal.h>
#include <stdlib.h>

#include "../http1/http1.h"
#include "../http2/http2.h"

/* options.c */
void weft__options_parse_common(weft_app *app);
/* -1 to run, else the exit status (--help, a bad value). */
int weft__options_finish(weft_app *app);
void weft__options_free(weft_app *app);

/* app.c: "PROG: listening on http://HOST:PORT (...)" on stderr. */
void weft__app_say_listening(const weft_app *app);

/* fd_budget.c: raises the open-file limit to the hard one, splits it,
 * and fills the limits left at 0 (--max-connections, --max-concurrent,
 * --max-conns-total, --max-conns-per-endpoint); then says so. */
void weft__fd_budget(weft_app *app);
void weft__fd_budget_print(const weft_app *app);

/* sockets.c: binds the listening sockets, one per loop (and one per loop
 * for --redirect-http), or takes those a master passed on through exec;
 * 0 or WEFT_E* (said in the log). */
int weft__sockets_open(weft_app *app);
/* Hands loop i's socket (of the redirect port) over to its caller: the
 * fd, or -1 if none. */
int weft__sockets_take(weft_app *app, int i, int redirect);
/* Before an exec: the sockets stay open in the new program, which finds
 * them in its environment. keep_private undoes it (the exec failed). */
int weft__sockets_pass_on(weft_app *app);
void weft__sockets_keep_private(weft_app *app);
void weft__sockets_close(weft_app *app);

/* advisor.c: the starvation advisor on the control loop (NULL when out
 * of memory); stop before the control loop ends. */
weft_advisor *weft__advisor_start(weft_app *app);
void weft__advisor_stop(weft_advisor *a);

/* health.c: adds GET /healthz and GET /readyz after the app's routes. */
void weft__health_routes(weft_app *app);

/* watchdog.c: starts the stall detector over app's loops (NULL when
 * --stall-ms is 0 or it cannot start); stop joins its thread. */
weft_watchdog *weft__watchdog_start(weft_app *app);
void weft__watchdog_stop(weft_watchdog *w);

#endif
