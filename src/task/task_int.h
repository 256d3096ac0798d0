/* task_int.h - internal structures of the task layer, for the layers
 * below it that embed a scope (the server's request context). */
#ifndef WEFT_SRC_TASK_INT_H
#define WEFT_SRC_TASK_INT_H

#include "weft/task.h"

struct weft_task {
    int refs;
    int done;
    int err;
    void *value;
    weft_dtor dtor;
    weft_waiter *head, *tail;   /* continuations, in registration order */
    weft_task *scope_next;      /* the owning scope's list */
};

struct weft_scope {
    weft_cancel_source cancel;
    weft_arena arena;
    weft_task *owned;   /* tasks this scope holds a reference on */
    weft_loop *loop;
    int allocated;      /* made by weft_scope_new */
    int failure;        /* the first operation error noted (weft__scope_note_failure) */
    const char *failure_detail; /* in the arena */
};

/* The await path's own task operations, inline (fiber.c awaits on every
 * request; calls across files were a tenth of its round trip). The same
 * as weft_task_ref/_unref/_wait. */
static inline void weft__task_ref(weft_task *t)
{
    t->refs++;
}
static inline void weft__task_unref(weft_task *t)
{
    if (t->refs > 1)
        t->refs--;
    else
        weft_task_unref(t); /* the last one: frees */
}
static inline void weft__task_link(weft_task *t, weft_waiter *w, weft_task_fn fn, void *arg)
{
    w->fn = fn;
    w->arg = arg;
    w->next = NULL;
    w->prev = t->tail;
    if (t->tail)
        t->tail->next = w;
    else
        t->head = w;
    t->tail = w;
}

/* Records the first failed operation of a scope (a backend call), so a
 * handler that does not handle the error still gets a precise answer. */
void weft__scope_note_failure(weft_scope *s, int err, const char *detail);

/* Embedded scopes (one per connection, reused per request). */
void weft__scope_init(weft_scope *s, weft_loop *loop, size_t arena_chunk);
/* Starts a unit of work: a fresh cancellation source linked to parent. */
void weft__scope_begin(weft_scope *s, weft_cancel_source *parent);
/* Ends it: cancels what is pending, drops task references, resets the arena. */
void weft__scope_end(weft_scope *s);
void weft__scope_destroy(weft_scope *s);
/* Adds a reference-holding entry for t to s. */
void weft__scope_adopt(weft_scope *s, weft_task *t);

#endif
