/* error_int.h - how many error codes weft_errno has: from WEFT_EINVAL
 * (-1000) down to the last one. Adding a code moves WEFT__ERR_LAST to it;
 * error.c then refuses to compile until the code has a name and message. */
#ifndef WEFT_ERROR_INT_H
#define WEFT_ERROR_INT_H

#include "weft/base.h"

#define WEFT__ERR_LAST WEFT_EVERSION
#define WEFT__ERR_COUNT (-1000 - WEFT__ERR_LAST + 1)

#endif
