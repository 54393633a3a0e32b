/* Fuzz the fileshare client's response-head parser (nk_fs_parse_head, in
 * src/proto/fileshare.c), as the client calls it: on the bytes up to the
 * head's end as nk_fs_head_end finds it. Invariants: it never reads past
 * its input, a head it accepts has a three-digit status and a status text
 * that fits, and a refusal always says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/fileshare.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    struct nk_fs_head h;
    const char *why = NULL;
    char *buf;
    size_t end;

    if (n > NK_FS_HEAD_MAX)
        return 0;
    buf = malloc(n ? n : 1); /* exactly n bytes: ASan sees any over-read */
    if (buf == NULL)
        return 0;
    memcpy(buf, d, n);
    end = nk_fs_head_end(buf, n);
    if (end > n)
        abort();
    if (nk_fs_parse_head(buf, end ? end : n, &h, &why) == 0) {
        if (h.code < 100 || h.code > 999 ||
            strlen(h.text) > NK_FS_REASON_MAX || end == 0)
            abort();
    } else if (why == NULL) {
        abort();
    }
    free(buf);
    return 0;
}
