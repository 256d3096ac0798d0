/* fuzz_h2_server.c - libFuzzer driver for HTTP/2 as the server receives it:
 * the bytes after the client preface go to an nghttp2 server session
 * (frames, HPACK, flow control, stream states: the library the server
 * uses, with the same settings), and each request it completes becomes a
 * request through weft__h2_request_fill, the function the server's
 * streams use, under the default limits.
 *
 * Properties beyond "no crash": every request built names a method and a
 * path that the HTTP/1.1 rules accept (the h2 path cannot let through what
 * HTTP/1.1 refuses); its fields stay within the limits; a failure names
 * its reason and maps to a 4xx. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/http2/fields.h"

typedef struct stream {
    weft_header fields[256];
    char text[65536];
    size_t nfields, used;
    int too_big;
    size_t body;
} stream;

/* Every stream allocated in this run, so the last ones are freed too. */
static stream *live[512];
static size_t nlive;

static stream *stream_new(void)
{
    if (nlive == sizeof live / sizeof live[0])
        return NULL;
    return live[nlive++] = calloc(1, sizeof(stream));
}

static void stream_free(stream *st)
{
    for (size_t i = 0; i < nlive; i++)
        if (live[i] == st) {
            live[i] = live[--nlive];
            free(st);
            return;
        }
}

static stream *stream_of(nghttp2_session *ng, int32_t id)
{
    return nghttp2_session_get_stream_user_data(ng, id);
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
    (void)ud;
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST &&
        !stream_of(ng, f->hd.stream_id))
        nghttp2_session_set_stream_user_data(ng, f->hd.stream_id, stream_new());
    return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name,
                     size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
    (void)flags;
    (void)ud;
    stream *st = stream_of(ng, f->hd.stream_id);
    if (!st || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    if (st->nfields == 256 || st->used + nlen + vlen > sizeof st->text) {
        st->too_big = 1;
        return 0;
    }
    memcpy(st->text + st->used, name, nlen);
    memcpy(st->text + st->used + nlen, value, vlen);
    st->fields[st->nfields++] = (weft_header){weft_str_make(st->text + st->used, nlen),
                                              weft_str_make(st->text + st->used + nlen, vlen)};
    st->used += nlen + vlen;
    return 0;
}

static int on_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *d, size_t len,
                   void *ud)
{
    (void)flags;
    (void)d;
    (void)ud;
    stream *st = stream_of(ng, id);
    if (st)
        st->body += len;
    return 0;
}

static void complete(stream *st)
{
    weft_http_limits lim = WEFT_HTTP_LIMITS_DEFAULT;
    static weft_header out[100 + WEFT_H2_ADDED_FIELDS]; /* the default max_headers */
    weft_http_req req;
    char clen[24];
    const char *why = NULL;
    if (st->too_big)
        return;
    int r = weft__h2_request_fill(&req, st->fields, st->nfields, st->body, clen, out,
                                  sizeof out / sizeof out[0], &lim, &why);
    if (r < 0) {
        int status = weft_http_status_of(r);
        if (!why || status < 400 || status >= 500)
            abort();
        return;
    }
    if (!req.method.len || !req.target.len || req.nheaders > lim.max_headers + 2)
        abort();
    /* What HTTP/2 accepted, HTTP/1.1 accepts too. */
    size_t n = req.method.len + 1 + req.target.len;
    char *line = malloc(n + 40);
    memcpy(line, req.method.base, req.method.len);
    line[req.method.len] = ' ';
    memcpy(line + req.method.len + 1, req.target.base, req.target.len);
    memcpy(line + n, " HTTP/1.1\r\nHost: h\r\n\r\n", 23);
    weft_http_req again;
    static weft_header h1[8];
    if (weft_http_parse_request(line, n + 23, &again, h1, 8, &lim) <= 0)
        abort();
    free(line);
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
    (void)ud;
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        stream *st = stream_of(ng, f->hd.stream_id);
        if (st)
            complete(st);
    }
    return 0;
}

static int on_close(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
    (void)code;
    (void)ud;
    stream *st = stream_of(ng, id);
    if (st) {
        nghttp2_session_set_stream_user_data(ng, id, NULL);
        stream_free(st);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nghttp2_session_callbacks *cb;
    if (!cb) {
        nghttp2_session_callbacks_new(&cb);
        nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
        nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
        nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    }
    nghttp2_option *opt;
    nghttp2_option_new(&opt);
    nghttp2_option_set_no_recv_client_magic(opt, 1); /* the fuzzer need not find the preface */
    nghttp2_session *ng;
    nghttp2_session_server_new2(&ng, cb, NULL, opt);
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
    nghttp2_submit_settings(ng, NGHTTP2_FLAG_NONE, iv, 1);
    nghttp2_session_mem_recv(ng, data, size);
    nghttp2_session_del(ng);
    while (nlive)
        stream_free(live[0]);
    nghttp2_option_del(opt);
    return 0;
}
