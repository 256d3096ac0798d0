/* proc_rss.h - a process's resident set size from /proc, for tests of
 * both kinds: unit tests measure themselves, black-box tests the server
 * they started (wt_rss_kb). Header-only so unit tests need not link the
 * black-box support library. */
#ifndef WT_PROC_RSS_H
#define WT_PROC_RSS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* VmRSS in KiB of pid (0 = this process), or -1. */
static inline long proc_rss_kb(pid_t pid)
{
    char path[64], line[256];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

#endif
