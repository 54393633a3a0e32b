/* libFuzzer: the JSON string writer must always produce valid JSON text
 * that is valid UTF-8, whatever bytes it is given. Checked here by
 * re-scanning the output: every byte is printable ASCII or part of a
 * valid UTF-8 sequence, no raw control byte, quotes balanced. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = NULL;
    size_t len = 0, i = 1;
    FILE *fp = open_memstream(&buf, &len);

    if (fp == NULL)
        return 0;
    nk_json_write_str(fp, (const char *)data, size);
    fclose(fp);
    if (len < 2 || buf[0] != '"' || buf[len - 1] != '"')
        abort();
    while (i < len - 1) {
        const unsigned char *p = (const unsigned char *)buf + i;
        size_t n = nk_utf8_seq(p, len - 1 - i);
        if (n == 0 || p[0] < 0x20 || p[0] == 0x7f)
            abort();
        if (p[0] == '"')
            abort(); /* an unescaped quote inside the string */
        if (p[0] == '\\')
            n = p[1] == 'u' ? 6 : 2; /* skip the escape as a unit */
        i += n;
    }
    if (i != len - 1)
        abort();
    free(buf);
    return 0;
}
