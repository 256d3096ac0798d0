/* stats.c - the registry of statistics sources and the one snapshot.
 *
 * Each part of weft registers the objects that count (server loops, fiber
 * schedulers, pools, clients, backend endpoints) while they exist; a
 * snapshot walks them under one mutex and lets each add what it counts.
 * The counting itself never takes the mutex: only registering (an object
 * made or freed) and reading do. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

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

_Static_assert(WEFT__ERR_COUNT <= 32, "weft_endpoint_stats.errors_by holds every error code");

weft_stats *weft_stats_snapshot(void)
{
    weft_stats *out = calloc(1, sizeof *out);
    if (!out)
        return NULL;
    pthread_mutex_lock(&mu);
    for (weft_stat_source *s = sources; s; s = s->next)
        s->collect(s, out);
    pthread_mutex_unlock(&mu);
    return out;
}

void weft_stats_free(weft_stats *s)
{
    free(s);
}

static const uint64_t bounds[WEFT_HIST_BUCKETS] = WEFT_HIST_BOUNDS_US;

void weft__hist_add(weft_hist_counter *h, uint64_t us)
{
    size_t i = 0;
    while (us > bounds[i])
        i++; /* the last bound is UINT64_MAX */
    weft__count(&h->buckets[i], 1);
    weft__count(&h->count, 1);
    weft__count(&h->sum_us, (int64_t)us);
}

void weft__hist_read(const weft_hist_counter *h, weft_histogram *out)
{
    for (size_t i = 0; i < WEFT_HIST_BUCKETS; i++)
        out->buckets[i] += weft__counter(&h->buckets[i]);
    out->count += weft__counter(&h->count);
    out->sum_us += weft__counter(&h->sum_us);
}

void weft__hist_merge(weft_histogram *into, const weft_histogram *h)
{
    for (size_t i = 0; i < WEFT_HIST_BUCKETS; i++)
        into->buckets[i] += h->buckets[i];
    into->count += h->count;
    into->sum_us += h->sum_us;
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
    for (size_t i = 0; i < sizeof t->errors_by / sizeof t->errors_by[0]; i++)
        t->errors_by[i] += e->errors_by[i];
    weft__hist_merge(&t->duration, &e->duration);
}
