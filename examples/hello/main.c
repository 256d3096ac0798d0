/* weft-hello - the smallest useful weft server.
 *
 *   GET /plaintext     "Hello, World!" (a callback handler: runs on the loop)
 *   GET /json          {"message":"Hello, World!"} built with jansson
 *   GET /sleep?ms=N    a WEFT_SYNC handler that blocks its worker thread for
 *                      N ms: the synchronous model, to watch the pool fill
 *                      up and answer 503 + Retry-After when its queue is full
 *   POST /echo         echoes the request body (Content-Length or chunked)
 *   GET /stream?n=N    N chunks of a streamed (chunked) response
 */
#include <jansson.h>
#include <stdlib.h>
#include <time.h>

#include "weft.h"

static void plaintext(weft_ctx *c)
{
    static const char hello[] = "Hello, World!";
    weft_reply(c, 200, "text/plain", hello, sizeof hello - 1);
}

static void json(weft_ctx *c)
{
    json_t *o = json_pack("{s:s}", "message", "Hello, World!");
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s)
        weft_reply_str(c, 200, "application/json", s);
    else
        weft_reply_error(c, 500, "cannot build JSON");
    free(s);
    json_decref(o);
}

static void sleep_sync(weft_ctx *c)
{
    long ms = weft_query_int(c, "ms", 100);
    if (ms < 0 || ms > 60000) {
        weft_reply_error(c, 400, "ms must be between 0 and 60000");
        return;
    }
    /* Deliberately blocking: this thread is held for the whole wait. */
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    weft_replyf(c, 200, "text/plain", "slept %ld ms on a worker thread\n", ms);
}

static void echo(weft_ctx *c)
{
    weft_str body = weft_req_body(c);
    weft_reply(c, 200, "application/octet-stream", body.base, body.len);
}

static void stream(weft_ctx *c)
{
    long n = weft_query_int(c, "n", 3);
    if (n < 0 || n > 10000) {
        weft_reply_error(c, 400, "n must be between 0 and 10000");
        return;
    }
    weft_stream_begin(c, 200, "text/plain");
    for (long i = 0; i < n; i++) {
        char line[32];
        int len = snprintf(line, sizeof line, "chunk %ld\n", i);
        weft_stream_write(c, line, (size_t)len);
    }
    weft_stream_end(c);
}

int main(int argc, char **argv)
{
    weft_app *app = weft_app_new(argc, argv);
    weft_route(app, "GET /plaintext", plaintext, WEFT_CALLBACK);
    weft_route(app, "GET /json", json, WEFT_CALLBACK);
    weft_route(app, "GET /sleep", sleep_sync, WEFT_SYNC);
    weft_route(app, "POST /echo", echo, WEFT_CALLBACK);
    weft_route(app, "GET /stream", stream, WEFT_CALLBACK);
    return weft_app_run(app);
}
