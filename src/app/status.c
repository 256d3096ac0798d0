/* status.c - a live status page: GET PATH (HTML, no external assets) and
 * GET PATH.json (the figures it polls each second), opt-in with
 * weft_app_enable_status.
 *
 * The page keeps a few minutes of history itself and draws it as inline
 * SVG: throughput, requests in flight (async against sync), the pool's
 * busy threads and queue, loop lag, and 503/504 rates - what thread-pool
 * starvation looks like, and that the async pages do not have it - plus
 * the slowest routes and the backends. The JSON is written here by hand
 * (the library does not link a JSON writer): numbers, and names escaped. */
#include <stdio.h>

#include "app_int.h"

static void put_json_string(weft_buf *b, const char *s)
{
    weft_buf_append(b, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            weft_buf_printf(b, "\\%c", ch);
        else if (ch < 0x20)
            weft_buf_printf(b, "\\u%04x", ch);
        else
            weft_buf_append(b, s, 1);
    }
    weft_buf_append(b, "\"", 1);
}

static double mean_ms(const weft_histogram *h)
{
    return h->count ? (double)h->sum_us / (double)h->count / 1000.0 : 0.0;
}

static void status_json(weft_ctx *c)
{
    weft_stats *st = weft_stats_snapshot();
    weft_buf b = {0};
    if (!st) {
        weft_reply_error(c, 503, "out of memory");
        return;
    }
    uint64_t answered = 0;
    for (int k = 1; k < 6; k++)
        answered += st->server.responses[k];
    double lag_ms = 0;
    for (size_t i = 0; i < st->server.nloops; i++)
        if ((double)st->server.loop_lag_us[i] / 1000.0 > lag_ms)
            lag_ms = (double)st->server.loop_lag_us[i] / 1000.0;
    weft_buf_printf(
        &b,
        "{\"now_ms\":%llu,\"answered\":%llu,\"r5xx\":%llu,\"r503\":%llu,\"r504\":%llu,"
        "\"r499\":%llu,\"inflight_async\":%llu,\"inflight_sync\":%llu,"
        "\"inflight_callback\":%llu,\"pool_threads\":%llu,\"pool_busy\":%llu,"
        "\"pool_queued\":%llu,\"pool_rejected\":%llu,\"loop_lag_ms\":%.3f,"
        "\"stalls\":%llu,\"fibers\":%llu,\"connections\":%llu,\"routes\":[",
        (unsigned long long)weft_now_ms(), (unsigned long long)answered,
        (unsigned long long)st->server.responses[5], (unsigned long long)st->server.responses_503,
        (unsigned long long)st->server.responses_504, (unsigned long long)st->server.responses_499,
        (unsigned long long)st->server.inflight_async, (unsigned long long)st->server.inflight_sync,
        (unsigned long long)st->server.inflight_callback, (unsigned long long)st->pool.threads,
        (unsigned long long)st->pool.busy, (unsigned long long)st->pool.queued,
        (unsigned long long)st->pool.rejected, lag_ms, (unsigned long long)st->server.loop_stalls,
        (unsigned long long)st->fibers.alive, (unsigned long long)st->server.connections_open);
    for (size_t r = 0; r < st->server.nroutes; r++) {
        const weft_route_stats *rs = &st->server.routes[r];
        weft_buf_printf(&b, "%s{\"name\":", r ? "," : "");
        put_json_string(&b, rs->name);
        weft_buf_printf(&b, ",\"count\":%llu,\"r5xx\":%llu,\"mean_ms\":%.2f}",
                        (unsigned long long)rs->duration.count,
                        (unsigned long long)rs->responses[5], mean_ms(&rs->duration));
    }
    weft_buf_append(&b, "],\"backends\":[", 14);
    for (size_t i = 0; i < st->client.nendpoints; i++) {
        const weft_endpoint_stats *e = &st->client.endpoints[i];
        weft_buf_printf(&b, "%s{\"name\":", i ? "," : "");
        put_json_string(&b, e->name);
        weft_buf_printf(&b,
                        ",\"calls\":%llu,\"errors\":%llu,\"active\":%llu,\"waiting\":%llu,"
                        "\"connections\":%llu,\"mean_ms\":%.2f}",
                        (unsigned long long)e->calls, (unsigned long long)e->errors,
                        (unsigned long long)e->active, (unsigned long long)e->waiting,
                        (unsigned long long)e->connections, mean_ms(&e->duration));
    }
    weft_buf_append(&b, "]}\n", 3);
    weft_stats_free(st);
    weft_add_header(c, "Cache-Control", "no-store");
    weft_reply(c, 200, "application/json", b.data, b.len);
    weft_buf_free(&b);
}

