/* uri.h - request targets and authorities checked against RFC 3986
 * (uri.c says which forms, and why some valid-looking ones are not). Each
 * check returns NULL when the input is acceptable, else a short reason
 * for a 400 answer's body. */
#ifndef WEFT_SRC_HTTP_URI_H
#define WEFT_SRC_HTTP_URI_H

#include "weft/base.h"

/* An origin-form target: "/" path [ "?" query ]. */
const char *weft__uri_origin_check(weft_str target);
/* A query on its own (what follows '?'). */
const char *weft__uri_query_check(weft_str query);
/* A Host field value or an absolute-form authority: host [ ":" port ]. */
const char *weft__uri_authority_check(weft_str authority);
/* Splits an absolute-form target "scheme://authority[/path][?query]" into
 * its authority and the rest (which is empty or starts with '/', '?' or
 * '#'), and checks the authority. */
const char *weft__uri_absolute_split(weft_str target, weft_str *authority, weft_str *rest);

#endif
