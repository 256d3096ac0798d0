/* transport.c - what every owner of a transport writes the same way. */
#include "transport.h"

int weft__tr_send(weft_transport *t, weft_buf *out, weft_buf *spare, uint8_t *writing)
{
    if (*writing || out->len == 0)
        return out->len == 0;
    ssize_t n = weft__tr_try_write(t, out->data, out->len);
    if (n == (ssize_t)out->len) {
        out->len = 0;
        return 1;
    }
    if (n < 0)
        return (int)n;
    /* The kernel took part of it: the rest is written from the other
     * buffer while new output collects in this one. */
    weft_buf sending = *out;
    *out = *spare;
    *spare = sending;
    out->len = 0;
    *writing = 1;
    int rc = weft__tr_write(t, spare->data + n, spare->len - (size_t)n);
    if (rc)
        *writing = 0;
    return rc;
}
