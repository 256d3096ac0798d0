/* opts.h - reading an options struct as the caller compiled it.
 *
 * A public function that takes options gets, from the macro of the same
 * name in its header, sizeof the struct the caller was compiled with. A
 * program built against older headers passes a shorter struct: it is read
 * as far as it goes and the fields it does not know are zero, their
 * defaults. A program built against newer headers passes a longer one,
 * of which this library reads the part it knows. So options can grow at
 * their end without breaking programs already built. */
#ifndef WEFT_OPTS_H
#define WEFT_OPTS_H

#include <string.h>

/* given (NULL, or given_size bytes) as a struct of full_size bytes: given
 * itself when it is at least that long, else a zero-extended copy in full. */
static inline const void *weft__opts_take(void *full, size_t full_size, const void *given,
                                          size_t given_size)
{
    if (!given || given_size >= full_size)
        return given;
    memset(full, 0, full_size);
    memcpy(full, given, given_size);
    return full;
}

#endif
