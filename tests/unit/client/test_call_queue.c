/* test_call_queue.c - the wait queue both of weft's own HTTP clients keep
 * their calls in while no connection or stream is free (client.c): order
 * kept, removal from any place in O(1) without losing the others, a
 * retry going first again, removing a call that does not wait a no-op. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../../src/client/core.h"

#define N 6

/* The queue read both ways must give want[0..n). */
static void expect_order(const call_queue *q, call_base *calls, const int *want, int n)
{
    int i = 0;
    for (call_base *b = q->head; b; b = b->wait_next, i++) {
        assert_true(i < n);
        assert_ptr_equal(b, &calls[want[i]]);
        assert_int_equal(b->waiting, 1);
    }
    assert_int_equal(i, n);
    for (call_base *b = q->tail; b; b = b->wait_prev)
        assert_ptr_equal(b, &calls[want[--i]]);
    assert_int_equal(i, 0);
    if (n == 0) {
        assert_null(q->head);
        assert_null(q->tail);
    }
}

static void order_and_removal_anywhere(void **state)
{
    (void)state;
    call_base calls[N];
    memset(calls, 0, sizeof calls);
    call_queue q = {0};
    for (int i = 1; i < N; i++)
        weft__call_queue_push(&q, &calls[i]);
    weft__call_queue_push_front(&q, &calls[0]); /* a retry: first again */
    expect_order(&q, calls, (const int[]){0, 1, 2, 3, 4, 5}, 6);

    weft__call_queue_remove(&q, &calls[3]); /* the middle */
    expect_order(&q, calls, (const int[]){0, 1, 2, 4, 5}, 5);
    assert_int_equal(calls[3].waiting, 0);
    assert_null(calls[3].wait_prev);
    assert_null(calls[3].wait_next);
    weft__call_queue_remove(&q, &calls[3]); /* not waiting any more: nothing */
    expect_order(&q, calls, (const int[]){0, 1, 2, 4, 5}, 5);

    weft__call_queue_remove(&q, &calls[0]); /* the head */
    weft__call_queue_remove(&q, &calls[5]); /* the tail */
    expect_order(&q, calls, (const int[]){1, 2, 4}, 3);

    weft__call_queue_push(&q, &calls[3]); /* back, at the end */
    weft__call_queue_push_front(&q, &calls[5]);
    expect_order(&q, calls, (const int[]){5, 1, 2, 4, 3}, 5);

    int drain[] = {2, 5, 3, 1, 4};
    for (int i = 0; i < 5; i++)
        weft__call_queue_remove(&q, &calls[drain[i]]);
    expect_order(&q, calls, NULL, 0);

    weft__call_queue_push_front(&q, &calls[4]); /* into an empty queue */
    expect_order(&q, calls, (const int[]){4}, 1);
    weft__call_queue_remove(&q, &calls[4]);
    expect_order(&q, calls, NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order_and_removal_anywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
