/* echo-udp's private interface: the entry echo_udp.c dispatches to the
 * subcommands, one file each. argv[0] is the subcommand name; the return
 * value is the exit status. */
#ifndef NETKIT_CMD_ECHO_UDP_INT_H
#define NETKIT_CMD_ECHO_UDP_INT_H

#include "commands.h"

int echo_udp_serve(int argc, char **argv, struct nk_ctx *ctx);
int echo_udp_client(int argc, char **argv, struct nk_ctx *ctx);
int echo_udp_bench(int argc, char **argv, struct nk_ctx *ctx);
extern const struct nk_optspec echo_udp_serve_spec;
extern const struct nk_optspec echo_udp_client_spec;
extern const struct nk_optspec echo_udp_bench_spec;

#endif
