/* netkit ping's ICMP loop: send a probe every --interval, wait for
 * replies and errors in between, time out what is overdue.
 *
 * A reply is ours when its identifier is the socket's (a raw socket sees
 * every process's pings), its data carries this run's nonce, and the
 * send time it carries equals the one recorded for its sequence number
 * (a reply from 65536 probes ago has the right number but the wrong
 * stamp). Its round trip is measured from that send time, after the
 * name was resolved. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ping_int.h"
#include "netkit/exitcodes.h"
#include "netkit/icmp_proto.h"
#include "netkit/probe.h"
#include "netkit/signals.h"
#include "netkit/udp.h"

#define RING 65536
#define BUFSIZE 65536

struct icmp_loop {
    struct ping_run *r;
    struct nk_icmp_sock s;
    struct nk_ping_win w;
    uint8_t *sbuf, *rbuf;
    uint64_t nonce;
    int v6;
    char from[NK_ADDRSTRLEN];
};

/* The 0-based sequence number a wire value stands for (wire = seq + 1). */
static uint32_t
seq_of(const struct icmp_loop *l, uint16_t wire)
{
    return nk_ping_seq_unwrap(l->w.next + 1, wire) - 1;
}

static void
send_probe(struct icmp_loop *l, int64_t now)
{
    struct ping_run *r = l->r;
    uint32_t seq = nk_ping_win_send(&l->w, now);
    size_t n = nk_icmp_echo_build(l->sbuf, BUFSIZE, l->v6, l->s.id,
                                  (uint16_t)(seq + 1), (uint64_t)now, l->nonce,
                                  (size_t)r->cfg->size);
    struct nk_err err;

    r->sent++;
    if (nk_icmp_send(&l->s, l->sbuf, n, (struct sockaddr *)&r->to.ss,
                     r->to.len, &err) < 0) {
        struct ping_event ev = {PK_ERROR, seq + 1, NULL, 0, -1, -1, err.msg};
        (void)nk_ping_win_error(&l->w, seq);
        ping_event(r, &ev);
    }
}

/* An ICMP error quoting probe `wire`, sent by `from`. */
static void
icmp_error(struct icmp_loop *l, uint16_t wire, const char *from,
           const char *what)
{
    uint32_t seq = seq_of(l, wire);
    int64_t sent;
    struct ping_event ev = {PK_ERROR, seq + 1, from, 0, -1, -1, what};

    if (nk_ping_win_sent_at(&l->w, seq, &sent) < 0)
        return; /* not a probe this run remembers */
    (void)nk_ping_win_error(&l->w, seq);
    ping_event(l->r, &ev);
}

/* From a datagram socket's error queue: our request, and the error. */
static void
queued_error(struct icmp_loop *l, const struct nk_icmp_rx *rx)
{
    uint16_t id, wire;
    char why[128];

    if (nk_icmp_orig_echo(l->rbuf, rx->len, l->v6, &id, &wire) < 0)
        return;
    if (rx->local_errno != 0) {
        nk_strerror(rx->local_errno, why, sizeof why);
        icmp_error(l, wire, NULL, why);
        return;
    }
    icmp_error(l, wire, l->from,
               nk_icmp_error_text(l->v6, rx->type, rx->code));
}

static void
echo_reply(struct icmp_loop *l, const struct nk_icmp_rx *rx,
           const struct nk_icmp_msg *m, int64_t now)
{
    struct ping_run *r = l->r;
    uint64_t stamp = 0;
    int64_t sent = 0, rtt = -1;
    uint32_t seq = seq_of(l, m->seq);
    int dc = nk_ping_data_check(m->data, m->data_len, (size_t)r->cfg->size,
                                l->nonce, &stamp);
    struct ping_event ev = {PK_REPLY,
                            seq + 1,
                            l->from,
                            m->icmp_len,
                            rx->ttl >= 0 ? rx->ttl : m->ttl,
                            -1,
                            NULL};

    if (m->id != l->s.id || dc < 0)
        return; /* another process's ping, or another run's */
    if (nk_ping_win_sent_at(&l->w, seq, &sent) < 0 || (uint64_t)sent != stamp)
        return; /* not the probe that carries this number now */
    if (dc > 0) {
        ev.kind = PK_CORRUPT;
        ping_event(r, &ev);
        return;
    }
    switch (nk_ping_win_reply(&l->w, seq, now, &rtt)) {
    case NK_PING_NEW:
        ev.kind = PK_REPLY;
        break;
    case NK_PING_LATE:
        ev.kind = PK_LATE;
        break;
    case NK_PING_DUP:
        ev.kind = PK_DUP;
        rtt = now - sent;
        break;
    case NK_PING_AFTER_ERROR:
        ev.kind = PK_LATE;
        rtt = now - sent;
        break;
    default:
        return;
    }
    ev.rtt_us = rtt;
    ping_event(r, &ev);
}

