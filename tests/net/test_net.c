/* Loopback tests of the socket-helper layer: resolve, listen, connect,
 * accept, socket options and address text. Every server binds an ephemeral
 * port (port "0", read back with nk_local_addr); nothing is sent off the
 * machine (the wildcard tests bind [::], but only loopback clients talk to
 * it, and .invalid names are refused without a DNS query). Every fd a test
 * opens is tracked and closed by the teardown, so a failed assertion leaks
 * nothing into the next test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netkit/err.h"
#include "netkit/net.h"
#include "netkit/parse.h"
#include "capture.h" /* NK_SKIP */

/* ---- fixtures ---------------------------------------------------------- */

#define MAX_TRACKED 160

static int tracked[MAX_TRACKED];
static int ntracked;
static int have_ipv6; /* ::1 can be bound (set by the group setup) */
static pid_t kid;     /* a forked child still to be reaped, or 0 */

/* Remember fd for the teardown; returns it unchanged (also when < 0). */
static int
track(int fd)
{
    if (fd >= 0) {
        assert_true(ntracked < MAX_TRACKED);
        tracked[ntracked++] = fd;
    }
    return fd;
}

static int
close_tracked(void **state)
{
    (void)state;
    if (kid > 0) {
        int status;
        kill(kid, SIGKILL);
        while (waitpid(kid, &status, 0) < 0 && errno == EINTR)
            ;
        kid = 0;
    }
    for (int i = 0; i < ntracked; i++)
        nk_close(tracked[i]);
    ntracked = 0;
    return 0;
}

/* Wildcard listeners ([::], 0.0.0.0) would be reachable on every
 * interface of the machine; tests must listen on loopback only. So the
 * tests run in a private network namespace, where loopback is the only
 * interface, when the process may make one (root, as CI is); otherwise the
 * wildcard tests are skipped. */
static int private_net;

static int
enter_private_net(void)
{
    struct ifreq ifr;
    int fd, ok;

    if (unshare(CLONE_NEWNET) < 0)
        return 0;
    /* A new namespace's lo is down: bring it up (127.0.0.1 and ::1 come
     * with it). */
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags |= IFF_UP;
    ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
    close(fd);
    return ok;
}

static void
skip_unless_private_net(void)
{
    if (!private_net) {
        NK_SKIP("no private network namespace (not root?): a wildcard "
                "listener would face the network");
    }
}

static int
group_setup(void **state)
{
    struct sockaddr_in6 sa6;
    int fd;

    (void)state;
    private_net = enter_private_net();
    fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    nk_net_init();
    memset(&sa6, 0, sizeof sa6);
    sa6.sin6_family = AF_INET6;
    sa6.sin6_addr = in6addr_loopback;
    have_ipv6 = fd >= 0 && bind(fd, (struct sockaddr *)&sa6, sizeof sa6) == 0;
    if (fd >= 0)
        close(fd);
    return 0;
}

static void
skip_without_ipv6(void)
{
    if (!have_ipv6) {
        NK_SKIP("no IPv6 loopback here");
    }
}

static int
family_of(const char *host)
{
    return host != NULL && strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
}

/* Port of a bound socket, in host order (asserts on failure). */
static int
port_of(int fd)
{
    struct nk_addr a;
    struct nk_err err;

    assert_int_equal(nk_local_addr(fd, &a, &err), 0);
    return nk_addr_port((struct sockaddr *)&a.ss);
}

static void
port_str(int fd, char *buf, size_t size)
{
    snprintf(buf, size, "%d", port_of(fd));
}

/* "host:port", or "[host]:port" for IPv6, as nk_addr_format writes it. */
static const char *
hostport(const char *host, const char *port, char *buf, size_t size)
{
    if (strchr(host, ':') != NULL)
        snprintf(buf, size, "[%s]:%s", host, port);
    else
        snprintf(buf, size, "%s:%s", host, port);
    return buf;
}

static const char *
fmt_addr(const struct nk_addr *a, char *buf, size_t size)
{
    return nk_addr_format((const struct sockaddr *)&a->ss, a->len, buf, size);
}

/* Close a tracked fd early and drop it from the list. */
static void
close_early(int fd)
{
    for (int i = 0; i < ntracked; i++) {
        if (tracked[i] == fd) {
            tracked[i] = tracked[--ntracked];
            break;
        }
    }
    nk_close(fd);
}

/* A TCP socket bound to host:port but not listening: a connect to it is
 * refused at once (RST), so a test knows an address fails for sure.
 * Returns -1 only when the port is taken on that address. SO_REUSEADDR
 * keeps old TIME_WAIT connections on the port from getting in the way. */
static int
try_hold_port(const char *host, int port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, one = 1;

    memset(&ss, 0, sizeof ss);
    if (family_of(host) == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        assert_int_equal(inet_pton(AF_INET6, host, &s6->sin6_addr), 1);
        len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        assert_int_equal(inet_pton(AF_INET, host, &s4->sin_addr), 1);
        len = sizeof *s4;
    }
    fd = track(socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    assert_true(fd >= 0);
    assert_int_equal(
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        assert_int_equal(errno, EADDRINUSE);
        close_early(fd);
        return -1;
    }
    return fd;
}

static int
hold_port(const char *host, int port)
{
    int fd = try_hold_port(host, port);

    assert_true(fd >= 0);
    return fd;
}

/* Listen on host (numeric loopback) port "0"; returns the fd. */
static int
listen_loopback(const char *host, int socktype, int backlog)
{
    struct nk_err err;
    int fd =
        track(nk_listen(host, "0", family_of(host), socktype, backlog, &err));

    if (fd < 0)
        fail_msg("nk_listen %s: %s", host, err.msg);
    return fd;
}

/* One port number on two addresses: a listener (or, with listens 0, a
 * refusing socket) on first_host at an ephemeral port, and a refusing
 * socket on second_host at the same port. The port the kernel picked for
 * the first may be busy on the second (a parallel run, TIME_WAIT), so
 * try again a bounded number of times. Returns the first fd. */
static int
same_port_on_two(const char *first_host, int listens, const char *second_host,
                 char *port, size_t size)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        int first = listens ? listen_loopback(first_host, SOCK_STREAM, 4)
                            : hold_port(first_host, 0);

        port_str(first, port, size);
        if (try_hold_port(second_host, atoi(port)) >= 0)
            return first;
        close_early(first);
    }
    fail_msg("no port free on both %s and %s", first_host, second_host);
    return -1;
}

