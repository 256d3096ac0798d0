/* query.c - percent-decoding and query-string look-up. Pure functions. */
#include "server.h"

static int hex(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

long weft__pct_decode(char *dst, weft_str src, int plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < src.len; i++) {
        unsigned char ch = (unsigned char)src.base[i];
        if (ch == '%') {
            if (i + 2 >= src.len)
                return WEFT_EBADMSG;
            int h = hex((unsigned char)src.base[i + 1]), l = hex((unsigned char)src.base[i + 2]);
            if (h < 0 || l < 0)
                return WEFT_EBADMSG;
            ch = (unsigned char)(h * 16 + l);
            i += 2;
        } else if (ch == '+' && plus_is_space) {
            ch = ' ';
        }
        dst[o++] = (char)ch;
    }
    dst[o] = '\0';
    return (long)o;
}

const char *weft__query_get(weft_arena *a, weft_str query, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = query.base, *end = query.base + query.len;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        const char *ke = eq ? eq : pe;
        /* Names are compared decoded, so "a%62=1" finds "ab". */
        char kbuf[128];
        weft_str k = weft_str_make(p, (size_t)(ke - p));
        if (k.len < sizeof kbuf) {
            long kn = weft__pct_decode(kbuf, k, 1);
            if (kn == (long)nlen && memcmp(kbuf, name, nlen) == 0) {
                weft_str v = eq ? weft_str_make(eq + 1, (size_t)(pe - eq - 1)) : WEFT_STR_NULL;
                char *out = weft_arena_alloc(a, v.len + 1);
                if (!out || weft__pct_decode(out, v, 1) < 0)
                    return NULL;
                return out;
            }
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}
