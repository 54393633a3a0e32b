/* SNTP/NTP packets (RFC 4330, RFC 5905): the 48-byte header encoded and
 * decoded byte by byte, NTP timestamps with era handling, offset and delay,
 * the client's validation checks, and the server's request filter, reply
 * builder and rate table. Pure: no sockets, and every clock reading is
 * passed in by the caller. */
#ifndef NETKIT_SNTP_H
#define NETKIT_SNTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define NK_SNTP_LEN 48 /* the header without extension fields or MAC */
/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (the Unix epoch). */
#define NK_NTP_UNIX_DELTA 2208988800u
#define NK_SNTP_PORT "123"

enum nk_sntp_mode {
    NK_SNTP_MODE_RESERVED = 0,
    NK_SNTP_MODE_SYM_ACTIVE = 1,
    NK_SNTP_MODE_SYM_PASSIVE = 2,
    NK_SNTP_MODE_CLIENT = 3,
    NK_SNTP_MODE_SERVER = 4,
    NK_SNTP_MODE_BROADCAST = 5,
    NK_SNTP_MODE_CONTROL = 6,
    NK_SNTP_MODE_PRIVATE = 7
};

enum {
    NK_SNTP_LEAP_NONE,
    NK_SNTP_LEAP_ADD,
    NK_SNTP_LEAP_DEL,
    NK_SNTP_LEAP_UNSYNC
};

/* The header, field by field (RFC 5905 figure 8). Timestamps are NTP
 * 64-bit values (32.32 fixed point, seconds since the era's start); root
 * delay and dispersion are NTP short format (16.16). refid holds the four
 * bytes as a big-endian number. */
struct nk_sntp_pkt {
    uint8_t leap;    /* 0-3 */
    uint8_t version; /* 0-7 */
    uint8_t mode;    /* 0-7 */
    uint8_t stratum;
    int8_t poll;      /* log2 seconds */
    int8_t precision; /* log2 seconds */
    uint32_t root_delay;
    uint32_t root_dispersion;
    uint32_t refid;
    uint64_t ref_ts, orig_ts, recv_ts, xmit_ts;
};

/* Write the header into out[0..48). */
void nk_sntp_encode(const struct nk_sntp_pkt *p, uint8_t out[NK_SNTP_LEN]);
/* Read the header from buf; 0, or -1 when len < 48 (p untouched). */
int nk_sntp_decode(const uint8_t *buf, size_t len, struct nk_sntp_pkt *p);
/* Overwrite only the transmit timestamp (bytes 40-47) of an encoded packet:
 * the server's last step before sending. */
void nk_sntp_set_xmit(uint8_t pkt[NK_SNTP_LEN], uint64_t ts);

/* --- Timestamps. An NTP timestamp carries seconds modulo 2^32: era 0 ends
 * 2036-02-07T06:28:16Z. Converting back picks the era that puts the result
 * nearest a pivot (the local clock), within +-68 years, as OpenNTPD and
 * chrony do; a timestamp of 0 is just a value here (callers check it). */

/* Unix time -> NTP 64-bit (the era number is dropped). Nanoseconds are
 * truncated to 2^-32 s units; nk_ntp_to_timespec gives them back exactly. */
uint64_t nk_ntp_from_timespec(const struct timespec *ts);
/* NTP 64-bit -> Unix time in the era nearest pivot_unix (seconds). */
void nk_ntp_to_timespec(uint64_t ntp, int64_t pivot_unix,
                        struct timespec *out);
/* The Unix seconds of NTP seconds ntp_sec, in the era nearest pivot_unix:
 * the result lies in [pivot - 2^31, pivot + 2^31). */
int64_t nk_ntp_era_seconds(uint32_t ntp_sec, int64_t pivot_unix);
/* The same as a double (fractions kept to about a microsecond). */
double nk_ntp_to_unix(uint64_t ntp, int64_t pivot_unix);
/* Unix seconds (double) -> NTP 64-bit. */
uint64_t nk_ntp_from_unix(double unix_secs);
/* a - b in seconds, as RFC 5905 section 10 does it: the 64-bit difference
 * taken as signed, so the era cancels (valid within +-68 years). */