static int
is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const void *)sa;
        return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)sa;
        return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
    }
    return 0;
}

static int
count_list(const struct addrinfo *ai)
{
    int n = 0;

    for (; ai != NULL; ai = ai->ai_next)
        n++;
    return n;
}

static void
assert_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);

    assert_true(fl >= 0);
    assert_true(fl & FD_CLOEXEC);
}

/* One byte from a to b, so a connection is known to work end to end. */
static void
assert_byte_flows(int a, int b)
{
    struct nk_err err;
    char c = 'x', got = 0;

    assert_int_equal(nk_send_all(a, &c, 1, 2000, &err), 1);
    assert_int_equal(nk_recv_exact(b, &got, 1, 2000, &err), 1);
    assert_int_equal(got, 'x');
}

/* ---- nk_resolve -------------------------------------------------------- */

struct resolve_ok_case {
    const char *host, *port;
    int family, flags;
    const char *first; /* nk_addr_format of the first (only) result */
};

static void
test_resolve_numeric(void **state)
{
    static const struct resolve_ok_case cases[] = {
        {"127.0.0.1", "80", AF_UNSPEC, NK_RESOLVE_NUMERIC, "127.0.0.1:80"},
        {"127.0.0.1", "80", AF_INET, 0, "127.0.0.1:80"},
        {"::1", "80", AF_UNSPEC, NK_RESOLVE_NUMERIC, "[::1]:80"},
        {"::1", "443", AF_INET6, 0, "[::1]:443"},
        {"::ffff:127.0.0.1", "8080", AF_INET6, NK_RESOLVE_NUMERIC,
         "[::ffff:127.0.0.1]:8080"},
        {"127.0.0.1", "65535", AF_INET, NK_RESOLVE_NUMERIC, "127.0.0.1:65535"},
        {"127.0.0.1", "0", AF_INET, NK_RESOLVE_NUMERIC, "127.0.0.1:0"},
        {NULL, "9", AF_INET, NK_RESOLVE_PASSIVE, "0.0.0.0:9"},
        {NULL, "9", AF_INET6, NK_RESOLVE_PASSIVE, "[::]:9"},
        {NULL, "7", AF_INET, 0, "127.0.0.1:7"},
        {NULL, "7", AF_INET6, 0, "[::1]:7"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct resolve_ok_case *c = &cases[i];
        struct addrinfo *ai = NULL;
        struct nk_err err;
        char buf[NK_ADDRSTRLEN];
        int n = nk_resolve(c->host, c->port, c->family, SOCK_STREAM, c->flags,
                           &ai, &err);

        if (n < 0)
            fail_msg("case %zu: %s", i, err.msg);
        assert_int_equal(n, 1);
        assert_int_equal(count_list(ai), 1);
        assert_int_equal(ai->ai_socktype, SOCK_STREAM);
        assert_string_equal(
            nk_addr_format(ai->ai_addr, ai->ai_addrlen, buf, sizeof buf),
            c->first);
        nk_resolve_free(ai);
    }
}

static void
test_resolve_localhost(void **state)
{
    static const int families[] = {AF_UNSPEC, AF_INET};

    (void)state;
    /* Not AF_INET6: /etc/hosts may lack "::1 localhost", and then the
     * lookup would go on to DNS. */
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        struct addrinfo *ai = NULL;
        struct nk_err err;
        int n, saw_v4 = 0;

        n = nk_resolve("localhost", "80", families[i], SOCK_STREAM, 0, &ai,
                       &err);
        if (n < 0)
            fail_msg("family %d: %s", families[i], err.msg);
        assert_true(n >= 1);
        assert_int_equal(count_list(ai), n);
        for (struct addrinfo *p = ai; p != NULL; p = p->ai_next) {
            assert_true(is_loopback(p->ai_addr));
            assert_int_equal(nk_addr_port(p->ai_addr), 80);
            if (families[i] == AF_INET)
                assert_int_equal(p->ai_family, AF_INET);
            saw_v4 |= p->ai_family == AF_INET;
        }
        assert_true(saw_v4);
        nk_resolve_free(ai);
    }
}

