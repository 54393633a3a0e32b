/* sntp: the packet codec, era-aware timestamps, offset/delay, every
 * validation check alone, KoD and refid text, the server's filter, reply
 * and rate table; and the command run in-process for its usage paths
 * (no network: unknown hosts under .invalid only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "netkit/exitcodes.h"
#include "netkit/sntp.h"

#define ERA0_END 2085978496LL /* 2036-02-07T06:28:16Z in Unix seconds */

static void
test_codec_bytes(void **state)
{
    struct nk_sntp_pkt p, q;
    uint8_t b[NK_SNTP_LEN];

    (void)state;
    memset(&p, 0, sizeof p);
    p.leap = 3;
    p.version = 4;
    p.mode = 4;
    p.stratum = 2;
    p.poll = 6;
    p.precision = -20;
    p.root_delay = 0x00010002;
    p.root_dispersion = 0x00030004;
    p.refid = 0xc0000207;
    p.ref_ts = 0x0102030405060708ull;
    p.orig_ts = 0x1112131415161718ull;
    p.recv_ts = 0x2122232425262728ull;
    p.xmit_ts = 0x3132333435363738ull;
    nk_sntp_encode(&p, b);
    memset(&q, 0, sizeof q);      /* padding compares equal too */
    assert_int_equal(b[0], 0xe4); /* 11 100 100 */
    assert_int_equal(b[1], 2);
    assert_int_equal(b[2], 6);
    assert_int_equal(b[3], 0xec);
    assert_int_equal(b[4], 0x00);
    assert_int_equal(b[7], 0x02);
    assert_int_equal(b[12], 0xc0);
    assert_int_equal(b[15], 0x07);
    assert_int_equal(b[16], 0x01);
    assert_int_equal(b[24], 0x11);
    assert_int_equal(b[32], 0x21);
    assert_int_equal(b[40], 0x31);
    assert_int_equal(b[47], 0x38);
    assert_int_equal(nk_sntp_decode(b, sizeof b, &q), 0);
    assert_memory_equal(&p, &q, sizeof p);
    assert_int_equal(nk_sntp_decode(b, 47, &q), -1);
    nk_sntp_set_xmit(b, 0xa1a2a3a4a5a6a7a8ull);
    assert_int_equal(b[40], 0xa1);
    assert_int_equal(b[47], 0xa8);
    assert_int_equal(b[39], 0x28);
}

static void
test_request_is_v4_client(void **state)
{
    uint8_t b[NK_SNTP_LEN];
    struct nk_sntp_pkt p;

    (void)state;
    nk_sntp_build_request(0xdeadbeefcafef00dull, b);
    assert_int_equal(b[0], 0x23);
    for (int i = 1; i < 40; i++)
        assert_int_equal(b[i], 0);
    assert_int_equal(nk_sntp_decode(b, sizeof b, &p), 0);
    assert_true(p.xmit_ts == 0xdeadbeefcafef00dull);
}

/* 1900/1970: NTP second 2208988800 is the Unix epoch. */
static void
test_epoch_offset(void **state)
{
    struct timespec ts = {0, 0}, back;
    uint64_t n;

    (void)state;
    n = nk_ntp_from_timespec(&ts);
    assert_true(n == (uint64_t)2208988800u << 32);
    nk_ntp_to_timespec(n, 0, &back);
    assert_int_equal(back.tv_sec, 0);
    assert_int_equal(back.tv_nsec, 0);
    /* the recipe's arithmetic, inside era 0 */
    assert_int_equal(nk_ntp_era_seconds(3913190400u, 1700000000),
                     3913190400LL - 2208988800LL);
}

/* Round trips over ranges that cross 2036-02-07 (era 0 -> 1), with the
 * pivot anywhere within 68 years of the time. */
static void
test_era_round_trips(void **state)
{
    static const int64_t starts[] = {0,
                                     946684800,
                                     ERA0_END - 100000,
                                     ERA0_END - 1,
                                     ERA0_END,
                                     ERA0_END + 1,
                                     4102444800LL /* 2100 */,
                                     -2208988800LL /* 1900 */};

    (void)state;
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        for (int64_t d = 0; d < 200000; d += 9973) {
            struct timespec ts = {(time_t)(starts[i] + d),
                                  (long)(d * 7919 % 1000000000)};
            struct timespec back;
            uint64_t n = nk_ntp_from_timespec(&ts);
            static const int64_t pivots[] = {0, -86400 * 365 * 60LL, 1,
                                             86400 * 365 * 60LL};
            for (size_t k = 0; k < 4; k++) {
                nk_ntp_to_timespec(n, ts.tv_sec + pivots[k], &back);
                assert_int_equal(back.tv_sec, ts.tv_sec);
                assert_int_equal(back.tv_nsec, ts.tv_nsec);
            }
        }
    }
}

