/* The fileshare command's private interface: each subcommand is an entry
 * point dispatched from fileshare.c; argv[0] is the subcommand name and
 * the return value is the exit status. */
#ifndef NETKIT_CMD_FILESHARE_H
#define NETKIT_CMD_FILESHARE_H

#include "commands.h"

int fileshare_serve(int argc, char **argv, struct nk_ctx *ctx);
int fileshare_get(int argc, char **argv, struct nk_ctx *ctx);
int fileshare_list(int argc, char **argv, struct nk_ctx *ctx);
int fileshare_put(int argc, char **argv, struct nk_ctx *ctx);
extern const struct nk_optspec fileshare_serve_spec, fileshare_get_spec,
    fileshare_list_spec, fileshare_put_spec;

#endif
