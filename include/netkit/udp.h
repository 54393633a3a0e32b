/* UDP datagrams: single and batched receive/send (recvmmsg/sendmmsg on
 * Linux, a recvmsg/sendmsg loop elsewhere), and the echo probe format with
 * the sequence bookkeeping that clients and load generators share.
 * Sockets come from net.h; these functions only move datagrams. */
#ifndef NETKIT_UDP_H
#define NETKIT_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#include "netkit/err.h"
#include "netkit/net.h"

/* Largest UDP payloads: 65535 minus the IPv4 (20) and UDP (8) headers;
 * IPv6's payload length excludes its own header, so 8 only. */
#define NK_UDP_MAX_V4 65507
#define NK_UDP_MAX_V6 65527
/* A receive buffer that holds any datagram of either family. */
#define NK_UDP_BUFSIZE 65536

/* One datagram in a batch. */
struct nk_udp_msg {
    void *buf;
    size_t cap;            /* receive: room in buf */
    size_t len;            /* receive: bytes kept; send: bytes to send */
    struct nk_addr addr;   /* receive: sender; send: destination (len 0 on
                            * a connected socket) */
    struct nk_addr local;  /* receive: the address it was sent to, with
                            * nk_udp_pktinfo on (else len 0); send: the
                            * source address to use (len 0: the kernel's
                            * choice) */
    int ifindex;           /* receive: the interface it came in on */
    int truncated;         /* receive: the datagram was larger than cap */
    struct timespec stamp; /* receive: when the kernel took it in
                            * (CLOCK_REALTIME), with nk_udp_timestamps on;
                            * else zero */
};

/* Batch flags. */
enum {
    NK_UDP_NO_MMSG = 1 << 0 /* one syscall per datagram even where
                             * recvmmsg/sendmmsg exist (comparison, tests) */
};

/* Receive up to n datagrams without blocking. Returns the count (>= 1);
 * -1 with err->sys_errno EAGAIN when nothing is queued, or another error
 * (ECONNREFUSED on a connected socket whose peer sent ICMP unreachable).
 * EINTR is retried. */
int nk_udp_recv_batch(int fd, struct nk_udp_msg *m, int n, int flags,
                      struct nk_err *err);

/* Send m[0..n) in order without blocking. Returns how many were sent from
 * the front (>= 1); -1 when m[0] itself failed (err->sys_errno EAGAIN when
 * the send buffer is full). The caller decides to drop or retry m[ret]. */
int nk_udp_send_batch(int fd, const struct nk_udp_msg *m, int n, int flags,
                      struct nk_err *err);

/* One datagram. to NULL: the connected peer. Returns len or -1 (EMSGSIZE
 * for an oversized payload, EAGAIN on a full non-blocking socket). */
ssize_t nk_udp_send(int fd, const void *buf, size_t len,
                    const struct nk_addr *to, struct nk_err *err);

/* One datagram into buf; from (may be NULL) receives the sender and
 * *truncated (may be NULL) is set when the datagram did not fit. Returns
 * the bytes kept, or -1 (EAGAIN when nothing is queued). */
ssize_t nk_udp_recv(int fd, void *buf, size_t cap, struct nk_addr *from,
                    int *truncated, struct nk_err *err);

/* Report each datagram's destination address (IP_PKTINFO for AF_INET,
 * IPV6_RECVPKTINFO for AF_INET6, which covers IPv4 on a dual-stack socket
 * as ::ffff:a.b.c.d), so a server bound to a wildcard can answer from the
 * address it was asked on. 0 or -1. */
int nk_udp_pktinfo(int fd, int family, struct nk_err *err);

/* Stamp each datagram received on fd with the kernel's arrival time
 * (SO_TIMESTAMPNS), in nk_udp_msg.stamp: a server's receive timestamp
 * then excludes the time the datagram waited in the socket's queue.
 * 0, or -1 where the system has no such option (stamps stay zero).
 * Linux turns arrival stamping on system-wide by deferred work when the
 * first socket asks; a datagram that came in before that carries its
 * receive time instead (never worse than reading the clock after it). */
int nk_udp_timestamps(int fd, struct nk_err *err);

/* Ask for bytes of receive and send buffer (the kernel may cap it at
 * net.core.rmem_max/wmem_max); *rcv and *snd (may be NULL) get what the
 * kernel granted. 0 or -1. */
int nk_udp_set_buffers(int fd, int bytes, int *rcv, int *snd,
                       struct nk_err *err);

/* Monotonic clock in microseconds (round-trip times). */
int64_t nk_udp_now_us(void);

/* --- The echo probe format (netkit's own, not RFC 862's: the echo
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
double nk_udp_loss_pct(uint64_t sent, uint64_t received);

#endif
