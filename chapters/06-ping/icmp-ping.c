/* icmp-ping - sends ICMP echo requests and reports the replies, as iputils
 * ping does.
 *
 *   icmp-ping [-c COUNT] [-i SECONDS] [-W SECONDS] [-t TTL] [-s SIZE] [-q] HOST
 *
 * It opens an ICMP datagram socket if net.ipv4.ping_group_range lets the
 * user's group have one, and a raw socket (which needs CAP_NET_RAW)
 * otherwise.  The two differ in what the kernel does for us: on a datagram
 * socket it chooses the identifier, fills in the checksum, and hands back
 * only the replies to our identifier without their IP header; on a raw socket
 * we do all of that, and see every ICMP message that reaches the machine.
 *
 * Linux-specific: ICMP datagram sockets, IP_RECVERR and its error queue.
 */
#include "icmp.h"
#include "net.h"
#include "pingstats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <time.h> /* before <linux/errqueue.h>, which uses struct timespec */
#include <linux/errqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "icmp-ping"
#define PACKET_MAX 65536 /* the largest IPv4 datagram, IP header included */

struct options {
    long count;          /* 0: until interrupted */
    long long interval_us;
    long long linger_us; /* -W */
    int ttl;             /* 0: the system's default */
    size_t size;
    bool quiet;
    const char *host;
};

struct ping {
    struct options opt;
    int sock;
    bool raw;                   /* raw socket, or ICMP datagram socket */
    uint16_t id;
    struct sockaddr_in target;
    char target_text[INET_ADDRSTRLEN];
    struct ping_stats stats;
    long long first_send_us, last_send_us;
};

static volatile sig_atomic_t interrupted;

static void usage(FILE *to, int status)
{
    fprintf(to,
            "usage: icmp-ping [-c COUNT] [-i SECONDS] [-W SECONDS] [-t TTL] [-s SIZE] [-q] HOST\n"
            "Sends ICMP echo requests to HOST and prints the replies, as iputils ping does.\n"
            "  -c COUNT    stop after COUNT requests (default: until interrupted)\n"
            "  -i SECONDS  wait SECONDS between requests (default 1, at least 0.002)\n"
            "  -W SECONDS  after the last request, wait this long for a reply when none\n"
            "              has come yet (default 10)\n"
            "  -t TTL      time to live of each request, 1 to 255 (default: the system's)\n"
            "  -s SIZE     bytes of data in each request, 0 to 65507 (default 56)\n"
            "  -q          quiet: print only the first line and the summary\n"
            "Exit status: 0 if a reply came, 1 if none did, 2 on any other error.\n");
    exit(status);
}

static void parse_options(int argc, char **argv, struct options *opt)
{
    long number;
    int c;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0)
            usage(stdout, 0);
    *opt = (struct options){.interval_us = 1000000, .linger_us = 10000000, .size = 56};
    opterr = 0; /* a wrong option gets the usage, not getopt's own message */
    while ((c = getopt(argc, argv, "c:i:W:t:s:q")) != -1) {
        switch (c) {
        case 'c':
            if ((opt->count = net_parse_number(optarg, 1, LONG_MAX)) < 0)
                usage(stderr, 2);
            break;
        case 'i':
            if ((opt->interval_us = ping_parse_seconds(optarg, 0.002, 86400)) < 0)
                usage(stderr, 2);
            break;
        case 'W':
            if ((opt->linger_us = ping_parse_seconds(optarg, 0.001, 86400)) < 0)
                usage(stderr, 2);
            break;
        case 't':
            if ((number = net_parse_number(optarg, 1, 255)) < 0)
                usage(stderr, 2);
            opt->ttl = (int)number;
            break;
        case 's':
            if ((number = net_parse_number(optarg, 0, ICMP_MAX_DATA)) < 0)
                usage(stderr, 2);
            opt->size = (size_t)number;
            break;
        case 'q':
            opt->quiet = true;
            break;
        default:
            usage(stderr, 2);
        }
    }
    if (optind != argc - 1)
        usage(stderr, 2);
    opt->host = argv[optind];
}

static void fail(int status, const char *what, const char *reason)
{
    fprintf(stderr, "%s: %s: %s\n", PROGRAM, what, reason);
    exit(status);
}

