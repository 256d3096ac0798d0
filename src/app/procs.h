/* procs.h - what the master (master.c) and its worker processes
 * (worker.c) share: one anonymous shared mapping made before the first
 * fork, a slot per worker. */
#ifndef WEFT_SRC_APP_PROCS_H
#define WEFT_SRC_APP_PROCS_H

#include <signal.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "../base/stats.h"

/* One worker's slot. The master sets pid when it forks into the slot and
 * clears it when the worker is gone; the worker writes the rest. */
typedef struct weft_proc_slot {
    _Atomic pid_t pid;
    _Atomic int ready;         /* its loops accept (also sent as SIGUSR1) */
    _Atomic int crash_signal;  /* the fatal signal its crash handler saw */
    char crashed_in[96];       /* the route it was running then ("" if none) */
    _Atomic unsigned seq;      /* odd while stats is being written */
    weft_stats stats;          /* its own figures, published each second */
} weft_proc_slot;

typedef struct weft_procs {
    int nslots;
    weft_proc_slot slots[];
} weft_procs;

/* worker.c: in a worker process, from its start until it exits. */
typedef struct weft_worker weft_worker;
/* Installs the crash reporter and starts publishing this worker's
 * figures into slot (and adding the other workers' to its snapshots). */
weft_worker *weft__worker_begin(weft_app *app, weft_procs *procs, int slot);
/* The loops accept: tells the master. */
void weft__worker_ready(weft_worker *w);
/* Before the control loop ends (its timer publishes). */
void weft__worker_stop_publishing(weft_worker *w);
void weft__worker_end(weft_worker *w);

/* master.c: with --processes > 1, runs the master in this process and
 * returns its exit status; in each worker it forks, returns -1 (the
 * worker then runs the application as one process would). */
int weft__master_run(weft_app *app);

#endif
