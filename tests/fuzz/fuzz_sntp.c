/* libFuzzer: the SNTP decoder, the client's validator and the server's
 * request filter on arbitrary bytes, and the timestamp conversions on
 * arbitrary values. Invariants: decode/encode round-trips byte for byte;
 * the validator's verdict agrees with the named checks; the server answers
 * only mode 3, versions 1-4, >= 48 bytes, with exactly 48 bytes that pass
 * the client's own checks; timestamps round-trip within their era. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/sntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
get64(const uint8_t *b)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

static void
check_packet(const uint8_t *data, size_t size)
{
    struct nk_sntp_pkt p, req;
    uint8_t back[NK_SNTP_LEN], reply[NK_SNTP_LEN];
    uint64_t cookie = size >= 32 ? get64(data + 24) : 0;
    enum nk_sntp_verdict v = nk_sntp_validate(data, size, cookie, &p);
    char buf[16], code[5];

    if ((size < NK_SNTP_LEN) != (v == NK_SNTP_SHORT))
        abort();
    if (size >= NK_SNTP_LEN) {
        nk_sntp_encode(&p, back);
        if (memcmp(back, data, NK_SNTP_LEN) != 0)
            abort();
        if (v == NK_SNTP_OK &&
            (!nk_sntp_check_mode(&p) || !nk_sntp_check_version(&p) ||
             !nk_sntp_check_origin(&p, cookie) || !nk_sntp_check_xmit(&p) ||
             nk_sntp_is_kod(&p) || nk_sntp_is_unsync(&p)))
            abort();
        if (v == NK_SNTP_KOD && !nk_sntp_check_origin(&p, cookie))
            abort();
        nk_sntp_refid_str(&p, buf, sizeof buf);
        nk_sntp_kod_code(&p, code);
        if (strlen(buf) >= sizeof buf || strlen(code) > 4)
            abort();
        (void)nk_sntp_kod_meaning(code);
    }
    if (nk_sntp_filter_request(data, size, &req) != NK_SNTP_ANSWER)
        return;
    if (size < NK_SNTP_LEN || req.mode != 3 || req.version < 1 ||
        req.version > 4)
        abort();
    struct nk_sntp_server_cfg cfg = {0, 10, -20, 0x4c4f434cu, 0, 1, 0};
    nk_sntp_build_reply(&req, &cfg, 1, 2, reply);
    if (nk_sntp_validate(reply, sizeof reply, req.xmit_ts, &p) != NK_SNTP_OK)
        abort();
    nk_sntp_build_kod(&req, "RATE", reply);
    if (nk_sntp_validate(reply, sizeof reply, req.xmit_ts, &p) != NK_SNTP_KOD)
        abort();
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
    check_packet(data, size);
    check_times(data, size);
    return 0;
}
