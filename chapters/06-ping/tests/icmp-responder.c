/* icmp-responder - a scripted echo responder for the tests of chapter 06.
 *
 *   icmp-responder ACTION...
 *
 * Runs in a namespace whose kernel does not answer pings itself
 * (net.ipv4.icmp_echo_ignore_all = 1), reads echo requests on a raw socket,
 * and answers the Nth request by the Nth ACTION (requests past the last
 * ACTION get a plain reply):
 *
 *   reply        a correct echo reply
 *   drop         no answer
 *   dup          the reply, twice
 *   delay:MS     the reply, MS milliseconds late (later requests go on)
 *   trunc:N      a reply carrying only the first N bytes of the data
 *   badsum       a reply whose checksum is wrong
 *   foreign      a reply with another identifier (another ping's)
 *   options      a reply whose IP header carries options (IHL 6)
 *   ttl:N        a reply sent with TTL N
 *   unreach:C    an ICMP destination unreachable error of code C
 *   timex        an ICMP time exceeded error (code 0)
 *
 * Prints "ready" once the socket is open, then one line per request,
 * "seq=S action=A".  It writes every packet itself (IP_HDRINCL), with a
 * checksum of its own, independent of the code under test.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PENDING 64

struct pending {
    long long due_ms;
    uint8_t packet[1600];
    size_t len;
    struct sockaddr_in to;
};

static struct pending pending[MAX_PENDING];
static int pending_count;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len % 2)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void set_checksum(uint8_t *icmp, size_t len)
{
    icmp[2] = icmp[3] = 0;
    uint16_t sum = checksum(icmp, len);
    icmp[2] = (uint8_t)(sum >> 8);
    icmp[3] = (uint8_t)sum;
}

/* An IPv4 header from src to dst, with 4 bytes of options (three NOPs and
 * an end-of-options) when options is set; the kernel fills in the total
 * length, the identification and the header checksum (IP_HDRINCL). */
static size_t write_ip_header(uint8_t *out, struct in_addr src, struct in_addr dst,
                              int ttl, int options)
{
    size_t len = options ? 24 : 20;
    memset(out, 0, len);
    out[0] = (uint8_t)(0x40 | (len / 4));
    out[8] = (uint8_t)ttl;
    out[9] = IPPROTO_ICMP;
    memcpy(out + 12, &src, 4);
    memcpy(out + 16, &dst, 4);
    if (options)
        out[20] = out[21] = out[22] = 1, out[23] = 0;
    return len;
}

static void send_packet(int sock, const uint8_t *packet, size_t len,
                        const struct sockaddr_in *to)
{
    if (sendto(sock, packet, len, 0, (const struct sockaddr *)to, sizeof *to) < 0)
        fprintf(stderr, "icmp-responder: sendto: %s\n", strerror(errno));
}

static void answer(int sock, const char *action, const uint8_t *request, size_t len)
{
    size_t ihl = (size_t)(request[0] & 0x0f) * 4;
    const uint8_t *echo = request + ihl;
    size_t echo_len = len - ihl;
    struct in_addr src, dst;
    memcpy(&src, request + 12, 4);
    memcpy(&dst, request + 16, 4);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = src};

    struct pending out = {.to = to};
    int ttl = 64, options = 0, delay_ms = 0, copies = 1;
    if (strncmp(action, "ttl:", 4) == 0)
        ttl = atoi(action + 4);
    if (strcmp(action, "options") == 0)
        options = 1;
    size_t hlen = write_ip_header(out.packet, dst, src, ttl, options);
    uint8_t *icmp = out.packet + hlen;

    if (strncmp(action, "unreach:", 8) == 0 || strcmp(action, "timex") == 0) {
        /* An error quotes the request's IP header and its first 8 bytes. */
        size_t quoted = ihl + 8;
        memset(icmp, 0, 8);
        icmp[0] = action[0] == 'u' ? 3 : 11;
        icmp[1] = action[0] == 'u' ? (uint8_t)atoi(action + 8) : 0;
        memcpy(icmp + 8, request, quoted);
        set_checksum(icmp, 8 + quoted);
        out.len = hlen + 8 + quoted;
    } else {
        size_t reply_len = echo_len;
        if (strncmp(action, "trunc:", 6) == 0 && 8 + (size_t)atoi(action + 6) < echo_len)
            reply_len = 8 + (size_t)atoi(action + 6);
        if (hlen + reply_len > sizeof out.packet)
            reply_len = sizeof out.packet - hlen;
        memcpy(icmp, echo, reply_len);
        icmp[0] = 0; /* echo reply */
        if (strcmp(action, "foreign") == 0)
            icmp[5] ^= 0x5a; /* another identifier */
        set_checksum(icmp, reply_len);
        if (strcmp(action, "badsum") == 0)
            icmp[3] ^= 0x01;
        out.len = hlen + reply_len;
        if (strcmp(action, "dup") == 0)
            copies = 2;
        if (strncmp(action, "delay:", 6) == 0)
            delay_ms = atoi(action + 6);
    }
    if (strcmp(action, "drop") == 0)
        return;
    if (delay_ms > 0 && pending_count < MAX_PENDING) {
        out.due_ms = now_ms() + delay_ms;
        pending[pending_count++] = out;
        return;
    }
    for (int i = 0; i < copies; i++)
        send_packet(sock, out.packet, out.len, &to);
}

static void send_due(int sock)
{
    long long now = now_ms();
    for (int i = 0; i < pending_count;) {
        if (pending[i].due_ms <= now) {
            send_packet(sock, pending[i].packet, pending[i].len, &pending[i].to);
            pending[i] = pending[--pending_count];
        } else {
            i++;
        }
    }
}

static int next_timeout(void)
{
    if (pending_count == 0)
        return -1;
    long long first = pending[0].due_ms;
    for (int i = 1; i < pending_count; i++)
        if (pending[i].due_ms < first)
            first = pending[i].due_ms;
    long long left = first - now_ms();
    return left < 0 ? 0 : (int)left;
}

int main(int argc, char **argv)
{
    int sock = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    int on = 1;
    if (sock < 0 || setsockopt(sock, IPPROTO_IP, IP_HDRINCL, &on, sizeof on) < 0) {
        fprintf(stderr, "icmp-responder: raw socket: %s\n", strerror(errno));
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");

    int handled = 0;
    for (;;) {
        struct pollfd pfd = {sock, POLLIN, 0};
        if (poll(&pfd, 1, next_timeout()) < 0 && errno != EINTR)
            return 1;
        send_due(sock);
        if (!(pfd.revents & POLLIN))
            continue;
        uint8_t request[65536];
        ssize_t n = recv(sock, request, sizeof request, 0);
        if (n < 28)
            continue;
        size_t ihl = (size_t)(request[0] & 0x0f) * 4;
        if ((size_t)n < ihl + 8 || request[ihl] != 8)
            continue; /* not an echo request */
        const char *action = 1 + handled < argc ? argv[1 + handled] : "reply";
        handled++;
        printf("seq=%u action=%s\n", request[ihl + 6] << 8 | request[ihl + 7], action);
        answer(sock, action, request, (size_t)n);
    }
}
