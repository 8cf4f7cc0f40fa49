/* echo.c - the echo service (see echo.h). */
#include "echo.h"

#include "net.h"

#include <errno.h>

int echo_stream(int fd, unsigned long long *echoed)
{
    char buf[16 * 1024];

    *echoed = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0)
            return 0; /* the peer closed its side: nothing more will come */
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        /* recv() returned whatever had arrived, n bytes: send all of them
         * back before reading more. */
        if (net_send_all(fd, buf, (size_t)n) < 0)
            return -1;
        *echoed += (unsigned long long)n;
    }
}
