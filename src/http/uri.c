/* uri.c - request targets and authorities checked against RFC 3986.
 *
 * What a request names - its path, query and host - is where servers and
 * the proxies in front of them most often disagree: a '#' one of them cuts
 * and the other keeps, a "user@host" one of them routes by user, a host
 * "0x7f.1" that one resolver reads as 127.0.0.1 and an allow-list does not.
 * weft takes only what the grammar allows, so there is one reading:
 *
 *   origin-form  path  = 1*( "/" *pchar ), query = *( pchar / "/" / "?" )
 *   pchar        = unreserved / pct-encoded / sub-delims / ":" / "@"
 *   authority    = host [ ":" *DIGIT ]             (no userinfo: RFC 9110 4.2.4)
 *   host         = "[" IPv6address / IPvFuture "]" / IPv4address / reg-name
 *
 * and two rules of our own, each closing a known way to be misread: a
 * path's percent-escapes must decode to UTF-8 without NUL or overlong
 * forms (%C0%AF is not '/'), and a reg-name whose last label is a number
 * (decimal, or 0x hex) must be a plain dotted-quad IPv4 address, because
 * inet_aton() and browsers read "017700000001" and "0x7f.1" as 127.0.0.1
 * while a string comparison does not (WHATWG URL's "ends in a number"). */
#include "uri.h"

/* The character classes a target and a host are checked against, one
 * table look-up a byte (the parser's hot path). Bytes from 0x80 are in
 * no class. */
enum {
    PATH_CHAR = 1, /* pchar's literal characters and '/' */
    REG_CHAR = 2,  /* a reg-name's: unreserved and sub-delims */
    HEX_CHAR = 4,
};
#define UNRESERVED (PATH_CHAR | REG_CHAR)
#define SUB_DELIM (PATH_CHAR | REG_CHAR)
static const unsigned char uri_class[256] = {
    /* unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
    ['a' ... 'f'] = UNRESERVED | HEX_CHAR, ['g' ... 'z'] = UNRESERVED,
    ['A' ... 'F'] = UNRESERVED | HEX_CHAR, ['G' ... 'Z'] = UNRESERVED,
    ['0' ... '9'] = UNRESERVED | HEX_CHAR,
    ['-'] = UNRESERVED, ['.'] = UNRESERVED, ['_'] = UNRESERVED, ['~'] = UNRESERVED,
    /* sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "=" */
    ['!'] = SUB_DELIM, ['$'] = SUB_DELIM, ['&'] = SUB_DELIM, ['\''] = SUB_DELIM,
    ['('] = SUB_DELIM, [')'] = SUB_DELIM, ['*'] = SUB_DELIM, ['+'] = SUB_DELIM,
    [','] = SUB_DELIM, [';'] = SUB_DELIM, ['='] = SUB_DELIM,
    /* the rest of pchar, and the path's separator */
    [':'] = PATH_CHAR, ['@'] = PATH_CHAR, ['/'] = PATH_CHAR,
};

static int is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
    return uri_class[c] & HEX_CHAR;
}

static int hex_value(unsigned char c)
{
    return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* A UTF-8 validator fed one decoded byte at a time (RFC 3629 table 4):
 * rejects overlong forms, surrogates, code points past U+10FFFF and NUL. */
typedef struct utf8_state {
    int need;              /* continuation bytes still expected */
    unsigned char lo, hi;  /* the range the next continuation byte must be in */
} utf8_state;

static int utf8_step(utf8_state *u, unsigned char b)
{
    if (u->need) {
        if (b < u->lo || b > u->hi)
            return -1;
        u->lo = 0x80;
        u->hi = 0xbf;
        u->need--;
        return 0;
    }
    u->lo = 0x80;
    u->hi = 0xbf;
    if (b < 0x80)
        return b == 0 ? -1 : 0;
    if (b >= 0xc2 && b <= 0xdf)
        u->need = 1;
    else if (b == 0xe0)
        u->need = 2, u->lo = 0xa0;
    else if (b == 0xed)
        u->need = 2, u->hi = 0x9f; /* no UTF-16 surrogates */
    else if (b >= 0xe1 && b <= 0xef)
        u->need = 2;
    else if (b == 0xf0)
        u->need = 3, u->lo = 0x90;
    else if (b >= 0xf1 && b <= 0xf3)
        u->need = 3;
    else if (b == 0xf4)
        u->need = 3, u->hi = 0x8f;
    else
        return -1; /* C0, C1 (overlong ASCII), F5..FF */
    return 0;
}

/* Checks p..end as path characters (in_query 0) or query ones (1); a '?'
 * in a path starts the query. */
static const char *target_chars_check(const unsigned char *p, const unsigned char *end,
                                      int in_query)
{
    utf8_state u = {0, 0x80, 0xbf};
    for (; p < end; p++) {
        unsigned char c = *p;
        if (c == '%') {
            if (end - p < 3 || !is_hex(p[1]) || !is_hex(p[2]))
                return "malformed percent-encoding in the request target";
            unsigned char b = (unsigned char)(hex_value(p[1]) << 4 | hex_value(p[2]));
            p += 2;
            if (!in_query && utf8_step(&u, b))
                return "the request path does not decode to valid UTF-8";
            continue;
        }
        if (uri_class[c] & PATH_CHAR) {
            if (!in_query && u.need)
                return "the request path does not decode to valid UTF-8";
            continue;
        }
        if (!in_query && u.need)
            return "the request path does not decode to valid UTF-8";
        if (c == '?') {
            in_query = 1;
            continue;
        }
        return c == '#' ? "a fragment ('#') is not part of a request target"
                        : "invalid character in the request target";
    }
    if (!in_query && u.need)
        return "the request path does not decode to valid UTF-8";
    return NULL;
}

const char *weft__uri_origin_check(weft_str target)
{
    const unsigned char *p = (const unsigned char *)target.base;
    if (target.len == 0 || *p != '/')
        return "the request target must start with '/'";
    return target_chars_check(p, p + target.len, 0);
}

const char *weft__uri_query_check(weft_str query)
{
    const unsigned char *p = (const unsigned char *)query.base;
    return target_chars_check(p, p + query.len, 1);
}

/* dec-octet "." dec-octet "." dec-octet "." dec-octet, no leading zeros. */
static int ipv4_valid(const char *p, const char *end)
{
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (p == end || *p != '.')
                return 0;
            p++;
        }
        const char *s = p;
        int v = 0;
        while (p < end && is_digit((unsigned char)*p) && p - s < 3)
            v = v * 10 + (*p++ - '0');
        if (p == s || v > 255 || (p - s > 1 && *s == '0'))
            return 0;
    }
    return p == end;
}

