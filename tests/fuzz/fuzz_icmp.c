/* libFuzzer: the ICMP reply and error parser on arbitrary bytes, and the
 * payload check and sequence unwrapping on arbitrary values. The input's
 * first byte chooses the family (bit 0: IPv6) and whether an IPv4 header
 * comes first (bit 1: a raw IPv4 socket's view); the packet follows.
 * Invariants: nothing is read outside the input; a reply's data lies
 * inside it and its length adds up; an IPv4 message accepted as a reply
 * or an error carries a valid checksum; an echo request built from the
 * input's numbers, turned into a reply, parses back to the same numbers
 * and passes the payload check; unwrapping gives back the wire value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/icmp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                          \
        }                                                                     \
    } while (0)

static uint64_t
get64(const uint8_t *b)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

static void
check_parse(const uint8_t *pkt, size_t n, int v6, int iph)
{
    /* A copy of exactly n bytes, so ASan sees any read past the end. */
    uint8_t *b = malloc(n ? n : 1);
    struct nk_icmp_msg m;
    enum nk_icmp_kind k;

    if (b == NULL)
        return;
    memcpy(b, pkt, n);
    k = nk_icmp_parse(b, n, v6, iph, &m);
    CHECK(k == m.kind);
    if (k != NK_ICMP_MALFORMED) {
        const uint8_t *icmp = b + (n - m.icmp_len);
        CHECK(m.icmp_len >= NK_ICMP_HDR && m.icmp_len <= n);
        CHECK(icmp[0] == m.type && icmp[1] == m.code);
        if (!v6)
            CHECK(nk_icmp_checksum(icmp, m.icmp_len) == 0);
        CHECK((m.ttl >= 0) == (iph && !v6));
    }
    if (k == NK_ICMP_ECHO_REPLY) {
        uint64_t sent;
        CHECK(m.type == (v6 ? NK_ICMP6_ECHO_REPLY : NK_ICMP4_ECHO_REPLY));
        CHECK(m.data == b + n - m.data_len);
        CHECK(m.data_len + NK_ICMP_HDR == m.icmp_len);
        (void)nk_ping_data_check(m.data, m.data_len, m.data_len, 0, &sent);
    }
    if (k == NK_ICMP_ERROR && m.has_orig)
        /* The ids came from a quoted IP header and echo request. */
        CHECK(m.icmp_len >= NK_ICMP_HDR + (v6 ? 40 : 20) + NK_ICMP_HDR);
    free(b);
}

static void
check_roundtrip(const uint8_t *in, size_t n, int v6)
{
    uint8_t req[NK_ICMP_HDR + 64], *d;
    uint16_t id, seq;
    uint64_t stamp, nonce, got = 0;
    size_t size, len;
    struct nk_icmp_msg m;

    if (n < 21)
        return;
    id = (uint16_t)(in[0] << 8 | in[1]);
    seq = (uint16_t)(in[2] << 8 | in[3]);
    stamp = get64(in + 4);
    nonce = get64(in + 12);
    size = NK_PING_STAMP + in[20] % (64 - NK_PING_STAMP + 1);
    len = nk_icmp_echo_build(req, sizeof req, v6, id, seq, stamp, nonce, size);
    CHECK(len == NK_ICMP_HDR + size);
    if (!v6)
        CHECK(nk_icmp_checksum(req, len) == 0);
    CHECK(nk_icmp_parse(req, len, v6, 0, &m) == NK_ICMP_OTHER);
    /* The peer's reply: the type changed, the checksum redone. */
    req[0] = v6 ? NK_ICMP6_ECHO_REPLY : NK_ICMP4_ECHO_REPLY;
    req[2] = req[3] = 0;
    if (!v6) {
        uint16_t c = nk_icmp_checksum(req, len);
        req[2] = (uint8_t)(c >> 8);
        req[3] = (uint8_t)c;
    }
    CHECK(nk_icmp_parse(req, len, v6, 0, &m) == NK_ICMP_ECHO_REPLY);
    CHECK(m.id == id && m.seq == seq && m.data_len == size);
    CHECK(nk_ping_data_check(m.data, m.data_len, size, nonce, &got) == 0);
    CHECK(got == stamp);
    CHECK(nk_ping_data_check(m.data, m.data_len, size, nonce ^ 1, &got) == -1);
    d = req + NK_ICMP_HDR;
    if (size > NK_PING_STAMP) {
        d[size - 1] ^= 0x01;
        CHECK(nk_ping_data_check(d, size, size, nonce, &got) == 1);
    }
}

static void
check_unwrap(const uint8_t *in, size_t n)
{
    uint32_t next, v;
    uint16_t wire;

    if (n < 6)
        return;
    next = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
           (uint32_t)in[2] << 8 | in[3];
    wire = (uint16_t)(in[4] << 8 | in[5]);
    v = nk_ping_seq_unwrap(next, wire);
    CHECK((uint16_t)v == wire);
    CHECK(next - v >= 1 && next - v <= 65536);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int v6, iph;

    if (size < 1)
        return 0;
    v6 = data[0] & 1;
    iph = (data[0] >> 1) & 1;
    check_parse(data + 1, size - 1, v6, iph);
    check_roundtrip(data + 1, size - 1, v6);
    check_unwrap(data + 1, size - 1);
    return 0;
}
