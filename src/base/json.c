/* json.c - the JSON pull reader (weft/json.h).
 *
 * A state machine over the grammar of RFC 8259: `expect` says what may come
 * next, the nesting is a bit stack in one word. Strings are validated
 * (escapes, surrogate pairs, UTF-8 per RFC 3629) but not decoded until
 * asked; numbers are checked against the grammar and handed out as text.
 * Errors are sticky: the reader never reads past the first one. */
#include <errno.h>
#include <stdlib.h>

#include "weft/json.h"

enum expect {
    X_TOP,                /* the document's value */
    X_VALUE,              /* after ':' or an array's ',' */
    X_VALUE_OR_ARRAY_END, /* after '[' */
    X_KEY,                /* after an object's ',' */
    X_KEY_OR_OBJECT_END,  /* after '{' */
    X_COMMA_OR_END,       /* after a value inside a container */
    X_DONE,               /* after the document's value: only whitespace */
    X_FAILED,
    X_FINISHED,
};

void weft_json_init(weft_json_reader *r, const char *data, size_t len)
{
    memset(r, 0, sizeof *r);
    r->p = r->begin = data;
    r->end = data + len;
    r->expect = X_TOP;
}

static weft_json_type fail(weft_json_reader *r, const char *at, const char *why)
{
    r->error = why;
    r->error_offset = (size_t)(at - r->begin);
    r->expect = X_FAILED;
    return WEFT_JSON_ERROR;
}

static void skip_space(weft_json_reader *r)
{
    const char *p = r->p;
    while (p < r->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    r->p = p;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

int weft_utf8_valid(const void *data, size_t len)
{
    const unsigned char *p = data, *end = p + len;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = utf8_len(p, end);
        if (!n)
            return 0;
        p += n;
    }
    return 1;
}

/* Bytes that need no look inside a string: printable ASCII but the
 * quote and the backslash. */
static const uint8_t plain[256] = {
#define R8(v) v, v, v, v, v, v, v, v
    R8(0), R8(0), R8(0), R8(0),            /* 0x00-0x1F: control characters */
    1, 1, 0, 1, 1, 1, 1, 1, R8(1),         /* 0x20-0x2F: but '"' */
    R8(1), R8(1), R8(1), R8(1), R8(1),     /* 0x30-0x57 */
    1, 1, 1, 1, 0, 1, 1, 1,                /* 0x58-0x5F: but '\\' */
    R8(1), R8(1), R8(1), R8(1),            /* 0x60-0x7F */
    /* 0x80-0xFF: UTF-8, checked sequence by sequence */
#undef R8
};

/* r->p is on the opening quote. Sets text/escaped and moves past the
 * closing quote. */
static int scan_string(weft_json_reader *r)
{
    const unsigned char *p = (const unsigned char *)r->p + 1;
    const unsigned char *end = (const unsigned char *)r->end;
    const unsigned char *start = p;
    int escaped = 0;
    for (;;) {
        /* The common case: a run of plain ASCII, one table load a byte. */
        while (p < end && plain[*p])
            p++;
        if (p >= end)
            return fail(r, (const char *)p, "unterminated string"), -1;
        unsigned c = *p;
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(r, (const char *)p, "control character in a string"), -1;
        if (c >= 0x80) {
            size_t n = utf8_len(p, end);
            if (!n)
                return fail(r, (const char *)p, "invalid UTF-8 in a string"), -1;
            p += n;
            continue;
        }
        /* a backslash */
        escaped = 1;
        if (end - p < 2)
            return fail(r, (const char *)p, "unterminated string"), -1;
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            continue;
        case 'u':
            break;
        default:
            return fail(r, (const char *)p, "invalid escape in a string"), -1;
        }
        unsigned u, u2;
        if (end - p < 6 || hex4(p + 2, &u))
            return fail(r, (const char *)p, "invalid \\u escape"), -1;
        p += 6;
        if (u >= 0xDC00 && u <= 0xDFFF)
            return fail(r, (const char *)p - 6, "lone low surrogate in a \\u escape"), -1;
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &u2) || u2 < 0xDC00 ||
                u2 > 0xDFFF)
                return fail(r, (const char *)p - 6, "high surrogate without its low half"), -1;
            p += 6;
        }
    }
    r->text = weft_str_make((const char *)start, (size_t)(p - start));
    r->escaped = escaped;
    r->p = (const char *)p + 1;
    return 0;
}

static int is_digit(const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

static int scan_number(weft_json_reader *r)
{
    const char *p = r->p, *end = r->end, *start = p;
    if (*p == '-')
        p++;
    if (!is_digit(p, end))
        return fail(r, p, "invalid number"), -1;
    if (*p == '0') {
        p++;
        if (is_digit(p, end))
            return fail(r, p, "leading zero in a number"), -1;
    } else {
        while (is_digit(p, end))
            p++;
    }
    if (p < end && *p == '.') {
        p++;
        if (!is_digit(p, end))
            return fail(r, p, "invalid number: no digit after '.'"), -1;
        while (is_digit(p, end))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!is_digit(p, end))
            return fail(r, p, "invalid number: no digit in the exponent"), -1;
        while (is_digit(p, end))
            p++;
    }
    r->text = weft_str_make(start, (size_t)(p - start));
    r->escaped = 0;
    r->p = p;
    return 0;
}

