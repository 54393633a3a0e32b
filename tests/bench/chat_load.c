/* nk_chat_load: a load driver for line chat rooms (netkit chat serve,
 * ncat --chat), written in C on one nk_loop so the driver is not the
 * bottleneck of the benchmark. A benchmark helper, not a test.
 *
 * N clients connect (each may first say "/nick PREFIXi"), the room
 * settles (join notices are drained and not counted), then every client
 * sends L lines of B bytes while reading everything it receives. A line
 * counts as delivered when a client receives a line that ends with the
 * payload marker: servers prefix lines differently ("NICK: " for netkit,
 * "<user#N> " for ncat), so the driver counts lines, not content, and the
 * marker only keeps the room's notices out of the count.
 *
 * Flow control: a client that has sent s lines and received r may send
 * another only while s - r / (N - 1) < WINDOW. The client that has sent
 * the least can always send (it has received at least its share from
 * everyone), so the room cannot stall while the server delivers, and no
 * client gets more than about WINDOW * (N - 1) lines ahead of its reader.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netkit/err.h"
#include "netkit/evloop.h"
#include "netkit/net.h"
#include "netkit/parse.h"

#define MARK '#'
#define RBUF (256 * 1024)
#define LINE_MAX_B 4000

struct lclient {
    int fd;
    int idx;
    uint64_t sent; /* lines handed to the kernel completely */
    uint64_t recv; /* marked lines received */
    size_t part;   /* bytes of the current line already sent */
    char last;     /* last byte seen, for a line split across reads */
    unsigned want; /* events registered with the loop */
    int eof;
    struct load *ld;
};

struct load {
    const char *host, *port, *prefix;
    uint64_t nclients, lines, window;
    size_t size;
    double timeout_s;
    int counting; /* 0 while the room settles: lines are drained only */
    struct nk_loop *loop;
    struct lclient *c;
    char *line; /* one payload line of `size` bytes, '\n' included */
    uint64_t deliveries;
    int closed; /* clients whose server side went away */
    char rbuf[RBUF];
};

static const char usage[] =
    "usage: nk_chat_load --host H --port P --clients N --lines L [--size B]\n"
    "                    [--nick-prefix X] [--window W] [--settle MS]\n"
    "                    [--timeout S] [--help]\n"
    "  --nick-prefix X  send '/nick Xi' first (netkit chat); without it no\n"
    "                   hello line is sent (ncat --chat)\n"
    "  --size B         bytes per line, newline included (default 32)\n"
    "  --window W       lines a client may be ahead of its reader (8)\n"
    "  --settle MS      quiet time before the clock starts (500)\n"
    "  --timeout S      give up after S seconds of sending (60)\n"
    "prints deliveries, expected, seconds, deliveries_per_s; exit 0 when\n"
    "it measured, 64 usage, 69 connect failed, 70 internal\n";

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
may_send(const struct load *ld, const struct lclient *c)
{
    uint64_t peers = ld->nclients > 1 ? ld->nclients - 1 : 1;

    if (!ld->counting || c->eof || c->sent >= ld->lines)
        return 0;
    return c->sent < ld->window + c->recv / peers;
}

static void
set_events(struct load *ld, struct lclient *c)
{
    unsigned want;

    if (c->eof) {
        (void)nk_loop_del(ld->loop, c->fd);
        return;
    }
    want = NK_EV_READ | (may_send(ld, c) ? NK_EV_WRITE : 0);
    if (want != c->want) {
        (void)nk_loop_mod(ld->loop, c->fd, want, NULL);
        c->want = want;
    }
}

/* Count the marked lines in p[0..n); c->last carries the byte before. */
static void
count_lines(struct load *ld, struct lclient *c, const char *p, size_t n)
{
    const char *end = p + n, *q = p;
    uint64_t k = 0;

    while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
        char before = q > p ? q[-1] : c->last;
        if (before == MARK)
            k++;
        q++;
    }
    if (n > 0)
        c->last = p[n - 1];
    if (ld->counting) {
        c->recv += k;
        ld->deliveries += k;
    }
}

static void
do_read(struct load *ld, struct lclient *c)
{
    /* A few reads per event: enough to drain, bounded for fairness. */
    for (int i = 0; i < 4; i++) {
        ssize_t n = nk_recv_nb(c->fd, ld->rbuf, sizeof ld->rbuf);
        if (n == NK_IO_AGAIN)
            return;
        if (n <= 0) {
            c->eof = 1;
            ld->closed++;
            return;
        }
        count_lines(ld, c, ld->rbuf, (size_t)n);
        if ((size_t)n < sizeof ld->rbuf)
            return;
    }
}

