/* netkit ping --tcp: a TCP connect ping, for hosts that drop ICMP. Each
 * probe is a non-blocking connect: the time to its completion is the time
 * from the SYN to the SYN-ACK (connected: the port is open) or to the RST
 * (refused: the port is closed but the host is up, which is an answer,
 * not a loss). One probe at a time: the next starts --interval after the
 * previous one started, or when it ends if it took longer. */
#include <errno.h>
#include <string.h>

#include "ping_int.h"
#include "netkit/exitcodes.h"
#include "netkit/signals.h"

/* Wait for probe fd until the timeout, the deadline or a stop request.
 * 1 done, 0 timed out, -1 stopped. */
static int
await(struct ping_run *r, int fd, int64_t t0, int64_t stop_at)
{
    int64_t until = t0 + (int64_t)r->cfg->timeout_ms * 1000;

    if (stop_at > 0 && stop_at < until)
        until = stop_at;
    for (;;) {
        int64_t now = nk_now_us();
        int ready;
        if (nk_stop_requested())
            return -1;
        if (now >= until)
            return 0;
        ready = nk_icmp_wait(fd, POLLOUT, ping_ms_until(until, now, 1000),
                             &r->err);
        if (ready != 0)
            return 1; /* ready, or a poll error: the connect's result says */
    }
}

/* One probe: its event, or none when a stop request cut it short. */
static void
tcp_probe(void *arg, uint32_t seq, int64_t stop_at)
{
    struct ping_run *r = arg;
    const struct sockaddr *sa = (const struct sockaddr *)&r->to.ss;
    struct ping_event ev = {PK_OPEN, seq, r->addr, 0, -1, -1, NULL};
    struct nk_err err;
    int64_t t0 = nk_now_us();
    int state = 0, rc = 0;
    int fd = nk_tcp_probe_start(sa, r->to.len, &state, &err);

    r->sent++;
    if (fd >= 0 && state == 0) {
        int w = await(r, fd, t0, stop_at);
        if (w < 0) {
            r->sent--; /* never finished: not counted either way */
            nk_close(fd);
            return;
        }
        if (w == 0)
            ev.kind = PK_TIMEOUT;
        else
            rc = nk_tcp_probe_finish(fd, sa, r->to.len, &err);
    } else if (fd < 0) {
        rc = -1;
    }
    ev.rtt_us = nk_now_us() - t0;
    if (rc < 0 && err.sys_errno == ECONNREFUSED) {
        ev.kind = PK_CLOSED;
    } else if (rc < 0) {
        ev.kind = PK_ERROR;
        ev.what = err.msg;
        ev.rtt_us = -1;
    }
    if (ev.kind == PK_TIMEOUT)
        ev.rtt_us = -1;
    nk_close(fd);
    ping_event(r, &ev);
}

int
ping_tcp_run(struct ping_run *r)
{
    ping_sequence(r, tcp_probe, r);
    return 0;
}
