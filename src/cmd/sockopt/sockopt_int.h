/* The sockopt command's private interface: sockopt.c parses the options
 * and dispatches (one way) to show.c and the lessons in lessons.c; both
 * print through emit.c. */
#ifndef NETKIT_CMD_SOCKOPT_INT_H
#define NETKIT_CMD_SOCKOPT_INT_H

#include "commands.h"
#include "netkit/out.h"

enum so_mode { MODE_SHOW, MODE_REUSE, MODE_LISTEN };

/* What a fresh socket reports, in output order. */
enum {
    I_BLOCKING,
    I_TIMEOUT,
    I_SNDBUF,
    I_RCVBUF,
    I_REUSEADDR,
    I_KEEPALIVE,
    I_BROADCAST,
    I_NODELAY,
    I_MAXSEG,
    I_V6ONLY,
    I_PASSCRED,
    N_ITEMS
};

struct so_opts {
    enum so_mode mode;
    unsigned given;
    int family; /* AF_INET, AF_INET6, or AF_UNIX (--unix: a connected pair) */
    int udp;
    int local;        /* --unix */
    int set[N_ITEMS]; /* show: which items to change */
    int req[N_ITEMS]; /* show: the values asked for */
    int timeout_ms;   /* --timeout as given, -1 when absent */
    char port[8];
    const char *bind;
    int count;
    int lreuse;
    const char *spelled[8]; /* per G_ bit: the option as written */
};

/* emit.c: print a timeout of ms milliseconds under key: "none" in text and
 * null in JSON for 0, otherwise seconds with millisecond digits. */
void sockopt_emit_timeout(struct nk_out *o, const char *key, int ms);

/* show.c: the show mode (print a fresh socket's settings, apply the
 * changes asked for). */
int sockopt_run_show(struct nk_out *o, const struct nk_ctx *ctx,
                     const struct so_opts *opt);

/* lessons.c: the lessons, run for real with the parsed options; each prints
 * into o and returns the exit status (diagnostics go through ctx's command
 * name). */
int sockopt_run_reuse(struct nk_out *o, const struct nk_ctx *ctx,
                      const struct so_opts *opt);
int sockopt_run_listen(struct nk_out *o, const struct nk_ctx *ctx,
                       const struct so_opts *opt);

#endif
