/* socketpair(2), traced as the two sockets it creates. */
#include <errno.h>
#include <sys/socket.h>

#include "netkit/pair.h"
#include "netkit/trace.h"

int
nk_socketpair(int socktype, int fds[2], struct nk_err *err)
{
    int rc = socketpair(AF_UNIX, socktype | SOCK_CLOEXEC, 0, fds);
    int e = errno;

    if (nk_tracing()) {
        nk_trace_socket(AF_UNIX, socktype | SOCK_CLOEXEC, 0,
                        rc < 0 ? -1 : fds[0], e);
        if (rc == 0)
            nk_trace_socket(AF_UNIX, socktype | SOCK_CLOEXEC, 0, fds[1], 0);
    }
    if (rc < 0)
        return nk_err_sys(err, e, "socketpair");
    return 0;
}
