/* netkit byteorder: the byte-order lesson (ntohl/htonl/ntohs/htons) as a
 * tool: host order, each conversion in decimal and hex, and the bytes as
 * they sit in memory. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "netkit/byteorder.h"
#include "netkit/err.h"
#include "netkit/exitcodes.h"
#include "netkit/out.h"
#include "netkit/parse.h"

struct bo_opts {
    int bits; /* 0: the recipe's 32 and 16 */
    int lesson;
};

static int parse_bits(const struct nk_ctx *ctx, const struct nk_optdef *def,
                      const char *s, void *values);

static const struct nk_optdef bo_optdefs[] = {
    NK_OPT_FN('B', "bits", "BITS",
              "16, 32 or 64 (htobe64/be64toh); default: 32 and 16",
              parse_bits),
    NK_OPT('l', "lesson", NK_OPT_FLAG, struct bo_opts, lesson, 0, 0, NULL,
           "print the classic recipe's two lines per value\n"
           "(1234 when no value is given)"),
    NK_OPT_JSON_DEF("one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec cmd_byteorder_spec = {
    "usage: netkit byteorder [-B BITS] [--lesson] [--json] [VALUE...]\n"
    "\n"
    "Show this host's byte order, then for each VALUE (decimal or 0x-hex)\n"
    "the results of htonl/ntohl (32-bit) and htons/ntohs (16-bit) in decimal\n"
    "and hex, and the value's bytes as laid out in memory. A value wider\n"
    "than 16 bits gets the 32-bit results and a note instead of a truncated\n"
    "16-bit answer.\n"
    "\n",
    bo_optdefs,
    "examples:\n"
    "  netkit byteorder 1234\n"
    "  netkit byteorder --bits 64 0x0102030405060708\n"
    "  netkit byteorder --lesson\n",
    1, NULL};

static const char *
fn_name(int bits, int to_net)
{
    static const char *const names[3][2] = {
        {"ntohs", "htons"}, {"ntohl", "htonl"}, {"be64toh", "htobe64"}};

    return names[bits == 16 ? 0 : bits == 32 ? 1 : 2][to_net];
}

/* One width: the value's bytes in memory, then both conversions, then the
 * converted value's bytes (the order a network peer would receive). */
static void
emit_width(struct nk_out *o, uint64_t v, int bits)
{
    char key[32], hex[32], bytes[32];
    uint8_t mem[8];
    uint64_t conv = 0;

    nk_mem_layout(v, bits, mem);
    snprintf(key, sizeof key, "memory%d", bits);
    nk_out_str(o, key, nk_hex_bytes(mem, bits / 8, bytes));
    for (int to_net = 1; to_net >= 0; to_net--) {
        const char *fn = fn_name(bits, to_net);
        conv = nk_byteswap_conv(v, bits, to_net);
        nk_out_uint(o, fn, conv);
        snprintf(key, sizeof key, "%s_hex", fn);
        snprintf(hex, sizeof hex, "0x%0*" PRIx64, bits / 4, conv);
        nk_out_str(o, key, hex);
    }
    nk_mem_layout(nk_byteswap_conv(v, bits, 1), bits, mem);
    snprintf(key, sizeof key, "network%d", bits);
    nk_out_str(o, key, nk_hex_bytes(mem, bits / 8, bytes));
}

/* The 16-bit fields when the value is too wide: null, and why. */
static void
emit_no16(struct nk_out *o, uint64_t v)
{
    /* The same keys emit_width(16) gives, each null: a reader of the
     * JSON finds every key on every value. */
    nk_out_null(o, "memory16");
    nk_out_null(o, "htons");
    nk_out_null(o, "htons_hex");
    nk_out_null(o, "ntohs");
    nk_out_null(o, "ntohs_hex");
    nk_out_null(o, "network16");
    nk_out_strf(o, "note",
                "%" PRIu64 " does not fit in 16 bits: 16-bit conversions "
                "skipped (htons would keep only the low 16 bits, %" PRIu64 ")",
                v, v & 0xffff);
}

static int
width_error(struct nk_err *err, const char *s, uint64_t v, int bits)
{
    /* Name the narrowest width that would hold the value. */
    int fits = v >> 32 != 0 ? 64 : 32;

    return nk_err_set(err, NK_EX_DATAERR,
                      "'%s' does not fit in %d bits (try --bits %d)", s, bits,
                      fits);
}

/* Parse one VALUE and check it fits the chosen width. */
static int
parse_value(const char *s, const struct bo_opts *opt, uint64_t *v,
            struct nk_err *err)
{
    int bits = opt->bits ? opt->bits : 32;

    if (nk_parse_u64(s, UINT64_MAX, v, err) < 0)
        return -1;
    if (bits < 64 && *v >> bits != 0)
        return width_error(err, s, *v, bits);
    return 0;
}

static void
emit_value(struct nk_out *o, const char *s, uint64_t v,
           const struct bo_opts *opt)
{
    int width = opt->bits ? opt->bits : 32;
    char hex[32];

    nk_out_str(o, "input", s);
    nk_out_uint(o, "value", v);
    snprintf(hex, sizeof hex, "0x%0*" PRIx64, width / 4, v);
    nk_out_str(o, "value_hex", hex);
    if (opt->bits != 0) {
        emit_width(o, v, opt->bits);
        return;
    }
    emit_width(o, v, 32);
    if (v <= 0xffff)
        emit_width(o, v, 16);
    else
        emit_no16(o, v);
}

/* The recipe's own lines: ntohl labelled host order, htonl network. */
static void
lesson_lines(struct nk_out *o, uint64_t v)
{
    nk_out_line(o,
                "Original: %" PRIu64 " => Long host byte order: %" PRIu64
                ", Network byte order: %" PRIu64,
                v, nk_byteswap_conv(v, 32, 0), nk_byteswap_conv(v, 32, 1));
    if (v > 0xffff) {
        nk_out_line(o,
                    "Original: %" PRIu64 " => Short: does not fit in 16 "
                    "bits",
                    v);
        return;
    }
    nk_out_line(o,
                "Original: %" PRIu64 " => Short host byte order: %" PRIu64
                ", Network byte order: %" PRIu64,
                v, nk_byteswap_conv(v, 16, 0), nk_byteswap_conv(v, 16, 1));
}

/* Returns 0 or the exit code of this item's failure. */
static int
one_value(struct nk_out *o, const struct nk_ctx *ctx, const char *s,
          const struct bo_opts *opt)
{
    struct nk_err err;
    uint64_t v;

    if (parse_value(s, opt, &v, &err) < 0) {
        nk_diag(ctx->cmd->name, "%s", err.msg);
        if (!opt->lesson) {
            nk_out_obj(o, NULL);
            nk_out_str(o, "input", s);
            nk_out_str(o, "error", err.msg);
            nk_out_close(o);
        }
        return err.exit_code;
    }
    if (opt->lesson) {
        lesson_lines(o, v);
        return 0;
    }
    nk_out_obj(o, NULL);
    emit_value(o, s, v, opt);
    nk_out_close(o);
    return 0;
}

static int
byteorder_run(const struct nk_ctx *ctx, int n, char **values,
              const struct bo_opts *opt)
{
    struct nk_out o;
    struct nk_exit_acc acc = {0, 0, 0, 0};
    char *dflt[] = {"1234"};

    if (opt->lesson && n == 0) {
        n = 1;
        values = dflt;
    }
    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, ctx->color);
    if (!opt->lesson)
        nk_out_str(&o, "host_order",
                   nk_host_little_endian() ? "little-endian" : "big-endian");
    if (!opt->lesson)
        nk_out_arr(&o, "values");
    for (int i = 0; i < n; i++)
        nk_exit_note(&acc, one_value(&o, ctx, values[i], opt));
    if (nk_out_finish(&o) < 0)
        return NK_EX_SOFTWARE;
    return nk_exit_result(&acc);
}

static int
parse_bits(const struct nk_ctx *ctx, const struct nk_optdef *def,
           const char *s, void *values)
{
    int *bits = &((struct bo_opts *)values)->bits;

    (void)def;
    if (strcmp(s, "16") == 0 || strcmp(s, "32") == 0 || strcmp(s, "64") == 0) {
        *bits = s[0] == '1' ? 16 : s[0] == '3' ? 32 : 64;
        return 0;
    }
    return nk_usage_error(ctx, "--bits takes 16, 32 or 64, not '%s'", s);
}

int
cmd_byteorder(int argc, char **argv, struct nk_ctx *ctx)
{
    struct bo_opts opt = {0, 0};
    int rc = nk_opt_parse(ctx, &cmd_byteorder_spec, argc, argv, &opt);

    if (rc != NK_OPT_GO)
        return rc;
    if (opt.lesson && (ctx->json || opt.bits != 0))
        return nk_usage_error(ctx, "--lesson prints the recipe's text only; "
                                   "it takes no --json or --bits");
    return byteorder_run(ctx, argc - optind, argv + optind, &opt);
}
