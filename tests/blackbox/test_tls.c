/* test_tls.c - HTTPS over loopback: weft-hello serving TLS with a CA and
 * certificates made for the run (scripts/tls-certs.sh), spoken to by curl,
 * by a TLS client of the test's own (OpenSSL) and by weft's own client in
 * weft-client-app, over HTTP/1.1 and HTTP/2.
 *
 * Shown: ALPN picks h2 (and http/1.1, and nothing), SNI picks the
 * certificate, sessions resume from a ticket (server side, and weft's
 * client offering its kept session), a backend with the wrong name, an
 * expired certificate or an unknown CA is refused with the reason in the
 * log and not in the page, SIGHUP serves a new certificate while an old
 * connection keeps working, a plain HTTP request on the TLS port gets a
 * plain 400, --redirect-http answers 308 to https, garbage and a
 * truncated ClientHello are closed, a stalled handshake is closed at
 * --tls-handshake-timeout. */
#define _GNU_SOURCE /* strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "wt.h"
#include "wt_certs.h"

static char dir[64];
static wt_server srv;            /* localhost (default) and other.test (SNI) */
static wt_server front, front_h2; /* weft's client, trusting the test CA */
static SSL_CTX *cctx;            /* the test's own client, trusting the test CA */

static const char *path_of(const char *name)
{
    return wt_certs_path(dir, name);
}

static void run(const char *cmd)
{
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(wt_certs_make(dir), 0);
    const char *const sargs[] = {"--loops", "2", "--tls-cert", path_of("localhost.pem"),
                                 "--tls-key", path_of("localhost.key"), "--tls-cert",
                                 path_of("other.pem"), "--tls-key", path_of("other.key"),
                                 "--tls-handshake-timeout", "1000", "--keepalive-timeout", "400",
                                 "--redirect-http", "0",
                                 "--log-level", "debug", NULL};
    wt_start(&srv, "weft-hello", sargs);
    const char *const fargs[] = {"--loops", "1", "--backend-ca", path_of("ca.pem"), NULL};
    wt_start(&front, "weft-client-app", fargs);
    const char *const f2args[] = {"--loops", "1", "--backend-ca", path_of("ca.pem"),
                                  "--backend-http2", NULL};
    wt_start(&front_h2, "weft-client-app", f2args);
    cctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(cctx);
    assert_int_equal(SSL_CTX_load_verify_file(cctx, path_of("ca.pem")), 1);
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    SSL_CTX_free(cctx);
    assert_int_equal(wt_stop(&front_h2, 15, 10000), 0);
    assert_int_equal(wt_stop(&front, 15, 10000), 0);
    assert_int_equal(wt_stop(&srv, 15, 10000), 0);
    assert_int_equal(wt_certs_remove(dir), 0);
    return 0;
}

/* ---- a TLS client of the test's own ------------------------------------------------ */

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* A TLS connection to port; sni and alpn (wire format, with its length)
 * may be NULL; resume: a session to offer. NULL if the handshake fails. */
