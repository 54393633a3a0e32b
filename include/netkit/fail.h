/* One failure path for every command (src/lib/fail.c): a command that
 * gives up on an nk_err prints "netkit CMD SUB: message" on stderr
 * (nk_diag) and returns the exit code the failing layer chose, or a
 * default when it chose none (exit_code 0: the layer did not know). */
#ifndef NETKIT_FAIL_H
#define NETKIT_FAIL_H

#include "netkit/err.h"

/* err's exit code, or dflt when it carries none. */
int nk_err_exit(const struct nk_err *err, int dflt);

/* Print "netkit CMD: MSG", or "netkit CMD SUB: MSG" when sub is not NULL,
 * and return nk_err_exit(err, NK_EX_SOFTWARE). */
int nk_fail(const char *cmd, const char *sub, const struct nk_err *err);

/* The same with another default than NK_EX_SOFTWARE (a connection's
 * I/O error: NK_EX_IOERR; a peer not reached: NK_EX_UNAVAILABLE). */
int nk_fail_or(const char *cmd, const char *sub, const struct nk_err *err,
               int dflt);

#endif
