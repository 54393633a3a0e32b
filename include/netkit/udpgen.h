/* The socket side of the UDP load generators (echo-udp bench, sntp
 * bench): a connected, non-blocking socket with large buffers, watched by
 * an event loop; and batched sends and receives that count a failure in
 * the bench's tally (loadgen.h) instead of ending the run. Never prints. */
#ifndef NETKIT_UDPGEN_H
#define NETKIT_UDPGEN_H

#include <netdb.h>

#include "netkit/err.h"
#include "netkit/evloop.h"
#include "netkit/loadgen.h"
#include "netkit/udp.h"

/* A UDP socket connected to ai (the kernel then drops datagrams from any
 * other source), 1 MiB of buffers asked for, non-blocking, on loop with
 * fn(arg) called when it is readable. The fd, or -1 with *err (nothing
 * left open). */
int nk_udpgen_open(struct nk_loop *loop, const struct addrinfo *ai,
                   nk_ev_fn fn, void *arg, struct nk_err *err);

/* Send m[0..n) in one batch. Returns how many went out (0 when none did:
 * the failure is in *t); *blocked (may be NULL) is set when not all went
 * out (a full send buffer, or a failure: either way, wait a little). */
int nk_udpgen_send(int fd, const struct nk_udp_msg *m, int n,
                   struct nk_loadgen_tally *t, int *blocked);

/* nk_loadgen_ops.wait for a bench on an event loop (wait_arg: the
 * struct nk_loop): one round of it. 0, or -1 with *err. */
int nk_udpgen_wait(void *loop, int timeout_ms, struct nk_err *err);

/* A bench's handler for one batch of replies m[0..n), received at
 * now_us (microseconds, clock.h). */
typedef void (*nk_udpgen_take_fn)(void *arg, const struct nk_udp_msg *m, int n,
                                  int64_t now_us);

/* Receive what is queued on fd, n datagrams per batch (m's buffers and
 * caps set by the caller), at most `rounds` batches so that other sockets
 * get their turn, handing each batch to take(arg). A failed receive is
 * counted in *t and ends the round. */
void nk_udpgen_drain(int fd, struct nk_udp_msg *m, int n, int rounds,
                     struct nk_loadgen_tally *t, nk_udpgen_take_fn take,
                     void *arg);

#endif
