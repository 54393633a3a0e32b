/* libFuzzer: the echo probe format and the sequence window (probe.h).
 * Input: 8 bytes of nonce, 4 of sequence number, then a reply's bytes.
 * Invariants: a probe the code fills passes its own check and parses back
 * to its sequence number; a reply the checker accepts is byte for byte the
 * probe it names; the parser accepts only the magic and the nonce. The
 * same bytes then drive the sequence window as a script of sends, replies
 * and expiries, and its counters must stay consistent after every step. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                          \
        }                                                                     \
    } while (0)

static uint64_t
get_be(const uint8_t *b, int n)
{
    uint64_t v = 0;

    for (int i = 0; i < n; i++)
        v = v << 8 | b[i];
    return v;
}

static void
fuzz_format(uint64_t nonce, uint32_t seq, const uint8_t *reply, size_t len)
{
    uint8_t *mine = malloc(len + 1);
    uint32_t got;

    CHECK(mine != NULL);
    nk_probe_fill(mine, len, seq, nonce);
    CHECK(nk_probe_check(mine, len, len, seq, nonce));
    if (len >= NK_PROBE_HDR) {
        CHECK(nk_probe_parse(mine, len, nonce, &got) == 0 && got == seq);
        CHECK(nk_probe_parse(mine, len, nonce ^ 1, &got) == -1);
    }
    if (nk_probe_check(reply, len, len, seq, nonce))
        CHECK(memcmp(reply, mine, len) == 0);
    if (nk_probe_parse(reply, len, nonce, &got) == 0)
        CHECK(len >= NK_PROBE_HDR && memcmp(reply, "NKUE", 4) == 0 &&
              get_be(reply + 8, 8) == nonce &&
              got == (uint32_t)get_be(reply + 4, 4));
    free(mine);
}

/* Each byte is one step: bits 0-1 the action, the rest its argument. */
static void
fuzz_window(const uint8_t *ops, size_t n)
{
    struct nk_seqwin w;
    int64_t now = 0, rtt;

    if (nk_seqwin_init(&w, 1 + (n > 0 ? ops[0] % 16 : 0), NULL) < 0)
        return;
    for (size_t i = 1; i < n; i++) {
        uint32_t arg = ops[i] >> 2;

        now += arg;
        switch (ops[i] & 3) {
        case 0:
        case 1:
            CHECK(nk_seqwin_send(&w, now) == w.next - 1);
            break;
        case 2: {
            uint32_t seq = w.next - 1 - (arg & 31);
            enum nk_seq_result r = nk_seqwin_reply(&w, seq, now, &rtt);
            if (r == NK_SEQ_NEW || r == NK_SEQ_LATE)
                CHECK(rtt >= 0);
            break;
        }
        default:
            (void)nk_seqwin_expire(&w, now, arg);
        }
        CHECK(w.inflight <= w.size);
        CHECK(w.received <= w.sent);
        CHECK(w.late <= w.received);
        CHECK(w.inflight <= w.sent - w.received);
        CHECK(nk_seqwin_lost(&w) == w.sent - w.received);
        CHECK(nk_probe_loss_pct(w.sent, w.received) >= 0.0 &&
              nk_probe_loss_pct(w.sent, w.received) <= 100.0);
    }
    nk_seqwin_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 12)
        return 0;
    fuzz_format(get_be(data, 8), (uint32_t)get_be(data + 8, 4), data + 12,
                size - 12);
    fuzz_window(data + 12, size - 12);
    return 0;
}
