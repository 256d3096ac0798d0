/* error.c - names and messages of weft's error codes, generated from the one
 * table in weft/base.h so codes, names and messages cannot drift apart. */
#include "weft/base.h"

static const char *const messages[] = {
#define WEFT__ERR_MSG(name, msg) msg,
    WEFT_ERRNO_MAP(WEFT__ERR_MSG)
#undef WEFT__ERR_MSG
};

static const char *const names[] = {
#define WEFT__ERR_NAME(name, msg) "WEFT_" #name,
    WEFT_ERRNO_MAP(WEFT__ERR_NAME)
#undef WEFT__ERR_NAME
};

static int err_index(int err)
{
    int idx = -1000 - err;
    return (idx >= 0 && idx < WEFT__ERR_COUNT) ? idx : -1;
}

const char *weft_strerror(int err)
{
    if (err == 0)
        return "success";
    int idx = err_index(err);
    return idx < 0 ? "unknown error" : messages[idx];
}

const char *weft_err_name(int err)
{
    if (err == 0)
        return "WEFT_OK";
    int idx = err_index(err);
    return idx < 0 ? "WEFT_EUNKNOWN" : names[idx];
}
