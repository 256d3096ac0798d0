/* scope.c - the unit of structured concurrency: arena + cancellation +
 * the references on every task made in it.
 *
 * Ending a scope cancels its source first (so every pending operation
 * completes its task with the reason and releases what it holds), then
 * drops the scope's task references, then resets the arena. Loop thread
 * only. */
#include <stdlib.h>

#include "task_int.h"

void weft__scope_adopt(weft_scope *s, weft_task *t)
{
    t->scope_next = s->owned;
    s->owned = t;
}

void weft__scope_init(weft_scope *s, weft_loop *loop, size_t arena_chunk)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    weft_arena_init(&s->arena, arena_chunk);
    s->cancel.deadline = -1;
}

void weft__scope_begin(weft_scope *s, weft_cancel_source *parent)
{
    weft_cancel_init(&s->cancel, parent);
    s->cancel.loop = s->loop;
}

void weft__scope_end(weft_scope *s)
{
    weft_cancel(&s->cancel, WEFT_ECANCELED);
    weft_cancel_fini(&s->cancel);
    weft_task *t = s->owned;
    s->owned = NULL;
    while (t) {
        weft_task *next = t->scope_next;
        weft_task_unref(t);
        t = next;
    }
    weft_arena_reset(&s->arena);
    s->failure = 0;
    s->failure_detail = NULL;
}

void weft__scope_note_failure(weft_scope *s, int err, const char *detail)
{
    if (!s || s->failure)
        return;
    s->failure = err;
    s->failure_detail = weft_arena_strndup(&s->arena, detail, strlen(detail));
}

int weft_scope_failure(const weft_scope *s, const char **detail)
{
    if (detail)
        *detail = s && s->failure_detail ? s->failure_detail : "";
    return s ? s->failure : 0;
}

void weft__scope_destroy(weft_scope *s)
{
    weft_arena_free(&s->arena);
}

weft_scope *weft_scope_new(weft_scope *parent, int64_t timeout_ms)
{
    weft_scope *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    weft__scope_init(s, weft_loop_current(), 4096);
    s->allocated = 1;
    weft__scope_begin(s, parent ? &parent->cancel : NULL);
    if (timeout_ms >= 0)
        weft_cancel_after(&s->cancel, (uint64_t)timeout_ms);
    return s;
}

void weft_scope_free(weft_scope *s)
{
    if (!s)
        return;
    weft__scope_end(s);
    weft__scope_destroy(s);
    if (s->allocated)
        free(s);
}

weft_arena *weft_scope_arena(weft_scope *s)
{
    return &s->arena;
}

weft_cancel_source *weft_scope_token(weft_scope *s)
{
    return s ? &s->cancel : NULL;
}

int weft_scope_cancel(weft_scope *s, int reason)
{
    return weft_cancel(&s->cancel, reason);
}

int weft_scope_reason(const weft_scope *s)
{
    return s ? s->cancel.reason : 0;
}

weft_loop *weft_scope_loop(const weft_scope *s)
{
    return s->loop;
}
