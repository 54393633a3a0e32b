/* libFuzzer: the number, port and seconds parsers never crash, and what
 * they accept round-trips (a parsed decimal prints back to its value). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netkit/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[64], back[32];
    struct nk_err err;
    uint64_t v;
    uint16_t port;
    int ms;

    if (size >= sizeof s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (nk_parse_u64(s, UINT64_MAX, &v, &err) == 0 && s[0] != '0') {
        snprintf(back, sizeof back, "%llu", (unsigned long long)v);
        if (strcmp(back, s) != 0)
            abort();
    }
    if (nk_parse_port(s, &port, &err) < 0 && err.msg[0] == '\0')
        abort();
    if (nk_parse_seconds(s, &ms, &err) == 0 && (ms < 0 || ms > 86400000))
        abort();
    return 0;
}
