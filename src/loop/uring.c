/* uring.c - a loop's io_uring: setup, the shared receive buffers, the
 * completions, and the one submit per loop turn (uring.h says why). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "uring.h"

/* Submission slots; completions get four times as many (a multishot
 * receive or accept posts many per submission). */
#define SQ_ENTRIES 4096
/* The receive buffers the kernel picks from, shared by the loop's
 * sockets: each is copied out and given back as soon as it lands, so a
 * few hundred cover thousands of connections. 256 x 16 KiB = 4 MiB per
 * loop of address space, touched as used. */
#define NBUFS 256
#define BUF_SIZE 16384
#define BGID 0

static void on_ring_readable(uv_poll_t *p, int status, int events);
static void flush_ring(weft_flush *f);

char *weft__uring_buf(struct weft_uring *ur, unsigned bid)
{
    return ur->bufs + (size_t)bid * BUF_SIZE;
}

void weft__uring_buf_return(struct weft_uring *ur, unsigned bid)
{
    io_uring_buf_ring_add(ur->br, weft__uring_buf(ur, bid), BUF_SIZE, (unsigned short)bid,
                          io_uring_buf_ring_mask(NBUFS), 0);
    io_uring_buf_ring_advance(ur->br, 1);
}

static int setup_buffers(struct weft_uring *ur)
{
    size_t ring_bytes = NBUFS * sizeof(struct io_uring_buf);
    void *br = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (br == MAP_FAILED)
        return -ENOMEM;
    ur->bufs = mmap(NULL, (size_t)NBUFS * BUF_SIZE, PROT_READ | PROT_WRITE,
                    MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (ur->bufs == MAP_FAILED) {
        munmap(br, ring_bytes);
        ur->bufs = NULL;
        return -ENOMEM;
    }
    ur->br = br;
    io_uring_buf_ring_init(ur->br);
    struct io_uring_buf_reg reg = {0};
    reg.ring_addr = (unsigned long)(uintptr_t)br;
    reg.ring_entries = NBUFS;
    reg.bgid = BGID;
    int rc = io_uring_register_buf_ring(&ur->ring, &reg, 0);
    if (rc)
        return rc;
    for (unsigned i = 0; i < NBUFS; i++)
        io_uring_buf_ring_add(ur->br, weft__uring_buf(ur, i), BUF_SIZE, (unsigned short)i,
                              io_uring_buf_ring_mask(NBUFS), (int)i);
    io_uring_buf_ring_advance(ur->br, (int)NBUFS);
    return 0;
}

static void free_buffers(struct weft_uring *ur)
{
    if (ur->br)
        munmap(ur->br, NBUFS * sizeof(struct io_uring_buf));
    if (ur->bufs)
        munmap(ur->bufs, (size_t)NBUFS * BUF_SIZE);
    ur->br = NULL;
    ur->bufs = NULL;
}

int weft__uring_open(weft_loop *loop, char *why, size_t cap)
{
    struct weft_uring *ur = calloc(1, sizeof *ur);
    if (!ur) {
        snprintf(why, cap, "out of memory");
        return -ENOMEM;
    }
    ur->loop = loop;
    struct io_uring_params p = {0};
    /* Not SINGLE_ISSUER: a server's loops are made on the main thread
     * and run on threads of their own. SUBMIT_ALL: one bad submission
     * (a socket closed meanwhile) does not hold back the rest. */
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
              IORING_SETUP_TASKRUN_FLAG;
    p.cq_entries = SQ_ENTRIES * 4;
    int rc = io_uring_queue_init_params(SQ_ENTRIES, &ur->ring, &p);
    if (rc < 0) {
        snprintf(why, cap, "io_uring_setup: %s", strerror(-rc));
        free(ur);
        return rc;
    }
    if (!(p.features & IORING_FEAT_NODROP)) {
        snprintf(why, cap, "the kernel's io_uring may drop completions (no IORING_FEAT_NODROP)");
        rc = -ENOTSUP;
    } else if ((rc = setup_buffers(ur)) != 0) {
        snprintf(why, cap, "provided buffer ring: %s", strerror(-rc));
    } else if (uv_poll_init(&loop->uv, &ur->poll, ur->ring.ring_fd) ||
               uv_poll_start(&ur->poll, UV_READABLE, on_ring_readable)) {
        snprintf(why, cap, "cannot poll the ring");
        rc = -EINVAL;
    }
    if (rc) {
        free_buffers(ur);
        io_uring_queue_exit(&ur->ring);
        free(ur);
        return rc;
    }
    ur->poll.data = ur;
    /* Only open sockets keep the loop running (weft__uring_live). */
    uv_unref((uv_handle_t *)&ur->poll);
    ur->flush.fn = flush_ring;
    loop->uring = ur;
    return 0;
}

/* The loop is closing and nothing is open: the ring is polled no more. */
static void close_poll(struct weft_uring *ur)
{
    ur->poll_closed = 1;
    uv_close((uv_handle_t *)&ur->poll, NULL);
}

void weft__uring_live(struct weft_uring *ur, int delta)
{
    unsigned before = ur->live;
    ur->live += (unsigned)delta;
    if (ur->poll_closed)
        return;
    if (before == 0 && ur->live > 0)
        uv_ref((uv_handle_t *)&ur->poll);
    else if (before > 0 && ur->live == 0) {
        uv_unref((uv_handle_t *)&ur->poll);
        if (ur->releasing)
            close_poll(ur);
    }
}

void weft__uring_release(weft_loop *loop)
{
    struct weft_uring *ur = loop->uring;
    if (!ur || ur->releasing)
        return;
    ur->releasing = 1;
    /* The loop's flush runs no more (its handle is closing): what the
     * CLOSE hooks queued (the cancels of idle connections) goes now, and
     * completions from here on are followed by a flush of their own. */
    flush_ring(&ur->flush);
    if (ur->live == 0 && !ur->poll_closed)
        close_poll(ur);
}

void weft__uring_free(weft_loop *loop)
{
    struct weft_uring *ur = loop->uring;
    if (!ur)
        return;
    io_uring_queue_exit(&ur->ring); /* the kernel cancels what any leftover socket had */
    free_buffers(ur);
    free(ur);
    loop->uring = NULL;
}

struct io_uring_sqe *weft__uring_sqe(struct weft_uring *ur, void *owner, unsigned op)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ur->ring);
    if (!sqe) { /* a full queue in one turn: send this part now */
        io_uring_submit(&ur->ring);
        sqe = io_uring_get_sqe(&ur->ring);
    }
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)owner | op);
    weft__loop_flush_last(ur->loop, &ur->flush);
    return sqe;
}

