/* accesslog.c - one line per answered request, in the combined log format
 * plus the request's duration and id:
 *   client - - [time] "method target HTTP/1.x" status bytes "referer" "agent" 0.503 ID
 * (client: the peer, or X-Forwarded-For's from a --trusted-proxy)
 * Quotes, backslashes and control bytes from the client are escaped as
 * \xHH so a request cannot forge log lines. Runs on the loop thread; the
 * line goes to the thread's batch (see weft_log_access). */
#include <stdio.h>
#include <time.h>

#include "server.h"

static __thread time_t stamp_sec = -1;
static __thread char stamp[64];

static const char *log_time(void)
{
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != stamp_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(stamp, sizeof stamp, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday % 100,
                 months[tm.tm_mon % 12], (tm.tm_year + 1900) % 10000, tm.tm_hour % 100,
                 tm.tm_min % 100, tm.tm_sec % 100);
        stamp_sec = ts.tv_sec;
    }
    return stamp;
}

static void put_escaped(weft_buf *b, weft_str s)
{
    if (!s.base) {
        weft_buf_append(b, "-", 1);
        return;
    }
    for (size_t i = 0; i < s.len; i++) {
        unsigned char ch = (unsigned char)s.base[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
            weft_buf_printf(b, "\\x%02X", ch);
        else
            weft_buf_append(b, &s.base[i], 1);
    }
}

void weft__access_log(weft_ctx *c)
{
    if (c->app->cfg.quiet)
        return;
    weft_buf *b = &c->sl->logline;
    b->len = 0;
    weft_buf_printf(b, "%s - - [%s] \"", weft_req_client(c), log_time());
    if (c->req.target.base) {
        put_escaped(b, c->req.method);
        weft_buf_append(b, " ", 1);
        put_escaped(b, c->req.target);
        weft_buf_printf(b, " %s", c->codec->proto(c));
    } else {
        weft_buf_append(b, "-", 1);
    }
    /* 499 (nginx's "client closed request"): whatever the handler made of
     * its canceled scope went to a peer that had already left. */
    weft_buf_printf(b, "\" %d %llu \"", c->client_gone ? 499 : c->status,
                    (unsigned long long)c->bytes_out);
    put_escaped(b, weft_http_find_header(&c->req, WEFT_STRLIT("Referer")));
    weft_buf_append(b, "\" \"", 3);
    put_escaped(b, weft_http_find_header(&c->req, WEFT_STRLIT("User-Agent")));
    /* nginx's $request_time (s, the loop's ms clock) and the request's id */
    uint64_t ms = weft_loop_now(&c->sl->loop) - c->started_ms;
    weft_buf_printf(b, "\" %llu.%03llu %s\n", (unsigned long long)(ms / 1000),
                    (unsigned long long)(ms % 1000), weft_req_id(c));
    weft_log_access(b->data, b->len);
}