/* host NULL gives both loopback addresses; a family keeps only its own. */
static void
test_resolve_family_filter(void **state)
{
    static const struct {
        int family, flags, want_v4, want_v6;
    } cases[] = {
        {AF_UNSPEC, 0, 1, 1},
        {AF_INET, 0, 1, 0},
        {AF_INET6, 0, 0, 1},
        {AF_INET, NK_RESOLVE_PASSIVE, 1, 0},
        {AF_INET6, NK_RESOLVE_PASSIVE, 0, 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct addrinfo *ai = NULL;
        struct nk_err err;
        int n, v4 = 0, v6 = 0;

        n = nk_resolve(NULL, "5000", cases[i].family, SOCK_DGRAM,
                       cases[i].flags, &ai, &err);
        if (n < 0)
            fail_msg("case %zu: %s", i, err.msg);
        assert_int_equal(count_list(ai), n);
        for (struct addrinfo *p = ai; p != NULL; p = p->ai_next) {
            assert_int_equal(p->ai_socktype, SOCK_DGRAM);
            assert_int_equal(p->ai_addr->sa_family, p->ai_family);
            v4 += p->ai_family == AF_INET;
            v6 += p->ai_family == AF_INET6;
        }
        assert_int_equal(v4 + v6, n);
        assert_int_equal(v4 > 0, cases[i].want_v4);
        assert_int_equal(v6 > 0, cases[i].want_v6);
        nk_resolve_free(ai);
    }
}

struct resolve_err_case {
    const char *host, *port;
    int family, flags, exit_code;
    const char *msg; /* exact text, or a prefix when prefix is set */
    int prefix;
};

static void
test_resolve_errors(void **state)
{
    static const struct resolve_err_case cases[] = {
        /* A name where a number is required. */
        {"localhost", "80", AF_UNSPEC, NK_RESOLVE_NUMERIC, 68,
         "resolve localhost port 80: name or service not known", 0},
        {"example.com", "80", AF_INET, NK_RESOLVE_NUMERIC, 68,
         "resolve example.com port 80: ", 1},
        /* A literal of the other family. */
        {"::1", "80", AF_INET, NK_RESOLVE_NUMERIC, 65,
         "resolve ::1 port 80: '::1' is an IPv6 address, but -4 asks for "
         "IPv4",
         0},
        {"127.0.0.1", "80", AF_INET6, 0, 65,
         "resolve 127.0.0.1 port 80: '127.0.0.1' is an IPv4 address, but -6 "
         "asks for IPv6",
         0},
        /* Bad ports are bad input (EAI_SERVICE). */
        {"127.0.0.1", "no-such-service-nk", AF_UNSPEC, 0, 65,
         "resolve 127.0.0.1 port no-such-service-nk: ", 1},
        {"127.0.0.1", "-1", AF_INET, NK_RESOLVE_NUMERIC, 65,
         "resolve 127.0.0.1 port -1: ", 1},
        /* getaddrinfo alone wraps 99999 to 34463 without a word. */
        {"127.0.0.1", "99999", AF_INET, NK_RESOLVE_NUMERIC, 65,
         "resolve 127.0.0.1 port 99999: port number out of range (max "
         "65535)",
         0},
        {"127.0.0.1", "65536", AF_INET, NK_RESOLVE_NUMERIC, 65,
         "resolve 127.0.0.1 port 65536: ", 1},
        /* Neither host nor port. */
        {NULL, NULL, AF_UNSPEC, 0, 68, "resolve *: ", 1},
        /* A family the resolver does not serve. */
        {"127.0.0.1", "80", AF_UNIX, 0, 65, "resolve 127.0.0.1 port 80: ", 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct resolve_err_case *c = &cases[i];
        static struct addrinfo sentinel;
        struct addrinfo *ai = &sentinel;
        struct nk_err err;
        int n = nk_resolve(c->host, c->port, c->family, SOCK_STREAM, c->flags,
                           &ai, &err);

        if (n >= 0) {
            nk_resolve_free(ai);
            fail_msg("case %zu: %s port %s resolved", i,
                     c->host ? c->host : "NULL", c->port ? c->port : "NULL");
        }
        assert_int_equal(n, -1);
        assert_ptr_equal(ai, &sentinel); /* *out untouched on failure */
        assert_int_not_equal(err.gai, 0);
        assert_int_equal(err.exit_code, c->exit_code);
        if (c->prefix) {
            /* The named step, then some cause after it. */
            assert_int_equal(strncmp(err.msg, c->msg, strlen(c->msg)), 0);
            assert_true(strlen(err.msg) > strlen(c->msg));
        } else {
            assert_string_equal(err.msg, c->msg);
        }
    }
}

/* RFC 6761 6.4: names under .invalid never exist. The lookup must come
 * back at once with "unknown host" (68), not "try again" (75), whatever the
 * DNS situation; the check returns 0, or a number saying what went wrong. */
static int
check_invalid_names(void)
{
    static const char *const names[] = {
        "nonexistent.invalid",
        "No.Such.Host.INVALID.",
        "invalid.",
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct addrinfo *ai = NULL;
        struct nk_err err;
        char want[NK_ERR_MSG];
        int64_t t0 = nk_now_ms();
        int n =
            nk_resolve(names[i], "80", AF_UNSPEC, SOCK_STREAM, 0, &ai, &err);
        int64_t took = nk_now_ms() - t0;

        if (n >= 0) {
            nk_resolve_free(ai);
            return 1;
        }
        snprintf(want, sizeof want,
                 "resolve %s port 80: name or service not known", names[i]);
        print_message("%s: %lld ms, gai %d, exit %d: %s\n", names[i],
                      (long long)took, err.gai, err.exit_code, err.msg);
        if (err.gai != EAI_NONAME)
            return 2;
        if (err.exit_code != 68)
            return 3;
        if (strcmp(err.msg, want) != 0)
            return 4;
        if (took >= 1000)
            return 5;
    }
    return 0;
}

static void
test_resolve_unknown_host(void **state)
{
    (void)state;
    assert_int_equal(check_invalid_names(), 0);
}

/* The same with no network at all: a child in a new, empty network
 * namespace, where no DNS server can be reached. Needs CAP_SYS_ADMIN;
 * skipped without it. */
static void
test_resolve_unknown_host_offline(void **state)
{
    pid_t parent = getpid();
    int status = 0;

    (void)state;
    fflush(stdout);
    kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(99);
        alarm(20);
        if (unshare(CLONE_NEWNET) < 0)
            _exit(77);
        _exit(check_invalid_names());
    }
    for (int i = 0; i < 1000; i++) { /* at most 10 s */
        pid_t r = waitpid(kid, &status, WNOHANG);
        if (r == kid) {
            kid = 0;
            break;
        }
        assert_int_equal(r, 0);
        poll(NULL, 0, 10);
    }
    if (kid != 0)
        fail_msg("offline resolver check still running after 10 s");
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        NK_SKIP("cannot make a network namespace here");
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- nk_listen --------------------------------------------------------- */

/* host NULL + AF_UNSPEC: one [::] socket with V6ONLY off that takes IPv4
 * clients (as ::ffff:127.0.0.1) and IPv6 clients alike. */
static void
test_listen_wildcard_dual_stack(void **state)
{
    static const struct {
        const char *host, *accepted_host;
    } cases[] = {
        {"127.0.0.1", "::ffff:127.0.0.1"},
        {"::1", "::1"},
    };
    struct nk_err err;
    struct nk_addr la;
    char port[16];
    int lfd, v6only = -1, reuse = 0;

    (void)state;
    skip_without_ipv6();
    skip_unless_private_net();
    lfd = track(nk_listen(NULL, "0", AF_UNSPEC, SOCK_STREAM, 8, &err));
    if (lfd < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(nk_local_addr(lfd, &la, &err), 0);
    assert_int_equal(la.ss.ss_family, AF_INET6);
    assert_int_equal(nk_sockopt_get_int(lfd,
                                        NK_SOCKOPT(IPPROTO_IPV6, IPV6_V6ONLY),
                                        &v6only, &err),
                     0);
    assert_int_equal(v6only, 0);
    assert_int_equal(nk_sockopt_get_int(lfd,
                                        NK_SOCKOPT(SOL_SOCKET, SO_REUSEADDR),
                                        &reuse, &err),
                     0);
    assert_int_not_equal(reuse, 0);
    port_str(lfd, port, sizeof port);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_addr peer, acc, cl;
        char want[NK_ADDRSTRLEN], buf[NK_ADDRSTRLEN];
        int c, a;

        c = track(nk_connect(cases[i].host, port, AF_UNSPEC, SOCK_STREAM, 2000,
                             &peer, &err));
        if (c < 0)
            fail_msg("%s: %s", cases[i].host, err.msg);
        hostport(cases[i].host, port, want, sizeof want);
        assert_string_equal(fmt_addr(&peer, buf, sizeof buf), want);

        a = track(nk_accept(lfd, &acc, 0, &err));
        if (a < 0)
            fail_msg("accept: %s", err.msg);
        assert_int_equal(acc.ss.ss_family, AF_INET6);
        assert_string_equal(
            nk_addr_host((struct sockaddr *)&acc.ss, acc.len, buf, sizeof buf),
            cases[i].accepted_host);
        /* The accepted peer is the client's own end. */
        assert_int_equal(nk_local_addr(c, &cl, &err), 0);
        assert_int_equal(nk_addr_port((struct sockaddr *)&acc.ss),
                         nk_addr_port((struct sockaddr *)&cl.ss));
        assert_byte_flows(c, a);
        assert_byte_flows(a, c);
    }
}

/* An explicit AF_INET6 listener is IPv6 only: an IPv4 client to the same
 * port is refused. */
static void
test_listen_inet6_is_v6only(void **state)
{
    static const char *const hosts[] = {NULL, "::1"};

    (void)state;
    skip_without_ipv6();
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        struct nk_err err;
        char port[16];
        int lfd, v6only = -1, c;

        if (hosts[i] == NULL && !private_net)
            continue; /* the wildcard only inside a private namespace */
        lfd = track(nk_listen(hosts[i], "0", AF_INET6, SOCK_STREAM, 8, &err));
        if (lfd < 0)
            fail_msg("%s", err.msg);
        assert_int_equal(
            nk_sockopt_get_int(lfd, NK_SOCKOPT(IPPROTO_IPV6, IPV6_V6ONLY),
                               &v6only, &err),
            0);
        assert_int_equal(v6only, 1);
        port_str(lfd, port, sizeof port);

        c = track(nk_connect("127.0.0.1", port, AF_INET, SOCK_STREAM, 2000,
                             NULL, &err));
        assert_int_equal(c, -1);
        assert_int_equal(err.sys_errno, ECONNREFUSED);

        c = track(
            nk_connect("::1", port, AF_INET6, SOCK_STREAM, 2000, NULL, &err));
        if (c < 0)
            fail_msg("%s", err.msg);
    }
}

/* Options every listener carries, TCP and UDP, both families. */
static void
test_listen_options(void **state)
{
    static const struct {
        const char *host;
        int socktype;
    } cases[] = {
        {"127.0.0.1", SOCK_STREAM},
        {"127.0.0.1", SOCK_DGRAM},
        {"::1", SOCK_STREAM},
        {"::1", SOCK_DGRAM},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_err err;
        struct nk_addr la;
        char buf[NK_ADDRSTRLEN];
        int fd, v = 0, port;

        if (family_of(cases[i].host) == AF_INET6 && !have_ipv6)
            continue;
        fd = listen_loopback(cases[i].host, cases[i].socktype, 4);
        assert_cloexec(fd);
        assert_int_equal(
            nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_REUSEADDR), &v,
                               &err),
            0);
        assert_int_not_equal(v, 0);
        assert_int_equal(
            nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_TYPE), &v, &err),
            0);
        assert_int_equal(v, cases[i].socktype);
        if (cases[i].socktype == SOCK_STREAM) {
            assert_int_equal(
                nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_ACCEPTCONN),
                                   &v, &err),
                0);
            assert_int_equal(v, 1);
        }
        /* Port "0" gave a real ephemeral port on the asked address. */
        assert_int_equal(nk_local_addr(fd, &la, &err), 0);
        port = nk_addr_port((struct sockaddr *)&la.ss);
        assert_true(port > 0 && port <= 65535);
        assert_string_equal(
            nk_addr_host((struct sockaddr *)&la.ss, la.len, buf, sizeof buf),
            cases[i].host);
    }
}

