/* wt.h - black-box test support: start real weft binaries on a free
 * loopback port and speak raw HTTP/1.1 to them over TCP. */
#ifndef WT_H
#define WT_H

#include <stddef.h>
#include <sys/types.h>

typedef struct wt_server {
    pid_t pid;
    int port;
    char log_path[64]; /* the server's stderr and stdout (access log) */
} wt_server;

/* Starts bin (a name under WEFT_BIN_DIR) with args (NULL-terminated) plus
 * --port 0, waits for its "listening on" line. Fails the test on error. */
void wt_start(wt_server *s, const char *bin, const char *const *args);
/* Sends sig and waits up to timeout_ms; returns the exit status, or -1 if
 * it did not exit (it is then killed). */
int wt_stop(wt_server *s, int sig, int timeout_ms);
/* Whether the server's output (error and access log) contains text. */
int wt_log_contains(const wt_server *s, const char *text);
/* The same, waiting up to timeout_ms for the line to be written (the
 * logs go out through a writer thread). */
int wt_wait_log(const wt_server *s, const char *text, int timeout_ms);

typedef struct wt_conn {
    int fd;
    char buf[1 << 20];
    size_t len;
} wt_conn;

wt_conn *wt_connect(int port);
void wt_send(wt_conn *c, const char *data, size_t len);
void wt_send_str(wt_conn *c, const char *s);
void wt_close(wt_conn *c);
/* Ends the write side only (shutdown SHUT_WR, a FIN): a client that
 * half-closes after its request and still reads the answer. */
void wt_shut_wr(wt_conn *c);
/* Closes abortively (SO_LINGER 0: an RST, not a FIN) and frees c: a client
 * that is gone, as the server can tell it apart from a half-close. */
void wt_reset(wt_conn *c);

typedef struct wt_response {
    int status;
    int minor;
    char head[16384]; /* status line and headers, NUL-terminated */
    char *body;       /* malloc'd, NUL-terminated */
    size_t body_len;
    int chunked;
} wt_response;

/* Reads one response (Content-Length, chunked or close-delimited) within
 * timeout_ms. Returns 0, or -1 on timeout/EOF/reset/garbage; a
 * close-delimited body ends only with a clean close, never a time-out. head_only: the
 * response to a HEAD request has no body. */
int wt_read_response(wt_conn *c, wt_response *r, int timeout_ms, int head_only);
void wt_response_free(wt_response *r);
/* A response header's value (first match, case-insensitive) copied to
 * out; NULL if absent. */
const char *wt_header(const wt_response *r, const char *name, char *out, size_t cap);
/* 1 if the peer closed the connection cleanly (a FIN) within timeout_ms
 * with no more data, 0 if data arrived, -1 on timeout, -2 if it reset the
 * connection instead. */
int wt_wait_closed(wt_conn *c, int timeout_ms);

/* One request on a new connection; returns the status (or -1), with the
 * response in *r if r is not NULL. */
int wt_request(int port, const char *raw, wt_response *r);

/* GET route?url=http://127.0.0.1:port<path>(encoded)<extra> on a front
 * (weft-client-app) at front_port; the status, or -1. */
int wt_get_via(int front_port, const char *route, int port, const char *path, const char *extra,
               wt_response *r);

/* GETs path on port (asserting 200) and returns the number that follows
 * key in the body ("ok=", "\"client_gone\":"), or -1 if key is absent. */
long wt_number_after(int port, const char *path, const char *key);
/* A counter of weft-hello's /stats JSON ("name": N), or -1. */
long wt_stat(int port, const char *name);

long wt_now_ms(void);
/* True when the servers run under a sanitizer that slows them ~10x
 * (WT_SLOW_BUILD=1, set by `make tsan`): scale and speed tests skip then,
 * since their bounds are about speed, not correctness. */
int wt_slow_build(void);
/* True in sanitizer builds (WT_SANITIZED=1, set by `make asan` and `make
 * tsan`): their allocators keep freed memory, and their servers are
 * slower, so memory bounds skip and waits are longer there. */
int wt_sanitized(void);
/* Raises this process's open-file limit to its hard limit; the servers a
 * test starts inherit it (bursts of thousands of connections). */
void wt_raise_fd_limit(void);

/* Opens n connections at once, sends `raw` on each, and waits (up to
 * timeout_ms) for every response. Counts statuses; latencies are from the
 * send to the full response. One thread, epoll: n may be in the thousands. */
typedef struct wt_burst_result {
    int ok;          /* 200 */
    int other;       /* another status */
    int failed;      /* no complete response */
    long max_ms, p50_ms;
    long elapsed_ms;
} wt_burst_result;
void wt_burst(int port, int n, const char *raw, int timeout_ms, wt_burst_result *out);
/* wt_load.c: a steady keep-alive load on port: `clients` threads, each
 * sending GET path on its connection, reading the answer and sending the
 * next, reconnecting after "Connection: close". A request sent and not
 * answered (a close, a reset, 10 s) counts as failed. */
typedef struct wt_load wt_load;
typedef struct wt_load_result {
    int ok;     /* 200 */
    int other;  /* another status */
    int failed; /* no answer */
} wt_load_result;
wt_load *wt_load_start(int port, const char *path, int clients);
/* Waits for n more 200s (fails the test after 15 s). */
void wt_load_wait(wt_load *l, int n);
int wt_load_failed(wt_load *l);
/* Stops the clients, reports (and prints) what they got, frees l. */
void wt_load_stop(wt_load *l, wt_load_result *out);
/* cmocka group setup and teardown for tests that share one
 * `weft-hello --loops 1`: started into wt_hello, stopped with SIGTERM
 * (teardown fails unless it exits 0). */
extern wt_server wt_hello;
int wt_hello_setup(void **state);
int wt_hello_teardown(void **state);
/* Resident set size of a process in KiB (from /proc), -1 if unknown. */
long wt_rss_kb(pid_t pid);
/* Runs a shell command (curl as a second client, a tool), its output
 * (at most cap - 1 bytes, NUL-ended) into out; returns its exit status,
 * or -1 if it did not exit. */
int wt_capture(const char *cmd, char *out, size_t cap);

#endif
