/* SIGINT/SIGTERM -> a flag. The handler only stores: async-signal-safe. */
#include "netkit/signals.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_signal;

static void
on_stop(int sig)
{
    stop_signal = sig;
}

static int
set_handler(int sig, void (*fn)(int), struct nk_err *err)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: waits end with EINTR */
    if (sigaction(sig, &sa, NULL) < 0)
        return nk_err_sys(err, errno, "sigaction %d", sig);
    return 0;
}

int
nk_stop_install(struct nk_err *err)
{
    if (set_handler(SIGINT, on_stop, err) < 0 ||
        set_handler(SIGTERM, on_stop, err) < 0)
        return -1;
    return 0;
}

int
nk_stop_requested(void)
{
    return stop_signal;
}

void
nk_stop_reset(void)
{
    stop_signal = 0;
}

void
nk_stop_uninstall(void)
{
    (void)set_handler(SIGINT, SIG_DFL, NULL);
    (void)set_handler(SIGTERM, SIG_DFL, NULL);
}