/* nk_listen_ex with reuseaddr 0 leaves SO_REUSEADDR off, on TCP and UDP. */
static void
test_listen_ex_without_reuseaddr(void **state)
{
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM};

    (void)state;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct nk_listen_opts o = {.host = "127.0.0.1",
                                   .port = "0",
                                   .family = AF_INET,
                                   .socktype = types[i],
                                   .backlog = 4};
        struct nk_err err;
        int fd, v = -1;

        fd = track(nk_listen_ex(&o, &err));
        if (fd < 0)
            fail_msg("%s", err.msg);
        assert_int_equal(
            nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_REUSEADDR), &v,
                               &err),
            0);
        assert_int_equal(v, 0);
    }
}

/* SO_REUSEPORT: two listeners on one port, as the default echo model's
 * workers use; without it the second bind fails. */
static void
test_listen_ex_reuseport(void **state)
{
    struct nk_listen_opts o = {.host = "127.0.0.1",
                               .port = "0",
                               .family = AF_INET,
                               .socktype = SOCK_STREAM,
                               .backlog = 4,
                               .reuseaddr = 1,
                               .reuseport = 1};
    struct nk_err err;
    char port[16];
    int a, b, v = 0;

    (void)state;
    a = track(nk_listen_ex(&o, &err));
    if (a < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(
        nk_sockopt_get_int(a, NK_SOCKOPT(SOL_SOCKET, SO_REUSEPORT), &v, &err),
        0);
    assert_int_not_equal(v, 0);
    port_str(a, port, sizeof port);
    o.port = port;
    b = track(nk_listen_ex(&o, &err));
    if (b < 0)
        fail_msg("second SO_REUSEPORT listener: %s", err.msg);
    o.reuseport = 0;
    assert_int_equal(nk_listen_ex(&o, &err), -1);
    assert_int_equal(err.sys_errno, EADDRINUSE);
    /* The probe a new group runs first sees the group's port as taken,
     * though a third SO_REUSEPORT socket could join it. */
    o.reuseport = 1;
    assert_int_equal(nk_port_free(&o, &err), -1);
    assert_int_equal(err.sys_errno, EADDRINUSE);
    assert_non_null(strstr(err.msg, "address already in use"));
    o.port = "0";
    assert_int_equal(nk_port_free(&o, &err), 0);
}

/* nk_port_free on a free port: 0, and it leaves nothing bound. */
static void
test_port_free(void **state)
{
    struct nk_listen_opts o = {.host = "127.0.0.1",
                               .port = "0",
                               .family = AF_INET,
                               .socktype = SOCK_STREAM,
                               .backlog = 4,
                               .reuseaddr = 1,
                               .reuseport = 1};
    struct nk_err err;
    char port[16];
    int a;

    (void)state;
    a = track(nk_listen_ex(&o, &err));
    assert_true(a >= 0);
    port_str(a, port, sizeof port);
    nk_close(a); /* now free again (the listener had no connection) */
    o.port = port;
    assert_int_equal(nk_port_free(&o, &err), 0);
    assert_int_equal(nk_port_free(&o, &err), 0); /* the probe was closed */
    /* A socket only bound (bind_only), without SO_REUSEADDR, holds it. */
    o.bind_only = 1;
    o.reuseaddr = 0;
    a = track(nk_listen_ex(&o, &err));
    assert_true(a >= 0);
    assert_int_equal(nk_port_free(&o, &err), -1);
    assert_int_equal(err.sys_errno, EADDRINUSE);
}

/* Receive/send timeouts round-trip in milliseconds; 0 is "none". */
static void
test_sockopt_timeout(void **state)
{
    static const int opts[] = {SO_RCVTIMEO, SO_SNDTIMEO};
    static const int values[] = {0, 500, 2500, 1000};
    struct nk_err err;
    int fd = track(nk_socket(AF_INET, SOCK_STREAM, &err)), ms = -1;

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(
        nk_sockopt_get_timeout(fd, SO_RCVTIMEO, "SO_RCVTIMEO", &ms, &err), 0);
    assert_int_equal(ms, 0); /* a fresh socket blocks forever */
    for (size_t o = 0; o < 2; o++)
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
            assert_int_equal(
                nk_sockopt_set_timeout(fd, opts[o], "opt", values[i], &err),
                0);
            assert_int_equal(
                nk_sockopt_get_timeout(fd, opts[o], "opt", &ms, &err), 0);
            /* the kernel keeps it in jiffies: allow a tick of rounding */
            assert_true(ms >= values[i] - 10 && ms <= values[i] + 10);
        }
    assert_int_equal(
        nk_sockopt_set_timeout(fd, SO_RCVTIMEO, "SO_RCVTIMEO", -1, &err), -1);
    assert_string_equal(err.msg, "setsockopt SO_RCVTIMEO: invalid argument");
    assert_int_equal(
        nk_sockopt_set_timeout(-1, SO_RCVTIMEO, "SO_RCVTIMEO", 5, &err), -1);
    assert_string_equal(err.msg,
                        "setsockopt SO_RCVTIMEO: bad file descriptor");
}

