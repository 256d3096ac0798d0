/* error.c - names and messages of weft's error codes (the weft_errno enum
 * in weft/base.h), each entry indexed by its code. */
#include "weft/base.h"

#include "error_int.h"

#define ERR(code, msg) [-1000 - (code)] = {#code, msg}
static const struct {
    const char *name, *message;
} errors[] = {
    ERR(WEFT_EINVAL, "invalid argument"),
    ERR(WEFT_ENOMEM, "out of memory"),
    ERR(WEFT_EBUSY, "server busy, try again later"),
    ERR(WEFT_ECANCELED, "operation canceled"),
    ERR(WEFT_ETIMEDOUT, "operation timed out"),
    ERR(WEFT_ENOTFIBER, "not called from a fiber"),
    ERR(WEFT_ECONNREFUSED, "connection refused"),
    ERR(WEFT_ECONNRESET, "connection reset by peer"),
    ERR(WEFT_EPROTO, "malformed response from peer"),
    ERR(WEFT_ETOOBIG, "size limit exceeded"),
    ERR(WEFT_ECLOSED, "connection closed"),
    ERR(WEFT_EIO, "input/output error"),
    ERR(WEFT_ENOTFOUND, "not found"),
    ERR(WEFT_EADDRINUSE, "address already in use"),
    ERR(WEFT_ETLS, "TLS failure"),
    ERR(WEFT_EDNS, "name resolution failed"),
    ERR(WEFT_ESTATE, "operation not valid in this state"),
    ERR(WEFT_EHTTP, "HTTP error status from peer"),
    ERR(WEFT_EAGAIN, "more input needed"),
    ERR(WEFT_EBADMSG, "malformed message"),
    ERR(WEFT_EMETHOD, "method not allowed"),
    ERR(WEFT_EURITOOLONG, "request target too long"),
    ERR(WEFT_EEXPECT, "unsupported expectation"),
    ERR(WEFT_EFIELDS, "header fields too large"),
    ERR(WEFT_ENOTIMPL, "not implemented"),
    ERR(WEFT_EVERSION, "HTTP version not supported"),
};
_Static_assert(sizeof errors / sizeof errors[0] == WEFT__ERR_COUNT,
               "every code from WEFT_EINVAL to WEFT__ERR_LAST has a name and a message");

static int err_index(int err)
{
    int idx = -1000 - err;
    return (idx >= 0 && idx < WEFT__ERR_COUNT && errors[idx].name) ? idx : -1;
}

const char *weft_strerror(int err)
{
    if (err == 0)
        return "success";
    int idx = err_index(err);
    return idx < 0 ? "unknown error" : errors[idx].message;
}

const char *weft_err_name(int err)
{
    if (err == 0)
        return "WEFT_OK";
    int idx = err_index(err);
    return idx < 0 ? "WEFT_EUNKNOWN" : errors[idx].name;
}
