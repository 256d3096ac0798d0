/* clock.c - monotonic clocks and the cached HTTP Date string. */
#include <stdio.h>
#include <time.h>

#include "weft/base.h"

uint64_t weft_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t weft_now_ms(void)
{
    return weft_now_ns() / 1000000u;
}

/* Formatting a date costs ~200 ns; a coarse clock read costs a few. Each
 * thread keeps the string of the last second it formatted. */
static __thread time_t cached_sec = -1;
static __thread char cached_date[30];

void weft_http_date(char out[30])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        /* snprintf's bound keeps this within 30 bytes whatever tm holds. */
        char tmp[64]; /* roomy: the compiler cannot prove the fields' ranges */
        snprintf(tmp, sizeof tmp, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                 days[tm.tm_wday % 7], tm.tm_mday % 100, months[tm.tm_mon % 12],
                 (tm.tm_year + 1900) % 10000, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
        memcpy(cached_date, tmp, 29);
        cached_date[29] = '\0';
        cached_sec = ts.tv_sec;
    }
    memcpy(out, cached_date, 30);
}
