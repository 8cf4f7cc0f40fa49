/* icmp-ping6 - ping over IPv6 with ICMPv6 echo (RFC 4443, section 4), as
 * iputils ping -6 prints it.
 *
 *   icmp-ping6 [-c COUNT] [-i SECONDS] [-W SECONDS] [-s SIZE] HOST
 *
 * What changes from IPv4: the echo types are 128 (request) and 129 (reply);
 * the checksum covers a pseudo-header of the IPv6 addresses as well, and
 * the kernel always computes it, on raw ICMPv6 sockets too (RFC 3542,
 * section 3.1); neither kind of socket ever hands over the IPv6 header, so
 * the hop limit of a reply comes as ancillary data (IPV6_RECVHOPLIMIT).
 * Linux-specific: ICMPv6 datagram sockets.
 */
#include "icmp.h"
#include "net.h"
#include "pingstats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "icmp-ping6"
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define PACKET_MAX 65536

struct ping6 {
    long count;
    long long interval_us, linger_us;
    size_t size;
    const char *host;
    int sock;
    uint16_t id;
    struct sockaddr_in6 target;
    char target_text[INET6_ADDRSTRLEN];
    struct ping_stats stats;
    long long first_send_us, last_send_us;
};

static volatile sig_atomic_t interrupted;

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: icmp-ping6 [-c COUNT] [-i SECONDS] [-W SECONDS] [-s SIZE] HOST\n"
                "Sends ICMPv6 echo requests to HOST and prints the replies, as ping -6 does.\n"
                "  -c COUNT    stop after COUNT requests (default: until interrupted)\n"
                "  -i SECONDS  wait SECONDS between requests (default 1, at least 0.002)\n"
                "  -W SECONDS  after the last request, wait this long when no reply came\n"
                "              (default 10)\n"
                "  -s SIZE     bytes of data in each request, 0 to 65487 (default 56)\n"
                "Exit status: 0 if a reply came, 1 if none did, 2 on any other error.\n");
    exit(status);
}

static void parse_options(int argc, char **argv, struct ping6 *p)
{
    long number;
    int c;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0)
            usage(stdout, 0);
    p->interval_us = 1000000;
    p->linger_us = 10000000;
    p->size = 56;
    opterr = 0;
    while ((c = getopt(argc, argv, "c:i:W:s:")) != -1) {
        if (c == 'c' && (p->count = net_parse_number(optarg, 1, LONG_MAX)) > 0)
            continue;
        if (c == 'i' && (p->interval_us = ping_parse_seconds(optarg, 0.002, 86400)) > 0)
            continue;
        if (c == 'W' && (p->linger_us = ping_parse_seconds(optarg, 0.001, 86400)) > 0)
            continue;
        /* 65535 - 40 (IPv6 header) - 8 (ICMPv6 header), less a little for
         * extension headers: what iputils allows. */
        if (c == 's' && (number = net_parse_number(optarg, 0, 65487)) >= 0) {
            p->size = (size_t)number;
            continue;
        }
        usage(stderr, 2);
    }
    if (optind != argc - 1)
        usage(stderr, 2);
    p->host = argv[optind];
}

/* A datagram socket where ping_group_range allows it, else a raw
 * one; either way the kernel computes the ICMPv6 checksum. */
static void open_socket(struct ping6 *p)
{
    int on = 1;

    p->sock = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
    if (p->sock < 0)
        p->sock = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
    if (p->sock < 0) {
        fprintf(stderr, "%s: cannot open an ICMPv6 socket: %s: no ICMP datagram sockets for "
                        "this group (net.ipv4.ping_group_range) and no CAP_NET_RAW\n",
                PROGRAM, strerror(errno));
        exit(2);
    }
    /* TODO (task 7): ask for the hop limit of each reply as ancillary data
     * (IPV6_RECVHOPLIMIT). */
    (void)on;
    p->id = (uint16_t)getpid(); /* a datagram socket puts its own in */
}

/* Task 5: an ICMPv6 echo request. */
static size_t build_request(uint8_t *packet, const struct ping6 *p, uint16_t seq)
{
    /* TODO (task 5): this is an ICMP echo request for IPv4.  Make it an
     * ICMPv6 one (RFC 4443, section 4.1), and leave the checksum to the
     * kernel. */
    return icmp_build_echo(packet, p->id, seq, p->size, ping_now_ns());
}

static void send_request(struct ping6 *p)
{
    static uint8_t packet[ICMP_HEADER_LEN + 65487];
    size_t len = build_request(packet, p, (uint16_t)(p->stats.transmitted + 1));

    p->last_send_us = ping_now_us();
    if (p->stats.transmitted == 0)
        p->first_send_us = p->last_send_us;
    p->stats.transmitted++;
    if (sendto(p->sock, packet, len, 0, (struct sockaddr *)&p->target, sizeof p->target) < 0)
        fprintf(stderr, "%s: sendto: %s\n", PROGRAM, strerror(errno));
}

