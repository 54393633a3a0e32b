/* Socket activation (sd_listen_fds(3)) and inetd mode: the pure checks
 * table-driven, and the taking of passed fds in a forked child (its own
 * environment and fd 3, so the parent's state is never touched). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netkit/activate.h"
#include "netkit/exitcodes.h"

static void
test_parse(void **state)
{
    static const struct {
        const char *pid, *fds;
        int rc, n, code;
    } cases[] = {
        {NULL, "1", 0, 0, 0},    /* not activated */
        {"42", "2", 1, 2, 0},    /* ours */
        {"43", "2", 0, 0, 0},    /* another process's: ignored */
        {"42", NULL, 0, 0, 0},   /* no count */
        {"42", "0", 0, 0, 0},    /* nothing passed */
        {"42", "00", 0, 0, 0},   /* the same (found by fuzz_activate) */
        {"42", "16", 1, 16, 0},  /* the most we take */
        {"42", "17", -1, 0, 65}, /* more */
        {"42", "x", -1, 0, 65},  /* not a number */
        {"42", "-1", -1, 0, 65}, /* negative */
        {"42", "2 ", -1, 0, 65}, /* trailing junk */
        {"42", "99999999999999999999", -1, 0, 65},
        {"4x2", "1", -1, 0, 65}, /* LISTEN_PID malformed */
        {"", "1", -1, 0, 65},
        {"042", "1", 1, 1, 0}, /* leading zero is still 42 */
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_err err;
        int n = -7;

        err.exit_code = 0;
        int rc = nk_activation_parse(cases[i].pid, cases[i].fds, 42, &n, &err);
        if (rc != cases[i].rc || n != cases[i].n)
            fail_msg("case %zu (%s, %s): rc %d n %d", i,
                     cases[i].pid ? cases[i].pid : "NULL",
                     cases[i].fds ? cases[i].fds : "NULL", rc, n);
        if (rc < 0)
            assert_int_equal(err.exit_code, cases[i].code);
    }
}

