/* chunked_feed.h - feeds a chunked body to weft_chunked_decode the way a
 * connection does, for the unit test and the fuzz driver of the decoder. */
#ifndef WT_CHUNKED_FEED_H
#define WT_CHUNKED_FEED_H

#include <stdlib.h>
#include <string.h>

#include "weft/http.h"

/* Decodes in[0..n) arriving in pieces of `step` bytes into buf (room for
 * n bytes): each piece lands after what is still undecoded, and the
 * undecoded tail is kept right after the decoded body. Returns the
 * decoder's last result; *body_len gets the decoded bytes at buf, *rest
 * the undecoded bytes after them. Aborts if the decoder ever reports
 * using or making more than it was given. */
static inline int wt_chunked_feed(const char *in, size_t n, size_t step, uint64_t max_body,
                                  size_t max_meta, char *buf, size_t *body_len, size_t *rest)
{
    weft_chunked d;
    memset(&d, 0, sizeof d);
    size_t dec = 0, end = 0, fed = 0;
    int r = 0;
    while (fed < n) {
        size_t k = n - fed < step ? n - fed : step;
        memcpy(buf + end, in + fed, k);
        end += k;
        fed += k;
        size_t used, made;
        r = weft_chunked_decode(&d, buf + dec, buf + dec, end - dec, &used, &made, max_body,
                                max_meta);
        if (used > end - dec || made > used)
            abort();
        if (r < 0)
            break;
        size_t left = end - dec - used;
        memmove(buf + dec + made, buf + dec + used, left);
        dec += made;
        end = dec + left;
        if (r == 1) {
            if (d.total != dec)
                abort();
            break;
        }
    }
    *body_len = dec;
    *rest = end - dec;
    return r;
}

#endif
