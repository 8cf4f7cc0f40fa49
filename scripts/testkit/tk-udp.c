/* tk-udp.c - see tk-udp.h. */
#include "tk-udp.h"

#include "testkit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

long long udp_arrival_ms(int fd)
{
    struct timeval tv;
    if (ioctl(fd, SIOCGSTAMP, &tv) < 0)
        TK_FAIL("SIOCGSTAMP: %s", strerror(errno));
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The sender of the last datagram udp_recv() took, for udp_reply(). */
static struct {
    int fd;
    struct sockaddr_storage addr;
    socklen_t len;
} last_sender = {-1, {0}, 0};

static void resolve(const char *host, int port, struct sockaddr_storage *out, socklen_t *len)
{
    struct addrinfo hints = {0}, *ai;
    char service[16];

    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &ai);
    if (rc != 0)
        TK_FAIL("address %s port %d: %s", host, port, gai_strerror(rc));
    memcpy(out, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
}

long long udp_wall_clock_ms(void)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    return (long long)now.tv_sec * 1000 + now.tv_usec / 1000;
}

/* Turns fd's arrival stamps on.  The first SIOCGSTAMP on a socket does
 * that; asked before any datagram came, it fails with ENOENT.  (Asked only
 * after the first one came, it would stamp that one with the moment of
 * asking: as late as the test was in reading it.) */
static void stamp_arrivals(int fd)
{
    struct timeval unused;
    if (ioctl(fd, SIOCGSTAMP, &unused) < 0 && errno != ENOENT)
        TK_FAIL("SIOCGSTAMP: %s", strerror(errno));
}

/* The kernel stamps datagrams as they arrive only once its time stamping
 * is on for the whole machine, and the first socket to ask switches that on
 * through work it defers: until that work has run, datagrams are stamped
 * when read.  So, once per process, a socket of the kit's own (kept open,
 * so that stamping stays on) sends itself a datagram and reads it 20 ms
 * later, until its stamp is the moment it was sent. */
static void wait_until_arrivals_are_stamped(void)
{
    static int probe = -1;
    if (probe >= 0)
        return;
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    probe = socket(AF_INET, SOCK_DGRAM, 0);
    if (probe < 0 || bind(probe, (struct sockaddr *)&addr, len) < 0 ||
        getsockname(probe, (struct sockaddr *)&addr, &len) < 0)
        TK_FAIL("a UDP socket for the time stamps: %s", strerror(errno));
    stamp_arrivals(probe);
    for (int tries = 0; tries < 100; tries++) {
        long long sent = udp_wall_clock_ms();
        char byte = 's';
        if (sendto(probe, &byte, 1, 0, (struct sockaddr *)&addr, len) != 1)
            TK_FAIL("sending to itself: %s", strerror(errno));
        tk_sleep_ms(20);
        if (recv(probe, &byte, 1, 0) != 1)
            TK_FAIL("receiving from itself: %s", strerror(errno));
        if (udp_arrival_ms(probe) <= sent + 10)
            return;
    }
    TK_FAIL("the kernel never stamped a datagram as it arrived");
}

int udp_bound(const char *host)
{
    struct sockaddr_storage addr;
    socklen_t len;
    int big = 4 << 20;

    wait_until_arrivals_are_stamped();
    resolve(host, 0, &addr, &len);
    int fd = socket(addr.ss_family, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, len) < 0)
        TK_FAIL("binding a UDP socket on %s: %s", host, strerror(errno));
    /* Capped by net.core.rmem_max; whatever we get is the best we can do. */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    stamp_arrivals(fd);
    return fd;
}

int udp_connected(const char *host, int port)
{
    struct sockaddr_storage addr;
    socklen_t len;

    resolve(host, port, &addr, &len);
    int fd = udp_bound(addr.ss_family == AF_INET6 ? "::1" : "127.0.0.1");
    if (connect(fd, (struct sockaddr *)&addr, len) < 0)
        TK_FAIL("connecting a UDP socket to %s port %d: %s", host, port, strerror(errno));
    return fd;
}

int udp_port(int fd)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;

    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        TK_FAIL("getsockname: %s", strerror(errno));
    return ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port
                                           : ((struct sockaddr_in6 *)&addr)->sin6_port);
}

