/* hostinfo: the pure helpers (prefix length, flag names, address and
 * alias de-duplication), the lookups on names that never leave the machine
 * (localhost, numeric addresses, ".invalid"), and the command run
 * in-process with stdout captured. No DNS: reverse lookups only of
 * 127.0.0.1, whose answer /etc/hosts holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "netkit/exitcodes.h"
#include "netkit/host.h"

static struct sockaddr_storage
make_addr(const char *text, uint32_t scope)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof ss);
    if (strchr(text, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_scope_id = scope;
        assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
    }
    return ss;
}

static void
test_prefix_len(void **state)
{
    static const struct {
        const char *mask;
        int want;
    } cases[] = {
        {"0.0.0.0", 0},
        {"128.0.0.0", 1},
        {"255.0.0.0", 8},
        {"255.255.255.0", 24},
        {"255.255.255.252", 30},
        {"255.255.255.255", 32},
        {"255.0.255.0", -1},
        {"0.0.0.255", -1},
        {"255.255.255.254", 31},
        {"::", 0},
        {"ffff:ffff:ffff:ffff::", 64},
        {"ffff:fffe::", 31},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0", 124},
        {"ffff::1", -1},
        {"0:ffff::", -1},
    };
    struct sockaddr_storage ss;
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ss = make_addr(cases[i].mask, 0);
        if (nk_prefix_len((struct sockaddr *)&ss) != cases[i].want)
            fail_msg("mask %s: got %d, want %d", cases[i].mask,
                     nk_prefix_len((struct sockaddr *)&ss), cases[i].want);
    }
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNIX;
    assert_int_equal(nk_prefix_len((struct sockaddr *)&ss), -1);
}

static void
test_flag_names(void **state)
{
    const char *names[16];
    size_t n;
    (void)state;
    n = nk_iface_flag_names(IFF_UP | IFF_LOOPBACK | IFF_RUNNING, names, 16);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "up");
    assert_string_equal(names[1], "loopback");
    assert_string_equal(names[2], "running");
    n = nk_iface_flag_names(IFF_BROADCAST | IFF_MULTICAST | IFF_UP, names, 16);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "up");
    assert_string_equal(names[1], "broadcast");
    assert_string_equal(names[2], "multicast");
    assert_int_equal(nk_iface_flag_names(0, names, 16), 0);
    /* max is respected */
    assert_int_equal(nk_iface_flag_names(IFF_UP | IFF_LOOPBACK, names, 1), 1);
    assert_string_equal(names[0], "up");
}

static void
test_add_addr_dedup(void **state)
{
    static const struct {
        const char *addr;
        uint32_t scope;
        int want; /* 1 added, 0 duplicate */
    } steps[] = {
        {"127.0.0.1", 0, 1}, {"::1", 0, 1},
        {"127.0.0.1", 0, 0}, {"127.0.0.2", 0, 1},
        {"fe80::1", 1, 1},   {"fe80::1", 2, 1},
        {"fe80::1", 1, 0},   {"::ffff:127.0.0.1", 0, 1},
        {"::1", 0, 0},
    };
    struct nk_host h;
    struct nk_err err;
    char text[NK_ADDRSTRLEN];
    (void)state;
    memset(&h, 0, sizeof h);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct sockaddr_storage ss = make_addr(steps[i].addr, steps[i].scope);
        socklen_t len = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                                : sizeof(struct sockaddr_in6);
        int rc = nk_host_add_addr(&h, (struct sockaddr *)&ss, len, &err);
        if (rc != steps[i].want)
            fail_msg("step %zu (%s): got %d, want %d", i, steps[i].addr, rc,
                     steps[i].want);
    }
    assert_int_equal(h.n_addrs, 6);
    /* order of first appearance is kept */
    nk_addr_host((struct sockaddr *)&h.addrs[0].ss, h.addrs[0].len, text,
                 sizeof text);
    assert_string_equal(text, "127.0.0.1");
    nk_addr_host((struct sockaddr *)&h.addrs[1].ss, h.addrs[1].len, text,
                 sizeof text);
    assert_string_equal(text, "::1");
    nk_host_free(&h);
    assert_int_equal(h.n_addrs, 0);
    assert_null(h.addrs);
}