static void
test_era_boundary(void **state)
{
    (void)state;
    /* NTP second 0 read near 2036 is 2036-02-07T06:28:16Z, not 1900 */
    assert_int_equal(nk_ntp_era_seconds(0, ERA0_END), ERA0_END);
    assert_int_equal(nk_ntp_era_seconds(0, ERA0_END - 3600), ERA0_END);
    assert_int_equal(nk_ntp_era_seconds(0xffffffffu, ERA0_END + 10),
                     ERA0_END - 1);
    assert_int_equal(nk_ntp_era_seconds(5, ERA0_END + 100), ERA0_END + 5);
    /* read near 1905, second 0 is 1900 (era 0 start) */
    assert_int_equal(nk_ntp_era_seconds(0, -2208988800LL + 86400 * 365 * 5),
                     -2208988800LL);
    /* the result always lies within 2^31 s of the pivot */
    for (uint32_t s = 0; s < 0xfff00000u; s += 0x0fedcba9u) {
        int64_t r = nk_ntp_era_seconds(s, ERA0_END);
        assert_true(r >= ERA0_END - 2147483648LL &&
                    r < ERA0_END + 2147483648LL);
    }
}

static void
test_fractions(void **state)
{
    static const struct {
        long ns;
        uint32_t frac;
    } cases[] = {
        {0, 0}, {500000000, 0x80000000u}, {250000000, 0x40000000u},
        {1, 4}, {999999999, 0xfffffffbu},
    };
    struct timespec back;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct timespec ts = {1000, cases[i].ns};
        uint64_t n = nk_ntp_from_timespec(&ts);
        assert_int_equal((uint32_t)n, cases[i].frac);
        nk_ntp_to_timespec(n, 1000, &back);
        assert_int_equal(back.tv_nsec, cases[i].ns);
    }
    /* the largest fraction rounds into the next second */
    nk_ntp_to_timespec(((uint64_t)(NK_NTP_UNIX_DELTA + 5) << 32) | 0xffffffffu,
                       0, &back);
    assert_int_equal(back.tv_sec, 6);
    assert_int_equal(back.tv_nsec, 0);
    assert_true(fabs(nk_ntp_to_unix(nk_ntp_from_unix(1234.5), 0) - 1234.5) <
                1e-9);
    assert_true(
        fabs(nk_ntp_to_unix(nk_ntp_from_unix(ERA0_END + 0.25), ERA0_END) -
             (ERA0_END + 0.25)) < 1e-6);
}

static uint64_t
ts(double unix_secs)
{
    return nk_ntp_from_unix(unix_secs);
}