static void send_datagram(int fd, const void *buf, size_t len,
                          const struct sockaddr_storage *to, socklen_t to_len)
{
    for (;;) {
        ssize_t n = to != NULL ? sendto(fd, buf, len, 0, (const struct sockaddr *)to, to_len)
                               : send(fd, buf, len, 0);
        if (n >= 0) {
            if ((size_t)n != len)
                TK_FAIL("sent %zd of a %zu-byte datagram", n, len);
            return;
        }
        /* A full send buffer (ENOBUFS, EAGAIN) empties soon on loopback. */
        if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) {
            tk_sleep_ms(1);
            continue;
        }
        TK_FAIL("sending a %zu-byte datagram: %s", len, strerror(errno));
    }
}

void udp_send(int fd, const char *host, int port, const void *buf, size_t len)
{
    struct sockaddr_storage to;
    socklen_t to_len;

    if (host == NULL) {
        send_datagram(fd, buf, len, NULL, 0);
        return;
    }
    resolve(host, port, &to, &to_len);
    send_datagram(fd, buf, len, &to, to_len);
}

ssize_t udp_recv(int fd, void *buf, size_t cap, int timeout_ms, int *from_port)
{
    long long deadline = tk_now_ms() + timeout_ms;

    for (;;) {
        long long left = deadline - tk_now_ms();
        struct pollfd pfd = {fd, POLLIN, 0};
        int ready = poll(&pfd, 1, left > 0 ? (int)left : 0);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            TK_FAIL("poll: %s", strerror(errno));
        if (ready == 0)
            return -1;
        last_sender.len = sizeof last_sender.addr;
        /* MSG_TRUNC (Linux): the datagram's real length, even if longer
         * than cap, so that a test sees a datagram bigger than expected. */
        ssize_t n = recvfrom(fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC,
                             (struct sockaddr *)&last_sender.addr, &last_sender.len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0 && errno == ECONNREFUSED)
            return -2;
        if (n < 0)
            TK_FAIL("receiving a datagram: %s", strerror(errno));
        last_sender.fd = fd;
        if (from_port != NULL) {
            const struct sockaddr_storage *a = &last_sender.addr;
            *from_port = ntohs(a->ss_family == AF_INET
                                   ? ((const struct sockaddr_in *)a)->sin_port
                                   : ((const struct sockaddr_in6 *)a)->sin6_port);
        }
        return n;
    }
}

void udp_reply(int fd, const void *buf, size_t len)
{
    if (last_sender.fd != fd)
        TK_FAIL("udp_reply on a socket that has received nothing");
    send_datagram(fd, buf, len, &last_sender.addr, last_sender.len);
}

const char *port_text(int port, char out[16])
{
    snprintf(out, 16, "%d", port);
    return out;
}

void udp_send_forged(int from_port, int to_port, const void *buf, size_t len)
{
    /* IPPROTO_RAW: the test writes the IP header itself (IP_HDRINCL); the
     * kernel fills in its checksum and identification.  A UDP checksum of
     * 0 means "none", which IPv4 allows (RFC 768). */
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0 && (errno == EPERM || errno == EACCES))
        tk_skip("forging a datagram needs CAP_NET_RAW");
    TK_ASSERT(fd >= 0, "raw socket: %s", strerror(errno));
    struct {
        struct iphdr ip;
        struct udphdr udp;
        char payload[512];
    } packet = {0};
    TK_ASSERT(len <= sizeof packet.payload, "a forged datagram of %zu bytes", len);
    size_t total = sizeof packet.ip + sizeof packet.udp + len;
    packet.ip.version = 4;
    packet.ip.ihl = sizeof packet.ip / 4;
    packet.ip.ttl = 64;
    packet.ip.protocol = IPPROTO_UDP;
    packet.ip.tot_len = htons((uint16_t)total);
    packet.ip.saddr = htonl(INADDR_LOOPBACK);
    packet.ip.daddr = htonl(INADDR_LOOPBACK);
    packet.udp.source = htons((uint16_t)from_port);
    packet.udp.dest = htons((uint16_t)to_port);
    packet.udp.len = htons((uint16_t)(sizeof packet.udp + len));
    memcpy(packet.payload, buf, len);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ssize_t n = sendto(fd, &packet, total, 0, (struct sockaddr *)&to, sizeof to);
    TK_ASSERT(n == (ssize_t)total, "sending a forged datagram: %s", strerror(errno));
    close(fd);
}
