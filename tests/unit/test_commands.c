/* The command table and dispatch: sorted, unique, complete entries; typo
 * suggestions; exit statuses of nk_main for the global cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "netkit/exitcodes.h"

static void
test_table_sorted_unique(void **state)
{
    size_t n;
    const struct nk_cmd *t = nk_cmd_table(&n);
    (void)state;
    assert_true(n >= 2);
    for (size_t i = 1; i < n; i++)
        if (strcmp(t[i - 1].name, t[i].name) >= 0)
            fail_msg("table not sorted/unique at '%s' '%s'", t[i - 1].name,
                     t[i].name);
}

static void
test_entries_complete(void **state)
{
    size_t n;
    const struct nk_cmd *t = nk_cmd_table(&n);
    (void)state;
    for (size_t i = 0; i < n; i++) {
        char synopsis[64], usage[16384] = "";
        FILE *fp = fmemopen(usage, sizeof usage - 1, "w");
        assert_non_null(t[i].fn);
        assert_true(strlen(t[i].summary) > 10);
        /* one of the two: a text, or a spec it is rendered from */
        assert_true((t[i].usage == NULL) != (t[i].spec == NULL));
        assert_non_null(fp);
        nk_cmd_usage_write(fp, &t[i]);
        fclose(fp);
        /* every usage starts with its synopsis and shows an example */
        snprintf(synopsis, sizeof synopsis, "usage: netkit %s", t[i].name);
        assert_int_equal(strncmp(usage, synopsis, strlen(synopsis)), 0);
        assert_non_null(strstr(usage, "examples:\n  netkit "));
        assert_non_null(strstr(usage, "--help"));
        assert_ptr_equal(nk_cmd_find(t[i].name), &t[i]);
    }
    for (size_t i = 0; i < n; i++)
        for (const struct nk_subcmd *s = t[i].subs; s && s->name; s++) {
            char synopsis[64], usage[16384] = "";
            FILE *fp;
            assert_non_null(s->fn);
            if (s->spec == NULL)
                continue; /* still on its own usage text */
            fp = fmemopen(usage, sizeof usage - 1, "w");
            assert_non_null(fp);
            nk_opt_usage(fp, s->spec);
            fclose(fp);
            /* every subcommand's usage: its synopsis, options, example */
            snprintf(synopsis, sizeof synopsis, "usage: netkit %s %s",
                     t[i].name, s->name);
            if (strncmp(usage, synopsis, strlen(synopsis)) != 0)
                fail_msg("'%s %s' usage starts '%.40s'", t[i].name, s->name,
                         usage);
            assert_non_null(strstr(usage, "\noptions:\n"));
            assert_non_null(strstr(usage, "  -h, --help "));
            snprintf(synopsis, sizeof synopsis, "examples:\n  netkit %s %s",
                     t[i].name, s->name);
            assert_non_null(strstr(usage, synopsis));
        }
    assert_null(nk_cmd_find("nosuch"));
    assert_null(nk_cmd_find(""));
}

