/* fuzz_chunked.c - libFuzzer driver for the chunked body decoder (request
 * bodies, and backend answers in weft's client).
 *
 * The first byte picks how the rest is cut into reads. Properties beyond
 * "no crash": the decoder never reads or writes outside what it is given;
 * it produces no more than it consumes; fed in pieces it ends in the same
 * answer, with the same body, as fed whole; a finished body's length is
 * the sum it reports. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/http.h"

/* Decodes in pieces of `step` bytes the way a connection does: the
 * undecoded tail kept right after the decoded body. */
static int decode(const uint8_t *in, size_t n, size_t step, char *buf, size_t *body_len)
{
    weft_chunked d = {0};
    size_t dec = 0, end = 0, fed = 0;
    int r = 0;
    while (fed < n) {
        size_t k = n - fed < step ? n - fed : step;
        memcpy(buf + end, in + fed, k);
        end += k;
        fed += k;
        size_t used, made;
        r = weft_chunked_decode(&d, buf + dec, buf + dec, end - dec, &used, &made, 1 << 16, 512);
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
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] % 16 + 1;
    data++;
    size--;
    char *whole = malloc(size + 1), *pieces = malloc(size + 1);
    size_t lw, lp;
    int rw = decode(data, size, size ? size : 1, whole, &lw);
    int rp = decode(data, size, step, pieces, &lp);
    /* An error may show sooner in pieces only if it is the same error. */
    if (rw != rp || (rw == 1 && (lw != lp || memcmp(whole, pieces, lw) != 0)))
        abort();
    free(whole);
    free(pieces);
    return 0;
}
