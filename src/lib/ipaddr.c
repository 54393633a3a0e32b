/* IP address conversions: inet_pton for strict parsing, our own reader of
 * the historic inet_aton forms, and our own RFC 5952 formatter. glibc's
 * inet_ntop is close to RFC 5952 but prints the deprecated IPv4-compatible
 * form (::1.2.3.4) in dotted notation, and the text a tool shows should not
 * depend on which libc it was linked with. */
#include "netkit/ipaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "netkit/exitcodes.h"
#include "netkit/hex.h"
#include "netkit/out.h"
#include "netkit/parse.h"

/* The input as shown inside an error message: at most 60 bytes, escaped
 * by nk_text_escape (the rule every diagnostic follows), so a hostile
 * argument cannot break the one-line diagnostic. len is at least 4. */
static const char *
quote(const char *s, char *buf, size_t len)
{
    size_t n = strnlen(s, 61), o;

    o = nk_text_escape(s, n > 60 ? 60 : n, buf, len - 3);
    if (n > 60)
        memcpy(buf + o, "...", 4);
    return buf;
}

/* One inet_aton part, as glibc reads it with strtoul(base 0): "0x"/"0X"
 * then at least one hex digit, else a leading 0 means octal, else decimal.
 * It must start with a digit (strtoul alone would skip spaces and take a
 * sign). Stops at the first byte that is not a digit of its base, so
 * "08" leaves "8" behind and is refused by the caller. Values above 32
 * bits are refused, as glibc does. */
static int
lax_part(const char **pp, uint32_t *val, int *base)
{
    const char *p = *pp;
    uint64_t v = 0;
    int b = 10, digits = 0, d;

    if (*p < '0' || *p > '9')
        return -1;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        b = 16;
        p += 2;
    } else if (p[0] == '0') {
        b = 8;
    }
    for (; (d = nk_hex_digit((unsigned char)*p)) >= 0 && d < b;
         p++, digits++) {
        v = v * (unsigned)b + (unsigned)d;
        if (v > 0xffffffffu)
            return -1;
    }
    if (digits == 0) /* "0x" with no hex digit after it */
        return -1;
    *val = (uint32_t)v;
    *base = b;
    *pp = p;
    return 0;
}

/* The largest value the last of n parts may hold: it fills the bytes the
 * earlier parts left (a: 32 bits, a.b: 24, a.b.c: 16, a.b.c.d: 8). */
static uint32_t
last_part_max(int n)
{
    static const uint32_t max[4] = {0xffffffffu, 0xffffffu, 0xffffu, 0xffu};

    return max[n - 1];
}

/* Split s into parts; starts[i] is where part i begins. */
static int
lax_split(const char *s, uint32_t parts[4], int bases[4],
          const char *starts[5])
{
    const char *p = s;
    int n = 0;

    for (;;) {
        starts[n] = p;
        if (lax_part(&p, &parts[n], &bases[n]) < 0)
            return -1;
        n++;
        if (*p != '.')
            break;
        if (n == 4)
            return -1;
        p++;
    }
    /* glibc stops at a space and ignores the rest ("1.2.3.4 junk"); a
     * command-line argument with junk in it is a mistake, so refuse. */
    if (*p != '\0')
        return -1;
    starts[n] = p + 1; /* as if a '.' followed: part i ends at starts[i+1]-1 */
    for (int i = 0; i < n - 1; i++)
        if (parts[i] > 0xff)
            return -1;
    if (parts[n - 1] > last_part_max(n))
        return -1;
    return n;
}

int
nk_ip4_parse_lax(const char *s, uint8_t out[4])
{
    uint32_t parts[4], v = 0;
    int bases[4];
    const char *starts[5];
    int n = lax_split(s, parts, bases, starts);

    if (n < 0)
        return -1;
    for (int i = 0; i < n - 1; i++)
        v |= parts[i] << (24 - 8 * i);
    v |= parts[n - 1];
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
    return n;
}

char *
nk_ip4_lax_explain(const char *s, char *buf, size_t len)
{
    static const char *const shapes[4] = {"a", "a.b", "a.b.c", "a.b.c.d"};
    static const char *const fills[4] = {
        " (all 32 bits)", " (the low 24 bits)", " (the low 16 bits)", ""};
    uint32_t parts[4];
    int bases[4];
    const char *starts[5];
    int n = lax_split(s, parts, bases, starts);
    size_t o;

    if (n < 0 || len == 0)
        return NULL;
    o = (size_t)snprintf(buf, len, "inet_aton form %s:", shapes[n - 1]);
    for (int i = 0; i < n && o < len; i++) {
        int w = (int)(starts[i + 1] - starts[i] - 1);
        const char *radix = bases[i] == 16 ? "hex" : "octal";
        int plain = bases[i] == 10 || (w == 1 && parts[i] == 0);

        o += (size_t)snprintf(buf + o, len - o, "%s %c=%.*s", i ? "," : "",
                              'a' + i, w, starts[i]);
        if (!plain && o < len)
            o += (size_t)snprintf(buf + o, len - o, " (%s %lu)", radix,
                                  (unsigned long)parts[i]);
        if (i == n - 1 && o < len)
            o += (size_t)snprintf(buf + o, len - o, "%s", fills[n - 1]);
    }
    return buf;
}

