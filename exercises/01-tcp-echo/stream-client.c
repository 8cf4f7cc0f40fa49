/* stream-client - streams standard input to a TCP server and prints what
 * comes back.
 *
 *   stream-client HOST PORT
 *
 * Copies all of standard input to the server, then half-closes the
 * connection with shutdown(SHUT_WR): "I have nothing more to send, but I
 * am still listening".  Then prints everything the server sends until the
 * server closes its side too.
 *
 * It talks to the kernel directly, with no helper of the course: the first
 * program of the course that you write makes every call of a TCP client
 * itself (getaddrinfo, socket, connect, send, shutdown, recv, close).  Once
 * it works, compare it with net_connect() and net_send_all() in
 * chapters/01-tcp-echo/lib/net.c: the library is these same calls, written
 * once for every later program.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: stream-client HOST PORT\n"
                "Sends standard input to a TCP server, half-closes, and prints\n"
                "everything the server sends back until it closes.\n");
    exit(status);
}

/* Exercise 1, step 1: the connection, with the raw calls.  getaddrinfo()
 * lists the server's addresses; try socket() and connect() on each until one
 * connects, closing the sockets that did not, then free the list. */
static int connect_to_server(const char *host, const char *port, const char **why)
{
    /* TODO(exercise 1): getaddrinfo() with hints for AF_UNSPEC and
     * SOCK_STREAM; for each address, socket() then connect(), closing the
     * socket if connect() fails; freeaddrinfo(); return the connected
     * descriptor.  On failure set *why (gai_strerror() for getaddrinfo's
     * codes, strerror(errno) for the others) and return -1. */
    (void)host;
    (void)port;
    *why = strerror(ENOSYS);
    return -1;
}

/* Exercise 1, step 2: send() takes what fits in the socket's buffer, which
 * may be less than asked: send the rest until all len bytes are gone. */
static int send_all(int server, const char *buf, size_t len)
{
    /* TODO(exercise 1): call send() until all len bytes are sent, going on
     * from where the last call stopped; retry after EINTR; pass MSG_NOSIGNAL.
     * Return 0, or -1 with errno set. */
    (void)server;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
}

/* Exercise 1, step 3: read() standard input in chunks and send each one. */
static int send_stdin(int server)
{
    /* TODO(exercise 1): read() standard input in chunks of a few kilobytes
     * and send each chunk with send_all(), until read() returns 0 at the end
     * of the input.  Retry a read() that fails with EINTR.  Return 0, or -1
     * with errno set. */
    (void)server;
    (void)send_all; /* remove this line once send_stdin() calls it */
    errno = ENOSYS;
    return -1;
}

/* Exercise 1, step 4: tell the server that nothing more will be sent, while
 * keeping the connection open to receive its reply. */
static int half_close(int server)
{
    /* TODO(exercise 1): one system call; see shutdown(2).  Why would close()
     * be wrong here? */
    (void)server;
    errno = ENOSYS;
    return -1;
}

/* Exercise 1, step 5: print what arrives until recv() returns 0. */
static int print_replies(int server)
{
    /* TODO(exercise 1): recv() what the server sends and write it to stdout
     * (fwrite), until recv() returns 0.  Flush stdout at the end.  Return 0,
     * or -1 with errno set. */
    (void)server;
    errno = ENOSYS;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc != 3)
        usage(stderr, 2);

    /* The server may close before reading all we send: make that an EPIPE
     * error rather than a silent death by SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);

    const char *why = "no address";
    int server = connect_to_server(argv[1], argv[2], &why);
    if (server < 0) {
        fprintf(stderr, "stream-client: connecting to %s port %s: %s\n", argv[1], argv[2], why);
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
    if (close(server) < 0 && failed == NULL) {
        fprintf(stderr, "stream-client: closing: %s\n", strerror(errno));
        return 1;
    }
    return failed == NULL ? 0 : 1;
}
