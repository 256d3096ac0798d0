/* curl_easy.c - one libcurl transfer's set-up and result: curl options,
 * the body and header callbacks, the mapping of curl's errors to weft's,
 * and the response built from what arrived. */
#include <stdlib.h>
#include <strings.h>

#include "curl.h"

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    curl_call *c = arg;
    size_t len = size * n;
    if (c->body.len + len > c->base.max_body) {
        c->too_big = 1;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    return weft_buf_append(&c->body, data, len) ? 0 : len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    curl_call *c = arg;
    size_t len = size * n;
    /* A new status line (after a 100 Continue or a redirect) starts over. */
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0)
        c->head.len = 0;
    if (c->head.len + len > 65536)
        return 0;
    return weft_buf_append(&c->head, data, len) ? 0 : len;
}

int weft__curl_setup(curl_call *c, const char *url, const weft_http_opts *o,
                     const weft_client_config *cfg)
{
    c->easy = curl_easy_init();
    if (!c->easy)
        return WEFT_ENOMEM;
    CURL *e = c->easy;
    if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK)
        return WEFT_EINVAL;
    /* Only HTTP(S), also across redirects: a URL from a request must not
     * reach file:// or anything else. */
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_PRIVATE, c);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->base.max_body);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    if (cfg->connect_timeout_ms)
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
    if (cfg->http2) {
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                         strncasecmp(url, "https:", 6) == 0 ? (long)CURL_HTTP_VERSION_2TLS
                                                            : (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
        /* Wait for a connection that can multiplex rather than open one
         * per call while the first is still connecting. */
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    } else
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    /* The same trust settings as weft's own engines (core.h). */
    const char *ca = o->tls_ca_file ? o->tls_ca_file : cfg->tls_ca_file;
    if (ca)
        curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    if (o->tls_cert_file && o->tls_key_file) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, o->tls_cert_file);
        curl_easy_setopt(e, CURLOPT_SSLKEY, o->tls_key_file);
    }
    if (o->tls_insecure_skip_verify || cfg->tls_insecure_skip_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (o->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, (const char *)o->body);
    }
    if (o->method) {
        for (const char *p = o->method; *p; p++)
            if (*p < 'A' || *p > 'Z')
                return WEFT_EINVAL;
        if (strcmp(o->method, "HEAD") == 0)
            curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        else
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, o->method);
    }
    /* No "Expect: 100-continue" round trip for large bodies. */
    c->hdrs = curl_slist_append(NULL, "Expect:");
    for (const char *const *h = o->headers; h && *h; h++) {
        if (strpbrk(*h, "\r\n"))
            return WEFT_EINVAL;
        struct curl_slist *n = curl_slist_append(c->hdrs, *h);
        if (!n)
            return WEFT_ENOMEM;
        c->hdrs = n;
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
    return 0;
}

int weft__curl_error(const curl_call *c, CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        return WEFT_ECONNREFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return WEFT_EDNS;
    case CURLE_OPERATION_TIMEDOUT:
        return WEFT_ETIMEDOUT;
    case CURLE_WRITE_ERROR:
        return c->too_big ? WEFT_ETOOBIG : WEFT_EIO;
    case CURLE_FILESIZE_EXCEEDED:
        return WEFT_ETOOBIG;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
        return WEFT_ECONNRESET;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_TOO_MANY_REDIRECTS:
        return WEFT_EPROTO;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
        return WEFT_ETLS;
    case CURLE_URL_MALFORMAT:
        return WEFT_EINVAL;
    default:
        return WEFT_EIO;
    }
}

void weft__curl_describe(const curl_call *c, CURLcode rc, char *out, size_t cap)
{
    if (c->too_big)
        snprintf(out, cap, "the response from %s is larger than %zu bytes", c->base.url,
                 c->base.max_body);
    else
        snprintf(out, cap, "%s: %s", c->base.url,
                 c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
}

/* Splits the collected header block into name/value slices of `text`
 * (a copy the caller owns); the status line and anything without a colon
 * are skipped. Returns the number of fields (at most cap). */
static size_t split_headers(char *text, weft_header *h, size_t cap)
{
    size_t count = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\r\n", &save); line && count < cap;
         line = strtok_r(NULL, "\r\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue; /* the status line */
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        h[count].name = weft_str_make(line, (size_t)(colon - line));
        h[count].value = weft_str_cstr(v);
        count++;
    }
    return count;
}

weft_http_response *weft__curl_response(curl_call *c, double ms)
{
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    size_t lines = 1;
    for (size_t i = 0; i < c->head.len; i++)
        lines += c->head.data[i] == '\n';
    char *text = malloc(c->head.len + 1);
    weft_header *h = calloc(lines, sizeof *h);
    weft_http_response *r = NULL;
    if (text && h) {
        if (c->head.len)
            memcpy(text, c->head.data, c->head.len);
        text[c->head.len] = '\0';
        size_t n = split_headers(text, h, lines);
        r = weft__response_make((int)status, h, n, c->body.data, c->body.len);
    }
    free(text);
    free(h);
    if (r) {
        r->total_ms = ms;
        r->reused = c->reused;
    }
    return r;
}
