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

#include "error_int.h"
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

static weft_stats *snapshot(int with_peers)
{
    weft_stats *out = calloc(1, sizeof *out);
    if (!out)
        return NULL;
    pthread_mutex_lock(&mu);
    for (weft_stat_source *s = sources; s; s = s->next)
        if (with_peers || !s->peers)
            s->collect(s, out);
    pthread_mutex_unlock(&mu);
    return out;
}

weft_stats *weft_stats_snapshot(void)
{
    return snapshot(1);
}

weft_stats *weft__stats_snapshot_own(void)
{
    return snapshot(0);
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

static void add_u64s(uint64_t *into, const uint64_t *from, size_t n)
{
    for (size_t i = 0; i < n; i++)
        into[i] += from[i];
}

#define ADD(field) (into->field += from->field)
#define MAX(field) (into->field = from->field > into->field ? from->field : into->field)

/* Adds route r's figures to t, if t is the same route or still empty. */
static void merge_route(weft_route_stats *t, const weft_route_stats *r)
{
    if (!t->name[0] && r->name[0]) {
        memcpy(t->name, r->name, sizeof t->name);
        t->sync = r->sync;
    }
    if (strcmp(t->name, r->name) != 0)
        return;
    add_u64s(t->responses, r->responses, 6);
    weft__hist_merge(&t->duration, &r->duration);
    t->worker_us += r->worker_us;
    t->worker_wait_us += r->worker_wait_us;
}

void weft__stats_merge(weft_stats *into, const weft_stats *from)
{
    ADD(server.connections_accepted);
    ADD(server.connections_open);
    ADD(server.requests);
    ADD(server.requests_inflight);
    add_u64s(into->server.responses, from->server.responses, 6);
    ADD(server.responses_499);
    ADD(server.responses_503);
    ADD(server.responses_504);
    ADD(server.bad_requests);
    ADD(server.timeouts);
    ADD(server.tls_handshakes);
    ADD(server.tls_resumed);
    ADD(server.tls_handshake_failures);
    ADD(server.loop_stalls);
    MAX(server.loop_lag_us_max);
    ADD(server.inflight_async);
    ADD(server.inflight_sync);
    ADD(server.inflight_callback);
    for (size_t i = 0; i < from->server.nloops && into->server.nloops < WEFT_STATS_MAX_LOOPS; i++)
        into->server.loop_lag_us[into->server.nloops++] = from->server.loop_lag_us[i];
    /* Routes by index, as the loops count them, the one for requests no
     * route took after the last: the processes that share a snapshot were
     * forked from one master, so their routes are the same list. */
    size_t n = from->server.nroutes < WEFT_STATS_MAX_ROUTES ? from->server.nroutes
                                                             : WEFT_STATS_MAX_ROUTES;
    if (into->server.nroutes < n)
        into->server.nroutes = n;
    for (size_t i = 0; i <= n; i++)
        merge_route(&into->server.routes[i], &from->server.routes[i]);

    ADD(pool.threads);
    ADD(pool.busy);
    ADD(pool.queued);
    ADD(pool.queue_capacity);
    ADD(pool.completed);
    ADD(pool.rejected);
    ADD(pool.queue_wait_ns_sum);
    MAX(pool.queue_wait_ns_max);
    weft__hist_merge(&into->pool.queue_wait, &from->pool.queue_wait);

    ADD(fibers.alive);
    ADD(fibers.spawned);
    ADD(fibers.finished);
    ADD(fibers.stacks_mapped);
    ADD(fibers.stacks_cached);
    ADD(fibers.stack_bytes);

    ADD(client.calls_started);
    ADD(client.calls_ok);
    ADD(client.calls_failed);
    ADD(client.calls_canceled);
    ADD(client.calls_active);
    ADD(client.sockets_open);
    ADD(client.connections_opened);
    ADD(client.latency_us_sum);
    MAX(client.latency_us_max);
    ADD(client.endpoints_omitted);
    for (size_t i = 0; i < from->client.nendpoints && i < WEFT_STATS_MAX_ENDPOINTS; i++)
        weft__stats_add_endpoint(into, &from->client.endpoints[i]);
}