/* ---- the socket ----------------------------------------------------------- */

/* The unprivileged way first, as iputils does: socket() gives EACCES when the
 * user's group is outside net.ipv4.ping_group_range.  A raw socket gives
 * EPERM without CAP_NET_RAW. */
static void open_socket(struct ping *p)
{
    p->sock = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    p->raw = false;
    if (p->sock < 0) {
        p->sock = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
        p->raw = true;
    }
    if (p->sock < 0 && (errno == EPERM || errno == EACCES)) {
        fprintf(stderr, "%s: cannot open an ICMP socket: %s: no ICMP datagram sockets "
                        "for this group (net.ipv4.ping_group_range) and no CAP_NET_RAW "
                        "for a raw socket; allow one: sysctl -w "
                        "net.ipv4.ping_group_range=\"0 2147483647\", or setcap "
                        "cap_net_raw+ep icmp-ping\n", PROGRAM, strerror(errno));
        exit(2);
    }
    if (p->sock < 0)
        fail(2, "cannot open an ICMP socket", strerror(errno));
}

static void set_int_option(int sock, int level, int name, int value, const char *what)
{
    if (setsockopt(sock, level, name, &value, sizeof value) < 0)
        fail(2, what, strerror(errno));
}

static void configure_socket(struct ping *p)
{
    if (p->opt.ttl > 0)
        set_int_option(p->sock, IPPROTO_IP, IP_TTL, p->opt.ttl, "setsockopt IP_TTL");
    if (p->raw) {
        /* Other programs' pings reach this socket too: our identifier is what
         * tells our replies apart.  iputils takes the process id as well. */
        p->id = (uint16_t)getpid();
        return;
    }
    /* A datagram socket reports the TTL of each reply only when asked, and
     * queues ICMP errors for us to read only with IP_RECVERR. */
    set_int_option(p->sock, IPPROTO_IP, IP_RECVTTL, 1, "setsockopt IP_RECVTTL");
    set_int_option(p->sock, IPPROTO_IP, IP_RECVERR, 1, "setsockopt IP_RECVERR");
    /* The identifier is the socket's "port": bind() with 0 lets the kernel
     * choose a free one, and it rewrites every request we send to carry it. */
    struct sockaddr_in any = {.sin_family = AF_INET};
    socklen_t len = sizeof any;
    if (bind(p->sock, (struct sockaddr *)&any, sizeof any) < 0 ||
        getsockname(p->sock, (struct sockaddr *)&any, &len) < 0)
        fail(2, "bind", strerror(errno));
    p->id = ntohs(any.sin_port);
}

/* ---- sending -------------------------------------------------------------- */

static void read_errors(struct ping *p);

static void send_request(struct ping *p)
{
    static uint8_t packet[ICMP_HEADER_LEN + ICMP_MAX_DATA];
    uint16_t seq = (uint16_t)(p->stats.transmitted + 1);
    size_t len = icmp_build_echo(packet, p->id, seq, p->opt.size, ping_now_ns());

    p->last_send_us = ping_now_us();
    if (p->stats.transmitted == 0)
        p->first_send_us = p->last_send_us;
    ssize_t sent;
    do
        sent = sendto(p->sock, packet, len, 0, (struct sockaddr *)&p->target,
                      sizeof p->target);
    while (sent < 0 && errno == EINTR);
    /* Counted as sent even when it failed, as iputils counts it, so that the
     * sequence numbers go on and the loss shows in the summary. */
    p->stats.transmitted++;
    if (sent < 0) {
        int error = errno;
        /* An ICMP error about an earlier request is also reported by the next
         * send on a datagram socket: read the error queue for the details. */
        if (!p->raw)
            read_errors(p);
        if (!p->opt.quiet)
            fprintf(stderr, "%s: sendto: %s\n", PROGRAM, strerror(error));
    }
}

/* ---- receiving ------------------------------------------------------------ */

