/* Pure code of the echo probes that echo-udp's client and bench send:
 * the probe's bytes and the sequence bookkeeping (which probes are out,
 * answered, late, lost). Bytes in, structs out; no sockets, and every
 * time is passed in by the caller (clock.h). */
#ifndef NETKIT_PROBE_H
#define NETKIT_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "netkit/err.h"

/* The echo probe format (netkit's own, not RFC 862's: the echo
 * service returns any bytes, so a probe only has to recognise itself).
 * Bytes 0-3 "NKUE", 4-7 sequence number (big-endian), 8-15 a nonce chosen
 * per run (big-endian), then pattern bytes derived from the sequence
 * number, so a corrupted, truncated or foreign reply is told apart from a
 * late reply to an earlier probe. */
#define NK_PROBE_HDR 16

/* Fill buf[0..len) with probe seq: the header when len >= NK_PROBE_HDR
 * (shorter probes are pattern only and cannot be told apart). */
void nk_probe_fill(uint8_t *buf, size_t len, uint32_t seq, uint64_t nonce);

/* Read the header of a reply: 0 and *seq when it is one of ours (magic and
 * nonce match), -1 otherwise. */
int nk_probe_parse(const uint8_t *buf, size_t len, uint64_t nonce,
                   uint32_t *seq);

/* 1 when buf[0..len) is exactly the probe seq of want_len bytes. */
int nk_probe_check(const uint8_t *buf, size_t len, size_t want_len,
                   uint32_t seq, uint64_t nonce);

/* A nonce for this run: /dev/urandom, else the clock and the pid. */
uint64_t nk_probe_nonce(void);

/* --- Sequence bookkeeping: which probes are out, answered, expired. A
 * ring of `size` slots remembers each probe's send time; a reply older
 * than the ring is stale (not counted twice, not counted lost). */
enum nk_seq_result {
    NK_SEQ_NEW,   /* first reply to an outstanding probe: rtt set */
    NK_SEQ_LATE,  /* first reply to a probe already given up on: rtt set */
    NK_SEQ_DUP,   /* a second reply to the same probe */
    NK_SEQ_STALE, /* older than the ring remembers */
    NK_SEQ_BOGUS  /* a sequence number never sent */
};

struct nk_seqwin {
    int64_t *sent_us; /* send time per slot */
    uint32_t *seq_at; /* which sequence number holds the slot */
    uint8_t *state;   /* per slot: 0 out, 1 answered, 2 expired */
    uint32_t size;
    uint32_t next;   /* the next sequence number to send */
    uint32_t oldest; /* the oldest probe still counted in flight */
    uint32_t inflight;
    uint64_t sent, received, late, dup, stale, bogus;
};

/* Allocate a ring of size slots (>= 1). 0 or -1 (ENOMEM). */
int nk_seqwin_init(struct nk_seqwin *w, uint32_t size, struct nk_err *err);
void nk_seqwin_free(struct nk_seqwin *w);

/* Record a probe sent at now_us; returns its sequence number. The caller
 * keeps inflight below size so a slot is never reused while counted. */
uint32_t nk_seqwin_send(struct nk_seqwin *w, int64_t now_us);

/* Record a reply to seq at now_us; *rtt_us gets the round trip for NEW
 * and LATE. */
enum nk_seq_result nk_seqwin_reply(struct nk_seqwin *w, uint32_t seq,
                                   int64_t now_us, int64_t *rtt_us);

/* Give up on probes out longer than timeout_us (they leave the in-flight
 * count; a reply may still come, as LATE). Returns how many expired. */
uint32_t nk_seqwin_expire(struct nk_seqwin *w, int64_t now_us,
                          int64_t timeout_us);

/* Probes sent and never answered (so far). */
uint64_t nk_seqwin_lost(const struct nk_seqwin *w);

/* Loss as a percentage of sent: 0 when nothing was sent; replies beyond
 * sent (duplicates) never make it negative. */
double nk_probe_loss_pct(uint64_t sent, uint64_t received);

#endif