/* A v6 scope id as RFC 6874 allows it in a URI: unreserved characters
 * only. Interface names and numeric indexes both fit. */
static int
zone_ok(const char *z)
{
    size_t n = strlen(z);

    if (n == 0 || n > NK_IP_ZONE_MAX)
        return 0;
    return strspn(z, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789-._~") == n;
}

/* "fe80::1%eth0": inet_pton does not take a zone, so split it off. The
 * zone is kept as text, never turned into an interface index (that would
 * ask the kernel, and this module does no I/O). */
static int
parse_zoned(const char *s, const char *pct, struct nk_ipaddr *a,
            struct nk_err *err)
{
    char host[NK_IP_TEXT_MAX], q[256];
    size_t n = (size_t)(pct - s);
    uint8_t v4[4];

    if (n >= sizeof host)
        goto not_addr;
    memcpy(host, s, n);
    host[n] = '\0';
    if (inet_pton(AF_INET, host, v4) == 1 || nk_ip4_parse_lax(host, v4) > 0)
        return nk_err_set(err, NK_EX_DATAERR,
                          "'%s': a scope id (after %%) is for IPv6 "
                          "addresses only",
                          quote(s, q, sizeof q));
    if (inet_pton(AF_INET6, host, a->bytes) != 1)
        goto not_addr;
    if (!zone_ok(pct + 1))
        return nk_err_set(err, NK_EX_DATAERR,
                          "'%s' has a bad scope id (1-%d letters, digits, "
                          "'-', '.', '_' or '~' after %%)",
                          quote(s, q, sizeof q), NK_IP_ZONE_MAX);
    a->family = AF_INET6;
    strcpy(a->zone, pct + 1);
    return 0;
not_addr:
    return nk_err_set(err, NK_EX_DATAERR,
                      "'%s' is not an IPv4 or IPv6 address",
                      quote(s, q, sizeof q));
}

int
nk_ip_parse(const char *s, int flags, struct nk_ipaddr *a, struct nk_err *err)
{
    const char *pct = strchr(s, '%');
    char q[256];

    memset(a, 0, sizeof *a);
    a->form = NK_IP_FORM_TEXT;
    if (pct != NULL)
        return parse_zoned(s, pct, a, err);
    if (inet_pton(AF_INET, s, a->bytes) == 1) {
        a->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, a->bytes) == 1) {
        a->family = AF_INET6;
        return 0;
    }
    if (nk_ip4_parse_lax(s, a->bytes) > 0) {
        if (flags & NK_IP_LAX) {
            a->family = AF_INET;
            a->form = NK_IP_FORM_INET_ATON;
            return 0;
        }
        memset(a->bytes, 0, sizeof a->bytes);
        return nk_err_set(err, NK_EX_DATAERR,
                          "'%s' is not an IPv4 or IPv6 address (try --lax)",
                          quote(s, q, sizeof q));
    }
    if (s[0] == '[' && strchr(s, ']') != NULL)
        return nk_err_set(err, NK_EX_DATAERR,
                          "'%s' is not an IPv4 or IPv6 address (drop the "
                          "brackets)",
                          quote(s, q, sizeof q));
    return nk_err_set(err, NK_EX_DATAERR,
                      "'%s' is not an IPv4 or IPv6 address",
                      quote(s, q, sizeof q));
}

int
nk_ip_from_hex(const char *s, struct nk_ipaddr *a, struct nk_err *err)
{
    const char *p = s;
    size_t n;
    char q[256];

    memset(a, 0, sizeof *a);
    a->form = NK_IP_FORM_HEX;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    n = strlen(p);
    for (size_t i = 0; i < n; i++)
        if (nk_hex_digit((unsigned char)p[i]) < 0)
            return nk_err_set(err, NK_EX_DATAERR,
                              "'%s' is not packed address bytes in hex (8 "
                              "or 32 hex digits)",
                              quote(s, q, sizeof q));
    if (n != 8 && n != 32)
        return nk_err_set(err, NK_EX_DATAERR,
                          "'%s' has %zu hex digits, not 8 (IPv4) or 32 "
                          "(IPv6)",
                          quote(s, q, sizeof q), n);
    for (size_t i = 0; i < n / 2; i++)
        a->bytes[i] = (uint8_t)(nk_hex_digit((unsigned char)p[2 * i]) << 4 |
                                nk_hex_digit((unsigned char)p[2 * i + 1]));
    a->family = n == 8 ? AF_INET : AF_INET6;
    return 0;
}

