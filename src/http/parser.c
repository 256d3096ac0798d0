/* parser.c - strict, zero-copy HTTP/1.1 request-head parser (RFC 9112).
 *
 * Owns nothing: it reads the caller's buffer and returns slices into it.
 * The head is parsed whole once it is complete; while it is not, a caller
 * that keeps a weft_http_scan has the new bytes looked at only for a line
 * end, so a head that trickles in a byte at a time costs a full parse per
 * line, not per byte. Every limit is checked against the bytes seen so
 * far, so incomplete input cannot make a caller buffer without bound.
 *
 * Strictness, deliberately: lines end in CRLF (a bare CR or LF is 400), no
 * whitespace before the colon, no obs-fold, no control characters in
 * values, one Content-Length, never both Content-Length and
 * Transfer-Encoding. Each of these ambiguities is a request-smuggling
 * vector when a proxy and a server read a message differently. */
#include "weft/http.h"
#include "chars.h"
#include "uri.h"

/* tchar per RFC 9110 section 5.6.2 */
const unsigned char weft__tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,  ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
    ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
    ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static inline int is_vchar(unsigned char c)
{
    return c > 0x20 && c != 0x7f; /* VCHAR or obs-text */
}

typedef struct cursor {
    const char *p, *end;
} cursor;

static int fail(weft_http_req *req, int err, const char *why)
{
    req->error = why;
    return err;
}

/* Finds the end of the line that starts at c->p. Returns 1 and sets *eol to
 * the CR when a CRLF is found, 0 when more input is needed, -1 on a bare
 * CR or LF. */
static int find_eol(const char *p, const char *end, const char **eol)
{
    for (; p < end; p++) {
        if (*p == '\r') {
            if (p + 1 == end)
                return 0;
            if (p[1] != '\n')
                return -1;
            *eol = p;
            return 1;
        }
        if (*p == '\n')
            return -1;
    }
    return 0;
}

static int parse_version(weft_http_req *req, const char *v, size_t n)
{
    if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
        v[7] < '0' || v[7] > '9')
        return fail(req, WEFT_EBADMSG, "malformed HTTP version");
    if (v[5] != '1')
        return fail(req, WEFT_EVERSION, "HTTP version not supported (this server speaks HTTP/1.x)");
    /* A higher 1.x minor is answered as 1.1 (RFC 9110 section 6.2). */
    req->minor = v[7] == '0' ? 0 : 1;
    return 0;
}

/* Splits and checks the target (RFC 9112 section 3.2): origin-form for
 * every method, asterisk-form for OPTIONS, absolute-form whose authority
 * then stands for Host. authority-form belongs to CONNECT alone, which is
 * a proxy's method: parse_request_line refuses it before this. */
static int split_target(weft_http_req *req)
{
    weft_str t = req->target;
    const char *why;
    if (t.len == 1 && *t.base == '*') {
        if (!weft_str_eq(req->method, WEFT_STRLIT("OPTIONS")))
            return fail(req, WEFT_EBADMSG, "the target '*' is for OPTIONS only");
        req->path = t;
        req->query = WEFT_STR_NULL;
        return 0;
    }
    if (*t.base != '/') {
        weft_str authority, rest;
        if ((why = weft__uri_absolute_split(t, &authority, &rest)))
            return fail(req, WEFT_EBADMSG, why);
        req->host = authority;
        req->absolute_form = 1;
        if (rest.len == 0 || *rest.base == '?') {
            /* empty path: "/" is implied; keep the query if any */
            req->path = WEFT_STRLIT("/");
            req->query = rest.len ? weft_str_make(rest.base + 1, rest.len - 1) : WEFT_STR_NULL;
            if (req->query.len && (why = weft__uri_query_check(req->query)))
                return fail(req, WEFT_EBADMSG, why);
            return 0;
        }
        t = rest;
    }
    if ((why = weft__uri_origin_check(t)))
        return fail(req, WEFT_EBADMSG, why);
    const char *q = memchr(t.base, '?', t.len);
    if (q) {
        req->path = weft_str_make(t.base, (size_t)(q - t.base));
        req->query = weft_str_make(q + 1, (size_t)(t.base + t.len - q - 1));
    } else {
        req->path = t;
        req->query = WEFT_STR_NULL;
    }
    return 0;
}

