/* static_files.c - a directory served at a path prefix (weft_static).
 *
 * The handler is a fiber: opening and stat-ing the file run on the worker
 * pool (a cold disk blocks a worker, not the loop), then file_send.c puts
 * the bytes out. Confinement is the kernel's: the path is opened with
 * openat2(RESOLVE_BENEATH) under a descriptor of the root, so neither
 * ".." nor a symbolic link pointing out can leave it, whatever the path
 * looks like; before that, a path with an encoded '/', '\' or NUL, a ".."
 * or a hidden segment (".git", ".env") is refused outright. Every refusal
 * is the same 404 as a missing file: nothing is learnt by probing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../base/opts.h"
#include "server.h"

typedef struct static_root {
    int dirfd;           /* O_PATH of the root */
    char *root;          /* for the log */
    char *index;
    char cache_control[48];
} static_root;

/* ---- the path ------------------------------------------------------------- */

/* An encoded '/', '\' or NUL would turn into a separator or an end after
 * decoding: a classic way past checks done on the raw path. */
static int encoded_separator(weft_str raw)
{
    for (size_t i = 0; i + 2 < raw.len; i++)
        if (raw.base[i] == '%') {
            char a = raw.base[i + 1], b = (char)(raw.base[i + 2] | 0x20);
            if ((a == '2' && b == 'f') || (a == '5' && b == 'c') || (a == '0' && b == '0'))
                return 1;
        }
    return 0;
}

/* No "..", ".", hidden segment or backslash. */
static int segments_ok(const char *rel)
{
    for (const char *p = rel; *p;) {
        if (*p == '.')
            return 0; /* ".", "..", ".git" */
        const char *e = strchr(p, '/');
        if (!e)
            break;
        p = e + 1;
    }
    return !strchr(rel, '\\');
}

/* ---- opening, on a pool thread ----------------------------------------------- */

typedef struct open_job {
    int dirfd;
    const char *index; /* the root's: lives as long as the app */
    int fd;
    int err;            /* 0, ENOENT (any refusal), EISDIR (a directory: add a slash) */
    struct stat st;
    char rel[];
} open_job;

static int open_beneath(int dirfd, const char *path)
{
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    int fd;
    do
        fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    while (fd < 0 && errno == EINTR);
    return fd;
}

static void *open_file(void *arg)
{
    open_job *j = arg;
    j->fd = open_beneath(j->dirfd, j->rel[0] ? j->rel : ".");
    if (j->fd < 0 || fstat(j->fd, &j->st)) {
        if (j->fd < 0 && errno != ENOENT && errno != ENOTDIR && errno != EXDEV)
            weft_debug("static: %s: %s", j->rel, strerror(errno));
        j->err = ENOENT;
        return j;
    }
    if (S_ISDIR(j->st.st_mode)) {
        size_t n = strlen(j->rel);
        if (n && j->rel[n - 1] != '/') {
            j->err = EISDIR;
            return j;
        }
        int dir = j->fd;
        j->fd = j->index ? open_beneath(dir, j->index) : -1;
        close(dir);
        if (j->fd < 0 || fstat(j->fd, &j->st)) {
            j->err = ENOENT;
            return j;
        }
    }
    if (!S_ISREG(j->st.st_mode))
        j->err = ENOENT; /* devices, sockets, FIFOs: never */
    return j;
}

static void open_job_free(void *v)
{
    open_job *j = v;
    if (j->fd >= 0)
        close(j->fd);
    free(j);
}

/* ---- types ------------------------------------------------------------------ */

