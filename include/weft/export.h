/** @file weft/export.h
 * @brief WEFT_EXTERN: what libweft.so exports.
 *
 * The library is built with -fvisibility=hidden, so only the declarations
 * marked WEFT_EXTERN - the public API in these headers - are in its
 * dynamic symbol table; everything else (weft__* internals, the
 * dependencies' code linked in) stays private and may change freely. */
#ifndef WEFT_EXPORT_H
#define WEFT_EXPORT_H

/** Marks a public function: exported from the shared library. */
#if defined(__GNUC__) || defined(__clang__)
#define WEFT_EXTERN __attribute__((visibility("default")))
#else
#define WEFT_EXTERN
#endif

#endif
