/* The echo probe format and the sequence window (probe.h): pure code
 * shared by echo-udp's client and bench, fuzzed by tests/fuzz/fuzz_probe.c.
 * Wire fields are written byte by byte in network order. */
#include "netkit/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netkit/clock.h"

/* --- probes */

static const uint8_t probe_magic[4] = {'N', 'K', 'U', 'E'};

static void
put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t
get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;

    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

/* Pattern byte i of probe seq: changes with both, so a reply that swapped
 * bodies between probes or shifted bytes does not pass. */
static uint8_t
pattern(size_t i, uint32_t seq)
{
    return (uint8_t)((i * 31u + seq * 7u + 0x5a) & 0xff);
}

void
nk_probe_fill(uint8_t *buf, size_t len, uint32_t seq, uint64_t nonce)
{
    size_t i = 0;

    if (len >= NK_PROBE_HDR) {
        memcpy(buf, probe_magic, 4);
        put_be(buf + 4, seq, 4);
        put_be(buf + 8, nonce, 8);
        i = NK_PROBE_HDR;
    }
    for (; i < len; i++)
        buf[i] = pattern(i, seq);
}

int
nk_probe_parse(const uint8_t *buf, size_t len, uint64_t nonce, uint32_t *seq)
{
    if (len < NK_PROBE_HDR || memcmp(buf, probe_magic, 4) != 0 ||
        get_be(buf + 8, 8) != nonce)
        return -1;
    *seq = (uint32_t)get_be(buf + 4, 4);
    return 0;
}

int
nk_probe_check(const uint8_t *buf, size_t len, size_t want_len, uint32_t seq,
               uint64_t nonce)
{
    uint32_t got;

    if (len != want_len)
        return 0;
    if (len >= NK_PROBE_HDR &&
        (nk_probe_parse(buf, len, nonce, &got) < 0 || got != seq))
        return 0;
    for (size_t i = len >= NK_PROBE_HDR ? NK_PROBE_HDR : 0; i < len; i++)
        if (buf[i] != pattern(i, seq))
            return 0;
    return 1;
}

uint64_t
nk_probe_nonce(void)
{
    uint64_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        ssize_t r = read(fd, &v, sizeof v);
        close(fd);
        if (r == (ssize_t)sizeof v && v != 0)
            return v;
    }
    /* No urandom (a chroot): the clock and pid still differ per run. */
    v = (uint64_t)nk_now_us() * 6364136223846793005ull;
    return v ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
}

/* --- sequence bookkeeping */

enum { SLOT_OUT = 0, SLOT_ANSWERED = 1, SLOT_EXPIRED = 2 };

int
nk_seqwin_init(struct nk_seqwin *w, uint32_t size, struct nk_err *err)
{
    memset(w, 0, sizeof *w);
    if (size < 1)
        size = 1;
    w->sent_us = calloc(size, sizeof *w->sent_us);
    w->seq_at = calloc(size, sizeof *w->seq_at);
    w->state = calloc(size, sizeof *w->state);
    if (w->sent_us == NULL || w->seq_at == NULL || w->state == NULL) {
        nk_seqwin_free(w);
        return nk_err_sys(err, ENOMEM, "sequence window of %u", size);
    }
    w->size = size;
    return 0;
}

void
nk_seqwin_free(struct nk_seqwin *w)
{
    free(w->sent_us);
    free(w->seq_at);
    free(w->state);
    w->sent_us = NULL;
    w->seq_at = NULL;
    w->state = NULL;
    w->size = 0;
}

/* Let `oldest` pass probes that are answered or expired, and force out the
 * one whose slot the next send would reuse. */
static void
advance_oldest(struct nk_seqwin *w, int reuse)
{
    while (w->oldest != w->next) {
        uint32_t slot = w->oldest % w->size;
        int forced = reuse && w->next - w->oldest >= w->size;

        if (w->state[slot] == SLOT_OUT && !forced)
            break;
        if (w->state[slot] == SLOT_OUT) {
            w->state[slot] = SLOT_EXPIRED;
            w->inflight--;
        }
        w->oldest++;
    }
}

uint32_t
nk_seqwin_send(struct nk_seqwin *w, int64_t now_us)
{
    uint32_t seq, slot;

    advance_oldest(w, 1);
    seq = w->next++;
    slot = seq % w->size;
    w->seq_at[slot] = seq;
    w->sent_us[slot] = now_us;
    w->state[slot] = SLOT_OUT;
    w->inflight++;
    w->sent++;
    return seq;
}

enum nk_seq_result
nk_seqwin_reply(struct nk_seqwin *w, uint32_t seq, int64_t now_us,
                int64_t *rtt_us)
{
    uint32_t age = w->next - seq, slot = seq % w->size;
    uint8_t st;

    /* Unsigned distance back from next: 0, or more than were ever sent,
     * means a sequence number not sent yet. */
    if (age == 0 || (uint64_t)age > w->sent) {
        w->bogus++;
        return NK_SEQ_BOGUS;
    }
    if (age > w->size || w->seq_at[slot] != seq) {
        w->stale++;
        return NK_SEQ_STALE;
    }
    st = w->state[slot];
    if (st == SLOT_ANSWERED) {
        w->dup++;
        return NK_SEQ_DUP;
    }
    *rtt_us = now_us - w->sent_us[slot];
    w->state[slot] = SLOT_ANSWERED;
    w->received++;
    if (st == SLOT_EXPIRED) {
        w->late++;
        return NK_SEQ_LATE;
    }
    w->inflight--;
    advance_oldest(w, 0);
    return NK_SEQ_NEW;
}

uint32_t
nk_seqwin_expire(struct nk_seqwin *w, int64_t now_us, int64_t timeout_us)
{
    uint32_t n = 0;

    while (w->oldest != w->next) {
        uint32_t slot = w->oldest % w->size;

        if (w->state[slot] == SLOT_OUT) {
            if (now_us - w->sent_us[slot] < timeout_us)
                break;
            w->state[slot] = SLOT_EXPIRED;
            w->inflight--;
            n++;
        }
        w->oldest++;
    }
    return n;
}

uint64_t
nk_seqwin_lost(const struct nk_seqwin *w)
{
    return w->sent > w->received ? w->sent - w->received : 0;
}

double
nk_probe_loss_pct(uint64_t sent, uint64_t received)
{
    if (sent == 0 || received >= sent)
        return 0.0;
    return 100.0 * (double)(sent - received) / (double)sent;
}
