/* The echo probe format, the sequence window and the loss figure
 * (proto/probe.c), table-driven: pure code, no sockets. Moved from
 * test_echo_udp.c with the code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "netkit/probe.h"

/* The largest probe echo-udp sends (an IPv4 UDP payload, udp.h). */
#define PROBE_BIG 65507

/* ---- the probe format ------------------------------------------------- */

static void
test_probe_round_trip(void **state)
{
    static const size_t sizes[] = {16, 17, 64, 1400, PROBE_BIG};
    static uint8_t buf[PROBE_BIG];
    const uint64_t nonce = 0x0123456789abcdefull;
    uint32_t seq = 0;
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        nk_probe_fill(buf, sizes[i], 4000000000u + (uint32_t)i, nonce);
        assert_int_equal(nk_probe_parse(buf, sizes[i], nonce, &seq), 0);
        assert_true(seq == 4000000000u + (uint32_t)i);
        assert_true(nk_probe_check(buf, sizes[i], sizes[i], seq, nonce));
        /* wrong length, wrong sequence, wrong nonce */
        assert_false(nk_probe_check(buf, sizes[i], sizes[i] + 1, seq, nonce));
        assert_false(nk_probe_check(buf, sizes[i] - 1, sizes[i], seq, nonce));
        assert_false(nk_probe_check(buf, sizes[i], sizes[i], seq + 1, nonce));
        assert_int_equal(nk_probe_parse(buf, sizes[i], nonce ^ 1, &seq), -1);
    }
    /* the wire layout: magic, big-endian sequence and nonce */
    nk_probe_fill(buf, 16, 0x01020304u, nonce);
    assert_memory_equal(buf,
                        "NKUE\x01\x02\x03\x04\x01\x23\x45\x67\x89\xab"
                        "\xcd\xef",
                        16);
}

/* Every single flipped byte is caught, in the header and in the body. */
static void
test_probe_corruption(void **state)
{
    uint8_t buf[100];
    const uint64_t nonce = 42;
    (void)state;
    for (size_t at = 0; at < sizeof buf; at++) {
        nk_probe_fill(buf, sizeof buf, 7, nonce);
        buf[at] ^= 0x20;
        assert_false(nk_probe_check(buf, sizeof buf, sizeof buf, 7, nonce));
    }
    /* a body from another probe (swapped replies) does not pass either */
    nk_probe_fill(buf, sizeof buf, 8, nonce);
    memcpy(buf + 4, "\0\0\0\x07", 4);
    assert_false(nk_probe_check(buf, sizeof buf, sizeof buf, 7, nonce));
    /* too short to carry a header: pattern only, and never "ours" */
    uint32_t seq;
    nk_probe_fill(buf, 8, 3, nonce);
    assert_true(nk_probe_check(buf, 8, 8, 3, nonce));
    assert_int_equal(nk_probe_parse(buf, 8, nonce, &seq), -1);
}

static void
test_nonce_differs(void **state)
{
    (void)state;
    assert_true(nk_probe_nonce() != nk_probe_nonce());
}

/* ---- sequence bookkeeping -------------------------------------------- */

static void
test_seqwin_replies(void **state)
{
    struct nk_seqwin w;
    int64_t rtt = -1;
    (void)state;
    assert_int_equal(nk_seqwin_init(&w, 8, NULL), 0);
    assert_int_equal(nk_seqwin_send(&w, 1000), 0);
    assert_int_equal(nk_seqwin_send(&w, 1100), 1);
    assert_int_equal(nk_seqwin_send(&w, 1200), 2);
    assert_int_equal(w.inflight, 3);
    assert_int_equal(nk_seqwin_reply(&w, 1, 1500, &rtt), NK_SEQ_NEW);
    assert_int_equal(rtt, 400);
    assert_int_equal(nk_seqwin_reply(&w, 1, 1600, &rtt), NK_SEQ_DUP);
    assert_int_equal(nk_seqwin_reply(&w, 3, 1600, &rtt), NK_SEQ_BOGUS);
    assert_int_equal(nk_seqwin_reply(&w, 0xffffffffu, 1600, &rtt),
                     NK_SEQ_BOGUS);
    assert_int_equal(w.inflight, 2);
    /* 0 is overdue at 1000 + 500: it leaves the window, 2 stays */
    assert_int_equal(nk_seqwin_expire(&w, 1650, 500), 1);
    assert_int_equal(w.inflight, 1);
    assert_int_equal(nk_seqwin_reply(&w, 0, 2000, &rtt), NK_SEQ_LATE);
    assert_int_equal(rtt, 1000);
    assert_int_equal(w.inflight, 1); /* a late reply frees nothing twice */
    assert_int_equal(nk_seqwin_reply(&w, 2, 2100, &rtt), NK_SEQ_NEW);
    assert_int_equal(w.inflight, 0);
    assert_true(w.sent == 3 && w.received == 3 && w.late == 1 && w.dup == 1 &&
                w.bogus == 2);
    assert_true(nk_seqwin_lost(&w) == 0);
    nk_seqwin_free(&w);
}

/* A reply older than the ring is stale: neither received nor double
 * counted, so the loss figure stays exact for everything the ring holds. */
static void
test_seqwin_ring(void **state)
{
    struct nk_seqwin w;
    int64_t rtt;
    (void)state;
    assert_int_equal(nk_seqwin_init(&w, 4, NULL), 0);
    for (int i = 0; i < 4; i++)
        nk_seqwin_send(&w, i);
    assert_int_equal(nk_seqwin_reply(&w, 1, 10, &rtt), NK_SEQ_NEW);
    /* sending seq 4 reuses seq 0's slot: 0 is forced out of the window */
    assert_int_equal(nk_seqwin_send(&w, 20), 4);
    assert_int_equal(w.inflight, 3); /* 2, 3 and 4 */
    assert_int_equal(nk_seqwin_reply(&w, 0, 30, &rtt), NK_SEQ_STALE);
    assert_int_equal(nk_seqwin_reply(&w, 4, 30, &rtt), NK_SEQ_NEW);
    assert_int_equal(rtt, 10);
    for (int i = 5; i < 100; i++) {
        uint32_t s = nk_seqwin_send(&w, i);
        assert_int_equal(nk_seqwin_reply(&w, s, i + 1, &rtt), NK_SEQ_NEW);
    }
    /* 2 and 3 were never answered: forced out as their slots came round */
    assert_int_equal(w.inflight, 0);
    assert_int_equal(nk_seqwin_reply(&w, 3, 200, &rtt), NK_SEQ_STALE);
    assert_true(nk_seqwin_lost(&w) == 3); /* 0, 2, 3 */
    assert_true(w.sent == 100 && w.received == 97 && w.stale == 2);
    nk_seqwin_free(&w);
}

static void
test_loss_percent(void **state)
{
    static const struct {
        uint64_t sent, received;
        double want;
    } t[] = {
        {0, 0, 0.0},     {10, 10, 0.0}, {10, 0, 100.0},
        {4, 3, 25.0},    {3, 5, 0.0},   {1000000, 999999, 0.0001},
        {200, 199, 0.5},
    };
    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        assert_float_equal(nk_probe_loss_pct(t[i].sent, t[i].received),
                           t[i].want, 1e-9);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_round_trip),
        cmocka_unit_test(test_probe_corruption),
        cmocka_unit_test(test_nonce_differs),
        cmocka_unit_test(test_seqwin_replies),
        cmocka_unit_test(test_seqwin_ring),
        cmocka_unit_test(test_loss_percent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
