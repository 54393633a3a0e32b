/* Hex digits, the one reader for every parser that takes them (IPv4
 * parts, packed addresses, SHA-256 digests, %XX escapes). */
#ifndef NETKIT_HEX_H
#define NETKIT_HEX_H

/* The value 0-15 of the hex digit c ('0'-'9', 'a'-'f', 'A'-'F'), or -1
 * for any other byte (c as an unsigned char, or EOF). */
int nk_hex_digit(int c);

#endif
