/* fuzz_request.c - libFuzzer driver for the request parser and the chunked
 * decoder. Build and run: make fuzz (or build-fuzz/bin/fuzz_request DIR).
 *
 * Properties checked beyond "no crash": a successful parse consumes no more
 * than the input; every slice lies inside the input; the head alone (what
 * follows it cut off) parses to the same length, and one byte less of it
 * is incomplete, never an error; an error names its reason and maps to a
 * 4xx or 501/505; feeding the input in two pieces through
 * weft_http_scan_feed ends in the same answer as parsing it whole; the
 * chunked decoder stays inside what it was given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/http.h"

static weft_header hdrs[128];

static int inside(weft_str s, const uint8_t *data, size_t size)
{
    return s.len == 0 || ((const uint8_t *)s.base >= data &&
                          (const uint8_t *)s.base + s.len <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    weft_http_limits lim = {1024, 4096, 64, 1 << 20};
    weft_http_req req;
    int r = weft_http_parse_request((const char *)data, size, &req, hdrs, 128, &lim);
    if (r > 0) {
        if ((size_t)r > size)
            abort();
        if (!inside(req.method, data, size) || !inside(req.target, data, size))
            abort();
        for (size_t i = 0; i < req.nheaders; i++)
            if (!inside(req.headers[i].name, data, size) ||
                !inside(req.headers[i].value, data, size))
                abort();
        weft_http_req again;
        if (weft_http_parse_request((const char *)data, (size_t)r, &again, hdrs, 128, &lim) != r)
            abort();
        if (weft_http_parse_request((const char *)data, (size_t)r - 1, &again, hdrs, 128, &lim) !=
            WEFT_EAGAIN)
            abort();
        /* feed what follows the head to the chunked decoder */
        if (req.chunked) {
            size_t rest = size - (size_t)r;
            char *buf = malloc(rest + 1);
            memcpy(buf, data + r, rest);
            weft_chunked d = {0};
            size_t used, made;
            int c = weft_chunked_decode(&d, buf, buf, rest, &used, &made, 1 << 20, 4096);
            if (used > rest || made > used || (c == 1 && made != d.total))
                abort();
            free(buf);
        }
    } else if (r != WEFT_EAGAIN && (weft_http_status_of(r) < 400 ||
                                    weft_http_status_of(r) == 500 || !req.error)) {
        abort();
    }
    /* The same bytes in two reads, parsed only when the scan says so. */
    if (size > 1) {
        weft_http_scan scan = {0};
        weft_http_req fed;
        int f = WEFT_EAGAIN;
        size_t half = data[0] % size;
        if (half && weft_http_scan_feed(&scan, (const char *)data, half, &lim))
            f = weft_http_parse_request((const char *)data, half, &fed, hdrs, 128, &lim);
        if (f == WEFT_EAGAIN && weft_http_scan_feed(&scan, (const char *)data, size, &lim))
            f = weft_http_parse_request((const char *)data, size, &fed, hdrs, 128, &lim);
        /* a head complete in the first piece may end earlier: same answer then */
        int whole_half = half ? weft_http_parse_request((const char *)data, half, &fed, hdrs, 128,
                                                        &lim)
                              : WEFT_EAGAIN;
        if (f != (whole_half != WEFT_EAGAIN ? whole_half : r))
            abort();
    }
    return 0;
}
