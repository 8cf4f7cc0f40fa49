/* icmp-traceroute - finds the routers on the way to HOST, as traceroute -I -n
 * does: echo requests with a TTL of 1, 2, 3, ...; each router where a TTL
 * runs out answers "time exceeded" from its own address, and the host
 * itself answers with an echo reply.
 *
 *   icmp-traceroute [-m MAX_HOPS] [-q PROBES] [-w SECONDS] HOST
 *
 * Needs a raw socket (CAP_NET_RAW): an ICMP datagram socket would do too,
 * with the errors read from its error queue, but the raw socket shows the
 * errors as the messages they are.  Linux-specific only in that.
 */
#include "icmp.h"
#include "net.h"
#include "pingstats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM "icmp-traceroute"
#define DATA_LEN 32    /* 20 + 8 + 32: traceroute's 60-byte packets */
#define PACKET_MAX 65536

struct options {
    int max_hops, probes;
    long long wait_us;
    const char *host;
};

/* What came back for one probe. */
enum answer { NO_ANSWER, ROUTER, DESTINATION, UNREACHABLE };

struct result {
    enum answer kind;
    struct in_addr from;
    uint8_t code; /* for UNREACHABLE */
};

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: icmp-traceroute [-m MAX_HOPS] [-q PROBES] [-w SECONDS] HOST\n"
                "Prints the routers on the way to HOST, as traceroute -I -n does.\n"
                "  -m MAX_HOPS  largest TTL to try, 1 to 255 (default 30)\n"
                "  -q PROBES    probes per hop, 1 to 10 (default 3)\n"
                "  -w SECONDS   wait for each answer, whole or decimal (default 5)\n");
    exit(status);
}

static void parse_options(int argc, char **argv, struct options *opt)
{
    int c;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0)
            usage(stdout, 0);
    *opt = (struct options){.max_hops = 30, .probes = 3, .wait_us = 5000000};
    opterr = 0;
    while ((c = getopt(argc, argv, "m:q:w:")) != -1) {
        if (c == 'm' && (opt->max_hops = (int)net_parse_number(optarg, 1, 255)) > 0)
            continue;
        if (c == 'q' && (opt->probes = (int)net_parse_number(optarg, 1, 10)) > 0)
            continue;
        if (c == 'w' && (opt->wait_us = ping_parse_seconds(optarg, 0.001, 3600)) > 0)
            continue;
        usage(stderr, 2);
    }
    if (optind != argc - 1)
        usage(stderr, 2);
    opt->host = argv[optind];
}

/* Task 2: each probe leaves with the TTL of its hop. */
static void set_ttl(int sock, int ttl)
{
    if (setsockopt(sock, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) < 0) {
        fprintf(stderr, "%s: setsockopt IP_TTL: %s\n", PROGRAM, strerror(errno));
        exit(1);
    }
}

/* Task 3: what a message says about probe SEQ (identifier ID) to TARGET.
 * An echo reply with our identifier and sequence number comes from the
 * destination; an error that quotes our probe comes from a router on the
 * way (time exceeded) or from where the path ends (unreachable).  Anything
 * else, including answers to earlier probes, is not for this probe. */
static enum answer classify(const struct icmp_message *msg, uint16_t id, uint16_t seq,
                            struct in_addr target)
{
    if (msg->id != id || msg->seq != seq)
        return NO_ANSWER;
    if (msg->type == ICMP_TYPE_ECHO_REPLY)
        return DESTINATION;
    if (msg->original_dst.s_addr != target.s_addr)
        return NO_ANSWER;
    if (msg->type == ICMP_TYPE_TIME_EXCEEDED)
        return ROUTER;
    if (msg->type == ICMP_TYPE_UNREACHABLE)
        return UNREACHABLE;
    return NO_ANSWER;
}