double nk_ntp_diff(uint64_t a, uint64_t b);
/* RFC 5905: offset = ((T2-T1)+(T3-T4))/2, delay = (T4-T1)-(T3-T2), from
 * client send T1, server receive T2, server send T3, client receive T4. */
void nk_sntp_offset_delay(uint64_t t1, uint64_t t2, uint64_t t3, uint64_t t4,
                          double *offset, double *delay);

/* NTP short format (16.16 seconds) <-> double; negative becomes 0, too big
 * saturates. */
double nk_ntp_short_to_double(uint32_t v);
uint32_t nk_ntp_short_from_double(double secs);
/* 2^exp seconds (poll, precision). */
double nk_ntp_log2_secs(int8_t exp);
/* The precision field for a clock step of ns nanoseconds: the smallest e
 * with 2^e s >= ns (ns <= 0 is taken as 1 ns). */
int8_t nk_sntp_precision_from_ns(long ns);

/* --- The client's checks (RFC 4330 section 5, RFC 5905 section 8), each
 * alone so tests can fail them one by one. 1 passes, 0 fails. */
/* The reply came from the address and port asked (family, address, port,
 * IPv6 scope). */
int nk_sntp_check_source(const struct sockaddr *asked, socklen_t asked_len,
                         const struct sockaddr *from, socklen_t from_len);
int nk_sntp_check_length(size_t len);                   /* at least 48 bytes */
int nk_sntp_check_mode(const struct nk_sntp_pkt *p);    /* mode 4, server */
int nk_sntp_check_version(const struct nk_sntp_pkt *p); /* 1-4 */
/* The origin timestamp is the transmit timestamp we sent (else bogus or
 * replayed). */
int nk_sntp_check_origin(const struct nk_sntp_pkt *p, uint64_t sent_xmit);
int nk_sntp_check_xmit(const struct nk_sntp_pkt *p); /* nonzero */
/* Stratum 0: a Kiss-o'-Death; its code is the refid. */
int nk_sntp_is_kod(const struct nk_sntp_pkt *p);
/* Leap 3 (alarm) or stratum 16 and above: the server's clock is not
 * synchronised and its time must not be trusted. */
int nk_sntp_is_unsync(const struct nk_sntp_pkt *p);

enum nk_sntp_verdict {
    NK_SNTP_OK,          /* a usable reply */
    NK_SNTP_SHORT,       /* fewer than 48 bytes */
    NK_SNTP_BAD_MODE,    /* not mode 4 */
    NK_SNTP_BAD_VERSION, /* version 0 or 5-7 */
    NK_SNTP_BAD_ORIGIN,  /* not an answer to what we sent */
    NK_SNTP_KOD,         /* stratum 0: Kiss-o'-Death (origin matched) */
    NK_SNTP_NO_XMIT,     /* transmit timestamp 0 */
    NK_SNTP_UNSYNC       /* leap 3 or stratum >= 16 (still decoded) */
};
/* Every check in order (length, mode, version, origin, then KoD, transmit,
 * synchronisation). *p is filled whenever len >= 48. A KoD is believed only
 * when its origin matches, so a forged one cannot silence the client. */
enum nk_sntp_verdict nk_sntp_validate(const uint8_t *buf, size_t len,
                                      uint64_t sent_xmit,
                                      struct nk_sntp_pkt *p);
/* "ok", "shorter than 48 bytes", ... (lowercase, for error messages). */
const char *nk_sntp_verdict_str(enum nk_sntp_verdict v);

/* The Kiss-o'-Death code (the refid's four ASCII bytes, NULs dropped,
 * other unprintable bytes as '?') into code[5]. Returns code. */
char *nk_sntp_kod_code(const struct nk_sntp_pkt *p, char code[5]);
/* What a KoD code means (RFC 5905 7.4), or "unknown code". */
const char *nk_sntp_kod_meaning(const char *code);
/* 1 when the client must stop querying this server (DENY, RSTR), 0 when it
 * should slow down (RATE) or may retry later (others). */
int nk_sntp_kod_fatal(const char *code);

/* The reference id as text: up to four ASCII characters for stratum 0 and
 * 1 ("GPS", "LOCL", "RATE"; hex "0x..." if unprintable), a dotted IPv4
 * address otherwise (for IPv6 upstreams it is a hash, shown the same way).
 * buf needs 16 bytes. Returns buf. */
