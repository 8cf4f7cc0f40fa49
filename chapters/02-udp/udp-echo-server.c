/* udp-echo-server - sends every datagram back to whoever sent it.
 *
 *   udp-echo-server [HOST] PORT
 *
 * There is no listen() and no accept(): a UDP socket is bound to an address
 * and from then on every datagram sent to that address lands in it, from any
 * number of clients at once.  recvfrom() says who sent each one, and
 * sendto() answers that address.  Every datagram is logged as one line.
 */
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The largest UDP payload is 65535 bytes minus the 8-byte UDP header (over
 * IPv6; IPv4 also takes 20 bytes for its own header, which leaves 65507).
 * A buffer of 64 KiB holds any datagram either version can carry. */
#define MAX_DATAGRAM 65536

static const char usage_text[] =
    "usage: udp-echo-server [HOST] PORT\n"
    "Sends every UDP datagram back to its sender, byte for byte.\n"
    "HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n";

/* Receives one datagram and sends it back.  Errors concern one datagram
 * only, so they are logged and the server carries on. */
static void echo_one_datagram(int sock, char *buf)
{
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof peer;
    char who[NET_ADDR_LEN];

    /* One recvfrom() returns exactly one datagram, whole: the boundaries
     * the sender made are kept, unlike TCP's stream of bytes. */
    ssize_t n = recvfrom(sock, buf, MAX_DATAGRAM, 0,
                         (struct sockaddr *)&peer, &peer_len);
    if (n < 0) {
        /* Nothing here ends the server: a signal only interrupts the call,
         * and an unconnected socket is not told of ICMP errors (see the
         * lesson, section 7). */
        if (errno != EINTR)
            fprintf(stderr, "udp-echo-server: receiving: %s\n", strerror(errno));
        return;
    }
    net_format_address((struct sockaddr *)&peer, who, sizeof who);
    printf("%zd bytes from %s\n", n, who);

    ssize_t sent;
    do
        sent = sendto(sock, buf, (size_t)n, 0, (struct sockaddr *)&peer, peer_len);
    while (sent < 0 && errno == EINTR);
    if (sent < 0)
        fprintf(stderr, "udp-echo-server: sending to %s: %s\n", who, strerror(errno));
}

int main(int argc, char **argv)
{
    const char *host, *port;

    net_parse_server_args(argc, argv, usage_text, &host, &port);

    net_exit_on_stop_signals();
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* For SOCK_DGRAM, net_listen() only binds: UDP has no listening state. */
    int sock = net_listen_or_exit("udp-echo-server", host, port, SOCK_DGRAM);

    char *buf = malloc(MAX_DATAGRAM);
    if (buf == NULL) {
        fprintf(stderr, "udp-echo-server: allocating a buffer: %s\n", strerror(ENOMEM));
        return 1;
    }
    for (;;)
        echo_one_datagram(sock, buf);
}
