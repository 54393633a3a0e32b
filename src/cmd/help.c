/* netkit help [COMMAND | exit-codes] */
#include <getopt.h> /* optind */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "netkit/exitcodes.h"
#include "netkit/out.h"

struct help_cfg {
    int spec;
};

static const struct nk_optdef help_opts[] = {
    NK_OPT(0, "spec", NK_OPT_FLAG, struct help_cfg, spec, 0, 0, NULL,
           "every command's options, as tab-separated records\n"
           "(what the shell completion is built from)"),
    NK_OPT_JSON_DEF("exit-codes as one JSON document"),
    NK_OPT_HELP_DEF,
    NK_OPT_END,
};

const struct nk_optspec cmd_help_spec = {
    "usage: netkit help [--json] [COMMAND | exit-codes]\n"
    "       netkit help --spec\n"
    "\n"
    "Without an argument, list the commands. With a command name, show its\n"
    "options and examples (the same as 'netkit COMMAND --help'). With\n"
    "'exit-codes', print the exit status table every command follows.\n"
    "\n",
    help_opts,
    "examples:\n"
    "  netkit help byteorder\n"
    "  netkit help exit-codes\n"
    "  netkit help --spec | grep '^opt.sntp'\n",
    0, NULL};

static int
print_exit_codes(const struct nk_ctx *ctx)
{
    struct nk_out o;
    int n;
    const struct nk_exit_info *t = nk_exit_table(&n);

    nk_out_init(&o, stdout, ctx->json ? NK_OUT_JSON : NK_OUT_TEXT, 0);
    if (!ctx->json) {
        /* A table reads better than key: value records here; it is still
         * one code per line, split on the first two runs of spaces. */
        for (int i = 0; i < n; i++)
            nk_out_line(&o, "%3d  %-12s %s", t[i].code, t[i].name,
                        t[i].meaning);
        return nk_out_finish(&o) < 0 ? NK_EX_SOFTWARE : NK_EX_OK;
    }
    nk_out_arr(&o, "exit_codes");
    for (int i = 0; i < n; i++) {
        nk_out_obj(&o, NULL);
        nk_out_int(&o, "code", t[i].code);
        nk_out_str(&o, "name", t[i].name);
        nk_out_str(&o, "meaning", t[i].meaning);
        nk_out_close(&o);
    }
    return nk_out_finish(&o) < 0 ? NK_EX_SOFTWARE : NK_EX_OK;
}

int
cmd_help(int argc, char **argv, struct nk_ctx *ctx)
{
    const struct nk_cmd *cmd;
    struct help_cfg cfg = {0};
    int rc = nk_opt_parse(ctx, &cmd_help_spec, argc, argv, &cfg);

    if (rc != NK_OPT_GO)
        return rc;
    if (cfg.spec && optind < argc)
        return nk_usage_error(ctx, "--spec takes no topic");
    if (cfg.spec) {
        fputs("topic\texit-codes\tthe exit status table every command "
              "follows\n",
              stdout);
        return nk_spec_dump(stdout);
    }
    if (optind >= argc)
        return nk_list_commands();
    if (argc - optind > 1)
        return nk_usage_error(ctx, "one topic at a time");
    if (strcmp(argv[optind], "exit-codes") == 0)
        return print_exit_codes(ctx);
    cmd = nk_cmd_find(argv[optind]);
    if (cmd == NULL)
        return nk_usage_error(ctx,
                              "no such command or topic: '%s' (did "
                              "you mean '%s'?)",
                              argv[optind], nk_cmd_suggest(argv[optind]));
    return nk_cmd_help(cmd);
}
