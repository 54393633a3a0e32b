/* echo-tcp's private interface. echo_tcp.c dispatches to the subcommands;
 * client.c is the client, bench.c the load generator; the server is two
 * files: serve.c (options, logging, listeners and accepting, starting
 * and stopping the run, the totals) and models.c (the
 * per-connection engine and the six designs that drive it), sharing the
 * srv_* types below. Not part of any other command. */
#ifndef NETKIT_CMD_ECHO_TCP_INT_H
#define NETKIT_CMD_ECHO_TCP_INT_H

#include "commands.h"

/* The subcommands (argv[0] is the subcommand name; the return value is
 * the exit status) and their option tables. */
int echo_tcp_serve(int argc, char **argv, struct nk_ctx *ctx);
int echo_tcp_client(int argc, char **argv, struct nk_ctx *ctx);
int echo_tcp_bench(int argc, char **argv, struct nk_ctx *ctx);
extern const struct nk_optspec echo_tcp_serve_spec;
extern const struct nk_optspec echo_tcp_client_spec;
extern const struct nk_optspec echo_tcp_bench_spec;

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "netkit/accept.h"
#include "netkit/err.h"
#include "netkit/evloop.h"

#define BUF_SIZE (64 * 1024) /* one read; the most a client keeps pending */
#define MAX_WORKERS 64

enum model { M_ITERATIVE, M_FORK, M_THREAD, M_SELECT, M_POLL, M_EPOLL };

struct srv_opts {
    char port[8];
    const char *bind;   /* NULL: dual-stack wildcard */
    const char *mode;   /* --mode of a unix:PATH socket file, or NULL */
    const char *fdname; /* --fdname: of the sockets systemd passed */
    enum model model;
    int workers;
    uint64_t max_conns; /* 0: no limit */
    int idle_ms;        /* 0: never */
    int quiet;
};

/* Counters of every worker, thread and forked child. They live in a shared
 * anonymous mapping so that children can add theirs; lock-free atomics
 * work across processes there. */
struct srv_totals {
    atomic_ullong conns, rejected, bytes_in, bytes_out, idle, errors, at_stop;
    atomic_llong live; /* clients open now, for --max-conns */
};

struct srv {
    struct srv_opts o;
    const char *name; /* "echo-tcp", for log lines */
    int lfd[MAX_WORKERS];
    int nlfd;
    int stop_rd, stop_wr;
    struct srv_totals *t;
    pthread_t main_th;
    atomic_int fatal;
    struct nk_err fatal_err;
    pthread_mutex_t mu; /* thread model: connection threads still running */
    pthread_cond_t cv;
    int nthreads;
};

enum { ACC_NONE = -1, ACC_SHED = -2, ACC_PAUSE = -3 };

/* Each listener's acceptor is the shared one (netkit/accept.h): a spare
 * descriptor for EMFILE, a pause, rate-limited messages. */
#define ets_paused(a) ((a)->resume_ms != 0)

/* The acceptor of the iterative, fork and thread designs. */
struct srv_front {
    struct srv *s;
    enum model model;
    struct nk_acceptor acc;
    char *buf;
    int stopping;
    pid_t *kids; /* fork: children still running */
    size_t nkids, capkids;
    pthread_t th;
};

struct conn; /* private to models.c */

/* An event-loop worker of the select, poll and epoll designs. */
struct srv_worker {
    struct srv *s;
    struct nk_acceptor acc;
    struct nk_loop *loop; /* poll/epoll; NULL: the select design */
    char *buf;            /* one read, shared by this worker's clients */
    struct conn *head, *tail;
    unsigned round; /* select: dispatch round */
    int stopping;
    pthread_t th;
};

/* --- serve.c: logging ------------------------------------------ */

/* Always printed: start, stop, failures of the server itself. One whole
 * line per call, safe from any thread. */
void ets_say(const struct srv *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The per-connection log line; dropped under --quiet. */
void ets_note(const struct srv *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A condition of the server's (out of descriptors): shown even with
 * --quiet, at most once a second per acceptor. */
void ets_warn(const struct srv *s, struct nk_acceptor *a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- serve.c: accepting ---------------------------------------- */

/* Accept one client as a non-blocking fd (>= 0) with its address text in
 * peer, or ACC_NONE (nothing pending), ACC_SHED (one client dropped) or
 * ACC_PAUSE (accepts are paused: see ets_paused, nk_acceptor_resume). */
int ets_accept_next(struct srv *s, struct nk_acceptor *a, char *peer,
                    size_t size);
/* Count the client in (1), or refuse it and close fd when --max-conns
 * are open (0). */
int ets_admit(struct srv *s, int fd, const char *peer);
/* A design cannot go on: record err (first one wins) and wake the main
 * thread, which stops the server. */
void ets_srv_fatal(struct srv *s, const struct nk_err *err);

/* --- models.c: the designs ------------------------------------- */

/* Thread body of the iterative, fork and thread designs (arg: struct
 * front, set up by the caller); returns on the stop (or a fatal error)
 * once every child or connection thread is done. */
void *ets_front_main(void *arg);
/* Thread body of a select, poll or epoll worker (arg: struct srv_worker);
 * returns on the stop (or a fatal error) with its clients all closed. */
void *ets_worker_main(void *arg);
/* nk_loop callbacks of a poll/epoll worker (arg: struct srv_worker): its
 * listener is readable; the stop pipe is readable. */
void ets_on_listen(struct nk_loop *loop, int fd, unsigned ev, void *arg);
void ets_on_stop(struct nk_loop *loop, int fd, unsigned ev, void *arg);

#endif