static const char *content_type_of(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {"html", "text/html; charset=utf-8"},  {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},    {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"}, {"json", "application/json"},
        {"map", "application/json"},           {"txt", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"}, {"csv", "text/csv; charset=utf-8"},
        {"xml", "application/xml"},            {"svg", "image/svg+xml"},
        {"png", "image/png"},                  {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},                {"gif", "image/gif"},
        {"webp", "image/webp"},                {"avif", "image/avif"},
        {"ico", "image/x-icon"},               {"woff", "font/woff"},
        {"woff2", "font/woff2"},               {"ttf", "font/ttf"},
        {"otf", "font/otf"},                   {"wasm", "application/wasm"},
        {"pdf", "application/pdf"},            {"zip", "application/zip"},
        {"gz", "application/gzip"},            {"mp4", "video/mp4"},
        {"webm", "video/webm"},                {"mp3", "audio/mpeg"},
        {"ogg", "audio/ogg"},                  {"wav", "audio/wav"},
    };
    const char *slash = strrchr(name, '/'), *dot = strrchr(name, '.');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof *types; i++)
            if (strcasecmp(dot + 1, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

/* ---- validators and ranges ----------------------------------------------------- */

static time_t parse_http_date(weft_str v, char *buf, size_t cap)
{
    if (!v.len || v.len >= cap)
        return -1;
    memcpy(buf, v.base, v.len);
    buf[v.len] = 0;
    struct tm tm = {0};
    const char *end = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return end && !*end ? timegm(&tm) : -1;
}

/* If-None-Match: a list of entity tags or "*", compared weakly (RFC 9110
 * 13.1.2): W/"x" matches "x". */
static int none_match(weft_str inm, const char *etag)
{
    size_t el = strlen(etag);
    for (size_t i = 0; i < inm.len;) {
        while (i < inm.len && (inm.base[i] == ' ' || inm.base[i] == ','))
            i++;
        if (i < inm.len && inm.base[i] == '*')
            return 1;
        if (i + 2 <= inm.len && inm.base[i] == 'W' && inm.base[i + 1] == '/')
            i += 2;
        size_t s = i;
        while (i < inm.len && inm.base[i] != ',')
            i++;
        size_t n = i - s;
        while (n && inm.base[s + n - 1] == ' ')
            n--;
        if (n == el && memcmp(inm.base + s, etag, el) == 0)
            return 1;
    }
    return 0;
}

/* One range of "bytes=a-b", "bytes=a-" or "bytes=-n" against size:
 * 1 with [*from, *from + *len), 0 to serve the whole file (several
 * ranges, another unit, a malformed header: RFC 9110 lets us ignore it),
 * -1 when unsatisfiable (416). */
static int parse_range(weft_str r, uint64_t size, uint64_t *from, uint64_t *len)
{
    if (r.len < 7 || strncasecmp(r.base, "bytes=", 6) != 0 || memchr(r.base, ',', r.len))
        return 0;
    const char *p = r.base + 6, *end = r.base + r.len;
    uint64_t a = 0, b = 0;
    int has_a = 0, has_b = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++, has_a = 1) {
        if (a > (UINT64_MAX - 9) / 10)
            return 0;
        a = a * 10 + (uint64_t)(*p - '0');
    }
    if (p == end || *p++ != '-')
        return 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++, has_b = 1) {
        if (b > (UINT64_MAX - 9) / 10)
            return 0;
        b = b * 10 + (uint64_t)(*p - '0');
    }
    if (p != end || (!has_a && !has_b))
        return 0;
    if (!has_a) { /* the last b bytes */
        if (b == 0 || size == 0)
            return -1;
        *from = b > size ? 0 : size - b;
        *len = size - *from;
        return 1;
    }
    if (has_b && b < a)
        return 0;
    if (a >= size)
        return -1;
    *from = a;
    *len = (has_b && b < size ? b + 1 : size) - a;
    return 1;
}

/* ---- the handler -------------------------------------------------------------- */

static void redirect_to_directory(weft_ctx *c)
{
    weft_str path = weft_req_path(c), q = c->req.query;
    char *loc = weft_arena_printf(weft_ctx_arena(c), "%.*s/%s%.*s", (int)path.len, path.base,
                                  q.len ? "?" : "", (int)q.len, q.base);
    if (loc)
        weft_add_header(c, "Location", loc);
    weft_replyf(c, 308, "text/plain; charset=utf-8", "This is a directory: %s\n", loc ? loc : "");
}

static void serve(weft_ctx *c)
{
    const static_root *sr = weft_route_arg(c);
    if (!c->match.nparams) { /* "/assets": the directory, which its slash names */
        redirect_to_directory(c);
        return;
    }
    weft_str raw = c->match.values[c->match.nparams - 1];
    const char *rel = weft_param(c, "path");
    if (!rel || encoded_separator(raw) || !segments_ok(rel)) {
        weft_reply_error(c, 404, NULL);
        return;
    }
    size_t n = strlen(rel);
    open_job *j = malloc(sizeof *j + n + 1);
    if (!j) {
        weft_reply_error(c, 503, "out of memory");
        return;
    }
    *j = (open_job){.dirfd = sr->dirfd, .index = sr->index, .fd = -1};
    memcpy(j->rel, rel, n + 1);
    weft_task *t = weft_run(weft_ctx_scope(c), open_file, j, open_job_free);
    int rc = weft_await(t);
    if (rc == WEFT_EBUSY)
        open_job_free(j);
    if (rc == WEFT_EBUSY) {
        weft_add_header(c, "Retry-After", "1");
        weft_reply_error(c, 503, "all workers are busy");
        return;
    }
    if (rc)
        return; /* the client left, or shutdown: nobody to answer */
    if (j->err == EISDIR) {
        redirect_to_directory(c);
        return;
    }
    if (j->err) {
        weft_reply_error(c, 404, NULL);
        return;
    }
    /* The validators: size and modification time name the contents. */
    uint64_t size = (uint64_t)j->st.st_size;
    int64_t mtime_ns = (int64_t)j->st.st_mtim.tv_sec * 1000000000 + j->st.st_mtim.tv_nsec;
    char etag[48], modified[32];
    snprintf(etag, sizeof etag, "\"%" PRIx64 "-%" PRIx64 "\"", size, (uint64_t)mtime_ns);
    struct tm tm;
    gmtime_r(&j->st.st_mtim.tv_sec, &tm);
    strftime(modified, sizeof modified, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    weft_add_header(c, "ETag", etag);
    weft_add_header(c, "Last-Modified", modified);
    weft_add_header(c, "Cache-Control", sr->cache_control);
    weft_add_header(c, "Accept-Ranges", "bytes");
    weft_add_header(c, "X-Content-Type-Options", "nosniff");

    char datebuf[64];
    weft_str inm = weft_req_header(c, "If-None-Match");
    time_t ims = inm.len ? -1 : parse_http_date(weft_req_header(c, "If-Modified-Since"), datebuf,
                                                sizeof datebuf);
    if ((inm.len && none_match(inm, etag)) || (ims >= 0 && j->st.st_mtim.tv_sec <= ims)) {
        weft_reply(c, 304, NULL, NULL, 0);
        return;
    }
    uint64_t from = 0, len = size;
    int ranged = 0;
    weft_str range = weft_req_header(c, "Range");
    weft_str if_range = weft_req_header(c, "If-Range");
    /* If-Range: the range only if the file is still the one the client
     * has part of (a strong match on the ETag, or the exact date). */
    int range_valid = !if_range.len ||
                      (if_range.len == strlen(etag) && memcmp(if_range.base, etag, if_range.len) == 0) ||
                      parse_http_date(if_range, datebuf, sizeof datebuf) == j->st.st_mtim.tv_sec;
    if (range.len && range_valid)
        ranged = parse_range(range, size, &from, &len);
    char cr[96];
    if (ranged < 0) {
        snprintf(cr, sizeof cr, "bytes */%" PRIu64, size);
        weft_add_header(c, "Content-Range", cr);
        weft_reply_error(c, 416, "the range is outside the file");
        return;
    }
    if (ranged) {
        snprintf(cr, sizeof cr, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, from, from + len - 1,
                 size);
        weft_add_header(c, "Content-Range", cr);
    }
    const char *name = j->rel[0] && j->rel[n - 1] != '/' ? j->rel : sr->index;
    if (weft_stream_begin_sized(c, ranged ? 206 : 200, content_type_of(name ? name : ""), len))
        return;
    weft__send_file(c, j->fd, from, len);
}

/* ---- registration -------------------------------------------------------------- */

static void static_root_free(void *arg)
{
    static_root *sr = arg;
    close(sr->dirfd);
    free(sr->root);
    free(sr->index);
    free(sr);
}

int weft_static_sized(weft_app *app, const char *prefix, const char *root,
                      const weft_static_opts *opts, size_t opts_size)
{
    weft_static_opts own;
    opts = weft__opts_take(&own, sizeof own, opts, opts_size);
    size_t pl = strlen(prefix);
    if (pl == 0 || prefix[0] != '/' || (pl > 1 && prefix[pl - 1] == '/') || strpbrk(prefix, "{} ")) {
        weft_error("weft_static: the prefix is \"/\" or \"/name\" (no trailing slash): '%s'", prefix);
        return WEFT_EINVAL;
    }
    static_root *sr = calloc(1, sizeof *sr);
    if (!sr)
        return WEFT_ENOMEM;
    sr->dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (sr->dirfd < 0) {
        weft_error("weft_static: %s: %s", root, strerror(errno));
        free(sr);
        return WEFT_EINVAL;
    }
    sr->root = strdup(root);
    sr->index = opts && opts->index ? strdup(opts->index) : NULL;
    if (opts && opts->max_age_s > 0)
        snprintf(sr->cache_control, sizeof sr->cache_control, "public, max-age=%d", opts->max_age_s);
    else
        snprintf(sr->cache_control, sizeof sr->cache_control, "no-cache");
    int rc = weft__app_own(app, sr, static_root_free);
    char pattern[512];
    snprintf(pattern, sizeof pattern, "GET %s/{path*}", pl > 1 ? prefix : "");
    weft_route_opts o = {.timeout_ms = WEFT_NO_TIMEOUT, .arg = sr};
    if (!rc)
        rc = weft__route_add(app, NULL, pattern, serve, WEFT_ASYNC, &o);
    if (!rc && pl > 1) { /* "/assets": the directory itself, by its slash */
        snprintf(pattern, sizeof pattern, "GET %s", prefix);
        rc = weft__route_add(app, NULL, pattern, serve, WEFT_ASYNC, &o);
    }
    return rc;
}
