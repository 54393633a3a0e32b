/* SNTP/NTP packet code (RFC 4330, RFC 5905). Everything here is pure: the
 * header is read and written one byte at a time in network order, and
 * every clock value comes from the caller, so the unit tests and the
 * fuzzer can drive it with any time they like (2036 included). */
#include "netkit/sntp.h"

#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define TWO32 4294967296.0

static void
put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static void
put64(uint8_t *b, uint64_t v)
{
    put32(b, (uint32_t)(v >> 32));
    put32(b + 4, (uint32_t)v);
}

static uint32_t
get32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           (uint32_t)b[3];
}

static uint64_t
get64(const uint8_t *b)
{
    return (uint64_t)get32(b) << 32 | get32(b + 4);
}

/* RFC 5905 figure 8: LI(2) VN(3) Mode(3) | Stratum | Poll | Precision,
 * root delay, root dispersion, reference id, then the reference, origin,
 * receive and transmit timestamps at offsets 16, 24, 32 and 40. */
void
nk_sntp_encode(const struct nk_sntp_pkt *p, uint8_t out[NK_SNTP_LEN])
{
    out[0] =
        (uint8_t)((p->leap & 3) << 6 | (p->version & 7) << 3 | (p->mode & 7));
    out[1] = p->stratum;
    out[2] = (uint8_t)p->poll;
    out[3] = (uint8_t)p->precision;
    put32(out + 4, p->root_delay);
    put32(out + 8, p->root_dispersion);
    put32(out + 12, p->refid);
    put64(out + 16, p->ref_ts);
    put64(out + 24, p->orig_ts);
    put64(out + 32, p->recv_ts);
    put64(out + 40, p->xmit_ts);
}

int
nk_sntp_decode(const uint8_t *buf, size_t len, struct nk_sntp_pkt *p)
{
    if (len < NK_SNTP_LEN)
        return -1;
    p->leap = buf[0] >> 6;
    p->version = (buf[0] >> 3) & 7;
    p->mode = buf[0] & 7;
    p->stratum = buf[1];
    p->poll = (int8_t)buf[2];
    p->precision = (int8_t)buf[3];
    p->root_delay = get32(buf + 4);
    p->root_dispersion = get32(buf + 8);
    p->refid = get32(buf + 12);
    p->ref_ts = get64(buf + 16);
    p->orig_ts = get64(buf + 24);
    p->recv_ts = get64(buf + 32);
    p->xmit_ts = get64(buf + 40);
    return 0;
}

void
nk_sntp_set_xmit(uint8_t pkt[NK_SNTP_LEN], uint64_t ts)
{
    put64(pkt + 40, ts);
}

/* --- timestamps */

uint64_t
nk_ntp_from_timespec(const struct timespec *ts)
{
    /* Seconds wrap modulo 2^32 (the era is not carried on the wire). The
     * fraction is floor(ns * 2^32 / 10^9): rounding down here and to
     * nearest on the way back gives every nanosecond back exactly, since
     * one fraction unit (0.23 ns) is finer than a nanosecond. */
    uint32_t sec = (uint32_t)((uint64_t)ts->tv_sec + NK_NTP_UNIX_DELTA);
    uint64_t frac = ((uint64_t)ts->tv_nsec << 32) / 1000000000u;

    return (uint64_t)sec << 32 | (frac & 0xffffffffu);
}

int64_t
nk_ntp_era_seconds(uint32_t ntp_sec, int64_t pivot_unix)
{
    /* The pivot's own NTP seconds (mod 2^32); the signed 32-bit distance
     * from it to ntp_sec picks the nearest era without any division. */
    uint32_t pivot_ntp = (uint32_t)((uint64_t)pivot_unix + NK_NTP_UNIX_DELTA);
    int32_t d = (int32_t)(ntp_sec - pivot_ntp);

    return pivot_unix + d;
}

