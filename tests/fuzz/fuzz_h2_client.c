/* fuzz_h2_client.c - libFuzzer driver for HTTP/2 as weft's client reads a
 * backend's answer: three requests are submitted on an nghttp2 client
 * session (the library weft's client uses, with its settings), the
 * fuzzer's bytes are the backend's frames, and every stream that ends is
 * turned into a response the way src/http2/client.c does it - fields kept
 * as "name\0value\0" and split by weft__h2_fields_split, the block made by
 * weft__response_make.
 *
 * Properties beyond "no crash": a completed response has a status of
 * 200..999 (1xx heads are not answers), every field lies inside the block,
 * names and values hold no NUL, the body is what the DATA frames carried. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/client/core.h"
#include "../../src/http2/fields.h"

typedef struct call {
    int status;
    char fields[16384];
    size_t fields_len, nfields;
    char body[65536];
    size_t body_len;
    int too_big;
} call;

static call calls[3];

static call *call_of(nghttp2_session *ng, int32_t id)
{
    return nghttp2_session_get_stream_user_data(ng, id);
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nl,
                     const uint8_t *value, size_t vl, uint8_t flags, void *ud)
{
    (void)flags;
    (void)ud;
    call *k = call_of(ng, f->hd.stream_id);
    if (f->hd.type != NGHTTP2_HEADERS || !k || k->body_len)
        return 0;
    if (nl == 7 && memcmp(name, ":status", 7) == 0) {
        int st = 0;
        for (size_t i = 0; i < vl && i < 3; i++)
            st = st * 10 + (value[i] - '0');
        k->status = st;
        k->fields_len = k->nfields = 0;
        return 0;
    }
    if (k->nfields >= 100 || k->fields_len + nl + vl + 2 > sizeof k->fields)
        return 0;
    memcpy(k->fields + k->fields_len, name, nl);
    k->fields[k->fields_len + nl] = '\0';
    memcpy(k->fields + k->fields_len + nl + 1, value, vl);
    k->fields[k->fields_len + nl + 1 + vl] = '\0';
    k->fields_len += nl + vl + 2;
    k->nfields++;
    return 0;
}

static int on_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *d, size_t len,
                   void *ud)
{
    (void)flags;
    (void)ud;
    call *k = call_of(ng, id);
    if (!k)
        return 0;
    if (k->body_len + len > sizeof k->body) {
        k->too_big = 1;
        return 0;
    }
    memcpy(k->body + k->body_len, d, len);
    k->body_len += len;
    return 0;
}

static int on_close(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
    (void)ud;
    call *k = call_of(ng, id);
    if (!k || code != NGHTTP2_NO_ERROR || k->status < 200 || k->too_big)
        return 0;
    weft_header h[100];
    size_t n = weft__h2_fields_split(k->fields, k->fields_len, h, 100);
    if (n != k->nfields)
        abort();
    weft_http_response *r = weft__response_make(k->status, h, n, k->body, k->body_len);
    if (!r)
        return 0;
    if (r->status < 200 || r->status > 999 || r->nheaders != n || r->body_len != k->body_len ||
        memcmp(r->body, k->body, k->body_len) != 0)
        abort();
    for (size_t i = 0; i < n; i++)
        if (memchr(r->headers[i].name.base, '\0', r->headers[i].name.len) ||
            memchr(r->headers[i].value.base, '\0', r->headers[i].value.len))
            abort();
    weft__response_free(r);
    return 0;
}

static ssize_t drop_send(nghttp2_session *ng, const uint8_t *d, size_t len, int flags, void *ud)
{
    (void)ng;
    (void)d;
    (void)flags;
    (void)ud;
    return (ssize_t)len; /* what the client writes goes nowhere */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nghttp2_session_callbacks *cb;
    if (!cb) {
        nghttp2_session_callbacks_new(&cb);
        nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
        nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
        nghttp2_session_callbacks_set_send_callback(cb, drop_send);
    }
    nghttp2_session *ng;
    nghttp2_session_client_new(&ng, cb, NULL);
    nghttp2_submit_settings(ng, NGHTTP2_FLAG_NONE, NULL, 0);
    static const nghttp2_nv nv[] = {
        {(uint8_t *)":method", (uint8_t *)"GET", 7, 3, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)":path", (uint8_t *)"/", 5, 1, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)":authority", (uint8_t *)"b", 10, 1, NGHTTP2_NV_FLAG_NONE},
    };
    memset(calls, 0, sizeof calls);
    for (int i = 0; i < 3; i++)
        nghttp2_submit_request(ng, NULL, nv, 4, NULL, &calls[i]);
    nghttp2_session_send(ng); /* streams 1, 3, 5 are open: their answers may come */
    nghttp2_session_mem_recv(ng, data, size);
    nghttp2_session_del(ng);
    return 0;
}
