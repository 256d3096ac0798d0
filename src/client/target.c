/* target.c - which calls weft's own engines carry: plain http:// to an IP
 * address (or localhost), with a method that needs no checking beyond
 * its letters. Everything else - https, host names (which need a
 * resolver off the loop), odd URLs - is left to libcurl, which validates
 * and encodes them. Pure functions. */
#include <stdlib.h>

#include "../loop/transport.h"
#include "core.h"

/* http://IP[:port]/path?query, IP numeric (v4, [v6]) or "localhost".
 * Fills addr, host and the path+query start; 0, or WEFT_EINVAL to leave it to curl. */
static int parse_url(const char *url, struct sockaddr_storage *addr, char *host, size_t hcap,
                     const char **path)
{
    if (strncmp(url, "http://", 7) != 0)
        return WEFT_EINVAL;
    const char *h = url + 7, *end = h;
    char ip[64];
    size_t iplen;
    if (*h == '[') {
        end = strchr(h, ']');
        if (!end || (size_t)(end - h - 1) >= sizeof ip)
            return WEFT_EINVAL;
        iplen = (size_t)(end - h - 1);
        memcpy(ip, h + 1, iplen);
        end++;
    } else {
        while (*end && *end != ':' && *end != '/' && *end != '?')
            end++;
        iplen = (size_t)(end - h);
        if (iplen == 0 || iplen >= sizeof ip)
            return WEFT_EINVAL;
        memcpy(ip, h, iplen);
    }
    ip[iplen] = '\0';
    long port = 80;
    const char *p = end;
    if (*p == ':') {
        char *e;
        port = strtol(p + 1, &e, 10);
        if (e == p + 1 || port < 1 || port > 65535)
            return WEFT_EINVAL;
        p = e;
    }
    if (*p && *p != '/' && *p != '?')
        return WEFT_EINVAL;
    for (const char *q = p; *q; q++)
        if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f || *q == '#')
            return WEFT_EINVAL; /* anything unusual: curl validates and encodes */
    if (strcmp(ip, "localhost") == 0)
        strcpy(ip, "127.0.0.1");
    if (weft__ip_addr(ip, (int)port, addr))
        return WEFT_EINVAL; /* a host name: libcurl resolves it off the loop */
    snprintf(host, hcap, "%.*s", (int)(end - h), h);
    *path = *p ? p : "/";
    return 0;
}

int weft__own_target(const char *url, const weft_http_opts *o, struct sockaddr_storage *addr,
                     char *host, size_t hcap, const char **path, const char **method)
{
    if (parse_url(url, addr, host, hcap, path))
        return WEFT_EINVAL;
    *method = o->method ? o->method : o->body ? "POST" : "GET";
    for (const char *p = *method; *p; p++)
        if (*p < 'A' || *p > 'Z')
            return WEFT_EINVAL;
    return 0;
}

