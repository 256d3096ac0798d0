/* auth.c - Basic and Bearer authentication by the Authorization header
 * (weft_mw_auth; RFC 7617, RFC 6750).
 *
 * The step only takes the credentials apart; whether they are good is
 * the application's check(), run in the handler's own context so that it
 * may look them up the way the handler would (block on a pool thread,
 * await in a fiber). Anything missing, malformed or refused is the same
 * 401 with a challenge: a client learns nothing about which part was
 * wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "../base/opts.h"
#include "../server/server.h"

typedef struct auth {
    weft_auth_opts o;
    int basic;
    char challenge[160];
} auth;

static int b64_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

/* Standard base64 with padding into the arena, NUL-ended; NULL when
 * malformed or when it decodes to a NUL byte. */
static char *b64_decode(weft_arena *a, weft_str in)
{
    if (in.len == 0 || in.len % 4)
        return NULL;
    char *out = weft_arena_alloc(a, in.len / 4 * 3 + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < in.len; i += 4) {
        int v[4];
        for (int j = 0; j < 4; j++) {
            char ch = in.base[i + (size_t)j];
            int last = i + 4 == in.len;
            v[j] = ch == '=' && last && j >= 2 ? -2 : b64_value(ch);
            if (v[j] == -1 || (v[j] >= 0 && j == 3 && v[2] == -2))
                return NULL;
        }
        uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
                        (uint32_t)(v[2] < 0 ? 0 : v[2]) << 6 | (uint32_t)(v[3] < 0 ? 0 : v[3]);
        out[n++] = (char)(bits >> 16);
        if (v[2] >= 0)
            out[n++] = (char)(bits >> 8 & 0xff);
        if (v[3] >= 0)
            out[n++] = (char)(bits & 0xff);
    }
    out[n] = 0;
    return strlen(out) == n ? out : NULL;
}

static int refuse(weft_ctx *c, const auth *k)
{
    weft_add_header(c, "WWW-Authenticate", k->challenge);
    weft_reply_error(c, 401, "authentication required");
    return WEFT_ANSWERED;
}

static int check(weft_ctx *c, void *arg)
{
    const auth *k = arg;
    weft_str h = weft_req_header(c, "Authorization");
    size_t sl = strlen(k->o.scheme);
    if (h.len <= sl + 1 || strncasecmp(h.base, k->o.scheme, sl) != 0 || h.base[sl] != ' ')
        return refuse(c, k);
    weft_str cred = {h.base + sl + 1, h.len - sl - 1};
    while (cred.len && cred.base[0] == ' ')
        cred.base++, cred.len--;
    const char *user = NULL, *secret;
    if (k->basic) {
        char *pair = b64_decode(weft_ctx_arena(c), cred);
        char *colon = pair ? strchr(pair, ':') : NULL;
        if (!colon)
            return refuse(c, k);
        *colon = 0;
        user = pair;
        secret = colon + 1;
    } else {
        secret = weft_arena_strndup(weft_ctx_arena(c), cred.base, cred.len);
        if (!secret || !*secret)
            return refuse(c, k);
    }
    if (!k->o.check(c, user, secret, k->o.arg))
        return c->resp == RESP_NONE ? refuse(c, k) : WEFT_ANSWERED;
    return WEFT_NEXT;
}

weft_middleware weft_mw_auth_sized(const weft_auth_opts *opts, size_t opts_size)
{
    weft_auth_opts own;
    opts = weft__opts_take(&own, sizeof own, opts, opts_size);
    auth *k = calloc(1, sizeof *k);
    if (!k || !opts->check || !opts->scheme)
        abort(); /* a programming error at start-up */
    k->o = *opts;
    k->basic = strcasecmp(opts->scheme, "Basic") == 0;
    if (!k->basic && strcasecmp(opts->scheme, "Bearer") != 0)
        abort();
    snprintf(k->challenge, sizeof k->challenge, "%s realm=\"%s\"%s", k->basic ? "Basic" : "Bearer",
             opts->realm ? opts->realm : "weft", k->basic ? ", charset=\"UTF-8\"" : "");
    return (weft_middleware){.name = "auth", .before = check, .arg = k, .free = free};
}