static void
test_listen_port_in_use(void **state)
{
    static const char *const hosts[] = {"127.0.0.1", "::1"};

    (void)state;
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        struct nk_err err;
        char port[16], where[NK_ADDRSTRLEN], want[NK_ERR_MSG];
        int fd, again;

        if (family_of(hosts[i]) == AF_INET6 && !have_ipv6)
            continue;
        fd = listen_loopback(hosts[i], SOCK_STREAM, 4);
        port_str(fd, port, sizeof port);
        errno = 0;
        again =
            track(nk_listen(hosts[i], port, AF_UNSPEC, SOCK_STREAM, 4, &err));
        assert_int_equal(again, -1);
        assert_int_equal(errno, EADDRINUSE);
        assert_int_equal(err.sys_errno, EADDRINUSE);
        assert_int_equal(err.exit_code, 69);
        snprintf(want, sizeof want, "bind %s: address already in use",
                 hostport(hosts[i], port, where, sizeof where));
        assert_string_equal(err.msg, want);
    }
}

/* ---- UDP --------------------------------------------------------------- */

static void
test_udp_round_trip(void **state)
{
    static const char *const hosts[] = {"127.0.0.1", "::1"};

    (void)state;
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof from;
        struct nk_addr peer, cl;
        struct nk_err err;
        char port[16], want[NK_ADDRSTRLEN], buf[NK_ADDRSTRLEN], data[16];
        int s, c;
        ssize_t n;

        if (family_of(hosts[i]) == AF_INET6 && !have_ipv6)
            continue;
        s = listen_loopback(hosts[i], SOCK_DGRAM, 0);
        port_str(s, port, sizeof port);
        c = track(nk_connect(hosts[i], port, AF_UNSPEC, SOCK_DGRAM, 1000,
                             &peer, &err));
        if (c < 0)
            fail_msg("%s", err.msg);
        assert_int_equal(nk_local_addr(s, &cl, &err), 0);
        assert_string_equal(fmt_addr(&peer, buf, sizeof buf),
                            fmt_addr(&cl, want, sizeof want));

        assert_int_equal(send(c, "ping", 4, 0), 4);
        assert_int_equal(nk_wait_fd(s, POLLIN, 2000, &err), 1);
        n = recvfrom(s, data, sizeof data, 0, (struct sockaddr *)&from,
                     &fromlen);
        assert_int_equal(n, 4);
        assert_memory_equal(data, "ping", 4);
        /* The datagram came from the client's own address. */
        assert_int_equal(nk_local_addr(c, &cl, &err), 0);
        assert_string_equal(
            nk_addr_format((struct sockaddr *)&from, fromlen, buf, sizeof buf),
            fmt_addr(&cl, want, sizeof want));

        assert_int_equal(
            sendto(s, "pong!", 5, 0, (struct sockaddr *)&from, fromlen), 5);
        assert_int_equal(nk_wait_fd(c, POLLIN, 2000, &err), 1);
        assert_int_equal(recv(c, data, sizeof data, 0), 5);
        assert_memory_equal(data, "pong!", 5);
    }
}

/* ---- nk_connect -------------------------------------------------------- */

static void
test_connect_refused(void **state)
{
    static const char *const hosts[] = {"127.0.0.1", "::1"};

    (void)state;
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        struct nk_addr peer;
        struct nk_err err;
        char port[16], where[NK_ADDRSTRLEN], want[NK_ERR_MSG];
        int hold, fd;

        if (family_of(hosts[i]) == AF_INET6 && !have_ipv6)
            continue;
        /* A port that is bound but not listening refuses for sure; a
         * listener closed again would leave the port free for anyone. */
        hold = hold_port(hosts[i], 0);
        port_str(hold, port, sizeof port);
        errno = 0;
        fd = track(nk_connect(hosts[i], port, AF_UNSPEC, SOCK_STREAM, 2000,
                              &peer, &err));
        assert_int_equal(fd, -1);
        assert_int_equal(errno, ECONNREFUSED);
        assert_int_equal(err.sys_errno, ECONNREFUSED);
        assert_int_equal(err.gai, 0);
        assert_int_equal(err.exit_code, 69);
        snprintf(want, sizeof want, "connect %s: connection refused",
                 hostport(hosts[i], port, where, sizeof where));
        assert_string_equal(err.msg, want);
    }
}

