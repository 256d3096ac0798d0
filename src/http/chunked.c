/* chunked.c - in-place decoder for chunked transfer coding (RFC 9112 7.1).
 *
 * A byte-at-a-time state machine, resumable across reads: the connection
 * feeds raw bytes as they arrive and the decoder compacts the data of each
 * chunk down to dst, so the decoded body ends up contiguous in the read
 * buffer with no second copy. Chunk extensions are parsed exactly by their
 * grammar (RFC 9112 section 7.1.1) and then ignored:
 *
 *   chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
 *   ext-name = token, ext-val = token / quoted-string
 *
 * so "5 junk", "5;" or a bare "5 " is a 400, not a size that a proxy in
 * front may have read differently. Each size line is at most 4 KiB, and
 * extensions and trailer fields together at most max_trailer bytes per
 * body. Trailer fields are syntax-checked and bounded, then ignored. */
#include "weft/http.h"
#include "chars.h"

enum {
    CH_SIZE,      /* reading hex digits of chunk-size */
    CH_EXT_AFTER,      /* after the size or a quoted value: ';', BWS or CR */
    CH_EXT_WS,         /* BWS after the size or a value: only ';' may follow */
    CH_EXT_NAME_START, /* after ';': BWS, then a token */
    CH_EXT_NAME,       /* inside ext-name */
    CH_EXT_NAME_WS,    /* BWS after ext-name: '=' or ';' */
    CH_EXT_VAL_START,  /* after '=': BWS, then a token or a quoted-string */
    CH_EXT_TOKEN,      /* inside a token ext-val */
    CH_EXT_QUOTED,     /* inside a quoted-string ext-val */
    CH_EXT_QUOTED_ESC, /* after a backslash in it */
    CH_SIZE_LF,   /* saw CR ending the size line */
    CH_DATA,      /* copying `remaining` data bytes */
    CH_DATA_CR,   /* expecting CR after chunk data */
    CH_DATA_LF,   /* expecting LF after chunk data */
    CH_TRAILER,   /* at the start of a trailer line (or the final CRLF) */
    CH_TRAILER_FIELD, /* inside a trailer field line */
    CH_TRAILER_LF,    /* saw CR ending a trailer field line */
    CH_END_LF,    /* saw CR of the final empty line */
    CH_DONE,
};

#define MAX_SIZE_LINE 4096

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* The state after byte ch in an extension state, or -1 if ch cannot come
 * there. (The CR that ends the line is handled by the caller.) */
static int ext_next(int state, unsigned char ch)
{
    int tok = weft__tchar[ch];
    switch (state) {
    case CH_EXT_AFTER:
    case CH_EXT_WS:
        return ch == ';' ? CH_EXT_NAME_START : weft__is_ows(ch) ? CH_EXT_WS : -1;
    case CH_EXT_NAME_START:
        return weft__is_ows(ch) ? CH_EXT_NAME_START : tok ? CH_EXT_NAME : -1;
    case CH_EXT_NAME:
        return tok         ? CH_EXT_NAME
               : ch == '=' ? CH_EXT_VAL_START
               : ch == ';' ? CH_EXT_NAME_START
               : weft__is_ows(ch) ? CH_EXT_NAME_WS
                           : -1;
    case CH_EXT_NAME_WS:
        return ch == '='   ? CH_EXT_VAL_START
               : ch == ';' ? CH_EXT_NAME_START
               : weft__is_ows(ch) ? CH_EXT_NAME_WS
                           : -1;
    case CH_EXT_VAL_START:
        return weft__is_ows(ch) ? CH_EXT_VAL_START : ch == '"' ? CH_EXT_QUOTED : tok ? CH_EXT_TOKEN : -1;
    case CH_EXT_TOKEN:
        return tok ? CH_EXT_TOKEN : ch == ';' ? CH_EXT_NAME_START : weft__is_ows(ch) ? CH_EXT_WS : -1;
    case CH_EXT_QUOTED:
        return ch == '"'    ? CH_EXT_AFTER
               : ch == '\\' ? CH_EXT_QUOTED_ESC
               : weft__is_field_char(ch) ? CH_EXT_QUOTED
                                         : -1;
    case CH_EXT_QUOTED_ESC:
        return weft__is_field_char(ch) ? CH_EXT_QUOTED : -1;
    }
    return -1;
}

