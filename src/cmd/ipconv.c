/* netkit ipconv: the address-conversion lesson (inet_aton, hexlify,
 * inet_ntoa) as a tool for IPv4 and IPv6: every form of an address, and
 * the way back from packed hex or a 32-bit number. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "commands.h"
#include "netkit/err.h"
#include "netkit/exitcodes.h"
#include "netkit/ipaddr.h"
#include "netkit/out.h"

/* One thing to convert, in command-line order. */
struct ic_item {
    char kind; /* 'a' address text, 'x' hex, 'n' number */
    const char *text;
};

struct ic_opts {
    int lax;
    int lesson;
    int from; /* a --from-hex or --from-int was given */
};

/* What the parse fills: the options and the items, in command-line
 * order (operands, --from-hex and --from-int mixed). */
struct ic_parse {
    struct ic_opts opt;
    struct ic_item *items;
    int n;
};

static int
add_item(const struct nk_ctx *ctx, const struct nk_optdef *def,
         const char *arg, void *values)
{
    struct ic_parse *p = values;

    (void)ctx;
    p->items[p->n].kind = def == NULL ? 'a' : def->name[5] == 'h' ? 'x' : 'n';
    p->items[p->n++].text = arg;
    p->opt.from |= def != NULL;
    return 0;
}

