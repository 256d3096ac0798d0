/* weft-chat - a small chat: static files, WebSockets and JSON on one app.
 *
 *   GET  /                 the page (examples/chat/public, or --public DIR)
 *   GET  /ws               WebSocket: the history first (one JSON array), then
 *                          every message as a JSON object; each text message
 *                          the page sends, {"name": "...", "text": "..."}, goes
 *                          to everyone, the sender included
 *   GET  /api/messages     the history, as JSON
 *   POST /api/messages     {"name": "...", "text": "..."}: said to everyone
 *
 * Sockets live on several loops. Each handler sends only on its own
 * socket's loop: a message is handed to every loop that has members
 * (weft_loop_post), which sends it to its own members there.
 *
 * Run: build/bin/weft-chat --port 8080, open http://127.0.0.1:8080/ twice. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

#ifndef WEFT_CHAT_PUBLIC
#define WEFT_CHAT_PUBLIC "examples/chat/public"
#endif

#define HISTORY 50
#define MAX_TEXT 1000
#define MAX_NAME 40

/* ---- the room ------------------------------------------------------------------ */

typedef struct member {
    struct member *next;
    weft_ws *ws;
    weft_loop *loop;
} member;

static pthread_mutex_t room_lock = PTHREAD_MUTEX_INITIALIZER;
static member *members;
static json_t *history; /* the last HISTORY messages */

/* One message on its way to one loop's members. */
typedef struct delivery {
    weft_post post; /* first: the post is the delivery */
    weft_loop *loop;
    char *text;     /* shared by all deliveries of a message */
    _Atomic int *refs;
} delivery;

static void deliver(weft_post *p)
{
    delivery *d = (delivery *)p;
    pthread_mutex_lock(&room_lock);
    for (member *m = members; m; m = m->next)
        if (m->loop == d->loop)
            weft_ws_send_str(m->ws, d->text); /* a socket that is closing just refuses */
    pthread_mutex_unlock(&room_lock);
    if (atomic_fetch_sub(d->refs, 1) == 1) {
        free(d->text);
        free(d->refs);
    }
    free(d);
}

/* Keeps msg in the history and hands it to every loop with members. */
static void say(json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    _Atomic int *refs = malloc(sizeof *refs);
    if (!text || !refs) {
        free(text);
        free(refs);
        return;
    }
    atomic_init(refs, 1); /* ours, until every delivery is posted */
    pthread_mutex_lock(&room_lock);
    json_array_append(history, msg);
    if (json_array_size(history) > HISTORY)
        json_array_remove(history, 0);
    weft_loop *posted[64];
    size_t nposted = 0;
    for (member *m = members; m; m = m->next) {
        size_t i = 0;
        while (i < nposted && posted[i] != m->loop)
            i++;
        if (i < nposted || nposted == 64)
            continue;
        posted[nposted++] = m->loop;
        delivery *d = malloc(sizeof *d);
        if (!d)
            continue;
        *d = (delivery){.post.fn = deliver, .loop = m->loop, .text = text, .refs = refs};
        atomic_fetch_add(refs, 1);
        weft_loop_post(m->loop, &d->post);
    }
    pthread_mutex_unlock(&room_lock);
    if (atomic_fetch_sub(refs, 1) == 1) {
        free(text);
        free(refs);
    }
}

/* {"name", "text"} from a client, checked, stamped; NULL if unusable. */
static json_t *message_from(json_t *in)
{
    const char *name = json_string_value(json_object_get(in, "name"));
    const char *text = json_string_value(json_object_get(in, "text"));
    if (!name || !text || !*text || strlen(name) > MAX_NAME || strlen(text) > MAX_TEXT)
        return NULL;
    return json_pack("{s:s, s:s, s:I}", "name", *name ? name : "someone", "text", text, "at",
                     (json_int_t)weft_now_ms());
}

/* ---- handlers -------------------------------------------------------------------- */

static void chat_socket(weft_ctx *c)
{
    weft_ws *ws = weft_ws_accept(c, &(weft_ws_opts){.max_message = 4096});
    if (!ws)
        return;
    member me = {.ws = ws, .loop = weft_ctx_loop(c)};
    pthread_mutex_lock(&room_lock);
    char *past = json_dumps(history, JSON_COMPACT);
    me.next = members;
    members = &me;
    pthread_mutex_unlock(&room_lock);
    if (past)
        weft_ws_send_str(ws, past);
    free(past);
    weft_ws_type type;
    weft_str in;
    while (weft_ws_recv(ws, &type, &in) == 1) {
        json_t *j = type == WEFT_WS_TEXT ? json_loadb(in.base, in.len, 0, NULL) : NULL;
        json_t *msg = j ? message_from(j) : NULL;
        if (msg)
            say(msg);
        else
            weft_ws_send_str(ws, "{\"error\":\"send {\\\"name\\\": ..., \\\"text\\\": ...}\"}");
        json_decref(msg);
        json_decref(j);
    }
    pthread_mutex_lock(&room_lock);
    for (member **p = &members; *p; p = &(*p)->next)
        if (*p == &me) {
            *p = me.next;
            break;
        }
    pthread_mutex_unlock(&room_lock);
}

static void get_messages(weft_ctx *c)
{
    pthread_mutex_lock(&room_lock);
    json_t *copy = json_deep_copy(history);
    pthread_mutex_unlock(&room_lock);
    weft_reply_json_new(c, 200, copy);
}

static void post_message(weft_ctx *c)
{
    json_t *in = weft_body_json(c); /* 400/415 by itself */
    if (!in)
        return;
    json_t *msg = message_from(in);
    if (!msg) {
        weft_reply_error(c, 422, "send {\"name\": ..., \"text\": ...} (text 1..1000 bytes)");
        return;
    }
    say(msg);
    weft_reply_json(c, 201, msg);
    json_decref(msg);
}

int main(int argc, char **argv)
{
    weft_app *app = weft_app_new(argc, argv);
    const char *public_dir = WEFT_CHAT_PUBLIC;
    weft_app_opt_str(app, "public", &public_dir, "the directory of the page and its files");
    history = json_array();
    weft_use(app, weft_mw_request_id());
    weft_use(app, weft_mw_gzip(NULL));
    weft_route_opt(app, "GET /ws", chat_socket, WEFT_ASYNC, .timeout_ms = WEFT_NO_TIMEOUT);
    weft_route(app, "GET /api/messages", get_messages, WEFT_CALLBACK);
    weft_route(app, "POST /api/messages", post_message, WEFT_CALLBACK);
    if (weft_static(app, "/", public_dir, &(weft_static_opts){.index = "index.html"}))
        return 2;
    int rc = weft_app_run(app);
    json_decref(history);
    return rc;
}
