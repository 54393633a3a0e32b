/* netkit ping's modules: options and output (ping.c), the ICMP loop
 * (icmp.c), the TCP connect loop (tcp.c). */
#ifndef NETKIT_CMD_PING_H
#define NETKIT_CMD_PING_H

#include <stddef.h>
#include <stdint.h>

#include "commands.h"
#include "netkit/clock.h"
#include "netkit/icmp.h"
#include "netkit/net.h"
#include "netkit/out.h"
#include "netkit/stats.h"

struct ping_cfg {
    const char *host;
    int family;
    long count; /* 0: until Ctrl-C or --deadline */
    int interval_ms;
    int timeout_ms;
    int deadline_ms; /* 0: none */
    long size;       /* ICMP data bytes */
    int ttl;         /* 0: the system's */
    int quiet;
    int jsonl;
    int lesson;
    uint16_t port; /* 0: ICMP; else --tcp or --udp PORT */
    int udp;       /* with port: UDP probes, not TCP connects */
    enum nk_icmp_mode sockmode;
};

/* What one probe came to. */
enum ping_kind {
    PK_REPLY,
    PK_DUP,
    PK_LATE,
    PK_TIMEOUT,
    PK_ERROR,   /* an ICMP error about the probe, or a send failure */
    PK_CORRUPT, /* our reply with altered or cut data */
    PK_OPEN,    /* TCP: connected (SYN-ACK); UDP: a datagram came back */
    PK_CLOSED   /* TCP: refused (RST); UDP: ICMP port unreachable: the
                 * port is closed, the host up */
};

struct ping_event {
    enum ping_kind kind;
    uint32_t seq;     /* as printed: the first probe is 1 */
    const char *from; /* numeric address, or NULL */
    size_t bytes;     /* ICMP message bytes */
    int ttl;          /* -1 unknown */
    int64_t rtt_us;   /* -1 none */
    const char *what; /* PK_ERROR: the error's words */
};

struct ping_run {
    const struct ping_cfg *cfg;
    const struct nk_ctx *ctx;
    struct nk_out o;
    char addr[NK_ADDRSTRLEN]; /* the host's address, numeric */
    struct nk_addr to;
    const char *mode; /* "icmp-datagram", "icmp-raw", "tcp" */
    uint16_t ident;
    uint64_t sent, received, dup, late, errors, corrupt, open, closed;
    struct nk_stats rtt; /* milliseconds, replies in time only */
    int64_t start_us, end_us;
    struct nk_err err;
};

/* The first line (or the JSON head), once the socket is open. */
void ping_header(struct ping_run *r);
/* The summary (or the JSON document's counts), at the end. */
void ping_print_summary(struct ping_run *r);
/* Report one event (its line, its JSON object) and count it. */
void ping_event(struct ping_run *r, const struct ping_event *ev);
/* The next wait in milliseconds until t_us (0 when due), at most cap. */
int ping_ms_until(int64_t t_us, int64_t now_us, int cap);

/* One probe of a loop that waits for each answer (tcp, udp): its event,
 * none when a stop request or the deadline (stop_at, 0: none) cut it. */
typedef void (*ping_probe_fn)(void *arg, uint32_t seq, int64_t stop_at);
/* The header, then probe(arg, seq, stop_at) for seq 1, 2, ... one each
 * --interval (or as soon as the previous one ended, if later) until
 * --count, --deadline or a stop request; r's start and end times. */
void ping_sequence(struct ping_run *r, ping_probe_fn probe, void *arg);

/* The loops: 0 when they ran (the counts tell the outcome), or -1 with
 * r->err (no socket). */
int ping_icmp_run(struct ping_run *r);
int ping_tcp_run(struct ping_run *r);
int ping_udp_run(struct ping_run *r);

#endif