/* A value ended: what may follow depends on the container around it. */
static void after_value(weft_json_reader *r)
{
    r->expect = r->depth == 0 ? X_DONE : X_COMMA_OR_END;
}

static weft_json_type open_container(weft_json_reader *r, int object)
{
    if (r->depth == WEFT_JSON_MAX_DEPTH)
        return fail(r, r->p, "nesting too deep");
    uint64_t bit = (uint64_t)1 << r->depth;
    r->in_object = object ? r->in_object | bit : r->in_object & ~bit;
    r->depth++;
    r->p++;
    r->expect = object ? X_KEY_OR_OBJECT_END : X_VALUE_OR_ARRAY_END;
    return object ? WEFT_JSON_OBJECT : WEFT_JSON_ARRAY;
}

static weft_json_type close_container(weft_json_reader *r, int object)
{
    r->depth--;
    r->p++;
    after_value(r);
    return object ? WEFT_JSON_OBJECT_END : WEFT_JSON_ARRAY_END;
}

static int in_object(const weft_json_reader *r)
{
    return (int)(r->in_object >> (r->depth - 1) & 1);
}

static weft_json_type literal(weft_json_reader *r, const char *word, size_t len, weft_json_type t)
{
    if ((size_t)(r->end - r->p) < len || memcmp(r->p, word, len) != 0)
        return fail(r, r->p, "invalid literal");
    r->p += len;
    after_value(r);
    return t;
}

static weft_json_type value(weft_json_reader *r)
{
    if (r->p >= r->end)
        return fail(r, r->p, "unexpected end of input, expected a value");
    switch (*r->p) {
    case '{':
        return open_container(r, 1);
    case '[':
        return open_container(r, 0);
    case '"':
        if (scan_string(r))
            return WEFT_JSON_ERROR;
        after_value(r);
        return WEFT_JSON_STRING;
    case 't':
        return literal(r, "true", 4, WEFT_JSON_TRUE);
    case 'f':
        return literal(r, "false", 5, WEFT_JSON_FALSE);
    case 'n':
        return literal(r, "null", 4, WEFT_JSON_NULL);
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) {
            if (scan_number(r))
                return WEFT_JSON_ERROR;
            after_value(r);
            return WEFT_JSON_NUMBER;
        }
        return fail(r, r->p, "expected a value");
    }
}

static weft_json_type key(weft_json_reader *r)
{
    if (r->p >= r->end || *r->p != '"')
        return fail(r, r->p, "expected a member name (a string)");
    if (scan_string(r))
        return WEFT_JSON_ERROR;
    skip_space(r);
    if (r->p >= r->end || *r->p != ':')
        return fail(r, r->p, "expected ':' after a member name");
    r->p++;
    r->expect = X_VALUE;
    return WEFT_JSON_KEY;
}

weft_json_type weft_json_next(weft_json_reader *r)
{
    skip_space(r);
    switch (r->expect) {
    case X_FAILED:
        return WEFT_JSON_ERROR;
    case X_FINISHED:
        return WEFT_JSON_END;
    case X_DONE:
        if (r->p != r->end)
            return fail(r, r->p, "characters after the end of the document");
        r->expect = X_FINISHED;
        return WEFT_JSON_END;
    case X_COMMA_OR_END:
        if (r->p < r->end) {
            int obj = in_object(r);
            if (*r->p == ',') {
                r->p++;
                skip_space(r);
                return obj ? key(r) : value(r);
            }
            if (*r->p == (obj ? '}' : ']'))
                return close_container(r, obj);
        }
        return fail(r, r->p, in_object(r) ? "expected ',' or '}'" : "expected ',' or ']'");
    case X_KEY_OR_OBJECT_END:
        if (r->p < r->end && *r->p == '}')
            return close_container(r, 1);
        return key(r);
    case X_KEY:
        return key(r);
    case X_VALUE_OR_ARRAY_END:
        if (r->p < r->end && *r->p == ']')
            return close_container(r, 0);
        return value(r);
    default: /* X_TOP, X_VALUE */
        return value(r);
    }
}

int weft_json_skip(weft_json_reader *r, weft_json_type first)
{
    if (first != WEFT_JSON_OBJECT && first != WEFT_JSON_ARRAY)
        return first == WEFT_JSON_ERROR ? WEFT_EBADMSG : 0;
    int target = r->depth - 1;
    while (r->depth > target) {
        weft_json_type t = weft_json_next(r);
        if (t == WEFT_JSON_ERROR || t == WEFT_JSON_END)
            return WEFT_EBADMSG;
    }
    return 0;
}

