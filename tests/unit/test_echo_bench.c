/* echo-tcp client and bench, run in-process through nk_main (so the
 * sanitizers see the whole stack) against a forked loopback peer that
 * echoes, mis-echoes, echoes twice, stays silent or hangs up. Covers the
 * option checks, the byte-for-byte verification and its bookkeeping, the
 * exit statuses and the text/JSON reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "netkit/exitcodes.h"
#include "netkit/net.h"
#include "netkit/signals.h"

enum peer_mode { ECHO, CORRUPT, DOUBLE, SILENT, HANGUP };

#define MAX_CLIENTS 32

static volatile sig_atomic_t peer_stop;

static void
on_term(int sig)
{
    (void)sig;
    peer_stop = 1;
}

/* What the peer sends back for n received bytes (buf is rewritten). */
static void
peer_reply(int fd, unsigned char *buf, ssize_t n, enum peer_mode mode)
{
    struct nk_err err;

    if (mode == SILENT)
        return;
    if (mode == CORRUPT)
        for (ssize_t i = 0; i < n; i++)
            buf[i] = buf[i] == 'a' ? 'b' : buf[i];
    (void)nk_send_all(fd, buf, (size_t)n, 5000, &err);
    if (mode == DOUBLE)
        (void)nk_send_all(fd, buf, (size_t)n, 5000, &err);
}

static void
peer_accept(int lfd, struct pollfd *p, nfds_t *np, enum peer_mode mode)
{
    struct nk_err err;
    int fd = nk_accept(lfd, NULL, 0, &err);

    if (fd < 0)
        return;
    if (mode == HANGUP || *np >= MAX_CLIENTS + 1) {
        close(fd);
        return;
    }
    p[*np].fd = fd;
    p[*np].events = POLLIN;
    (*np)++;
}

/* The child: a poll loop over the listener and its clients, bounded by
 * alarm() so it cannot outlive a crashed test. */
static void
peer_main(int lfd, enum peer_mode mode)
{
    static unsigned char buf[65536];
    struct pollfd p[MAX_CLIENTS + 1];
    nfds_t np = 1;

    nk_stop_uninstall();
    signal(SIGTERM, on_term);
    alarm(60);
    p[0].fd = lfd;
    p[0].events = POLLIN;
    while (!peer_stop) {
        if (poll(p, np, 100) <= 0)
            continue;
        if (p[0].revents & POLLIN)
            peer_accept(lfd, p, &np, mode);
        for (nfds_t i = 1; i < np; i++) {
            ssize_t n;
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            n = read(p[i].fd, buf, sizeof buf);
            if (n > 0) {
                peer_reply(p[i].fd, buf, n, mode);
                continue;
            }
            if (n == 0 && mode == SILENT) {
                p[i].events = 0; /* half-closed: keep it, say nothing */
                continue;
            }
            close(p[i].fd);
            p[i--] = p[--np];
        }
    }
    _exit(0);
}

static pid_t peer_pid;
static char peer_port[8];

static void
peer_start(enum peer_mode mode)
{
    struct nk_err err;
    struct nk_addr a;
    int lfd = nk_listen("127.0.0.1", "0", AF_INET, SOCK_STREAM, 64, &err);

    assert_true(lfd >= 0);
    assert_int_equal(nk_local_addr(lfd, &a, &err), 0);
    snprintf(peer_port, sizeof peer_port, "%d",
             nk_addr_port((struct sockaddr *)&a.ss));
    fflush(NULL);
    peer_pid = fork();
    assert_true(peer_pid >= 0);
    if (peer_pid == 0)
        peer_main(lfd, mode);
    close(lfd);
}

static void
peer_stop_now(void)
{
    int status;

    kill(peer_pid, SIGTERM);
    waitpid(peer_pid, &status, 0);
}

/* A port nothing listens on: bound, read, closed. */
static void
refused_port(void)
{
    struct nk_err err;
    struct nk_addr a;
    int fd = nk_listen("127.0.0.1", "0", AF_INET, SOCK_STREAM, 1, &err);

    assert_true(fd >= 0);
    assert_int_equal(nk_local_addr(fd, &a, &err), 0);
    snprintf(peer_port, sizeof peer_port, "%d",
             nk_addr_port((struct sockaddr *)&a.ss));
    close(fd);
}