/* One line per send, as people type; a partial send resumes later. */
static void
do_write(struct load *ld, struct lclient *c)
{
    while (may_send(ld, c)) {
        ssize_t n = nk_send_nb(c->fd, ld->line + c->part, ld->size - c->part);
        if (n == NK_IO_AGAIN)
            return;
        if (n < 0) {
            c->eof = 1;
            ld->closed++;
            return;
        }
        c->part += (size_t)n;
        if (c->part == ld->size) {
            c->part = 0;
            c->sent++;
        }
    }
}

static void
on_ev(struct nk_loop *loop, int fd, unsigned ev, void *arg)
{
    struct lclient *c = arg;
    struct load *ld = c->ld;

    (void)fd;
    if (c->eof) {
        (void)nk_loop_del(loop, c->fd);
        return;
    }
    if (ev & (NK_EV_READ | NK_EV_ERROR))
        do_read(ld, c);
    if (!c->eof && (ev & NK_EV_WRITE))
        do_write(ld, c);
    set_events(ld, c);
}

static int
connect_all(struct load *ld)
{
    struct nk_err err;
    char hello[128];

    for (uint64_t i = 0; i < ld->nclients; i++) {
        struct lclient *c = &ld->c[i];
        c->ld = ld;
        c->idx = (int)i;
        c->fd =
            nk_connect(ld->host, ld->port, 0, SOCK_STREAM, 10000, NULL, &err);
        if (c->fd < 0) {
            fprintf(stderr, "nk_chat_load: client %d: %s\n", c->idx, err.msg);
            return -1;
        }
        if (ld->prefix != NULL) {
            int k = snprintf(hello, sizeof hello, "/nick %s%d\n", ld->prefix,
                             c->idx);
            if (nk_send_all(c->fd, hello, (size_t)k, 10000, &err) < 0) {
                fprintf(stderr, "nk_chat_load: hello %d: %s\n", c->idx,
                        err.msg);
                return -1;
            }
        }
        if (nk_set_nonblock(c->fd, 1, &err) < 0 ||
            nk_loop_add(ld->loop, c->fd, NK_EV_READ, on_ev, c, &err) < 0) {
            fprintf(stderr, "nk_chat_load: %s\n", err.msg);
            return -1;
        }
        c->want = NK_EV_READ;
    }
    return 0;
}

/* Drain the join notices until the room has been quiet for settle_ms. */
static int
settle(struct load *ld, int settle_ms)
{
    struct nk_err err;
    int64_t quiet_until = nk_now_ms() + settle_ms;
    int64_t hard = nk_now_ms() + 30000;

    while (nk_now_ms() < quiet_until && nk_now_ms() < hard) {
        int k = nk_loop_run_once(ld->loop, 50, &err);
        if (k < 0) {
            fprintf(stderr, "nk_chat_load: %s\n", err.msg);
            return -1;
        }
        if (k > 0)
            quiet_until = nk_now_ms() + settle_ms;
    }
    return 0;
}

static int
run(struct load *ld, double *secs)
{
    struct nk_err err;
    uint64_t expected = ld->lines * ld->nclients * (ld->nclients - 1);
    double t0, deadline;

    ld->counting = 1;
    for (uint64_t i = 0; i < ld->nclients; i++)
        set_events(ld, &ld->c[i]);
    t0 = now_s();
    deadline = t0 + ld->timeout_s;
    while (ld->deliveries < expected && (uint64_t)ld->closed < ld->nclients) {
        double left = deadline - now_s();
        if (left <= 0)
            break;
        if (nk_loop_run_once(ld->loop, left > 0.1 ? 100 : 1, &err) < 0) {
            fprintf(stderr, "nk_chat_load: %s\n", err.msg);
            return -1;
        }
    }
    *secs = now_s() - t0;
    return 0;
}

