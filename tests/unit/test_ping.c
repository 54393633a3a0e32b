/* ping: the ICMP packet code (checksum, echo request, reply and error
 * parsing for IPv4 and IPv6, the payload check, sequence unwrapping) and
 * the command run in-process for its usage paths (no network: unknown
 * hosts under .invalid only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "capture.h"
#include "netkit/exitcodes.h"
#include "netkit/icmp_proto.h"

/* RFC 1071 section 3's worked example: the sum of 0001 f203 f4f5 f6f7
 * is ddf2, so the checksum is its complement 220d. */
static void
test_checksum_rfc1071(void **state)
{
    static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03,
                                0xf4, 0xf5, 0xf6, 0xf7};
    static const uint8_t odd[] = {0x01, 0x02, 0x03};
    static const uint8_t carry[] = {0xff, 0xff, 0x00, 0x01};

    (void)state;
    assert_int_equal(nk_icmp_checksum(b, sizeof b), 0x220d);
    /* An odd last byte is the high byte of a zero-padded word. */
    assert_int_equal(nk_icmp_checksum(odd, sizeof odd), (uint16_t)~0x0402);
    /* The end-around carry: ffff + 0001 = 1 0000 -> 0001. */
    assert_int_equal(nk_icmp_checksum(carry, sizeof carry), 0xfffe);
    assert_int_equal(nk_icmp_checksum(NULL, 0), 0xffff);
}

static void
test_build_v4(void **state)
{
    uint8_t b[64];
    size_t n;

    (void)state;
    n = nk_icmp_echo_build(b, sizeof b, 0, 0x1234, 0xabcd,
                           0x0102030405060708ull, 0x1112131415161718ull, 40);
    assert_int_equal(n, 48);
    assert_int_equal(b[0], 8);
    assert_int_equal(b[1], 0);
    assert_int_equal(b[4], 0x12);
    assert_int_equal(b[5], 0x34);
    assert_int_equal(b[6], 0xab);
    assert_int_equal(b[7], 0xcd);
    assert_int_equal(b[8], 0x01); /* the stamp, big-endian */
    assert_int_equal(b[15], 0x08);
    assert_int_equal(b[16], 0x11); /* the nonce */
    assert_int_equal(b[23], 0x18);
    assert_int_equal(b[24], 16); /* the pattern: data byte i is i */
    assert_int_equal(b[47], 39);
    /* The checksum makes the whole message sum to zero. */
    assert_int_not_equal(b[2] | b[3], 0);
    assert_int_equal(nk_icmp_checksum(b, n), 0);
    /* Too small for the stamp, or no room. */
    assert_int_equal(nk_icmp_echo_build(b, sizeof b, 0, 1, 1, 0, 0, 15), 0);
    assert_int_equal(nk_icmp_echo_build(b, sizeof b, 0, 1, 1, 0, 0, 57), 0);
    assert_int_equal(nk_icmp_echo_build(b, sizeof b, 0, 1, 1, 0, 0, 56), 64);
}

static void
test_build_v6(void **state)
{
    uint8_t b[32];

    (void)state;
    assert_int_equal(nk_icmp_echo_build(b, sizeof b, 1, 7, 9, 1, 2, 16), 24);
    assert_int_equal(b[0], 128);
    /* The kernel fills in ICMPv6's checksum (pseudo-header). */
    assert_int_equal(b[2], 0);
    assert_int_equal(b[3], 0);
}

/* A reply as the peer would send it: the request turned into a reply
 * (type changed, checksum redone). */
static size_t
make_reply(uint8_t *b, size_t cap, int v6, uint16_t id, uint16_t seq,
           uint64_t stamp, uint64_t nonce, size_t size)
{
    size_t n = nk_icmp_echo_build(b, cap, v6, id, seq, stamp, nonce, size);

    b[0] = v6 ? 129 : 0;
    b[2] = b[3] = 0;
    if (!v6) {
        uint16_t c = nk_icmp_checksum(b, n);
        b[2] = (uint8_t)(c >> 8);
        b[3] = (uint8_t)c;
    }
    return n;
}

