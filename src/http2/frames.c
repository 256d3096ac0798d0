/* h2frames.c - libnghttp2 sessions made one way, and their frames into an
 * output buffer. */
#include "frames.h"

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

int weft__h2_session_new(nghttp2_session **ng, int server, const nghttp2_session_callbacks *cb,
                         void *ud)
{
    nghttp2_option *opt = NULL;
    int r = nghttp2_option_new(&opt);
    if (r)
        return r;
    nghttp2_option_set_no_closed_streams(opt, 1);
    /* A server hands DATA back to the window itself (nghttp2_session_consume):
     * at once for buffered bodies, as the handler takes them for streamed
     * ones - which is what holds an uploading client back. */
    if (server)
        nghttp2_option_set_no_auto_window_update(opt, 1);
    r = server ? nghttp2_session_server_new2(ng, cb, ud, opt)
               : nghttp2_session_client_new2(ng, cb, ud, opt);
    nghttp2_option_del(opt);
    return r;
}
