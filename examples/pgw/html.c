/* html.c - see html.h. Every value that comes from the backend or the
 * request is escaped; nothing here trusts its input. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "html.h"

#define LIT(b, s) weft_buf_append((b), (s), sizeof(s) - 1)

static const char style[] =
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}"
    "h1{font-size:1.6em;margin-bottom:.2em}p.sub{color:#666;margin-top:0}"
    "table{border-collapse:collapse;margin:1em 0;min-width:30em}"
    "caption{text-align:left;font-weight:600;padding:.3em 0}"
    "th,td{border:1px solid #ccc;padding:.3em .7em;text-align:left}"
    "th{background:#f2f2f2}tr:nth-child(even) td{background:#fafafa}"
    "nav a{margin-right:1em}footer{margin-top:2em;color:#666;font-size:.9em}"
    ".elapsed{font-weight:600}.error{color:#a00}ul li{margin:.4em 0}";

/* Escapes in runs: plain stretches are copied whole (this is on every
 * cell of every table; S3 measured the byte-at-a-time version). */
void html_text(weft_buf *b, const char *s)
{
    while (s && *s) {
        size_t run = strcspn(s, "<>&\"'");
        weft_buf_append(b, s, run);
        s += run;
        switch (*s) {
        case '<': LIT(b, "&lt;"); break;
        case '>': LIT(b, "&gt;"); break;
        case '&': LIT(b, "&amp;"); break;
        case '"': LIT(b, "&quot;"); break;
        case '\'': LIT(b, "&#39;"); break;
        default: return; /* the end of the string */
        }
        s++;
    }
}

void html_begin(weft_buf *b, const char *title, const char *subtitle)
{
    LIT(b, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    html_text(b, title);
    LIT(b, " - weft pgw</title><style>");
    LIT(b, style);
    LIT(b, "</style></head><body><nav>"
           "<a href=\"/\">Home</a><a href=\"/gizmos\">Gizmos</a>"
           "<a href=\"/gizmos-async\">Gizmos async</a><a href=\"/pwg\">PWG</a>"
           "<a href=\"/pwg-async\">PWG async</a><a href=\"/pwg-callback\">PWG "
           "callback</a><a href=\"/gizmos-cancel-async\">Cancellation demo</a>"
           "</nav><h1>");
    html_text(b, title);
    LIT(b, "</h1><p class=\"sub\">");
    html_text(b, subtitle);
    LIT(b, "</p>");
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
    if (json_is_string(v)) {
        html_text(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        int n = snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        weft_buf_append(b, num, (size_t)n); /* digits need no escaping */
    } else if (json_is_real(v)) {
        int n = snprintf(num, sizeof num, "%.2f", json_real_value(v));
        weft_buf_append(b, num, (size_t)n);
    }
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
    LIT(b, "<table><caption>");
    html_text(b, caption);
    LIT(b, "</caption><thead><tr>");
    for (const char *const *c = cols; *c; c++) {
        LIT(b, "<th>");
        html_text(b, *c);
        LIT(b, "</th>");
    }
    LIT(b, "</tr></thead><tbody>");
    size_t i;
    json_t *row;
    json_array_foreach(arr, i, row)
    {
        LIT(b, "<tr>");
        for (const char *const *c = cols; *c; c++) {
            LIT(b, "<td>");
            cell(b, json_object_get(row, *c));
            LIT(b, "</td>");
        }
        LIT(b, "</tr>");
    }
    LIT(b, "</tbody></table>");
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
    LIT(&b, "<p class=\"error\">");
    html_text(&b, detail);
    LIT(&b, "</p>");
    html_end(&b, elapsed_ms);
    html_reply(c, status, &b);
}
