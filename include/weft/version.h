/** @file weft/version.h
 * @brief The version of weft: at compile time and at run time.
 *
 * The major version is the shared library's soname (libweft.so.1): it
 * changes only when the ABI does. A minor version adds functions, and
 * fields at the end of structs the library allocates or reads through a
 * size (docs/design.md, "The ABI"); a patch version changes neither. */
#ifndef WEFT_VERSION_H
#define WEFT_VERSION_H

#include "weft/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The major version: the soname; changes only with the ABI. */
#define WEFT_VERSION_MAJOR 1
/** The minor version: new functions, compatible with earlier minors. */
#define WEFT_VERSION_MINOR 0
/** The patch version: fixes only. */
#define WEFT_VERSION_PATCH 0
/** The version as one number, MAJOR * 10000 + MINOR * 100 + PATCH. */
#define WEFT_VERSION_NUMBER                                                                        \
    (WEFT_VERSION_MAJOR * 10000 + WEFT_VERSION_MINOR * 100 + WEFT_VERSION_PATCH)
/** True when the headers are at least version major.minor.patch:
 * `#if WEFT_VERSION_AT_LEAST(1, 2, 0)`. */
#define WEFT_VERSION_AT_LEAST(major, minor, patch)                                                 \
    (WEFT_VERSION_NUMBER >= (major) * 10000 + (minor) * 100 + (patch))

/** The version of the library running the program ("1.0.0"), which may be
 * newer than the headers it was compiled with (WEFT_VERSION_*). */
WEFT_EXTERN const char *weft_version(void);

#ifdef __cplusplus
}
#endif
#endif