static int parse_request_line(cursor *c, weft_http_req *req, const weft_http_limits *lim)
{
    const char *eol;
    int r = find_eol(c->p, c->end, &eol);
    if (r == 0) {
        if ((size_t)(c->end - c->p) > lim->max_request_line)
            return fail(req, WEFT_EURITOOLONG, "request line too long");
        return WEFT_EAGAIN;
    }
    if (r < 0)
        return fail(req, WEFT_EBADMSG, "bare CR or LF in request line");
    if ((size_t)(eol - c->p) > lim->max_request_line)
        return fail(req, WEFT_EURITOOLONG, "request line too long");

    const char *p = c->p;
    const char *m = p;
    while (p < eol && weft__tchar[(unsigned char)*p])
        p++;
    if (p == m || p == eol || *p != ' ')
        return fail(req, WEFT_EBADMSG, "malformed method");
    req->method = weft_str_make(m, (size_t)(p - m));
    if (weft_str_eq(req->method, WEFT_STRLIT("CONNECT")))
        return fail(req, WEFT_ENOTIMPL, "CONNECT is not supported (this is not a proxy)");
    const char *t = ++p;
    while (p < eol && is_vchar((unsigned char)*p))
        p++;
    if (p == t || p == eol || *p != ' ')
        return fail(req, WEFT_EBADMSG, "malformed request target");
    req->target = weft_str_make(t, (size_t)(p - t));
    p++;
    r = parse_version(req, p, (size_t)(eol - p));
    if (r)
        return r;
    r = split_target(req);
    if (r)
        return r;
    c->p = eol + 2;
    return 0;
}

static int note_content_length(weft_http_req *req, weft_str v, const weft_http_limits *lim)
{
    if (req->has_content_length)
        return fail(req, WEFT_EBADMSG, "duplicate Content-Length");
    uint64_t n;
    if (weft_str_to_u64(v, UINT64_MAX, &n))
        return fail(req, WEFT_EBADMSG, "invalid Content-Length");
    if (n > lim->max_body)
        return fail(req, WEFT_ETOOBIG, "request body too large");
    req->content_length = n;
    req->has_content_length = 1;
    return 0;
}

/* What the fields seen so far say about framing and routing. */
typedef struct head_state {
    unsigned te_fields;   /* Transfer-Encoding fields */
    unsigned te_codings;  /* transfer codings listed in them, in order */
    unsigned te_chunked;  /* how many of them are a plain "chunked" */
    int te_last_chunked;  /* the last one listed is */
    int host_seen, host_empty;
    int conn_close, conn_keep;
} head_state;

static const char *skip_ows(const char *p, const char *end)
{
    while (p < end && weft__is_ows((unsigned char)*p))
        p++;
    return p;
}

static const char *skip_token(const char *p, const char *end)
{
    while (p < end && weft__tchar[(unsigned char)*p])
        p++;
    return p;
}

/* quoted-string (RFC 9110 section 5.6.4) from its opening quote: the byte
 * after the closing one, or NULL if malformed or unterminated. */
static const char *skip_quoted(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c == '\\') {
            if (++p == end || !weft__is_field_char((unsigned char)*p))
                return NULL;
        } else if (!weft__is_field_char(c)) {
            return NULL;
        }
    }
    return NULL;
}

/* One Transfer-Encoding field: a list of transfer-coding, each a token
 * with optional ";name=value" parameters (RFC 9112 section 6.1, RFC 9110
 * section 10.1.4); empty list elements are allowed (RFC 9110 5.6.1). A
 * coding with parameters is never plain chunked. -1 on a syntax error. */
