/* stream-client - streams standard input to a TCP server and prints what
 * comes back.
 *
 *   stream-client HOST PORT
 *
 * Copies all of standard input to the server, then half-closes the
 * connection with shutdown(SHUT_WR): "I have nothing more to send, but I
 * am still listening".  Then prints everything the server sends until the
 * server closes its side too.
 */
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: stream-client HOST PORT\n"
                "Sends standard input to a TCP server, half-closes, and prints\n"
                "everything the server sends back until it closes.\n");
    exit(status);
}

/* Exercise 1, step 1: read() standard input in chunks and send each one. */
static int send_stdin(int server)
{
    char buf[16 * 1024];

    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n == 0)
            return 0; /* end of input */
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (net_send_all(server, buf, (size_t)n) < 0)
            return -1;
    }
}

/* Exercise 1, step 2: send our FIN while keeping the receiving side open.
 * close() would end both directions, and the reply would be lost. */
static int half_close(int server)
{
    return shutdown(server, SHUT_WR);
}

/* Exercise 1, step 3: print what arrives until recv() returns 0. */
static int print_replies(int server)
{
    char buf[16 * 1024];

    for (;;) {
        ssize_t n = recv(server, buf, sizeof buf, 0);
        if (n == 0)
            return fflush(stdout) == 0 ? 0 : -1;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
            return -1;
    }
}

int main(int argc, char **argv)
{
    char err[NET_ERR_LEN];

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc != 3)
        usage(stderr, 2);

    /* The server may close before reading all we send: make that an EPIPE
     * error rather than a silent death by SIGPIPE. */
    net_ignore_sigpipe();

    int server = net_connect(argv[1], argv[2], SOCK_STREAM, err);
    if (server < 0) {
        fprintf(stderr, "stream-client: %s\n", err);
        return 1;
    }
    const char *failed = NULL;
    if (send_stdin(server) < 0)
        failed = "sending standard input";
    else if (half_close(server) < 0)
        failed = "half-closing the connection";
    else if (print_replies(server) < 0)
        failed = "receiving or printing the reply";
    if (failed != NULL)
        fprintf(stderr, "stream-client: %s: %s\n", failed, strerror(errno));
    close(server);
    return failed == NULL ? 0 : 1;
}
