/* The command table (sorted: nk_cmd_find uses bsearch) and typo help. */
#include "commands.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A command with an option spec; one that is only its subcommands; one
 * with subcommands and a default (its spec is the default's usage). */
#define CMD(name, id, summary)                                                \
    {                                                                         \
        name, cmd_##id, summary, NULL, &cmd_##id##_spec, NULL                 \
    }
#define SUBS(name, id, summary)                                               \
    {                                                                         \
        name, nk_cmd_dispatch, summary, cmd_##id##_usage, NULL,               \
            cmd_##id##_subs                                                   \
    }
#define SUBS_DEFAULT(name, id, summary)                                       \
    {                                                                         \
        name, nk_cmd_dispatch, summary, NULL, &cmd_##id##_spec,               \
            cmd_##id##_subs                                                   \
    }

static const struct nk_cmd commands[] = {
    CMD("byteorder", byteorder,
        "host vs network byte order, 16/32/64-bit conversions"),
    SUBS("chat", chat,
         "line chat: one-to-one as in the lesson, or a multi-client room"),
    SUBS("echo-tcp", echo_tcp,
         "TCP echo: server in six concurrency models, client, load test"),
    SUBS("echo-udp", echo_udp,
         "UDP echo: batched server, client with retries, load generator"),
    SUBS("fileshare", fileshare,
         "serve a directory safely; fetch, list and upload files"),
    CMD("help", help, "show help for netkit, a command, or the exit codes"),
    CMD("hostinfo", hostinfo,
        "host name, interfaces, and every address of any host"),
    CMD("httpget", httpget,
        "fetch a URL over HTTP/1.0, each failure reported by what failed"),
    CMD("ipconv", ipconv,
        "IPv4/IPv6 text <-> packed bytes <-> hex <-> integer"),
    CMD("ping", ping,
        "ICMP echo (rootless where allowed) or TCP connect ping, IPv4 and "
        "IPv6"),
    CMD("service", service, "port <-> service name, URL scheme -> port"),
    SUBS_DEFAULT("sntp", sntp,
                 "SNTP client (offset, delay, validation) and SNTP server"),
    SUBS_DEFAULT(
        "sockopt", sockopt,
        "show and change socket options; address-reuse and timeout lessons"),
};

int
nk_cmd_dispatch(int argc, char **argv, struct nk_ctx *ctx)
{
    return nk_run_subcommand(argc, argv, ctx, ctx->cmd->subs);
}

void
nk_cmd_usage_write(FILE *fp, const struct nk_cmd *cmd)
{
    if (cmd->spec != NULL)
        nk_opt_usage(fp, cmd->spec);
    else
        fputs(cmd->usage, fp);
}

const struct nk_cmd *
nk_cmd_table(size_t *n)
{
    *n = sizeof commands / sizeof commands[0];
    return commands;
}

static int
cmp_name(const void *key, const void *elem)
{
    return strcmp(key, ((const struct nk_cmd *)elem)->name);
}

const struct nk_cmd *
nk_cmd_find(const char *name)
{
    size_t n;
    const struct nk_cmd *t = nk_cmd_table(&n);

    return bsearch(name, t, n, sizeof *t, cmp_name);
}

static int
min3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

/* Typos in case count as no typo: "BYTEORDER" finds byteorder. */
static int
same(char x, char y)
{
    return tolower((unsigned char)x) == tolower((unsigned char)y);
}

int
nk_edit_distance(const char *a, const char *b)
{
    /* Three rolling rows of the Damerau (optimal string alignment) table;
     * command names are short, so the rows live on the stack. */
    enum { MAXLEN = 64 };
    int rows[3][MAXLEN + 1];
    size_t la = strlen(a), lb = strlen(b);

    if (la > MAXLEN || lb > MAXLEN)
        return (int)(la > lb ? la : lb);
    /* Row i of the table lives in rows[i % 3]. */
    for (size_t j = 0; j <= lb; j++)
        rows[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int *cur = rows[i % 3], *prev = rows[(i + 2) % 3];
        int *prev2 = rows[(i + 1) % 3];
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cost = !same(a[i - 1], b[j - 1]);
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) &&
                same(a[i - 2], b[j - 1]) && prev2[j - 2] + 1 < cur[j])
                cur[j] = prev2[j - 2] + 1;
        }
    }
    return rows[la % 3][lb];
}

const char *
nk_cmd_suggest(const char *name)
{
    size_t n;
    const struct nk_cmd *t = nk_cmd_table(&n);
    const char *best = NULL;
    int best_d = 0;

    for (size_t i = 0; i < n; i++) {
        int d = nk_edit_distance(name, t[i].name);
        /* A prefix ("byte" for "byteorder") counts as close. */
        if (strncmp(name, t[i].name, strlen(name)) == 0 && name[0] != '\0')
            d = 1;
        if (best == NULL || d < best_d) {
            best = t[i].name;
            best_d = d;
        }
    }
    return best;
}
