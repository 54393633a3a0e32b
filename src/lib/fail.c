/* The one failure path (include/netkit/fail.h): commands had 21 copies of
 * `err.exit_code ? err.exit_code : NK_EX_SOFTWARE` after an nk_diag, and
 * subcommands spelled their own prefix. */
#include <stdio.h>

#include "netkit/exitcodes.h"
#include "netkit/fail.h"
#include "netkit/out.h"

int
nk_err_exit(const struct nk_err *err, int dflt)
{
    return err->exit_code != 0 ? err->exit_code : dflt;
}

int
nk_fail_or(const char *cmd, const char *sub, const struct nk_err *err,
           int dflt)
{
    char who[128];

    if (sub != NULL) {
        snprintf(who, sizeof who, "%s %s", cmd, sub);
        cmd = who;
    }
    nk_diag(cmd, "%s", err->msg);
    return nk_err_exit(err, dflt);
}

int
nk_fail(const char *cmd, const char *sub, const struct nk_err *err)
{
    return nk_fail_or(cmd, sub, err, NK_EX_SOFTWARE);
}
