/* Byte order: the values the `byteorder` command shows, from the real libc
 * conversion functions so the tool reports what a program would get. */
#include "netkit/byteorder.h"

#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <string.h>

int
nk_host_little_endian(void)
{
    uint32_t one = 1;
    uint8_t first;

    memcpy(&first, &one, 1);
    return first == 1;
}

void
nk_mem_layout(uint64_t v, int bits, uint8_t out[8])
{
    uint16_t v16 = (uint16_t)v;
    uint32_t v32 = (uint32_t)v;

    memset(out, 0, 8);
    if (bits == 16)
        memcpy(out, &v16, sizeof v16);
    else if (bits == 32)
        memcpy(out, &v32, sizeof v32);
    else
        memcpy(out, &v, sizeof v);
}

uint64_t
nk_byteswap_conv(uint64_t v, int bits, int to_net)
{
    if (bits == 16)
        return to_net ? htons((uint16_t)v) : ntohs((uint16_t)v);
    if (bits == 32)
        return to_net ? htonl((uint32_t)v) : ntohl((uint32_t)v);
    return to_net ? htobe64(v) : be64toh(v);
}

char *
nk_hex_bytes(const uint8_t *bytes, int n, char *buf)
{
    char *p = buf;

    buf[0] = '\0';
    for (int i = 0; i < n; i++)
        p += sprintf(p, i ? " %02x" : "%02x", bytes[i]);
    return buf;
}