void
nk_ntp_to_timespec(uint64_t ntp, int64_t pivot_unix, struct timespec *out)
{
    uint64_t frac = ntp & 0xffffffffu;
    uint64_t ns = (frac * 1000000000u + 0x80000000u) >> 32;
    int64_t sec = nk_ntp_era_seconds((uint32_t)(ntp >> 32), pivot_unix);

    if (ns >= 1000000000u) { /* rounded up into the next second */
        ns -= 1000000000u;
        sec++;
    }
    out->tv_sec = (time_t)sec;
    out->tv_nsec = (long)ns;
}

double
nk_ntp_to_unix(uint64_t ntp, int64_t pivot_unix)
{
    int64_t sec = nk_ntp_era_seconds((uint32_t)(ntp >> 32), pivot_unix);

    return (double)sec + (double)(ntp & 0xffffffffu) / TWO32;
}

uint64_t
nk_ntp_from_unix(double unix_secs)
{
    double fl = floor(unix_secs);
    double frac = (unix_secs - fl) * TWO32;
    uint64_t f = frac >= TWO32 - 1 ? 0xffffffffu : (uint64_t)frac;
    /* int64 first: a negative Unix time still lands in era 0 modulo 2^32. */
    uint32_t sec = (uint32_t)((uint64_t)(int64_t)fl + NK_NTP_UNIX_DELTA);

    return (uint64_t)sec << 32 | f;
}

double
nk_ntp_diff(uint64_t a, uint64_t b)
{
    return ldexp((double)(int64_t)(a - b), -32);
}

void
nk_sntp_offset_delay(uint64_t t1, uint64_t t2, uint64_t t3, uint64_t t4,
                     double *offset, double *delay)
{
    /* Each difference spans at most a round trip, so its 64-bit signed
     * value is exact; only the final sums go to double (RFC 5905 sec. 8). */
    double d21 = nk_ntp_diff(t2, t1), d34 = nk_ntp_diff(t3, t4);
    double d41 = nk_ntp_diff(t4, t1), d32 = nk_ntp_diff(t3, t2);

    *offset = (d21 + d34) / 2;
    *delay = d41 - d32;
}

double
nk_ntp_short_to_double(uint32_t v)
{
    return v / 65536.0;
}

uint32_t
nk_ntp_short_from_double(double secs)
{
    if (!(secs > 0))
        return 0;
    if (secs >= 65535.0)
        return 0xffffffffu;
    return (uint32_t)llround(secs * 65536.0);
}

double
nk_ntp_log2_secs(int8_t exp)
{
    return ldexp(1.0, exp);
}

int8_t
nk_sntp_precision_from_ns(long ns)
{
    int8_t e = -30; /* 2^-30 s is 0.93 ns */

    if (ns <= 0)
        ns = 1;
    while (e < 30 && ldexp(1.0, e) * 1e9 < (double)ns)
        e++;
    return e;
}

/* --- the client's checks */

int
nk_sntp_check_source(const struct sockaddr *asked, socklen_t asked_len,
                     const struct sockaddr *from, socklen_t from_len)
{
    socklen_t need = asked->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                     : asked->sa_family == AF_INET6
                         ? sizeof(struct sockaddr_in6)
                         : 0;
    const struct sockaddr_in *a4 = (const void *)asked,
                             *f4 = (const void *)from;
    const struct sockaddr_in6 *a6 = (const void *)asked;
    const struct sockaddr_in6 *f6 = (const void *)from;

    /* Only the families we ask in, and whole addresses of both. */
    if (need == 0 || asked->sa_family != from->sa_family || asked_len < need ||
        from_len < need)
        return 0;
    if (asked->sa_family == AF_INET)
        return a4->sin_port == f4->sin_port &&
               a4->sin_addr.s_addr == f4->sin_addr.s_addr;
    return a6->sin6_port == f6->sin6_port &&
           memcmp(&a6->sin6_addr, &f6->sin6_addr, 16) == 0 &&
           a6->sin6_scope_id == f6->sin6_scope_id;
}

