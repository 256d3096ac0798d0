/** @file weft/jansson.h
 * @brief JSON request and response bodies, with jansson.
 *
 *   static void create(weft_ctx *c)
 *   {
 *       json_t *in = weft_body_json(c);
 *       if (!in)
 *           return;                       // 400 or 415 already answered
 *       const char *name;
 *       if (json_unpack(in, "{s:s}", "name", &name))
 *           return (void)weft_reply_error(c, 422, "want {\"name\": string}");
 *       weft_reply_json_new(c, 201, json_pack("{s:s, s:i}", "name", name, "id", 7));
 *   }
 *
 * Strings go out escaped as JSON wants, whatever they hold (a path
 * parameter "a\"b" included): no hand-formatted JSON. For reading a large
 * backend answer without a tree, weft/json.h's pull reader. */
#ifndef WEFT_JANSSON_H
#define WEFT_JANSSON_H

#include <jansson.h>

#include "weft/server.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The request body parsed as JSON, owned by the request: the same tree on
 * every call, freed as the request ends (json_incref it to keep it). NULL
 * when there is nothing to give, the answer already sent: 415 when the
 * Content-Type is not application/json (or a +json type), 400 naming the
 * line, column and reason when it does not parse - as problem+json to a
 * client that accepts JSON. The handler then just returns. */
WEFT_EXTERN json_t *weft_body_json(weft_ctx *c);
/** Answers status with value as application/json (compact); the caller
 * keeps its reference. 500 when it cannot be encoded. */
WEFT_EXTERN int weft_reply_json(weft_ctx *c, int status, const json_t *value);
/** The same, taking the caller's reference, so a fresh json_pack() result
 * can be passed straight in; NULL (json_pack failed) answers 500. */
WEFT_EXTERN int weft_reply_json_new(weft_ctx *c, int status, json_t *value);

#ifdef __cplusplus
}
#endif
#endif
