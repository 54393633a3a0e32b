/* The sntp command's private interface: the server and the load generator
 * live in their own files (sntp_serve.c, sntp_bench.c) and are dispatched
 * from sntp.c when argv[1] is exactly "serve" or "bench". argv[0] is the
 * subcommand's name; the return value is the exit status. */
#ifndef NETKIT_CMD_SNTP_H
#define NETKIT_CMD_SNTP_H

#include "commands.h"

int sntp_serve(int argc, char **argv, struct nk_ctx *ctx);
extern const char sntp_serve_usage[];
int sntp_bench(int argc, char **argv, struct nk_ctx *ctx);
extern const char sntp_bench_usage[];

#endif
