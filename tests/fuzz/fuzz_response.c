/* fuzz_response.c - libFuzzer driver for the client's response parser:
 * a backend's bytes are as untrusted as a client's.
 *
 * Properties beyond "no crash": a parsed head lies inside the input and
 * re-parses to the same length alone; one byte less is incomplete; every
 * failure is WEFT_EPROTO (a 502 to the front's client); a status is
 * 100..999; a chunked body that follows stays inside its buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/http.h"

static weft_header hdrs[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    weft_http_resp_head h;
    int r = weft_http_parse_response((const char *)data, size, &h, hdrs, 64, 4096);
    if (r == WEFT_EAGAIN)
        return 0;
    if (r < 0) {
        if (r != WEFT_EPROTO)
            abort();
        return 0;
    }
    if ((size_t)r > size || h.status < 100 || h.status > 999 || h.nheaders > 64)
        abort();
    for (size_t i = 0; i < h.nheaders; i++) {
        const uint8_t *b = (const uint8_t *)h.headers[i].value.base;
        if (h.headers[i].value.len && (b < data || b + h.headers[i].value.len > data + r))
            abort();
    }
    weft_http_resp_head again;
    if (weft_http_parse_response((const char *)data, (size_t)r, &again, hdrs, 64, 4096) != r ||
        weft_http_parse_response((const char *)data, (size_t)r - 1, &again, hdrs, 64, 4096) !=
            WEFT_EAGAIN)
        abort();
    if (h.chunked) {
        size_t rest = size - (size_t)r, used, made;
        char *buf = malloc(rest + 1);
        memcpy(buf, data + r, rest);
        weft_chunked d = {0};
        weft_chunked_decode(&d, buf, buf, rest, &used, &made, 1 << 20, 4096);
        if (used > rest || made > used)
            abort();
        free(buf);
    }
    return 0;
}
