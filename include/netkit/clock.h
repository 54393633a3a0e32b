/* The one clock: CLOCK_MONOTONIC, for timeouts, deadlines and round-trip
 * times (never for wall-clock time, which can step). */
#ifndef NETKIT_CLOCK_H
#define NETKIT_CLOCK_H

#include <stdint.h>

/* Monotonic time in milliseconds since an arbitrary start. */
int64_t nk_now_ms(void);

/* Monotonic time in microseconds since the same start. */
int64_t nk_now_us(void);

#endif