int
nk_sntp_check_length(size_t len)
{
    return len >= NK_SNTP_LEN;
}

int
nk_sntp_check_mode(const struct nk_sntp_pkt *p)
{
    return p->mode == NK_SNTP_MODE_SERVER;
}

int
nk_sntp_check_version(const struct nk_sntp_pkt *p)
{
    return p->version >= 1 && p->version <= 4;
}

int
nk_sntp_check_origin(const struct nk_sntp_pkt *p, uint64_t sent_xmit)
{
    return p->orig_ts == sent_xmit;
}

int
nk_sntp_check_xmit(const struct nk_sntp_pkt *p)
{
    return p->xmit_ts != 0;
}

int
nk_sntp_is_kod(const struct nk_sntp_pkt *p)
{
    return p->stratum == 0;
}

int
nk_sntp_is_unsync(const struct nk_sntp_pkt *p)
{
    return p->leap == NK_SNTP_LEAP_UNSYNC || p->stratum >= 16;
}

enum nk_sntp_verdict
nk_sntp_validate(const uint8_t *buf, size_t len, uint64_t sent_xmit,
                 struct nk_sntp_pkt *p)
{
    if (!nk_sntp_check_length(len) || nk_sntp_decode(buf, len, p) < 0)
        return NK_SNTP_SHORT;
    if (!nk_sntp_check_mode(p))
        return NK_SNTP_BAD_MODE;
    if (!nk_sntp_check_version(p))
        return NK_SNTP_BAD_VERSION;
    if (!nk_sntp_check_origin(p, sent_xmit))
        return NK_SNTP_BAD_ORIGIN;
    if (nk_sntp_is_kod(p))
        return NK_SNTP_KOD;
    if (!nk_sntp_check_xmit(p))
        return NK_SNTP_NO_XMIT;
    if (nk_sntp_is_unsync(p))
        return NK_SNTP_UNSYNC;
    return NK_SNTP_OK;
}

const char *
nk_sntp_verdict_str(enum nk_sntp_verdict v)
{
    switch (v) {
    case NK_SNTP_OK:
        return "ok";
    case NK_SNTP_SHORT:
        return "shorter than 48 bytes";
    case NK_SNTP_BAD_MODE:
        return "not a server reply (mode is not 4)";
    case NK_SNTP_BAD_VERSION:
        return "unknown version (not 1-4)";
    case NK_SNTP_BAD_ORIGIN:
        return "origin timestamp is not ours (bogus or replayed)";
    case NK_SNTP_KOD:
        return "kiss-o'-death";
    case NK_SNTP_NO_XMIT:
        return "transmit timestamp is zero";
    case NK_SNTP_UNSYNC:
        return "server clock not synchronised";
    }
    return "?";
}

/* --- refid, KoD codes, leap */

