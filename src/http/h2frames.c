/* h2frames.c - frames from a libnghttp2 session into an output buffer. */
#include "h2frames.h"

int weft__h2_take_frames(nghttp2_session *ng, weft_buf *out, int writing, size_t high_water,
                         const char **why)
{
    while (!(writing && out->len > high_water)) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(ng, &data);
        if (n < 0) {
            *why = nghttp2_strerror((int)n);
            return WEFT_EPROTO;
        }
        if (n == 0)
            break;
        if (weft_buf_append(out, data, (size_t)n)) {
            *why = "out of memory";
            return WEFT_ENOMEM;
        }
    }
    return 0;
}
