/* hog-client - a client that sends and never reads.
 *
 *   hog-client [-s SECONDS] HOST PORT
 *
 * Connects, then sends bytes without ever reading the echo, until send() has
 * been unable to take a single byte for one second: every buffer on the way
 * is full.  It prints how much it sent, then keeps the connection open for
 * SECONDS (default 30), so that ss can show where the bytes wait and the
 * server's memory can be read in /proc.  Section 3 of the lesson runs it
 * against the chapter's servers; a server that applies back-pressure keeps
 * its own memory small however long the hog pushes.
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out, int status)
{
    fprintf(out, "usage: hog-client [-s SECONDS] HOST PORT\n"
                 "Sends to an echo server without ever reading, until send() has taken\n"
                 "nothing for a second; prints the bytes sent, then holds the\n"
                 "connection open for SECONDS (default 30) before it exits.\n");
    exit(status);
}

/* Sends until the socket stays full for a whole second; returns the bytes
 * sent, or -1 with errno set. */
static long long push_until_stuck(int fd)
{
    static char chunk[64 * 1024];
    long long sent = 0;

    memset(chunk, 'h', sizeof chunk);
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int ready = poll(&p, 1, 1000);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            return -1;
        if (ready == 0)
            return sent; /* a second without room: everything is full */
        ssize_t n = send(fd, chunk, sizeof chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n < 0)
            return -1;
        sent += n;
    }
}

int main(int argc, char **argv)
{
    long seconds = 30;
    int arg = 1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc > 2 && strcmp(argv[1], "-s") == 0) {
        seconds = net_parse_number(argv[2], 0, 3600);
        if (seconds < 0)
            usage(stderr, 2);
        arg = 3;
    }
    if (argc - arg != 2 || argv[arg][0] == '-')
        usage(stderr, 2);

    char err[NET_ERR_LEN];
    net_exit_on_stop_signals();
    int fd = net_connect(argv[arg], argv[arg + 1], SOCK_STREAM, err);
    if (fd < 0) {
        fprintf(stderr, "hog-client: %s\n", err);
        return 1;
    }
    long long sent = push_until_stuck(fd);
    if (sent < 0) {
        fprintf(stderr, "hog-client: sending: %s\n", strerror(errno));
        return 1;
    }
    printf("the hog sent %lld bytes and read none\n", sent);
    fflush(stdout);

    struct timespec left = {seconds, 0};
    while (nanosleep(&left, &left) < 0 && errno == EINTR)
        ;
    close(fd);
    return 0;
}