static int note_transfer_codings(head_state *st, weft_str v)
{
    const char *p = v.base, *end = v.base + v.len;
    for (;;) {
        p = skip_ows(p, end);
        if (p == end)
            return 0;
        if (*p == ',') {
            p++;
            continue;
        }
        const char *name = p;
        p = skip_token(p, end);
        if (p == name)
            return -1;
        int chunked = weft_str_ieq(weft_str_make(name, (size_t)(p - name)), WEFT_STRLIT("chunked"));
        p = skip_ows(p, end);
        while (p < end && *p == ';') {
            chunked = 0;
            const char *pn = p = skip_ows(p + 1, end);
            p = skip_token(p, end);
            if (p == pn)
                return -1;
            p = skip_ows(p, end);
            if (p == end || *p != '=')
                return -1;
            p = skip_ows(p + 1, end);
            if (p < end && *p == '"') {
                if (!(p = skip_quoted(p, end)))
                    return -1;
            } else {
                const char *pv = p;
                p = skip_token(p, end);
                if (p == pv)
                    return -1;
            }
            p = skip_ows(p, end);
        }
        if (p < end && *p != ',')
            return -1;
        st->te_codings++;
        st->te_chunked += (unsigned)chunked;
        st->te_last_chunked = chunked;
    }
}

/* Interprets the fields the parser itself must act on. */
static int note_header(weft_http_req *req, weft_str name, weft_str value,
                       const weft_http_limits *lim, head_state *st)
{
    switch (name.len) {
    case 4:
        if (weft_str_ieq(name, WEFT_STRLIT("host"))) {
            if (st->host_seen)
                return fail(req, WEFT_EBADMSG, "duplicate Host");
            st->host_seen = 1;
            st->host_empty = value.len == 0;
            const char *why = value.len ? weft__uri_authority_check(value) : NULL;
            if (why)
                return fail(req, WEFT_EBADMSG, why);
            if (!req->absolute_form) /* else the target's authority rules (RFC 9112 3.2.2) */
                req->host = value;
        }
        break;
    case 6:
        if (weft_str_ieq(name, WEFT_STRLIT("expect"))) {
            if (!weft_str_ieq(value, WEFT_STRLIT("100-continue")))
                return fail(req, WEFT_EEXPECT, "unsupported expectation");
            req->expect_continue = 1;
        }
        break;
    case 10:
        if (weft_str_ieq(name, WEFT_STRLIT("connection"))) {
            if (weft_http_list_has(value, WEFT_STRLIT("close")))
                st->conn_close = 1;
            if (weft_http_list_has(value, WEFT_STRLIT("keep-alive")))
                st->conn_keep = 1;
        }
        break;
    case 14:
        if (weft_str_ieq(name, WEFT_STRLIT("content-length")))
            return note_content_length(req, value, lim);
        break;
    case 17:
        if (weft_str_ieq(name, WEFT_STRLIT("transfer-encoding"))) {
            st->te_fields++;
            if (note_transfer_codings(st, value))
                return fail(req, WEFT_EBADMSG, "malformed Transfer-Encoding");
        }
        break;
    }
    return 0;
}

static int parse_header_line(cursor *c, const char *eol, weft_str *name, weft_str *value,
                             weft_http_req *req)
{
    const char *p = c->p;
    if (weft__is_ows((unsigned char)*p))
        return fail(req, WEFT_EBADMSG, "obsolete line folding (obs-fold) is not accepted");
    const char *n = p;
    while (p < eol && weft__tchar[(unsigned char)*p])
        p++;
    if (p == n || p == eol || *p != ':')
        return fail(req, WEFT_EBADMSG, "malformed header field name");
    *name = weft_str_make(n, (size_t)(p - n));
    p++;
    p = skip_ows(p, eol);
    const char *v = p;
    for (; p < eol; p++)
        if (!weft__is_field_char((unsigned char)*p))
            return fail(req, WEFT_EBADMSG, "invalid character in header field value");
    while (p > v && weft__is_ows((unsigned char)p[-1]))
        p--;
    *value = weft_str_make(v, (size_t)(p - v));
    return 0;
}

