/* ex1-checksum.c - graded tests of exercise 1: inet-checksum prints the
 * RFC 1071 checksum of its input. */
#include "tk-netns.h"
#include "testkit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Runs inet-checksum on the bytes and checks its one line of output. */
static void expect_checksum(const void *bytes, size_t len, const char *want, const char *what)
{
    struct tk_proc *p = tk_run(bytes, len, 10000, tk_program("inet-checksum"), NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status of inet-checksum");
    char line[16];
    snprintf(line, sizeof line, "%s\n", want);
    TK_ASSERT_STR_EQ(p->out_text != NULL ? p->out_text : "", line, what);
}

/* The test's own reference: the plain sum in 64 bits, folded once at the end. */
static uint16_t reference(const uint8_t *p, size_t len)
{
    uint64_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint64_t)(p[i] << 8 | p[i + 1]);
    if (len % 2)
        sum += (uint64_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void rfc1071_example(void)
{
    const uint8_t example[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    expect_checksum(example, sizeof example, "220d", "RFC 1071 section 3's example");
    const uint8_t swapped[] = {0x01, 0x00, 0x03, 0xf2, 0xf5, 0xf4, 0xf7, 0xf6};
    expect_checksum(swapped, sizeof swapped, "0d22", "the same bytes swapped in pairs");
    const uint8_t whole[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0x22, 0x0d};
    expect_checksum(whole, sizeof whole, "0000", "the example followed by its checksum");
}

static void odd_length(void)
{
    const uint8_t three[] = {0x00, 0x01, 0xf2};
    expect_checksum(three, sizeof three, "0dfe", "three bytes: f2 counts as f200");
    const uint8_t one[] = {0xab};
    expect_checksum(one, sizeof one, "54ff", "one byte");
    expect_checksum("", 0, "ffff", "no bytes at all");
}

static void carries(void)
{
    const uint8_t carry[] = {0xff, 0xff, 0x00, 0x01};
    expect_checksum(carry, sizeof carry, "fffe", "ffff + 0001: the carry comes back in");
    static uint8_t big[1 << 20];
    for (unsigned seed = 1; seed <= 3; seed++) {
        size_t len = sizeof big - seed; /* odd and even */
        tk_fill_pattern(big, len, seed);
        char want[8];
        snprintf(want, sizeof want, "%04x", reference(big, len));
        expect_checksum(big, len, want, "a megabyte of pseudo-random bytes");
    }
}

/* An echo request whose checksum the kernel wrote (an ICMP datagram socket
 * fills it in), caught on a raw socket in a peer namespace. */
static void kernel_packets(void)
{
    const char *client = tk_netns_new(), *peer = tk_netns_new();
    tk_netns_link(client, "10.6.0.1/24", peer, "10.6.0.2/24");
    tk_netns_sysctl(client, "net/ipv4/ping_group_range", "0 2147483647");
    tk_netns_sysctl(peer, "net/ipv4/icmp_echo_ignore_all", "1");
    tk_netns_enter(peer);
    int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    tk_netns_enter(client);
    int dgram = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    TK_ASSERT(raw >= 0 && dgram >= 0, "sockets: %s", strerror(errno));

    for (size_t len = 63; len <= 64; len++) { /* an odd and an even length */
        uint8_t request[64] = {8, 0};
        request[7] = (uint8_t)len; /* the sequence number */
        tk_fill_pattern(request + 8, sizeof request - 8, (unsigned)len);
        struct sockaddr_in to = {.sin_family = AF_INET};
        inet_pton(AF_INET, "10.6.0.2", &to.sin_addr);
        TK_ASSERT(sendto(dgram, request, len, 0, (struct sockaddr *)&to, sizeof to) ==
                  (ssize_t)len, "sendto: %s", strerror(errno));
        struct pollfd pfd = {raw, POLLIN, 0};
        TK_ASSERT(poll(&pfd, 1, 5000) == 1, "the request did not arrive");
        uint8_t seen[1500];
        ssize_t n = recv(raw, seen, sizeof seen, 0);
        TK_ASSERT(n > 28, "recv: %s", strerror(errno));
        size_t ihl = (size_t)(seen[0] & 0x0f) * 4;
        expect_checksum(seen, ihl, "0000", "the kernel's IPv4 header, checksum included");
        expect_checksum(seen + ihl, (size_t)n - ihl, "0000",
                        "the kernel's ICMP message, checksum included");
        char want[8];
        snprintf(want, sizeof want, "%02x%02x", seen[ihl + 2], seen[ihl + 3]);
        seen[ihl + 2] = seen[ihl + 3] = 0;
        expect_checksum(seen + ihl, (size_t)n - ihl, want,
                        "the kernel's ICMP message with its checksum field zeroed");
    }
    close(raw);
    close(dgram);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"rfc1071-example", rfc1071_example},
        {"odd-length", odd_length},
        {"carries", carries},
        {"kernel-packets", kernel_packets},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
