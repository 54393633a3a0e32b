/* The sntp command's private interface: the server lives in its own file
 * (sntp_serve.c) and is dispatched from sntp.c when argv[1] is "serve".
 * argv[0] is "serve"; the return value is the exit status. */
#ifndef NETKIT_CMD_SNTP_H
#define NETKIT_CMD_SNTP_H

#include "commands.h"

int sntp_serve(int argc, char **argv, struct nk_ctx *ctx);
extern const char sntp_serve_usage[];

#endif