int
nk_ip_from_int(const char *s, struct nk_ipaddr *a, struct nk_err *err)
{
    uint64_t v;
    char q[256];

    memset(a, 0, sizeof *a);
    a->form = NK_IP_FORM_INT;
    if (nk_parse_u64(s, 0xffffffffu, &v, err) < 0)
        return nk_err_set(err, NK_EX_DATAERR,
                          "'%s' is not an IPv4 address as a number "
                          "(0-4294967295, decimal or 0x-hex)",
                          quote(s, q, sizeof q));
    a->family = AF_INET;
    a->bytes[0] = (uint8_t)(v >> 24);
    a->bytes[1] = (uint8_t)(v >> 16);
    a->bytes[2] = (uint8_t)(v >> 8);
    a->bytes[3] = (uint8_t)v;
    return 0;
}

char *
nk_ip_hex(const struct nk_ipaddr *a, char buf[NK_IP_HEX_MAX])
{
    static const char digits[] = "0123456789abcdef";
    int n = a->family == AF_INET ? 4 : 16;

    for (int i = 0; i < n; i++) {
        buf[2 * i] = digits[a->bytes[i] >> 4];
        buf[2 * i + 1] = digits[a->bytes[i] & 0xf];
    }
    buf[2 * n] = '\0';
    return buf;
}

uint32_t
nk_ip4_int(const uint8_t b[4])
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           b[3];
}

uint32_t
nk_ip4_int_network_order(const uint8_t b[4])
{
    uint32_t v;

    memcpy(&v, b, sizeof v); /* exactly what a struct in_addr holds */
    return v;
}

char *
nk_ip4_format(const uint8_t b[4], char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    return buf;
}

int
nk_ip6_is_v4mapped(const uint8_t b[16])
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0,    0,
                                       0, 0, 0, 0, 0xff, 0xff};

    return memcmp(b, prefix, sizeof prefix) == 0;
}

char *
nk_ip6_expanded(const uint8_t b[16], char *buf, size_t len)
{
    snprintf(buf, len,
             "%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:"
             "%02x%02x:%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
    return buf;
}

/* RFC 5952 section 4.2: the longest run of consecutive zero groups, the
 * first one on a tie; a run of one group is not shortened (4.2.2). */
static void
longest_zero_run(const uint16_t w[8], int *start, int *len)
{
    *start = -1;
    *len = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && w[j] == 0)
            j++;
        if (j - i > *len) { /* strictly longer: ties keep the first */
            *start = i;
            *len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    if (*len < 2) {
        *start = -1;
        *len = 0;
    }
}

char *
nk_ip6_compressed(const uint8_t b[16], char *buf, size_t len)
{
    char tmp[48];
    uint16_t w[8];
    int start, run, o = 0;

    /* RFC 5952 section 5: mixed notation for the well-known v4-mapped
     * prefix only (the v4-compatible form is deprecated, RFC 4291
     * 2.5.5.1, and is shown in hex). */
    if (nk_ip6_is_v4mapped(b)) {
        snprintf(buf, len, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
        return buf;
    }
    for (int i = 0; i < 8; i++)
        w[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
    longest_zero_run(w, &start, &run);
    for (int i = 0; i < 8; i++) {
        if (i == start) {
            /* "::" stands for the run and both its separators */
            o += snprintf(tmp + o, sizeof tmp - (size_t)o, "::");
            i += run - 1;
            continue;
        }
        if (i > 0 && i != start + run)
            tmp[o++] = ':';
        /* 4.1 no leading zeros, 4.3 lowercase */
        o += snprintf(tmp + o, sizeof tmp - (size_t)o, "%x", w[i]);
    }
    tmp[o] = '\0';
    snprintf(buf, len, "%s", tmp);
    return buf;
}

char *
nk_ip_format(const struct nk_ipaddr *a, char *buf, size_t len)
{
    char text[48];

    if (a->family == AF_INET)
        return nk_ip4_format(a->bytes, buf, len);
    nk_ip6_compressed(a->bytes, text, sizeof text);
    if (a->zone[0] != '\0')
        snprintf(buf, len, "%s%%%s", text, a->zone);
    else
        snprintf(buf, len, "%s", text);
    return buf;
}
