/* html.h - the front end's pages: a shared layout, escaped text, tables
 * rendered from the backend's JSON. */
#ifndef PGW_HTML_H
#define PGW_HTML_H

#include "weft.h"

void html_begin(weft_buf *b, const char *title, const char *subtitle);
/* Closes the page, with how long the request took. */
void html_end(weft_buf *b, uint64_t elapsed_ms);
void html_text(weft_buf *b, const char *s);
void html_text_n(weft_buf *b, const char *s, size_t len);
/* A table from a JSON array of objects, one column per name in cols (at
 * most 8). Returns 0, or -1 with a message in err when the JSON is not
 * valid or not an array; b then holds a partial table to throw away. */
int html_table(weft_buf *b, const char *caption, const char *json, size_t len,
               const char *const *cols, char *err, size_t errcap);
/* Sends the page and frees the buffer. */
void html_reply(weft_ctx *c, int status, weft_buf *b);
/* A complete error page (502, 504, ...) naming what failed. */
void html_error(weft_ctx *c, int status, const char *title, const char *detail,
                uint64_t elapsed_ms);

#endif
