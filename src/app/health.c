/* health.c - GET /healthz and GET /readyz, which every app answers unless
 * it routes those paths itself: what a load balancer or an orchestrator
 * asks before sending traffic. Callback handlers: they answer on the loop
 * at once, whatever the pool or the backends are doing. */
#include "app_int.h"

static void healthz(weft_ctx *c)
{
    weft_reply_str(c, 200, "text/plain; charset=utf-8", "ok\n");
}

static void readyz(weft_ctx *c)
{
    weft_app *app = weft_ctx_app(c);
    if (atomic_load(&app->shutting_down))
        weft_reply_error(c, 503, "shutting down");
    else if (atomic_load(&app->not_ready))
        weft_reply_error(c, 503, "not ready yet");
    else
        weft_reply_str(c, 200, "text/plain; charset=utf-8", "ready\n");
}

void weft_app_set_ready(weft_app *app, int ready)
{
    atomic_store(&app->not_ready, !ready);
}

/* After the app's own routes: those win where they overlap. */
void weft__health_routes(weft_app *app)
{
    weft_route(app, "GET /healthz", healthz, WEFT_CALLBACK);
    weft_route(app, "GET /readyz", readyz, WEFT_CALLBACK);
}
