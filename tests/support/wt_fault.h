/* wt_fault.h - a misbehaving backend for client tests, on a thread of the
 * test process: it accepts on loopback and then does one bad thing. */
#ifndef WT_FAULT_H
#define WT_FAULT_H

typedef enum wt_fault_mode {
    WT_FAULT_SILENT,  /* reads the request, never answers (holds the connection) */
    WT_FAULT_GARBAGE, /* answers with bytes that are not HTTP */
    WT_FAULT_RESET,   /* answers a head and part of the body, then resets */
    WT_FAULT_FIXED,   /* answers every request with a given response */
    WT_FAULT_ENDLESS, /* a chunked body that never ends, as fast as it is read */
    WT_FAULT_DRIP,    /* a valid answer, one byte every 20 ms */
    WT_FAULT_SHORT,   /* Content-Length: 1000, then 10 bytes and a clean close */
} wt_fault_mode;

typedef struct wt_fault wt_fault;

wt_fault *wt_fault_start(wt_fault_mode mode);
/* WT_FAULT_FIXED: answers each request with `response` (raw bytes, head
 * and body), then closes. */
wt_fault *wt_fault_start_fixed(const char *response);
int wt_fault_port(const wt_fault *f);
/* Connections accepted so far, and how many of them the peer closed. */
int wt_fault_accepted(const wt_fault *f);
int wt_fault_peer_closed(const wt_fault *f);
void wt_fault_stop(wt_fault *f);
/* A loopback port with nothing listening on it: bound (so no other test
 * can take it) but never listening, for the life of the process. */
int wt_refusing_port(void);

#endif