/* host NULL resolves to ::1 and 127.0.0.1. With a listener on one family
 * and a refusing socket on the other at the same port, nk_connect must get
 * through whichever order the resolver chose, and report the address that
 * answered. Both rows together cover "first fails, second answers". */
static void
test_connect_tries_every_address(void **state)
{
    static const struct {
        const char *listen_on, *refuse_on;
    } cases[] = {
        {"127.0.0.1", "::1"},
        {"::1", "127.0.0.1"},
    };

    (void)state;
    skip_without_ipv6();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_addr peer, acc, cl;
        struct nk_err err;
        char port[16], want[NK_ADDRSTRLEN], buf[NK_ADDRSTRLEN];
        char buf2[NK_ADDRSTRLEN];
        int lfd, c, a;

        lfd = same_port_on_two(cases[i].listen_on, 1, cases[i].refuse_on, port,
                               sizeof port);

        c = track(
            nk_connect(NULL, port, AF_UNSPEC, SOCK_STREAM, 2000, &peer, &err));
        if (c < 0)
            fail_msg("case %zu: %s", i, err.msg);
        hostport(cases[i].listen_on, port, want, sizeof want);
        assert_string_equal(fmt_addr(&peer, buf, sizeof buf), want);
        /* A blocking fd, as promised, with CLOEXEC. */
        assert_int_equal(nk_get_nonblock(c, &err), 0);
        assert_cloexec(c);

        a = track(nk_accept(lfd, &acc, 0, &err));
        assert_true(a >= 0);
        assert_int_equal(nk_local_addr(c, &cl, &err), 0);
        assert_string_equal(fmt_addr(&acc, buf, sizeof buf),
                            fmt_addr(&cl, buf2, sizeof buf2));
        assert_byte_flows(c, a);
    }
}

/* "localhost" with only an IPv4 listener: whether the resolver also gives
 * ::1 (refused here) or not, the connection must be made to 127.0.0.1. */
static void
test_connect_localhost_ipv4_listener(void **state)
{
    struct nk_addr peer;
    struct nk_err err;
    char port[16], want[NK_ADDRSTRLEN], buf[NK_ADDRSTRLEN];
    int lfd, c, a;

    (void)state;
    if (have_ipv6) {
        lfd = same_port_on_two("127.0.0.1", 1, "::1", port, sizeof port);
    } else {
        lfd = listen_loopback("127.0.0.1", SOCK_STREAM, 4);
        port_str(lfd, port, sizeof port);
    }
    c = track(nk_connect("localhost", port, AF_UNSPEC, SOCK_STREAM, 2000,
                         &peer, &err));
    if (c < 0)
        fail_msg("%s", err.msg);
    snprintf(want, sizeof want, "127.0.0.1:%s", port);
    assert_string_equal(fmt_addr(&peer, buf, sizeof buf), want);
    a = track(nk_accept(lfd, NULL, 0, &err));
    assert_true(a >= 0);
    assert_byte_flows(a, c);
}

/* Every address refused: the error names the last one tried. */
static void
test_connect_all_fail_names_last(void **state)
{
    struct addrinfo *ai = NULL, *last;
    struct nk_err err;
    char port[16], want[NK_ERR_MSG], where[NK_ADDRSTRLEN];
    int fd, n;

    (void)state;
    skip_without_ipv6();
    same_port_on_two("127.0.0.1", 0, "::1", port, sizeof port);

    n = nk_resolve(NULL, port, AF_UNSPEC, SOCK_STREAM, 0, &ai, &err);
    assert_int_equal(n, 2);
    for (last = ai; last->ai_next != NULL; last = last->ai_next)
        ;
    snprintf(
        want, sizeof want, "connect %s: connection refused",
        nk_addr_format(last->ai_addr, last->ai_addrlen, where, sizeof where));
    nk_resolve_free(ai);

    fd = track(
        nk_connect(NULL, port, AF_UNSPEC, SOCK_STREAM, 2000, NULL, &err));
    assert_int_equal(fd, -1);
    assert_int_equal(err.sys_errno, ECONNREFUSED);
    assert_int_equal(err.exit_code, 69);
    assert_string_equal(err.msg, want);
}

/* A listener with backlog 0 that never accepts: once its queue is full the
 * kernel drops further SYNs, so a connect stays in progress and only the
 * timeout can end it. */
