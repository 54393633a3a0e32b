/* netkit hostinfo: the "machine name and IP" lesson (gethostname,
 * gethostbyname, a remote host's address with a graceful error) as a tool:
 * this machine's names, addresses and interfaces, or for any host its
 * canonical name, aliases and every IPv4 and IPv6 address. */
#include <getopt.h> /* optind */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "netkit/err.h"
#include "netkit/exitcodes.h"
#include "netkit/host.h"
#include "netkit/net.h"
#include "netkit/out.h"

struct hi_opts {
    int family; /* AF_UNSPEC, AF_INET or AF_INET6 */
    int reverse;
    int interfaces_only;
    int lesson;
    int v4, v6; /* which of -4 and -6 were given */
};

static const struct nk_optdef hi_optdefs[] = {
    NK_OPT('4', "ipv4", NK_OPT_FLAG, struct hi_opts, v4, 0, 0, NULL,
           "IPv4 addresses only"),
    NK_OPT('6', "ipv6", NK_OPT_FLAG, struct hi_opts, v6, 0, 0, NULL,
           "IPv6 addresses only (not with -4)"),
    NK_OPT('r', "reverse", NK_OPT_FLAG, struct hi_opts, reverse, 0, 0, NULL,
           "add each address's PTR name (a reverse lookup)"),
    NK_OPT('I', "interfaces", NK_OPT_FLAG, struct hi_opts, interfaces_only, 0,
           0, NULL, "without HOST: the interfaces only, no resolver call"),
    NK_OPT('l', "lesson", NK_OPT_FLAG, struct hi_opts, lesson, 0, 0, NULL,
           "the classic recipe's lines: this host's name and\n"
           "IPv4 address, then each HOST's address or\n"
           "\"HOST: error\" (-6: IPv6)"),
    NK_OPT_JSON_DEF("one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec cmd_hostinfo_spec = {
    "usage: netkit hostinfo [-4|-6] [-r] [-I] [--lesson] [--json] [HOST...]\n"
    "\n"
    "Without HOST: this machine's host name, its fully qualified name, the\n"
    "addresses that name resolves to, and every network interface with its\n"
    "flags and IPv4/IPv6 addresses, prefix length and netmask (what\n"
    "hostname, hostname -f, hostname -I and ip addr show).\n"
    "With HOST: for each host its canonical name, aliases and every IPv4\n"
    "and IPv6 address, de-duplicated, in resolver order. A numeric address\n"
    "is accepted and its PTR name looked up. A host that fails prints an\n"
    "error record and the others still print.\n"
    "\n"
    "Text output: one fact per line, a blank line between records; each\n"
    "address is \"ipv4: ADDR\" or \"ipv6: ADDR\", with -r followed by its\n"
    "PTR name (- when none); an interface address is \"ADDR/PREFIX "
    "NETMASK\".\n"
    "\n",
    hi_optdefs,
    "examples:\n"
    "  netkit hostinfo\n"
    "  netkit hostinfo localhost\n"
    "  netkit hostinfo -r 127.0.0.1\n"
    "  netkit hostinfo -4 localhost nosuch.invalid\n"
    "  netkit hostinfo --json localhost | jq -r "
    "'.hosts[].addresses[].address'\n"
    "  netkit hostinfo --interfaces\n"
    "  netkit hostinfo --lesson localhost\n",
    0, NULL};

static const char *
family_key(int family)
{
    return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "other";
}

/* One resolved address. Text keeps each address on one line, "ipv4: ADDR"
 * (+ " PTR" with -r), so awk's $2 is the address and $3 the name; JSON gets
 * the object {address, family, ptr}. A PTR failure is not a host failure:
 * "-" / null. */
static void
emit_host_addr(struct nk_out *o, const struct nk_addr *a, int reverse)
{
    const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
    char text[NK_ADDRSTRLEN], ptr[NK_HOST_NAMELEN];
    const char *fam = family_key(sa->sa_family);
    int have_ptr = 0;

    nk_addr_host(sa, a->len, text, sizeof text);
    if (reverse)
        have_ptr = nk_host_reverse(sa, a->len, ptr, sizeof ptr, NULL) == 0;
    if (o->mode == NK_OUT_TEXT) {
        if (reverse)
            nk_out_strf(o, fam, "%s %s", text, have_ptr ? ptr : "-");
        else
            nk_out_str(o, fam, text);
        return;
    }
    nk_out_obj(o, NULL);
    nk_out_str(o, "address", text);
    nk_out_str(o, "family", fam);
    if (reverse)
        nk_out_str(o, "ptr", have_ptr ? ptr : NULL);
    nk_out_close(o);
}

/* canonical, aliases and addresses of one successful lookup. */
static void
emit_host_body(struct nk_out *o, const struct nk_host *h, int reverse)
{
    nk_out_arr(o, "aliases");
    for (size_t i = 0; i < h->n_aliases; i++)
        nk_out_str(o, NULL, h->aliases[i]);
    nk_out_close(o);
    nk_out_arr(o, "addresses");
    for (size_t i = 0; i < h->n_addrs; i++)
        emit_host_addr(o, &h->addrs[i], reverse || h->numeric);
    nk_out_close(o);
}

static int
lookup(const char *name, int family, struct nk_host *h, struct nk_err *err)
{
    if (name[0] == '\0')
        return nk_err_set(err, NK_EX_DATAERR, "empty host name");
    return nk_host_lookup(name, family, h, err);
}

/* One HOST record; returns 0 or the exit code of its failure. */
static int
one_host(struct nk_out *o, const struct nk_ctx *ctx, const char *name,
         const struct hi_opts *opt)
{
    struct nk_host h;
    struct nk_err err;

    nk_out_obj(o, NULL);
    nk_out_str(o, "host", name);
    if (lookup(name, opt->family, &h, &err) < 0) {
        nk_diag(ctx->cmd->name, "%s", err.msg);
        nk_out_str(o, "error", err.msg);
        nk_out_close(o);
        return err.exit_code;
    }
    nk_out_str(o, "canonical", h.canonical[0] ? h.canonical : NULL);
    emit_host_body(o, &h, opt->reverse);
    nk_out_close(o);
    nk_host_free(&h);
    return 0;
}

static int
run_hosts(struct nk_out *o, const struct nk_ctx *ctx, int n, char **hosts,
          const struct hi_opts *opt)
{
    struct nk_exit_acc acc = {0, 0, 0, 0};

    nk_out_arr(o, "hosts");
    for (int i = 0; i < n; i++)
        nk_exit_note(&acc, one_host(o, ctx, hosts[i], opt));
    nk_out_close(o);
    return nk_exit_result(&acc);
}

/* Does an interface address pass the -4/-6 filter? */
static int
family_wanted(int family, const struct hi_opts *opt)
{
    return opt->family == AF_UNSPEC || opt->family == family;
}

/* "127.0.0.1/8 255.0.0.0" in text (the ip addr form, then the mask), an
 * object in JSON; prefix_len null when the mask is not a prefix. */
static void
emit_iface_addr(struct nk_out *o, const struct nk_iface_addr *a)
{
    const struct sockaddr *sa = (const struct sockaddr *)&a->addr.ss;
    char text[NK_ADDRSTRLEN], mask[NK_ADDRSTRLEN] = "-";
    const char *fam = family_key(sa->sa_family);

    nk_addr_host(sa, a->addr.len, text, sizeof text);
    if (a->netmask.len > 0)
        nk_addr_host((const struct sockaddr *)&a->netmask.ss, a->netmask.len,
                     mask, sizeof mask);
    if (o->mode == NK_OUT_TEXT) {
        if (a->prefix_len >= 0)
            nk_out_strf(o, fam, "%s/%d %s", text, a->prefix_len, mask);
        else
            nk_out_strf(o, fam, "%s %s", text, mask);
        return;
    }
    nk_out_obj(o, NULL);
    nk_out_str(o, "address", text);
    nk_out_str(o, "family", fam);
    if (a->prefix_len >= 0)
        nk_out_int(o, "prefix_len", a->prefix_len);
    else
        nk_out_null(o, "prefix_len");
    nk_out_str(o, "netmask", a->netmask.len > 0 ? mask : NULL);
    nk_out_close(o);
}

static size_t
count_wanted(const struct nk_iface *it, const struct hi_opts *opt)
{
    size_t n = 0;

    for (size_t i = 0; i < it->n_addrs; i++)
        n += (size_t)family_wanted(it->addrs[i].addr.ss.ss_family, opt);
    return n;
}

static void
emit_iface(struct nk_out *o, const struct nk_iface *it,
           const struct hi_opts *opt)
{
    const char *names[16];
    size_t nf = nk_iface_flag_names(it->flags, names, 16);

    nk_out_obj(o, NULL);
    nk_out_str(o, "name", it->name);
    nk_out_bool(o, "up", (it->flags & IFF_UP) != 0);
    nk_out_bool(o, "loopback", (it->flags & IFF_LOOPBACK) != 0);
    nk_out_arr(o, "flags");
    for (size_t i = 0; i < nf; i++)
        nk_out_str(o, NULL, names[i]);
    nk_out_close(o);
    nk_out_arr(o, "addresses");
    for (size_t i = 0; i < it->n_addrs; i++)
        if (family_wanted(it->addrs[i].addr.ss.ss_family, opt))
            emit_iface_addr(o, &it->addrs[i]);
    nk_out_close(o);
    nk_out_close(o);
}

/* The interfaces array. With -4/-6, as `ip -4 addr`, only interfaces that
 * keep an address of that family. Returns 0 or an exit code. */
static int
emit_interfaces(struct nk_out *o, const struct nk_ctx *ctx,
                const struct hi_opts *opt)
{
    struct nk_iface *list;
    struct nk_err err;
    int n = nk_iface_list(&list, &err);

    if (n < 0) {
        nk_diag(ctx->cmd->name, "%s", err.msg);
        nk_out_str(o, "interfaces_error", err.msg);
        return err.exit_code;
    }
    nk_out_arr(o, "interfaces");
    for (int i = 0; i < n; i++)
        if (opt->family == AF_UNSPEC || count_wanted(&list[i], opt) > 0)
            emit_iface(o, &list[i], opt);
    nk_out_close(o);
    nk_iface_free(list, (size_t)n);
    return 0;
}

/* The host name's own facts. A name that does not resolve is a fact about
 * this machine (common in containers), not a failure: fqdn is null, the
 * reason is in resolve_error and on stderr, and the interfaces still
 * print. */
static void
emit_local_names(struct nk_out *o, const struct nk_ctx *ctx, const char *name,
                 const struct hi_opts *opt)
{
    char fqdn[NK_HOST_NAMELEN];
    struct nk_host h;
    struct nk_err err;

    int have_fqdn = nk_host_fqdn(name, fqdn, sizeof fqdn, &err) == 0;

    if (!have_fqdn || lookup(name, opt->family, &h, &err) < 0) {
        nk_diag(ctx->cmd->name, "%s", err.msg);
        nk_out_str(o, "fqdn", have_fqdn ? fqdn : NULL);
        nk_out_str(o, "resolve_error", err.msg);
        /* Empty, not missing, so scripts read the same shape. */
        nk_out_arr(o, "aliases");
        nk_out_close(o);
        nk_out_arr(o, "addresses");
        nk_out_close(o);
        return;
    }
    nk_out_str(o, "fqdn", fqdn);
    emit_host_body(o, &h, opt->reverse);
    nk_host_free(&h);
}

static int
run_local(struct nk_out *o, const struct nk_ctx *ctx,
          const struct hi_opts *opt)
{
    char name[NK_HOST_NAMELEN];
    struct nk_err err;

    if (!opt->interfaces_only) {
        if (nk_host_name(name, sizeof name, &err) < 0) {
            nk_diag(ctx->cmd->name, "%s", err.msg);
            nk_out_str(o, "error", err.msg);
            return err.exit_code;
        }
        nk_out_str(o, "hostname", name);
        emit_local_names(o, ctx, name, opt);
    }
    return emit_interfaces(o, ctx, opt);
}

/* The recipe's error line: "HOST: reason", the reason without netkit's
 * "resolve HOST: " step prefix. */
static void
lesson_error(struct nk_out *o, const char *name, const struct nk_err *err)
{
    const char *msg = err->msg;
    size_t n = strlen(name);

    if (strncmp(msg, "resolve ", 8) == 0 && strncmp(msg + 8, name, n) == 0 &&
        strncmp(msg + 8 + n, ": ", 2) == 0)
        msg += 8 + n + 2;
    nk_out_line(o, "%s: %s", name, msg);
}

/* "IP address: ADDR" with the first address in resolver order, as
 * gethostbyname returns one (IPv4 unless -6). Returns 0 or an exit code. */
static int
lesson_addr(struct nk_out *o, const struct nk_ctx *ctx, const char *name,
            int family)
{
    struct nk_host h;
    struct nk_err err;
    char text[NK_ADDRSTRLEN];

    if (lookup(name, family, &h, &err) < 0) {
        nk_diag(ctx->cmd->name, "%s", err.msg);
        lesson_error(o, name, &err);
        return err.exit_code;
    }
    nk_addr_host((const struct sockaddr *)&h.addrs[0].ss, h.addrs[0].len, text,
                 sizeof text);
    nk_out_line(o, "IP address: %s", text);
    nk_host_free(&h);
    return 0;
}

static int
run_lesson(struct nk_out *o, const struct nk_ctx *ctx, int n, char **hosts,
           const struct hi_opts *opt)
{
    int family = opt->family == AF_INET6 ? AF_INET6 : AF_INET;
    struct nk_exit_acc acc = {0, 0, 0, 0};
    char name[NK_HOST_NAMELEN];
    struct nk_err err;

    if (nk_host_name(name, sizeof name, &err) < 0) {
        nk_diag(ctx->cmd->name, "%s", err.msg);
        return err.exit_code;
    }
    nk_out_line(o, "Host name: %s", name);
    nk_exit_note(&acc, lesson_addr(o, ctx, name, family));
    for (int i = 0; i < n; i++) {
        nk_out_line(o, "Remote host: %s", hosts[i]);
        nk_exit_note(&acc, lesson_addr(o, ctx, hosts[i], family));
    }
    return nk_exit_result(&acc);
}

static int
hostinfo_run(const struct nk_ctx *ctx, int n, char **hosts,
             const struct hi_opts *opt)
{
    struct nk_out o;
    int rc;

    nk_net_init();
    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
    if (opt->lesson)
        rc = run_lesson(&o, ctx, n, hosts, opt);
    else if (n > 0)
        rc = run_hosts(&o, ctx, n, hosts, opt);
    else
        rc = run_local(&o, ctx, opt);
    if (nk_out_finish(&o) < 0)
        return NK_EX_SOFTWARE;
    return rc;
}

/* Combinations that make no sense, caught before any lookup. */
static int
hostinfo_check_opts(const struct nk_ctx *ctx, int n, const struct hi_opts *opt,
                    int both_families)
{
    if (both_families)
        return nk_usage_error(ctx, "-4 and -6 exclude each other (give "
                                   "neither for both families)");
    if (opt->interfaces_only && n > 0)
        return nk_usage_error(ctx, "--interfaces lists this machine's "
                                   "interfaces; it takes no HOST");
    if (opt->interfaces_only && opt->reverse)
        return nk_usage_error(ctx, "--reverse applies to resolved addresses, "
                                   "not to --interfaces");
    if (opt->lesson && (ctx->json || opt->reverse || opt->interfaces_only))
        return nk_usage_error(ctx, "--lesson prints the recipe's text only; "
                                   "it takes no --json, --reverse or "
                                   "--interfaces");
    return 0;
}

int
cmd_hostinfo(int argc, char **argv, struct nk_ctx *ctx)
{
    struct hi_opts opt = {AF_UNSPEC, 0, 0, 0, 0, 0};
    int rc = nk_opt_parse(ctx, &cmd_hostinfo_spec, argc, argv, &opt);

    if (rc != NK_OPT_GO)
        return rc;
    opt.family = opt.v6 ? AF_INET6 : opt.v4 ? AF_INET : AF_UNSPEC;
    if (hostinfo_check_opts(ctx, argc - optind, &opt, opt.v4 && opt.v6) != 0)
        return NK_EX_USAGE;
    return hostinfo_run(ctx, argc - optind, argv + optind, &opt);
}
