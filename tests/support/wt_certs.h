/* wt_certs.h - a throwaway CA and certificates for a test run, made by
 * scripts/tls-certs.sh in a fresh folder under /tmp (its README lists
 * them: ca.pem, localhost.pem/.key, other.pem/.key, expired.pem/.key,
 * wrongname.pem/.key). Header-only: unit and black-box tests both use it;
 * WEFT_SOURCE_DIR is set for both by tests/CMakeLists.txt. */
#ifndef WT_CERTS_H
#define WT_CERTS_H

#include <stdio.h>
#include <stdlib.h>

/* Makes the folder and the certificates in dir (64 bytes); 0 or -1. */
static inline int wt_certs_make(char dir[64])
{
    snprintf(dir, 64, "/tmp/weft-certs-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "bash %s/scripts/tls-certs.sh %s >/dev/null", WEFT_SOURCE_DIR, dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* dir/name, in one of eight rotating buffers (several may be in use in
 * one argument list). */
static inline const char *wt_certs_path(const char *dir, const char *name)
{
    static char bufs[8][128];
    static int i;
    char *b = bufs[i++ % 8];
    snprintf(b, 128, "%s/%s", dir, name);
    return b;
}

static inline int wt_certs_remove(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

#endif