/* Known answers: RFC 5905 section 8's formulas on chosen timestamps. */
static void
test_offset_delay(void **state)
{
    static const struct {
        double t1, t2, t3, t4, offset, delay;
    } cases[] = {
        {100.0, 100.6, 100.7, 100.2, 0.55, 0.1},    /* server ahead */
        {100.0, 99.5, 99.5, 100.0, -0.5, 0.0},      /* behind, no wait */
        {100.0, 100.01, 100.02, 100.03, 0.0, 0.02}, /* in step */
        /* across the era boundary: differences are era-free */
        {ERA0_END - 0.5, ERA0_END + 0.25, ERA0_END + 0.5, ERA0_END - 0.25,
         0.75, 0.0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double off, del;
        nk_sntp_offset_delay(ts(cases[i].t1), ts(cases[i].t2), ts(cases[i].t3),
                             ts(cases[i].t4), &off, &del);
        assert_true(fabs(off - cases[i].offset) < 1e-6);
        assert_true(fabs(del - cases[i].delay) < 1e-6);
    }
    assert_true(nk_ntp_diff(0, 1) < 0);
    assert_true(fabs(nk_ntp_diff((uint64_t)1 << 32, 0) - 1.0) < 1e-12);
}

static void
test_short_and_log2(void **state)
{
    (void)state;
    assert_true(nk_ntp_short_to_double(0x00010000) == 1.0);
    assert_true(nk_ntp_short_to_double(0x00008000) == 0.5);
    assert_int_equal(nk_ntp_short_from_double(0.5), 0x8000);
    assert_int_equal(nk_ntp_short_from_double(-1), 0);
    assert_int_equal(nk_ntp_short_from_double(1e9), 0xffffffffu);
    assert_true(nk_ntp_log2_secs(-1) == 0.5);
    assert_true(nk_ntp_log2_secs(6) == 64.0);
    assert_int_equal(nk_sntp_precision_from_ns(1), -29);
    assert_int_equal(nk_sntp_precision_from_ns(0), -29);
    assert_int_equal(nk_sntp_precision_from_ns(30), -24);
    assert_int_equal(nk_sntp_precision_from_ns(1000000), -9);
    assert_int_equal(nk_sntp_precision_from_ns(1000000000), 0);
}

/* --- validation: a good reply, then each field broken alone */

#define COOKIE 0x0123456789abcdefull

static void
good_reply(struct nk_sntp_pkt *p)
{
    memset(p, 0, sizeof *p);
    p->version = 4;
    p->mode = 4;
    p->stratum = 2;
    p->refid = 0x7f000001;
    p->orig_ts = COOKIE;
    p->recv_ts = ts(1e9);
    p->xmit_ts = ts(1e9 + 0.001);
}

enum breakage {
    B_NONE,
    B_MODE3,
    B_MODE5,
    B_V0,
    B_V5,
    B_ORIGIN,
    B_XMIT,
    B_LEAP3,
    B_S16,
    B_KOD,
    B_KOD_FORGED
};

static void
break_it(struct nk_sntp_pkt *p, enum breakage b)
{
    switch (b) {
    case B_NONE:
        break;
    case B_MODE3:
        p->mode = 3;
        break;
    case B_MODE5:
        p->mode = 5;
        break;
    case B_V0:
        p->version = 0;
        break;
    case B_V5:
        p->version = 5;
        break;
    case B_ORIGIN:
        p->orig_ts ^= 1;
        break;
    case B_XMIT:
        p->xmit_ts = 0;
        break;
    case B_LEAP3:
        p->leap = 3;
        break;
    case B_S16:
        p->stratum = 16;
        break;
    case B_KOD:
        p->stratum = 0;
        p->refid = 0x52415445; /* RATE */
        break;
    case B_KOD_FORGED:
        p->stratum = 0;
        p->orig_ts = 0;
        break;
    }
}

static void
test_validate_table(void **state)
{
    static const struct {
        enum breakage b;
        size_t len;
        enum nk_sntp_verdict want;
    } cases[] = {
        {B_NONE, 48, NK_SNTP_OK},
        {B_NONE, 68, NK_SNTP_OK}, /* extension fields / MAC are fine */
        {B_NONE, 47, NK_SNTP_SHORT},
        {B_NONE, 0, NK_SNTP_SHORT},
        {B_MODE3, 48, NK_SNTP_BAD_MODE},
        {B_MODE5, 48, NK_SNTP_BAD_MODE},
        {B_V0, 48, NK_SNTP_BAD_VERSION},
        {B_V5, 48, NK_SNTP_BAD_VERSION},
        {B_ORIGIN, 48, NK_SNTP_BAD_ORIGIN},
        {B_XMIT, 48, NK_SNTP_NO_XMIT},
        {B_LEAP3, 48, NK_SNTP_UNSYNC},
        {B_S16, 48, NK_SNTP_UNSYNC},
        {B_KOD, 48, NK_SNTP_KOD},
        {B_KOD_FORGED, 48, NK_SNTP_BAD_ORIGIN}, /* never believed */
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_sntp_pkt p, out;
        uint8_t b[80];
        memset(b, 0, sizeof b);
        good_reply(&p);
        break_it(&p, cases[i].b);
        nk_sntp_encode(&p, b);
        enum nk_sntp_verdict v =
            nk_sntp_validate(b, cases[i].len, COOKIE, &out);
        if (v != cases[i].want)
            fail_msg("case %zu: got %s, want %s", i, nk_sntp_verdict_str(v),
                     nk_sntp_verdict_str(cases[i].want));
        assert_true(strlen(nk_sntp_verdict_str(v)) > 0);
    }
}

static void
test_named_checks(void **state)
{
    struct nk_sntp_pkt p;

    (void)state;
    good_reply(&p);
    assert_true(nk_sntp_check_length(48));
    assert_false(nk_sntp_check_length(47));
    assert_true(nk_sntp_check_mode(&p));
    assert_true(nk_sntp_check_version(&p));
    assert_true(nk_sntp_check_origin(&p, COOKIE));
    assert_false(nk_sntp_check_origin(&p, COOKIE + 1));
    assert_true(nk_sntp_check_xmit(&p));
    assert_false(nk_sntp_is_kod(&p));
    assert_false(nk_sntp_is_unsync(&p));
    for (int v = 0; v < 8; v++) {
        p.version = (uint8_t)v;
        assert_int_equal(nk_sntp_check_version(&p), v >= 1 && v <= 4);
    }
    for (int m = 0; m < 8; m++) {
        p.mode = (uint8_t)m;
        assert_int_equal(nk_sntp_check_mode(&p), m == 4);
    }
}

static void
test_check_source(void **state)
{
    struct sockaddr_in a, b;
    struct sockaddr_in6 c, d;

    (void)state;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(123);
    a.sin_addr.s_addr = htonl(0x7f000001);
    b = a;
    assert_true(
        nk_sntp_check_source((void *)&a, sizeof a, (void *)&b, sizeof b));
    b.sin_port = htons(124);
    assert_false(
        nk_sntp_check_source((void *)&a, sizeof a, (void *)&b, sizeof b));
    b = a;
    b.sin_addr.s_addr = htonl(0x7f000002);
    assert_false(
        nk_sntp_check_source((void *)&a, sizeof a, (void *)&b, sizeof b));
    memset(&c, 0, sizeof c);
    c.sin6_family = AF_INET6;
    c.sin6_port = htons(123);
    c.sin6_addr.s6_addr[15] = 1;
    d = c;
    assert_true(
        nk_sntp_check_source((void *)&c, sizeof c, (void *)&d, sizeof d));
    d.sin6_scope_id = 2;
    assert_false(
        nk_sntp_check_source((void *)&c, sizeof c, (void *)&d, sizeof d));
    assert_false(
        nk_sntp_check_source((void *)&a, sizeof a, (void *)&c, sizeof c));
}

static void
test_kod_codes(void **state)
{
    struct nk_sntp_pkt p;
    char code[5];

    (void)state;
    memset(&p, 0, sizeof p);
    p.refid = 0x52415445;
    assert_string_equal(nk_sntp_kod_code(&p, code), "RATE");
    assert_string_not_equal(nk_sntp_kod_meaning("RATE"), "unknown code");
    assert_false(nk_sntp_kod_fatal("RATE"));
    p.refid = 0x44454e59;
    assert_string_equal(nk_sntp_kod_code(&p, code), "DENY");
    assert_true(nk_sntp_kod_fatal("DENY"));
    assert_true(nk_sntp_kod_fatal("RSTR"));
    p.refid = 0x41420000;
    assert_string_equal(nk_sntp_kod_code(&p, code), "AB");
    p.refid = 0x41011b42;
    assert_string_equal(nk_sntp_kod_code(&p, code), "A??B");
    assert_string_equal(nk_sntp_kod_meaning("ZZZZ"), "unknown code");
}

static void
test_refid_text(void **state)
{
    static const struct {
        uint8_t stratum;
        uint32_t refid;
        const char *want;
    } cases[] = {
        {1, 0x47505300, "GPS"},          {1, 0x4c4f434c, "LOCL"},
        {0, 0x52415445, "RATE"},         {2, 0xc0000207, "192.0.2.7"},
        {10, 0x7f7f0101, "127.127.1.1"}, {10, 0x4c4f434c, "76.79.67.76"},
        {1, 0x00000000, "0x00000000"},   {1, 0x41004200, "0x41004200"},
        {1, 0x4101ff42, "0x4101ff42"},
    };
    uint32_t r;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_sntp_pkt p;
        char buf[16];
        memset(&p, 0, sizeof p);
        p.stratum = cases[i].stratum;
        p.refid = cases[i].refid;
        assert_string_equal(nk_sntp_refid_str(&p, buf, sizeof buf),
                            cases[i].want);
    }
    assert_int_equal(nk_sntp_refid_from_text("LOCL", &r), 0);
    assert_true(r == 0x4c4f434c);
    assert_int_equal(nk_sntp_refid_from_text("GPS", &r), 0);
    assert_true(r == 0x47505300);
    assert_int_equal(nk_sntp_refid_from_text("", &r), -1);
    assert_int_equal(nk_sntp_refid_from_text("TOOLONG", &r), -1);
    assert_int_equal(nk_sntp_refid_from_text("A B", &r), -1);
    assert_int_equal(nk_sntp_refid_from_text("\xc3\xa9", &r), -1);
    assert_string_equal(nk_sntp_leap_str(3), "unsynchronised");
    assert_string_equal(nk_sntp_leap_str(0), "none");
}

