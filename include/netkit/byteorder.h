/* Byte-order facts for `netkit byteorder`: pure functions, no I/O. */
#ifndef NETKIT_BYTEORDER_H
#define NETKIT_BYTEORDER_H

#include <stdint.h>

/* 1 on a little-endian host, 0 on a big-endian one (tested at run time by
 * looking at the bytes of an integer in memory). */
int nk_host_little_endian(void);

/* The bytes of v as `bits` (16, 32, 64) wide integer laid out in this
 * host's memory, lowest address first, into out[0..bits/8). */
void nk_mem_layout(uint64_t v, int bits, uint8_t out[8]);

/* The classic conversions: htons/ntohs (16), htonl/ntohl (32) from libc,
 * and the 64-bit htobe64/be64toh. v must fit `bits`; the result has the
 * same width. to_net selects hton* (1) or ntoh* (0). */
uint64_t nk_byteswap_conv(uint64_t v, int bits, int to_net);

/* "d2 04 00 00": the `bits`/8 bytes of out as hex pairs; buf >= 24. */
char *nk_hex_bytes(const uint8_t *bytes, int n, char *buf);

#endif
