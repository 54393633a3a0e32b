/* ICMP and ICMPv6 echo messages, pure: build an echo request, checksum,
 * parse a reply or an error (with the original echo request it quotes),
 * check a reply's payload. No I/O; netkit ping's packet code.
 *
 * An echo message (RFC 792, RFC 4443 section 4):
 *   0 type (8/0 IPv4, 128/129 IPv6)  1 code 0  2-3 checksum
 *   4-5 identifier  6-7 sequence number  8.. data
 * netkit's data: 0-7 the send time in microseconds of the monotonic clock
 * (big-endian), 8-15 a nonce chosen per run, then pattern bytes
 * (byte i of the data is i & 0xff), so a reply is matched by identifier
 * and sequence number, recognised as this run's by the nonce, timed by
 * the stamp, and found corrupted by the pattern. */
#ifndef NETKIT_ICMP_PROTO_H
#define NETKIT_ICMP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define NK_ICMP_HDR 8    /* type, code, checksum, identifier, sequence */
#define NK_PING_STAMP 16 /* data bytes that carry the send time and nonce */

enum {
    NK_ICMP4_ECHO_REPLY = 0,
    NK_ICMP4_UNREACH = 3,
    NK_ICMP4_REDIRECT = 5,
    NK_ICMP4_ECHO = 8,
    NK_ICMP4_TIME_EXCEEDED = 11,
    NK_ICMP4_PARAMPROB = 12,
    NK_ICMP6_UNREACH = 1,
    NK_ICMP6_TOO_BIG = 2,
    NK_ICMP6_TIME_EXCEEDED = 3,
    NK_ICMP6_PARAMPROB = 4,
    NK_ICMP6_ECHO = 128,
    NK_ICMP6_ECHO_REPLY = 129
};

/* The Internet checksum (RFC 1071) of buf[0..len): the one's complement
 * of the one's complement sum of 16-bit big-endian words, an odd last
 * byte padded with zero. Over a message that carries its checksum, 0. */
uint16_t nk_icmp_checksum(const uint8_t *buf, size_t len);

/* Write an echo request with `size` data bytes (>= NK_PING_STAMP) into
 * buf (cap >= NK_ICMP_HDR + size). IPv4: the checksum is filled in;
 * IPv6: left 0, since it covers a pseudo-header with addresses only the
 * kernel knows (it fills it for ICMPv6 sockets of both kinds). Returns
 * the message length, 0 when it does not fit or size is too small. */
size_t nk_icmp_echo_build(uint8_t *buf, size_t cap, int v6, uint16_t id,
                          uint16_t seq, uint64_t sent_us, uint64_t nonce,
                          size_t size);

enum nk_icmp_kind {
    NK_ICMP_MALFORMED,  /* too short, bad IPv4 header or checksum */
    NK_ICMP_OTHER,      /* valid but not for ping (an echo request) */
    NK_ICMP_ECHO_REPLY, /* id, seq, data */
    NK_ICMP_ERROR       /* unreachable, time exceeded, ...: type, code,
                         * and the quoted request's id and seq when
                         * has_orig */
};

struct nk_icmp_msg {
    enum nk_icmp_kind kind;
    uint8_t type, code;
    uint16_t id, seq;
    int has_orig;        /* error: it quotes an echo request */
    int ttl;             /* from the IPv4 header when given, else -1 */
    const uint8_t *data; /* echo reply: the data after the header */
    size_t data_len;
    size_t icmp_len; /* the ICMP message's length */
};

/* Parse one received message. ip_header: buf starts with the IPv4 header
 * (raw IPv4 sockets); otherwise with the ICMP header (datagram sockets,
 * raw IPv6). An IPv4 message's checksum is verified (raw sockets get
 * messages the kernel did not check). Returns m->kind. */
enum nk_icmp_kind nk_icmp_parse(const uint8_t *buf, size_t len, int v6,
                                int ip_header, struct nk_icmp_msg *m);

/* The original message an error quotes, from its ICMP header on (what a
 * datagram socket's error queue returns): 0 with *id and *seq when it is
 * an echo request of family v6, -1 otherwise. */
int nk_icmp_orig_echo(const uint8_t *buf, size_t len, int v6, uint16_t *id,
                      uint16_t *seq);

/* Check a reply's data against this run's probe of `size` data bytes.
 * 0: ours and intact, *sent_us the stamp; 1: ours (the nonce matches)
 * but cut or altered; -1: not this run's (short, other nonce). */
int nk_ping_data_check(const uint8_t *data, size_t len, size_t size,
                       uint64_t nonce, uint64_t *sent_us);

/* The 32-bit sequence number a 16-bit wire value stands for: the latest
 * value below `next` (the next to be sent) whose low 16 bits are wire.
 * A run may send more than 65536 probes; a reply older than 65536 probes
 * is taken for a newer one, which the stamp check then refuses. */
uint32_t nk_ping_seq_unwrap(uint32_t next, uint16_t wire);

/* "destination unreachable: port unreachable", "time to live exceeded
 * in transit", ...: the words for an error's type and code. */
const char *nk_icmp_error_text(int v6, uint8_t type, uint8_t code);

/* --- Which probes are out, answered, given up on: a ring of `size`
 * slots (a power of two is not needed) holding each probe's send time.
 * Sequence numbers count from 0 here; on the wire a probe carries its
 * number plus one (icmp_seq 1 is the first, as in iputils). */
enum nk_ping_result {
    NK_PING_NEW,        /* first reply to a probe still waited for: rtt set */
    NK_PING_LATE,       /* first reply to a probe already timed out: rtt set */
    NK_PING_DUP,        /* another reply to a probe already answered */
    NK_PING_STALE,      /* a probe older than the ring, or never sent */
    NK_PING_AFTER_ERROR /* a reply to a probe an ICMP error was about */
};

struct nk_ping_win {
    int64_t *sent_us;
    uint32_t *seq_at;
    uint8_t *state; /* 0 out, 1 answered, 2 timed out, 3 error */
    uint32_t size;
    uint32_t next;   /* the next sequence number to send */
    uint32_t oldest; /* no probe before it is still out */
};

/* 0, or -1 when out of memory. */
int nk_ping_win_init(struct nk_ping_win *w, uint32_t size);
void nk_ping_win_free(struct nk_ping_win *w);
/* A probe sent at now_us: its sequence number. */
uint32_t nk_ping_win_send(struct nk_ping_win *w, int64_t now_us);
/* The send time of probe seq, if the ring still holds it: 0, else -1. */
int nk_ping_win_sent_at(const struct nk_ping_win *w, uint32_t seq,
                        int64_t *sent_us);
/* A reply to seq at now_us; *rtt_us for NEW and LATE. */
enum nk_ping_result nk_ping_win_reply(struct nk_ping_win *w, uint32_t seq,
                                      int64_t now_us, int64_t *rtt_us);
/* An ICMP error about seq: 0 when seq was out (now settled: no timeout
 * follows), -1 otherwise. */
int nk_ping_win_error(struct nk_ping_win *w, uint32_t seq);
/* The oldest probe out for timeout_us or longer, now timed out: 1 with
 * *seq, 0 when none. Call until 0. */
int nk_ping_win_expire(struct nk_ping_win *w, int64_t now_us,
                       int64_t timeout_us, uint32_t *seq);
/* Probes still out; *first_sent_us (may be NULL) the oldest one's send
 * time. */
uint32_t nk_ping_win_outstanding(const struct nk_ping_win *w,
                                 int64_t *first_sent_us);

#endif