static void
test_add_alias(void **state)
{
    struct nk_host h;
    struct nk_err err;
    (void)state;
    memset(&h, 0, sizeof h);
    snprintf(h.canonical, sizeof h.canonical, "host.example");
    assert_int_equal(nk_host_add_alias(&h, "host", &err), 1);
    assert_int_equal(nk_host_add_alias(&h, "host.example", &err), 0);
    assert_int_equal(nk_host_add_alias(&h, "host", &err), 0);
    assert_int_equal(nk_host_add_alias(&h, "", &err), 0);
    assert_int_equal(nk_host_add_alias(&h, NULL, &err), 0);
    assert_int_equal(nk_host_add_alias(&h, "loghost", &err), 1);
    assert_int_equal(h.n_aliases, 2);
    assert_string_equal(h.aliases[0], "host");
    assert_string_equal(h.aliases[1], "loghost");
    nk_host_free(&h);
}

static int
has_addr(const struct nk_host *h, const char *want)
{
    char text[NK_ADDRSTRLEN];

    for (size_t i = 0; i < h->n_addrs; i++) {
        nk_addr_host((const struct sockaddr *)&h->addrs[i].ss, h->addrs[i].len,
                     text, sizeof text);
        if (strcmp(text, want) == 0)
            return 1;
    }
    return 0;
}

/* localhost -> 127.0.0.1 on every Debian; -4 keeps IPv4 only. */
static void
test_lookup_localhost(void **state)
{
    struct nk_host h;
    struct nk_err err;
    (void)state;
    assert_true(nk_host_lookup("localhost", AF_INET, &h, &err) >= 1);
    assert_true(has_addr(&h, "127.0.0.1"));
    assert_int_equal(h.numeric, 0);
    assert_string_equal(h.canonical, "localhost");
    for (size_t i = 0; i < h.n_addrs; i++)
        assert_int_equal(h.addrs[i].ss.ss_family, AF_INET);
    for (size_t i = 0; i < h.n_aliases; i++)
        assert_string_not_equal(h.aliases[i], "localhost");
    nk_host_free(&h);
}