static void
handle(struct icmp_loop *l, const struct nk_icmp_rx *rx, int64_t now)
{
    struct nk_icmp_msg m;

    nk_addr_host((struct sockaddr *)&rx->from.ss, rx->from.len, l->from,
                 sizeof l->from);
    if (rx->is_error) {
        queued_error(l, rx);
        return;
    }
    switch (nk_icmp_parse(l->rbuf, rx->len, l->v6, l->s.raw && !l->v6, &m)) {
    case NK_ICMP_ECHO_REPLY:
        echo_reply(l, rx, &m, now);
        break;
    case NK_ICMP_ERROR:
        /* A raw socket sees every error the host gets: ours only. */
        if (m.has_orig && m.id == l->s.id)
            icmp_error(l, m.seq, l->from,
                       nk_icmp_error_text(l->v6, m.type, m.code));
        break;
    default:
        break; /* our own requests on loopback, other ICMP */
    }
}

/* Read everything queued. 0, or -1 with r->err. */
static int
icmp_drain(struct icmp_loop *l)
{
    for (int i = 0; i < 1024; i++) {
        struct nk_icmp_rx rx;
        int got = nk_icmp_recv(&l->s, l->rbuf, BUFSIZE, &rx, &l->r->err);
        if (got <= 0)
            return got;
        handle(l, &rx, nk_now_us());
    }
    return 0;
}

static void
icmp_expire(struct icmp_loop *l, int64_t now)
{
    uint32_t seq;

    while (nk_ping_win_expire(&l->w, now,
                              (int64_t)l->r->cfg->timeout_ms * 1000, &seq)) {
        struct ping_event ev = {PK_TIMEOUT, seq + 1, NULL, 0, -1, -1, NULL};
        ping_event(l->r, &ev);
    }
}

/* When to wake: the next send, the oldest probe's timeout, the deadline. */
static int64_t
next_wake(struct icmp_loop *l, int more, int64_t next_send, int64_t stop_at)
{
    int64_t t = more ? next_send : INT64_MAX, first = 0;

    if (nk_ping_win_outstanding(&l->w, &first) > 0 &&
        first + (int64_t)l->r->cfg->timeout_ms * 1000 < t)
        t = first + (int64_t)l->r->cfg->timeout_ms * 1000;
    if (stop_at > 0 && stop_at < t)
        t = stop_at;
    return t;
}

static int
loop(struct icmp_loop *l)
{
    struct ping_run *r = l->r;
    const struct ping_cfg *c = r->cfg;
    int64_t now = nk_now_us(), next_send, stop_at = 0;

    r->start_us = next_send = now;
    if (c->deadline_ms > 0)
        stop_at = now + (int64_t)c->deadline_ms * 1000;
    while (!nk_stop_requested()) {
        int more = c->count == 0 || r->sent < (uint64_t)c->count;
        int ready;

        now = nk_now_us();
        if (stop_at > 0 && now >= stop_at)
            break;
        icmp_expire(l, now);
        if (!more && nk_ping_win_outstanding(&l->w, NULL) == 0)
            break;
        if (more && now >= next_send) {
            send_probe(l, now);
            next_send += (int64_t)c->interval_ms * 1000;
            if (next_send < now)
                next_send = now;
            continue;
        }
        ready = nk_icmp_wait(
            l->s.fd, POLLIN,
            ping_ms_until(next_wake(l, more, next_send, stop_at), now, 1000),
            &r->err);
        if (ready < 0 || (ready > 0 && icmp_drain(l) < 0))
            return -1;
    }
    r->end_us = nk_now_us();
    return 0;
}

int
ping_icmp_run(struct ping_run *r)
{
    struct icmp_loop l;
    int rc = -1;

    memset(&l, 0, sizeof l);
    l.r = r;
    l.v6 = r->to.ss.ss_family == AF_INET6;
    if (nk_icmp_open(r->to.ss.ss_family, r->cfg->sockmode, r->cfg->ttl, &l.s,
                     &r->err) < 0)
        return -1;
    r->mode = l.s.raw ? "icmp-raw" : "icmp-datagram";
    r->ident = l.s.id;
    l.sbuf = malloc(BUFSIZE);
    l.rbuf = malloc(BUFSIZE);
    l.nonce = nk_probe_nonce();
    if (l.sbuf == NULL || l.rbuf == NULL || nk_ping_win_init(&l.w, RING) < 0) {
        nk_err_sys(&r->err, ENOMEM, "ping buffers");
    } else {
        ping_header(r);
        rc = loop(&l);
    }
    nk_ping_win_free(&l.w);
    free(l.sbuf);
    free(l.rbuf);
    nk_icmp_close(&l.s);
    return rc;
}
