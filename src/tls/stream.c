/* stream.c - the TLS transport: transport.h's verbs over an inner
 * transport and an in-memory OpenSSL engine.
 *
 * OpenSSL reads and writes through a BIO of our own that never touches a
 * socket: reads take from the ciphertext the inner transport delivered,
 * writes append to a buffer that is then written to the inner transport
 * (one copy each way, as memory BIOs would cost, without the second copy
 * into and out of a BIO_s_mem).
 *
 * Writes: try_write encrypts everything and queues the ciphertext; the
 * queue goes to the inner transport once per loop iteration, before the
 * poll (weft__loop_flush_later), so what one turn produces leaves in one
 * write: the handshake's last flight with the first answer, an answer
 * with the close_notify after it (a new connection with Connection:
 * close costs two writes, not four). What the kernel did not take is
 * written in the background, and until it has left try_write takes
 * nothing (the owner then waits in write() for `written`), so at most one
 * buffer of ciphertext is queued beyond what the owner sees. close()
 * sends close_notify and lets that queue leave first (up to LINGER_MS),
 * as the kernel does for a TCP close.
 *
 * Reads: the inner transport reads into this thread's buffer; OpenSSL
 * decrypts into the owner's buffer (its alloc); when the owner pauses with
 * ciphertext left, the rest is copied aside and inner reading stops until
 * it resumes. Loop thread only; no call here blocks. */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include "tls_int.h"
#include "weft/base.h"

#define LINGER_MS 2000
/* A TLS record is at most 16 KiB plus its overhead: two fit. */
#define READ_BUF (32u * 1024u)
/* Output buffers larger than this are freed once empty: an idle
 * connection after a large answer should not keep it. */
#define KEEP_OUT (64u * 1024u)

enum { DUE_FLUSH = 1, DUE_SHUT = 2, DUE_PUMP = 4 };

static _Thread_local char read_buf[READ_BUF];

static void pump(weft_tls *t);

/* ---- the BIO ------------------------------------------------------------------- */

static int bio_write(BIO *b, const char *p, int n)
{
    weft_tls *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (n <= 0)
        return 0;
    return weft_buf_append(&t->out, p, (size_t)n) ? -1 : n;
}

static int bio_read(BIO *b, char *p, int n)
{
    weft_tls *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    size_t avail = t->src_len - t->src_pos;
    if (avail == 0) {
        if (t->in_eof)
            return 0;
        BIO_set_retry_read(b);
        return -1;
    }
    size_t k = avail < (size_t)n ? avail : (size_t)n;
    memcpy(p, t->src + t->src_pos, k);
    t->src_pos += k;
    return (int)k;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    weft_tls *t = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1; /* bio_write already queued it */
    case BIO_CTRL_PENDING:
        return t ? (long)(t->src_len - t->src_pos) : 0;
    case BIO_CTRL_EOF:
        return t && t->in_eof && t->src_pos == t->src_len;
    default:
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static void bio_method_make(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "weft");
    if (m && BIO_meth_set_write(m, bio_write) && BIO_meth_set_read(m, bio_read) &&
        BIO_meth_set_ctrl(m, bio_ctrl) && BIO_meth_set_create(m, bio_create))
        bio_method = m;
}

/* ---- errors ---------------------------------------------------------------------- */

void weft__tls_openssl_error(char *out, size_t cap)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    if (reason)
        snprintf(out, cap, "%s", reason);
    else if (e)
        snprintf(out, cap, "OpenSSL error %lx", e);
    else if (cap)
        out[0] = '\0';
    ERR_clear_error();
}

void weft__tls_note_error(weft_tls *t, int err)
{
    if (t->why[0]) {
        ERR_clear_error();
        return;
    }
    long v = t->is_client ? SSL_get_verify_result(t->ssl) : X509_V_OK;
    if (v != X509_V_OK) {
        snprintf(t->why, sizeof t->why, "certificate verify failed: %s",
                 X509_verify_cert_error_string(v));
        ERR_clear_error();
        return;
    }
    weft__tls_openssl_error(t->why, sizeof t->why);
    if (!t->why[0])
        snprintf(t->why, sizeof t->why, "%s",
                 err == SSL_ERROR_SYSCALL || t->in_eof ? "the peer closed the connection"
                                                       : "TLS failure");
}

/* ---- writing --------------------------------------------------------------------- */