static void
test_lookup_numeric(void **state)
{
    static const struct {
        const char *in;
        int family;
        int want_rc; /* 1 or -1 */
        int want_exit;
        const char *want; /* address, or the error message */
    } cases[] = {
        {"127.0.0.1", AF_UNSPEC, 1, 0, "127.0.0.1"},
        {"127.0.0.1", AF_INET, 1, 0, "127.0.0.1"},
        {"::1", AF_UNSPEC, 1, 0, "::1"},
        {"::1", AF_INET6, 1, 0, "::1"},
        {"0:0::1", AF_UNSPEC, 1, 0, "::1"},
        {"::1", AF_INET, -1, NK_EX_DATAERR,
         "'::1' is an IPv6 address, but -4 asks for IPv4"},
        {"10.1.2.3", AF_INET6, -1, NK_EX_DATAERR,
         "'10.1.2.3' is an IPv4 address, but -6 asks for IPv6"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nk_host h;
        struct nk_err err;
        int rc = nk_host_lookup(cases[i].in, cases[i].family, &h, &err);
        assert_int_equal(rc, cases[i].want_rc);
        if (rc < 0) {
            assert_int_equal(err.exit_code, cases[i].want_exit);
            assert_string_equal(err.msg, cases[i].want);
            continue;
        }
        assert_int_equal(h.numeric, 1);
        assert_string_equal(h.canonical, cases[i].want);
        assert_true(has_addr(&h, cases[i].want));
        assert_int_equal(h.n_aliases, 0);
        nk_host_free(&h);
    }
}

static void
test_lookup_unknown(void **state)
{
    struct nk_host h;
    struct nk_err err;
    char buf[NK_HOST_NAMELEN];
    (void)state;
    assert_int_equal(nk_host_lookup("nosuch.invalid", AF_UNSPEC, &h, &err),
                     -1);
    assert_int_equal(err.exit_code, NK_EX_NOHOST);
    assert_non_null(strstr(err.msg, "resolve nosuch.invalid: "));
    assert_int_equal(nk_host_fqdn("a.b.invalid", buf, sizeof buf, &err), -1);
    assert_int_equal(err.exit_code, NK_EX_NOHOST);
}

/* The name /etc/hosts gives 127.0.0.1 first (glibc's files backend
 * answers a reverse lookup with the first matching line). */
static int
hosts_name_for(const char *addr, char *out, size_t size)
{
    FILE *fp = fopen("/etc/hosts", "r");
    char line[1024], a[256], name[256];
    int found = 0;

    if (fp == NULL)
        return 0;
    while (!found && fgets(line, sizeof line, fp) != NULL) {
        if (line[0] == '#')
            continue;
        if (sscanf(line, "%255s %255s", a, name) == 2 &&
            strcmp(a, addr) == 0 && name[0] != '#') {
            snprintf(out, size, "%s", name);
            found = 1;
        }
    }
    fclose(fp);
    return found;
}

/* Does an IPv4 line of /etc/hosts list name (first name or alias)? */
static int
hosts_lists_ipv4_name(const char *name)
{
    FILE *fp = fopen("/etc/hosts", "r");
    char line[1024], word[256];
    int listed = 0, off = 0;

    while (fp != NULL && !listed && fgets(line, sizeof line, fp) != NULL) {
        if (line[0] == '#' || sscanf(line, "%255s%n", word, &off) != 1 ||
            strchr(word, ':') != NULL)
            continue;
        for (char *p = line + off;
             !listed && sscanf(p, "%255s%n", word, &off) == 1 &&
             word[0] != '#';
             p += off)
            listed = strcmp(word, name) == 0;
    }
    if (fp != NULL)
        fclose(fp);
    return listed;
}

static void
test_reverse_loopback(void **state)
{
    struct sockaddr_storage ss = make_addr("127.0.0.1", 0);
    char want[256], got[NK_HOST_NAMELEN];
    struct nk_err err;
    (void)state;
    if (!hosts_name_for("127.0.0.1", want, sizeof want))
        NK_SKIP_KERNEL("127.0.0.1 has no name in this machine's "
                       "/etc/hosts: its reverse lookup would need DNS");
    assert_int_equal(nk_host_reverse((struct sockaddr *)&ss,
                                     sizeof(struct sockaddr_in), got,
                                     sizeof got, &err),
                     0);
    assert_string_equal(got, want);
}

static void
test_host_name(void **state)
{
    struct utsname u;
    char name[NK_HOST_NAMELEN], tiny[3];
    struct nk_err err;
    (void)state;
    assert_int_equal(uname(&u), 0);
    assert_int_equal(nk_host_name(name, sizeof name, &err), 0);
    assert_string_equal(name, u.nodename);
    /* a buffer too small still ends up terminated (or fails cleanly) */
    if (nk_host_name(tiny, sizeof tiny, &err) == 0)
        assert_true(strlen(tiny) < sizeof tiny);
    assert_int_equal(nk_host_name(tiny, 0, &err), -1);
}

/* Every interface once, addresses IPv4/IPv6 only, a loopback one with a
 * 127/8 address where the kernel has IPv4 loopback configured. */
static void
test_iface_list(void **state)
{
    struct nk_iface *list;
    struct nk_err err;
    int n = nk_iface_list(&list, &err), loopback = 0;
    (void)state;
    assert_true(n >= 1);
    for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++)
            assert_string_not_equal(list[i].name, list[j].name);
        if (list[i].flags & IFF_LOOPBACK)
            loopback = 1;
        for (size_t k = 0; k < list[i].n_addrs; k++) {
            const struct nk_iface_addr *a = &list[i].addrs[k];
            int fam = a->addr.ss.ss_family;
            char text[NK_ADDRSTRLEN];
            assert_true(fam == AF_INET || fam == AF_INET6);
            assert_true(a->prefix_len >= -1 &&
                        a->prefix_len <= (fam == AF_INET ? 32 : 128));
            nk_addr_host((const struct sockaddr *)&a->addr.ss, a->addr.len,
                         text, sizeof text);
            if (strcmp(text, "127.0.0.1") == 0) {
                assert_true(list[i].flags & IFF_LOOPBACK);
                assert_int_equal(a->prefix_len, 8);
            }
        }
    }
    assert_true(loopback);
    nk_iface_free(list, (size_t)n);
}

