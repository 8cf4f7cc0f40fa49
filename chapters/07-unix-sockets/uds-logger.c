/* uds-logger - sends one message to a datagram Unix socket.
 *
 *   uds-logger PATH MESSAGE...
 *
 * The words of MESSAGE, joined by single spaces, go out as one datagram to
 * PATH (such as uds-logd's, or "@name"), like logger(1) does to /dev/log.
 * The socket is never bound and never connected: sendto() names the
 * receiver.  sendmsg() gathers the words from the command line with one
 * iovec each, so they need not be copied into one buffer first.
 *
 * Exit 0 when the datagram was sent; 1 with an error line otherwise (no
 * socket at PATH: "Connection refused", or "No such file or directory").
 */
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: uds-logger PATH MESSAGE...\n"
    "Sends MESSAGE as one datagram to the Unix socket PATH.\n";

int main(int argc, char **argv)
{
    char err[NET_ERR_LEN];
    struct sockaddr_un addr;
    socklen_t addr_len;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc < 3) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (net_unix_address(argv[1], &addr, &addr_len, err) < 0) {
        fprintf(stderr, "uds-logger: %s\n", err);
        return 1;
    }
    /* word, " ", word, " ", ..., word: 2 * count - 1 pieces. */
    int count = argc - 2;
    struct iovec *pieces = calloc((size_t)count * 2, sizeof *pieces);
    if (pieces == NULL) {
        fprintf(stderr, "uds-logger: allocating: %s\n", strerror(ENOMEM));
        return 1;
    }
    for (int i = 0; i < count; i++) {
        pieces[2 * i] = (struct iovec){argv[2 + i], strlen(argv[2 + i])};
        pieces[2 * i + 1] = (struct iovec){" ", 1};
    }
    struct msghdr msg = {.msg_name = &addr, .msg_namelen = addr_len,
                         .msg_iov = pieces, .msg_iovlen = (size_t)count * 2 - 1};
    int status = 0;
    int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        fprintf(stderr, "uds-logger: socket: %s\n", strerror(errno));
        status = 1;
    } else {
        ssize_t n;
        do
            n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            fprintf(stderr, "uds-logger: sending to %s: %s\n", argv[1], strerror(errno));
            status = 1;
        }
        close(sock);
    }
    free(pieces);
    return status;
}
