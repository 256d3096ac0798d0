/* tiny.c - the smallest service a newcomer writes against the installed
 * library: one async route that awaits a delay (holding no thread) and
 * answers with the version it runs on. The install test builds it outside
 * the source tree, with pkg-config and with find_package(weft), and
 * speaks HTTP to it. */
#include <weft.h>

#if !WEFT_VERSION_AT_LEAST(1, 0, 0)
#error "built against headers older than 1.0.0"
#endif

static void hello(weft_ctx *c)
{
    int err = weft_await(weft_delay(weft_ctx_scope(c), 10));
    if (err)
        return; /* the request was cancelled: the server has answered */
    weft_replyf(c, 200, "text/plain", "hello %s from weft %s\n", weft_param(c, "name"),
                weft_version());
}

int main(int argc, char **argv)
{
    weft_app *app = weft_app_new(argc, argv);
    weft_route_opt(app, "GET /hello/{name}", hello, WEFT_ASYNC, .timeout_ms = 2000);
    return weft_app_run(app);
}