static void
test_names(void **state)
{
    char names[NK_ACT_MAX][NK_ACT_NAME_MAX + 1];
    char long_name[300];
    struct nk_err err;
    (void)state;

    assert_int_equal(nk_activation_names(NULL, 2, names, &err), 0);
    assert_string_equal(names[0], "unknown");
    assert_string_equal(names[1], "unknown");
    assert_int_equal(nk_activation_names("web:ntp:x y", 3, names, &err), 0);
    assert_string_equal(names[0], "web");
    assert_string_equal(names[1], "ntp");
    assert_string_equal(names[2], "x y");
    assert_int_equal(nk_activation_names("one", 1, names, &err), 0);
    assert_string_equal(names[0], "one");

    static const struct {
        const char *s;
        int n;
        const char *msg;
    } bad[] = {
        {"a:b", 1, "more sockets"},     {"a", 2, "fewer sockets"},
        {"a::b", 3, "name 2 is empty"}, {":a", 2, "name 1 is empty"},
        {"a:", 2, "name 2 is empty"},   {"a\nb", 1, "control byte"},
        {"", 1, "name 1 is empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (nk_activation_names(bad[i].s, bad[i].n, names, &err) != -1)
            fail_msg("'%s' (%d) accepted", bad[i].s, bad[i].n);
        if (strstr(err.msg, bad[i].msg) == NULL)
            fail_msg("'%s': '%s' lacks '%s'", bad[i].s, err.msg, bad[i].msg);
        assert_int_equal(err.exit_code, NK_EX_DATAERR);
    }
    memset(long_name, 'a', 255);
    long_name[255] = '\0';
    assert_int_equal(nk_activation_names(long_name, 1, names, &err), 0);
    assert_int_equal(strlen(names[0]), 255);
    long_name[255] = 'a';
    long_name[256] = '\0';
    assert_int_equal(nk_activation_names(long_name, 1, names, &err), -1);
    assert_non_null(strstr(err.msg, "longer than 255"));
}

static void
test_choose(void **state)
{
    const struct nk_act_sock tcp = {SOCK_STREAM, AF_INET6, 1, 0, "web"};
    const struct nk_act_sock udp = {SOCK_DGRAM, AF_INET, 0, 0, "ntp"};
    const struct nk_act_sock conn = {SOCK_STREAM, AF_INET, 0, 0, "conn"};
    const struct nk_act_sock unx = {SOCK_STREAM, AF_UNIX, 1, 0, "local"};
    const struct nk_act_sock nl = {SOCK_DGRAM, AF_NETLINK, 0, 0, "nl"};
    struct nk_act_sock taken = tcp;
    struct nk_err err;
    (void)state;
    taken.taken = 1;

    struct nk_act_sock a[] = {udp, tcp};
    assert_int_equal(nk_activation_choose(a, 2, SOCK_STREAM, NULL, &err), 1);
    assert_int_equal(nk_activation_choose(a, 2, SOCK_DGRAM, NULL, &err), 0);
    assert_int_equal(nk_activation_choose(a, 2, SOCK_DGRAM, "ntp", &err), 0);
    /* a name that is there but of the wrong type */
    assert_int_equal(nk_activation_choose(a, 2, SOCK_STREAM, "ntp", &err), -1);
    assert_int_equal(err.exit_code, NK_EX_UNAVAILABLE);
    assert_non_null(strstr(err.msg, "of that name"));
    assert_int_equal(nk_activation_choose(a, 2, SOCK_STREAM, "nope", &err),
                     -1);
    assert_non_null(strstr(err.msg, "no socket named 'nope'"));

    /* two that fit: the name decides, or it is a usage error */
    struct nk_act_sock b[] = {tcp, unx};
    assert_int_equal(nk_activation_choose(b, 2, SOCK_STREAM, NULL, &err), -1);
    assert_int_equal(err.exit_code, NK_EX_USAGE);
    assert_non_null(strstr(err.msg, "--fdname"));
    assert_int_equal(nk_activation_choose(b, 2, SOCK_STREAM, "local", &err),
                     1);

    /* a connection (Accept=yes) is not a listener; netlink is not ours */
    struct nk_act_sock c[] = {conn, nl};
    assert_int_equal(nk_activation_choose(c, 2, SOCK_STREAM, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "fd 3 stream (not listening)"));
    assert_int_equal(nk_activation_choose(c, 2, SOCK_DGRAM, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "no listening datagram socket"));

    /* one already handed out is not handed out twice */
    struct nk_act_sock d[] = {taken, tcp};
    assert_int_equal(nk_activation_choose(d, 2, SOCK_STREAM, NULL, &err), 1);
    assert_int_equal(nk_activation_choose(d, 1, SOCK_STREAM, NULL, &err), -1);
}

/* In a child: a listening socket at fd 3 and the variables set; status 0
 * when everything the protocol promises held, else the failed step. */
static int
child_take(int pid_is_ours)
{
    struct nk_listen_opts o = {.host = "127.0.0.1",
                               .port = "0",
                               .family = AF_INET,
                               .socktype = SOCK_STREAM,
                               .backlog = 8,
                               .reuseaddr = 1};
    struct nk_err err;
    char pid[32];
    int activated = -1, lfd, fd;

    lfd = nk_listen_ex(&o, &err);
    if (lfd < 0 || dup2(lfd, 3) != 3)
        return 10;
    if (lfd != 3)
        close(lfd);
    snprintf(pid, sizeof pid, "%ld", pid_is_ours ? (long)getpid() : 1L);
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "1", 1);
    setenv("LISTEN_FDNAMES", "web", 1);
    if (nk_activation_passed(&err) != (pid_is_ours ? 1 : 0))
        return 17;
    fd = nk_listen_activated(&o, pid_is_ours ? "web" : NULL, &activated, &err);
    if (fd < 0)
        return 11;
    if (!pid_is_ours)
        return fd != 3 && activated == 0 && getenv("LISTEN_PID") != NULL &&
                       !(fcntl(3, F_GETFD) & FD_CLOEXEC)
                   ? 0
                   : 12;
    if (fd != 3 || activated != 1)
        return 13;
    if (!(fcntl(3, F_GETFD) & FD_CLOEXEC))
        return 14;
    if (getenv("LISTEN_PID") || getenv("LISTEN_FDS") ||
        getenv("LISTEN_FDNAMES"))
        return 15;
    /* the one socket is taken: a second server gets an error, not fd 3 */
    if (nk_listen_activated(&o, NULL, NULL, &err) != -1)
        return 16;
    if (nk_activation_passed(&err) != 0)
        return 18;
    return 0;
}

static void
run_child(int pid_is_ours)
{
    int status;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_take(pid_is_ours));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_take_ours(void **state)
{
    (void)state;
    run_child(1);
}

static void
test_other_pid_ignored(void **state)
{
    (void)state;
    run_child(0);
}

static void
test_inetd_check(void **state)
{
    int sv[2], saved = dup(0);
    struct nk_err err;
    (void)state;

    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    assert_int_equal(dup2(sv[0], 0), 0);
    assert_int_equal(nk_inetd_check(SOCK_DGRAM, 0, &err), 0);
    assert_int_equal(nk_inetd_check(SOCK_STREAM, 1, &err), -1);
    assert_int_equal(err.exit_code, NK_EX_USAGE);
    assert_non_null(strstr(err.msg, "a datagram socket"));
    close(sv[0]);
    close(sv[1]);
    assert_int_equal(pipe(sv), 0);
    assert_int_equal(dup2(sv[0], 0), 0);
    assert_int_equal(nk_inetd_check(SOCK_STREAM, 1, &err), 0);
    assert_int_equal(nk_inetd_check(SOCK_STREAM, 0, &err), -1);
    assert_non_null(strstr(err.msg, "not a socket"));
    assert_int_equal(nk_inetd_check(SOCK_DGRAM, 1, &err), -1);
    close(sv[0]);
    close(sv[1]);
    dup2(saved, 0);
    close(saved);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_choose),
        cmocka_unit_test(test_take_ours),
        cmocka_unit_test(test_other_pid_ignored),
        cmocka_unit_test(test_inetd_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
