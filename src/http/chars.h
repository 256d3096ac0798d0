/* chars.h - the character classes of HTTP's grammar (RFC 9110 5.6), shared
 * by the head parser and the chunked decoder. */
#ifndef WEFT_SRC_HTTP_CHARS_H
#define WEFT_SRC_HTTP_CHARS_H

/* 1 for each tchar: the characters of a token (method, field name,
 * transfer coding, chunk extension name). */
extern const unsigned char weft__tchar[256];

/* OWS / BWS: optional whitespace, a space or a horizontal tab. */
static inline int weft__is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* A byte allowed in a field value or a quoted-string: HTAB, SP, VCHAR and
 * obs-text. */
static inline int weft__is_field_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

#endif