/* An IPv4 header of 20 bytes (or 24 with an option) before body. */
static size_t
with_ip4(uint8_t *out, const uint8_t *body, size_t n, uint8_t ttl, int opt)
{
    size_t hl = opt ? 24 : 20;

    memset(out, 0, hl);
    out[0] = (uint8_t)(0x40 | hl / 4);
    out[8] = ttl;
    out[9] = 1; /* ICMP */
    memcpy(out + hl, body, n);
    return hl + n;
}

static void
test_parse_reply_v4(void **state)
{
    uint8_t r[80], p[120];
    struct nk_icmp_msg m;
    uint64_t sent = 0;
    size_t n = make_reply(r, sizeof r, 0, 0xbeef, 3, 123456789, 42, 56);
    size_t pn;

    (void)state;
    assert_int_equal(nk_icmp_parse(r, n, 0, 0, &m), NK_ICMP_ECHO_REPLY);
    assert_int_equal(m.id, 0xbeef);
    assert_int_equal(m.seq, 3);
    assert_int_equal(m.ttl, -1);
    assert_int_equal(m.data_len, 56);
    assert_int_equal(nk_ping_data_check(m.data, m.data_len, 56, 42, &sent), 0);
    assert_int_equal(sent, 123456789);
    /* From a raw socket, behind its IP header (with an option too). */
    for (int opt = 0; opt < 2; opt++) {
        pn = with_ip4(p, r, n, 61, opt);
        assert_int_equal(nk_icmp_parse(p, pn, 0, 1, &m), NK_ICMP_ECHO_REPLY);
        assert_int_equal(m.ttl, 61);
        assert_int_equal(m.seq, 3);
        assert_int_equal(m.icmp_len, n);
    }
    /* A flipped bit fails the checksum. */
    r[30] ^= 1;
    assert_int_equal(nk_icmp_parse(r, n, 0, 0, &m), NK_ICMP_MALFORMED);
    r[30] ^= 1;
    /* Short, or an IP header that is not one. */
    assert_int_equal(nk_icmp_parse(r, 7, 0, 0, &m), NK_ICMP_MALFORMED);
    pn = with_ip4(p, r, n, 64, 0);
    p[0] = 0x44; /* IHL 4 words: less than the minimum */
    assert_int_equal(nk_icmp_parse(p, pn, 0, 1, &m), NK_ICMP_MALFORMED);
    p[0] = 0x4f; /* 60 bytes: more than there is before the data ends */
    assert_int_equal(nk_icmp_parse(p, 40, 0, 1, &m), NK_ICMP_MALFORMED);
    p[0] = 0x45;
    p[9] = 17; /* UDP, not ICMP */
    assert_int_equal(nk_icmp_parse(p, pn, 0, 1, &m), NK_ICMP_MALFORMED);
    /* Our own request seen on a raw socket is not a reply. */
    n = nk_icmp_echo_build(r, sizeof r, 0, 1, 1, 0, 0, 16);
    assert_int_equal(nk_icmp_parse(r, n, 0, 0, &m), NK_ICMP_OTHER);
}

static void
test_parse_reply_v6(void **state)
{
    uint8_t r[80];
    struct nk_icmp_msg m;
    size_t n = make_reply(r, sizeof r, 1, 77, 65535, 5, 6, 16);

    (void)state;
    assert_int_equal(nk_icmp_parse(r, n, 1, 0, &m), NK_ICMP_ECHO_REPLY);
    assert_int_equal(m.id, 77);
    assert_int_equal(m.seq, 65535);
    /* A v4 reply type means nothing on ICMPv6; 128 is a request. */
    r[0] = 0;
    assert_int_equal(nk_icmp_parse(r, n, 1, 0, &m), NK_ICMP_OTHER);
    r[0] = 128;
    assert_int_equal(nk_icmp_parse(r, n, 1, 0, &m), NK_ICMP_OTHER);
}

/* An error message quoting our request: type, code, unused 4 bytes, then
 * the original IP header and ICMP header. */