static const struct nk_optdef ic_optdefs[] = {
    NK_OPT_FN('x', "from-hex", "HEX",
              "packed bytes: 8 hex digits (IPv4) or 32 (IPv6),\n"
              "0x prefix optional; may be repeated",
              add_item),
    NK_OPT_FN('N', "from-int", "N",
              "an IPv4 address as a number, 0-4294967295,\n"
              "decimal or 0x-hex; may be repeated",
              add_item),
    NK_OPT('a', "lax", NK_OPT_FLAG, struct ic_parse, opt.lax, 0, 0, NULL,
           "also accept the historic inet_aton IPv4 forms\n"
           "(127.1, 0x7f.1, 017.0.0.1 = 15.0.0.1, 1 = 0.0.0.1)\n"
           "and say what they mean"),
    NK_OPT('l', "lesson", NK_OPT_FLAG, struct ic_parse, opt.lesson, 0, 0, NULL,
           "print the classic recipe's line per address\n"
           "(127.0.0.1 and 192.168.0.1 when none is given)"),
    NK_OPT_JSON_DEF("one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec cmd_ipconv_spec = {
    "usage: netkit ipconv [--lax] [--json] ADDR...\n"
    "       netkit ipconv [--json] (--from-hex HEX | --from-int N)...\n"
    "       netkit ipconv --lesson [--lax] [ADDR...]\n"
    "\n"
    "Show each IPv4 or IPv6 address in all its forms: family, canonical\n"
    "text, the packed bytes in hex (the recipe's hexlify); for IPv4 the\n"
    "address as a 32-bit number (int) and the packed bytes read as this\n"
    "host's uint32 (int_network_order); for IPv6 the expanded and the\n"
    "RFC 5952 compressed forms, the scope id and the IPv4 address inside a\n"
    "v4-mapped one. ADDR is read strictly (inet_pton); fe80::1%eth0 keeps\n"
    "its scope id as text. Items are shown in the order given; a bad one\n"
    "is named and the others still convert.\n"
    "\n",
    ic_optdefs,
    "examples:\n"
    "  netkit ipconv 127.0.0.1 192.168.0.1\n"
    "  netkit ipconv 2001:0db8:0:0:1:0:0:1 ::ffff:192.0.2.1\n"
    "  netkit ipconv --from-hex c0a80001 --from-int 2130706433\n"
    "  netkit ipconv --lax 127.1 017.0.0.1\n"
    "  netkit ipconv --lesson\n",
    1, add_item};

static const char *
form_name(int form)
{
    static const char *const names[] = {"text", "inet_aton", "hex", "int"};

    return names[form];
}

static int
convert(const struct ic_item *it, const struct ic_opts *opt,
        struct nk_ipaddr *a, struct nk_err *err)
{
    if (it->kind == 'x')
        return nk_ip_from_hex(it->text, a, err);
    if (it->kind == 'n')
        return nk_ip_from_int(it->text, a, err);
    return nk_ip_parse(it->text, opt->lax ? NK_IP_LAX : 0, a, err);
}

static void
emit_v4(struct nk_out *o, const struct nk_ipaddr *a)
{
    uint8_t mapped[16] = {[10] = 0xff, [11] = 0xff};
    char text[NK_IP_TEXT_MAX];

    nk_out_uint(o, "int", nk_ip4_int(a->bytes));
    nk_out_uint(o, "int_network_order", nk_ip4_int_network_order(a->bytes));
    memcpy(mapped + 12, a->bytes, 4);
    nk_out_str(o, "ipv6_mapped", nk_ip6_compressed(mapped, text, sizeof text));
}

static void
emit_v6(struct nk_out *o, const struct nk_ipaddr *a)
{
    char text[NK_IP_TEXT_MAX];

    nk_out_str(o, "expanded", nk_ip6_expanded(a->bytes, text, sizeof text));
    nk_out_str(o, "compressed",
               nk_ip6_compressed(a->bytes, text, sizeof text));
    nk_out_str(o, "scope_id", a->zone[0] != '\0' ? a->zone : NULL);
    nk_out_str(o, "ipv4_mapped",
               nk_ip6_is_v4mapped(a->bytes)
                   ? nk_ip4_format(a->bytes + 12, text, sizeof text)
                   : NULL);
}

static void
emit_addr(struct nk_out *o, const char *input, const struct nk_ipaddr *a)
{
    char text[NK_IP_TEXT_MAX], hex[NK_IP_HEX_MAX], note[256];

    nk_out_str(o, "input", input);
    nk_out_str(o, "input_form", form_name(a->form));
    nk_out_str(o, "family", a->family == AF_INET ? "ipv4" : "ipv6");
    nk_out_str(o, "address", nk_ip_format(a, text, sizeof text));
    nk_out_str(o, "packed", nk_ip_hex(a, hex));
    if (a->family == AF_INET)
        emit_v4(o, a);
    else
        emit_v6(o, a);
    if (a->form == NK_IP_FORM_INET_ATON &&
        nk_ip4_lax_explain(input, note, sizeof note) != NULL)
        nk_out_str(o, "note", note);
}

/* The recipe's line: "IP Address: X => Packed: HEX, Unpacked: X", with
 * inet_pton/our formatter where it used inet_aton/inet_ntoa. */
static void
lesson_line(struct nk_out *o, const char *input, const struct nk_ipaddr *a)
{
    char text[NK_IP_TEXT_MAX], hex[NK_IP_HEX_MAX];

    nk_out_line(o, "IP Address: %s => Packed: %s, Unpacked: %s", input,
                nk_ip_hex(a, hex), nk_ip_format(a, text, sizeof text));
}

/* Returns 0 or the exit code of this item's failure. */
static int
ipconv_item(struct nk_out *o, const struct nk_ctx *ctx,
            const struct ic_item *it, const struct ic_opts *opt)
{
    struct nk_ipaddr a;
    struct nk_err err;

    if (convert(it, opt, &a, &err) < 0) {
        nk_diag(ctx->cmd->name, "%s", err.msg);
        if (!opt->lesson) {
            nk_out_obj(o, NULL);
            nk_out_str(o, "input", it->text);
            nk_out_str(o, "error", err.msg);
            nk_out_close(o);
        }
        return err.exit_code;
    }
    if (opt->lesson) {
        lesson_line(o, it->text, &a);
        return 0;
    }
    nk_out_obj(o, NULL);
    emit_addr(o, it->text, &a);
    nk_out_close(o);
    return 0;
}

static int
ipconv_run(const struct nk_ctx *ctx, int n, const struct ic_item *items,
           const struct ic_opts *opt)
{
    static const struct ic_item dflt[] = {{'a', "127.0.0.1"},
                                          {'a', "192.168.0.1"}};
    struct nk_out o;
    struct nk_exit_acc acc = {0, 0, 0, 0};

    if (opt->lesson && n == 0) {
        n = 2;
        items = dflt;
    }
    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
    if (!opt->lesson)
        nk_out_arr(&o, "addresses");
    for (int i = 0; i < n; i++)
        nk_exit_note(&acc, ipconv_item(&o, ctx, &items[i], opt));
    if (nk_out_finish(&o) < 0)
        return NK_EX_SOFTWARE;
    return nk_exit_result(&acc);
}

static int
ipconv_check(const struct nk_ctx *ctx, int n, const struct ic_opts *opt)
{
    if (opt->lesson && (ctx->json || opt->from))
        return nk_usage_error(ctx, "--lesson prints the recipe's line for "
                                   "addresses only; it takes no --json, "
                                   "--from-hex or --from-int");
    if (n == 0 && !opt->lesson)
        return nk_usage_error(ctx, "give at least one ADDR, --from-hex HEX "
                                   "or --from-int N");
    return 0;
}

int
cmd_ipconv(int argc, char **argv, struct nk_ctx *ctx)
{
    struct ic_parse p = {{0, 0, 0}, NULL, 0};
    int rc;

    p.items = calloc((size_t)argc + 1, sizeof *p.items);
    if (p.items == NULL) {
        nk_diag(ctx->cmd->name, "out of memory");
        return NK_EX_SOFTWARE;
    }
    rc = nk_opt_parse(ctx, &cmd_ipconv_spec, argc, argv, &p);
    for (; rc == NK_OPT_GO && optind < argc; optind++) /* after "--" */
        p.items[p.n++] = (struct ic_item){'a', argv[optind]};
    if (rc == NK_OPT_GO && (rc = ipconv_check(ctx, p.n, &p.opt)) == 0)
        rc = ipconv_run(ctx, p.n, p.items, &p.opt);
    free(p.items);
    return rc;
}
