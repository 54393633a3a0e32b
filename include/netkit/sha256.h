/* SHA-256 (FIPS 180-4), incremental: libc has none, and fileshare verifies
 * every transfer with it. A portable implementation, and the x86 SHA
 * extensions when the CPU has them (chosen at run time). */
#ifndef NETKIT_SHA256_H
#define NETKIT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define NK_SHA256_LEN 32
#define NK_SHA256_HEXLEN 64

struct nk_sha256 {
    uint32_t h[8];
    uint64_t len;    /* bytes hashed so far */
    uint8_t buf[64]; /* a partial block */
    size_t fill;     /* bytes in buf */
};

/* Start a new hash. */
void nk_sha256_init(struct nk_sha256 *s);
/* Hash len more bytes (any length, any alignment). */
void nk_sha256_update(struct nk_sha256 *s, const void *data, size_t len);
/* Finish: the 32-byte digest into out. s must be re-initialised to reuse. */
void nk_sha256_final(struct nk_sha256 *s, uint8_t out[NK_SHA256_LEN]);

/* One call: the digest of data[0..len). */
void nk_sha256(const void *data, size_t len, uint8_t out[NK_SHA256_LEN]);

/* The digest as 64 lowercase hex digits and a NUL (hex has room for 65).
 * Returns hex. */
char *nk_sha256_hex(const uint8_t d[NK_SHA256_LEN],
                    char hex[NK_SHA256_HEXLEN + 1]);

/* Parse 64 hex digits (either case) into d. 0, or -1 if s is not exactly
 * that. */
int nk_sha256_parse_hex(const char *s, uint8_t d[NK_SHA256_LEN]);

/* Use the portable code only (on = 1) or the fastest available (on = 0):
 * tests compare the two. Returns 1 when hardware SHA is in use after the
 * call. */
int nk_sha256_force_portable(int on);

#endif
