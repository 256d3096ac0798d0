/* request_id.c - X-Request-Id on every answer (weft_mw_request_id).
 *
 * The id is weft_req_id's: the client's own when it sent a plain one, so a
 * caller's trace id comes back to it, else one made here. The access log
 * and the 5xx bodies name the same id, which is what makes a user's
 * report findable in the log. */
#include "../server/server.h"

static void add_id(weft_ctx *c, weft_out *out, void *arg)
{
    (void)out;
    (void)arg;
    weft__add_header_kept(c, "X-Request-Id", weft_req_id(c)); /* the id is the arena's */
}

weft_middleware weft_mw_request_id(void)
{
    return (weft_middleware){.name = "request-id", .after = add_id};
}
