/* str.c - helpers on string slices. Pure functions, any thread. */
#include "weft/base.h"

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

int weft_str_ieq(weft_str a, weft_str b)
{
    if (a.len != b.len)
        return 0;
    for (size_t i = 0; i < a.len; i++)
        if (lower((unsigned char)a.base[i]) != lower((unsigned char)b.base[i]))
            return 0;
    return 1;
}

int weft_str_to_u64(weft_str s, uint64_t max, uint64_t *out)
{
    if (s.len == 0)
        return WEFT_EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned d = (unsigned char)s.base[i] - '0';
        if (d > 9)
            return WEFT_EINVAL;
        if (v > (max - d) / 10)
            return WEFT_EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

size_t weft_u64_to_dec(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}