void weft__uring_cancel(struct weft_uring *ur, void *owner, unsigned as, unsigned op)
{
    struct io_uring_sqe *sqe = weft__uring_sqe(ur, owner, as);
    io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)owner | op, 0);
}

void weft__uring_defer(struct weft_uring *ur, weft_tcp *t)
{
    if (t->u.pend_queued)
        return;
    t->u.pend_queued = 1;
    t->u.pend_next = NULL;
    if (ur->pend_tail)
        ur->pend_tail->pend_next = &t->u;
    else
        ur->pend_head = &t->u;
    ur->pend_tail = &t->u;
    weft__loop_flush_last(ur->loop, &ur->flush);
}

/* Before the loop polls: the callbacks the verbs owed (never from inside
 * a verb), then every submission of this turn in one system call. */
static void flush_ring(weft_flush *f)
{
    struct weft_uring *ur = (struct weft_uring *)((char *)f - offsetof(struct weft_uring, flush));
    weft_usock *u;
    while ((u = ur->pend_head) != NULL) {
        ur->pend_head = u->pend_next;
        if (!ur->pend_head)
            ur->pend_tail = NULL;
        u->pend_queued = 0;
        weft__utcp_run_pending((weft_tcp *)((char *)u - offsetof(weft_tcp, u)));
    }
    if (io_uring_sq_ready(&ur->ring))
        io_uring_submit(&ur->ring);
}

static void dispatch(const struct io_uring_cqe *cqe)
{
    uint64_t data = io_uring_cqe_get_data64(cqe);
    unsigned op = (unsigned)(data & UOP_MASK);
    void *owner = (void *)(uintptr_t)(data & ~(uint64_t)UOP_MASK);
    if (!owner)
        return;
    if (op == UOP_ACCEPT || op == UOP_LCANCEL)
        weft__ulisten_complete(owner, op, cqe->res);
    else
        weft__utcp_complete(owner, op, cqe->res, cqe->flags);
}

static void on_ring_readable(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    struct weft_uring *ur = p->data;
    /* In batches: a callback may queue work (and free a socket whose last
     * completion this was); each batch is taken off the ring first. */
    struct io_uring_cqe *cqes[256];
    for (;;) {
        unsigned n = io_uring_peek_batch_cqe(&ur->ring, cqes, 256);
        if (n == 0)
            break;
        struct io_uring_cqe copy[256];
        for (unsigned i = 0; i < n; i++)
            copy[i] = *cqes[i];
        io_uring_cq_advance(&ur->ring, n);
        for (unsigned i = 0; i < n; i++)
            dispatch(&copy[i]);
        if (n < 256)
            break;
    }
    if (ur->releasing)
        flush_ring(&ur->flush);
}
