/* IP address conversions for `netkit ipconv`: pure functions, no I/O.
 * Strict parsing is inet_pton's; the lax parser reads the historic
 * inet_aton forms (127.1, 0x7f.1, 017.0.0.1) but refuses trailing junk;
 * IPv6 text comes from our own RFC 5952 formatter. */
#ifndef NETKIT_IPADDR_H
#define NETKIT_IPADDR_H

#include <stddef.h>
#include <stdint.h>

#include "netkit/err.h"

/* Longest IPv6 zone (scope id) text we keep: an interface name
 * (IF_NAMESIZE - 1) or a decimal index. */
#define NK_IP_ZONE_MAX 15
/* Buffers for formatted text: "ffff:...:ffff" (39) or "::ffff:a.b.c.d"
 * plus "%" and a zone, and a NUL. */
#define NK_IP_TEXT_MAX 64
/* Packed bytes as hex: 32 digits for IPv6, and a NUL. */
#define NK_IP_HEX_MAX 33

enum nk_ip_form {
    NK_IP_FORM_TEXT,      /* standard text, read by inet_pton */
    NK_IP_FORM_INET_ATON, /* a historic inet_aton form (lax only) */
    NK_IP_FORM_HEX,       /* packed bytes as hex digits */
    NK_IP_FORM_INT        /* IPv4 as a 32-bit number */
};

/* Parse flags. */
enum { NK_IP_LAX = 1 << 0 }; /* also accept the inet_aton forms */

struct nk_ipaddr {
    int family;                    /* AF_INET or AF_INET6 */
    int form;                      /* enum nk_ip_form: how it was read */
    uint8_t bytes[16];             /* network order; IPv4 uses bytes[0..4) */
    char zone[NK_IP_ZONE_MAX + 1]; /* IPv6 scope id after '%', or "" */
};

/* Parse text as IPv4 or IPv6 with inet_pton; IPv6 may carry a scope id
 * ("fe80::1%eth0", kept as text, not resolved). With NK_IP_LAX, IPv4 in
 * an inet_aton form is accepted too (a->form says which). Returns 0, or -1
 * with err (exit 65) naming s, hinting "(try --lax)" when lax would do. */
int nk_ip_parse(const char *s, int flags, struct nk_ipaddr *a,
                struct nk_err *err);

/* The inet_aton grammar, without its trailing-junk tolerance: 1 to 4
 * dot-separated parts, each decimal, 0-octal or 0x-hex; the last part
 * fills the remaining low bytes. Returns the number of parts (1-4) and
 * out[0..4), or -1. */
int nk_ip4_parse_lax(const char *s, uint8_t out[4]);

/* What an inet_aton form means, in words, into buf (cut short to fit len,
 * never overflowing): "inet_aton form a.b: a=0x7f (hex 127), b=1 (the low
 * 24 bits)". Returns buf, or NULL when s is not such a form. */
char *nk_ip4_lax_explain(const char *s, char *buf, size_t len);

/* Packed bytes from hex: 8 digits (IPv4) or 32 (IPv6), upper or lower
 * case, optional 0x prefix, nothing else. Returns 0, or -1 with err
 * (exit 65) naming s. */
int nk_ip_from_hex(const char *s, struct nk_ipaddr *a, struct nk_err *err);

/* IPv4 from its number (0-4294967295, decimal or 0x-hex text). Returns 0,
 * or -1 with err (exit 65) naming s. */
int nk_ip_from_int(const char *s, struct nk_ipaddr *a, struct nk_err *err);

/* The address's packed bytes (4 or 16) as lowercase hex, no separators,
 * like Python's hexlify. Returns buf (NK_IP_HEX_MAX bytes). */
char *nk_ip_hex(const struct nk_ipaddr *a, char buf[NK_IP_HEX_MAX]);

/* IPv4 as a number, the same on every host: ntohl of the packed bytes
 * (127.0.0.1 -> 2130706433). */
uint32_t nk_ip4_int(const uint8_t b[4]);

/* The packed bytes read as this host's native uint32 (what s_addr holds):
 * 16777343 for 127.0.0.1 on a little-endian host, 2130706433 on a
 * big-endian one. */
uint32_t nk_ip4_int_network_order(const uint8_t b[4]);

/* Dotted quad "a.b.c.d". Returns buf (at least 16 bytes). */
char *nk_ip4_format(const uint8_t b[4], char *buf, size_t len);

/* IPv6 with all eight groups of four lowercase hex digits. Returns buf
 * (at least 40 bytes). */
char *nk_ip6_expanded(const uint8_t b[16], char *buf, size_t len);

/* RFC 5952 text: lowercase, no leading zeros, "::" for the longest run of
 * two or more zero groups (the first on ties), ::ffff:a.b.c.d for
 * v4-mapped. Returns buf (at least 46 bytes). */
char *nk_ip6_compressed(const uint8_t b[16], char *buf, size_t len);

/* 1 when b is an IPv4-mapped address (::ffff:0:0/96, RFC 4291 2.5.5.2). */
int nk_ip6_is_v4mapped(const uint8_t b[16]);

/* The canonical text: dotted quad, or RFC 5952 plus "%zone". Returns buf
 * (NK_IP_TEXT_MAX bytes is always enough). */
char *nk_ip_format(const struct nk_ipaddr *a, char *buf, size_t len);

#endif
