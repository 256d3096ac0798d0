/* buf.c - growable byte buffers (response heads, log batches). */
#include <stdio.h>
#include <stdlib.h>

#include "weft/base.h"

int weft_buf_reserve(weft_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2)
            return WEFT_ENOMEM;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p)
        return WEFT_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int weft_buf_append_slow(weft_buf *b, const void *data, size_t len)
{
    if (weft_buf_reserve(b, len))
        return WEFT_ENOMEM;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

int weft_buf_vprintf(weft_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    size_t room = b->cap - b->len;
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return WEFT_EINVAL;
    }
    if ((size_t)n >= room) {
        if (weft_buf_reserve(b, (size_t)n + 1)) {
            va_end(ap2);
            return WEFT_ENOMEM;
        }
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    b->len += (size_t)n;
    return 0;
}

int weft_buf_printf(weft_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = weft_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return r;
}

void weft_buf_free(weft_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
