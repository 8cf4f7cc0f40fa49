/* udp-echo-server - sends every datagram back to whoever sent it.
 *
 *   udp-echo-server [HOST] PORT
 *
 * There is no listen() and no accept(): a UDP socket is bound to an address
 * and from then on every datagram sent to that address lands in it, from any
 * number of clients at once.  recvfrom() says who sent each one, and
 * sendto() answers that address.  Every datagram is logged as one line
 * (at most LOG_BURST at once and LOG_RATE a second; the rest are counted).
 *
 * An echo server answers anyone, and UDP's source address can be forged:
 * a datagram "from" the server itself would come back to it for ever, and
 * one "from" another echo server would bounce between the two.  So it
 * never answers its own address, and answers each sender at most
 * PEER_BURST datagrams at once and PEER_RATE a second after that.
 */
#include "net.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
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

#define PEER_RATE 1000  /* answers per second to one sender, after... */
#define PEER_BURST 1000 /* ...this many at once */
#define PEER_SLOTS 256  /* senders remembered at once */
#define LOG_RATE 50     /* log lines per second, after... */
#define LOG_BURST 200   /* ...this many at once */

/* A token bucket: holds up to burst tokens, gains rate a second, and each
 * thing allowed takes one. */
struct bucket {
    double tokens;
    long long last_ms;
};

static bool take_token(struct bucket *b, double rate, double burst)
{
    long long now = net_now_ms();
    b->tokens += (double)(now - b->last_ms) * rate / 1000.0;
    if (b->tokens > burst)
        b->tokens = burst;
    b->last_ms = now;
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

/* The senders seen lately, each with its bucket, in a small table indexed
 * by a hash of the address; a newcomer takes over its slot (with a full
 * bucket), so memory stays fixed however many senders there are. */
static struct peer_slot {
    struct sockaddr_storage addr;
    socklen_t len;
    struct bucket bucket;
} peers[PEER_SLOTS];

static bool may_answer(const struct sockaddr_storage *addr, socklen_t len)
{
    const unsigned char *bytes = (const unsigned char *)addr;
    uint32_t hash = 2166136261u; /* FNV-1a */
    for (socklen_t i = 0; i < len; i++)
        hash = (hash ^ bytes[i]) * 16777619u;
    struct peer_slot *slot = &peers[hash % PEER_SLOTS];
    if (slot->len != len || memcmp(&slot->addr, addr, len) != 0) {
        memcpy(&slot->addr, addr, len);
        slot->len = len;
        slot->bucket = (struct bucket){PEER_BURST, net_now_ms()};
    }
    return take_token(&slot->bucket, PEER_RATE, PEER_BURST);
}

/* This server's own address, to refuse datagrams that claim to come from
 * it.  Bound to a wildcard address (0.0.0.0, ::), it cannot tell which of
 * the machine's addresses a datagram names, so it refuses its port from
 * any address. */
static struct sockaddr_storage self;

static bool from_self(const struct sockaddr_storage *peer)
{
    if (peer->ss_family != self.ss_family)
        return false;
    if (peer->ss_family == AF_INET) {
        const struct sockaddr_in *p = (const void *)peer, *me = (const void *)&self;
        return p->sin_port == me->sin_port &&
               (me->sin_addr.s_addr == htonl(INADDR_ANY) ||
                p->sin_addr.s_addr == me->sin_addr.s_addr);
    }
    if (peer->ss_family == AF_INET6) {
        const struct sockaddr_in6 *p = (const void *)peer, *me = (const void *)&self;
        return p->sin6_port == me->sin6_port &&
               (IN6_IS_ADDR_UNSPECIFIED(&me->sin6_addr) ||
                memcmp(&p->sin6_addr, &me->sin6_addr, sizeof me->sin6_addr) == 0);
    }
    return false;
}

/* One line of log, unless LOG_RATE is exceeded: then the line is only
 * counted, and the count reported with the next line that is printed. */
static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_line(const char *fmt, ...)
{
    static struct bucket log_bucket = {LOG_BURST, 0};
    static unsigned long long unlogged;
    if (log_bucket.last_ms == 0)
        log_bucket.last_ms = net_now_ms();
    if (!take_token(&log_bucket, LOG_RATE, LOG_BURST)) {
        unlogged++;
        return;
    }
    if (unlogged > 0)
        printf("(%llu datagrams not logged)\n", unlogged);
    unlogged = 0;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

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
    if (from_self(&peer)) {
        log_line("%zd bytes from %s, this server's own address: not answered\n", n, who);
        return;
    }
    if (!may_answer(&peer, peer_len)) {
        log_line("%zd bytes from %s, over its rate: not answered\n", n, who);
        return;
    }
    log_line("%zd bytes from %s\n", n, who);

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
    socklen_t self_len = sizeof self;
    if (getsockname(sock, (struct sockaddr *)&self, &self_len) < 0) {
        fprintf(stderr, "udp-echo-server: reading its own address: %s\n", strerror(errno));
        return 1;
    }

    char *buf = malloc(MAX_DATAGRAM);
    if (buf == NULL) {
        fprintf(stderr, "udp-echo-server: allocating a buffer: %s\n", strerror(ENOMEM));
        return 1;
    }
    for (;;)
        echo_one_datagram(sock, buf);
}
