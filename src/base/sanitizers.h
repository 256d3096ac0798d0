/* sanitizers.h - whether this file is built under AddressSanitizer or
 * ThreadSanitizer: GCC says so with __SANITIZE_*__, clang (the fuzz
 * build) with __has_feature. WEFT_ASAN and WEFT_TSAN are 1 or 0. */
#ifndef WEFT_SRC_BASE_SANITIZERS_H
#define WEFT_SRC_BASE_SANITIZERS_H

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif
#ifndef WEFT_ASAN
#define WEFT_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif
#ifndef WEFT_TSAN
#define WEFT_TSAN 0
#endif

#endif