static void
test_command_hosts(void **state)
{
    char *one[] = {"netkit", "hostinfo", "-4", "localhost", NULL};
    char *rev[] = {"netkit", "hostinfo", "-r", "127.0.0.1", NULL};
    char *num[] = {"netkit", "hostinfo", "127.0.0.1", NULL};
    char *json[] = {"netkit", "hostinfo", "--json", "-4", "localhost", NULL};
    char want[300], name[256];
    int rc;
    char *out;
    (void)state;
    out = nk_test_capture(one, 4, &rc, NULL);
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(strstr(out, "host: localhost\ncanonical: localhost\n"));
    assert_non_null(strstr(out, "\nipv4: 127.0.0.1\n"));
    assert_null(strstr(out, "ipv6:"));
    out = nk_test_capture(json, 5, &rc, NULL);
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(strstr(out, "\"hosts\": ["));
    assert_non_null(strstr(out, "\"address\": \"127.0.0.1\",\n"
                                "          \"family\": \"ipv4\"\n"));
    assert_null(strstr(out, "\"ptr\""));
    if (!hosts_name_for("127.0.0.1", name, sizeof name))
        return;
    /* -r and a numeric host both add the PTR name as the third field */
    snprintf(want, sizeof want, "ipv4: 127.0.0.1 %s\n", name);
    out = nk_test_capture(rev, 4, &rc, NULL);
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(strstr(out, want));
    out = nk_test_capture(num, 3, &rc, NULL);
    assert_int_equal(rc, NK_EX_OK);
    assert_non_null(strstr(out, "canonical: 127.0.0.1\n"));
    assert_non_null(strstr(out, want));
}

