/* The echo commands' private interface: each subcommand is its own file,
 * dispatched from echo_tcp.c / echo_udp.c. argv[0] is the subcommand name;
 * the return value is the exit status. */
#ifndef NETKIT_CMD_ECHO_H
#define NETKIT_CMD_ECHO_H

#include "commands.h"

int echo_tcp_serve(int argc, char **argv, struct nk_ctx *ctx);
int echo_tcp_client(int argc, char **argv, struct nk_ctx *ctx);
int echo_tcp_bench(int argc, char **argv, struct nk_ctx *ctx);
extern const struct nk_optspec echo_tcp_serve_spec;
extern const struct nk_optspec echo_tcp_client_spec;
extern const struct nk_optspec echo_tcp_bench_spec;

int echo_udp_serve(int argc, char **argv, struct nk_ctx *ctx);
int echo_udp_client(int argc, char **argv, struct nk_ctx *ctx);
int echo_udp_bench(int argc, char **argv, struct nk_ctx *ctx);
extern const struct nk_optspec echo_udp_serve_spec;
extern const struct nk_optspec echo_udp_client_spec;
extern const struct nk_optspec echo_udp_bench_spec;

#endif
