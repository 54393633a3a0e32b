/* Graceful stop for servers and long runs: SIGINT/SIGTERM set a flag that
 * loops check; the process is never killed mid-write by them. */
#ifndef NETKIT_SIGNALS_H
#define NETKIT_SIGNALS_H

#include "netkit/err.h"

/* Install handlers for SIGINT and SIGTERM that record the signal. They are
 * installed without SA_RESTART, so a blocking wait returns EINTR (the event
 * loop then returns 0) and the caller sees the request at once. 0 or -1. */
int nk_stop_install(struct nk_err *err);

/* The signal that asked for a stop (SIGINT or SIGTERM), or 0. */
int nk_stop_requested(void);

/* Forget a recorded request (tests; a server that restarts its loop). */
void nk_stop_reset(void);

/* Put back the default dispositions (a forked child that must die on
 * SIGTERM like any process). */
void nk_stop_uninstall(void);

#endif
