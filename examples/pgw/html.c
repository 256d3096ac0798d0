/* html.c - see html.h. Every value that comes from the backend or the
 * request is escaped; nothing here trusts its input. */
#include <jansson.h>
#include <stdio.h>

#include "html.h"

static const char style[] =
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}"
    "h1{font-size:1.6em;margin-bottom:.2em}p.sub{color:#666;margin-top:0}"
    "table{border-collapse:collapse;margin:1em 0;min-width:30em}"
    "caption{text-align:left;font-weight:600;padding:.3em 0}"
    "th,td{border:1px solid #ccc;padding:.3em .7em;text-align:left}"
    "th{background:#f2f2f2}tr:nth-child(even) td{background:#fafafa}"
    "nav a{margin-right:1em}footer{margin-top:2em;color:#666;font-size:.9em}"
    ".elapsed{font-weight:600}.error{color:#a00}ul li{margin:.4em 0}";

void html_text(weft_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': weft_buf_append(b, "&lt;", 4); break;
        case '>': weft_buf_append(b, "&gt;", 4); break;
        case '&': weft_buf_append(b, "&amp;", 5); break;
        case '"': weft_buf_append(b, "&quot;", 6); break;
        case '\'': weft_buf_append(b, "&#39;", 5); break;
        default: weft_buf_append(b, s, 1);
        }
    }
}

void html_begin(weft_buf *b, const char *title, const char *subtitle)
{
    weft_buf_printf(b, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<title>");
    html_text(b, title);
    weft_buf_printf(b, " - weft pgw</title><style>%s</style></head><body><nav>"
                       "<a href=\"/\">Home</a><a href=\"/gizmos\">Gizmos</a>"
                       "<a href=\"/gizmos-async\">Gizmos async</a><a href=\"/pwg\">PWG</a>"
                       "<a href=\"/pwg-async\">PWG async</a><a href=\"/pwg-callback\">PWG "
                       "callback</a><a href=\"/gizmos-cancel-async\">Cancellation demo</a>"
                       "</nav><h1>",
                    style);
    html_text(b, title);
    weft_buf_printf(b, "</h1><p class=\"sub\">");
    html_text(b, subtitle);
    weft_buf_printf(b, "</p>");
}

void html_end(weft_buf *b, uint64_t elapsed_ms)
{
    weft_buf_printf(b,
                    "<footer>Elapsed time: <span class=\"elapsed\" id=\"elapsed\">%llu ms</span>"
                    " - served by weft</footer></body></html>\n",
                    (unsigned long long)elapsed_ms);
}

static void cell(weft_buf *b, json_t *v)
{
    char num[64];
    if (json_is_string(v))
        html_text(b, json_string_value(v));
    else if (json_is_integer(v))
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)), html_text(b, num);
    else if (json_is_real(v))
        snprintf(num, sizeof num, "%.2f", json_real_value(v)), html_text(b, num);
    else if (json_is_boolean(v))
        html_text(b, json_is_true(v) ? "true" : "false");
}

int html_table(weft_buf *b, const char *caption, const char *json, size_t len,
               const char *const *cols, char *err, size_t errcap)
{
    json_error_t je;
    json_t *arr = json_loadb(json, len, 0, &je);
    if (!json_is_array(arr)) {
        snprintf(err, errcap, "the backend's answer is not a JSON array (%s)",
                 arr ? "another JSON value" : je.text);
        json_decref(arr);
        return -1;
    }
    weft_buf_printf(b, "<table><caption>");
    html_text(b, caption);
    weft_buf_printf(b, "</caption><thead><tr>");
    for (const char *const *c = cols; *c; c++) {
        weft_buf_printf(b, "<th>");
        html_text(b, *c);
        weft_buf_printf(b, "</th>");
    }
    weft_buf_printf(b, "</tr></thead><tbody>");
    size_t i;
    json_t *row;
    json_array_foreach(arr, i, row)
    {
        weft_buf_printf(b, "<tr>");
        for (const char *const *c = cols; *c; c++) {
            weft_buf_printf(b, "<td>");
            cell(b, json_object_get(row, *c));
            weft_buf_printf(b, "</td>");
        }
        weft_buf_printf(b, "</tr>");
    }
    weft_buf_printf(b, "</tbody></table>");
    json_decref(arr);
    return 0;
}

void html_reply(weft_ctx *c, int status, weft_buf *b)
{
    weft_reply(c, status, "text/html; charset=utf-8", b->data, b->len);
    weft_buf_free(b);
}

void html_error(weft_ctx *c, int status, const char *title, const char *detail,
                uint64_t elapsed_ms)
{
    weft_buf b = {0};
    html_begin(&b, title, weft_http_status_text(status));
    weft_buf_printf(&b, "<p class=\"error\">");
    html_text(&b, detail);
    weft_buf_printf(&b, "</p>");
    html_end(&b, elapsed_ms);
    html_reply(c, status, &b);
}