static SSL *tls_open(int port, const char *sni, const char *alpn, unsigned alpn_len,
                     SSL_SESSION *resume)
{
    SSL *ssl = SSL_new(cctx);
    assert_non_null(ssl);
    SSL_set_fd(ssl, tcp_connect(port));
    if (sni)
        SSL_set_tlsext_host_name(ssl, sni);
    SSL_set1_host(ssl, sni ? sni : "localhost");
    if (alpn)
        SSL_set_alpn_protos(ssl, (const unsigned char *)alpn, alpn_len);
    if (resume)
        SSL_set_session(ssl, resume);
    if (SSL_connect(ssl) != 1) {
        ERR_clear_error();
        close(SSL_get_fd(ssl));
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

static void tls_close(SSL *ssl)
{
    int fd = SSL_get_fd(ssl);
    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
}

/* GET path over HTTP/1.1 on ssl; the status, with the body copied to body. */
static int tls_get(SSL *ssl, const char *path, char *body, size_t cap)
{
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
    if (SSL_write(ssl, req, n) != n)
        return -1;
    static char buf[65536];
    size_t len = 0;
    for (;;) {
        int r = SSL_read(ssl, buf + len, (int)(sizeof buf - 1 - len));
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        char *cl = strcasestr(buf, "content-length:");
        if (end && cl && (size_t)(end + 4 - buf) + strtoul(cl + 15, NULL, 10) <= len) {
            snprintf(body, cap, "%s", end + 4);
            return atoi(buf + 9);
        }
    }
}

static void peer_cn(SSL *ssl, char *out, size_t cap)
{
    X509 *cert = SSL_get1_peer_certificate(ssl);
    assert_non_null(cert);
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, out, (int)cap);
    X509_free(cert);
}

static const char *alpn_of(SSL *ssl, char *out, size_t cap)
{
    const unsigned char *p;
    unsigned len;
    SSL_get0_alpn_selected(ssl, &p, &len);
    snprintf(out, cap, "%.*s", (int)len, p ? (const char *)p : "");
    return out;
}

/* A counter of weft-hello's /stats, asked over TLS. */
static long tls_stat(int port, const char *name)
{
    static char body[65536];
    SSL *ssl = tls_open(port, NULL, NULL, 0, NULL);
    assert_non_null(ssl);
    assert_int_equal(tls_get(ssl, "/stats", body, sizeof body), 200);
    tls_close(ssl);
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", name);
    const char *p = strstr(body, key);
    assert_non_null(p);
    return strtol(p + strlen(key), NULL, 10);
}

/* GET path on a plain port. */
static int http_get(int port, const char *path, wt_response *r)
{
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    return wt_request(port, req, r);
}

/* Runs cmd and returns the first line it printed. */
static const char *output_of(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    out[0] = '\0';
    if (!fgets(out, (int)cap, p))
        out[0] = '\0';
    pclose(p);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

/* ---- tests ---------------------------------------------------------------------------- */

static void curl_speaks_h1_and_h2(void **state)
{
    (void)state;
    char cmd[512], out[256];
    snprintf(cmd, sizeof cmd,
             "curl -sS --max-time 10 --cacert %s --http1.1 -w ' %%{http_code} %%{http_version}' "
             "https://localhost:%d/plaintext",
             path_of("ca.pem"), srv.port);
    assert_string_equal(output_of(cmd, out, sizeof out), "Hello, World! 200 1.1");
    snprintf(cmd, sizeof cmd,
             "curl -sS --max-time 10 --cacert %s --http2 -w ' %%{http_code} %%{http_version}' "
             "https://localhost:%d/plaintext",
             path_of("ca.pem"), srv.port);
    assert_string_equal(output_of(cmd, out, sizeof out), "Hello, World! 200 2");
    assert_true(wt_wait_log(&srv, "\"GET /plaintext HTTP/2.0\" 200", 2000));
    /* A POST body crosses TLS records (200 KB, several 16 KiB records). */
    snprintf(cmd, sizeof cmd,
             "head -c 200000 /dev/zero | tr '\\0' x | curl -sS --max-time 10 --cacert %s --http2 "
             "--data-binary @- https://127.0.0.1:%d/echo | wc -c",
             path_of("ca.pem"), srv.port);
    assert_string_equal(output_of(cmd, out, sizeof out), "200000");
}

static void alpn_picks_h2_else_http11(void **state)
{
    (void)state;
    char alpn[32], body[256];
    SSL *ssl = tls_open(srv.port, NULL, "\x08http/1.1\x02h2", 12, NULL);
    assert_non_null(ssl);
    assert_string_equal(alpn_of(ssl, alpn, sizeof alpn), "h2"); /* the server's preference */
    tls_close(ssl);
    ssl = tls_open(srv.port, NULL, "\x08http/1.1", 9, NULL);
    assert_non_null(ssl);
    assert_string_equal(alpn_of(ssl, alpn, sizeof alpn), "http/1.1");
    assert_int_equal(tls_get(ssl, "/plaintext", body, sizeof body), 200);
    tls_close(ssl);
    ssl = tls_open(srv.port, NULL, NULL, 0, NULL); /* no ALPN at all: HTTP/1.1 */
    assert_non_null(ssl);
    assert_string_equal(alpn_of(ssl, alpn, sizeof alpn), "");
    assert_int_equal(tls_get(ssl, "/plaintext", body, sizeof body), 200);
    assert_string_equal(body, "Hello, World!");
    tls_close(ssl);
    /* ALPN h2 but HTTP/1.1 spoken: the connection is closed, not served */
    ssl = tls_open(srv.port, NULL, "\x02h2", 3, NULL);
    assert_non_null(ssl);
    assert_int_equal(tls_get(ssl, "/plaintext", body, sizeof body), -1);
    tls_close(ssl);
}

static void sni_picks_the_certificate(void **state)
{
    (void)state;
    char cn[64];
    SSL *ssl = tls_open(srv.port, "other.test", NULL, 0, NULL);
    assert_non_null(ssl);
    peer_cn(ssl, cn, sizeof cn);
    assert_string_equal(cn, "other-cert");
    tls_close(ssl);
    ssl = tls_open(srv.port, "localhost", NULL, 0, NULL);
    assert_non_null(ssl);
    peer_cn(ssl, cn, sizeof cn);
    assert_string_equal(cn, "localhost-cert");
    tls_close(ssl);
    ssl = tls_open(srv.port, "unknown.test", NULL, 0, NULL); /* the default, which fails the name */
    assert_null(ssl);
}

static void sessions_resume_from_a_ticket(void **state)
{
    (void)state;
    char body[256];
    long resumed0 = tls_stat(srv.port, "tls_resumed");
    SSL *ssl = tls_open(srv.port, "localhost", NULL, 0, NULL);
    assert_non_null(ssl);
    /* TLS 1.3 sends its ticket after the handshake: read an answer first */
    assert_int_equal(tls_get(ssl, "/plaintext", body, sizeof body), 200);
    assert_false(SSL_session_reused(ssl));
    SSL_SESSION *sess = SSL_get1_session(ssl);
    tls_close(ssl);
    assert_non_null(sess);
    assert_true(SSL_SESSION_is_resumable(sess));
    for (int i = 0; i < 2; i++) {
        ssl = tls_open(srv.port, "localhost", NULL, 0, sess);
        assert_non_null(ssl);
        assert_true(SSL_session_reused(ssl));
        assert_int_equal(tls_get(ssl, "/plaintext", body, sizeof body), 200);
        SSL_SESSION_free(sess);
        sess = SSL_get1_session(ssl); /* tickets are single-use in TLS 1.3: take the new one */
        tls_close(ssl);
    }
    SSL_SESSION_free(sess);
    assert_int_equal(tls_stat(srv.port, "tls_resumed"), resumed0 + 2);
    /* TLS 1.2 resumes too (a ticket as well: no session cache is shared) */
    SSL_CTX *c12 = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(c12, TLS1_2_VERSION);
    SSL_CTX_set_verify(c12, SSL_VERIFY_NONE, NULL);
    SSL *a = SSL_new(c12);
    SSL_set_fd(a, tcp_connect(srv.port));
    assert_int_equal(SSL_connect(a), 1);
    assert_string_equal(SSL_get_version(a), "TLSv1.2");
    sess = SSL_get1_session(a);
    tls_close(a);
    a = SSL_new(c12);
    SSL_set_fd(a, tcp_connect(srv.port));
    SSL_set_session(a, sess);
    assert_int_equal(SSL_connect(a), 1);
    assert_true(SSL_session_reused(a));
    tls_close(a);
    SSL_SESSION_free(sess);
    /* nothing below TLS 1.2 is spoken */
    SSL_CTX_set_min_proto_version(c12, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(c12, TLS1_1_VERSION);
    SSL_CTX_set_security_level(c12, 0);
    a = SSL_new(c12);
    SSL_set_fd(a, tcp_connect(srv.port));
    assert_true(SSL_connect(a) != 1);
    ERR_clear_error();
    close(SSL_get_fd(a));
    SSL_free(a);
    SSL_CTX_free(c12);
}

static void weft_client_calls_https(void **state)
{
    (void)state;
    wt_response r;
    char url[128];
    snprintf(url, sizeof url, "/fetch?url=https://127.0.0.1:%d/plaintext", srv.port);
    assert_int_equal(http_get(front.port, url, &r), 200);
    assert_non_null(strstr(r.body, "status=200"));
    assert_non_null(strstr(r.body, "Hello, World!"));
    wt_response_free(&r);
    snprintf(url, sizeof url, "/fetch?url=https://localhost:%d/plaintext", srv.port);
    assert_int_equal(http_get(front.port, url, &r), 200);
    wt_response_free(&r);
    /* over HTTP/2 (ALPN h2): 50 calls in parallel share one session */
    snprintf(url, sizeof url, "/fetch-many?url=https://127.0.0.1:%d/delay%%3Fms%%3D100&n=50",
             srv.port);
    assert_int_equal(http_get(front_h2.port, url, &r), 200);
    assert_non_null(strstr(r.body, "ok=50 failed=0"));
    wt_response_free(&r);
    assert_int_equal(wt_number_after(front_h2.port, "/client-stats", "sockets="), 1);
    assert_true(wt_wait_log(&srv, "\"GET /delay?ms=100 HTTP/2.0\" 200", 2000));
    /* A large answer crosses many records both ways. */
    snprintf(url, sizeof url, "/fetch?url=https://127.0.0.1:%d/stream%%3Fn%%3D2000", srv.port);
    assert_int_equal(http_get(front.port, url, &r), 200);
    assert_non_null(strstr(r.body, "status=200"));
    wt_response_free(&r);
}

/* weft's client keeps the newest session per backend: a connection opened
 * after the first ones closed resumes instead of a full handshake. */
static void weft_client_resumes_its_session(void **state)
{
    (void)state;
    wt_response r;
    char url[128];
    snprintf(url, sizeof url, "/fetch?url=https://127.0.0.1:%d/plaintext", srv.port);
    assert_int_equal(http_get(front.port, url, &r), 200);
    wt_response_free(&r);
    usleep(900 * 1000); /* the server closes idle connections after 400 ms */
    long resumed = tls_stat(srv.port, "tls_resumed");
    assert_int_equal(http_get(front.port, url, &r), 200);
    assert_non_null(strstr(r.body, "reused=0")); /* a new connection ... */
    wt_response_free(&r);
    assert_int_equal(tls_stat(srv.port, "tls_resumed"), resumed + 1); /* ... resumed */
}

/* fetch-err through a front with args to a backend serving cert/key: the
 * error name and message the client gave. */
static void refused_backend(const char *cert, const char *front_ca, const char *want_log)
{
    wt_server bad, f;
    const char *const bargs[] = {"--loops", "1", "--quiet", "--tls-cert", path_of(cert),
                                 "--tls-key", NULL, NULL};
    char key[128];
    snprintf(key, sizeof key, "%s", path_of(cert));
    strcpy(strstr(key, ".pem"), ".key");
    ((const char **)bargs)[6] = key;
    wt_start(&bad, "weft-hello", bargs);
    const char *const fargs[] = {"--loops", "1", front_ca ? "--backend-ca" : "--quiet",
                                 front_ca ? path_of(front_ca) : NULL, NULL};
    wt_start(&f, "weft-client-app", fargs);
    wt_response r;
    char url[128];
    snprintf(url, sizeof url, "/fetch?url=https://127.0.0.1:%d/plaintext", bad.port);
    assert_int_equal(http_get(f.port, url, &r), 502);
    /* the page says a backend call failed, not which or why */
    assert_null(strstr(r.body, "certificate"));
    assert_null(strstr(r.body, "127.0.0.1"));
    wt_response_free(&r);
    assert_true(wt_wait_log(&f, want_log, 2000));
    snprintf(url, sizeof url, "/fetch-err?url=https://127.0.0.1:%d/plaintext", bad.port);
    assert_int_equal(http_get(f.port, url, &r), 200);
    assert_non_null(strstr(r.body, "WEFT_ETLS"));
    wt_response_free(&r);
    assert_int_equal(wt_stop(&f, 15, 10000), 0);
    assert_int_equal(wt_stop(&bad, 15, 10000), 0);
}

static void bad_backend_certificates_are_refused(void **state)
{
    (void)state;
    refused_backend("wrongname.pem", "ca.pem", "certificate verify failed: IP address mismatch");
    refused_backend("expired.pem", "ca.pem", "certificate verify failed: certificate has expired");
    /* the system's CAs do not know the test CA */
    refused_backend("localhost.pem", NULL,
                    "certificate verify failed: unable to get local issuer certificate");
}

static void sighup_reloads_and_old_connections_go_on(void **state)
{
    (void)state;
    char cmd[512], cn[64], body[256];
    snprintf(cmd, sizeof cmd, "cp %s %s && cp %s %s", path_of("localhost.pem"),
             path_of("live.pem"), path_of("localhost.key"), path_of("live.key"));
    run(cmd);
    wt_server s;
    const char *const args[] = {"--loops", "2", "--tls-cert", path_of("live.pem"), "--tls-key",
                                path_of("live.key"), NULL};
    wt_start(&s, "weft-hello", args);
    SSL *old = tls_open(s.port, NULL, NULL, 0, NULL);
    assert_non_null(old);
    assert_int_equal(tls_get(old, "/plaintext", body, sizeof body), 200);
    /* a broken file: the old certificate stays */
    snprintf(cmd, sizeof cmd, "echo broken > %s", path_of("live.pem"));
    run(cmd);
    kill(s.pid, SIGHUP);
    assert_true(wt_wait_log(&s, "certificates not reloaded, the old ones stay", 2000));
    SSL *again = tls_open(s.port, NULL, NULL, 0, NULL);
    assert_non_null(again);
    peer_cn(again, cn, sizeof cn);
    assert_string_equal(cn, "localhost-cert");
    tls_close(again);
    /* the new pair: new connections get it */
    snprintf(cmd, sizeof cmd, "cp %s %s && cp %s %s", path_of("other.pem"), path_of("live.pem"),
             path_of("other.key"), path_of("live.key"));
    run(cmd);
    kill(s.pid, SIGHUP);
    assert_true(wt_wait_log(&s, "certificates reloaded", 2000));
    SSL *fresh = tls_open(s.port, "other.test", NULL, 0, NULL);
    assert_non_null(fresh);
    peer_cn(fresh, cn, sizeof cn);
    assert_string_equal(cn, "other-cert");
    tls_close(fresh);
    /* the connection from before keeps working on its certificate */
    assert_int_equal(tls_get(old, "/plaintext", body, sizeof body), 200);
    peer_cn(old, cn, sizeof cn);
    assert_string_equal(cn, "localhost-cert");
    tls_close(old);
    assert_int_equal(wt_stop(&s, 15, 10000), 0);
}

static void plain_http_on_the_tls_port(void **state)
{
    (void)state;
    wt_response r;
    assert_int_equal(wt_request(srv.port, "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n", &r), 400);
    assert_non_null(strstr(r.body, "https://"));
    wt_response_free(&r);
    assert_true(wt_wait_log(&srv, "a plain HTTP request on the TLS port", 2000));
}

static void plain_port_redirects_to_https(void **state)
{
    (void)state;
    FILE *f = fopen(srv.log_path, "r");
    assert_non_null(f);
    char line[512];
    int rport = 0;
    while (!rport && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "redirecting http://");
        if (p)
            rport = atoi(strrchr(p, ':') + 1);
    }
    fclose(f);
    assert_true(rport > 0);
    wt_response r;
    assert_int_equal(
        wt_request(rport, "GET /plaintext?x=1 HTTP/1.1\r\nHost: localhost:1234\r\n\r\n", &r),
        308);
    char loc[128], want[128];
    snprintf(want, sizeof want, "https://localhost:%d/plaintext?x=1", srv.port);
    assert_string_equal(wt_header(&r, "Location", loc, sizeof loc), want);
    wt_response_free(&r);
    /* curl follows it to the page */
    char cmd[512], out[128];
    snprintf(cmd, sizeof cmd, "curl -sS -L --max-time 10 --cacert %s http://localhost:%d/plaintext",
             path_of("ca.pem"), rport);
    assert_string_equal(output_of(cmd, out, sizeof out), "Hello, World!");
}

/* A ClientHello made by OpenSSL through memory BIOs, as bytes to cut. */
static size_t client_hello(unsigned char *out, size_t cap)
{
    SSL *ssl = SSL_new(cctx);
    BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, rb, wb);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_connect(ssl); /* wants to read: the hello is in wb */
    int n = BIO_read(wb, out, (int)cap);
    SSL_free(ssl);
    ERR_clear_error();
    assert_true(n > 100);
    return (size_t)n;
}

/* 1 when the server ends the connection (a FIN or a reset) within ms;
 * what it sends first (an alert) is skipped. */
static int closed_within(wt_conn *c, int ms)
{
    long until = wt_now_ms() + ms;
    for (;;) {
        long left = until - wt_now_ms();
        int r = left > 0 ? wt_wait_closed(c, (int)left) : -1;
        if (r != 0)
            return r == 1 || r == -2;
    }
}

static void bad_handshakes_are_closed(void **state)
{
    (void)state;
    long failed = tls_stat(srv.port, "tls_handshake_failures");
    /* garbage that claims to be a handshake record */
    wt_conn *c = wt_connect(srv.port);
    wt_send(c, "\x16\x03\x01\x00\x20garbage-garbage-garbage-garbage!", 37);
    assert_true(closed_within(c, 3000));
    wt_close(c);
    /* bytes that are no TLS at all */
    c = wt_connect(srv.port);
    wt_send(c, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_true(closed_within(c, 3000));
    wt_close(c);
    /* half a ClientHello, then nothing: closed at the handshake timeout */
    unsigned char hello[2048];
    size_t n = client_hello(hello, sizeof hello);
    c = wt_connect(srv.port);
    long t0 = wt_now_ms();
    wt_send(c, (const char *)hello, n / 2);
    assert_true(closed_within(c, 4000));
    long waited = wt_now_ms() - t0;
    assert_true(waited >= 900); /* --tls-handshake-timeout 1000, checked every 250 ms */
    wt_close(c);
    /* a connection that sends nothing is closed the same way */
    c = wt_connect(srv.port);
    t0 = wt_now_ms();
    assert_true(closed_within(c, 4000));
    assert_true(wt_now_ms() - t0 >= 900);
    wt_close(c);
    /* a truncated hello from a client that then leaves */
    c = wt_connect(srv.port);
    wt_send(c, (const char *)hello, 40);
    wt_close(c);
    assert_int_equal(tls_stat(srv.port, "tls_handshake_failures"), failed + 5);
    /* and the server still serves */
    char body[256];
    SSL *ssl = tls_open(srv.port, NULL, NULL, 0, NULL);
    assert_non_null(ssl);
    assert_int_equal(tls_get(ssl, "/plaintext", body, sizeof body), 200);
    tls_close(ssl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(curl_speaks_h1_and_h2),
        cmocka_unit_test(alpn_picks_h2_else_http11),
        cmocka_unit_test(sni_picks_the_certificate),
        cmocka_unit_test(sessions_resume_from_a_ticket),
        cmocka_unit_test(weft_client_calls_https),
        cmocka_unit_test(weft_client_resumes_its_session),
        cmocka_unit_test(bad_backend_certificates_are_refused),
        cmocka_unit_test(sighup_reloads_and_old_connections_go_on),
        cmocka_unit_test(plain_http_on_the_tls_port),
        cmocka_unit_test(plain_port_redirects_to_https),
        cmocka_unit_test(bad_handshakes_are_closed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