static size_t
make_error4(uint8_t *b, uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
    uint8_t req[24];
    size_t rn = nk_icmp_echo_build(req, sizeof req, 0, id, seq, 1, 2, 16);
    uint16_t c;

    memset(b, 0, 8);
    b[0] = type;
    b[1] = code;
    rn = with_ip4(b + 8, req, rn, 1, 0);
    c = nk_icmp_checksum(b, 8 + rn);
    b[2] = (uint8_t)(c >> 8);
    b[3] = (uint8_t)c;
    return 8 + rn;
}

static void
test_parse_error_v4(void **state)
{
    uint8_t e[80], p[120];
    struct nk_icmp_msg m;
    size_t n = make_error4(e, 11, 0, 0x4242, 17), pn;

    (void)state;
    pn = with_ip4(p, e, n, 255, 0);
    assert_int_equal(nk_icmp_parse(p, pn, 0, 1, &m), NK_ICMP_ERROR);
    assert_int_equal(m.type, 11);
    assert_true(m.has_orig);
    assert_int_equal(m.id, 0x4242);
    assert_int_equal(m.seq, 17);
    assert_string_equal(nk_icmp_error_text(0, m.type, m.code),
                        "time to live exceeded");
    n = make_error4(e, 3, 3, 1, 2);
    assert_int_equal(nk_icmp_parse(e, n, 0, 0, &m), NK_ICMP_ERROR);
    assert_string_equal(nk_icmp_error_text(0, m.type, m.code),
                        "destination unreachable: port unreachable");
    /* Quoting too little of the original: an error, without the ids. */
    n = make_error4(e, 3, 1, 1, 2);
    e[8 + 20 + 4] = 0; /* cut: fix up the checksum over fewer bytes */
    e[2] = e[3] = 0;
    {
        uint16_t c = nk_icmp_checksum(e, 8 + 20 + 4);
        e[2] = (uint8_t)(c >> 8);
        e[3] = (uint8_t)c;
    }
    assert_int_equal(nk_icmp_parse(e, 8 + 20 + 4, 0, 0, &m), NK_ICMP_ERROR);
    assert_false(m.has_orig);
    /* Quoting a reply (not a request of ours) gives no ids either. */
    n = make_error4(e, 3, 1, 1, 2);
    e[28] = 0;
    e[2] = e[3] = 0;
    {
        uint16_t c = nk_icmp_checksum(e, n);
        e[2] = (uint8_t)(c >> 8);
        e[3] = (uint8_t)c;
    }
    assert_int_equal(nk_icmp_parse(e, n, 0, 0, &m), NK_ICMP_ERROR);
    assert_false(m.has_orig);
}

static void
test_parse_error_v6(void **state)
{
    uint8_t e[8 + 40 + 24];
    struct nk_icmp_msg m;

    (void)state;
    memset(e, 0, sizeof e);
    e[0] = 1; /* destination unreachable */
    e[1] = 4; /* port unreachable */
    e[8] = 0x60;
    e[8 + 6] = 58; /* next header ICMPv6 */
    assert_int_equal(
        nk_icmp_echo_build(e + 48, 24, 1, 0x0102, 0x0304, 0, 0, 16), 24);
    assert_int_equal(nk_icmp_parse(e, sizeof e, 1, 0, &m), NK_ICMP_ERROR);
    assert_true(m.has_orig);
    assert_int_equal(m.id, 0x0102);
    assert_int_equal(m.seq, 0x0304);
    assert_string_equal(nk_icmp_error_text(1, m.type, m.code),
                        "destination unreachable: port unreachable");
    e[8 + 6] = 17; /* quoting a UDP datagram */
    assert_int_equal(nk_icmp_parse(e, sizeof e, 1, 0, &m), NK_ICMP_ERROR);
    assert_false(m.has_orig);
    e[0] = 3;
    assert_string_equal(nk_icmp_error_text(1, e[0], 0), "hop limit exceeded");
    /* What a datagram socket's error queue returns: the request itself. */
    {
        uint16_t id = 0, seq = 0;
        assert_int_equal(nk_icmp_orig_echo(e + 48, 24, 1, &id, &seq), 0);
        assert_int_equal(id, 0x0102);
        assert_int_equal(seq, 0x0304);
        assert_int_equal(nk_icmp_orig_echo(e + 48, 24, 0, &id, &seq), -1);
        assert_int_equal(nk_icmp_orig_echo(e + 48, 7, 1, &id, &seq), -1);
    }
}

