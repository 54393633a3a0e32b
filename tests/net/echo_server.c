/* nk_test_echo_server: a TCP echo server (RFC 862) built on the helper
 * layer, for the shell integration harness (as libuv's tests run an echo
 * server as a helper process). Not a cmocka test.
 *
 *   nk_test_echo_server [--bind ADDR] [--port P]
 *
 * ADDR defaults to 127.0.0.1 ("*" means the dual-stack wildcard), P to "0"
 * (an ephemeral port). Once listening it prints exactly one line to stderr,
 *   nk_test_echo_server: listening on 127.0.0.1:43211
 * then serves clients one at a time, echoing every byte until the client
 * closes. SIGTERM or SIGINT ends it with status 0 and
 * "nk_test_echo_server: stopped" on stderr. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netkit/exitcodes.h"
#include "netkit/net.h"

#define PROG "nk_test_echo_server"
/* How often the stop flag is looked at while waiting. nk_poll retries
 * EINTR itself, so the flag, not the signal, is what ends a wait. */
#define TICK_MS 200
/* A client that stops reading its echo for this long is dropped. */
#define SEND_TIMEOUT_MS 5000

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: " PROG " [--bind ADDR] [--port P]\n"
               "  --bind ADDR  address to listen on (default 127.0.0.1;\n"
               "               \"*\" = dual-stack wildcard)\n"
               "  --port P     port (default 0: an ephemeral port)\n");
}

/* Echo one client until it closes, fails, or a stop is asked for. */
static void
serve(int cfd)
{
    char buf[16384];
    struct nk_err err;

    while (!stop) {
        int rc = nk_wait_fd(cfd, POLLIN, TICK_MS, &err);
        ssize_t n;

        if (rc < 0) {
            fprintf(stderr, PROG ": %s\n", err.msg);
            return;
        }
        if (rc == 0)
            continue;
        n = read(cfd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            nk_err_sys(&err, errno, "receive");
            fprintf(stderr, PROG ": %s\n", err.msg);
            return;
        }
        if (n == 0)
            return; /* the client closed: done with it */
        if (nk_send_all(cfd, buf, (size_t)n, SEND_TIMEOUT_MS, &err) < 0) {
            fprintf(stderr, PROG ": %s\n", err.msg);
            return;
        }
    }
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"bind", required_argument, NULL, 'b'},
        {"port", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *host = "127.0.0.1", *port = "0";
    char where[NK_ADDRSTRLEN];
    struct sigaction sa;
    struct nk_addr la;
    struct nk_err err;
    int c, lfd, status = NK_EX_OK;

    while ((c = getopt_long(argc, argv, "b:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            host = strcmp(optarg, "*") == 0 ? NULL : optarg;
            break;
        case 'p':
            port = optarg;
            break;
        case 'h':
            usage(stdout);
            return NK_EX_OK;
        default:
            usage(stderr);
            return NK_EX_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return NK_EX_USAGE;
    }

    nk_net_init();
    /* No SA_RESTART: nothing here should sleep through a stop. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    lfd = nk_listen(host, port, AF_UNSPEC, SOCK_STREAM, 16, &err);
    if (lfd < 0 || nk_local_addr(lfd, &la, &err) < 0 ||
        nk_set_nonblock(lfd, 1, &err) < 0) {
        fprintf(stderr, PROG ": %s\n", err.msg);
        nk_close(lfd);
        return err.exit_code != 0 ? err.exit_code : NK_EX_SOFTWARE;
    }
    nk_addr_format((struct sockaddr *)&la.ss, la.len, where, sizeof where);
    fprintf(stderr, PROG ": listening on %s\n", where);
    fflush(stderr);

    while (!stop) {
        int rc = nk_wait_fd(lfd, POLLIN, TICK_MS, &err);
        int cfd;

        if (rc < 0) {
            fprintf(stderr, PROG ": %s\n", err.msg);
            status = err.exit_code;
            break;
        }
        if (rc == 0)
            continue;
        /* Non-blocking listener and client: a client that gave up between
         * poll and accept is EAGAIN, and a stuck client cannot hold a stop
         * beyond SEND_TIMEOUT_MS. */
        cfd = nk_accept(lfd, NULL, 1, &err);
        if (cfd < 0) {
            if (err.sys_errno != EAGAIN) {
                /* EMFILE and the like: say so, then pause rather than
                 * spin on a listener that stays readable. */
                fprintf(stderr, PROG ": %s\n", err.msg);
                nk_poll(NULL, 0, TICK_MS, NULL);
            }
            continue;
        }
        serve(cfd);
        nk_close(cfd);
    }
    nk_close(lfd);
    if (status == NK_EX_OK)
        fprintf(stderr, PROG ": stopped\n");
    return status;
}
