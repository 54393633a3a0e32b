/* echo-tcp serve: option errors in-process, then the real server run by
 * nk_main in a forked child on 127.0.0.1 / ::1, driven by clients here:
 * every model echoes 1 byte, 64 KiB, 1 MiB and 50 concurrent clients
 * intact (each client half-closes and reads to EOF); a client that never
 * reads does not stall the others; the idle timeout closes only the idle
 * client; --max-conns refuses the extra one; SIGTERM with clients open
 * exits 0 with the totals. */
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "netkit/exitcodes.h"
#include "netkit/net.h"
#include "netkit/parse.h"

#define MAXC 64
#define DEADLINE_MS 30000

/* --- running the command --------------------------------------------- */

static char *
slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf = calloc(1, 65536);
    size_t n;

    assert_non_null(buf);
    if (fp == NULL)
        return buf;
    n = fread(buf, 1, 65535, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* nk_main with stdout and stderr captured; *out and *err are the
 * caller's to free. Returns the exit code. */
static int
run_cli(char **argv, char **out, char **err)
{
    int argc = 0, rc;

    while (argv[argc] != NULL)
        argc++;
    *out = strdup(nk_test_capture(argv, argc, &rc, NULL));
    *err = strdup(nk_test_captured_err());
    return rc;
}

static void
test_usage_errors(void **state)
{
    static const struct {
        const char *args[8];
        const char *msg;
    } cases[] = {
        {{NULL}, "--port is required"},
        {{"--port", "70000", NULL}, "--port"},
        {{"--port", "x", NULL}, "--port"},
        {{"--port", "0", "--model", "forking", NULL}, "unknown model"},
        {{"--port", "0", "--model", "thread", "--workers", "2", NULL},
         "--workers is for"},
        {{"--port", "0", "--workers", "0", NULL}, "at least 1"},
        {{"--port", "0", "--workers", "65", NULL}, "--workers"},
        {{"--port", "0", "--idle-timeout", "soon", NULL}, "--idle-timeout"},
        {{"--port", "0", "--max-conns", "-1", NULL}, "--max-conns"},
        {{"--port", "0", "extra", NULL}, "unexpected argument 'extra'"},
        {{"--port", "0", "--frobnicate", NULL}, "unknown option"},
        {{"--port", NULL}, "needs a value"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[12] = {"netkit", "echo-tcp", "serve"};
        char *out, *err;
        int n = 3;
        for (int j = 0; cases[i].args[j] != NULL; j++)
            argv[n++] = (char *)cases[i].args[j];
        argv[n] = NULL;
        assert_int_equal(run_cli(argv, &out, &err), NK_EX_USAGE);
        if (strstr(err, cases[i].msg) == NULL)
            fail_msg("case %zu: '%s' not in '%s'", i, cases[i].msg, err);
        assert_non_null(strstr(err, "netkit echo-tcp serve: "));
        assert_string_equal(out, "");
        free(out);
        free(err);
    }
}

static void
test_help(void **state)
{
    char *argv[] = {"netkit", "echo-tcp", "serve", "--help", NULL};
    char *out, *err;
    (void)state;

    assert_int_equal(run_cli(argv, &out, &err), NK_EX_OK);
    assert_true(strncmp(out, "usage: netkit echo-tcp serve", 28) == 0);
    assert_non_null(strstr(out, "--model MODEL"));
    assert_non_null(strstr(out, "examples:\n  netkit "));
    free(out);
    free(err);
}

/* --- a server in a child process ------------------------------------- */

struct server {
    pid_t pid;
    char port[8];
    char out[32], err[32];
};

/* Start `netkit echo-tcp serve ARGS... --port 0` with host's address
 * (127.0.0.1 or ::1) and wait for its "listening on" line. */
static void
server_start(struct server *sv, const char *host, const char *const *args)
{
    char *argv[24] = {"netkit", "echo-tcp", "serve",     "--port",
                      "0",      "--bind",   (char *)host};
    int argc = 7;
    int64_t end = nk_now_ms() + 10000;

    for (int i = 0; args[i] != NULL; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;
    snprintf(sv->out, sizeof sv->out, "/tmp/nk_test_et_sXXXXXX");
    snprintf(sv->err, sizeof sv->err, "/tmp/nk_test_et_lXXXXXX");
    close(mkstemp(sv->out));
    close(mkstemp(sv->err));
    fflush(stdout);
    fflush(stderr);
    sv->pid = fork();
    assert_true(sv->pid >= 0);
    if (sv->pid == 0) {
        int fo = open(sv->out, O_WRONLY | O_TRUNC);
        int fe = open(sv->err, O_WRONLY | O_TRUNC);
        dup2(fo, STDOUT_FILENO);
        dup2(fe, STDERR_FILENO);
        _exit(nk_main(argc, argv));
    }
    while (nk_now_ms() < end) {
        char *log = slurp(sv->err), *p = strstr(log, "listening on ");
        char *nl = p ? strchr(p, '\n') : NULL;
        if (nl != NULL) {
            char *colon = nl;
            while (colon > p && *colon != ':')
                colon--;
            snprintf(sv->port, sizeof sv->port, "%.*s", (int)(nl - colon - 1),
                     colon + 1);
            free(log);
            return;
        }
        free(log);
        usleep(20000);
    }
    kill(sv->pid, SIGKILL);
    fail_msg("server never said it was listening");
}

/* SIGTERM, then wait (10 s at most); returns the exit status and the
 * server's stdout (the totals) in *out. */
static int
server_stop(struct server *sv, char **out)
{
    int64_t end = nk_now_ms() + 10000;
    int st = 0;
    pid_t r = 0;

    kill(sv->pid, SIGTERM);
    while (nk_now_ms() < end && (r = waitpid(sv->pid, &st, WNOHANG)) == 0)
        usleep(10000);
    if (r == 0) {
        kill(sv->pid, SIGKILL);
        waitpid(sv->pid, &st, 0);
        st = 0x7f00; /* "did not stop" */
    }
    *out = slurp(sv->out);
    unlink(sv->out);
    unlink(sv->err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static uint64_t
total(const char *out, const char *key)
{
    char k[64];
    const char *p;

    snprintf(k, sizeof k, "%s: ", key);
    p = strstr(out, k);
    if (p == NULL)
        fail_msg("no '%s' in totals: %s", key, out);
    return strtoull(p + strlen(k), NULL, 10);
}

/* --- clients ------------------------------------------------------------ */

static int
client(const char *host, const char *port)
{
    struct nk_err err;
    int fd = nk_connect(host, port, AF_UNSPEC, SOCK_STREAM, 5000, NULL, &err);

    if (fd < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(nk_set_nonblock(fd, 1, &err), 0);
    return fd;
}

struct flow {
    int fd;
    unsigned char *data, *back;
    size_t len, sent, got;
    int eof;
};

static void
flow_send(struct flow *f)
{
    ssize_t n = send(f->fd, f->data + f->sent, f->len - f->sent, MSG_NOSIGNAL);

    if (n > 0)
        f->sent += (size_t)n;
    else if (errno != EAGAIN && errno != EINTR)
        fail_msg("send: %s", strerror(errno));
    if (f->sent == f->len)
        shutdown(f->fd, SHUT_WR); /* the half-close the server must honour */
}

static void
flow_recv(struct flow *f)
{
    unsigned char tmp[65536];
    ssize_t n = recv(f->fd, tmp, sizeof tmp, 0);

    if (n == 0) {
        f->eof = 1;
    } else if (n > 0) {
        if (f->got + (size_t)n > f->len)
            fail_msg("echo longer than what was sent");
        memcpy(f->back + f->got, tmp, (size_t)n);
        f->got += (size_t)n;
    } else if (errno != EAGAIN && errno != EINTR) {
        fail_msg("recv: %s", strerror(errno));
    }
}

/* n clients at once, each sending len bytes of its own pattern, then
 * shutting its write side and reading to EOF: the echo must be exact. */
static void
echo_many(const char *host, const char *port, int n, size_t len)
{
    struct flow f[MAXC];
    struct pollfd p[MAXC];
    int64_t end = nk_now_ms() + DEADLINE_MS;
    int left = n;

    for (int i = 0; i < n; i++) {
        f[i] = (struct flow){client(host, port),
                             malloc(len + 1),
                             malloc(len + 1),
                             len,
                             0,
                             0,
                             0};
        assert_true(f[i].data && f[i].back);
        for (size_t j = 0; j < len; j++)
            f[i].data[j] = (unsigned char)(j * 31 + (size_t)i * 7 + j / 251);
    }
    while (left > 0 && nk_now_ms() < end) {
        for (int i = 0; i < n; i++)
            p[i] = (struct pollfd){
                f[i].eof ? -1 : f[i].fd,
                (short)(POLLIN | (f[i].sent < f[i].len ? POLLOUT : 0)), 0};
        if (poll(p, (nfds_t)n, 1000) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (p[i].revents & POLLOUT)
                flow_send(&f[i]);
            if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                flow_recv(&f[i]);
                left -= f[i].eof;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        if (!f[i].eof || f[i].got != len || memcmp(f[i].data, f[i].back, len))
            fail_msg("client %d of %d: %zu of %zu bytes back, eof %d", i, n,
                     f[i].got, len, f[i].eof);
        close(f[i].fd);
        free(f[i].data);
        free(f[i].back);
    }
}

/* One request and its echo on an open client (blocking wait, bounded). */
static void
ping(int fd, const char *msg)
{
    size_t len = strlen(msg), got = 0;
    char buf[256];
    struct nk_err err;

    assert_int_equal(nk_send_all(fd, msg, len, 5000, &err), (ssize_t)len);
    while (got < len) {
        ssize_t n;
        assert_int_equal(nk_wait_fd(fd, POLLIN, 5000, &err), 1);
        n = recv(fd, buf + got, sizeof buf - got, 0);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_memory_equal(buf, msg, len);
}

/* 1 if the server has closed fd (EOF or reset) within ms. */
static int
closed_within(int fd, int ms)
{
    struct nk_err err;
    char c;

    if (nk_wait_fd(fd, POLLIN, ms, &err) != 1)
        return 0;
    return recv(fd, &c, 1, 0) <= 0;
}

/* --- the server's behaviour ------------------------------------------------
 */

static const char *const models[][3] = {
    {"--model", "iterative", NULL}, {"--model", "fork", NULL},
    {"--model", "thread", NULL},    {"--model", "select", NULL},
    {"--model", "poll", NULL},      {"--model", "epoll", NULL},
    {"--workers", "2", NULL},
};
#define NMODELS (sizeof models / sizeof models[0])

static void
test_models_echo(void **state)
{
    (void)state;
    for (size_t m = 0; m < NMODELS; m++) {
        const char *args[] = {models[m][0], models[m][1], "--quiet", NULL};
        struct server sv;
        char *out;

        server_start(&sv, "127.0.0.1", args);
        echo_many("127.0.0.1", sv.port, 1, 1);
        echo_many("127.0.0.1", sv.port, 1, 65536);
        echo_many("127.0.0.1", sv.port, 1, 1 << 20);
        echo_many("127.0.0.1", sv.port, 50, 4096);
        assert_int_equal(server_stop(&sv, &out), 0);
        assert_int_equal(total(out, "connections"), 53);
        assert_int_equal(total(out, "bytes_in"),
                         1 + 65536 + (1 << 20) + 50 * 4096);
        assert_int_equal(total(out, "bytes_out"), total(out, "bytes_in"));
        assert_int_equal(total(out, "errors"), 0);
        free(out);
    }
}

/* IPv6 loopback, and a v4-mapped-free log: the default model on ::1. */
static void
test_ipv6(void **state)
{
    const char *args[] = {NULL};
    struct server sv;
    char *out;
    (void)state;

    server_start(&sv, "::1", args);
    echo_many("::1", sv.port, 3, 1000);
    assert_int_equal(server_stop(&sv, &out), 0);
    assert_non_null(strstr(out, "address: [::1]:"));
    assert_int_equal(total(out, "connections"), 3);
    free(out);
}

/* A client that sends and never reads: the server stops reading it once
 * its echo backs up, and keeps serving the others. */
static void
test_non_reader(void **state)
{
    static char chunk[65536];
    (void)state;

    for (size_t m = 1; m < NMODELS; m++) {
        const char *args[] = {models[m][0], models[m][1], "--quiet", NULL};
        struct server sv;
        size_t sent = 0;
        char *out;
        int hog;

        server_start(&sv, "127.0.0.1", args);
        hog = client("127.0.0.1", sv.port);
        /* Fill everything between us (both socket buffers each way and
         * the server's pending echo) until send would block for 200 ms. */
        for (int tries = 0; tries < 2000; tries++) {
            ssize_t n = send(hog, chunk, sizeof chunk, MSG_NOSIGNAL);
            if (n > 0) {
                sent += (size_t)n;
                continue;
            }
            struct nk_err err;
            if (nk_wait_fd(hog, POLLOUT, 200, &err) == 0)
                break;
        }
        assert_true(sent > 65536);
        echo_many("127.0.0.1", sv.port, 5, 100000);
        close(hog);
        assert_int_equal(server_stop(&sv, &out), 0);
        free(out);
    }
}

/* --idle-timeout closes the silent client only. */
static void
test_idle_timeout(void **state)
{
    (void)state;
    for (size_t m = 1; m < NMODELS; m++) {
        const char *args[] = {models[m][0], models[m][1], "--idle-timeout",
                              "0.3",        "--quiet",    NULL};
        struct server sv;
        int64_t t0;
        char *out;
        int idle, busy, idle_gone = 0;

        server_start(&sv, "127.0.0.1", args);
        idle = client("127.0.0.1", sv.port);
        busy = client("127.0.0.1", sv.port);
        t0 = nk_now_ms();
        while (nk_now_ms() - t0 < 900) {
            ping(busy, "still here");
            idle_gone |= closed_within(idle, 100);
        }
        assert_true(idle_gone);
        ping(busy, "and after");
        /* Stopped with the busy client still open: it was never timed
         * out, so the stop is what closes it. */
        assert_int_equal(server_stop(&sv, &out), 0);
        close(idle);
        close(busy);
        assert_int_equal(total(out, "idle_timeouts"), 1);
        assert_int_equal(total(out, "closed_at_stop"), 1);
        free(out);
    }
}

static void
test_max_conns(void **state)
{
    const char *args[] = {"--max-conns", "2", NULL};
    struct server sv;
    int a, b, c;
    char *out;
    (void)state;

    server_start(&sv, "127.0.0.1", args);
    a = client("127.0.0.1", sv.port);
    b = client("127.0.0.1", sv.port);
    ping(a, "one");
    ping(b, "two");
    c = client("127.0.0.1", sv.port);
    assert_true(closed_within(c, 5000));
    ping(a, "still one");
    close(a);
    close(b);
    close(c);
    assert_int_equal(server_stop(&sv, &out), 0);
    assert_int_equal(total(out, "rejected"), 1);
    free(out);
}

/* SIGTERM with clients connected: they are closed, the totals count them,
 * the exit status is 0; --json makes the totals one document. */
static void
test_stop_with_clients(void **state)
{
    (void)state;
    for (size_t m = 0; m < NMODELS; m++) {
        const char *args[] = {models[m][0], models[m][1], "--json", NULL};
        int n = m == 0 ? 1 : 3, fds[3];
        struct server sv;
        char *out;

        server_start(&sv, "127.0.0.1", args);
        for (int i = 0; i < n; i++) {
            fds[i] = client("127.0.0.1", sv.port);
            ping(fds[i], "hello");
        }
        assert_int_equal(server_stop(&sv, &out), 0);
        for (int i = 0; i < n; i++) {
            assert_true(closed_within(fds[i], 1000));
            close(fds[i]);
        }
        assert_int_equal(out[0], '{');
        assert_non_null(strstr(out, "\"closed_at_stop\": "));
        assert_non_null(
            strstr(out, m == 0 ? "\"connections\": 1" : "\"connections\": 3"));
        assert_non_null(strstr(out, "\"bytes_out\": "));
        free(out);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_models_echo),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_non_reader),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_max_conns),
        cmocka_unit_test(test_stop_with_clients),
    };

    nk_net_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