static int
parse_args(struct load *ld, int argc, char **argv, int *settle_ms)
{
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"clients", required_argument, NULL, 'n'},
        {"lines", required_argument, NULL, 'l'},
        {"size", required_argument, NULL, 's'},
        {"nick-prefix", required_argument, NULL, 'x'},
        {"window", required_argument, NULL, 'w'},
        {"settle", required_argument, NULL, 'S'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, ":H:p:n:l:s:x:w:S:t:h", opts, NULL)) !=
           -1) {
        char *end = NULL;
        unsigned long long v = 0;
        if (c != 'H' && c != 'p' && c != 'x' && c != 'h' && c != '?' &&
            c != ':') {
            errno = 0;
            v = strtoull(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0') {
                fprintf(stderr, "nk_chat_load: bad number '%s'\n", optarg);
                return -1;
            }
        }
        switch (c) {
        case 'H':
            ld->host = optarg;
            break;
        case 'p':
            ld->port = optarg;
            break;
        case 'n':
            ld->nclients = v;
            break;
        case 'l':
            ld->lines = v;
            break;
        case 's':
            ld->size = (size_t)v;
            break;
        case 'x':
            ld->prefix = optarg;
            break;
        case 'w':
            ld->window = v;
            break;
        case 'S':
            *settle_ms = (int)v;
            break;
        case 't':
            ld->timeout_s = (double)v;
            break;
        case 'h':
            fputs(usage, stdout);
            return 1;
        default:
            fprintf(stderr, "nk_chat_load: bad option\n%s", usage);
            return -1;
        }
    }
    if (ld->host == NULL || ld->port == NULL || ld->nclients < 2 ||
        ld->nclients > 10000 || ld->lines == 0 || ld->size < 4 ||
        ld->size > LINE_MAX_B || ld->window == 0 || *settle_ms > 60000 ||
        ld->timeout_s <= 0) {
        fprintf(stderr,
                "nk_chat_load: need --host, --port, --clients >= 2, "
                "--lines >= 1, 4 <= --size <= 4000\n%s",
                usage);
        return -1;
    }
    return 0;
}

static void
make_line(struct load *ld)
{
    memset(ld->line, 'x', ld->size);
    ld->line[0] = 'm';
    ld->line[ld->size - 2] = MARK;
    ld->line[ld->size - 1] = '\n';
}

static int
load_main(struct load *ld, int argc, char **argv)
{
    struct nk_err err;
    int settle_ms = 500, rc;
    double secs = 0;
    uint64_t expected;

    rc = parse_args(ld, argc, argv, &settle_ms);
    if (rc != 0)
        return rc > 0 ? 0 : 64;
    ld->c = calloc(ld->nclients, sizeof *ld->c);
    ld->line = malloc(ld->size);
    ld->loop = nk_loop_new(NK_LOOP_DEFAULT, &err);
    if (ld->c == NULL || ld->line == NULL || ld->loop == NULL) {
        fprintf(stderr, "nk_chat_load: setup failed\n");
        return 70;
    }
    for (uint64_t i = 0; i < ld->nclients; i++)
        ld->c[i].fd = -1;
    make_line(ld);
    if (connect_all(ld) < 0)
        return 69;
    if (settle(ld, settle_ms) < 0 || run(ld, &secs) < 0)
        return 70;
    expected = ld->lines * ld->nclients * (ld->nclients - 1);
    printf("clients: %llu\n", (unsigned long long)ld->nclients);
    printf("lines: %llu\n", (unsigned long long)ld->lines);
    printf("size: %zu\n", ld->size);
    printf("deliveries: %llu\n", (unsigned long long)ld->deliveries);
    printf("expected: %llu\n", (unsigned long long)expected);
    printf("complete: %s\n", ld->deliveries == expected ? "yes" : "no");
    printf("seconds: %.6f\n", secs);
    printf("deliveries_per_s: %.0f\n",
           secs > 0 ? (double)ld->deliveries / secs : 0.0);
    return 0;
}

static void
load_free(struct load *ld)
{
    if (ld->c != NULL) {
        for (uint64_t i = 0; i < ld->nclients; i++) {
            if (ld->c[i].fd >= 0) {
                if (ld->loop != NULL)
                    nk_loop_del(ld->loop, ld->c[i].fd);
                nk_close(ld->c[i].fd);
            }
        }
    }
    nk_loop_free(ld->loop);
    free(ld->c);
    free(ld->line);
}

int
main(int argc, char **argv)
{
    struct load *ld = calloc(1, sizeof *ld);
    int rc;

    if (ld == NULL)
        return 70;
    ld->size = 32;
    ld->window = 8;
    ld->timeout_s = 60;
    rc = load_main(ld, argc, argv);
    load_free(ld);
    free(ld);
    return rc;
}