static int finish_head(weft_http_req *req, const head_state *st)
{
    if (st->te_fields) {
        if (req->has_content_length)
            return fail(req, WEFT_EBADMSG, "both Content-Length and Transfer-Encoding");
        if (req->minor == 0)
            return fail(req, WEFT_EBADMSG, "Transfer-Encoding in an HTTP/1.0 request");
        /* Without chunked last, the body's end cannot be known: 400, and
         * chunked twice is forbidden (RFC 9112 sections 6.1, 6.3). */
        if (!st->te_codings || !st->te_last_chunked)
            return fail(req, WEFT_EBADMSG, "chunked must be the final transfer coding");
        if (st->te_chunked > 1)
            return fail(req, WEFT_EBADMSG, "chunked applied more than once");
        if (st->te_codings > 1)
            return fail(req, WEFT_ENOTIMPL, "unsupported transfer coding (only chunked is)");
        req->chunked = 1;
    }
    if (req->minor == 1 && !st->host_seen)
        return fail(req, WEFT_EBADMSG, "missing Host header");
    if (st->host_empty && !req->absolute_form)
        return fail(req, WEFT_EBADMSG, "empty Host header");
    if (req->minor == 1)
        req->keep_alive = !st->conn_close;
    else
        req->keep_alive = st->conn_keep && !st->conn_close;
    if (req->expect_continue && req->minor == 0)
        req->expect_continue = 0; /* 100-continue is not HTTP/1.0 */
    return 0;
}

int weft_http_parse_request(const char *buf, size_t len, weft_http_req *req,
                            weft_header *hdrs, size_t hdr_cap, const weft_http_limits *lim)
{
    memset(req, 0, sizeof *req);
    req->headers = hdrs;
    cursor c = {buf, buf + len};
    /* Skip a few empty lines left over from a previous message. */
    for (int i = 0; i < 4 && c.end - c.p >= 2 && c.p[0] == '\r' && c.p[1] == '\n'; i++)
        c.p += 2;
    if (c.p == c.end)
        return WEFT_EAGAIN;
    int r = parse_request_line(&c, req, lim);
    if (r)
        return r;

    const char *fields = c.p;
    head_state st = {0};
    for (;;) {
        const char *eol;
        r = find_eol(c.p, c.end, &eol);
        size_t block = (size_t)((r > 0 ? eol : c.end) - fields);
        if (block > lim->max_header_bytes)
            return fail(req, WEFT_EFIELDS, "header block too large");
        if (r == 0)
            return WEFT_EAGAIN;
        if (r < 0)
            return fail(req, WEFT_EBADMSG, "bare CR or LF in header block");
        if (eol == c.p) {
            c.p += 2;
            break;
        }
        if (req->nheaders >= lim->max_headers || req->nheaders >= hdr_cap)
            return fail(req, WEFT_EFIELDS, "too many header fields");
        weft_header *h = &hdrs[req->nheaders];
        r = parse_header_line(&c, eol, &h->name, &h->value, req);
        if (r)
            return r;
        req->nheaders++;
        r = note_header(req, h->name, h->value, lim, &st);
        if (r)
            return r;
        c.p = eol + 2;
    }
    r = finish_head(req, &st);
    if (r)
        return r;
    return (int)(c.p - buf);
}

int weft_http_scan_feed(weft_http_scan *s, const char *buf, size_t len,
                        const weft_http_limits *lim)
{
    /* The last parse stopped where it ran out of input: inside a line, or
     * after a CR whose LF had not come. Until a line ends, the parse can
     * only change its answer by passing one of the two limits it checks
     * on an unfinished line, exactly as measured here. */
    int parse = s->seen == 0 || buf[s->seen - 1] == '\r';
    for (size_t i = s->seen; i < len; i++) {
        if (buf[i] == '\r') {
            parse = 1;
        } else if (buf[i] == '\n') {
            parse = 1;
            if (!s->fields_start && i > s->line_start + 1) /* not a skipped empty line */
                s->fields_start = i + 1;
            s->line_start = i + 1;
        }
    }
    s->seen = len;
    if (!s->fields_start)
        return parse || len - s->line_start > lim->max_request_line;
    return parse || len - s->fields_start > lim->max_header_bytes;
}

/* ---- responses (for weft's own client) ------------------------------------ */

/* Not a valid response: the status a proxy would answer with. */
#define BAD_RESPONSE WEFT_EPROTO