/* --- the server */

static void
test_filter_modes_versions(void **state)
{
    struct nk_sntp_pkt req;
    uint8_t b[64];

    (void)state;
    for (int v = 0; v < 8; v++) {
        for (int m = 0; m < 8; m++) {
            memset(b, 0, sizeof b);
            b[0] = (uint8_t)(v << 3 | m);
            enum nk_sntp_filter f = nk_sntp_filter_request(b, 48, &req);
            enum nk_sntp_filter want = m != 3 ? NK_SNTP_DROP_MODE
                                       : (v < 1 || v > 4)
                                           ? NK_SNTP_DROP_VERSION
                                           : NK_SNTP_ANSWER;
            if (f != want)
                fail_msg("version %d mode %d: got %d want %d", v, m, f, want);
            /* leap bits do not matter */
            b[0] |= 0xc0;
            assert_int_equal(nk_sntp_filter_request(b, 48, &req), want);
        }
    }
    b[0] = 0x23;
    for (size_t n = 0; n < 48; n++)
        assert_int_equal(nk_sntp_filter_request(b, n, &req),
                         NK_SNTP_DROP_SHORT);
    assert_int_equal(nk_sntp_filter_request(b, 64, &req), NK_SNTP_ANSWER);
}

static void
test_reply_fields(void **state)
{
    struct nk_sntp_server_cfg cfg = {0, 10, -25, 0x4c4f434c, 0, 1, 0};
    struct nk_sntp_pkt req, rep;
    uint8_t b[NK_SNTP_LEN], out[NK_SNTP_LEN];

    (void)state;
    memset(b, 0, sizeof b);
    b[0] = 0x1b; /* the recipe's request: version 3 */
    b[2] = 6;    /* poll 64 s */
    nk_sntp_set_xmit(b, COOKIE);
    assert_int_equal(nk_sntp_filter_request(b, sizeof b, &req),
                     NK_SNTP_ANSWER);
    cfg.ref_ts = ts(999);
    nk_sntp_build_reply(&req, &cfg, ts(1000), ts(1000.5), out);
    assert_int_equal(nk_sntp_decode(out, sizeof out, &rep), 0);
    assert_int_equal(rep.leap, 0);
    assert_int_equal(rep.version, 3);
    assert_int_equal(rep.mode, 4);
    assert_int_equal(rep.stratum, 10);
    assert_int_equal(rep.poll, 6);
    assert_int_equal(rep.precision, -25);
    assert_true(rep.refid == 0x4c4f434c);
    assert_true(rep.root_dispersion == 1);
    assert_true(rep.ref_ts == ts(999));
    assert_true(rep.orig_ts == COOKIE);
    assert_true(rep.recv_ts == ts(1000));
    assert_true(rep.xmit_ts == ts(1000.5));
    /* what the client makes of it */
    assert_int_equal(nk_sntp_validate(out, sizeof out, COOKIE, &rep),
                     NK_SNTP_OK);
    cfg.leap = 3;
    nk_sntp_build_reply(&req, &cfg, ts(1000), ts(1000.5), out);
    assert_int_equal(nk_sntp_validate(out, sizeof out, COOKIE, &rep),
                     NK_SNTP_UNSYNC);

    nk_sntp_build_kod(&req, "RATE", out);
    assert_int_equal(nk_sntp_decode(out, sizeof out, &rep), 0);
    assert_int_equal(rep.stratum, 0);
    assert_int_equal(rep.leap, 3);
    assert_int_equal(rep.mode, 4);
    assert_true(rep.refid == 0x52415445);
    assert_true(rep.orig_ts == COOKIE && rep.xmit_ts == COOKIE &&
                rep.recv_ts == COOKIE);
    assert_int_equal(nk_sntp_validate(out, sizeof out, COOKIE, &rep),
                     NK_SNTP_KOD);
}