char *
nk_sntp_kod_code(const struct nk_sntp_pkt *p, char code[5])
{
    int n = 0;

    for (int i = 0; i < 4; i++) {
        uint8_t c = (uint8_t)(p->refid >> (24 - 8 * i));
        if (c == 0)
            continue;
        code[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    code[n] = '\0';
    return code;
}

static const struct {
    const char *code, *meaning;
} kod_codes[] = {
    /* RFC 5905 section 7.4, figure 13 */
    {"ACST", "the association belongs to a unicast server"},
    {"AUTH", "server authentication failed"},
    {"AUTO", "autokey sequence failed"},
    {"BCST", "the association belongs to a broadcast server"},
    {"CRYP", "cryptographic authentication or identification failed"},
    {"DENY", "access denied by remote server"},
    {"DROP", "lost peer in symmetric mode"},
    {"RSTR", "access denied due to local policy"},
    {"INIT", "the association has not yet synchronized for the first time"},
    {"MCST", "the association belongs to a dynamically discovered server"},
    {"NKEY", "no key found"},
    {"RATE", "rate exceeded: the server asks the client to slow down"},
    {"RMOT", "alteration of association from a remote host running ntpdc"},
    {"STEP", "a step change in system time has occurred"},
};

const char *
nk_sntp_kod_meaning(const char *code)
{
    for (size_t i = 0; i < sizeof kod_codes / sizeof kod_codes[0]; i++)
        if (strcmp(code, kod_codes[i].code) == 0)
            return kod_codes[i].meaning;
    return "unknown code";
}

int
nk_sntp_kod_fatal(const char *code)
{
    /* RFC 5905 7.4: after DENY or RSTR the client must stop sending. */
    return strcmp(code, "DENY") == 0 || strcmp(code, "RSTR") == 0;
}

char *
nk_sntp_refid_str(const struct nk_sntp_pkt *p, char *buf, size_t size)
{
    uint32_t r = p->refid;

    if (p->stratum <= 1) {
        char text[5];
        int n = 0, ok = 1;
        for (int i = 0; i < 4; i++) {
            uint8_t c = (uint8_t)(r >> (24 - 8 * i));
            if (c == 0) {
                /* NUL padding only at the end */
                for (int j = i + 1; j < 4; j++)
                    if ((uint8_t)(r >> (24 - 8 * j)) != 0)
                        ok = 0;
                break;
            }
            if (c < 0x20 || c >= 0x7f)
                ok = 0;
            text[n++] = (char)c;
        }
        text[n] = '\0';
        if (ok && n > 0)
            snprintf(buf, size, "%s", text);
        else
            snprintf(buf, size, "0x%08x", (unsigned)r);
        return buf;
    }
    snprintf(buf, size, "%u.%u.%u.%u", (unsigned)(r >> 24),
             (unsigned)(r >> 16) & 255, (unsigned)(r >> 8) & 255,
             (unsigned)r & 255);
    return buf;
}

int
nk_sntp_refid_from_text(const char *text, uint32_t *out)
{
    size_t n = strlen(text);
    uint32_t r = 0;

    if (n == 0 || n > 4)
        return -1;
    for (size_t i = 0; i < 4; i++) {
        uint8_t c = i < n ? (uint8_t)text[i] : 0;
        if (i < n && (c < 0x21 || c >= 0x7f))
            return -1;
        r = r << 8 | c;
    }
    *out = r;
    return 0;
}

const char *
nk_sntp_leap_str(unsigned leap)
{
    static const char *const s[4] = {"none", "add second", "delete second",
                                     "unsynchronised"};

    return s[leap & 3];
}

void
nk_sntp_build_request(uint64_t xmit_cookie, uint8_t out[NK_SNTP_LEN])
{
    struct nk_sntp_pkt p;

    memset(&p, 0, sizeof p);
    p.version = 4;
    p.mode = NK_SNTP_MODE_CLIENT;
    p.xmit_ts = xmit_cookie;
    nk_sntp_encode(&p, out);
}

/* --- the server */

enum nk_sntp_filter
nk_sntp_filter_request(const uint8_t *buf, size_t len, struct nk_sntp_pkt *req)
{
    /* RFC 5905 9.2 / RFC 4330 section 5: answer client mode only. Mode 6
     * (control) and 7 (private, monlist) are the classic amplifiers;
     * symmetric, broadcast and server packets answered would let two
     * servers ping-pong forever. Anything shorter than a header is not
     * NTP, and answering it would amplify. */
    if (nk_sntp_decode(buf, len, req) < 0)
        return NK_SNTP_DROP_SHORT;
    if (req->mode != NK_SNTP_MODE_CLIENT)
        return NK_SNTP_DROP_MODE;
    if (req->version < 1 || req->version > 4)
        return NK_SNTP_DROP_VERSION;
    return NK_SNTP_ANSWER;
}

void
nk_sntp_build_reply(const struct nk_sntp_pkt *req,
                    const struct nk_sntp_server_cfg *cfg, uint64_t recv_ts,
                    uint64_t xmit_ts, uint8_t out[NK_SNTP_LEN])
{
    struct nk_sntp_pkt p;

    p.leap = cfg->leap & 3;
    p.version = req->version;
    p.mode = NK_SNTP_MODE_SERVER;
    p.stratum = cfg->stratum;
    p.poll = req->poll;
    p.precision = cfg->precision;
    p.root_delay = cfg->root_delay;
    p.root_dispersion = cfg->root_dispersion;
    p.refid = cfg->refid;
    p.ref_ts = cfg->ref_ts;
    p.orig_ts = req->xmit_ts;
    p.recv_ts = recv_ts;
    p.xmit_ts = xmit_ts;
    nk_sntp_encode(&p, out);
}

void
nk_sntp_build_kod(const struct nk_sntp_pkt *req, const char *code,
                  uint8_t out[NK_SNTP_LEN])
{
    struct nk_sntp_pkt p;
    uint32_t refid = 0;

    memset(&p, 0, sizeof p);
    (void)nk_sntp_refid_from_text(code, &refid);
    p.leap = NK_SNTP_LEAP_UNSYNC;
    p.version = req->version;
    p.mode = NK_SNTP_MODE_SERVER;
    p.stratum = 0;
    p.poll = req->poll;
    p.refid = refid;
    p.ref_ts = p.orig_ts = p.recv_ts = p.xmit_ts = req->xmit_ts;
    nk_sntp_encode(&p, out);
}

/* --- rate table */

void
nk_sntp_rate_init(struct nk_sntp_rate *r, struct nk_sntp_rate_slot *slots,
                  size_t nslots, uint32_t limit)
{
    r->slots = slots;
    r->nslots = nslots - nslots % NK_SNTP_RATE_WAYS;
    r->limit = limit;
    r->evicted = 0;
    memset(slots, 0, nslots * sizeof *slots);
}

static uint32_t
key_hash(const uint8_t *k)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (size_t i = 0; i < NK_SNTP_RATE_KEY; i++)
        h = (h ^ k[i]) * 16777619u;
    return h;
}

/* The key's slot in its bucket: its own, else a free one, else the one
 * seen longest ago (evicted). A storm of spoofed addresses can only churn
 * the table, never grow it. */
static struct nk_sntp_rate_slot *
rate_slot(struct nk_sntp_rate *r, const uint8_t *key)
{
    size_t b = key_hash(key) % (r->nslots / NK_SNTP_RATE_WAYS);
    struct nk_sntp_rate_slot *set = r->slots + b * NK_SNTP_RATE_WAYS;
    struct nk_sntp_rate_slot *victim = NULL;

    for (int i = 0; i < NK_SNTP_RATE_WAYS; i++) {
        struct nk_sntp_rate_slot *s = &set[i];
        if (s->used && memcmp(s->key, key, NK_SNTP_RATE_KEY) == 0)
            return s;
        if (!s->used) {
            if (victim == NULL || victim->used)
                victim = s;
        } else if (victim == NULL ||
                   (victim->used && s->last_ms < victim->last_ms)) {
            victim = s;
        }
    }
    if (victim->used)
        r->evicted++;
    memset(victim, 0, sizeof *victim);
    memcpy(victim->key, key, NK_SNTP_RATE_KEY);
    victim->used = 1;
    return victim;
}

int
nk_sntp_rate_allow(struct nk_sntp_rate *r, const uint8_t key[NK_SNTP_RATE_KEY],
                   int64_t now_ms)
{
    struct nk_sntp_rate_slot *s;

    if (r->limit == 0 || r->nslots == 0)
        return 1;
    s = rate_slot(r, key);
    s->last_ms = now_ms;
    if (s->count == 0 || now_ms - s->window_ms >= 1000 ||
        now_ms < s->window_ms) {
        s->window_ms = now_ms;
        s->count = 0;
    }
    s->count++;
    return s->count <= r->limit;
}
