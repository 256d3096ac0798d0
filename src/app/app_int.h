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
