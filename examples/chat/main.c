/* weft-chat - a small chat: static files, WebSockets and JSON on one app.
 *
 *   GET  /                 the page (examples/chat/public, or --public DIR)
 *   GET  /api/messages     the last messages, as JSON
 *   POST /api/messages     {"name": "...", "text": "..."} -> every connected page
 *   GET  /ws               WebSocket: each text message is a JSON message as above
 *                          (sent to everyone, the sender included)
 *
 * Run: build/bin/weft-chat --port 8080, open http://127.0.0.1:8080/ twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

#ifndef WEFT_CHAT_PUBLIC
#define WEFT_CHAT_PUBLIC "examples/chat/public"
#endif

int main(int argc, char **argv)
{
    weft_app *app = weft_app_new(argc, argv);
    const char *public_dir = WEFT_CHAT_PUBLIC;
    weft_app_opt_str(app, "public", &public_dir, "the directory of the page and its files");
    weft_use(app, weft_mw_request_id());
    weft_use(app, weft_mw_gzip(NULL));
    if (weft_static(app, "/", public_dir, &(weft_static_opts){.index = "index.html"}))
        return 2;
    return weft_app_run(app);
}
