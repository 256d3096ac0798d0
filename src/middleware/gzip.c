/* gzip.c - gzip for complete answers (weft_mw_gzip), with zlib.
 *
 * Compressed only when it helps and is safe: a 200 (a 206's range is of
 * the uncompressed bytes), a complete body of at least min_size bytes
 * (below about a kilobyte the header overhead and the CPU outweigh the
 * bytes saved), a textual type (images and archives are compressed
 * already), no Content-Encoding of the handler's, and a client whose
 * Accept-Encoding takes gzip with a q above zero. The compressed body
 * lives in the request's arena. If compressing fails or does not make it
 * smaller, the answer goes out as it was. */
#include <stdlib.h>
#include <strings.h>
#include <zlib.h>

#include "../base/opts.h"
#include "../server/server.h"

typedef struct gz {
    size_t min_size;
    int level;
} gz;

static int compressible(const char *type)
{
    if (!type)
        return 0;
    size_t n = strcspn(type, "; ");
    weft_str t = {type, n};
    if (n > 5 && strncasecmp(type, "text/", 5) == 0)
        return 1;
    static const char *const exact[] = {"application/json", "application/javascript",
                                        "application/xml", "image/svg+xml",
                                        "application/x-ndjson"};
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        if (weft_str_ieq(t, weft_str_cstr(exact[i])))
            return 1;
    return n > 5 && (strncasecmp(type + n - 5, "+json", 5) == 0 ||
                     strncasecmp(type + n - 4, "+xml", 4) == 0);
}

/* Whether Accept-Encoding names gzip (or *) without q=0. */
static int accepts_gzip(weft_str ae)
{
    size_t i = 0;
    while (i < ae.len) {
        while (i < ae.len && (ae.base[i] == ' ' || ae.base[i] == ','))
            i++;
        size_t s = i;
        while (i < ae.len && ae.base[i] != ',' && ae.base[i] != ';' && ae.base[i] != ' ')
            i++;
        weft_str coding = {ae.base + s, i - s};
        int zero = 0; /* q=0, q=0.0, q=0.000 */
        while (i < ae.len && ae.base[i] != ',') {
            if ((ae.base[i] == 'q' || ae.base[i] == 'Q') && i + 1 < ae.len &&
                ae.base[i + 1] == '=') {
                size_t j = i + 2;
                zero = j < ae.len && ae.base[j] == '0';
                for (j++; zero && j < ae.len && ae.base[j] != ',' && ae.base[j] != ' '; j++)
                    zero = ae.base[j] == '0' || ae.base[j] == '.';
            }
            i++;
        }
        if (!zero && (weft_str_ieq(coding, WEFT_STRLIT("gzip")) ||
                      weft_str_ieq(coding, WEFT_STRLIT("x-gzip")) ||
                      weft_str_ieq(coding, WEFT_STRLIT("*"))))
            return 1;
    }
    return 0;
}

/* deflate with a gzip wrapper into the arena; NULL if it fails or grows. */
static void *gzip_into(weft_arena *a, const void *in, size_t len, int level, size_t *out_len)
{
    z_stream z = {0};
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    /* No more room than the original: it must shrink to be worth it. */
    size_t cap = deflateBound(&z, (uLong)len);
    if (cap > len)
        cap = len;
    void *out = weft_arena_alloc(a, cap);
    int rc = Z_BUF_ERROR;
    if (out) {
        z.next_in = (Bytef *)(uintptr_t)in;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        rc = deflate(&z, Z_FINISH);
    }
    *out_len = z.total_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? out : NULL;
}

static void compress_answer(weft_ctx *c, weft_out *out, void *arg)
{
    const gz *k = arg;
    if (out->streamed || out->status != 200 || !out->body || out->len < k->min_size ||
        out->len > UINT32_MAX || !compressible(out->content_type) ||
        weft_resp_header(c, "Content-Encoding"))
        return;
    weft_add_header(c, "Vary", "Accept-Encoding"); /* the answer depends on it, either way */
    if (!accepts_gzip(weft_req_header(c, "Accept-Encoding")))
        return;
    size_t n;
    void *z = gzip_into(weft_ctx_arena(c), out->body, out->len, k->level, &n);
    if (!z)
        return;
    out->body = z;
    out->len = n;
    weft_add_header(c, "Content-Encoding", "gzip");
    /* The bytes differ, so a strong validator no longer names them. */
    const char *etag = weft_resp_header(c, "ETag");
    if (etag && etag[0] == '"') {
        char *weak = weft_arena_printf(weft_ctx_arena(c), "W/%s", etag);
        if (weak) {
            weft_remove_header(c, "ETag");
            weft_add_header(c, "ETag", weak);
        }
    }
}

weft_middleware weft_mw_gzip_sized(const weft_gzip_opts *opts, size_t opts_size)
{
    weft_gzip_opts own;
    opts = weft__opts_take(&own, sizeof own, opts, opts_size);
    gz *k = calloc(1, sizeof *k);
    if (!k)
        abort();
    k->min_size = opts && opts->min_size ? opts->min_size : 1024;
    k->level = opts && opts->level >= 1 && opts->level <= 9 ? opts->level : 5;
    return (weft_middleware){.name = "gzip", .after = compress_answer, .arg = k, .free = free};
}
