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
 * itself (getaddrinfo, socket, connect, send, shutdown, recv, close).  The
 * library net.c is the same calls, written once for every later program.
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
    struct addrinfo hints = {0};
    struct addrinfo *list;

    hints.ai_family = AF_UNSPEC;     /* IPv4 or IPv6, whatever the name has */
    hints.ai_socktype = SOCK_STREAM; /* TCP */
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        *why = rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc);
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            *why = strerror(errno);
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            *why = strerror(errno); /* keep the reason; try the next address */
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(list);
    return fd;
}

/* Exercise 1, step 2: send() takes what fits in the socket's buffer, which
 * may be less than asked: send the rest until all len bytes are gone. */
static int send_all(int server, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(server, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Exercise 1, step 3: read() standard input in chunks and send each one. */
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
        if (send_all(server, buf, (size_t)n) < 0)
            return -1;
    }
}

/* Exercise 1, step 4: send our FIN while keeping the receiving side open.
 * close() would end both directions, and the reply would be lost. */
static int half_close(int server)
{
    return shutdown(server, SHUT_WR);
}

/* Exercise 1, step 5: print what arrives until recv() returns 0. */
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