char *nk_sntp_refid_str(const struct nk_sntp_pkt *p, char *buf, size_t size);
/* Four ASCII characters, NUL padded, as a refid ("LOCL" -> 0x4c4f434c).
 * -1 when text is empty, longer than 4 or not printable ASCII. */
int nk_sntp_refid_from_text(const char *text, uint32_t *out);
/* "none", "add second", "delete second", "unsynchronised". */
const char *nk_sntp_leap_str(unsigned leap);

/* The client's request: version 4, mode 3, every field zero but the
 * transmit timestamp, which carries xmit_cookie (a random value the client
 * keeps, so the local clock never goes out in clear: RFC 9109's advice and
 * what OpenNTPD and chrony do). */
void nk_sntp_build_request(uint64_t xmit_cookie, uint8_t out[NK_SNTP_LEN]);

/* --- The server side. */

enum nk_sntp_filter {
    NK_SNTP_ANSWER,      /* a client request: answer it */
    NK_SNTP_DROP_SHORT,  /* fewer than 48 bytes */
    NK_SNTP_DROP_MODE,   /* not mode 3 (control 6, private 7, replies...) */
    NK_SNTP_DROP_VERSION /* version 0 or 5-7 */
};
/* Decide what to do with a datagram; *req is filled when answered. Never
 * answers what could make the server an amplifier or a loop partner. */
enum nk_sntp_filter nk_sntp_filter_request(const uint8_t *buf, size_t len,
                                           struct nk_sntp_pkt *req);

struct nk_sntp_server_cfg {
    uint8_t leap;    /* 0-3: 3 when the clock is unsynchronised */
    uint8_t stratum; /* 1-15 */
    int8_t precision;
    uint32_t refid;
    uint32_t root_delay, root_dispersion; /* short format */
    uint64_t ref_ts; /* when the clock was last set (NTP 64-bit) */
};
/* The reply to req (RFC 4330 section 5 / RFC 5905 section 9): mode 4,
 * version and poll copied, origin = the request's transmit timestamp,
 * receive = recv_ts, transmit = xmit_ts (the caller may overwrite it with
 * nk_sntp_set_xmit just before sending). */
void nk_sntp_build_reply(const struct nk_sntp_pkt *req,
                         const struct nk_sntp_server_cfg *cfg,
                         uint64_t recv_ts, uint64_t xmit_ts,
                         uint8_t out[NK_SNTP_LEN]);
/* A Kiss-o'-Death answer to req: stratum 0, leap 3, refid = code (up to
 * four ASCII letters); every timestamp is the request's transmit timestamp
 * (as ntpd does), so the origin matches and no time is given away. */
void nk_sntp_build_kod(const struct nk_sntp_pkt *req, const char *code,
                       uint8_t out[NK_SNTP_LEN]);

/* --- Per-address rate limiting with bounded memory: a fixed table of
 * slots in 4-way buckets; a new address takes a free slot of its bucket or
 * evicts the one seen longest ago. Each address may send `limit` requests
 * per one-second window. */
#define NK_SNTP_RATE_KEY 20 /* family byte + 16 address bytes, padded */
#define NK_SNTP_RATE_WAYS 4

struct nk_sntp_rate_slot {
    uint8_t key[NK_SNTP_RATE_KEY];
    uint8_t used;
    uint32_t count;    /* requests in the current window */
    int64_t window_ms; /* start of the window */
    int64_t last_ms;   /* last request (for eviction) */
};

struct nk_sntp_rate {
    struct nk_sntp_rate_slot *slots;
    size_t nslots; /* a multiple of NK_SNTP_RATE_WAYS */
    uint32_t limit;
    uint64_t evicted;
};

/* Use caller-owned slots[0..nslots) (nslots >= NK_SNTP_RATE_WAYS; rounded
 * down to a multiple of it), zeroing them. */
void nk_sntp_rate_init(struct nk_sntp_rate *r, struct nk_sntp_rate_slot *slots,
                       size_t nslots, uint32_t limit);
/* Count a request from key at now_ms: 1 allowed, 0 over the limit. */
int nk_sntp_rate_allow(struct nk_sntp_rate *r,
                       const uint8_t key[NK_SNTP_RATE_KEY], int64_t now_ms);

#endif
