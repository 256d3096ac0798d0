/* log.h - what weft's own layers ask of the log beyond weft/base.h. */
#ifndef WEFT_SRC_BASE_LOG_H
#define WEFT_SRC_BASE_LOG_H

/* Every error-log line of this process from now on names it ("worker 2"):
 * under --processes, several processes write to one stderr. NULL: none. */
void weft__log_set_tag(const char *tag);

/* Writes out everything and ends the writer thread; the next line starts
 * another. A master forks its workers with no other thread running
 * (ThreadSanitizer refuses threads after a fork from a threaded process,
 * and POSIX allows the child only async-signal-safe calls then). */
void weft__log_stop_writer(void);

#endif
