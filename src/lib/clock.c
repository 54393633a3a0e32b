/* The one clock (clock.h). CLOCK_MONOTONIC never steps with settimeofday
 * or NTP, so a deadline computed from it holds. */
#include "netkit/clock.h"

#include <time.h>

static struct timespec
monotonic(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

int64_t
nk_now_ms(void)
{
    struct timespec ts = monotonic();

    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
nk_now_us(void)
{
    struct timespec ts = monotonic();

    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
