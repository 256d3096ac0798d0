/** @file weft/task.h
 * @brief Tasks (promises), scopes and combinators.
 *
 * A weft_task is the Task of the Task-based Asynchronous Pattern: the
 * promise of one result. It completes exactly once, on the thread of the
 * loop that made it, with a value (err 0) or an error (WEFT_E*;
 * cancellation is WEFT_ECANCELED, a deadline WEFT_ETIMEDOUT). A task made
 * with weft_task_new is also its own completion source
 * (TaskCompletionSource): resolve or reject it from any callback API.
 *
 * A weft_scope groups what one unit of work starts (a request, a test, a
 * command): an arena, a cancellation source, an optional deadline, and a
 * reference on every task made in it. When the scope ends, whatever is
 * still pending is cancelled and the references are dropped, so nothing
 * needs to be freed or cancelled by hand. */
#ifndef WEFT_TASK_H
#define WEFT_TASK_H

#include "weft/base.h"
#include "weft/cancel.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A task: the promise of one result (opaque; reference-counted). */
typedef struct weft_task weft_task;
/** A scope: an arena, a cancellation source and a deadline for one unit of
 * work, holding a reference on every task made in it (opaque). */
typedef struct weft_scope weft_scope;
/** A continuation: runs once the task t has completed, with the arg given
 * to weft_task_then or weft_task_wait. */
typedef void (*weft_task_fn)(weft_task *t, void *arg);
/** Frees a task's value when its last reference goes. */
typedef void (*weft_dtor)(void *value);

/** An intrusive continuation, for callers that must be able to detach it
 * (weft_task_wait, weft_task_unwait). The fields are the task's. */
typedef struct weft_waiter {
    struct weft_waiter *prev; /**< the task's list of waiters (internal) */
    struct weft_waiter *next; /**< the task's list of waiters (internal) */
    weft_task_fn fn;          /**< what runs on completion */
    void *arg;                /**< its argument */
} weft_waiter;

/* ---- tasks ----------------------------------------------------------------- */

/** A pending task on the current loop. With a scope, the scope holds the
 * reference (the pointer stays valid until the scope ends); with NULL, the
 * caller owns one reference. NULL when out of memory. */
WEFT_EXTERN weft_task *weft_task_new(weft_scope *scope);
/** Takes one more reference on t: it stays valid until a matching
 * weft_task_unref. */
WEFT_EXTERN void weft_task_ref(weft_task *t);
/** Drops a reference; the last one frees t and destroys its value. */
WEFT_EXTERN void weft_task_unref(weft_task *t);

/** Completes t with value; dtor (may be NULL) frees the value when the last
 * reference goes. Returns 0, or WEFT_ESTATE if t was already complete: the
 * value is then destroyed at once, so a late result is never leaked. */
WEFT_EXTERN int weft_task_resolve(weft_task *t, void *value, weft_dtor dtor);
/** Completes t with err (< 0). 0, or WEFT_ESTATE if already complete. */
WEFT_EXTERN int weft_task_reject(weft_task *t, int err);

/** True once t has completed (with a value or an error). */
WEFT_EXTERN int weft_task_done(const weft_task *t);
/** The outcome: 0 for a value, WEFT_E* for an error; WEFT_ESTATE while pending. */
WEFT_EXTERN int weft_task_err(const weft_task *t);
/** The value t completed with (NULL while pending or after an error); it
 * belongs to t and lives as long as t does. */
WEFT_EXTERN void *weft_task_value(const weft_task *t);

/** Runs fn(t, arg) once t completes; at once, before returning, if it
 * already has. Always exactly once: when t is NULL (its constructor was
 * out of memory) or the continuation cannot be recorded, fn runs at once
 * with a task that failed with WEFT_ENOMEM, and WEFT_ENOMEM is returned;
 * else 0. */
WEFT_EXTERN int weft_task_then(weft_task *t, weft_task_fn fn, void *arg);
/** The same with caller-provided storage, detachable with weft_task_unwait
 * until it runs. */
WEFT_EXTERN void weft_task_wait(weft_task *t, weft_waiter *w, weft_task_fn fn, void *arg);
/** Detaches w from t before it has run; harmless once it has. */
WEFT_EXTERN void weft_task_unwait(weft_task *t, weft_waiter *w);

/** Runs the calling thread's loop (weft_loop_new) until t completes, and
 * returns its outcome: 0 or WEFT_E*; t stays valid (its scope or caller
 * still holds it). A command-line tool's main calls it; never a handler,
 * a fiber or a loop callback (WEFT_ESTATE there, and without a loop). */
WEFT_EXTERN int weft_task_run(weft_task *t);

/* ---- scopes ---------------------------------------------------------------- */

/** A scope on the current loop; its cancellation is linked to parent's (may
 * be NULL); timeout_ms < 0 means no deadline of its own. */
WEFT_EXTERN weft_scope *weft_scope_new(weft_scope *parent, int64_t timeout_ms);
/** Cancels what is pending (WEFT_ECANCELED), drops the task references,
 * frees the arena and the scope. */
WEFT_EXTERN void weft_scope_free(weft_scope *s);
/** The scope's arena: memory freed when the scope ends. */
WEFT_EXTERN weft_arena *weft_scope_arena(weft_scope *s);
/** The scope's cancellation source, to register on or to link a source
 * of one's own to. */
WEFT_EXTERN weft_cancel_source *weft_scope_token(weft_scope *s);
/** Cancels everything pending in the scope with reason (< 0, usually
 * WEFT_ECANCELED); 0, or WEFT_ESTATE if it was already cancelled. */
WEFT_EXTERN int weft_scope_cancel(weft_scope *s, int reason);
/** 0 while the scope runs, else why it was cancelled. */
WEFT_EXTERN int weft_scope_reason(const weft_scope *s);
/** The loop the scope belongs to. */
WEFT_EXTERN weft_loop *weft_scope_loop(const weft_scope *s);
/** The first error an operation in the scope failed with (0 if none), and
 * its message: what a backend call reported, for error pages. */
WEFT_EXTERN int weft_scope_failure(const weft_scope *s, const char **detail);

/* ---- operations and combinators (all take the scope they belong to) ------- */

/** Completes after ms with no thread held (Task.Delay). */
WEFT_EXTERN weft_task *weft_delay(weft_scope *s, uint64_t ms);
/** Completes when every input has (value NULL), or fails fast with the
 * first error (Task.WhenAll). */
WEFT_EXTERN weft_task *weft_when_all(weft_scope *s, weft_task *const *tasks, size_t n);
/** Completes when every input has, always with err 0; read each input's
 * outcome afterwards. */
WEFT_EXTERN weft_task *weft_when_all_settled(weft_scope *s, weft_task *const *tasks, size_t n);
/** Completes with the first input to complete, whatever its outcome; the
 * value is that input (weft_task *). (Task.WhenAny) */
WEFT_EXTERN weft_task *weft_when_any(weft_scope *s, weft_task *const *tasks, size_t n);
/** Completes as t does, or with WEFT_ETIMEDOUT after ms if t has not; t
 * itself is left running (its scope decides its fate). */
WEFT_EXTERN weft_task *weft_with_timeout(weft_scope *s, weft_task *t, uint64_t ms);

#ifdef __cplusplus
}
#endif
#endif