static void
test_connect_timeout(void **state)
{
    struct nk_err err;
    struct nk_addr la;
    char port[16], want[NK_ERR_MSG];
    int lfd, stuck = 0, fd;
    int64_t t0, took;

    (void)state;
    lfd = listen_loopback("127.0.0.1", SOCK_STREAM, 0);
    assert_int_equal(nk_local_addr(lfd, &la, &err), 0);
    port_str(lfd, port, sizeof port);

    for (int i = 0; i < 64 && !stuck; i++) {
        int c = track(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
        struct pollfd p = {.fd = c, .events = POLLOUT, .revents = 0};

        assert_true(c >= 0);
        if (connect(c, (struct sockaddr *)&la.ss, la.len) == 0)
            continue; /* completed at once: it took a queue slot */
        assert_int_equal(errno, EINPROGRESS);
        stuck = poll(&p, 1, 50) == 0;
    }
    if (!stuck) {
        NK_SKIP_KERNEL("the kernel never left a connect pending");
    }

    t0 = nk_now_ms();
    errno = 0;
    fd = track(
        nk_connect("127.0.0.1", port, AF_INET, SOCK_STREAM, 200, NULL, &err));
    took = nk_now_ms() - t0;
    print_message("timed out after %lld ms\n", (long long)took);
    assert_int_equal(fd, -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_int_equal(err.sys_errno, ETIMEDOUT);
    assert_int_equal(err.exit_code, 75);
    snprintf(want, sizeof want, "connect 127.0.0.1:%s: connection timed out",
             port);
    assert_string_equal(err.msg, want);
    assert_true(took >= 190);
    assert_true(took < 2000);
}

/* nk_connect_addr leaves the fd's blocking mode as it found it. */
static void
test_connect_addr_keeps_mode(void **state)
{
    static const int modes[] = {0, 1};
    struct nk_err err;
    struct nk_addr la;
    int lfd;

    (void)state;
    lfd = listen_loopback("127.0.0.1", SOCK_STREAM, 4);
    assert_int_equal(nk_local_addr(lfd, &la, &err), 0);
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        int fd = track(nk_socket(AF_INET, SOCK_STREAM, &err));

        assert_true(fd >= 0);
        assert_cloexec(fd);
        assert_int_equal(nk_set_nonblock(fd, modes[i], &err), 0);
        if (nk_connect_addr(fd, (struct sockaddr *)&la.ss, la.len, 2000,
                            &err) < 0)
            fail_msg("%s", err.msg);
        assert_int_equal(nk_get_nonblock(fd, &err), modes[i]);
        track(nk_accept(lfd, NULL, 0, &err));
    }
}

/* ---- nk_accept --------------------------------------------------------- */

static void
test_accept_flags_and_peer(void **state)
{
    static const struct {
        const char *host;
        int nonblock;
    } cases[] = {
        {"127.0.0.1", 0},
        {"127.0.0.1", 1},
        {"::1", 0},
        {"::1", 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_addr acc, cl, pa;
        struct nk_err err;
        char port[16], b1[NK_ADDRSTRLEN], b2[NK_ADDRSTRLEN];
        int lfd, c, a, fl;

        if (family_of(cases[i].host) == AF_INET6 && !have_ipv6)
            continue;
        lfd = listen_loopback(cases[i].host, SOCK_STREAM, 4);
        port_str(lfd, port, sizeof port);
        c = track(nk_connect(cases[i].host, port, AF_UNSPEC, SOCK_STREAM, 2000,
                             NULL, &err));
        assert_true(c >= 0);

        memset(&acc, 0xa5, sizeof acc);
        a = track(nk_accept(lfd, &acc, cases[i].nonblock, &err));
        if (a < 0)
            fail_msg("%s", err.msg);
        assert_cloexec(a);
        fl = fcntl(a, F_GETFL);
        assert_true(fl >= 0);
        assert_int_equal((fl & O_NONBLOCK) != 0, cases[i].nonblock);
        assert_int_equal(nk_get_nonblock(a, &err), cases[i].nonblock);

        /* *peer is the client's end, and agrees with getpeername. */
        assert_int_equal(nk_local_addr(c, &cl, &err), 0);
        assert_int_equal(acc.len, cl.len);
        assert_string_equal(fmt_addr(&acc, b1, sizeof b1),
                            fmt_addr(&cl, b2, sizeof b2));
        assert_int_equal(nk_peer_addr(a, &pa, &err), 0);
        assert_string_equal(fmt_addr(&pa, b2, sizeof b2), b1);
        assert_byte_flows(c, a);
    }
}

static void
test_accept_nothing_pending(void **state)
{
    struct nk_err err;
    int lfd, a;
    int64_t t0;

    (void)state;
    lfd = listen_loopback("127.0.0.1", SOCK_STREAM, 4);
    assert_int_equal(nk_set_nonblock(lfd, 1, &err), 0);
    t0 = nk_now_ms();
    errno = 0;
    a = track(nk_accept(lfd, NULL, 0, &err));
    assert_true(nk_now_ms() - t0 < 1000);
    assert_int_equal(a, -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(err.sys_errno, EAGAIN);
    assert_int_equal(err.exit_code, 75);
    assert_string_equal(err.msg, "accept: resource temporarily unavailable");
}

static void
test_accept_bad_fd(void **state)
{
    static const struct {
        int use_pipe, want_errno;
        const char *msg;
    } cases[] = {
        {0, EBADF, "accept: bad file descriptor"},
        {1, ENOTSOCK, "accept: socket operation on non-socket"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_err err;
        int pfd[2], fd = -1;

        if (cases[i].use_pipe) {
            assert_int_equal(pipe(pfd), 0);
            track(pfd[0]);
            track(pfd[1]);
            fd = pfd[0];
        }
        assert_int_equal(nk_accept(fd, NULL, 0, &err), -1);
        assert_int_equal(err.sys_errno, cases[i].want_errno);
        assert_int_equal(err.exit_code, 74);
        assert_string_equal(err.msg, cases[i].msg);
    }
}

/* ---- address text ------------------------------------------------------ */

struct addr_case {
    int family;
    const char *host;
    int port;
    const char *text;
};

static socklen_t
make_addr(const struct addr_case *c, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (c->family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)c->port);
        assert_int_equal(inet_pton(AF_INET6, c->host, &s6->sin6_addr), 1);
        return sizeof *s6;
    }
    if (c->family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)c->port);
        assert_int_equal(inet_pton(AF_INET, c->host, &s4->sin_addr), 1);
        return sizeof *s4;
    }
    ss->ss_family = (sa_family_t)c->family;
    return sizeof(sa_family_t) + 2;
}

static const struct addr_case addr_cases[] = {
    {AF_INET, "127.0.0.1", 80, "127.0.0.1:80"},
    {AF_INET, "0.0.0.0", 0, "0.0.0.0:0"},
    {AF_INET, "255.255.255.255", 65535, "255.255.255.255:65535"},
    {AF_INET, "192.0.2.10", 123, "192.0.2.10:123"},
    {AF_INET6, "::1", 80, "[::1]:80"},
    {AF_INET6, "::", 0, "[::]:0"},
    {AF_INET6, "2001:db8::1", 443, "[2001:db8::1]:443"},
    {AF_INET6, "::ffff:127.0.0.1", 8080, "[::ffff:127.0.0.1]:8080"},
    {AF_INET6, "2001:db8:1:2:3:4:5:6", 65535, "[2001:db8:1:2:3:4:5:6]:65535"},
    {AF_UNIX, NULL, 0, "unix:@@"}, /* abstract, two NUL bytes */
    {AF_APPLETALK, NULL, 0, "?"},
};

static void
test_addr_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof addr_cases / sizeof addr_cases[0]; i++) {
        const struct addr_case *c = &addr_cases[i];
        struct sockaddr_storage ss;
        socklen_t len = make_addr(c, &ss);
        char buf[NK_ADDRSTRLEN];

        memset(buf, 'z', sizeof buf);
        assert_ptr_equal(
            nk_addr_format((struct sockaddr *)&ss, len, buf, sizeof buf), buf);
        assert_string_equal(buf, c->text);
    }
}

