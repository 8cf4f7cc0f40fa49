/* test-icmp-lib.c - the icmp library called directly: the checksum against
 * RFC 1071's own example and against packets the kernel made, building and
 * reading echo messages, and reading hostile bytes. */
#include "icmp.h"
#include "tk-netns.h"
#include "pingstats.h"
#include "testkit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* RFC 1071 section 3, "Numerical Examples": the bytes 00 01 f2 03 f4 f5 f6 f7
 * sum to ddf2 (with the carries folded in), so the checksum is ~ddf2 = 220d. */
static void rfc1071_example(void)
{
    const uint8_t example[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    TK_ASSERT_INT_EQ(icmp_checksum(example, sizeof example), 0x220d, "RFC 1071 example");

    /* The sum does not depend on byte order (RFC 1071 section 2(B)): the
     * swapped bytes give the swapped sum. */
    const uint8_t swapped[] = {0x01, 0x00, 0x03, 0xf2, 0xf5, 0xf4, 0xf7, 0xf6};
    TK_ASSERT_INT_EQ(icmp_checksum(swapped, sizeof swapped), 0x0d22, "swapped bytes");

    /* An odd byte is padded with a zero on the right: f2 counts as f200. */
    const uint8_t odd[] = {0x00, 0x01, 0xf2};
    TK_ASSERT_INT_EQ(icmp_checksum(odd, sizeof odd), 0x0dfe, "odd length");
    TK_ASSERT_INT_EQ(icmp_checksum(odd, 0), 0xffff, "no bytes at all");

    /* With the checksum appended, the whole sums to zero: how a receiver checks. */
    const uint8_t whole[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0x22, 0x0d};
    TK_ASSERT_INT_EQ(icmp_checksum(whole, sizeof whole), 0, "message with its checksum");

    /* Carries that need folding more than once. */
    uint8_t ones[4096];
    memset(ones, 0xff, sizeof ones);
    TK_ASSERT_INT_EQ(icmp_checksum(ones, sizeof ones), 0, "all ones");
}

static void build_and_parse(void)
{
    uint8_t packet[ICMP_HEADER_LEN + 56];
    size_t len = icmp_build_echo(packet, 0x1234, 7, 56, 123456789012345);
    TK_ASSERT_INT_EQ(len, 64, "length of a 56-byte echo");
    TK_ASSERT_INT_EQ(icmp_checksum(packet, len), 0, "checksum over the built message");
    TK_ASSERT_INT_EQ(packet[0], 8, "type");
    TK_ASSERT(packet[4] == 0x12 && packet[5] == 0x34 && packet[6] == 0 && packet[7] == 7,
              "identifier and sequence in network byte order");
    TK_ASSERT(packet[ICMP_HEADER_LEN + 16] == 16 && packet[ICMP_HEADER_LEN + 55] == 55,
              "the data after the time is the bytes 16, 17, ...");

    packet[0] = ICMP_TYPE_ECHO_REPLY; /* what an echo server does, checksum aside */
    struct icmp_message msg;
    TK_ASSERT_INT_EQ(icmp_parse(packet, len, false, &msg), 0, "parsing a reply");
    TK_ASSERT(!msg.checksum_ok, "a changed type must break the checksum");
    TK_ASSERT(msg.id == 0x1234 && msg.seq == 7 && msg.has_stamp &&
              msg.sent_ns == 123456789012345, "fields read back");
    TK_ASSERT_INT_EQ(msg.ttl, -1, "no IP header, no TTL");
}

/* A valid reply with an IP header of IHL words (options are NOPs). */
static size_t make_reply(uint8_t *out, int ihl)
{
    size_t hlen = (size_t)ihl * 4;
    memset(out, 1, hlen);
    out[0] = (uint8_t)(0x40 | ihl);
    out[8] = 33;
    out[9] = IPPROTO_ICMP;
    size_t len = icmp_build_echo(out + hlen, 1, 2, 56, 5);
    out[hlen] = 0;
    out[hlen + 2] = out[hlen + 3] = 0;
    uint16_t sum = icmp_checksum(out + hlen, len);
    out[hlen + 2] = (uint8_t)(sum >> 8), out[hlen + 3] = (uint8_t)sum;
    return hlen + len;
}

static void parse_hostile(void)
{
    uint8_t packet[200];
    struct icmp_message msg;
    for (int ihl = 5; ihl <= 15; ihl++) {
        size_t len = make_reply(packet, ihl);
        TK_ASSERT_INT_EQ(icmp_parse(packet, len, true, &msg), 0, "a reply with options");
        TK_ASSERT(msg.ttl == 33 && msg.seq == 2 && msg.checksum_ok && msg.len == 64,
                  "IHL %d: fields", ihl);
        /* Cut anywhere, it must be refused or read within its bytes (ASan
         * watches the reading). */
        for (size_t cut = 0; cut < len; cut++) {
            uint8_t *copy = tk_alloc(cut + 1);
            memcpy(copy, packet, cut);
            int rc = icmp_parse(copy, cut, true, &msg);
            TK_ASSERT(rc == -1 || cut >= (size_t)ihl * 4 + ICMP_HEADER_LEN,
                      "IHL %d cut at %zu: accepted", ihl, cut);
            free(copy);
        }
    }
    size_t len = make_reply(packet, 5);
    for (int ihl = 0; ihl < 5; ihl++) {
        packet[0] = (uint8_t)(0x40 | ihl);
        TK_ASSERT_INT_EQ(icmp_parse(packet, len, true, &msg), -1, "an IHL below 5");
    }
    packet[0] = 0x45 | 0x20; /* version 6 */
    TK_ASSERT_INT_EQ(icmp_parse(packet, len, true, &msg), -1, "not IPv4");

    /* An error that quotes too little of the request, or not an echo. */
    uint8_t error[8 + 20 + 8] = {ICMP_TYPE_UNREACHABLE, 1};
    error[8] = 0x45;
    error[8 + 9] = IPPROTO_ICMP;
    error[28] = ICMP_TYPE_ECHO_REQUEST;
    error[32] = 0xab, error[33] = 0xcd, error[34] = 0, error[35] = 9;
    TK_ASSERT_INT_EQ(icmp_parse(error, sizeof error, false, &msg), 0, "a full error");
    TK_ASSERT(msg.id == 0xabcd && msg.seq == 9, "the quoted identifier and sequence");
    for (size_t cut = 0; cut < sizeof error; cut++)
        TK_ASSERT_INT_EQ(icmp_parse(error, cut, false, &msg), -1, "an error cut short");
    error[8] = 0x4f; /* the quoted header claims 60 bytes */
    TK_ASSERT_INT_EQ(icmp_parse(error, sizeof error, false, &msg), -1, "quoted IHL too long");
}

static int receive_within(int sock, uint8_t *buf, size_t len)
{
    struct pollfd pfd = {sock, POLLIN, 0};
    TK_ASSERT(poll(&pfd, 1, 5000) == 1, "nothing arrived on the raw socket");
    ssize_t n = recv(sock, buf, len, 0);
    TK_ASSERT(n > 28, "recv: %s", n < 0 ? strerror(errno) : "too short");
    return (int)n;
}

/* The kernel fills in the checksum of what an ICMP datagram socket sends and
 * of the echo replies it makes itself: both must check out as zero. */
static void kernel_packets(void)
{
    const char *client = tk_netns_new(), *peer = tk_netns_new();
    tk_netns_link(client, "10.6.0.1/24", peer, "10.6.0.2/24");
    tk_netns_sysctl(client, "net/ipv4/ping_group_range", "0 2147483647");

    tk_netns_enter(peer);
    int peer_raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    tk_netns_enter(client);
    int client_raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    int dgram = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    TK_ASSERT(peer_raw >= 0 && client_raw >= 0 && dgram >= 0, "sockets: %s", strerror(errno));

    /* A request whose checksum field is left wrong: the kernel rewrites it. */
    uint8_t request[ICMP_HEADER_LEN + 40];
    icmp_build_echo(request, 0, 1, 40, 0);
    request[2] = request[3] = 0xee;
    struct sockaddr_in to = {.sin_family = AF_INET};
    inet_pton(AF_INET, "10.6.0.2", &to.sin_addr);
    TK_ASSERT(sendto(dgram, request, sizeof request, 0, (struct sockaddr *)&to, sizeof to) ==
              (ssize_t)sizeof request, "sendto: %s", strerror(errno));

    uint8_t seen[1500];
    int n = receive_within(peer_raw, seen, sizeof seen);
    size_t ihl = (size_t)(seen[0] & 0x0f) * 4;
    TK_ASSERT_INT_EQ(icmp_checksum(seen, ihl), 0, "the kernel's IP header checksum");
    TK_ASSERT_INT_EQ(seen[ihl], ICMP_TYPE_ECHO_REQUEST, "type of the request");
    TK_ASSERT_INT_EQ(icmp_checksum(seen + ihl, (size_t)n - ihl), 0,
                     "the kernel's checksum of our request");

    /* The peer's kernel answers; the reply reaches the client's raw socket. */
    do
        n = receive_within(client_raw, seen, sizeof seen);
    while (seen[(seen[0] & 0x0f) * 4] != ICMP_TYPE_ECHO_REPLY);
    struct icmp_message msg;
    TK_ASSERT_INT_EQ(icmp_parse(seen, (size_t)n, true, &msg), 0, "parsing the kernel's reply");
    TK_ASSERT(msg.checksum_ok, "the kernel's echo reply has a checksum that checks out");
    TK_ASSERT(msg.ttl == 64 && msg.seq == 1 && msg.len == sizeof request, "reply fields");
    close(peer_raw), close(client_raw), close(dgram);
}

static void error_texts(void)
{
    char text[64];
    TK_ASSERT_STR_EQ(icmp_error_text(3, 1, 0, text, sizeof text),
                     "Destination Host Unreachable", "3/1");
    TK_ASSERT_STR_EQ(icmp_error_text(3, 4, 1400, text, sizeof text),
                     "Frag needed and DF set (mtu = 1400)", "3/4");
    TK_ASSERT_STR_EQ(icmp_error_text(11, 0, 0, text, sizeof text), "Time to live exceeded",
                     "11/0");
    TK_ASSERT_STR_EQ(icmp_error_text(3, 99, 0, text, sizeof text),
                     "Dest Unreachable, Bad Code: 99", "3/99");
}

/* mdev by hand: times 118, 106, 68 us (a real run of iputils ping printed
 * 0.068/0.097/0.118/0.021 for them). */
static void statistics(void)
{
    static struct ping_stats s;
    ping_stats_init(&s);
    long times[] = {118, 106, 68};
    for (int seq = 1; seq <= 3; seq++) {
        s.transmitted = seq; /* each reply before the next request */
        ping_stats_reply(&s, (uint16_t)seq, true, times[seq - 1]);
    }
    char out[256] = "";
    FILE *f = fmemopen(out, sizeof out, "w");
    ping_stats_print(f, &s, 412400);
    fclose(f);
    TK_ASSERT_STR_EQ(out,
                     "3 packets transmitted, 3 received, 0% packet loss, time 412ms\n"
                     "rtt min/avg/max/mdev = 0.068/0.097/0.118/0.021 ms\n",
                     "summary");

    /* A duplicate counts apart, and a wrong checksum does not count. */
    TK_ASSERT(ping_stats_reply(&s, 2, true, 100), "a second reply to 2 is a duplicate");
    TK_ASSERT(!ping_stats_reply(&s, 3, false, 100), "a corrupt reply is no duplicate");
    s.transmitted = 4;
    ping_stats_error(&s, 4);
    f = fmemopen(out, sizeof out, "w");
    ping_stats_print(f, &s, 1000);
    fclose(f);
    TK_ASSERT(strncmp(out, "4 packets transmitted, 3 received, +1 duplicates, +1 corrupted, "
                           "+1 errors, 25% packet loss, time 1ms\n", 95) == 0,
              "summary with everything: %s", out);

    char rtt[16];
    long samples[] = {999, 1000, 1234, 9994, 9995, 12345, 99949, 99950, 123456};
    const char *shown[] = {"0.999", "1.00", "1.23", "9.99", "10.0", "12.3", "99.9", "100", "123"};
    for (int i = 0; i < 9; i++) {
        ping_format_rtt(samples[i], rtt, sizeof rtt);
        TK_ASSERT_STR_EQ(rtt, shown[i], "a round-trip time as printed");
    }
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"lib.rfc1071-example", rfc1071_example},
        {"lib.build-and-parse", build_and_parse},
        {"lib.parse-hostile", parse_hostile},
        {"lib.kernel-packets", kernel_packets},
        {"lib.error-texts", error_texts},
        {"lib.statistics", statistics},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
