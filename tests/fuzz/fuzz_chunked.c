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
#include "../support/chunked_feed.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] % 16 + 1;
    data++;
    size--;
    char *whole = malloc(size + 1), *pieces = malloc(size + 1);
    size_t lw, lp, rest;
    const char *in = (const char *)data;
    int rw = wt_chunked_feed(in, size, size ? size : 1, 1 << 16, 512, whole, &lw, &rest);
    int rp = wt_chunked_feed(in, size, step, 1 << 16, 512, pieces, &lp, &rest);
    /* An error may show sooner in pieces only if it is the same error. */
    if (rw != rp || (rw == 1 && (lw != lp || memcmp(whole, pieces, lw) != 0)))
        abort();
    free(whole);
    free(pieces);
    return 0;
}