/* Task 7: the hop limit the reply arrived with, or -1. */
static int hop_limit(struct msghdr *mh)
{
    /* TODO (task 7): find the IPV6_HOPLIMIT control message. */
    (void)mh;
    return -1;
}

/* Task 6: is this message an echo reply to us? */
static bool is_our_reply(const struct ping6 *p, const struct icmp_message *msg, bool raw)
{
    /* TODO (task 6): only an ICMPv6 echo reply to a request we sent counts;
     * on a raw socket, replies to every other ping arrive too. */
    (void)p;
    (void)msg;
    (void)raw;
    return false;
}

static void read_replies(struct ping6 *p, bool raw)
{
    static uint8_t packet[PACKET_MAX];
    for (;;) {
        struct sockaddr_in6 from;
        char control[256], from_text[INET6_ADDRSTRLEN], time_text[32];
        struct iovec iov = {packet, sizeof packet};
        struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
                            .msg_iovlen = 1, .msg_control = control,
                            .msg_controllen = sizeof control};
        ssize_t n = recvmsg(p->sock, &mh, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return;
        int64_t received_ns = ping_now_ns();
        struct icmp_message msg;
        if (icmp_read_echo(packet, (size_t)n, &msg) < 0 || !is_our_reply(p, &msg, raw))
            continue;
        long rtt_us = -1;
        if (msg.has_stamp && p->size >= ICMP_STAMP_LEN) {
            int64_t rtt_ns = received_ns - msg.sent_ns;
            rtt_us = rtt_ns > 0 ? (long)(rtt_ns / 1000) : 0;
        }
        bool duplicate = ping_stats_reply(&p->stats, msg.seq, true, rtt_us);
        inet_ntop(AF_INET6, &from.sin6_addr, from_text, sizeof from_text);
        printf("%zu bytes from %s: icmp_seq=%u", msg.len, from_text, msg.seq);
        int hops = hop_limit(&mh);
        if (hops >= 0)
            printf(" ttl=%d", hops);
        if (rtt_us >= 0) {
            ping_format_rtt(rtt_us, time_text, sizeof time_text);
            printf(" time=%s ms", time_text);
        }
        printf("%s\n", duplicate ? " (DUP!)" : "");
    }
}

static void on_interrupt(int signo)
{
    (void)signo;
    interrupted = 1;
}

static void run(struct ping6 *p, bool raw)
{
    long long next_send = ping_now_us(), stop_at = 0;

    while (!interrupted) {
        if (p->count > 0 && p->stats.received >= p->count)
            break;
        bool sending = p->count == 0 || p->stats.transmitted < p->count;
        if (sending && ping_now_us() >= next_send) {
            send_request(p);
            next_send += p->interval_us;
            if (p->stats.transmitted == p->count) {
                long long twice_max = 2LL * p->stats.rtt_max;
                long long linger = p->stats.received == 0 ? p->linger_us
                                   : twice_max > p->interval_us ? twice_max : p->interval_us;
                stop_at = p->last_send_us + linger;
            }
            continue;
        }
        if (!sending && ping_now_us() >= stop_at)
            break;
        long long left = (sending ? next_send : stop_at) - ping_now_us();
        struct pollfd pfd = {p->sock, POLLIN, 0};
        int ready = poll(&pfd, 1, left <= 0 ? 0 : (int)((left + 999) / 1000));
        if (ready > 0)
            read_replies(p, raw);
    }
}

int main(int argc, char **argv)
{
    static struct ping6 p;
    char err[NET_ERR_LEN];
    struct sockaddr_storage address;
    socklen_t address_len;
    struct sigaction sa = {0};

    parse_options(argc, argv, &p);
    if (net_resolve_host(p.host, AF_INET6, &address, &address_len, err) < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, err);
        return 2;
    }
    memcpy(&p.target, &address, sizeof p.target);
    inet_ntop(AF_INET6, &p.target.sin6_addr, p.target_text, sizeof p.target_text);
    open_socket(&p);
    int type;
    socklen_t type_len = sizeof type;
    if (getsockopt(p.sock, SOL_SOCKET, SO_TYPE, &type, &type_len) < 0) {
        fprintf(stderr, "%s: getsockopt SO_TYPE: %s\n", PROGRAM, strerror(errno));
        return 2;
    }
    ping_stats_init(&p.stats);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_interrupt;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);

    printf("PING %s(%s) %zu data bytes\n", p.host, p.target_text, p.size);
    run(&p, type == SOCK_RAW);
    printf("\n--- %s ping statistics ---\n", p.host);
    ping_stats_print(stdout, &p.stats, p.last_send_us - p.first_send_us);
    close(p.sock);
    return ping_stats_exit_status(&p.stats);
}
