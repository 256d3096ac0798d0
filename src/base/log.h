/* log.h - what weft's own layers ask of the log beyond weft/base.h. */
#ifndef WEFT_SRC_BASE_LOG_H
#define WEFT_SRC_BASE_LOG_H

/* Every error-log line of this process from now on names it ("worker 2"):
 * under --processes, several processes write to one stderr. NULL: none. */
void weft__log_set_tag(const char *tag);

#endif