static void
test_data_check(void **state)
{
    uint8_t r[80];
    uint64_t sent = 0;
    size_t n = make_reply(r, sizeof r, 0, 1, 1, 99, 0xfeed, 40);
    const uint8_t *d = r + 8;

    (void)state;
    assert_int_equal(nk_ping_data_check(d, n - 8, 40, 0xfeed, &sent), 0);
    assert_int_equal(sent, 99);
    /* Another run's nonce: not ours at all. */
    assert_int_equal(nk_ping_data_check(d, n - 8, 40, 0xfeee, &sent), -1);
    assert_int_equal(nk_ping_data_check(d, 15, 40, 0xfeed, &sent), -1);
    /* Ours but cut short, or a pattern byte altered. */
    assert_int_equal(nk_ping_data_check(d, n - 9, 40, 0xfeed, &sent), 1);
    r[8 + 39] ^= 0x80;
    assert_int_equal(nk_ping_data_check(d, n - 8, 40, 0xfeed, &sent), 1);
}

static void
test_seq_unwrap(void **state)
{
    (void)state;
    assert_int_equal(nk_ping_seq_unwrap(1, 0), 0);
    assert_int_equal(nk_ping_seq_unwrap(10, 9), 9);
    assert_int_equal(nk_ping_seq_unwrap(10, 3), 3);
    /* Past the 16-bit wrap: wire 65535 just before 65536 + 2. */
    assert_int_equal(nk_ping_seq_unwrap(65538, 65535), 65535);
    assert_int_equal(nk_ping_seq_unwrap(65538, 1), 65537);
    assert_int_equal(nk_ping_seq_unwrap(65538, 2), 2);
    assert_int_equal(nk_ping_seq_unwrap(200000, (uint16_t)199999), 199999);
}

static void
test_window(void **state)
{
    struct nk_ping_win w;
    int64_t rtt = 0, t = 0;
    uint32_t seq = 99;

    (void)state;
    assert_int_equal(nk_ping_win_init(&w, 8), 0);
    assert_int_equal(nk_ping_win_send(&w, 1000), 0);
    assert_int_equal(nk_ping_win_send(&w, 2000), 1);
    assert_int_equal(nk_ping_win_send(&w, 3000), 2);
    assert_int_equal(nk_ping_win_outstanding(&w, &t), 3);
    assert_int_equal(t, 1000);
    assert_int_equal(nk_ping_win_sent_at(&w, 1, &t), 0);
    assert_int_equal(t, 2000);
    /* A reply in time. */
    assert_int_equal(nk_ping_win_reply(&w, 1, 2500, &rtt), NK_PING_NEW);
    assert_int_equal(rtt, 500);
    /* Its copy is a duplicate, not a second reply. */
    assert_int_equal(nk_ping_win_reply(&w, 1, 2600, &rtt), NK_PING_DUP);
    /* Timeouts come oldest first, one at a time, only when due. */
    assert_int_equal(nk_ping_win_expire(&w, 1999, 1000, &seq), 0);
    assert_int_equal(nk_ping_win_expire(&w, 2000, 1000, &seq), 1);
    assert_int_equal(seq, 0);
    assert_int_equal(nk_ping_win_expire(&w, 2000, 1000, &seq), 0);
    assert_int_equal(nk_ping_win_outstanding(&w, &t), 1);
    assert_int_equal(t, 3000);
    /* A reply after its timeout is late, with its true round trip, and
     * counted once: the next copy is a duplicate. */
    assert_int_equal(nk_ping_win_reply(&w, 0, 5000, &rtt), NK_PING_LATE);
    assert_int_equal(rtt, 4000);
    assert_int_equal(nk_ping_win_reply(&w, 0, 5001, &rtt), NK_PING_DUP);
    /* An ICMP error settles a probe: no timeout follows. */
    assert_int_equal(nk_ping_win_error(&w, 2), 0);
    assert_int_equal(nk_ping_win_error(&w, 2), -1);
    assert_int_equal(nk_ping_win_expire(&w, 99999, 1000, &seq), 0);
    assert_int_equal(nk_ping_win_reply(&w, 2, 6000, &rtt),
                     NK_PING_AFTER_ERROR);
    assert_int_equal(nk_ping_win_outstanding(&w, NULL), 0);
    /* Never sent, or older than the ring. */
    assert_int_equal(nk_ping_win_reply(&w, 3, 6000, &rtt), NK_PING_STALE);
    assert_int_equal(nk_ping_win_reply(&w, UINT32_MAX, 6000, &rtt),
                     NK_PING_STALE);
    for (int i = 0; i < 8; i++)
        nk_ping_win_send(&w, 7000 + i);
    assert_int_equal(nk_ping_win_sent_at(&w, 2, &t), -1);
    assert_int_equal(nk_ping_win_reply(&w, 2, 8000, &rtt), NK_PING_STALE);
    assert_int_equal(nk_ping_win_sent_at(&w, 3, &t), 0);
    assert_int_equal(t, 7000);
    nk_ping_win_free(&w);
}

