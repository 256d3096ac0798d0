/** @file weft/cancel.h
 * @brief Cancellation sources, tokens and registrations.
 *
 * The CancellationTokenSource / CancellationToken pair, in C. A source is
 * cancelled once, with a reason (WEFT_ECANCELED, or WEFT_ETIMEDOUT for a
 * deadline); every registration on it runs exactly once then, in the
 * order registered. A source may be linked to a parent: cancelling the
 * parent cancels the child with the same reason, so nested scopes and
 * per-call deadlines compose. Loop thread only; nothing here allocates. */
#ifndef WEFT_CANCEL_H
#define WEFT_CANCEL_H

#include "weft/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A registration: what runs when a source is cancelled. Embed it in the
 * operation it cancels; weft_cancel_register fills it. */
typedef struct weft_cancel_reg {
    struct weft_cancel_reg *prev; /**< the source's list (internal) */
    struct weft_cancel_reg *next; /**< the source's list (internal) */
    void (*fn)(struct weft_cancel_reg *reg, int reason); /**< runs once, with the reason */
    void *arg;                    /**< for fn: the operation this registration cancels */
    int linked;                   /**< on a source's list now (internal) */
} weft_cancel_reg;

/** A cancellation source (CancellationTokenSource). Embed it or take a
 * scope's (weft_scope_token); the fields are the source's own. */
typedef struct weft_cancel_source {
    int reason;                  /**< 0 while not cancelled */
    weft_cancel_reg *head;       /**< the registrations, oldest first (internal) */
    weft_cancel_reg *tail;       /**< the newest registration (internal) */
    struct weft_cancel_source *parent; /**< the source this one is linked to, or NULL */
    weft_cancel_reg parent_reg;  /**< our registration on the parent */
    int64_t deadline;            /**< absolute, loop clock ms; -1 = none */
    weft_timer timer;            /**< armed when the deadline is ours to enforce */
    weft_loop *loop;             /**< the loop it belongs to */
} weft_cancel_source;

/** A token is a read-only view of a source; NULL means "never cancelled". */
typedef weft_cancel_source *weft_cancel_token;

/** Initialises src on the current loop, linked to parent (may be NULL).
 * If the parent is already cancelled, src starts cancelled. */
WEFT_EXTERN void weft_cancel_init(weft_cancel_source *src, weft_cancel_source *parent);
/** Unlinks from the parent and stops the deadline timer; registrations
 * still present are dropped without being called. */
WEFT_EXTERN void weft_cancel_fini(weft_cancel_source *src);
/** Cancels with reason (< 0). Runs every registration once. Returns 0, or
 * WEFT_ESTATE if src was already cancelled (nothing runs again). */
WEFT_EXTERN int weft_cancel(weft_cancel_source *src, int reason);
/** 0 if not cancelled, else the reason. */
WEFT_EXTERN int weft_cancel_reason(const weft_cancel_source *src);
/** Cancels src with WEFT_ETIMEDOUT at `deadline` (absolute loop-clock ms,
 * see weft_loop_now; -1 = none). A deadline can only move earlier. */
WEFT_EXTERN void weft_cancel_set_deadline(weft_cancel_source *src, int64_t deadline);
/** Cancels after ms from now; a convenience over set_deadline. */
WEFT_EXTERN void weft_cancel_after(weft_cancel_source *src, uint64_t ms);
/** The earliest deadline along src and its ancestors, or -1. */
WEFT_EXTERN int64_t weft_cancel_deadline(const weft_cancel_source *src);

/** Registers fn(reg, reason) to run when src is cancelled. Returns 0, or the
 * reason if src is already cancelled (fn is then not called). src may be
 * NULL (never cancelled: returns 0, registers nothing). */
WEFT_EXTERN int weft_cancel_register(weft_cancel_source *src, weft_cancel_reg *reg,
                         void (*fn)(weft_cancel_reg *, int), void *arg);
/** Removes a registration that has not run; harmless if it already ran. */
WEFT_EXTERN void weft_cancel_unregister(weft_cancel_source *src, weft_cancel_reg *reg);

#ifdef __cplusplus
}
#endif
#endif