static void
test_command_errors(void **state)
{
    static const struct {
        int argc;
        char *argv[6];
        int want;
        const char *out; /* expected in stdout, or NULL */
    } cases[] = {
        {3,
         {"netkit", "hostinfo", "nosuch.invalid"},
         NK_EX_NOHOST,
         "host: nosuch.invalid\nerror: resolve nosuch.invalid: "},
        {4,
         {"netkit", "hostinfo", "a.invalid", "b.invalid"},
         NK_EX_NOHOST,
         "host: b.invalid\nerror: "},
        {5,
         {"netkit", "hostinfo", "-4", "localhost", "nosuch.invalid"},
         NK_EX_PARTIAL,
         "ipv4: 127.0.0.1\n\nhost: nosuch.invalid\n"},
        {4,
         {"netkit", "hostinfo", "-4", "::1"},
         NK_EX_DATAERR,
         "error: '::1' is an IPv6 address, but -4 asks for IPv4\n"},
        {3, {"netkit", "hostinfo", ""}, NK_EX_DATAERR, "error: empty host"},
        {5,
         {"netkit", "hostinfo", "-4", "-6", "localhost"},
         NK_EX_USAGE,
         NULL},
        {4, {"netkit", "hostinfo", "-I", "localhost"}, NK_EX_USAGE, NULL},
        {4, {"netkit", "hostinfo", "-I", "-r"}, NK_EX_USAGE, NULL},
        {4, {"netkit", "hostinfo", "--lesson", "--json"}, NK_EX_USAGE, NULL},
        {4, {"netkit", "hostinfo", "--lesson", "-r"}, NK_EX_USAGE, NULL},
        {3, {"netkit", "hostinfo", "--bogus"}, NK_EX_USAGE, NULL},
        {3, {"netkit", "hostinfo", "-x"}, NK_EX_USAGE, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc;
        char *out =
            nk_test_capture((char **)cases[i].argv, cases[i].argc, &rc, NULL);
        if (rc != cases[i].want)
            fail_msg("case %zu: exit %d, want %d", i, rc, cases[i].want);
        if (cases[i].out != NULL && strstr(out, cases[i].out) == NULL)
            fail_msg("case %zu: missing '%s' in:\n%s", i, cases[i].out, out);
    }
}

/* The interface list needs no resolver: safe on any machine. */
static void
test_command_interfaces(void **state)
{
    char *text[] = {"netkit", "hostinfo", "--interfaces", NULL};
    char *v6[] = {"netkit", "hostinfo", "-I", "-6", NULL};
    int rc;
    char *out;
    (void)state;
    out = nk_test_capture(text, 3, &rc, NULL);
    assert_int_equal(rc, NK_EX_OK);
    assert_null(strstr(out, "hostname:"));
    assert_non_null(strstr(out, "loopback: yes\n"));
    assert_non_null(strstr(out, "flags: loopback\n"));
    if (strstr(out, "ipv4: 127.0.0.1") != NULL)
        assert_non_null(strstr(out, "ipv4: 127.0.0.1/8 255.0.0.0\n"));
    out = nk_test_capture(v6, 4, &rc, NULL);
    assert_int_equal(rc, NK_EX_OK);
    assert_null(strstr(out, "ipv4:"));
    if (strstr(out, "ipv6: ::1/") != NULL)
        assert_non_null(strstr(
            out, "ipv6: ::1/128 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n"));
}

static void
test_command_lesson(void **state)
{
    char *argv[] = {"netkit",    "hostinfo",       "--lesson",
                    "localhost", "nosuch.invalid", NULL};
    char name[NK_HOST_NAMELEN], want[NK_HOST_NAMELEN + 32];
    struct nk_err err;
    int rc;
    char *out;
    (void)state;
    /* The lesson resolves this machine's name: only where /etc/hosts
     * answers it, so no DNS query is sent. */
    assert_int_equal(nk_host_name(name, sizeof name, &err), 0);
    if (!hosts_lists_ipv4_name(name))
        NK_SKIP_KERNEL("this machine's name has no IPv4 line in /etc/hosts: "
                       "its lookup would need DNS");
    out = nk_test_capture(argv, 5, &rc, NULL);
    assert_int_equal(rc, NK_EX_PARTIAL);
    snprintf(want, sizeof want, "Host name: %s\nIP address: ", name);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    assert_non_null(strstr(out,
                           "Remote host: localhost\nIP address: 127.0.0.1\n"
                           "Remote host: nosuch.invalid\n"
                           "nosuch.invalid: name or service not known\n"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_len),
        cmocka_unit_test(test_flag_names),
        cmocka_unit_test(test_add_addr_dedup),
        cmocka_unit_test(test_add_alias),
        cmocka_unit_test(test_lookup_localhost),
        cmocka_unit_test(test_lookup_numeric),
        cmocka_unit_test(test_lookup_unknown),
        cmocka_unit_test(test_reverse_loopback),
        cmocka_unit_test(test_host_name),
        cmocka_unit_test(test_iface_list),
        cmocka_unit_test(test_command_hosts),
        cmocka_unit_test(test_command_errors),
        cmocka_unit_test(test_command_interfaces),
        cmocka_unit_test(test_command_lesson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
