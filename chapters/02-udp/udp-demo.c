/* udp-demo - three small experiments that show how datagrams behave.
 *
 *   udp-demo boundaries   three sends arrive as three receives
 *   udp-demo truncate     a datagram larger than the buffer is cut, and
 *                         MSG_TRUNC says so
 *   udp-demo refused      a connected socket hears ECONNREFUSED from an ICMP
 *                         "port unreachable"; an unconnected one hears nothing
 *
 * Each experiment makes its own sockets on 127.0.0.1, prints what happened,
 * and exits 0 if the kernel behaved as the lesson says (1 if it did not).
 */
#include "net.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: udp-demo boundaries|truncate|refused\n"
                "Runs one experiment with UDP sockets on 127.0.0.1 and shows the result.\n");
    exit(status);
}

static void die(const char *what)
{
    fprintf(stderr, "udp-demo: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* A UDP socket bound to 127.0.0.1 on a port the kernel picks. */
static int bound_socket(void)
{
    char err[NET_ERR_LEN];
    int fd = net_listen("127.0.0.1", "0", SOCK_DGRAM, err);
    if (fd < 0) {
        fprintf(stderr, "udp-demo: %s\n", err);
        exit(1);
    }
    return fd;
}

/* Sends a datagram from sock to the address to which dest is bound. */
static void send_to_socket(int sock, int dest, const void *data, size_t len)
{
    struct sockaddr_storage addr;
    socklen_t addr_len = sizeof addr;
    if (getsockname(dest, (struct sockaddr *)&addr, &addr_len) < 0)
        die("getsockname");
    if (sendto(sock, data, len, 0, (struct sockaddr *)&addr, addr_len) < 0)
        die("sendto");
}

/* True if a datagram (or an error) is waiting within timeout_ms. */
static int wait_readable(int fd, int timeout_ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    int n;
    do
        n = poll(&pfd, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        die("poll");
    return n;
}

static int show_boundaries(void)
{
    static const char *const words[] = {"one", "two two", "three three three"};
    int receiver = bound_socket(), sender = bound_socket();

    for (int i = 0; i < 3; i++) {
        send_to_socket(sender, receiver, words[i], strlen(words[i]));
        printf("sent     %zu bytes: %s\n", strlen(words[i]), words[i]);
    }
    /* Over TCP one recv() could return all 27 bytes at once.  A UDP recv()
     * returns one datagram per call, never more, never a part. */
    int received = 0;
    char buf[100];
    while (wait_readable(receiver, 500) > 0) {
        ssize_t n = recv(receiver, buf, sizeof buf, 0);
        if (n < 0)
            die("recv");
        printf("received %zd bytes: %.*s\n", n, (int)n, buf);
        received++;
    }
    printf("3 sends, %d receives: the boundaries were kept\n", received);
    close(sender);
    close(receiver);
    return received == 3 ? 0 : 1;
}

static int show_truncation(void)
{
    int receiver = bound_socket(), sender = bound_socket();
    char big[100], small[10];

    memset(big, 'x', sizeof big);
    send_to_socket(sender, receiver, big, sizeof big);
    send_to_socket(sender, receiver, big, sizeof big);
    printf("sent two datagrams of %zu bytes\n", sizeof big);

    /* recvmsg() reports in msg_flags what happened to the datagram: with
     * MSG_TRUNC set, the buffer was too small and the rest is gone for good.
     * A later recv() returns the NEXT datagram, not the rest of this one. */
    struct iovec iov = {small, sizeof small};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = recvmsg(receiver, &msg, 0);
    if (n < 0)
        die("recvmsg");
    int cut = (msg.msg_flags & MSG_TRUNC) != 0;
    printf("recvmsg with a %zu-byte buffer: %zd bytes, MSG_TRUNC %s\n", sizeof small, n,
           cut ? "set: the rest of the datagram was discarded" : "not set");

    /* Linux-specific: MSG_TRUNC passed IN makes recv() return the datagram's
     * real length, even though only sizeof small bytes were copied.  With
     * MSG_PEEK as well, it measures the next datagram without taking it. */
    ssize_t real = recv(receiver, small, sizeof small, MSG_PEEK | MSG_TRUNC);
    if (real < 0)
        die("recv");
    printf("recv(MSG_PEEK | MSG_TRUNC) on the next one: it is %zd bytes long\n", real);
    close(sender);
    close(receiver);
    return cut && n == (ssize_t)sizeof small && real == (ssize_t)sizeof big ? 0 : 1;
}

/* Sends one datagram to a port where nobody listens and reports what came
 * back within half a second: 0 nothing, 1 ECONNREFUSED, 2 anything else. */
static int try_dead_port(int sock, const struct sockaddr_storage *dead,
                         socklen_t dead_len, int connected)
{
    const char *kind = connected ? "connected  " : "unconnected";
    char buf[16];

    if (connected && connect(sock, (const struct sockaddr *)dead, dead_len) < 0)
        die("connect");
    ssize_t sent = connected ? send(sock, "hello?", 6, 0)
                             : sendto(sock, "hello?", 6, 0,
                                      (const struct sockaddr *)dead, dead_len);
    if (sent < 0)
        die("sending");
    if (wait_readable(sock, 500) == 0) {
        printf("%s socket: no answer within 500 ms, and no error\n", kind);
        return 0;
    }
    ssize_t n = recv(sock, buf, sizeof buf, 0);
    printf("%s socket: recv: %s\n", kind, n < 0 ? strerror(errno) : "a datagram came");
    return n < 0 && errno == ECONNREFUSED ? 1 : 2;
}

static int show_refused(void)
{
    struct sockaddr_storage dead;
    socklen_t dead_len = sizeof dead;
    char where[NET_ADDR_LEN];

    /* Bind a port and close it again: now nobody listens there, and the
     * kernel answers a datagram to it with an ICMP "port unreachable". */
    int taken = bound_socket();
    if (getsockname(taken, (struct sockaddr *)&dead, &dead_len) < 0)
        die("getsockname");
    close(taken);
    printf("sending \"hello?\" to %s, where nobody listens\n",
           net_format_address((struct sockaddr *)&dead, where, sizeof where));

    /* An ICMP error comes back for both datagrams alike, but the sockets
     * API reports it only on a connected socket: an unconnected one may
     * send to many addresses, and an error from recvfrom() could not say
     * which of them it was about.  (Linux can queue the errors of an
     * unconnected socket too, with the Linux-specific IP_RECVERR option.) */
    int unconnected = bound_socket(), connected = bound_socket();
    int quiet = try_dead_port(unconnected, &dead, dead_len, 0);
    int refused = try_dead_port(connected, &dead, dead_len, 1);
    close(unconnected);
    close(connected);
    return quiet == 0 && refused == 1 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc != 2)
        usage(stderr, 2);
    if (strcmp(argv[1], "boundaries") == 0)
        return show_boundaries();
    if (strcmp(argv[1], "truncate") == 0)
        return show_truncation();
    if (strcmp(argv[1], "refused") == 0)
        return show_refused();
    usage(stderr, 2);
}
