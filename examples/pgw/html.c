/* html.c - see html.h. Every value that comes from the backend or the
 * request is escaped; nothing here trusts its input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

#define LIT(b, s) weft_buf_append((b), (s), sizeof(s) - 1)

static const char style[] =
    "body{font-family:system-ui,sans-serif;margin:3.5em auto 2em;max-width:60em;color:#222}"
    "h1{font-size:1.6em;margin-bottom:.2em}p.sub{color:#666;margin-top:0}"
    "table{border-collapse:collapse;margin:1em 0;min-width:30em}"
    "caption{text-align:left;font-weight:600;padding:.3em 0}"
    "th,td{border:1px solid #ccc;padding:.3em .7em;text-align:left}"
    "th{background:#f2f2f2}tr:nth-child(even) td{background:#fafafa}"
    /* the elapsed time is written last but shown first: pinned top right */
    "nav a{margin-right:1em}footer{position:fixed;top:.6em;right:1em;background:#fffbe6;"
    "border:1px solid #e6d98c;border-radius:4px;padding:.3em .8em;color:#444}"
    ".elapsed{font-weight:600}.error{color:#a00}ul li{margin:.4em 0}";

/* Escapes in runs: plain stretches are copied whole (this is on every
 * cell of every table; S3 measured the byte-at-a-time version). NUL bytes
 * (a decoded \u0000) are dropped. */
void html_text_n(weft_buf *b, const char *s, size_t len)
{
    const char *end = s + len;
    while (s < end) {
        const char *run = s;
        while (s < end && *s != '<' && *s != '>' && *s != '&' && *s != '"' && *s != '\'' &&
               *s != '\0')
            s++;
        weft_buf_append(b, run, (size_t)(s - run));
        if (s == end)
            return;
        switch (*s) {
        case '<': LIT(b, "&lt;"); break;
        case '>': LIT(b, "&gt;"); break;
        case '&': LIT(b, "&amp;"); break;
        case '"': LIT(b, "&quot;"); break;
        case '\'': LIT(b, "&#39;"); break;
        default: break; /* NUL */
        }
        s++;
    }
}

void html_text(weft_buf *b, const char *s)
{
    if (s)
        html_text_n(b, s, strlen(s));
}

/* A table page is 2-4 KiB; one allocation up front instead of a chain
 * of reallocs as it grows. */
#define PAGE_RESERVE (4u * 1024u)

void html_begin(weft_buf *b, const char *title, const char *subtitle)
{
    weft_buf_reserve(b, PAGE_RESERVE);
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
    char num[24];
    LIT(b, "<footer>Elapsed time: <span class=\"elapsed\" id=\"elapsed\">");
    weft_buf_append(b, num, weft_u64_to_dec(num, elapsed_ms));
    LIT(b, " ms</span> - served by weft</footer></body></html>\n");
}

/* A price-like real with two decimals (halves round away from zero),
 * without printf's arbitrary-precision machinery, which was 8% of the
 * front end's CPU in S3's profile. Huge values fall back to "%.2f". */
static int two_decimals(char *out, size_t cap, double v)
{
    if (!(fabs(v) < 1e15))
        return snprintf(out, cap, "%.2f", v);
    unsigned long long cents = (unsigned long long)llround(fabs(v) * 100.0);
    int n = 0;
    if (v < 0 && cents)
        out[n++] = '-';
    n += (int)weft_u64_to_dec(out + n, cents / 100);
    out[n++] = '.';
    out[n++] = (char)('0' + cents / 10 % 10);
    out[n++] = (char)('0' + cents % 10);
    return n;
}

/* One cell: the value the row's object had under the column's name. */
static void cell(weft_buf *b, weft_json_type type, const weft_json_reader *at)
{
    char num[64];
    int n;
    int64_t i;
    double d;
    switch (type) {
    case WEFT_JSON_STRING:
        if (!at->escaped) {
            html_text_n(b, at->text.base, at->text.len);
        } else {
            char small[256], *s = small;
            size_t len = weft_json_string(at, NULL, 0);
            if (len >= sizeof small && !(s = malloc(len + 1)))
                return;
            weft_json_string(at, s, len + 1);
            html_text_n(b, s, len);
            if (s != small)
                free(s);
        }
        break;
    case WEFT_JSON_NUMBER: /* digits need no escaping */
        if (weft_json_int64(at, &i) == 0) {
            n = 0;
            if (i < 0)
                num[n++] = '-';
            n += (int)weft_u64_to_dec(num + n, i < 0 ? 0ull - (uint64_t)i : (uint64_t)i);
        } else if (weft_json_double(at, &d) == 0) {
            n = two_decimals(num, sizeof num, d);
        } else {
            break; /* too large for a double: left empty */
        }
        weft_buf_append(b, num, (size_t)n);
        break;
    case WEFT_JSON_TRUE: LIT(b, "true"); break;
    case WEFT_JSON_FALSE: LIT(b, "false"); break;
    default: break; /* null, nested objects and arrays, absent: empty */
    }
}