/* The last run's output, as capture.h keeps it. */
static const char *out_buf = "", *err_buf = "";
static size_t out_len;

/* Run nk_main with stdout and stderr captured (out_buf, err_buf) and
 * stdin from `in` (NULL: /dev/null). Returns the exit status. */
static int
run(char **argv, const char *in)
{
    int argc = 0, rc;

    while (argv[argc] != NULL)
        argc++;
    out_buf = nk_test_capture_stdin(argv, argc, in, &rc, &out_len);
    err_buf = nk_test_captured_err();
    return rc;
}

/* The number after "key: " in the text output, or -1. */
static long long
fact(const char *key)
{
    char pat[64];
    const char *p;

    snprintf(pat, sizeof pat, "\n%s: ", key);
    if (strncmp(out_buf, pat + 1, strlen(pat + 1)) == 0)
        return strtoll(out_buf + strlen(pat + 1), NULL, 10);
    p = strstr(out_buf, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* ---- options ---- */

static void
test_usage_errors(void **state)
{
    static char *cases[][8] = {
        {"client", "hello"},
        {"client", "--port", "0"},
        {"client", "--port", "70000"},
        {"client", "--port", "7", "--count", "0"},
        {"client", "--port", "7", "--count", "2", "msg"},
        {"client", "--port", "7", "--size", "10"},
        {"client", "--port", "7", "a", "b"},
        {"client", "--port", "7", "--timeout", "0"},
        {"client", "--port", "7", "--timeout"},
        {"client", "--port", "7", "--bogus"},
        {"bench"},
        {"bench", "--port", "7", "--conns", "0"},
        {"bench", "--port", "7", "--size", "0"},
        {"bench", "--port", "7", "--pipeline", "0"},
        {"bench", "--port", "7", "--pipeline", "5000"},
        {"bench", "--port", "7", "--duration", "0"},
        {"bench", "--port", "7", "--duration", "4000"},
        {"bench", "--port", "7", "--threads", "0"},
        {"bench", "--port", "7", "extra"},
        {"bench", "--port", "7", "-x"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[12] = {"netkit", "echo-tcp"}, want[64];
        for (int j = 0; j < 8 && cases[i][j] != NULL; j++)
            argv[2 + j] = cases[i][j];
        if (run(argv, NULL) != NK_EX_USAGE)
            fail_msg("case %zu (%s %s): not a usage error", i, argv[2],
                     argv[3] ? argv[3] : "");
        snprintf(want, sizeof want, "netkit echo-tcp %s: ", argv[2]);
        assert_non_null(strstr(err_buf, want));
        assert_int_equal(out_len, 0);
    }
}

static void
test_help(void **state)
{
    char *client[] = {"netkit", "echo-tcp", "client", "--help", NULL};
    char *bench[] = {"netkit", "echo-tcp", "bench", "-h", NULL};
    (void)state;
    assert_int_equal(run(client, NULL), NK_EX_OK);
    assert_int_equal(strncmp(out_buf, "usage: netkit echo-tcp client", 29), 0);
    assert_non_null(strstr(out_buf, "examples:\n  netkit "));
    assert_int_equal(run(bench, NULL), NK_EX_OK);
    assert_int_equal(strncmp(out_buf, "usage: netkit echo-tcp bench", 28), 0);
    assert_non_null(strstr(out_buf, "--pipeline"));
}

/* ---- client ---- */

static void
test_client_message(void **state)
{
    char *argv[] = {"netkit", "echo-tcp", "client", "--host", "127.0.0.1",
                    "--port", peer_port,  "hello",  NULL};
    char *no_nl[] = {"netkit", "echo-tcp", "client", "-H", "127.0.0.1",
                     "-p",     peer_port,  "-N",     "x",  NULL};
    (void)state;
    peer_start(ECHO);
    assert_int_equal(run(argv, NULL), NK_EX_OK);
    assert_string_equal(out_buf, "hello\n");
    assert_non_null(strstr(err_buf, "echo verified: 6 bytes from 127.0.0.1:"));
    assert_int_equal(run(no_nl, NULL), NK_EX_OK);
    assert_string_equal(out_buf, "x");
    peer_stop_now();
}

/* Standard input larger than the client's window (1 MiB): streamed,
 * echoed to stdout intact. */
static void
test_client_stdin(void **state)
{
    char path[] = "/tmp/nk_test_eb_in_XXXXXX";
    char *argv[] = {"netkit",    "echo-tcp", "client",  "-H",
                    "127.0.0.1", "-p",       peer_port, NULL};
    size_t n = 3 * 1024 * 1024 + 123;
    char *data = malloc(n);
    int fd = mkstemp(path);
    (void)state;
    assert_non_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)(i * 7 + i / 251);
    assert_true(write(fd, data, n) == (ssize_t)n);
    close(fd);
    peer_start(ECHO);
    assert_int_equal(run(argv, path), NK_EX_OK);
    assert_int_equal(out_len, n);
    assert_int_equal(memcmp(out_buf, data, out_len), 0);
    assert_non_null(strstr(err_buf, "echo verified: 3145851 bytes"));
    peer_stop_now();
    unlink(path);
    free(data);
}

static void
test_client_json(void **state)
{
    char *argv[] = {"netkit",    "--json", "echo-tcp", "client", "-H",
                    "127.0.0.1", "-p",     peer_port,  "a\"b",   NULL};
    (void)state;
    peer_start(ECHO);
    assert_int_equal(run(argv, NULL), NK_EX_OK);
    assert_non_null(strstr(out_buf, "\"match\": true"));
    assert_non_null(strstr(out_buf, "\"bytes_received\": 4"));
    assert_non_null(strstr(out_buf, "\"echo\": \"a\\\"b\\n\""));
    assert_non_null(strstr(out_buf, "\"echo_truncated\": false"));
    peer_stop_now();
}

static void
test_client_mismatch(void **state)
{
    char *argv[] = {"netkit", "echo-tcp", "client", "-H", "127.0.0.1",
                    "-p",     peer_port,  "banana", NULL};
    char *json[] = {"netkit", "echo-tcp", "client", "-H",     "127.0.0.1",
                    "-p",     peer_port,  "--json", "banana", NULL};
    (void)state;
    peer_start(CORRUPT);
    assert_int_equal(run(argv, NULL), NK_EX_PROTOCOL);
    assert_string_equal(out_buf, "bbnbnb\n");
    assert_non_null(strstr(err_buf, "echo mismatch at byte 1: sent 0x61 'a', "
                                    "received 0x62 'b'"));
    assert_int_equal(run(json, NULL), NK_EX_PROTOCOL);
    assert_non_null(strstr(out_buf, "\"match\": false"));
    assert_non_null(strstr(out_buf, "\"first_difference\": 1"));
    peer_stop_now();
}

static void
test_client_long_echo(void **state)
{
    char *argv[] = {"netkit", "echo-tcp", "client", "-H", "127.0.0.1",
                    "-p",     peer_port,  "-q",     "ab", NULL};
    char *verbose[] = {"netkit", "echo-tcp", "client", "-H", "127.0.0.1",
                       "-p",     peer_port,  "ab",     NULL};
    (void)state;
    peer_start(DOUBLE);
    assert_int_equal(run(argv, NULL), NK_EX_PROTOCOL);
    assert_string_equal(err_buf, ""); /* --quiet: no verdict line */
    assert_int_equal(run(verbose, NULL), NK_EX_PROTOCOL);
    assert_non_null(strstr(err_buf, "more came back than was sent"));
    peer_stop_now();
}

static void
test_client_hangup(void **state)
{
    char *argv[] = {"netkit", "echo-tcp", "client", "-H", "127.0.0.1",
                    "-p",     peer_port,  "hi",     NULL};
    int rc;
    (void)state;
    peer_start(HANGUP);
    /* A reset may come first on some kernels: either way it is no echo. */
    rc = run(argv, NULL);
    assert_true(rc == NK_EX_PROTOCOL || rc == NK_EX_IOERR);
    peer_stop_now();
}

static void
test_client_ping(void **state)
{
    char *argv[] = {"netkit", "echo-tcp", "client",  "-H", "127.0.0.1",
                    "-p",     peer_port,  "--count", "3",  "--interval",
                    "0.01",   "--size",   "100",     NULL};
    char *json[] = {"netkit", "echo-tcp", "client", "-H", "127.0.0.1",
                    "-p",     peer_port,  "-c",     "2",  "-i",
                    "0",      "--json",   NULL};
    char line[64];
    (void)state;
    peer_start(ECHO);
    assert_int_equal(run(argv, NULL), NK_EX_OK);
    for (int seq = 1; seq <= 3; seq++) {
        snprintf(line, sizeof line, "100 bytes from 127.0.0.1:%s: seq=%d ",
                 peer_port, seq);
        assert_non_null(strstr(out_buf, line));
    }
    assert_int_equal(fact("sent"), 3);
    assert_int_equal(fact("received"), 3);
    assert_int_equal(fact("mismatches"), 0);
    assert_non_null(strstr(out_buf, "\nrtt_avg_ms: "));
    assert_int_equal(run(json, NULL), NK_EX_OK);
    assert_non_null(strstr(out_buf, "\"probes\": ["));
    assert_non_null(strstr(out_buf, "\"seq\": 2"));
    assert_non_null(strstr(out_buf, "\"received\": 2"));
    peer_stop_now();
}

/* Probes carry 'a' bytes somewhere in 64 pseudo-random ones often
 * enough: a corrupting peer shows as mismatches and exit 76. */
static void
test_client_ping_mismatch(void **state)
{
    char *argv[] = {"netkit", "echo-tcp", "client", "-H", "127.0.0.1",
                    "-p",     peer_port,  "-c",     "5",  "-i",
                    "0",      "-s",       "4096",   NULL};
    (void)state;
    peer_start(CORRUPT);
    assert_int_equal(run(argv, NULL), NK_EX_PROTOCOL);
    assert_true(fact("mismatches") > 0);
    assert_non_null(strstr(out_buf, "(echo differs)"));
    peer_stop_now();
}

static void
test_client_failures(void **state)
{
    char *refused[] = {"netkit", "echo-tcp", "client", "-H", "127.0.0.1",
                       "-p",     peer_port,  "hi",     NULL};
    char *nohost[] = {"netkit", "echo-tcp", "client", "-H", "nosuch.invalid",
                      "-p",     "7",        "hi",     NULL};
    char *silent[] = {"netkit",  "echo-tcp", "client", "-H", "127.0.0.1", "-p",
                      peer_port, "-t",       "0.2",    "hi", NULL};
    (void)state;
    refused_port();
    assert_int_equal(run(refused, NULL), NK_EX_UNAVAILABLE);
    assert_non_null(strstr(err_buf, "connection refused"));
    assert_int_equal(out_len, 0); /* the raw echo channel stays clean */
    assert_int_equal(run(nohost, NULL), NK_EX_NOHOST);
    peer_start(SILENT);
    assert_int_equal(run(silent, NULL), NK_EX_TEMPFAIL);
    assert_non_null(strstr(err_buf, "nothing came back within 0.200 s"));
    peer_stop_now();
}

/* ---- bench ---- */

static void
test_bench_clean(void **state)
{
    char *argv[] = {"netkit",    "echo-tcp",   "bench",   "-H",
                    "127.0.0.1", "-p",         peer_port, "--conns",
                    "3",         "--pipeline", "4",       "--duration",
                    "0.3",       "--size",     "1000",    NULL};
    (void)state;
    peer_start(ECHO);
    assert_int_equal(run(argv, NULL), NK_EX_OK);
    assert_true(fact("requests") > 0);
    assert_int_equal(fact("connected"), 3);
    assert_int_equal(fact("errors"), 0);
    assert_int_equal(fact("mismatches"), 0);
    assert_int_equal(fact("pipeline"), 4);
    /* every completed request came back whole */
    assert_true(fact("bytes_received") >= fact("requests") * 1000);
    assert_true(fact("bytes_sent") >= fact("bytes_received"));
    assert_true(fact("latency_p50_us") <= fact("latency_p99_us"));
    assert_true(fact("latency_p99_us") <= fact("latency_max_us"));
    assert_null(strstr(out_buf, "first_error"));
    assert_string_equal(err_buf, ""); /* no progress line off a terminal */
    peer_stop_now();
}

static void
test_bench_threads_json(void **state)
{
    char *argv[] = {"netkit", "echo-tcp", "bench", "-H", "127.0.0.1",
                    "-p",     peer_port,  "-P",    "5",  "-T",
                    "2",      "-d",       "0.3",   "-j", NULL};
    (void)state;
    peer_start(ECHO);
    assert_int_equal(run(argv, NULL), NK_EX_OK);
    assert_int_equal(out_buf[0], '{');
    assert_non_null(strstr(out_buf, "\"threads\": 2"));
    assert_non_null(strstr(out_buf, "\"connected\": 5"));
    assert_non_null(strstr(out_buf, "\"mismatches\": 0"));
    assert_non_null(strstr(out_buf, "\"latency_p999_us\": "));
    peer_stop_now();
}

static void
test_bench_mismatch(void **state)
{
    char *argv[] = {"netkit", "echo-tcp", "bench", "-H", "127.0.0.1",
                    "-p",     peer_port,  "-P",    "2",  "-s",
                    "512",    "-d",       "0.3",   NULL};
    (void)state;
    peer_start(CORRUPT);
    assert_int_equal(run(argv, NULL), NK_EX_PROTOCOL);
    assert_true(fact("mismatches") > 0);
    assert_true(fact("requests") >= fact("mismatches"));
    assert_int_equal(fact("errors"), 0);
    peer_stop_now();
}

/* Every chunk echoed twice: depending on how the copies arrive they
 * read as the next request's bytes (wrong pattern) or as more than was
 * sent (the connection is dropped); a mismatch either way. */
static void
test_bench_long_echo(void **state)
{
    char *argv[] = {"netkit",  "echo-tcp", "bench", "-H", "127.0.0.1", "-p",
                    peer_port, "-P",       "2",     "-d", "0.3",       NULL};
    (void)state;
    peer_start(DOUBLE);
    assert_int_equal(run(argv, NULL), NK_EX_PROTOCOL);
    assert_true(fact("mismatches") >= 1);
    peer_stop_now();
}

static void
test_bench_failures(void **state)
{
    char *refused[] = {"netkit",    "echo-tcp", "bench",   "-H",
                       "127.0.0.1", "-p",       peer_port, "-P",
                       "2",         "-d",       "0.2",     NULL};
    char *hangup[] = {"netkit", "echo-tcp", "bench", "-H", "127.0.0.1",
                      "-p",     peer_port,  "-P",    "2",  "-d",
                      "0.3",    "--json",   NULL};
    (void)state;
    refused_port();
    assert_int_equal(run(refused, NULL), NK_EX_UNAVAILABLE);
    assert_int_equal(fact("connected"), 0);
    assert_int_equal(fact("errors"), 2);
    assert_non_null(strstr(out_buf, "\nlatency_p50_us: -\n"));
    assert_non_null(strstr(err_buf, "2 of 2 connections failed"));
    peer_start(SILENT); /* connected, nothing comes back: a timeout */
    assert_int_equal(run(refused, NULL), NK_EX_TEMPFAIL);
    assert_int_equal(fact("requests"), 0);
    assert_int_equal(fact("errors"), 0);
    peer_stop_now();
    peer_start(HANGUP);
    assert_int_equal(run(hangup, NULL), NK_EX_IOERR);
    assert_non_null(strstr(out_buf, "\"errors\": 2"));
    assert_non_null(strstr(out_buf, "\"requests\": 0"));
    assert_non_null(strstr(out_buf, "\"latency_p50_us\": null"));
    peer_stop_now();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_client_message),
        cmocka_unit_test(test_client_stdin),
        cmocka_unit_test(test_client_json),
        cmocka_unit_test(test_client_mismatch),
        cmocka_unit_test(test_client_long_echo),
        cmocka_unit_test(test_client_hangup),
        cmocka_unit_test(test_client_ping),
        cmocka_unit_test(test_client_ping_mismatch),
        cmocka_unit_test(test_client_failures),
        cmocka_unit_test(test_bench_clean),
        cmocka_unit_test(test_bench_threads_json),
        cmocka_unit_test(test_bench_mismatch),
        cmocka_unit_test(test_bench_long_echo),
        cmocka_unit_test(test_bench_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