static void
test_rate_table(void **state)
{
    struct nk_sntp_rate_slot slots[8];
    struct nk_sntp_rate r;
    uint8_t k[NK_SNTP_RATE_KEY];

    (void)state;
    nk_sntp_rate_init(&r, slots, 8, 3);
    memset(k, 0, sizeof k);
    k[0] = 2;
    k[4] = 7;
    for (int i = 0; i < 3; i++)
        assert_true(nk_sntp_rate_allow(&r, k, 1000));
    assert_false(nk_sntp_rate_allow(&r, k, 1500));
    assert_true(nk_sntp_rate_allow(&r, k, 2000)); /* a new window */
    /* a storm of distinct addresses: memory stays 8 slots, old ones go */
    for (uint32_t i = 0; i < 10000; i++) {
        uint8_t o[NK_SNTP_RATE_KEY] = {10};
        o[4] = (uint8_t)i;
        o[5] = (uint8_t)(i >> 8);
        assert_true(nk_sntp_rate_allow(&r, o, 3000 + i));
    }
    assert_true(r.evicted > 9000);
    assert_int_equal(r.nslots, 8);
    /* limit 0: everything allowed */
    nk_sntp_rate_init(&r, slots, 8, 0);
    for (int i = 0; i < 100; i++)
        assert_true(nk_sntp_rate_allow(&r, k, 0));
}

