/* pgw-backend - the seeds' WebAPIpgw service, in weft.
 *
 *   GET /api/products  /api/gizmos  /api/widgets     JSON arrays
 *   GET /api/{kind}/{id}                             one record, or 404
 *
 * Every call waits before it answers, to simulate a slow web service, the
 * way the seeds' controllers await Task.Delay: ?delay=MS per call, else
 * --delay (500 ms); ?delay=random or --delay random picks a delay in
 * [--delay-min, --delay-max] per call (the cancellation demo). The wait is
 * a weft_delay in a WEFT_ASYNC handler: no thread is held, so the backend
 * serves thousands of concurrent slow calls on two loop threads.
 *
 * The JSON is built once with jansson at start-up; a call only waits and
 * copies it.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

typedef struct kind {
    const char *name;
    char *all;      /* the JSON array */
    char **one;     /* each record */
    size_t count;
} kind;

static kind kinds[3];
static long delay_ms = 500, delay_min = 0, delay_max = 1000;
static int delay_random;

static const char *const names[3][10] = {
    {"Flux Capacitor", "Sprocket Drive", "Chrono Spanner", "Quantum Lens", "Gyro Stabilizer",
     "Turbo Encabulator", "Ratchet Coupler", "Ion Sprayer", "Magneto Gasket", "Servo Bracket"},
    {"Doohickey", "Thingamajig", "Whatchamacallit", "Gadget Pro", "Contraption",
     "Widget Deluxe", "Mechanism X", "Gimcrack", "Apparatus 9", "Doodad"},
    {"Laptop Stand", "Desk Lamp", "Ergonomic Chair", "Standing Desk", "Monitor Arm",
     "Cable Tray", "Footrest", "Keyboard Tray", "Whiteboard", "Bookshelf"},
};
static const char *const colors[] = {"red", "blue", "green", "black", "silver", "orange"};
static const char *const categories[10] = {"Office",    "Lighting", "Furniture", "Furniture",
                                            "Office",    "Office",   "Furniture", "Office",
                                            "Office",    "Storage"};

static json_t *make_record(int k, int i)
{
    double price = 4.99 + (double)((i * 37 + k * 11) % 90) + 0.5 * (i % 2);
    switch (k) {
    case 0: /* gizmos: id, name, price, weight */
        return json_pack("{s:i,s:s,s:f,s:i}", "id", i + 1, "name", names[0][i], "price", price,
                         "weight", 100 + (i * 53) % 900);
    case 1: /* widgets: id, name, price, color */
        return json_pack("{s:i,s:s,s:f,s:s}", "id", i + 1, "name", names[1][i], "price", price,
                         "color", colors[i % 6]);
    default: /* products: id, name, category, price */
        return json_pack("{s:i,s:s,s:s,s:f}", "id", i + 1, "name", names[2][i], "category",
                         categories[i], "price", price);
    }
}

static void build_data(void)
{
    static const char *const kind_names[3] = {"gizmos", "widgets", "products"};
    for (int k = 0; k < 3; k++) {
        json_t *arr = json_array();
        kinds[k].name = kind_names[k];
        kinds[k].count = 10;
        kinds[k].one = calloc(10, sizeof(char *));
        for (int i = 0; i < 10; i++) {
            json_t *rec = make_record(k, i);
            kinds[k].one[i] = json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(6));
            json_array_append_new(arr, rec);
        }
        kinds[k].all = json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(6));
        json_decref(arr);
    }
}

static const kind *find_kind(const char *name)
{
    for (int k = 0; k < 3; k++)
        if (name && strcmp(kinds[k].name, name) == 0)
            return &kinds[k];
    return NULL;
}

/* The simulated latency of this call, in ms; -1 if ?delay= is invalid. */
static long call_delay(weft_ctx *c)
{
    const char *d = weft_query(c, "delay");
    int random = delay_random;
    long ms = delay_ms;
    if (d && strcmp(d, "random") == 0) {
        random = 1;
    } else if (d) {
        char *end;
        ms = strtol(d, &end, 10);
        if (!*d || *end || ms < 0 || ms > 600000)
            return -1;
        random = 0;
    }
    if (random) /* a simulation, not security: rand() is fine */
        ms = delay_min + (delay_max > delay_min ? rand() % (delay_max - delay_min + 1) : 0);
    return ms;
}

static int wait_for_it(weft_ctx *c)
{
    long ms = call_delay(c);
    if (ms < 0) {
        weft_reply_error(c, 400, "delay must be a number of ms (0..600000) or 'random'");
        return -1;
    }
    return weft_await(weft_delay(weft_ctx_scope(c), (uint64_t)ms)) ? -1 : 0;
}

static void list(weft_ctx *c)
{
    const kind *k = find_kind(weft_param(c, "kind"));
    if (!k) {
        weft_reply_error(c, 404, "no such kind: try products, gizmos or widgets");
        return;
    }
    if (wait_for_it(c))
        return;
    weft_reply_str(c, 200, "application/json", k->all);
}

static void one(weft_ctx *c)
{
    const kind *k = find_kind(weft_param(c, "kind"));
    const char *id = weft_param(c, "id");
    char *end;
    long i = id ? strtol(id, &end, 10) : 0;
    if (!k || !id || *end || i < 1 || i > (long)k->count) {
        weft_reply_error(c, 404, "no such record");
        return;
    }
    if (wait_for_it(c))
        return;
    weft_reply_str(c, 200, "application/json", k->one[i - 1]);
}

static void plaintext(weft_ctx *c)
{
    weft_reply_str(c, 200, "text/plain", "Hello, World!");
}

int main(int argc, char **argv)
{
    weft_app *app = weft_app_new(argc, argv);
    weft_app_default_port(app, 9001);
    const char *delay = "500";
    weft_app_opt_str(app, "delay", &delay, "simulated latency per call in ms, or 'random'");
    weft_app_opt_int(app, "delay-min", &delay_min, "random delay: lower bound, ms");
    weft_app_opt_int(app, "delay-max", &delay_max, "random delay: upper bound, ms");
    if (strcmp(delay, "random") == 0) {
        delay_random = 1;
    } else {
        char *end;
        delay_ms = strtol(delay, &end, 10);
        if (!*delay || *end || delay_ms < 0) {
            fprintf(stderr, "pgw-backend: --delay must be a number of ms or 'random'\n");
            return 2;
        }
    }
    build_data();
    weft_route(app, "GET /api/{kind}", list, WEFT_ASYNC);
    weft_route(app, "GET /api/{kind}/{id}", one, WEFT_ASYNC);
    weft_route(app, "GET /plaintext", plaintext, WEFT_CALLBACK);
    return weft_app_run(app);
}