/* The page: charts of the last five minutes, drawn from PATH.json. */
static const char page[] =
    "<!doctype html><html><head><meta charset=utf-8><title>weft status</title><style>"
    "body{font:14px system-ui,sans-serif;margin:16px;background:#fafafa;color:#222}"
    "h1{font-size:20px;margin:0 0 8px}.grid{display:grid;grid-template-columns:repeat(3,1fr);"
    "gap:12px}.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}"
    ".card h2{font-size:13px;margin:0 0 4px;color:#555}.v{font-size:22px;font-weight:600}"
    "svg{width:100%;height:90px}table{border-collapse:collapse;width:100%;background:#fff}"
    "td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}td:first-child,"
    "th:first-child{text-align:left}.a{color:#1769aa}.s{color:#c0392b}"
    "</style></head><body><h1>weft status <small id=age></small></h1><div class=grid>"
    "<div class=card><h2>answers per second</h2><span class=v id=v-rate>-</span>"
    "<svg id=c-rate></svg></div>"
    "<div class=card><h2>in flight: <span class=a>async</span> / <span class=s>sync</span></h2>"
    "<span class='v a' id=v-async>-</span> / <span class='v s' id=v-sync>-</span>"
    "<svg id=c-inflight></svg></div>"
    "<div class=card><h2>sync pool: <span class=s>busy</span> of <span id=v-threads>-</span>,"
    " <span class=a>queue</span></h2><span class='v s' id=v-busy>-</span> / "
    "<span class='v a' id=v-queue>-</span><svg id=c-pool></svg></div>"
    "<div class=card><h2>loop lag (ms, worst loop)</h2><span class=v id=v-lag>-</span>"
    "<svg id=c-lag></svg></div>"
    "<div class=card><h2><span class=s>503</span> / <span class=a>504</span> per second</h2>"
    "<span class='v s' id=v-503>-</span> / <span class='v a' id=v-504>-</span>"
    "<svg id=c-shed></svg></div>"
    "<div class=card><h2>totals</h2><div>503s <b id=t-503>-</b>, 504s <b id=t-504>-</b>, "
    "client gone <b id=t-499>-</b>, stalls <b id=t-stalls>-</b>, fibers <b id=t-fibers>-</b>, "
    "connections <b id=t-conns>-</b></div></div></div>"
    "<h2 style='font-size:15px'>slowest routes</h2><table id=routes><thead><tr><th>route</th>"
    "<th>answers</th><th>5xx</th><th>mean ms</th></tr></thead><tbody></tbody></table>"
    "<h2 style='font-size:15px'>backends</h2><table id=backends><thead><tr><th>backend</th>"
    "<th>calls</th><th>errors</th><th>active</th><th>waiting</th><th>connections</th>"
    "<th>mean ms</th></tr></thead><tbody></tbody></table><script>"
    "const KEEP=300,h=[];let prev=null;"
    "function line(id,series,colors){const s=document.getElementById(id),W=300,H=90;"
    "let max=1;for(const xs of series)for(const x of xs)if(x>max)max=x;"
    "s.setAttribute('viewBox','0 0 '+W+' '+H);s.innerHTML=series.map((xs,i)=>"
    "'<polyline fill=none stroke-width=1.5 stroke='+colors[i]+' points=\"'+xs.map((x,j)=>"
    "(W-(xs.length-1-j)*W/KEEP).toFixed(1)+','+(H-2-x/max*(H-12)).toFixed(1)).join(' ')+'\"/>')"
    ".join('')+'<text x=2 y=10 font-size=9 fill=#888>'+max.toFixed(max<10?1:0)+'</text>';}"
    "function set(id,v){document.getElementById(id).textContent=v;}"
    "function rows(id,items,cols){document.querySelector('#'+id+' tbody').innerHTML="
    "items.map(r=>'<tr>'+cols.map(c=>'<td>'+String(r[c]).replace(/</g,'&lt;')+'</td>')"
    ".join('')+'</tr>').join('');}"
    "async function tick(){let j;try{j=await (await fetch(location.pathname+'.json',"
    "{cache:'no-store'})).json();}catch(e){set('age','(no answer)');return;}"
    "if(prev){const dt=(j.now_ms-prev.now_ms)/1000||1;h.push({rate:(j.answered-prev.answered)"
    "/dt,async:j.inflight_async,sync:j.inflight_sync,busy:j.pool_busy,queue:j.pool_queued,"
    "lag:j.loop_lag_ms,s503:(j.r503-prev.r503)/dt,s504:(j.r504-prev.r504)/dt});"
    "if(h.length>KEEP)h.shift();const l=h[h.length-1];"
    "set('v-rate',l.rate.toFixed(0));set('v-503',l.s503.toFixed(1));"
    "set('v-504',l.s504.toFixed(1));"
    "line('c-rate',[h.map(x=>x.rate)],['#333']);line('c-inflight',[h.map(x=>x.async),"
    "h.map(x=>x.sync)],['#1769aa','#c0392b']);line('c-pool',[h.map(x=>x.busy),"
    "h.map(x=>x.queue)],['#c0392b','#1769aa']);line('c-lag',[h.map(x=>x.lag)],['#333']);"
    "line('c-shed',[h.map(x=>x.s503),h.map(x=>x.s504)],['#c0392b','#1769aa']);}"
    "prev=j;set('v-async',j.inflight_async);set('v-sync',j.inflight_sync);"
    "set('v-threads',j.pool_threads);set('v-busy',j.pool_busy);set('v-queue',j.pool_queued);"
    "set('v-lag',j.loop_lag_ms.toFixed(2));set('t-503',j.r503);set('t-504',j.r504);"
    "set('t-499',j.r499);set('t-stalls',j.stalls);set('t-fibers',j.fibers);"
    "set('t-conns',j.connections);set('age','updated '+new Date().toLocaleTimeString());"
    "rows('routes',j.routes.filter(r=>r.count>0).sort((a,b)=>b.mean_ms-a.mean_ms).slice(0,10)"
    ",['name','count','r5xx','mean_ms']);rows('backends',j.backends,['name','calls','errors',"
    "'active','waiting','connections','mean_ms']);}"
    "tick();setInterval(tick,1000);</script></body></html>\n";

static void status_page(weft_ctx *c)
{
    weft_reply(c, 200, "text/html; charset=utf-8", page, sizeof page - 1);
}

int weft_app_enable_status(weft_app *app, const char *path)
{
    char pattern[256];
    if (!path || path[0] != '/' ||
        snprintf(pattern, sizeof pattern, "GET %s.json", path) >= (int)sizeof pattern)
        return WEFT_EINVAL;
    int rc = weft_route(app, pattern, status_json, WEFT_CALLBACK);
    snprintf(pattern, sizeof pattern, "GET %s", path);
    return rc ? rc : weft_route(app, pattern, status_page, WEFT_CALLBACK);
}