/* --- the command, in-process, offline */

static void
test_cmd_usage(void **state)
{
    static char *cases[][4] = {
        {"netkit", "sntp", "--count", "0"},
        {"netkit", "sntp", "--raw", "--json"},
        {"netkit", "sntp", "--port", "0"},
        {"netkit", "sntp", "--bogus", NULL},
    };
    int rc;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int argc = cases[i][3] ? 4 : 3;
        nk_test_capture(cases[i], argc, &rc, NULL);
        assert_int_equal(rc, NK_EX_USAGE);
    }
    char *help[] = {"netkit", "sntp", "--help"};
    char *out = nk_test_capture(help, 3, &rc, NULL);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "usage: netkit sntp"));
    char *shelp[] = {"netkit", "sntp", "serve", "--help"};
    out = nk_test_capture(shelp, 4, &rc, NULL);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "usage: netkit sntp serve"));
    char *bad[] = {"netkit", "sntp", "serve", "--stratum", "0"};
    nk_test_capture(bad, 5, &rc, NULL);
    assert_int_equal(rc, NK_EX_USAGE);
    assert_non_null(strstr(nk_test_captured_err(), "netkit sntp serve:"));
}

static void
test_cmd_unknown_host(void **state)
{
    char *argv[] = {"netkit", "--json", "sntp", "nosuch.invalid"};
    int rc;
    char *out;

    (void)state;
    out = nk_test_capture(argv, 4, &rc, NULL);
    assert_int_equal(rc, NK_EX_NOHOST);
    assert_non_null(strstr(out, "\"server\": \"nosuch.invalid\""));
    assert_non_null(strstr(out, "\"error\":"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_bytes),
        cmocka_unit_test(test_request_is_v4_client),
        cmocka_unit_test(test_epoch_offset),
        cmocka_unit_test(test_era_round_trips),
        cmocka_unit_test(test_era_boundary),
        cmocka_unit_test(test_fractions),
        cmocka_unit_test(test_offset_delay),
        cmocka_unit_test(test_short_and_log2),
        cmocka_unit_test(test_validate_table),
        cmocka_unit_test(test_named_checks),
        cmocka_unit_test(test_check_source),
        cmocka_unit_test(test_kod_codes),
        cmocka_unit_test(test_refid_text),
        cmocka_unit_test(test_filter_modes_versions),
        cmocka_unit_test(test_reply_fields),
        cmocka_unit_test(test_rate_table),
        cmocka_unit_test(test_cmd_usage),
        cmocka_unit_test(test_cmd_unknown_host),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
