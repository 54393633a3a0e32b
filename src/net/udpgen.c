/* UDP load generators' sockets (udpgen.h): what echo-udp bench and sntp
 * bench did alike around nk_udp_send_batch and nk_udp_recv_batch. */
#include "netkit/udpgen.h"

#include "netkit/clock.h"
#include "netkit/net.h"

#define UDPGEN_BUFFERS (1 << 20) /* room for bursts at full rate */

int
nk_udpgen_open(struct nk_loop *loop, const struct addrinfo *ai, nk_ev_fn fn,
               void *arg, struct nk_err *err)
{
    int fd = nk_socket(ai->ai_family, SOCK_DGRAM, err);

    if (fd < 0)
        return -1;
    if (nk_connect_addr(fd, ai->ai_addr, ai->ai_addrlen, 1000, err) < 0 ||
        nk_udp_set_buffers(fd, UDPGEN_BUFFERS, NULL, NULL, err) < 0 ||
        nk_set_nonblock(fd, 1, err) < 0 ||
        nk_loop_add(loop, fd, NK_EV_READ, fn, arg, err) < 0) {
        nk_close(fd);
        return -1;
    }
    return fd;
}

int
nk_udpgen_send(int fd, const struct nk_udp_msg *m, int n,
               struct nk_loadgen_tally *t, int *blocked)
{
    struct nk_err err;
    int r = nk_udp_send_batch(fd, m, n, 0, &err);

    if (r < 0) {
        (void)nk_loadgen_send_failed(t, &err);
        r = 0;
    }
    if (blocked != NULL)
        *blocked = r < n;
    return r;
}

int
nk_udpgen_wait(void *loop, int timeout_ms, struct nk_err *err)
{
    return nk_loop_run_once(loop, timeout_ms, err) < 0 ? -1 : 0;
}

void
nk_udpgen_drain(int fd, struct nk_udp_msg *m, int n, int rounds,
                struct nk_loadgen_tally *t, nk_udpgen_take_fn take, void *arg)
{
    struct nk_err err;
    int got = n;

    for (int round = 0; round < rounds && got == n; round++) {
        got = nk_udp_recv_batch(fd, m, n, 0, &err);
        if (got < 0) {
            nk_loadgen_recv_failed(t, &err);
            return;
        }
        take(arg, m, got, nk_now_us());
    }
}
