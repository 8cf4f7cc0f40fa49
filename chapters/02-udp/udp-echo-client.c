/* udp-echo-client - sends one datagram to an echo server and prints the echo.
 *
 *   udp-echo-client [-t MS] [-r RETRIES] HOST PORT MESSAGE...
 *
 * UDP promises nothing: the datagram or its echo may be lost on the way, and
 * nobody tells the sender.  So the client waits MS milliseconds (default
 * 1000) for the echo and, if none came, sends the datagram again, up to
 * RETRIES more times (default 3).  It gives up after MS * (RETRIES + 1)
 * milliseconds at most.
 */
#include "net.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DATAGRAM 65536

struct options {
    long timeout_ms;
    long retries;
    const char *host;
    const char *port;
};

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: udp-echo-client [-t MS] [-r RETRIES] HOST PORT MESSAGE...\n"
                "Sends MESSAGE as one UDP datagram and prints the echo.\n"
                "  -t MS       wait MS milliseconds for each echo (default 1000)\n"
                "  -r RETRIES  send again up to RETRIES times (default 3)\n");
    exit(status);
}

static void parse_options(int argc, char **argv, struct options *opt, int *first_word)
{
    int i = 1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    opt->timeout_ms = 1000;
    opt->retries = 3;
    /* The options come first, each with its value as the next word. */
    while (i + 1 < argc && (strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "-r") == 0)) {
        if (argv[i][1] == 't')
            opt->timeout_ms = net_parse_number(argv[i + 1], 1, 3600000);
        else
            opt->retries = net_parse_number(argv[i + 1], 0, 1000);
        if (opt->timeout_ms < 0 || opt->retries < 0)
            usage(stderr, 2);
        i += 2;
    }
    if (argc - i < 3 || argv[i][0] == '-')
        usage(stderr, 2);
    opt->host = argv[i];
    opt->port = argv[i + 1];
    *first_word = i + 2;
}

/* Joins the words with single spaces into buf; returns the length, or -1 if
 * the message does not fit in one datagram. */
static ssize_t join_words(int count, char **words, char *buf)
{
    size_t len = 0;
    for (int i = 0; i < count; i++) {
        size_t n = strlen(words[i]);
        if (len + n + (i > 0) > MAX_DATAGRAM)
            return -1;
        if (i > 0)
            buf[len++] = ' ';
        memcpy(buf + len, words[i], n);
        len += n;
    }
    return (ssize_t)len;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until a datagram is ready or the deadline passes: 1, 0 or -1. */
static int wait_readable(int sock, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        struct pollfd pfd = {sock, POLLIN, 0};
        int n = poll(&pfd, 1, left > 0 ? (int)left : 0);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

/* One try: sends the message and waits up to timeout_ms for a datagram.
 * Returns the reply's length, -2 on a timeout, or -1 on an error (errno). */
static ssize_t try_once(int sock, const char *message, size_t len,
                        char *reply, long timeout_ms)
{
    /* send() on a connected UDP socket sends one datagram of exactly len
     * bytes, or fails: there are no partial sends of a datagram. */
    ssize_t sent;
    do
        sent = send(sock, message, len, 0);
    while (sent < 0 && errno == EINTR);
    if (sent < 0)
        return -1;

    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int ready = wait_readable(sock, deadline);
        if (ready < 0)
            return -1;
        if (ready == 0)
            return -2;
        ssize_t n = recv(sock, reply, MAX_DATAGRAM, 0);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -1;
    }
}

/* Sends the message, retrying as the options say, and prints the echo.
 * Returns the exit status. */
static int echo_with_retries(const struct options *opt, const char *message, size_t len,
                             char *reply)
{
    char err[NET_ERR_LEN];

    /* connect() on a UDP socket sends nothing: it only records the server
     * as the default destination, so send() and recv() need no address.
     * It also makes the kernel drop every datagram that does not come from
     * that address and port.  Anyone can send a datagram to our port (a
     * stray packet, a late answer meant for a program that had the port
     * before us, or someone forging replies), and only the server's counts
     * as the echo.  And it lets ICMP errors reach us, as ECONNREFUSED. */
    int sock = net_connect(opt->host, opt->port, SOCK_DGRAM, err);
    if (sock < 0) {
        fprintf(stderr, "udp-echo-client: %s\n", err);
        return 1;
    }

    ssize_t got = -2;
    for (long try = 0; try <= opt->retries && got == -2; try++)
        got = try_once(sock, message, len, reply, opt->timeout_ms);
    int status = 1;
    if (got == -2) {
        fprintf(stderr, "udp-echo-client: no reply from %s port %s after %ld tries "
                        "of %ld ms\n", opt->host, opt->port, opt->retries + 1,
                opt->timeout_ms);
    } else if (got < 0) {
        /* ECONNREFUSED: an ICMP "port unreachable" came back, so nobody
         * listens there; waiting for more tries would not help. */
        fprintf(stderr, "udp-echo-client: exchanging with %s port %s: %s\n", opt->host,
                opt->port, strerror(errno));
    } else {
        reply[got] = '\n';
        if (fwrite(reply, 1, (size_t)got + 1, stdout) == (size_t)got + 1 &&
            fflush(stdout) == 0)
            status = 0;
        else
            fprintf(stderr, "udp-echo-client: writing the reply: %s\n", strerror(errno));
    }
    close(sock);
    return status;
}

int main(int argc, char **argv)
{
    struct options opt;
    int first_word;

    parse_options(argc, argv, &opt, &first_word);
    char *message = malloc(MAX_DATAGRAM);
    char *reply = malloc(MAX_DATAGRAM + 1);
    int status = 1;
    ssize_t len = -1;
    if (message == NULL || reply == NULL)
        fprintf(stderr, "udp-echo-client: allocating buffers: %s\n", strerror(ENOMEM));
    else if ((len = join_words(argc - first_word, argv + first_word, message)) < 0)
        fprintf(stderr, "udp-echo-client: the message is longer than a datagram\n");
    else
        status = echo_with_retries(&opt, message, (size_t)len, reply);
    free(message);
    free(reply);
    return status;
}
