/* netkit ping --udp: a UDP ping. Each probe is one datagram (netkit's
 * echo probe format: a sequence number and a per-run nonce) on a
 * connected socket. Any datagram back is an answer (the port is open:
 * an echo service returns the probe, others whatever they say); an ICMP
 * port unreachable comes back as ECONNREFUSED on the connected socket
 * (RFC 1122 4.1.3.3) and means the port is closed but the host is up;
 * silence is a loss, which for UDP cannot tell "open but quiet" from
 * "filtered". One probe at a time, as --tcp. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ping_int.h"
#include "netkit/exitcodes.h"
#include "netkit/probe.h"
#include "netkit/signals.h"
#include "netkit/udp.h"

#define PROBE_LEN 32

struct udp_loop {
    struct ping_run *r;
    int fd;
    uint64_t nonce;
    uint8_t *buf; /* NK_UDP_BUFSIZE: any datagram */
};

/* Read what is queued: 1 an answer to seq, 2 refused, 0 nothing (yet),
 * -1 another error (err). A copy of an earlier probe is skipped. */
static int
take(struct udp_loop *l, uint32_t seq, struct nk_err *err)
{
    for (int i = 0; i < 64; i++) {
        uint32_t got;
        ssize_t n =
            nk_udp_recv(l->fd, l->buf, NK_UDP_BUFSIZE, NULL, NULL, err);
        if (n < 0 && err->sys_errno == EAGAIN)
            return 0;
        if (n < 0)
            return err->sys_errno == ECONNREFUSED ? 2 : -1;
        if (nk_probe_parse(l->buf, (size_t)n, l->nonce, &got) == 0 &&
            got != seq)
            continue; /* a late echo of an earlier probe */
        return 1;
    }
    return 0;
}

/* One probe; no event when a stop request cut it short. */
static void
udp_probe(void *arg, uint32_t seq, int64_t stop_at)
{
    struct udp_loop *l = arg;
    struct ping_run *r = l->r;
    struct ping_event ev = {PK_TIMEOUT, seq, r->addr, 0, -1, -1, NULL};
    uint8_t out[PROBE_LEN];
    struct nk_err err;
    int64_t t0 = nk_now_us(), until;
    int got = 0;

    until = t0 + (int64_t)r->cfg->timeout_ms * 1000;
    if (stop_at > 0 && stop_at < until)
        until = stop_at;
    nk_probe_fill(out, sizeof out, seq, l->nonce);
    r->sent++;
    if (nk_udp_send(l->fd, out, sizeof out, NULL, &err) < 0)
        got = err.sys_errno == ECONNREFUSED ? 2 : -1;
    while (got == 0 && !nk_stop_requested()) {
        int64_t now = nk_now_us();
        if (now >= until ||
            nk_icmp_wait(l->fd, POLLIN, ping_ms_until(until, now, 1000),
                         &err) < 0)
            break;
        got = take(l, seq, &err);
    }
    if (got == 0 && nk_stop_requested()) {
        r->sent--; /* cut short: counted neither way */
        return;
    }
    if (got > 0) {
        ev.kind = got == 1 ? PK_OPEN : PK_CLOSED;
        ev.rtt_us = nk_now_us() - t0;
    } else if (got < 0) {
        ev.kind = PK_ERROR;
        ev.what = err.msg;
    }
    ping_event(r, &ev);
}

static int
udp_open_socket(struct udp_loop *l)
{
    struct ping_run *r = l->r;

    l->fd = nk_socket(r->to.ss.ss_family, SOCK_DGRAM, &r->err);
    if (l->fd < 0)
        return -1;
    /* A UDP connect sends nothing: it only fixes the peer, so replies
     * from anyone else are dropped and ICMP errors are reported. */
    if (nk_connect_addr(l->fd, (struct sockaddr *)&r->to.ss, r->to.len, 1000,
                        &r->err) < 0 ||
        nk_set_nonblock(l->fd, 1, &r->err) < 0) {
        nk_close(l->fd);
        return -1;
    }
    return 0;
}

int
ping_udp_run(struct ping_run *r)
{
    struct udp_loop l;

    memset(&l, 0, sizeof l);
    l.r = r;
    l.nonce = nk_probe_nonce();
    l.buf = malloc(NK_UDP_BUFSIZE);
    if (l.buf == NULL)
        return nk_err_sys(&r->err, ENOMEM, "receive buffer");
    if (udp_open_socket(&l) < 0) {
        free(l.buf);
        return -1;
    }
    ping_sequence(r, udp_probe, &l);
    nk_close(l.fd);
    free(l.buf);
    return 0;
}
