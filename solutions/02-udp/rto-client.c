/* rto-client - an echo client whose timeout adapts to the round-trip time.
 *
 *   rto-client [-c COUNT] HOST PORT
 *
 * Sends COUNT probes (default 10) to a UDP echo server, one after another.
 * Each probe waits for its echo for the current retransmission timeout
 * (RTO) and is sent again when it expires, up to 6 times in all.  The RTO
 * is computed as TCP computes its own (RFC 6298), from the round-trip times
 * measured on the way; one line per event shows the estimates:
 *
 *     probe 1: rtt=100.4 ms srtt=100.4 ms rttvar=50.2 ms rto=301.2 ms
 *     probe 2: timeout, rto=602.4 ms
 *     probe 2: echo after 2 tries, no rtt sample, rto=602.4 ms
 *     probe 3: gave up after 6 tries
 *
 * Exit status 0 if every probe was answered, 1 otherwise.
 *
 * Exercise 2 of chapter 02: see README.md.
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

#define MAX_TRIES 6

/* RFC 6298's constants, in milliseconds where they are times. */
#define INITIAL_RTO 1000.0 /* section 2.1 */
#define ALPHA (1.0 / 8)
#define BETA (1.0 / 4)
#define K 4.0
#define G 1.0        /* clock granularity; our clock is finer, 1 ms is a floor */
#define MIN_RTO 200.0 /* the RFC asks for 1 s; Linux, like many, uses 200 ms */
#define MAX_RTO 60000.0

struct rto_state {
    bool have_sample; /* false until the first RTT measurement */
    double srtt;      /* smoothed round-trip time */
    double rttvar;    /* round-trip time variation */
    double rto;       /* the current retransmission timeout */
};

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: rto-client [-c COUNT] HOST PORT\n"
                "Sends COUNT probes (default 10) to a UDP echo server with a timeout\n"
                "computed from the measured round-trip times (RFC 6298).\n");
    exit(status);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static double clamp_rto(double rto)
{
    return rto < MIN_RTO ? MIN_RTO : rto > MAX_RTO ? MAX_RTO : rto;
}

/* RFC 6298, sections 2.2 and 2.3: a new round-trip time measurement R. */
static void rto_on_sample(struct rto_state *s, double r)
{
    if (!s->have_sample) {
        s->srtt = r;
        s->rttvar = r / 2;
        s->have_sample = true;
    } else {
        /* RTTVAR first: it uses the SRTT from before this sample. */
        double diff = s->srtt - r;
        s->rttvar = (1 - BETA) * s->rttvar + BETA * (diff < 0 ? -diff : diff);
        s->srtt = (1 - ALPHA) * s->srtt + ALPHA * r;
    }
    double spread = K * s->rttvar;
    s->rto = clamp_rto(s->srtt + (spread > G ? spread : G));
}

/* RFC 6298, section 5.5: when the timer expires, back off by doubling. */
static void rto_on_timeout(struct rto_state *s)
{
    s->rto = clamp_rto(s->rto * 2);
}

/* Waits for the echo of probe until the deadline: 1 the echo came, 0 the
 * deadline passed, -1 an error.  Anything else that arrives is ignored. */
static int wait_for_echo(int sock, const char *probe, size_t len, double deadline)
{
    char reply[64];
    for (;;) {
        double left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {sock, POLLIN, 0};
        int n = poll(&pfd, 1, (int)left + 1);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n <= 0)
            continue;
        ssize_t got = recv(sock, reply, sizeof reply, 0);
        if (got < 0 && errno != EINTR)
            return -1;
        if (got == (ssize_t)len && memcmp(reply, probe, len) == 0)
            return 1;
    }
}

/* One probe, sent up to MAX_TRIES times: 0 answered, 1 not, -1 error. */
static int send_probe(int sock, long number, struct rto_state *s)
{
    char probe[48];
    int len = snprintf(probe, sizeof probe, "rto-client %ld probe %ld", (long)getpid(),
                       number);

    for (int tries = 1; tries <= MAX_TRIES; tries++) {
        double sent_at = now_ms();
        if (send(sock, probe, (size_t)len, 0) < 0) {
            fprintf(stderr, "rto-client: sending: %s\n", strerror(errno));
            return -1;
        }
        int got = wait_for_echo(sock, probe, (size_t)len, sent_at + s->rto);
        if (got < 0) {
            /* ECONNREFUSED: nobody listens there at all. */
            fprintf(stderr, "rto-client: receiving: %s\n", strerror(errno));
            return -1;
        }
        if (got == 1 && tries == 1) {
            double rtt = now_ms() - sent_at;
            rto_on_sample(s, rtt);
            printf("probe %ld: rtt=%.1f ms srtt=%.1f ms rttvar=%.1f ms rto=%.1f ms\n",
                   number, rtt, s->srtt, s->rttvar, s->rto);
            return 0;
        }
        if (got == 1) {
            /* Karn's algorithm: the echo may answer any of the copies sent,
             * so the time it took measures nothing.  The backed-off RTO
             * stays until a probe sent only once is answered. */
            printf("probe %ld: echo after %d tries, no rtt sample, rto=%.1f ms\n", number,
                   tries, s->rto);
            return 0;
        }
        rto_on_timeout(s);
        printf("probe %ld: timeout, rto=%.1f ms\n", number, s->rto);
    }
    printf("probe %ld: gave up after %d tries\n", number, MAX_TRIES);
    return 1;
}

int main(int argc, char **argv)
{
    long count = 10;
    int i = 1;
    char err[NET_ERR_LEN];

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc > 2 && strcmp(argv[1], "-c") == 0) {
        char *end;
        count = strtol(argv[2], &end, 10);
        if (*end != '\0' || end == argv[2] || count < 1 || count > 100000)
            usage(stderr, 2);
        i = 3;
    }
    if (argc - i != 2 || argv[i][0] == '-')
        usage(stderr, 2);

    int sock = net_connect(argv[i], argv[i + 1], SOCK_DGRAM, err);
    if (sock < 0) {
        fprintf(stderr, "rto-client: %s\n", err);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct rto_state s = {false, 0, 0, INITIAL_RTO};
    int status = 0;
    for (long n = 1; n <= count; n++) {
        int rc = send_probe(sock, n, &s);
        if (rc < 0)
            return 1;
        status |= rc;
    }
    close(sock);
    return status;
}
