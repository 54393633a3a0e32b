/* sntp's clock: the local time as NTP timestamps, for the client (T1, T4)
 * and the server (receive and transmit stamps). */
#include <time.h>

#include "sntp_int.h"
#include "netkit/sntp.h"

/* Our clock as NTP 64-bit (CLOCK_REALTIME: offsets are against it). */
uint64_t
sntp_now_ntp(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return nk_ntp_from_timespec(&ts);
}

uint64_t
sntp_arrival(const struct nk_udp_msg *m, uint64_t read_ts)
{
    if (m->stamp.tv_sec == 0 && m->stamp.tv_nsec == 0)
        return read_ts;
    return nk_ntp_from_timespec(&m->stamp);
}