static void print_reply(const struct ping *p, const struct icmp_message *msg,
                        const char *from, long rtt_us, bool duplicate)
{
    char time_text[32];

    if (p->opt.quiet)
        return;
    printf("%zu bytes from %s: icmp_seq=%u", msg->len, from, msg->seq);
    if (msg->ttl >= 0)
        printf(" ttl=%d", msg->ttl);
    if (msg->len < ICMP_HEADER_LEN + p->opt.size) {
        printf(" (truncated)\n");
        return;
    }
    if (rtt_us >= 0) {
        ping_format_rtt(rtt_us, time_text, sizeof time_text);
        printf(" time=%s ms", time_text);
    }
    if (duplicate)
        printf(" (DUP!)");
    if (!msg->checksum_ok)
        printf(" (BAD CHECKSUM!)");
    putchar('\n');
}

static void print_error(const struct ping *p, const char *from, uint16_t seq,
                        uint8_t type, uint8_t code, uint32_t mtu)
{
    char text[64];

    if (!p->opt.quiet)
        printf("From %s icmp_seq=%u %s\n", from, seq,
               icmp_error_text(type, code, mtu, text, sizeof text));
}

/* One echo reply: ours only if it carries our identifier and a sequence
 * number we sent.  Its round-trip time comes from the send time inside. */
static void handle_reply(struct ping *p, const struct icmp_message *msg, const char *from,
                         int64_t received_ns)
{
    if (msg->id != p->id || !ping_stats_was_sent(&p->stats, msg->seq))
        return;
    long rtt_us = -1;
    if (msg->has_stamp && p->opt.size >= ICMP_STAMP_LEN) {
        int64_t rtt_ns = received_ns - msg->sent_ns;
        rtt_us = rtt_ns > 0 ? (long)(rtt_ns / 1000) : 0; /* a forged time: 0 */
    }
    bool duplicate = ping_stats_reply(&p->stats, msg->seq, msg->checksum_ok, rtt_us);
    print_reply(p, msg, from, rtt_us, duplicate);
}

/* On a raw socket an error arrives as an ICMP message that quotes our
 * request: ours if the quoted request carries our identifier, went to our
 * target, and has a sequence number we sent. */
static void handle_error_message(struct ping *p, const struct icmp_message *msg,
                                 const char *from)
{
    if (msg->id != p->id || msg->original_dst.s_addr != p->target.sin_addr.s_addr ||
        !ping_stats_was_sent(&p->stats, msg->seq))
        return;
    ping_stats_error(&p->stats, msg->seq);
    print_error(p, from, msg->seq, msg->type, msg->code, msg->next_hop_mtu);
}

/* The TTL of a reply on a datagram socket comes as ancillary data. */
static int ttl_from_cmsg(struct msghdr *mh)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
            int ttl;
            memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
            return ttl;
        }
    }
    return -1;
}

/* Reads every message waiting on the socket, without blocking. */
static void read_replies(struct ping *p)
{
    static uint8_t packet[PACKET_MAX];
    for (;;) {
        struct sockaddr_in from;
        char control[256];
        struct iovec iov = {packet, sizeof packet};
        struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from,
                            .msg_iov = &iov, .msg_iovlen = 1,
                            .msg_control = control, .msg_controllen = sizeof control};
        ssize_t n = recvmsg(p->sock, &mh, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0) {
            /* A datagram socket reports a queued error this way too. */
            if (!p->raw)
                read_errors(p);
            return;
        }
        int64_t received_ns = ping_now_ns();
        struct icmp_message msg;
        if (icmp_parse(packet, (size_t)n, p->raw, &msg) < 0)
            continue; /* not an echo reply or an error about one */
        if (!p->raw)
            msg.ttl = ttl_from_cmsg(&mh);
        char from_text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &from.sin_addr, from_text, sizeof from_text);
        if (msg.type == ICMP_TYPE_ECHO_REPLY)
            handle_reply(p, &msg, from_text, received_ns);
        else if (msg.type != ICMP_TYPE_ECHO_REQUEST)
            handle_error_message(p, &msg, from_text);
    }
}

/* A datagram socket never hands over ICMP errors as messages.  With
 * IP_RECVERR the kernel queues each one: the request it is about as data,
 * and a struct sock_extended_err naming the type, the code and the sender
 * (the "offender") as ancillary data. */
