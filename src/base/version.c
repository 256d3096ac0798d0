/* version.c - the library's own version, for a program that wants to know
 * which libweft.so it runs on rather than which headers it was built with. */
#include "weft/version.h"

#define WEFT_STR_(x) #x
#define WEFT_STR(x) WEFT_STR_(x)

const char *weft_version(void)
{
    return WEFT_STR(WEFT_VERSION_MAJOR) "." WEFT_STR(WEFT_VERSION_MINOR) "." WEFT_STR(
        WEFT_VERSION_PATCH);
}