static int parse_status_line(cursor *c, weft_http_resp_head *h, weft_http_req *scratch)
{
    const char *eol;
    int r = find_eol(c->p, c->end, &eol);
    if (r <= 0)
        return r == 0 ? WEFT_EAGAIN : BAD_RESPONSE;
    const char *p = c->p;
    /* HTTP/1.x SP 3DIGIT SP reason */
    if (eol - p < 12 || parse_version(scratch, p, 8) || p[8] != ' ')
        return BAD_RESPONSE;
    int st = 0;
    for (int i = 9; i < 12; i++) {
        if (p[i] < '0' || p[i] > '9')
            return BAD_RESPONSE;
        st = st * 10 + (p[i] - '0');
    }
    if (st < 100 || (eol - p > 12 && p[12] != ' '))
        return BAD_RESPONSE;
    h->status = st;
    h->minor = scratch->minor;
    c->p = eol + 2;
    return 0;
}

int weft_http_parse_response(const char *buf, size_t len, weft_http_resp_head *h,
                             weft_header *hdrs, size_t hdr_cap, size_t max_head)
{
    memset(h, 0, sizeof *h);
    h->headers = hdrs;
    weft_http_req scratch;
    memset(&scratch, 0, sizeof scratch);
    cursor c = {buf, buf + (len > max_head ? max_head : len)};
    int r = parse_status_line(&c, h, &scratch);
    if (r)
        return r == WEFT_EAGAIN && len >= max_head ? BAD_RESPONSE : r;
    int conn_close = 0, conn_keep = 0;
    for (;;) {
        const char *eol;
        r = find_eol(c.p, c.end, &eol);
        if (r == 0)
            return len >= max_head ? BAD_RESPONSE : WEFT_EAGAIN;
        if (r < 0)
            return BAD_RESPONSE;
        if (eol == c.p) {
            c.p += 2;
            break;
        }
        if (h->nheaders >= hdr_cap)
            return BAD_RESPONSE;
        weft_header *f = &hdrs[h->nheaders];
        if (parse_header_line(&c, eol, &f->name, &f->value, &scratch))
            return BAD_RESPONSE;
        h->nheaders++;
        if (weft_str_ieq(f->name, WEFT_STRLIT("content-length"))) {
            uint64_t n;
            if (h->has_content_length || weft_str_to_u64(f->value, UINT64_MAX, &n))
                return BAD_RESPONSE;
            h->content_length = n;
            h->has_content_length = 1;
        } else if (weft_str_ieq(f->name, WEFT_STRLIT("transfer-encoding"))) {
            if (!weft_http_list_has(f->value, WEFT_STRLIT("chunked")))
                return BAD_RESPONSE; /* a coding we cannot undo */
            h->chunked = 1;
        } else if (weft_str_ieq(f->name, WEFT_STRLIT("connection"))) {
            conn_close |= weft_http_list_has(f->value, WEFT_STRLIT("close"));
            conn_keep |= weft_http_list_has(f->value, WEFT_STRLIT("keep-alive"));
        }
        c.p = eol + 2;
    }
    if (h->chunked && h->has_content_length)
        return BAD_RESPONSE;
    h->keep_alive = h->minor == 1 ? !conn_close : (conn_keep && !conn_close);
    return (int)(c.p - buf);
}

weft_str weft_http_find_header(const weft_http_req *req, weft_str name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (weft_str_ieq(req->headers[i].name, name))
            return req->headers[i].value;
    return WEFT_STR_NULL;
}

int weft_http_list_has(weft_str list, weft_str token)
{
    const char *p = list.base, *end = list.base + list.len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        const char *s = p;
        while (p < end && *p != ',')
            p++;
        const char *e = p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (weft_str_ieq(weft_str_make(s, (size_t)(e - s)), token))
            return 1;
    }
    return 0;
}

weft_str weft_str_rebase(weft_str s, const char *old_base, size_t len, const char *new_base)
{
    if (s.base && s.base >= old_base && s.base + s.len <= old_base + len)
        s.base = new_base + (s.base - old_base);
    return s;
}

void weft_http_rebase(weft_http_req *req, const char *old_base, size_t len,
                      const char *new_base)
{
    weft_str *fields[] = {&req->method, &req->target, &req->path, &req->query, &req->host};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        *fields[i] = weft_str_rebase(*fields[i], old_base, len, new_base);
    for (size_t i = 0; i < req->nheaders; i++) {
        req->headers[i].name = weft_str_rebase(req->headers[i].name, old_base, len, new_base);
        req->headers[i].value = weft_str_rebase(req->headers[i].value, old_base, len, new_base);
    }
}
