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

/* Exercise 1, step 1: read() standard input in chunks of a few kilobytes and
 * send each chunk with net_send_all() (see net.h), until read() returns 0 at
 * the end of the input.  Retry a read() that fails with EINTR.  Return 0, or
 * -1 with errno set. */
static int send_stdin(int server)
{
    /* TODO(exercise 1) */
    (void)server;
    errno = ENOSYS;
    return -1;
}

/* Exercise 1, step 2: tell the server that nothing more will be sent, while
 * keeping the connection open to receive its reply.  One system call; see
 * shutdown(2).  Why would close() be wrong here? */
static int half_close(int server)
{
    /* TODO(exercise 1) */
    (void)server;
    errno = ENOSYS;
    return -1;
}

/* Exercise 1, step 3: recv() what the server sends and write it to stdout
 * (fwrite), until recv() returns 0.  Flush stdout at the end.  Return 0, or
 * -1 with errno set. */
static int print_replies(int server)
{
    /* TODO(exercise 1) */
    (void)server;
    errno = ENOSYS;
    return -1;
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
