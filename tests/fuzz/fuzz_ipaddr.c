/* libFuzzer: the address parsers never crash, and what they accept is
 * stable: parse -> format -> parse gives the same bytes and the same text;
 * the RFC 5952 text is accepted by inet_pton with the same 16 bytes, obeys
 * the RFC's rules, and equals glibc's inet_ntop wherever glibc does not
 * choose dotted notation; the lax reader agrees with inet_aton; hex and
 * int round-trip. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netkit/ipaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* The RFC 5952 rules, checked on the text itself: lowercase, no leading
 * zeros, at most one "::", which stands for at least two zero groups and
 * for the longest run (the first on ties). */
static void
check_rfc5952(const uint8_t b[16], const char *t)
{
    uint16_t w[8];
    int best = 0, best_at = -1, groups = 0;
    const char *dc = strstr(t, "::");

    if (nk_ip6_is_v4mapped(b))
        return; /* fixed "::ffff:a.b.c.d", checked by the round trip */
    for (int i = 0; i < 8; i++)
        w[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
    for (int i = 0, run = 0; i < 8; i++) {
        run = w[i] == 0 ? run + 1 : 0;
        if (run > best) {
            best = run;
            best_at = i - run + 1;
        }
    }
    CHECK(strpbrk(t, "ABCDEF.%") == NULL);
    CHECK(dc == NULL || strstr(dc + 1, "::") == NULL);
    for (const char *p = t; *p != '\0';) {
        size_t n = strspn(p, "0123456789abcdef");
        if (n > 0) {
            CHECK(n <= 4 && !(n > 1 && p[0] == '0'));
            groups++;
        }
        p += n;
        if (*p == ':')
            p++;
    }
    if (best < 2) {
        CHECK(dc == NULL && groups == 8);
        return;
    }
    CHECK(dc != NULL && groups == 8 - best);
    /* the groups before "::" are exactly those before the chosen run */
    {
        int before = 0;
        for (const char *p = t; p < dc; p++)
            before += *p == ':';
        CHECK(before == (best_at == 0 ? 0 : best_at - 1));
    }
}

/* glibc prints dotted notation when the first 80 bits are zero and the
 * next 16 are 0 or ffff (but not for :: and ::1-like ::x); elsewhere its
 * inet_ntop follows RFC 5952 and must agree with ours. */
static int
glibc_dotted(const uint8_t b[16])
{
    static const uint8_t zero[10] = {0};

    return memcmp(b, zero, 10) == 0 &&
           ((b[10] == 0xff && b[11] == 0xff) ||
            (b[10] == 0 && b[11] == 0 && (b[12] | b[13]) != 0));
}

static void
check_v6_text(const uint8_t b[16])
{
    char t[NK_IP_TEXT_MAX], ref[INET6_ADDRSTRLEN], ex[NK_IP_TEXT_MAX];
    uint8_t back[16];

    nk_ip6_compressed(b, t, sizeof t);
    CHECK(inet_pton(AF_INET6, t, back) == 1);
    CHECK(memcmp(back, b, 16) == 0);
    check_rfc5952(b, t);
    if (!glibc_dotted(b)) {
        CHECK(inet_ntop(AF_INET6, b, ref, sizeof ref) != NULL);
        CHECK(strcmp(ref, t) == 0);
    }
    nk_ip6_expanded(b, ex, sizeof ex);
    CHECK(strlen(ex) == 39);
    CHECK(inet_pton(AF_INET6, ex, back) == 1 && memcmp(back, b, 16) == 0);
}

/* parse -> format -> parse: same family, bytes, zone and text. */
static void
check_round_trip(const struct nk_ipaddr *a)
{
    char t[NK_IP_TEXT_MAX], t2[NK_IP_TEXT_MAX], hex[NK_IP_HEX_MAX];
    struct nk_ipaddr b;
    struct nk_err err;
    int n = a->family == AF_INET ? 4 : 16;

    nk_ip_format(a, t, sizeof t);
    CHECK(nk_ip_parse(t, 0, &b, &err) == 0);
    CHECK(b.family == a->family && b.form == NK_IP_FORM_TEXT);
    CHECK(memcmp(a->bytes, b.bytes, 16) == 0);
    CHECK(strcmp(a->zone, b.zone) == 0);
    CHECK(strcmp(nk_ip_format(&b, t2, sizeof t2), t) == 0);
    CHECK(nk_ip_from_hex(nk_ip_hex(a, hex), &b, &err) == 0);
    CHECK(strlen(hex) == (size_t)(2 * n));
    CHECK(b.family == a->family && memcmp(a->bytes, b.bytes, 16) == 0);
    if (a->family == AF_INET) {
        char num[16];
        snprintf(num, sizeof num, "%lu", (unsigned long)nk_ip4_int(a->bytes));
        CHECK(nk_ip_from_int(num, &b, &err) == 0);
        CHECK(memcmp(a->bytes, b.bytes, 4) == 0);
        CHECK(ntohl(nk_ip4_int_network_order(a->bytes)) ==
              nk_ip4_int(a->bytes));
    } else {
        check_v6_text(a->bytes);
    }
}

/* The lax reader against glibc's inet_aton: same answer, except that we
 * refuse what glibc ignores after a space. */
static void
check_lax(const char *s)
{
    uint8_t mine[4];
    struct in_addr ia;
    char note[256];
    int n = nk_ip4_parse_lax(s, mine), theirs = inet_aton(s, &ia);

    if (n > 0) {
        CHECK(n <= 4 && theirs == 1 && memcmp(&ia.s_addr, mine, 4) == 0);
        CHECK(nk_ip4_lax_explain(s, note, sizeof note) != NULL);
    } else if (strpbrk(s, " \t\n\v\f\r") == NULL) {
        CHECK(theirs == 0);
        CHECK(nk_ip4_lax_explain(s, note, sizeof note) == NULL);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[128];
    struct nk_ipaddr a;
    struct nk_err err;

    /* Raw bytes as an address: the formatter's invariants on any value. */
    if (size >= 16)
        check_v6_text(data);
    /* Random bytes rarely hold zero runs; make them common: one byte per
     * group, even = a zero group, odd = a group of that byte repeated
     * (0x0101 ... 0xffff, and 0xffff at group 5 makes v4-mapped ones). */
    if (size >= 8) {
        uint8_t sparse[16];
        for (int i = 0; i < 8; i++)
            sparse[2 * i] = sparse[2 * i + 1] = data[i] & 1 ? data[i] : 0;
        check_v6_text(sparse);
    }
    if (size >= sizeof s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0'; /* argv strings end at the first NUL */
    check_lax(s);
    for (int flags = 0; flags <= NK_IP_LAX; flags++) {
        if (nk_ip_parse(s, flags, &a, &err) == 0)
            check_round_trip(&a);
        else
            CHECK(err.msg[0] != '\0' && strchr(err.msg, '\n') == NULL);
    }
    if (nk_ip_from_hex(s, &a, &err) == 0)
        check_round_trip(&a);
    if (nk_ip_from_int(s, &a, &err) == 0)
        check_round_trip(&a);
    return 0;
}