int weft_chunked_decode(weft_chunked *d, char *dst, const char *raw, size_t raw_len,
                        size_t *consumed, size_t *produced, uint64_t max_body, size_t max_trailer)
{
    size_t i = 0, out = 0;
    int rc = 0;
    while (i < raw_len && d->state != CH_DONE) {
        unsigned char ch = (unsigned char)raw[i];
        switch (d->state) {
        case CH_SIZE: {
            int v = hexval(ch);
            if (v >= 0) {
                if (d->digits >= 15) {
                    rc = WEFT_EBADMSG; /* more than 2^60: no honest chunk is that big */
                    goto out;
                }
                d->remaining = d->remaining * 16 + (unsigned)v;
                d->digits++;
                i++;
                break;
            }
            if (d->digits == 0) {
                rc = WEFT_EBADMSG;
                goto out;
            }
            if (d->total + d->remaining > max_body) {
                rc = WEFT_ETOOBIG;
                goto out;
            }
            d->state = CH_EXT_AFTER;
            break; /* re-examine ch as an extension or the CR */
        }
        case CH_EXT_AFTER:
        case CH_EXT_WS:
        case CH_EXT_NAME_START:
        case CH_EXT_NAME:
        case CH_EXT_NAME_WS:
        case CH_EXT_VAL_START:
        case CH_EXT_TOKEN:
        case CH_EXT_QUOTED:
        case CH_EXT_QUOTED_ESC:
            if (ch == '\r' && (d->state == CH_EXT_AFTER || d->state == CH_EXT_NAME ||
                               d->state == CH_EXT_TOKEN)) {
                d->state = CH_SIZE_LF;
                i++;
                break;
            }
            if (++d->line_len > MAX_SIZE_LINE) {
                rc = WEFT_EBADMSG;
                goto out;
            }
            if (++d->meta_bytes > max_trailer) {
                rc = WEFT_EFIELDS;
                goto out;
            }
            d->state = ext_next(d->state, ch);
            if (d->state < 0) {
                rc = WEFT_EBADMSG;
                goto out;
            }
            i++;
            break;
        case CH_SIZE_LF:
            if (ch != '\n') {
                rc = WEFT_EBADMSG;
                goto out;
            }
            i++;
            d->line_len = 0;
            d->digits = 0;
            d->state = d->remaining ? CH_DATA : CH_TRAILER;
            break;
        case CH_DATA: {
            size_t n = raw_len - i;
            if (n > d->remaining)
                n = (size_t)d->remaining;
            memmove(dst + out, raw + i, n);
            out += n;
            i += n;
            d->remaining -= n;
            d->total += n;
            if (d->remaining == 0)
                d->state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
        case CH_DATA_LF:
            if (ch != (d->state == CH_DATA_CR ? '\r' : '\n')) {
                rc = WEFT_EBADMSG;
                goto out;
            }
            i++;
            d->state = d->state == CH_DATA_CR ? CH_DATA_LF : CH_SIZE;
            break;
        case CH_TRAILER:
            if (ch == '\r') {
                d->state = CH_END_LF;
                i++;
                break;
            }
            if (!(ch < 0x80 && ch > 0x20 && ch != ':' && ch != 0x7f)) {
                rc = WEFT_EBADMSG; /* a field must start with a name character */
                goto out;
            }
            d->state = CH_TRAILER_FIELD;
            break;
        case CH_TRAILER_FIELD:
            if (++d->meta_bytes > max_trailer) {
                rc = WEFT_EFIELDS;
                goto out;
            }
            if (ch == '\r')
                d->state = CH_TRAILER_LF;
            else if (ch == '\n' || (ch < 0x20 && ch != '\t') || ch == 0x7f) {
                rc = WEFT_EBADMSG;
                goto out;
            }
            i++;
            break;
        case CH_TRAILER_LF:
        case CH_END_LF:
            if (ch != '\n') {
                rc = WEFT_EBADMSG;
                goto out;
            }
            i++;
            d->state = d->state == CH_END_LF ? CH_DONE : CH_TRAILER;
            break;
        }
    }
    if (d->state == CH_DONE)
        rc = 1;
out:
    *consumed = i;
    *produced = out;
    return rc;
}
