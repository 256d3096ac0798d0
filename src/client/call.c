/* call.c - one transfer's set-up and result: curl options, the mapping of
 * curl's errors to weft's, and the response built from what arrived. */
#include <stdlib.h>
#include <strings.h>

#include "client_int.h"

int weft__call_setup(weft_call *c, const char *url, const weft_http_opts *o,
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
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, weft__call_on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, weft__call_on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
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

int weft__map_curl_error(const weft_call *c, CURLcode rc)
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

void weft__describe_error(const weft_call *c, CURLcode rc, char *out, size_t cap)
{
    if (c->too_big)
        snprintf(out, cap, "the response from %s is larger than %zu bytes", c->url, c->max_body);
    else
        snprintf(out, cap, "%s: %s", c->url, c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
}

void weft__response_free(void *p)
{
    weft_http_response *r = p;
    free(r->headers);
    free(r->body);
    free(r);
}

/* Splits the collected header block into name/value pairs, in one block:
 * [array of weft_header][NUL-terminated strings]. */
static int parse_headers(weft_http_response *r, weft_buf *head)
{
    size_t n = 0;
    for (size_t i = 0; i < head->len; i++)
        n += head->data[i] == '\n';
    weft_header *h = calloc(1, n * sizeof *h + head->len + 1);
    if (!h)
        return WEFT_ENOMEM;
    char *text = (char *)(h + n);
    memcpy(text, head->data, head->len);
    text[head->len] = '\0';
    size_t count = 0;
    char *line = text, *save = NULL;
    for (line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon || count >= n)
            continue; /* the status line */
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        h[count].name = weft_str_cstr(line);
        h[count].value = weft_str_cstr(v);
        count++;
    }
    r->headers = h;
    r->nheaders = count;
    return 0;
}

weft_http_response *weft__response_build(weft_call *c, double ms)
{
    weft_http_response *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    r->status = (int)status;
    r->total_ms = ms;
    r->reused = c->reused;
    if (parse_headers(r, &c->head) || weft_buf_reserve(&c->body, 1)) {
        weft__response_free(r);
        return NULL;
    }
    c->body.data[c->body.len] = '\0';
    r->body = c->body.data;
    r->body_len = c->body.len;
    c->body.data = NULL; /* the response owns it now */
    c->body.len = c->body.cap = 0;
    return r;
}

const char *weft_http_response_header(const weft_http_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (weft_str_ieq(r->headers[i].name, weft_str_cstr(name)))
            return r->headers[i].value.base;
    return NULL;
}

char *weft_url_add_query(weft_arena *a, const char *url, const char *key, const char *value)
{
    char *k = curl_easy_escape(NULL, key, 0), *v = curl_easy_escape(NULL, value, 0);
    char *out = NULL;
    if (k && v)
        out = weft_arena_printf(a, "%s%c%s=%s", url, strchr(url, '?') ? '&' : '?', k, v);
    curl_free(k);
    curl_free(v);
    return out;
}
