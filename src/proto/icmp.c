/* ICMP echo messages, encoded and decoded byte by byte (RFC 792 for
 * IPv4, RFC 4443 for IPv6). Pure: no sockets, no clock. */
#include "netkit/icmp_proto.h"

#include <stdlib.h>
#include <string.h>

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint64_t
get64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void
put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint16_t
nk_icmp_checksum(const uint8_t *buf, size_t len)
{
    uint32_t sum = 0;
    size_t i;

    for (i = 0; i + 1 < len; i += 2)
        sum += get16(buf + i);
    if (i < len)
        sum += (uint32_t)buf[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

size_t
nk_icmp_echo_build(uint8_t *buf, size_t cap, int v6, uint16_t id, uint16_t seq,
                   uint64_t sent_us, uint64_t nonce, size_t size)
{
    uint8_t *d = buf + NK_ICMP_HDR;

    if (size < NK_PING_STAMP || cap < NK_ICMP_HDR || cap - NK_ICMP_HDR < size)
        return 0;
    buf[0] = v6 ? NK_ICMP6_ECHO : NK_ICMP4_ECHO;
    buf[1] = 0;
    put16(buf + 2, 0);
    put16(buf + 4, id);
    put16(buf + 6, seq);
    put64(d, sent_us);
    put64(d + 8, nonce);
    for (size_t i = NK_PING_STAMP; i < size; i++)
        d[i] = (uint8_t)i;
    if (!v6)
        put16(buf + 2, nk_icmp_checksum(buf, NK_ICMP_HDR + size));
    return NK_ICMP_HDR + size;
}

/* Skip an IPv4 header: its length, or 0 when it is not one. */
static size_t
ipv4_header(const uint8_t *buf, size_t len)
{
    size_t ihl;

    if (len < 20 || buf[0] >> 4 != 4)
        return 0;
    ihl = (size_t)(buf[0] & 0x0f) * 4;
    return ihl >= 20 && ihl <= len ? ihl : 0;
}

int
nk_icmp_orig_echo(const uint8_t *buf, size_t len, int v6, uint16_t *id,
                  uint16_t *seq)
{
    if (len < NK_ICMP_HDR || buf[1] != 0 ||
        buf[0] != (v6 ? NK_ICMP6_ECHO : NK_ICMP4_ECHO))
        return -1;
    *id = get16(buf + 4);
    *seq = get16(buf + 6);
    return 0;
}

/* The request an error quotes: the original IP header, then (at least)
 * its first 8 bytes of ICMP (RFC 792 p. 4; RFC 4443 2.4 quotes as much
 * as fits). IPv6: only a quoted header whose next header is ICMPv6. */
static void
quoted_echo(const uint8_t *q, size_t len, int v6, struct nk_icmp_msg *m)
{
    size_t hl;

    if (v6) {
        if (len < 40 || q[0] >> 4 != 6 || q[6] != 58)
            return;
        hl = 40;
    } else {
        hl = ipv4_header(q, len);
        if (hl == 0 || q[9] != 1)
            return;
    }
    if (nk_icmp_orig_echo(q + hl, len - hl, v6, &m->id, &m->seq) == 0)
        m->has_orig = 1;
}

static int
is_error(int v6, uint8_t type)
{
    if (v6)
        return type >= NK_ICMP6_UNREACH && type <= NK_ICMP6_PARAMPROB;
    return type == NK_ICMP4_UNREACH || type == NK_ICMP4_REDIRECT ||
           type == NK_ICMP4_TIME_EXCEEDED || type == NK_ICMP4_PARAMPROB ||
           type == 4; /* source quench, deprecated but still an error */
}

enum nk_icmp_kind
nk_icmp_parse(const uint8_t *buf, size_t len, int v6, int ip_header,
              struct nk_icmp_msg *m)
{
    memset(m, 0, sizeof *m);
    m->ttl = -1;
    m->kind = NK_ICMP_MALFORMED;
    if (ip_header && !v6) {
        size_t hl = ipv4_header(buf, len);
        if (hl == 0 || buf[9] != 1)
            return m->kind;
        m->ttl = buf[8];
        buf += hl;
        len -= hl;
    }
    if (len < NK_ICMP_HDR || (!v6 && nk_icmp_checksum(buf, len) != 0))
        return m->kind;
    m->type = buf[0];
    m->code = buf[1];
    m->icmp_len = len;
    if (m->type == (v6 ? NK_ICMP6_ECHO_REPLY : NK_ICMP4_ECHO_REPLY)) {
        m->id = get16(buf + 4);
        m->seq = get16(buf + 6);
        m->data = buf + NK_ICMP_HDR;
        m->data_len = len - NK_ICMP_HDR;
        return m->kind = NK_ICMP_ECHO_REPLY;
    }
    if (!is_error(v6, m->type))
        return m->kind = NK_ICMP_OTHER;
    quoted_echo(buf + NK_ICMP_HDR, len - NK_ICMP_HDR, v6, m);
    return m->kind = NK_ICMP_ERROR;
}

int
nk_ping_data_check(const uint8_t *data, size_t len, size_t size,
                   uint64_t nonce, uint64_t *sent_us)
{
    if (len < NK_PING_STAMP || get64(data + 8) != nonce)
        return -1;
    *sent_us = get64(data);
    if (len != size)
        return 1;
    for (size_t i = NK_PING_STAMP; i < len; i++)
        if (data[i] != (uint8_t)i)
            return 1;
    return 0;
}

uint32_t
nk_ping_seq_unwrap(uint32_t next, uint16_t wire)
{
    uint32_t back = (uint16_t)((uint16_t)next - wire);

    if (back == 0)
        back = 65536; /* next itself was not sent: a full turn back */
    return next - back;
}

static const char *const unreach4[] = {
    "destination unreachable: net unreachable",
    "destination unreachable: host unreachable",
    "destination unreachable: protocol unreachable",
    "destination unreachable: port unreachable",
    "destination unreachable: fragmentation needed and DF set",
    "destination unreachable: source route failed",
    "destination unreachable: destination net unknown",
    "destination unreachable: destination host unknown",
    "destination unreachable: source host isolated",
    "destination unreachable: net administratively prohibited",
    "destination unreachable: host administratively prohibited",
    "destination unreachable: net unreachable for type of service",
    "destination unreachable: host unreachable for type of service",
    "destination unreachable: communication administratively prohibited",
    "destination unreachable: host precedence violation",
    "destination unreachable: precedence cutoff in effect",
};

static const char *const unreach6[] = {
    "destination unreachable: no route to destination",
    "destination unreachable: communication administratively prohibited",
    "destination unreachable: beyond scope of source address",
    "destination unreachable: address unreachable",
    "destination unreachable: port unreachable",
    "destination unreachable: source address failed policy",
    "destination unreachable: reject route to destination",
};

/* The errors whose text does not depend on the code. */
static const struct {
    uint8_t v6, type;
    const char *text;
} fixed_texts[] = {
    {0, NK_ICMP4_REDIRECT, "redirect"},
    {0, NK_ICMP4_PARAMPROB, "parameter problem"},
    {0, 4, "source quench"},
    {1, NK_ICMP6_TOO_BIG, "packet too big"},
    {1, NK_ICMP6_PARAMPROB, "parameter problem"},
};

const char *
nk_icmp_error_text(int v6, uint8_t type, uint8_t code)
{
    const char *const *unreach = v6 ? unreach6 : unreach4;
    size_t n = v6 ? sizeof unreach6 / sizeof unreach6[0]
                  : sizeof unreach4 / sizeof unreach4[0];

    v6 = v6 != 0;
    if (type == (v6 ? NK_ICMP6_UNREACH : NK_ICMP4_UNREACH))
        return code < n ? unreach[code] : "destination unreachable";
    if (type == (v6 ? NK_ICMP6_TIME_EXCEEDED : NK_ICMP4_TIME_EXCEEDED)) {
        if (code != 0)
            return "fragment reassembly time exceeded";
        return v6 ? "hop limit exceeded" : "time to live exceeded";
    }
    for (size_t i = 0; i < sizeof fixed_texts / sizeof fixed_texts[0]; i++)
        if (fixed_texts[i].v6 == v6 && fixed_texts[i].type == type)
            return fixed_texts[i].text;
    return v6 ? "unknown icmpv6 error" : "unknown icmp error";
}

/* --- the probe window */

enum { SLOT_OUT, SLOT_ANSWERED, SLOT_TIMED_OUT, SLOT_ERROR };

int
nk_ping_win_init(struct nk_ping_win *w, uint32_t size)
{
    uint32_t n = size ? size : 1;

    memset(w, 0, sizeof *w);
    /* One block: the send times, the sequence numbers, the states (in
     * falling alignment, so each array starts aligned). */
    w->sent_us =
        calloc(n, sizeof *w->sent_us + sizeof *w->seq_at + sizeof *w->state);
    if (w->sent_us == NULL)
        return -1;
    w->seq_at = (uint32_t *)(void *)(w->sent_us + n);
    w->state = (uint8_t *)(w->seq_at + n);
    w->size = n;
    return 0;
}

void
nk_ping_win_free(struct nk_ping_win *w)
{
    free(w->sent_us); /* the one block */
    memset(w, 0, sizeof *w);
}

/* Slot of seq, or -1 when the ring no longer (or never) held it. */
static long
slot_of(const struct nk_ping_win *w, uint32_t seq)
{
    uint32_t age = w->next - seq, slot = seq % w->size;

    if (age == 0 || age > w->size || w->seq_at[slot] != seq)
        return -1;
    return (long)slot;
}

/* Move oldest past every probe no longer out; a send that reuses the
 * oldest's slot forces it out (the caller keeps the ring larger than the
 * probes a timeout can hold, so this is only a bound). */
static void
advance(struct nk_ping_win *w)
{
    while (w->oldest != w->next &&
           (w->state[w->oldest % w->size] != SLOT_OUT ||
            w->next - w->oldest > w->size))
        w->oldest++;
}

uint32_t
nk_ping_win_send(struct nk_ping_win *w, int64_t now_us)
{
    uint32_t seq = w->next, slot = seq % w->size;

    w->next++;
    advance(w);
    w->seq_at[slot] = seq;
    w->sent_us[slot] = now_us;
    w->state[slot] = SLOT_OUT;
    return seq;
}

int
nk_ping_win_sent_at(const struct nk_ping_win *w, uint32_t seq,
                    int64_t *sent_us)
{
    long slot = slot_of(w, seq);

    if (slot < 0)
        return -1;
    *sent_us = w->sent_us[slot];
    return 0;
}

enum nk_ping_result
nk_ping_win_reply(struct nk_ping_win *w, uint32_t seq, int64_t now_us,
                  int64_t *rtt_us)
{
    long slot = slot_of(w, seq);
    uint8_t st;

    if (slot < 0)
        return NK_PING_STALE;
    st = w->state[slot];
    if (st == SLOT_ANSWERED)
        return NK_PING_DUP;
    if (st == SLOT_ERROR)
        return NK_PING_AFTER_ERROR;
    *rtt_us = now_us - w->sent_us[slot];
    w->state[slot] = SLOT_ANSWERED;
    advance(w);
    return st == SLOT_TIMED_OUT ? NK_PING_LATE : NK_PING_NEW;
}

int
nk_ping_win_error(struct nk_ping_win *w, uint32_t seq)
{
    long slot = slot_of(w, seq);

    if (slot < 0 || w->state[slot] != SLOT_OUT)
        return -1;
    w->state[slot] = SLOT_ERROR;
    advance(w);
    return 0;
}

int
nk_ping_win_expire(struct nk_ping_win *w, int64_t now_us, int64_t timeout_us,
                   uint32_t *seq)
{
    for (uint32_t s = w->oldest; s != w->next; s++) {
        uint32_t slot = s % w->size;
        if (w->state[slot] != SLOT_OUT)
            continue;
        /* Sent in order: the first one out is the oldest one out. */
        if (now_us - w->sent_us[slot] < timeout_us)
            return 0;
        w->state[slot] = SLOT_TIMED_OUT;
        advance(w);
        *seq = s;
        return 1;
    }
    return 0;
}

uint32_t
nk_ping_win_outstanding(const struct nk_ping_win *w, int64_t *first_sent_us)
{
    uint32_t n = 0;

    for (uint32_t s = w->oldest; s != w->next; s++) {
        uint32_t slot = s % w->size;
        if (w->state[slot] != SLOT_OUT)
            continue;
        if (n++ == 0 && first_sent_us != NULL)
            *first_sent_us = w->sent_us[slot];
    }
    return n;
}
