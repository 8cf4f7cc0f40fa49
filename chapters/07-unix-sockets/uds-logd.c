/* uds-logd - a log sink on a datagram Unix socket, in the style of /dev/log.
 *
 *   uds-logd PATH
 *
 * Binds a SOCK_DGRAM Unix socket at PATH and prints every datagram that
 * arrives as one line on stdout (one trailing newline of the message is
 * dropped, so "logger"-style senders may add one or not).  syslog(3) sends
 * to /dev/log exactly so: one datagram per message, no connection, no
 * reply.
 *
 * Unlike UDP, a Unix datagram is never lost and never reordered: when the
 * receiver's queue is full the sender waits (or gets EAGAIN).  A datagram
 * longer than MESSAGE_MAX bytes is cut, and the cut is reported on stderr.
 */
#include "net.h"
#include "serve.h"
#include "uds.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: uds-logd PATH\n"
    "Receives datagrams on the Unix socket PATH and prints each as a line.\n";

/* RFC 5424 section 6.1: a syslog receiver should take messages up to 2048
 * octets; longer ones it may cut. */
#define MESSAGE_MAX 2048

/* Receives one datagram and prints it.  MSG_TRUNC makes recv() return the
 * datagram's real length even when the buffer was shorter. */
static void print_one(int sock)
{
    static char buf[MESSAGE_MAX];
    ssize_t n = recv(sock, buf, sizeof buf, MSG_TRUNC | MSG_DONTWAIT);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            fprintf(stderr, "uds-logd: recv: %s\n", strerror(errno));
        return;
    }
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf;
    if ((size_t)n > sizeof buf)
        fprintf(stderr, "uds-logd: a message of %zd bytes cut to %zu\n", n, sizeof buf);
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    fwrite(buf, 1, len, stdout);
    putchar('\n');
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *path = net_unix_server_args(argc, argv, usage_text);
    int stop = serve_stop_pipe("uds-logd");
    int sock = net_unix_listen_or_exit("uds-logd", path, SOCK_DGRAM);
    int ready;
    while ((ready = uds_wait_readable(sock, stop)) > 0)
        print_one(sock);
    if (ready < 0)
        fprintf(stderr, "uds-logd: poll: %s\n", strerror(errno));
    int status = net_unix_close_listener("uds-logd", sock, path);
    return ready < 0 ? 1 : status;
}