static int key_is(const weft_json_reader *r, const char *name, size_t len)
{
    if (!r->escaped)
        return r->text.len == len && memcmp(r->text.base, name, len) == 0;
    char decoded[64];
    size_t n = weft_json_string(r, decoded, sizeof decoded);
    return n == len && n < sizeof decoded && memcmp(decoded, name, len) == 0;
}

#define MAX_COLS 8

/* The rows of the array the reader is in, up to its ']'. An element that
 * is not an object makes a row of empty cells; a member named twice keeps
 * its last value. 0, or -1 when the JSON is invalid. */
static int rows(weft_buf *b, weft_json_reader *r, const char *const *cols, size_t ncols)
{
    size_t col_len[MAX_COLS];
    for (size_t c = 0; c < ncols; c++)
        col_len[c] = strlen(cols[c]);
    for (;;) {
        weft_json_type t = weft_json_next(r);
        if (t == WEFT_JSON_ARRAY_END)
            return 0;
        weft_json_type type[MAX_COLS] = {0};
        weft_json_reader at[MAX_COLS];
        if (t == WEFT_JSON_OBJECT) {
            while ((t = weft_json_next(r)) == WEFT_JSON_KEY) {
                size_t c = 0;
                while (c < ncols && !key_is(r, cols[c], col_len[c]))
                    c++;
                weft_json_type v = weft_json_next(r);
                if (c < ncols) {
                    type[c] = v;
                    at[c] = *r;
                }
                if (weft_json_skip(r, v))
                    return -1;
            }
            if (t != WEFT_JSON_OBJECT_END)
                return -1;
        } else if (weft_json_skip(r, t)) {
            return -1;
        }
        LIT(b, "<tr>");
        for (size_t c = 0; c < ncols; c++) {
            LIT(b, "<td>");
            cell(b, type[c], &at[c]);
            LIT(b, "</td>");
        }
        LIT(b, "</tr>");
    }
}

/* Read with weft's JSON pull reader straight from the response body: no
 * tree, no allocation (docs/design.md: jansson's tree was half the front
 * end's CPU at 8,000 clients). The reader validates as strictly as a full
 * parse, so a broken answer still becomes the error page. */
int html_table(weft_buf *b, const char *caption, const char *json, size_t len,
               const char *const *cols, char *err, size_t errcap)
{
    size_t ncols = 0;
    while (cols[ncols])
        ncols++;
    if (ncols > MAX_COLS) {
        snprintf(err, errcap, "too many columns (%zu, at most %d)", ncols, MAX_COLS);
        return -1;
    }
    weft_json_reader r;
    weft_json_init(&r, json, len);
    weft_json_type t = weft_json_next(&r);
    if (t != WEFT_JSON_ARRAY) {
        if (t == WEFT_JSON_ERROR)
            snprintf(err, errcap, "the backend's answer is not valid JSON (%s at byte %zu)",
                     r.error, r.error_offset);
        else
            snprintf(err, errcap, "the backend's answer is not a JSON array");
        return -1;
    }
    LIT(b, "<table><caption>");
    html_text(b, caption);
    LIT(b, "</caption><thead><tr>");
    for (size_t c = 0; c < ncols; c++) {
        LIT(b, "<th>");
        html_text(b, cols[c]);
        LIT(b, "</th>");
    }
    LIT(b, "</tr></thead><tbody>");
    if (rows(b, &r, cols, ncols) || weft_json_next(&r) != WEFT_JSON_END) {
        snprintf(err, errcap, "the backend's answer is not valid JSON (%s at byte %zu)",
                 r.error ? r.error : "?", r.error_offset);
        return -1;
    }
    LIT(b, "</tbody></table>");
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
