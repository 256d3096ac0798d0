/* stats.c - the registry of statistics sources and the one snapshot.
 *
 * Each part of weft registers the objects that count (server loops, fiber
 * schedulers, pools, clients, backend endpoints) while they exist; a
 * snapshot walks them under one mutex and lets each add what it counts.
 * The counting itself never takes the mutex: only registering (an object
 * made or freed) and reading do. */
#include <pthread.h>
#include <stdio.h>

#include "stats.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static weft_stat_source *sources;

void weft__stats_register(weft_stat_source *src)
{
    pthread_mutex_lock(&mu);
    if (!src->registered) {
        src->registered = 1;
        src->prev = NULL;
        src->next = sources;
        if (sources)
            sources->prev = src;
        sources = src;
    }
    pthread_mutex_unlock(&mu);
}

void weft__stats_unregister(weft_stat_source *src)
{
    pthread_mutex_lock(&mu);
    if (src->registered) {
        src->registered = 0;
        if (src->prev)
            src->prev->next = src->next;
        else
            sources = src->next;
        if (src->next)
            src->next->prev = src->prev;
        src->prev = src->next = NULL;
    }
    pthread_mutex_unlock(&mu);
}

void weft_stats_snapshot(weft_stats *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&mu);
    for (weft_stat_source *s = sources; s; s = s->next)
        s->collect(s, out);
    pthread_mutex_unlock(&mu);
}

void weft__stats_add_endpoint(weft_stats *out, const weft_endpoint_stats *e)
{
    weft_endpoint_stats *t = NULL;
    for (size_t i = 0; i < out->client.nendpoints && !t; i++)
        if (strcmp(out->client.endpoints[i].name, e->name) == 0)
            t = &out->client.endpoints[i];
    if (!t) {
        if (out->client.nendpoints == WEFT_STATS_MAX_ENDPOINTS) {
            out->client.endpoints_omitted++;
            return;
        }
        t = &out->client.endpoints[out->client.nendpoints++];
        snprintf(t->name, sizeof t->name, "%s", e->name);
    }
    t->calls += e->calls;
    t->errors += e->errors;
    t->active += e->active;
    t->waiting += e->waiting;
    t->connections += e->connections;
    t->idle += e->idle;
}