static void
test_addr_host_and_port(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof addr_cases / sizeof addr_cases[0]; i++) {
        const struct addr_case *c = &addr_cases[i];
        struct sockaddr_storage ss;
        socklen_t len = make_addr(c, &ss);
        char buf[NK_ADDRSTRLEN];

        assert_int_equal(nk_addr_port((struct sockaddr *)&ss), c->port);
        if (c->host == NULL)
            continue;
        assert_ptr_equal(
            nk_addr_host((struct sockaddr *)&ss, len, buf, sizeof buf), buf);
        assert_string_equal(buf, c->host);
    }
}

/* A short buffer gets a cut but terminated string, never an overflow. */
static void
test_addr_format_short_buffer(void **state)
{
    static const struct addr_case c6 = {AF_INET6, "2001:db8::1", 443, NULL};
    struct sockaddr_storage ss;
    socklen_t len = make_addr(&c6, &ss);
    char buf[8];
    char host[4] = "xyz";

    (void)state;
    memset(buf, 'z', sizeof buf);
    nk_addr_format((struct sockaddr *)&ss, len, buf, 6);
    assert_string_equal(buf, "[2001");
    assert_int_equal(buf[6], 'z');
    /* size 0 writes nothing at all. */
    nk_addr_host((struct sockaddr *)&ss, len, host, 0);
    assert_string_equal(host, "xyz");
}

static void
test_addr_set(void **state)
{
    static const struct addr_case c4 = {AF_INET, "127.0.0.1", 7, NULL};
    struct sockaddr_storage ss, big[2];
    struct nk_addr a;
    char buf[NK_ADDRSTRLEN];
    socklen_t len = make_addr(&c4, &ss);

    (void)state;
    memset(&a, 0xff, sizeof a);
    nk_addr_set(&a, (struct sockaddr *)&ss, len);
    assert_int_equal(a.len, len);
    assert_string_equal(fmt_addr(&a, buf, sizeof buf), "127.0.0.1:7");
    /* The rest of the storage was cleared, not left as it was. */
    for (size_t i = len; i < sizeof a.ss; i++)
        assert_int_equal(((unsigned char *)&a.ss)[i], 0);

    /* A length beyond the storage is clamped. */
    memset(big, 0, sizeof big);
    memcpy(&big[0], &ss, len);
    nk_addr_set(&a, (struct sockaddr *)big, (socklen_t)sizeof big);
    assert_int_equal(a.len, sizeof a.ss);
    assert_int_equal(nk_addr_port((struct sockaddr *)&a.ss), 7);
}

/* ---- socket options ---------------------------------------------------- */

static void
test_sockopt_round_trip(void **state)
{
    static const struct {
        int level, opt;
        const char *name;
        int set, want, doubled; /* doubled: Linux stores 2x (socket(7)) */
    } cases[] = {
        {SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 1, 1, 0},
        {SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 0, 0, 0},
        {SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1, 1, 0},
        {IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1, 1, 0},
        {IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 0, 0, 0},
        {SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", 32768, 32768, 1},
        {SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", 16384, 16384, 1},
    };
    struct nk_err err;
    int fd;

    (void)state;
    fd = track(nk_socket(AF_INET, SOCK_STREAM, &err));
    assert_true(fd >= 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int v = -12345, want = cases[i].want;

        if (nk_sockopt_set_int(fd, cases[i].level, cases[i].opt, cases[i].name,
                               cases[i].set, &err) < 0)
            fail_msg("%s", err.msg);
        assert_int_equal(nk_sockopt_get_int(fd, cases[i].level, cases[i].opt,
                                            cases[i].name, &v, &err),
                         0);
#ifdef __linux__
        /* Linux doubles buffer sizes to make room for its bookkeeping. */
        if (cases[i].doubled)
            want *= 2;
#endif
        if (cases[i].doubled && v != want)
            print_message("%s: set %d, read %d\n", cases[i].name, cases[i].set,
                          v);
        assert_int_equal(v, want);
    }
}

static void
test_sockopt_errors(void **state)
{
    static const struct {
        int use_pipe, set, want_errno;
        const char *msg;
    } cases[] = {
        {0, 1, EBADF, "setsockopt SO_RCVBUF: bad file descriptor"},
        {0, 0, EBADF, "getsockopt SO_RCVBUF: bad file descriptor"},
        {1, 1, ENOTSOCK,
         "setsockopt SO_RCVBUF: socket operation on "
         "non-socket"},
        {1, 0, ENOTSOCK,
         "getsockopt SO_RCVBUF: socket operation on "
         "non-socket"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_err err;
        int pfd[2], fd = -1, v = 0, rc;

        if (cases[i].use_pipe) {
            assert_int_equal(pipe(pfd), 0);
            track(pfd[0]);
            track(pfd[1]);
            fd = pfd[1];
        }
        errno = 0;
        if (cases[i].set)
            rc = nk_sockopt_set_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_RCVBUF),
                                    65536, &err);
        else
            rc = nk_sockopt_get_int(fd, NK_SOCKOPT(SOL_SOCKET, SO_RCVBUF), &v,
                                    &err);
        assert_int_equal(rc, -1);
        assert_int_equal(errno, cases[i].want_errno);
        assert_int_equal(err.sys_errno, cases[i].want_errno);
        assert_int_equal(err.exit_code, 74);
        assert_string_equal(err.msg, cases[i].msg);
    }
}

#define T(f) cmocka_unit_test_teardown(f, close_tracked)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_resolve_numeric),
        T(test_resolve_localhost),
        T(test_resolve_family_filter),
        T(test_resolve_errors),
        T(test_resolve_unknown_host),
        T(test_resolve_unknown_host_offline),
        T(test_listen_wildcard_dual_stack),
        T(test_listen_inet6_is_v6only),
        T(test_listen_options),
        T(test_listen_ex_without_reuseaddr),
        T(test_listen_ex_reuseport),
        T(test_port_free),
        T(test_listen_port_in_use),
        T(test_udp_round_trip),
        T(test_connect_refused),
        T(test_connect_tries_every_address),
        T(test_connect_localhost_ipv4_listener),
        T(test_connect_all_fail_names_last),
        T(test_connect_timeout),
        T(test_connect_addr_keeps_mode),
        T(test_accept_flags_and_peer),
        T(test_accept_nothing_pending),
        T(test_accept_bad_fd),
        T(test_addr_format),
        T(test_addr_host_and_port),
        T(test_addr_format_short_buffer),
        T(test_addr_set),
        T(test_sockopt_round_trip),
        T(test_sockopt_errors),
        T(test_sockopt_timeout),
    };

    return cmocka_run_group_tests(tests, group_setup, close_tracked);
}
