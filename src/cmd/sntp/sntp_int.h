/* The sntp command's private interface: the client (sntp.c, the
 * command's default), the server and the load generator (serve.c,
 * bench.c, rows of cmd_sntp_subs when argv[1] is exactly "serve" or
 * "bench") and the clock they share (clock.c). argv[0] is the
 * subcommand's name; the return value is the exit status. */
#ifndef NETKIT_CMD_SNTP_H
#define NETKIT_CMD_SNTP_H

#include <stdint.h>

#include "commands.h"
#include "netkit/udp.h"

/* clock.c: our clock (CLOCK_REALTIME) as an NTP 64-bit timestamp. */
uint64_t sntp_now_ntp(void);

/* When datagram m arrived, as an NTP timestamp: the kernel's arrival stamp
 * when the socket gives one (nk_udp_timestamps), so time it waited to be
 * read is not counted as network delay; else read_ts. */
uint64_t sntp_arrival(const struct nk_udp_msg *m, uint64_t read_ts);

int sntp_serve(int argc, char **argv, struct nk_ctx *ctx);
extern const struct nk_optspec sntp_serve_spec;
int sntp_bench(int argc, char **argv, struct nk_ctx *ctx);
extern const struct nk_optspec sntp_bench_spec;

#endif