static int ipv6_valid(const char *p, const char *end)
{
    int groups = 0, elided = 0;
    if (end - p >= 2 && p[0] == ':' && p[1] == ':') {
        elided = 1;
        p += 2;
        if (p == end)
            return 1;
    }
    for (;;) {
        const char *s = p;
        while (p < end && is_hex((unsigned char)*p) && p - s < 5)
            p++;
        if (p < end && *p == '.') { /* the last 32 bits as IPv4 */
            if (!ipv4_valid(s, end))
                return 0;
            groups += 2;
            break;
        }
        if (p == s || p - s > 4)
            return 0;
        groups++;
        if (p == end)
            break;
        if (*p != ':' || ++p == end)
            return 0;
        if (*p == ':') {
            if (elided)
                return 0; /* "::" at most once */
            elided = 1;
            if (++p == end)
                break;
        }
    }
    return elided ? groups <= 7 : groups == 8;
}

/* "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
static int ipvfuture_valid(const char *p, const char *end)
{
    if (p == end || (*p | 0x20) != 'v')
        return 0;
    const char *s = ++p;
    while (p < end && is_hex((unsigned char)*p))
        p++;
    if (p == s || p == end || *p++ != '.' || p == end)
        return 0;
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(uri_class[c] & REG_CHAR) && c != ':')
            return 0;
    }
    return 1;
}

/* A label that a resolver would read as a number: digits, or 0x and hex. */
static int label_is_numeric(const char *p, const char *end)
{
    if (end - p >= 2 && p[0] == '0' && (p[1] | 0x20) == 'x') {
        for (p += 2; p < end; p++)
            if (!is_hex((unsigned char)*p))
                return 0;
        return 1;
    }
    if (p == end)
        return 0;
    for (; p < end; p++)
        if (!is_digit((unsigned char)*p))
            return 0;
    return 1;
}

static const char *reg_name_check(const char *p, const char *end)
{
    for (const char *s = p; s < end; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '%') {
            if (end - s < 3 || !is_hex((unsigned char)s[1]) || !is_hex((unsigned char)s[2]))
                return "malformed percent-encoding in the host";
            s += 2;
        } else if (c == '@') {
            return "user information is not allowed in the authority";
        } else if (!(uri_class[c] & REG_CHAR)) {
            return "invalid character in the host";
        }
    }
    const char *last_end = end > p && end[-1] == '.' ? end - 1 : end;
    const char *last = last_end;
    while (last > p && last[-1] != '.')
        last--;
    if (label_is_numeric(last, last_end) && !ipv4_valid(p, end))
        return "a numeric host must be a dotted-quad IPv4 address";
    return NULL;
}

const char *weft__uri_authority_check(weft_str authority)
{
    const char *p = authority.base, *end = p + authority.len;
    const char *host_end;
    if (p < end && *p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close)
            return "unterminated IPv6 address in the authority";
        if (!ipv6_valid(p + 1, close) && !ipvfuture_valid(p + 1, close))
            return "malformed IP literal in the authority";
        host_end = close + 1;
        if (host_end < end && *host_end != ':')
            return "junk after the IP literal in the authority";
    } else {
        host_end = memchr(p, ':', (size_t)(end - p));
        if (!host_end)
            host_end = end;
        if (host_end == p)
            return "the authority has an empty host";
        const char *why = reg_name_check(p, host_end);
        if (why)
            return why;
    }
    if (host_end < end) { /* ":" port: digits only, at most 65535 */
        const char *s = host_end + 1;
        long port = 0;
        for (const char *q = s; q < end; q++) {
            if (!is_digit((unsigned char)*q))
                return "the port in the authority is not a number";
            port = port * 10 + (*q - '0');
            if (port > 65535)
                return "the port in the authority is out of range";
        }
    }
    return NULL;
}

const char *weft__uri_absolute_split(weft_str target, weft_str *authority, weft_str *rest)
{
    const char *p = target.base, *end = p + target.len;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    if (p == end || !is_alpha((unsigned char)*p))
        return "malformed request target";
    const char *s = p + 1;
    while (s < end && (is_alpha((unsigned char)*s) || is_digit((unsigned char)*s) || *s == '+' ||
                       *s == '-' || *s == '.'))
        s++;
    if (end - s < 3 || memcmp(s, "://", 3) != 0)
        return "malformed request target";
    const char *a = s + 3, *e = a;
    while (e < end && *e != '/' && *e != '?' && *e != '#')
        e++;
    *authority = weft_str_make(a, (size_t)(e - a));
    *rest = weft_str_make(e, (size_t)(end - e));
    return weft__uri_authority_check(*authority);
}
