/* Strict number parsing for command-line input. */
#ifndef NETKIT_PARSE_H
#define NETKIT_PARSE_H

#include <stdint.h>

#include "netkit/clock.h" /* nk_now_ms, once declared here */
#include "netkit/err.h"

/* Parse decimal or 0x-hex digits (no sign, no spaces, no trailing junk) into
 * *out, at most max. Errors (exit 65) name the input:
 * "'abc' is not a number", "'70000' is too large (max 65535)". */
int nk_parse_u64(const char *s, uint64_t max, uint64_t *out,
                 struct nk_err *err);

/* A port number 0-65535. */
int nk_parse_port(const char *s, uint16_t *out, struct nk_err *err);

/* Seconds as a decimal ("2", "0.25"), 0 to 86400, into milliseconds.
 * Digits below the millisecond are dropped, but a nonzero value under
 * 1 ms ("0.0005") is refused: it would round to 0, "no limit". */
int nk_parse_seconds(const char *s, int *ms_out, struct nk_err *err);

#endif
