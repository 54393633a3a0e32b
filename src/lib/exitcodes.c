/* The exit-code table as data, for `netkit help exit-codes` and tests. */
#include "netkit/exitcodes.h"

#include <stddef.h>

static const struct nk_exit_info table[] = {
#define NK_EXIT_ROW(id, num, name, meaning) {num, name, meaning},
    NK_EXIT_TABLE(NK_EXIT_ROW)
#undef NK_EXIT_ROW
};

const struct nk_exit_info *
nk_exit_table(int *count)
{
    *count = (int)(sizeof table / sizeof table[0]);
    return table;
}

void
nk_exit_note(struct nk_exit_acc *acc, int code)
{
    acc->total++;
    if (code == NK_EX_OK)
        return;
    if (acc->failed++ == 0)
        acc->code = code;
    else if (code != acc->code)
        acc->mixed = 1;
}

int
nk_exit_result(const struct nk_exit_acc *acc)
{
    if (acc->failed == 0)
        return NK_EX_OK;
    if (acc->failed == acc->total && !acc->mixed)
        return acc->code;
    return NK_EX_PARTIAL;
}