/* Appends code point u as UTF-8 at out[n] when it fits; returns n + its length. */
static size_t put_utf8(char *out, size_t cap, size_t n, unsigned u)
{
    char tmp[4];
    size_t len;
    if (u < 0x80) {
        tmp[0] = (char)u;
        len = 1;
    } else if (u < 0x800) {
        tmp[0] = (char)(0xC0 | u >> 6);
        tmp[1] = (char)(0x80 | (u & 0x3F));
        len = 2;
    } else if (u < 0x10000) {
        tmp[0] = (char)(0xE0 | u >> 12);
        tmp[1] = (char)(0x80 | (u >> 6 & 0x3F));
        tmp[2] = (char)(0x80 | (u & 0x3F));
        len = 3;
    } else {
        tmp[0] = (char)(0xF0 | u >> 18);
        tmp[1] = (char)(0x80 | (u >> 12 & 0x3F));
        tmp[2] = (char)(0x80 | (u >> 6 & 0x3F));
        tmp[3] = (char)(0x80 | (u & 0x3F));
        len = 4;
    }
    for (size_t i = 0; i < len; i++, n++)
        if (n < cap)
            out[n] = tmp[i];
    return n;
}

size_t weft_json_string(const weft_json_reader *r, char *out, size_t cap)
{
    const char *p = r->text.base, *end = p + r->text.len;
    size_t n = 0;
    if (!r->escaped) {
        n = r->text.len;
        if (cap)
            memcpy(out, p, n < cap ? n : cap);
    } else {
        /* Validated by scan_string: every escape is complete. */
        while (p < end) {
            if (*p != '\\') {
                if (n < cap)
                    out[n] = *p;
                n++;
                p++;
                continue;
            }
            char e = p[1];
            p += 2;
            unsigned u = 0;
            switch (e) {
            case 'b': u = '\b'; break;
            case 'f': u = '\f'; break;
            case 'n': u = '\n'; break;
            case 'r': u = '\r'; break;
            case 't': u = '\t'; break;
            case 'u':
                hex4((const unsigned char *)p, &u);
                p += 4;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    unsigned lo = 0xDC00;
                    hex4((const unsigned char *)p + 2, &lo);
                    p += 6;
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                }
                break;
            default: u = (unsigned char)e; break; /* " \ / */
            }
            n = put_utf8(out, cap, n, u);
        }
    }
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}

/* Clinger's fast path: when the digits fit in 2^53 and the power of ten
 * is at most 22, both are exact doubles and one IEEE multiplication or
 * division rounds correctly - the same result as strtod, at a fraction of
 * the cost (prices, weights and ids all take it). 0, or -1 to fall back. */
static int double_fast(weft_str t, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = t.base, *end = p + t.len;
    int neg = *p == '-';
    p += neg;
    uint64_t m = 0;
    int digits = 0, scale = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (m || *p != '0')
            digits++;
        m = m * 10 + (uint64_t)(*p - '0');
        if (digits > 15)
            return -1;
    }
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            if (m || *p != '0')
                digits++;
            m = m * 10 + (uint64_t)(*p - '0');
            scale--;
            if (digits > 15)
                return -1;
        }
    }
    if (p < end) { /* an exponent */
        p++;
        int eneg = *p == '-';
        p += *p == '-' || *p == '+';
        int e = 0;
        for (; p < end; p++) {
            e = e * 10 + (*p - '0');
            if (e > 400)
                return -1;
        }
        scale += eneg ? -e : e;
    }
    if (scale < -22 || scale > 22)
        return -1;
    double v = (double)m; /* exact: m < 10^15 < 2^53 */
    v = scale < 0 ? v / pow10[-scale] : v * pow10[scale];
    *out = neg ? -v : v;
    return 0;
}

int weft_json_double(const weft_json_reader *r, double *out)
{
    if (double_fast(r->text, out) == 0)
        return 0;
    /* strtod needs a terminated copy; JSON numbers have no locale issue
     * as long as the program keeps the "C" numeric locale. */
    char small[64], *s = small;
    if (r->text.len >= sizeof small && !(s = malloc(r->text.len + 1)))
        return WEFT_ENOMEM;
    memcpy(s, r->text.base, r->text.len);
    s[r->text.len] = '\0';
    errno = 0;
    double v = strtod(s, NULL);
    int overflow = errno == ERANGE && (v > 1.0 || v < -1.0);
    if (s != small)
        free(s);
    if (overflow)
        return WEFT_ETOOBIG;
    *out = v;
    return 0;
}

int weft_json_int64(const weft_json_reader *r, int64_t *out)
{
    const char *p = r->text.base, *end = p + r->text.len;
    int neg = p < end && *p == '-';
    p += neg;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
    if (p == end)
        return WEFT_EINVAL;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return WEFT_EINVAL;
        unsigned d = (unsigned)(*p - '0');
        if (v > (limit - d) / 10)
            return WEFT_ETOOBIG;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}
