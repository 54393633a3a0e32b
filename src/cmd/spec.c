/* `netkit help --spec`: the command table, every subcommand table and
 * every option table as tab-separated records, one per line, so the
 * shell completion (scripts/gen-completion.sh) and the man-page check
 * (tests/cli/test_man.sh) read the tables themselves, not --help text.
 *
 *   topic   NAME SUMMARY     a 'netkit help TOPIC' (printed by help.c)
 *   cmd     NAME SUMMARY
 *   sub     CMD SUB SUMMARY
 *   usage   KEY FORM         one synopsis form ("netkit sntp [SERVER...]
 *                            [--port P]"), continuation lines joined
 *   opt     KEY SHORT LONG ARG KIND CHOICES HELP
 *
 * KEY is "top" (the global options), CMD or CMD/SUB; SHORT ("-p") and
 * LONG ("--port") may be empty; ARG is the argument's name (empty for a
 * flag); KIND the table's kind (flag, string, seconds, choice...);
 * CHOICES a choice's names joined by "|"; HELP the help text on one
 * line. Hidden options (old spellings) are not listed. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const char *const kind_names[] = {
    [NK_OPT_FLAG] = "flag",     [NK_OPT_SET] = "flag",
    [NK_OPT_COUNT] = "count",   [NK_OPT_STRING] = "string",
    [NK_OPT_INT] = "int",       [NK_OPT_U64] = "int",
    [NK_OPT_LONG] = "int",      [NK_OPT_SECONDS] = "seconds",
    [NK_OPT_PORT] = "port",     [NK_OPT_PORTSTR] = "port",
    [NK_OPT_CHOICE] = "choice", [NK_OPT_CALL] = "call",
    [NK_OPT_JSON] = "flag",     [NK_OPT_HELP] = "flag",
};

/* The options of a command that has only a usage text: --help. */
static const struct nk_optdef help_only[] = {NK_OPT_HELP_DEF, NK_OPT_END};

/* s up to its end or stop (exclusive), newlines and tabs as spaces. */
static void
put_line(FILE *fp, const char *s, const char *stop)
{
    for (; *s != '\0' && (stop == NULL || s < stop); s++)
        fputc(*s == '\n' || *s == '\t' ? ' ' : *s, fp);
}

static void
dump_opts(FILE *fp, const char *key, const struct nk_optdef *opts)
{
    for (const struct nk_optdef *d = opts; d->letter || d->name; d++) {
        if (d->help == NULL)
            continue;
        fprintf(fp, "opt\t%s\t", key);
        if (d->letter)
            fprintf(fp, "-%c", d->letter);
        fprintf(fp, "\t%s%s\t%s\t%s\t", d->name ? "--" : "",
                d->name ? d->name : "", d->arg ? d->arg : "",
                kind_names[d->kind]);
        for (int i = 0; d->choices && d->choices[i]; i++)
            fprintf(fp, "%s%s", i ? "|" : "", d->choices[i]);
        fputc('\t', fp);
        put_line(fp, d->help, NULL);
        fputc('\n', fp);
    }
}

/* The synopsis forms of a usage text: from "usage:" to the first blank
 * line, a form per line starting (after spaces) with "netkit". */
static void
dump_usage(FILE *fp, const char *key, const char *text)
{
    const char *end = strstr(text, "\n\n");
    const char *p = strncmp(text, "usage:", 6) == 0 ? text + 6 : text;
    int open = 0;

    if (end == NULL)
        end = text + strlen(text);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *q = p;
        if (nl == NULL)
            nl = end;
        while (*q == ' ')
            q++;
        if (strncmp(q, "netkit ", 7) == 0) {
            fprintf(fp, "%susage\t%s\t", open ? "\n" : "", key);
            open = 1;
        } else if (open) {
            fputc(' ', fp);
        }
        if (open)
            put_line(fp, q, nl);
        p = nl + 1;
    }
    if (open)
        fputc('\n', fp);
}

void
nk_subcmd_summary(const struct nk_subcmd *s, char *buf, size_t n)
{
    const char *p = strstr(s->spec->head, "\n\n");
    size_t k = 0;

    p = p != NULL ? p + 2 : "";
    for (; *p && !(p[0] == '\n' && p[1] == '\n') && k + 1 < n; p++) {
        if (strchr(".:;", p[0]) && (p[1] == ' ' || p[1] == '\n' || !p[1]))
            break;
        if ((p[0] == ' ' || p[0] == '\n') && p[1] == '(')
            break;
        buf[k++] = *p == '\n' ? ' ' : *p;
    }
    while (k > 0 && strchr(" :;,", buf[k - 1]) != NULL)
        k--;
    buf[k] = '\0';
}

static void
dump_command(FILE *fp, const struct nk_cmd *c)
{
    char key[96], summary[256];

    fprintf(fp, "cmd\t%s\t%s\n", c->name, c->summary);
    for (const struct nk_subcmd *s = c->subs; s && s->name; s++) {
        nk_subcmd_summary(s, summary, sizeof summary);
        fprintf(fp, "sub\t%s\t%s\t%s\n", c->name, s->name, summary);
    }
    dump_usage(fp, c->name, c->spec ? c->spec->head : c->usage);
    dump_opts(fp, c->name, c->spec ? c->spec->opts : help_only);
    for (const struct nk_subcmd *s = c->subs; s && s->name; s++) {
        snprintf(key, sizeof key, "%s/%s", c->name, s->name);
        dump_usage(fp, key, s->spec->head);
        dump_opts(fp, key, s->spec->opts);
    }
}

int
nk_spec_dump(FILE *fp)
{
    size_t n;
    const struct nk_cmd *t = nk_cmd_table(&n);

    dump_opts(fp, "top", nk_global_opts);
    for (size_t i = 0; i < n; i++)
        dump_command(fp, &t[i]);
    return 0;
}