static void read_errors(struct ping *p)
{
    for (;;) {
        uint8_t request[ICMP_HEADER_LEN + ICMP_STAMP_LEN];
        char control[512];
        struct iovec iov = {request, sizeof request};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
                            .msg_control = control, .msg_controllen = sizeof control};
        ssize_t n = recvmsg(p->sock, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return; /* EAGAIN: the queue is empty */
        struct icmp_message msg;
        if (icmp_parse(request, (size_t)n, false, &msg) < 0 ||
            msg.type != ICMP_TYPE_ECHO_REQUEST || !ping_stats_was_sent(&p->stats, msg.seq))
            continue;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR)
                continue;
            struct sock_extended_err *ee = (struct sock_extended_err *)CMSG_DATA(c);
            if (ee->ee_origin != SO_EE_ORIGIN_ICMP)
                continue;
            struct sockaddr_in offender;
            memcpy(&offender, SO_EE_OFFENDER(ee), sizeof offender);
            char from[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &offender.sin_addr, from, sizeof from);
            ping_stats_error(&p->stats, msg.seq);
            print_error(p, from, msg.seq, ee->ee_type, ee->ee_code, ee->ee_info);
        }
    }
}

/* ---- the loop ------------------------------------------------------------- */

static void on_interrupt(int signo)
{
    (void)signo;
    interrupted = 1;
}

static void catch_signals(void)
{
    struct sigaction sa = {0};
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_interrupt; /* no SA_RESTART: poll() returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* How long iputils waits after the last request: twice the slowest reply so
 * far (but at least one interval) if any came, else the -W time. */
static long long linger_after_last(const struct ping *p)
{
    if (p->stats.received == 0)
        return p->opt.linger_us;
    long long twice_max = 2LL * p->stats.rtt_max;
    return twice_max > p->opt.interval_us ? twice_max : p->opt.interval_us;
}

/* Waits for the socket until the deadline (microseconds on the monotonic
 * clock), then reads whatever came. */
static void wait_and_read(struct ping *p, long long deadline)
{
    long long left_us = deadline - ping_now_us();
    int timeout_ms = left_us <= 0 ? 0 : (int)((left_us + 999) / 1000);
    struct pollfd pfd = {p->sock, POLLIN, 0};

    int ready = poll(&pfd, 1, timeout_ms);
    if (ready < 0 && errno != EINTR)
        fail(2, "poll", strerror(errno));
    if (ready > 0 && (pfd.revents & POLLIN))
        read_replies(p);
    if (ready > 0 && (pfd.revents & POLLERR) && !p->raw)
        read_errors(p);
}

static void run(struct ping *p)
{
    long long next_send = ping_now_us(), stop_at = 0;

    while (!interrupted) {
        long answered = p->stats.received + p->stats.errors;
        if (p->opt.count > 0 && answered >= p->opt.count)
            break;
        bool sending = p->opt.count == 0 || p->stats.transmitted < p->opt.count;
        if (sending && ping_now_us() >= next_send) {
            send_request(p);
            next_send += p->opt.interval_us;
            if (p->stats.transmitted == p->opt.count)
                stop_at = p->last_send_us + linger_after_last(p);
            continue;
        }
        if (!sending && ping_now_us() >= stop_at)
            break;
        wait_and_read(p, sending ? next_send : stop_at);
    }
}

int main(int argc, char **argv)
{
    static struct ping p; /* static: the statistics hold an 8 KiB table */
    char err[NET_ERR_LEN];
    struct sockaddr_storage address;
    socklen_t address_len;

    parse_options(argc, argv, &p.opt);
    if (net_resolve_host(p.opt.host, AF_INET, &address, &address_len, err) < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, err);
        return 2;
    }
    memcpy(&p.target, &address, sizeof p.target);
    inet_ntop(AF_INET, &p.target.sin_addr, p.target_text, sizeof p.target_text);
    open_socket(&p);
    configure_socket(&p);
    ping_stats_init(&p.stats);
    catch_signals();
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line out as soon as it is known */

    printf("PING %s (%s) %zu(%zu) bytes of data.\n", p.opt.host, p.target_text,
           p.opt.size, p.opt.size + ICMP_HEADER_LEN + IPV4_MIN_HEADER_LEN);
    run(&p);
    printf("\n--- %s ping statistics ---\n", p.opt.host);
    ping_stats_print(stdout, &p.stats, p.last_send_us - p.first_send_us);
    close(p.sock);
    return ping_stats_exit_status(&p.stats);
}
