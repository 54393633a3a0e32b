/* libFuzzer: the SNTP decoder, the client's validator and the server's
 * request filter on arbitrary bytes, and the timestamp conversions on
 * arbitrary values. The input is the origin the client expects (its first
 * 8 bytes, the transmit timestamp it sent) and then a packet. Invariants:
 * decode/encode round-trips byte for byte; the validator's verdict equals
 * one computed here from the packet's raw bits (every check, in RFC 4330
 * order), and so does the server's filter; a request the server answers
 * gets exactly 48 bytes that pass the client's own checks; timestamps
 * round-trip within their era. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/sntp.h"

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

/* The client's verdict from the wire bytes alone (RFC 5905 figure 8: LI
 * in bits 7-6 of byte 0, VN 5-3, mode 2-0; stratum byte 1; origin bytes
 * 24-31; transmit 40-47), not from the decoder's fields. */
static enum nk_sntp_verdict
expected_verdict(const uint8_t *b, size_t n, uint64_t origin)
{
    unsigned leap, version, mode, stratum;

    if (n < NK_SNTP_LEN)
        return NK_SNTP_SHORT;
    leap = b[0] >> 6;
    version = (b[0] >> 3) & 7;
    mode = b[0] & 7;
    stratum = b[1];
    if (mode != 4)
        return NK_SNTP_BAD_MODE;
    if (version < 1 || version > 4)
        return NK_SNTP_BAD_VERSION;
    if (get64(b + 24) != origin)
        return NK_SNTP_BAD_ORIGIN;
    if (stratum == 0)
        return NK_SNTP_KOD;
    if (get64(b + 40) == 0)
        return NK_SNTP_NO_XMIT;
    if (leap == 3 || stratum >= 16)
        return NK_SNTP_UNSYNC;
    return NK_SNTP_OK;
}

static enum nk_sntp_filter
expected_filter(const uint8_t *b, size_t n)
{
    unsigned version;

    if (n < NK_SNTP_LEN)
        return NK_SNTP_DROP_SHORT;
    if ((b[0] & 7) != 3)
        return NK_SNTP_DROP_MODE;
    version = (b[0] >> 3) & 7;
    return version < 1 || version > 4 ? NK_SNTP_DROP_VERSION
                                      : NK_SNTP_ANSWER;
}

static void
check_packet(uint64_t origin, const uint8_t *pkt, size_t n)
{
    struct nk_sntp_pkt p, req;
    uint8_t back[NK_SNTP_LEN], reply[NK_SNTP_LEN];
    enum nk_sntp_verdict v = nk_sntp_validate(pkt, n, origin, &p);
    enum nk_sntp_filter f;
    char buf[16], code[5];

    CHECK(v == expected_verdict(pkt, n, origin));
    if (n >= NK_SNTP_LEN) {
        nk_sntp_encode(&p, back);
        CHECK(memcmp(back, pkt, NK_SNTP_LEN) == 0);
        CHECK(p.orig_ts == get64(pkt + 24) && p.xmit_ts == get64(pkt + 40));
        nk_sntp_refid_str(&p, buf, sizeof buf);
        nk_sntp_kod_code(&p, code);
        CHECK(strlen(buf) < sizeof buf && strlen(code) <= 4);
        (void)nk_sntp_kod_meaning(code);
    }
    f = nk_sntp_filter_request(pkt, n, &req);
    CHECK(f == expected_filter(pkt, n));
    if (f != NK_SNTP_ANSWER)
        return;
    struct nk_sntp_server_cfg cfg = {0, 10, -20, 0x4c4f434cu, 0, 1, 0};
    nk_sntp_build_reply(&req, &cfg, 1, 2, reply);
    CHECK(nk_sntp_validate(reply, sizeof reply, get64(pkt + 40), &p) ==
          NK_SNTP_OK);
    /* a reply answers this request only: another origin is refused */
    CHECK(nk_sntp_validate(reply, sizeof reply, ~get64(pkt + 40), &p) ==
          NK_SNTP_BAD_ORIGIN);
    nk_sntp_build_kod(&req, "RATE", reply);
    CHECK(nk_sntp_validate(reply, sizeof reply, get64(pkt + 40), &p) ==
          NK_SNTP_KOD);
    CHECK(nk_sntp_validate(reply, sizeof reply, ~get64(pkt + 40), &p) ==
          NK_SNTP_BAD_ORIGIN);
}

static void
check_times(const uint8_t *data, size_t size)
{
    struct timespec ts, back;
    uint64_t n, raw;
    int64_t pivot;

    if (size < 16)
        return;
    raw = get64(data);
    pivot = (int64_t)get64(data + 8) % (1LL << 40); /* +-35000 years */
    /* any NTP value read near any pivot lies within 2^31 s of it */
    int64_t s = nk_ntp_era_seconds((uint32_t)(raw >> 32), pivot);
    if (s < pivot - 2147483648LL || s >= pivot + 2147483648LL)
        abort();
    /* Unix time -> NTP -> Unix time, the pivot within 68 years */
    ts.tv_sec = (time_t)pivot;
    ts.tv_nsec = (long)(raw % 1000000000u);
    n = nk_ntp_from_timespec(&ts);
    nk_ntp_to_timespec(n, pivot + (int64_t)(raw >> 33) % 2000000000LL, &back);
    if (back.tv_sec != ts.tv_sec || back.tv_nsec != ts.tv_nsec)
        abort();
    /* NTP -> timespec -> NTP is exact to the nanosecond */
    nk_ntp_to_timespec(raw, pivot, &back);
    if (back.tv_nsec < 0 || back.tv_nsec >= 1000000000)
        abort();
    uint64_t again = nk_ntp_from_timespec(&back);
    double d = nk_ntp_diff(again, raw);
    if (d > 1e-9 || d < -1e-9)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 8)
        check_packet(get64(data), data + 8, size - 8);
    check_times(data, size);
    return 0;
}