/* Task 4: traceroute's marks after the time of an "unreachable" answer. */
static void print_unreachable_mark(uint8_t code)
{
    switch (code) {
    case 0: printf(" !N"); break;        /* network */
    case 1: printf(" !H"); break;        /* host */
    case 2: printf(" !P"); break;        /* protocol */
    case 3: break;                       /* port: the host answered */
    case 4: printf(" !F"); break;        /* fragmentation needed */
    case 5: printf(" !S"); break;        /* source route failed */
    case 9: case 10: case 13: printf(" !X"); break; /* prohibited */
    default: printf(" !<%u>", code); break;
    }
}

/* Sends probe SEQ and waits up to wait_us for what answers it. */
static struct result probe(int sock, const struct sockaddr_in *target, uint16_t id,
                           uint16_t seq, long long wait_us, long long *rtt_us)
{
    static uint8_t packet[PACKET_MAX];
    struct result result = {NO_ANSWER, {0}, 0};
    size_t len = icmp_build_echo(packet, id, seq, DATA_LEN, 0);
    long long sent = ping_now_us(), deadline = sent + wait_us;

    if (sendto(sock, packet, len, 0, (const struct sockaddr *)target, sizeof *target) < 0) {
        fprintf(stderr, "%s: sendto: %s\n", PROGRAM, strerror(errno));
        return result;
    }
    while (result.kind == NO_ANSWER) {
        long long left = deadline - ping_now_us();
        if (left <= 0)
            break;
        struct pollfd pfd = {sock, POLLIN, 0};
        int ready = poll(&pfd, 1, (int)((left + 999) / 1000));
        if (ready <= 0)
            continue; /* EINTR or the deadline: the loop checks */
        struct sockaddr_in from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(sock, packet, sizeof packet, 0, (struct sockaddr *)&from, &from_len);
        struct icmp_message msg;
        if (n < 0 || icmp_parse(packet, (size_t)n, true, &msg) < 0)
            continue;
        result.kind = classify(&msg, id, seq, target->sin_addr);
        result.from = from.sin_addr;
        result.code = msg.code;
        *rtt_us = ping_now_us() - sent;
    }
    return result;
}

int main(int argc, char **argv)
{
    struct options opt;
    char err[NET_ERR_LEN], target_text[INET_ADDRSTRLEN];
    struct sockaddr_storage address;
    socklen_t address_len;

    parse_options(argc, argv, &opt);
    if (net_resolve_host(opt.host, AF_INET, &address, &address_len, err) < 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, err);
        return 2;
    }
    struct sockaddr_in target;
    memcpy(&target, &address, sizeof target);
    inet_ntop(AF_INET, &target.sin_addr, target_text, sizeof target_text);
    int sock = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (sock < 0) {
        fprintf(stderr, "%s: raw socket: %s (needs CAP_NET_RAW)\n", PROGRAM, strerror(errno));
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("traceroute to %s (%s), %d hops max, %d byte packets\n", opt.host, target_text,
           opt.max_hops, IPV4_MIN_HEADER_LEN + ICMP_HEADER_LEN + DATA_LEN);

    uint16_t id = (uint16_t)getpid(), seq = 0;
    bool done = false;
    for (int ttl = 1; ttl <= opt.max_hops && !done; ttl++) {
        set_ttl(sock, ttl);
        printf("%2d ", ttl);
        struct in_addr last = {0};
        for (int i = 0; i < opt.probes; i++) {
            long long rtt_us = 0;
            struct result r = probe(sock, &target, id, ++seq, opt.wait_us, &rtt_us);
            if (r.kind == NO_ANSWER) {
                printf(" *");
                continue;
            }
            if (r.from.s_addr != last.s_addr) {
                char from[INET_ADDRSTRLEN];
                printf(" %s", inet_ntop(AF_INET, &r.from, from, sizeof from));
                last = r.from;
            }
            printf("  %lld.%03lld ms", rtt_us / 1000, rtt_us % 1000);
            if (r.kind == UNREACHABLE)
                print_unreachable_mark(r.code);
            if (r.kind == DESTINATION || r.kind == UNREACHABLE)
                done = true;
        }
        putchar('\n');
    }
    close(sock);
    return 0;
}
