/* udp-ping - measures a UDP echo server the way ping measures a host.
 *
 *   udp-ping [-c COUNT] [-W MS] HOST PORT
 *
 * Sends COUNT probes (default 5), one after another, to a UDP echo server.
 * Each probe carries this process's identifier and its sequence number; the
 * program waits up to MS milliseconds (default 1000) for the echo of that
 * very probe, prints one line per probe and a summary:
 *
 *     seq=1 bytes=21 time=0.081 ms
 *     seq=2 timeout
 *     --- 127.0.0.1 port 7777 udp-ping statistics ---
 *     2 probes transmitted, 1 received, 50% loss
 *
 * Exit status 0 if at least one echo came back, 1 if none did.
 *
 * Exercise 1 of chapter 02: see README.md.  The two functions marked
 * TODO are yours to write.
 */
#include "net.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DATAGRAM 65536

struct stats {
    long transmitted;
    long received;
};

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: udp-ping [-c COUNT] [-W MS] HOST PORT\n"
                "Sends COUNT probes to a UDP echo server and reports the echoes.\n"
                "  -c COUNT  how many probes (default 5)\n"
                "  -W MS     how long to wait for each echo (default 1000)\n");
    exit(status);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Waits for a datagram until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_readable(int sock, double deadline)
{
    for (;;) {
        double left = deadline - now_ms();
        struct pollfd pfd = {sock, POLLIN, 0};
        int n = poll(&pfd, 1, left > 0 ? (int)left + 1 : 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 && now_ms() < deadline)
            continue; /* poll() rounds to whole milliseconds */
        return n;
    }
}

/* The text of probe seq: the process id tells this run's probes from those
 * of another udp-ping talking to the same server. */
static int make_probe(char *buf, size_t size, long seq)
{
    return snprintf(buf, size, "udp-ping %ld seq %ld", (long)getpid(), seq);
}

/* True if the datagram is the echo of the probe just sent.  Everything else
 * is ignored: the late echo of an earlier probe (it was already counted,
 * or given up on), a second copy of an echo the network duplicated, or any
 * datagram that is not an echo at all. */
static bool is_echo_of(const char *reply, ssize_t reply_len, const char *probe,
                       int probe_len)
{
    /* TODO (task 2): accept only the echo of this very probe.  As it is,
     * whatever datagram comes first counts as the echo. */
    (void)reply, (void)reply_len, (void)probe, (void)probe_len;
    return true;
}

/* Sends probe seq and waits for its echo; prints the probe's line. */
static int ping_once(int sock, long seq, long wait_ms, char *reply, struct stats *st)
{
    char probe[64];
    int probe_len = make_probe(probe, sizeof probe, seq);

    double sent_at = now_ms();
    if (send(sock, probe, (size_t)probe_len, 0) < 0) {
        if (errno == ECONNREFUSED) {
            printf("seq=%ld refused\n", seq);
            st->transmitted++;
            return 0;
        }
        fprintf(stderr, "udp-ping: sending: %s\n", strerror(errno));
        return -1;
    }
    st->transmitted++;

    double deadline = sent_at + (double)wait_ms;
    for (;;) {
        int ready = wait_readable(sock, deadline);
        if (ready < 0) {
            fprintf(stderr, "udp-ping: poll: %s\n", strerror(errno));
            return -1;
        }
        if (ready == 0) {
            printf("seq=%ld timeout\n", seq);
            return 0;
        }
        ssize_t n = recv(sock, reply, MAX_DATAGRAM, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == ECONNREFUSED) {
            /* An ICMP error for this probe or an earlier one: nobody is
             * listening, at least for now.  Count it as lost. */
            printf("seq=%ld refused\n", seq);
            return 0;
        }
        if (n < 0) {
            fprintf(stderr, "udp-ping: receiving: %s\n", strerror(errno));
            return -1;
        }
        if (is_echo_of(reply, n, probe, probe_len)) {
            st->received++;
            printf("seq=%ld bytes=%zd time=%.3f ms\n", seq, n, now_ms() - sent_at);
            return 0;
        }
    }
}

static void print_summary(const char *host, const char *port, const struct stats *st)
{
    /* TODO (task 1): print the two summary lines described in README.md. */
    (void)host, (void)port, (void)st;
}

int main(int argc, char **argv)
{
    long count = 5, wait_ms = 1000;
    int i = 1;
    char err[NET_ERR_LEN];

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    while (i + 1 < argc && (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "-W") == 0)) {
        long *target = argv[i][1] == 'c' ? &count : &wait_ms;
        *target = net_parse_number(argv[i + 1], 1, 1000000);
        if (*target < 0)
            usage(stderr, 2);
        i += 2;
    }
    if (argc - i != 2 || argv[i][0] == '-')
        usage(stderr, 2);
    const char *host = argv[i], *port = argv[i + 1];

    /* A connected socket: the kernel hands us only the server's datagrams. */
    int sock = net_connect(host, port, SOCK_DGRAM, err);
    if (sock < 0) {
        fprintf(stderr, "udp-ping: %s\n", err);
        return 1;
    }
    char *reply = malloc(MAX_DATAGRAM);
    if (reply == NULL) {
        fprintf(stderr, "udp-ping: allocating a buffer: %s\n", strerror(ENOMEM));
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct stats st = {0, 0};
    int rc = 0;
    for (long seq = 1; seq <= count && rc == 0; seq++)
        rc = ping_once(sock, seq, wait_ms, reply, &st);
    print_summary(host, port, &st);
    free(reply);
    close(sock);
    return rc == 0 && st.received > 0 ? 0 : 1;
}