/* --- the command, in-process */

static void
test_cmd_usage(void **state)
{
    static const char *const bad[][8] = {
        {"netkit", "ping", NULL},
        {"netkit", "ping", "127.0.0.1", "::1", NULL},
        {"netkit", "ping", "--count", "0", "127.0.0.1", NULL},
        {"netkit", "ping", "--size", "15", "127.0.0.1", NULL},
        {"netkit", "ping", "--ttl", "256", "127.0.0.1", NULL},
        {"netkit", "ping", "--ttl", "0", "127.0.0.1", NULL},
        {"netkit", "ping", "--interval", "0", "127.0.0.1", NULL},
        {"netkit", "ping", "--tcp", "0", "127.0.0.1", NULL},
        {"netkit", "ping", "--tcp", "80", "--udp", "53", "127.0.0.1", NULL},
        {"netkit", "ping", "--udp", "53", "--size", "100", "127.0.0.1", NULL},
        {"netkit", "ping", "--socket", "tcp", "127.0.0.1", NULL},
        {"netkit", "ping", "--nosuch", "127.0.0.1", NULL},
        {"netkit", "ping", "--json", "--json-lines", "127.0.0.1", NULL},
        {"netkit", "ping", "--lesson", "--json", "127.0.0.1", NULL},
        {"netkit", "ping", "--tcp", "80", "--socket", "raw", "127.0.0.1",
         NULL},
    };
    int rc;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[8]; /* nk_main may rearrange its argv: a copy */
        int argc = 0;
        while (bad[i][argc] != NULL) {
            argv[argc] = (char *)bad[i][argc];
            argc++;
        }
        argv[argc] = NULL;
        nk_test_capture(argv, argc, &rc, NULL);
        if (rc != NK_EX_USAGE)
            fail_msg("case %zu (%s): status %d", i, bad[i][2], rc);
        assert_non_null(strstr(nk_test_captured_err(), "netkit ping:"));
    }
    char *help[] = {"netkit", "ping", "--help"};
    char *out = nk_test_capture(help, 3, &rc, NULL);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "usage: netkit ping"));
}

static void
test_cmd_unknown_host(void **state)
{
    char *argv[] = {"netkit", "ping", "--count", "1", "nosuch.invalid"};
    int rc;

    (void)state;
    nk_test_capture(argv, 5, &rc, NULL);
    assert_int_equal(rc, NK_EX_NOHOST);
    assert_non_null(strstr(nk_test_captured_err(), "nosuch.invalid"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum_rfc1071),
        cmocka_unit_test(test_build_v4),
        cmocka_unit_test(test_build_v6),
        cmocka_unit_test(test_parse_reply_v4),
        cmocka_unit_test(test_parse_reply_v6),
        cmocka_unit_test(test_parse_error_v4),
        cmocka_unit_test(test_parse_error_v6),
        cmocka_unit_test(test_data_check),
        cmocka_unit_test(test_seq_unwrap),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_cmd_usage),
        cmocka_unit_test(test_cmd_unknown_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
