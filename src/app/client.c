/* client.c - the HTTP client's public entry: configuration, and the
 * choice of engine for each call.
 *
 * http:// and https:// to an IP address go to weft's own engine for the
 * configured protocol (src/http1/client.c over HTTP/1.1,
 * src/http2/client.c over HTTP/2: prior knowledge in cleartext, ALPN h2
 * over TLS); everything else,
 * and every call under curl_only, to libcurl (src/client/curl.c). This
 * file only picks: the engines share the core (src/client/core.c) and
 * know nothing of each other. */
#include "../base/opts.h"
#include "../client/core.h"

static weft_client_config config = {.max_conns_per_endpoint = 1024, .max_body = 8u << 20, .loops = 1};

/* Every engine, for the per-loop clean-up; the order of preference is
 * decided per call below. */
static const weft_client_engine *const all_engines[] = {&weft__engine_native, &weft__engine_h2,
                                                        &weft__engine_curl};

void weft_client_configure_sized(const weft_client_config *cfg, size_t cfg_size)
{
    weft_client_config own;
    config = *(const weft_client_config *)weft__opts_take(&own, sizeof own, cfg, cfg_size);
    if (!config.max_body)
        config.max_body = 8u << 20;
    /* The trust store is read here, at start, not by a loop's first
     * https:// call. */
    if (!config.curl_only) {
        char why[200];
        weft_http_opts none = {0};
        if (!weft__client_tls_for(&config, &none, why, sizeof why))
            weft_warn("https:// backend calls will fail: %s", why);
    }
}

weft_task *weft_http_request_sized(weft_scope *s, const char *url, const weft_http_opts *opts,
                                   size_t opts_size)
{
    weft_http_opts given;
    opts = weft__opts_take(&given, sizeof given, opts, opts_size);
    weft_task *t = weft_task_new(s);
    if (!t)
        return NULL;
    weft_http_opts none = {0};
    if (!opts)
        opts = &none;
    int reason = weft_scope_reason(s);
    client_loop *cl = reason ? NULL
                             : weft__client_loop(&config, all_engines,
                                                 sizeof all_engines / sizeof all_engines[0]);
    if (!cl) {
        weft_task_reject(t, reason ? reason : weft_loop_current() ? WEFT_ENOMEM : WEFT_ESTATE);
        return t;
    }
    const weft_client_engine *own = config.http2 ? &weft__engine_h2 : &weft__engine_native;
    if (!config.curl_only && own->start(own, cl, s, t, url, opts))
        return t;
    weft__engine_curl.start(&weft__engine_curl, cl, s, t, url, opts);
    return t;
}

weft_task *weft_http_get(weft_scope *s, const char *url)
{
    return weft_http_request(s, url, NULL);
}

void weft_client_thread_cleanup(void)
{
    weft__client_loop_free();
}