static void
test_edit_distance(void **state)
{
    static const struct {
        const char *a, *b;
        int d;
    } cases[] = {
        {"", "", 0},
        {"abc", "abc", 0},
        {"abc", "", 3},
        {"", "help", 4},
        {"hlep", "help", 1},
        {"byteordr", "byteorder", 1},
        {"kitten", "sitting", 3},
        {"ca", "abc", 3},
        {"ab", "ba", 1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(nk_edit_distance(cases[i].a, cases[i].b), cases[i].d);
        assert_int_equal(nk_edit_distance(cases[i].b, cases[i].a), cases[i].d);
    }
}

static void
test_suggest(void **state)
{
    (void)state;
    assert_string_equal(nk_cmd_suggest("byteordr"), "byteorder");
    assert_string_equal(nk_cmd_suggest("byte"), "byteorder");
    assert_string_equal(nk_cmd_suggest("hlep"), "help");
    assert_string_equal(nk_cmd_suggest("BYTEORDER"), "byteorder");
    /* always some closest name, however far */
    assert_non_null(nk_cmd_suggest("zzzzzzzzzzzzzzzzzz"));
}

static int
run(int argc, char **argv)
{
    int rc = nk_main(argc, argv);
    fflush(stdout);
    return rc;
}

static void
test_main_statuses(void **state)
{
    char *nosuch[] = {"netkit", "nosuch", NULL};
    char *bare[] = {"netkit", NULL};
    char *version[] = {"netkit", "--version", NULL};
    char *badopt[] = {"netkit", "--frobnicate", NULL};
    char *help_cmd[] = {"netkit", "help", "byteorder", NULL};
    char *help_bad[] = {"netkit", "help", "nosuch", NULL};
    char *codes[] = {"netkit", "--json", "help", "exit-codes", NULL};
    (void)state;
    assert_int_equal(run(2, nosuch), NK_EX_USAGE);
    assert_int_equal(run(1, bare), NK_EX_USAGE);
    assert_int_equal(run(2, version), NK_EX_OK);
    assert_int_equal(run(2, badopt), NK_EX_USAGE);
    assert_int_equal(run(3, help_cmd), NK_EX_OK);
    assert_int_equal(run(3, help_bad), NK_EX_USAGE);
    assert_int_equal(run(4, codes), NK_EX_OK);
}

/* Option values: in range they are taken; otherwise a usage error (64)
 * and the target is left untouched. */
static void
test_option_values(void **state)
{
    struct nk_ctx ctx = {NULL, 0, 0, NULL};
    uint64_t u = 7;
    long l = 7;
    int ms = 7;
    uint16_t port = 7;
    (void)state;
    ctx.cmd = nk_cmd_find("help");
    assert_int_equal(nk_opt_u64(&ctx, "--n", "5", 1, 10, &u), 0);
    assert_true(u == 5);
    assert_int_equal(nk_opt_u64(&ctx, "--n", "0", 1, 10, &u), NK_EX_USAGE);
    assert_int_equal(nk_opt_u64(&ctx, "--n", "11", 1, 10, &u), NK_EX_USAGE);
    assert_int_equal(nk_opt_u64(&ctx, "--n", "x", 1, 10, &u), NK_EX_USAGE);
    assert_true(u == 5);
    assert_int_equal(nk_opt_long(&ctx, "--n", "0", 0, 3, &l), 0);
    assert_int_equal(l, 0);
    assert_int_equal(nk_opt_long(&ctx, "--n", "4", 0, 3, &l), NK_EX_USAGE);
    assert_int_equal(nk_opt_seconds(&ctx, "--t", "0.5", 1, 1000, &ms), 0);
    assert_int_equal(ms, 500);
    assert_int_equal(nk_opt_seconds(&ctx, "--t", "0", 1, 1000, &ms),
                     NK_EX_USAGE);
    assert_int_equal(nk_opt_seconds(&ctx, "--t", "2", 1, 1000, &ms),
                     NK_EX_USAGE);
    assert_int_equal(nk_opt_seconds(&ctx, "--t", "abc", 0, 1000, &ms),
                     NK_EX_USAGE);
    assert_int_equal(ms, 500);
    assert_int_equal(nk_opt_port(&ctx, "--port", "0", 1, &port), 0);
    assert_int_equal(port, 0);
    assert_int_equal(nk_opt_port(&ctx, "--port", "0", 0, &port), NK_EX_USAGE);
    assert_int_equal(nk_opt_port(&ctx, "--port", "65536", 1, NULL),
                     NK_EX_USAGE);
    assert_int_equal(nk_opt_port(&ctx, "--port", "9999", 0, NULL), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_sorted_unique),
        cmocka_unit_test(test_entries_complete),
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_main_statuses),
        cmocka_unit_test(test_option_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