static void schedule(weft_tls *t, uint8_t what)
{
    t->due |= what;
    weft__loop_flush_later(t->loop, &t->later);
}

/* The queued ciphertext leaves before the loop polls (unless an inner
 * write is pending: its completion sends the rest). */
static void flush_soon(weft_tls *t)
{
    if (!t->inner_writing)
        schedule(t, DUE_FLUSH);
}

/* Hands the queued ciphertext to the inner transport: 1 all gone, 0 some
 * pending, or the error (kept: every later write fails with it). */
static int send_out(weft_tls *t)
{
    if (t->werr)
        return t->werr;
    int r = weft__tr_send(t->inner, &t->out, &t->sending, &t->inner_writing);
    if (r < 0)
        t->werr = r;
    return r;
}

static int encrypt(weft_tls *t, const char *p, size_t n)
{
    while (n) {
        int k = n > INT_MAX ? INT_MAX : (int)n;
        ERR_clear_error();
        int w = SSL_write(t->ssl, p, k);
        if (w <= 0) {
            weft__tls_note_error(t, SSL_get_error(t->ssl, w));
            return -EPROTO;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void inner_close(weft_tls *t)
{
    if (t->inner_closing)
        return;
    t->inner_closing = 1;
    weft_timer_stop(t->loop, &t->linger);
    weft__tr_close(t->inner);
}

static void inner_shutdown(weft_tls *t)
{
    if (t->shut_sent)
        return;
    t->shut_sent = 1;
    int r = weft__tr_shutdown(t->inner);
    if (r) {
        t->shut_status = r;
        schedule(t, DUE_SHUT);
    }
}

static void trim_buffers(weft_tls *t)
{
    if (t->out.len == 0 && t->out.cap > KEEP_OUT)
        weft_buf_free(&t->out);
    if (t->sending.cap > KEEP_OUT)
        weft_buf_free(&t->sending);
}

/* All queued ciphertext has left (or cannot): what waited for that goes on. */
static void drained(weft_tls *t)
{
    if (t->closing) {
        inner_close(t);
        return;
    }
    trim_buffers(t);
    if (t->plain_http && !t->shut_sent) {
        inner_shutdown(t); /* the plain 400 is out: FIN, then wait for the client's */
        return;
    }
    if (t->owner_write) {
        t->owner_write = 0;
        t->t.ev->written(&t->t, t->werr);
        if (t->closing)
            return;
    }
    if (t->shut_wanted && !t->werr)
        inner_shutdown(t);
}

static void on_inner_written(weft_transport *in, int status)
{
    weft_tls *t = in->data;
    t->inner_writing = 0;
    t->sending.len = 0;
    if (status < 0 && !t->werr)
        t->werr = status;
    if (!t->werr && t->out.len && send_out(t) == 0)
        return; /* more is on its way */
    drained(t);
}

/* ---- reading --------------------------------------------------------------------- */

static void sync_inner_reading(weft_tls *t)
{
    /* After a plain HTTP request: read and drop until the client closes. */
    int want = !t->closing && !t->in_eof &&
               (t->plain_http || t->handshaking || (t->reading && t->src_pos == t->src_len));
    if (want && !t->inner_reading) {
        t->inner_reading = 1;
        if (weft__tr_read_start(t->inner))
            t->inner_reading = 0;
    } else if (!want && t->inner_reading) {
        t->inner_reading = 0;
        weft__tr_read_stop(t->inner);
    }
}

/* Ciphertext left when the owner paused is copied off this thread's
 * buffer, which the next connection's read will reuse. */
static int keep_leftover(weft_tls *t)
{
    if (t->src_pos == t->src_len) {
        free(t->stash);
        t->stash = NULL;
        t->src = NULL;
        t->src_len = t->src_pos = 0;
        return 0;
    }
    if (t->src == t->stash)
        return 0;
    size_t left = t->src_len - t->src_pos;
    char *copy = malloc(left);
    if (!copy)
        return WEFT_ENOMEM;
    memcpy(copy, t->src + t->src_pos, left);
    t->stash = copy;
    t->src = copy;
    t->src_len = left;
    t->src_pos = 0;
    return 0;
}

static void handshake_failed(weft_tls *t, int err)
{
    weft__tls_note_error(t, err);
    t->handshaking = 0;
    t->werr = -EPROTO;
    t->eof_told = 1; /* nothing more is read */
    if (t->is_client)
        t->t.ev->connected(&t->t, -EPROTO);
    else
        t->t.ev->read(&t->t, -EPROTO);
}

/* 1 when the handshake is over (done or failed), 0 while it needs input. */
static int handshake(weft_tls *t)
{
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, r);
    if (t->out.len)
        flush_soon(t); /* with the first answer, when it comes in this turn */
    if (r != 1) {
        if (err == SSL_ERROR_WANT_READ && !t->in_eof)
            return 0;
        handshake_failed(t, err);
        return 1;
    }
    t->handshaking = 0;
    if (t->is_client) {
        const unsigned char *p;
        unsigned len;
        SSL_get0_alpn_selected(t->ssl, &p, &len);
        if (t->alpn_want && (len != strlen(t->alpn_want) || memcmp(p, t->alpn_want, len))) {
            snprintf(t->why, sizeof t->why, "the server did not agree to %s (ALPN)",
                     t->alpn_want);
            handshake_failed(t, SSL_ERROR_SSL);
            return 1;
        }
        t->t.ev->connected(&t->t, 0);
    }
    return 1;
}

/* A plain HTTP request on the TLS port gets a plain answer saying so, as
 * nginx does, instead of a handshake failure the client cannot read. */
static const char plain_answer[] =
    "HTTP/1.1 400 Bad Request\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 54\r\n"
    "Connection: close\r\n"
    "\r\n"
    "400 Bad Request: this port speaks HTTPS; use https://\n";

static int looks_like_http(const char *p, size_t n)
{
    return n > 0 && p[0] >= 'A' && p[0] <= 'Z'; /* a method; a TLS record starts 0x14..0x17 */
}

static void answer_plain(weft_tls *t)
{
    snprintf(t->why, sizeof t->why, "a plain HTTP request on the TLS port");
    t->plain_http = 1; /* still "handshaking": the handshake timeout ends it */
    weft_debug("TLS: %s", t->why);
    if (weft_buf_append(&t->out, plain_answer, sizeof plain_answer - 1)) {
        t->t.ev->read(&t->t, -ENOMEM);
        return;
    }
    flush_soon(t); /* once it has left: FIN, then wait for the client's (drained) */
}

static void pump(weft_tls *t)
{
    if (t->handshaking && !handshake(t))
        return;
    while (t->reading && !t->closing && !t->eof_told && !t->plain_http) {
        if (t->src_pos == t->src_len && !SSL_has_pending(t->ssl) && !t->in_eof)
            return; /* nothing to decrypt */
        char *base = NULL;
        size_t len = 0;
        t->t.ev->alloc(&t->t, &base, &len);
        if (len == 0) {
            t->t.ev->read(&t->t, WEFT_IO_NOBUFS); /* the owner pauses or closes */
            return;
        }
        ERR_clear_error();
        int n = SSL_read(t->ssl, base, len > INT_MAX ? INT_MAX : (int)len);
        if (n > 0) {
            t->t.ev->read(&t->t, n);
            continue;
        }
        int err = SSL_get_error(t->ssl, n);
        if (t->out.len)
            flush_soon(t); /* a key update's answer */
        if (err == SSL_ERROR_WANT_READ && !t->in_eof)
            return;
        if (err == SSL_ERROR_ZERO_RETURN || t->in_eof) {
            ERR_clear_error(); /* close_notify, or the TCP end without it */
            t->eof_told = 1;
            t->t.ev->read(&t->t, WEFT_IO_EOF);
            return;
        }
        weft__tls_note_error(t, err);
        t->eof_told = 1;
        t->t.ev->read(&t->t, -EPROTO);
        return;
    }
}

static void inner_alloc(weft_transport *in, char **base, size_t *len)
{
    weft_tls *t = in->data;
    if (t->src_pos < t->src_len)
        return; /* a paused owner's rest is still here: no room */
    *base = read_buf;
    *len = sizeof read_buf;
}

static void after_input(weft_tls *t)
{
    if (!t->closing && keep_leftover(t)) {
        snprintf(t->why, sizeof t->why, "out of memory");
        t->src_pos = t->src_len;
        t->t.ev->read(&t->t, -ENOMEM);
    }
    if (!t->closing)
        sync_inner_reading(t);
}

static void on_inner_read(weft_transport *in, ssize_t n)
{
    weft_tls *t = in->data;
    if (n == 0 || t->closing)
        return;
    if (t->plain_http) { /* what the client sends after its plain request is dropped */
        if (n < 0) {
            t->in_eof = 1;
            t->t.ev->read(&t->t, n == WEFT_IO_EOF ? WEFT_IO_EOF : (int)n);
        }
        return;
    }
    if (n == WEFT_IO_NOBUFS) {
        sync_inner_reading(t);
        return;
    }
    if (n < 0 && n != WEFT_IO_EOF) { /* a reset or a read error */
        t->in_eof = 1;
        if (t->handshaking) {
            snprintf(t->why, sizeof t->why, "%s", weft__io_strerror((int)n));
            handshake_failed(t, SSL_ERROR_SYSCALL);
        } else {
            t->eof_told = 1;
            t->t.ev->read(&t->t, n);
        }
        return;
    }
    if (n == WEFT_IO_EOF) {
        t->in_eof = 1;
    } else {
        if (t->handshaking && !t->is_client && SSL_in_before(t->ssl) &&
            looks_like_http(read_buf, (size_t)n)) {
            answer_plain(t);
            return;
        }
        t->src = read_buf;
        t->src_len = (size_t)n;
        t->src_pos = 0;
    }
    pump(t);
    after_input(t);
}

static void on_inner_connected(weft_transport *in, int status)
{
    weft_tls *t = in->data;
    if (t->closing)
        return;
    if (status < 0) {
        t->handshaking = 0;
        t->t.ev->connected(&t->t, status);
        return;
    }
    handshake(t); /* the ClientHello leaves */
    if (!t->closing)
        sync_inner_reading(t);
}

static void on_inner_shut(weft_transport *in, int status)
{
    weft_tls *t = in->data;
    if (t->closing || t->plain_http)
        return;
    t->t.ev->shut(&t->t, status);
}

static void tls_free(weft_tls *t)
{
    SSL_free(t->ssl);
    free(t->stash);
    weft_buf_free(&t->out);
    weft_buf_free(&t->sending);
    free(t);
}

static void on_inner_closed(weft_transport *in)
{
    weft_tls *t = in->data;
    weft_timer_stop(t->loop, &t->linger);
    weft__loop_flush_cancel(t->loop, &t->later);
    t->t.ev->closed(&t->t); /* the owner may free inner's memory here: not touched after */
    tls_free(t);
}

static const weft_transport_events inner_events = {
    .alloc = inner_alloc,
    .read = on_inner_read,
    .written = on_inner_written,
    .shut = on_inner_shut,
    .connected = on_inner_connected,
    .closed = on_inner_closed,
};

/* ---- the verbs ------------------------------------------------------------------- */

static weft_tls *of(weft_transport *tr)
{
    return (weft_tls *)tr;
}

static void on_later(weft_flush *f)
{
    weft_tls *t = (weft_tls *)((char *)f - offsetof(weft_tls, later));
    uint8_t due = t->due;
    t->due = 0;
    if (t->closing)
        return;
    if ((due & DUE_FLUSH) && !t->inner_writing) {
        if (send_out(t) != 0)
            drained(t); /* all gone (or failed): the owner's write is done */
        if (t->closing)
            return;
    }
    if (due & DUE_SHUT) {
        t->t.ev->shut(&t->t, t->shut_status);
        if (t->closing)
            return;
    }
    if (due & DUE_PUMP) {
        pump(t);
        after_input(t);
    }
}

static int tls_read_start(weft_transport *tr)
{
    weft_tls *t = of(tr);
    t->reading = 1;
    if (t->closing)
        return 0;
    if (!t->handshaking && !t->plain_http &&
        (t->src_pos < t->src_len || SSL_has_pending(t->ssl) || (t->in_eof && !t->eof_told))) {
        schedule(t, DUE_PUMP); /* what is here already is read first */
        return 0;
    }
    sync_inner_reading(t);
    return 0;
}

static void tls_read_stop(weft_transport *tr)
{
    weft_tls *t = of(tr);
    t->reading = 0;
    if (!t->closing)
        sync_inner_reading(t);
}

static ssize_t tls_try_write(weft_transport *tr, const char *p, size_t n)
{
    weft_tls *t = of(tr);
    if (t->werr)
        return t->werr;
    if (t->handshaking || t->inner_writing || t->shut_wanted || t->plain_http)
        return 0;
    if (encrypt(t, p, n))
        return -EPROTO;
    flush_soon(t);
    return (ssize_t)n;
}

static int tls_write(weft_transport *tr, const char *p, size_t n)
{
    weft_tls *t = of(tr);
    if (t->werr)
        return t->werr;
    if (t->handshaking || t->plain_http)
        return WEFT_IO_AGAIN; /* nothing is written before `connected` */
    if (encrypt(t, p, n))
        return -EPROTO;
    t->owner_write = 1; /* `written` once the queue has left */
    flush_soon(t);
    return 0;
}

static int tls_shutdown(weft_transport *tr)
{
    weft_tls *t = of(tr);
    if (t->shut_wanted)
        return 0;
    t->shut_wanted = 1;
    if (t->werr)
        return t->werr;
    if (!t->handshaking) {
        ERR_clear_error();
        SSL_shutdown(t->ssl); /* close_notify joins the queue */
        ERR_clear_error();
    }
    flush_soon(t); /* once the queue has left: the inner shutdown (drained) */
    return 0;
}

static void on_linger(weft_timer *tm)
{
    inner_close((weft_tls *)((char *)tm - offsetof(weft_tls, linger)));
}

static void tls_close(weft_transport *tr)
{
    weft_tls *t = of(tr);
    if (t->closing)
        return;
    t->closing = 1;
    weft__loop_flush_cancel(t->loop, &t->later);
    if (!t->handshaking && !t->werr && !t->shut_wanted && !t->plain_http &&
        SSL_is_init_finished(t->ssl)) {
        ERR_clear_error();
        SSL_shutdown(t->ssl);
        ERR_clear_error();
        send_out(t);
    }
    if (t->inner_writing && !t->werr) {
        weft_timer_start(t->loop, &t->linger, LINGER_MS, on_linger);
        return; /* on_inner_written closes once the queue has left */
    }
    inner_close(t);
}

static void tls_reset(weft_transport *tr)
{
    weft_tls *t = of(tr);
    if (t->inner_closing)
        return;
    t->closing = 1;
    t->inner_closing = 1;
    weft__loop_flush_cancel(t->loop, &t->later);
    weft_timer_stop(t->loop, &t->linger);
    weft__tr_reset(t->inner);
}

static int tls_peer_name(weft_transport *tr, char *out, size_t cap)
{
    return weft__tr_peer_name(of(tr)->inner, out, cap);
}

static const weft_transport_ops tls_ops = {
    tls_read_start, tls_read_stop, tls_try_write, tls_write,
    tls_shutdown,   tls_close,     tls_reset,     tls_peer_name,
};

weft_tls *weft__tls_new(SSL *ssl, weft_loop *loop, weft_transport *inner)
{
    pthread_once(&bio_once, bio_method_make);
    weft_tls *t = ssl && bio_method ? weft__zalloc(sizeof *t) : NULL;
    BIO *bio = t ? BIO_new(bio_method) : NULL;
    if (!bio) {
        free(t);
        SSL_free(ssl);
        return NULL;
    }
    BIO_set_data(bio, t);
    SSL_set_bio(ssl, bio, bio); /* one reference, taken by ssl */
    SSL_set_app_data(ssl, t);
    t->ssl = ssl;
    t->loop = loop;
    t->inner = inner;
    t->t.ops = &tls_ops;
    t->t.ev = inner->ev;
    t->t.data = inner->data;
    t->later.fn = on_later;
    t->handshaking = 1;
    inner->ev = &inner_events;
    inner->data = t;
    return t;
}

/* ---- what a connection knows ------------------------------------------------------- */

int weft__tls_is(const weft_transport *t)
{
    return t && t->ops == &tls_ops;
}

int weft__tls_handshaking(const weft_transport *t)
{
    return weft__tls_is(t) && ((const weft_tls *)t)->handshaking;
}

const char *weft__tls_alpn(const weft_transport *t)
{
    if (!weft__tls_is(t))
        return NULL;
    const unsigned char *p;
    unsigned len;
    SSL_get0_alpn_selected(((const weft_tls *)t)->ssl, &p, &len);
    if (len == 2 && memcmp(p, "h2", 2) == 0)
        return "h2";
    if (len == 8 && memcmp(p, "http/1.1", 8) == 0)
        return "http/1.1";
    return NULL;
}

int weft__tls_resumed(const weft_transport *t)
{
    return weft__tls_is(t) && SSL_session_reused(((const weft_tls *)t)->ssl);
}

const char *weft__tls_why(const weft_transport *t)
{
    return weft__tls_is(t) ? ((const weft_tls *)t)->why : "";
}
