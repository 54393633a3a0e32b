/* netkit fileshare serve's private interface: the server and client
 * state shared by the connection side (fileshare_serve.c: accepting,
 * request lines, threads, options) and the request side
 * (fileshare_serve_req.c: resolving paths, GET, LIST, PUT). */
#ifndef NETKIT_CMD_FILESHARE_SERVE_H
#define NETKIT_CMD_FILESHARE_SERVE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "netkit/accept.h"
#include "netkit/evloop.h"
#include "netkit/fileshare.h"
#include "netkit/net.h"
#include "netkit/sha256.h"

#define CACHE_SLOTS 64

struct srv_opts {
    const char *root;
    char port[8];
    const char *bind;
    uint64_t max_clients;
    int timeout_ms;
    int header_timeout_ms;
    int read_only;
    int allow_upload;
    int quiet;
};

struct cache_slot {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    uint8_t sha[NK_SHA256_LEN];
    int used;
};

struct client;

struct srv {
    struct srv_opts o;
    int root_fd;
    atomic_int stop;
    atomic_int active;        /* requests being served (threads) */
    atomic_size_t list_bytes; /* held by listings (fileshare_serve_req.c) */
    pthread_mutex_t mu;       /* the digest cache */
    struct cache_slot cache[CACHE_SLOTS];
    unsigned cache_next;
    /* The main thread's: */
    struct nk_loop *loop;
    int lfd;
    struct nk_acceptor acc;
    struct client *idle_head, *idle_tail; /* no request yet, oldest first */
    uint64_t nidle;
};

struct client {
    struct srv *s;
    int fd;
    char peer[NK_ADDRSTRLEN];
    char buf[NK_FS_LINE_MAX]; /* the request line, then what followed it */
    size_t have;
    size_t line_len; /* the request line's, without its '\n' */
    int64_t accepted_ms;
    struct client *prev, *next; /* the idle list */
};

/* A log line on stderr unless --quiet. */
void fss_log(const struct srv *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Serve the request whose line is in c->buf (c->line_len bytes, then
 * '\n' and whatever followed), and log it. The caller closes c->fd. */
void fss_serve(struct client *c);

#endif
