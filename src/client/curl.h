/* curl.h - the libcurl engine's call (curl.c drives the multi handles,
 * curl_easy.c sets up one transfer and reads its result). */
#ifndef WEFT_SRC_CLIENT_CURL_H
#define WEFT_SRC_CLIENT_CURL_H

#include <curl/curl.h>

#include "core.h"

typedef struct client_shard client_shard;

/* A call through libcurl: the core's call plus one easy handle. */
typedef struct curl_call {
    call_base base;         /* first: the core's call */
    CURL *easy;
    client_shard *shard;
    struct curl_slist *hdrs;
    weft_buf body, head;
    int too_big;
    int in_multi;
    int reused;
    char errbuf[CURL_ERROR_SIZE];
} curl_call;

/* Makes c's easy handle for url with the call's options. 0 or WEFT_E*. */
int weft__curl_setup(curl_call *c, const char *url, const weft_http_opts *opts,
                     const weft_client_config *cfg);
/* curl's error as weft's, and in words naming the URL. */
int weft__curl_error(const curl_call *c, CURLcode rc);
void weft__curl_describe(const curl_call *c, CURLcode rc, char *out, size_t cap);
/* The response from what arrived (one block, weft__response_free). */
weft_http_response *weft__curl_response(curl_call *c, double ms);

#endif
