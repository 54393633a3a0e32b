/* libFuzzer: the socket-activation variables never crash their parsers,
 * and what is accepted is what the protocol allows. Input: one byte n
 * (LISTEN_FDS' count, 0..31), then LISTEN_FDNAMES; the same bytes, split
 * at the first NUL, are also LISTEN_PID and LISTEN_FDS. An accepted
 * LISTEN_FDNAMES gives exactly n names, none empty, longer than 255
 * bytes, or with a control byte or ':', that joined by ':' are the input.
 * An accepted count is 1..NK_ACT_MAX. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/activate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char names[NK_ACT_MAX + 16][NK_ACT_NAME_MAX + 1];

static void
check_names(const char *s, int n)
{
    struct nk_err err;
    size_t off = 0;

    if (nk_activation_names(s, n, names, &err) != 0)
        return;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (len == 0 || len > NK_ACT_NAME_MAX)
            abort();
        for (size_t j = 0; j < len; j++)
            if ((unsigned char)names[i][j] < 0x20 || names[i][j] == 0x7f ||
                names[i][j] == ':')
                abort();
        if (memcmp(s + off, names[i], len) != 0)
            abort();
        off += len;
        if (s[off] != (i + 1 < n ? ':' : '\0'))
            abort();
        off++;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[8192];
    struct nk_err err;
    int n;

    if (size < 1 || size >= sizeof s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    check_names(s, data[0] % 32);
    if (nk_activation_parse(s, s + strlen(s) + (strlen(s) < size - 1), atol(s),
                            &n, &err) == 1 &&
        (n < 1 || n > NK_ACT_MAX))
        abort();
    return 0;
}
