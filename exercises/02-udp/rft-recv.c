/* rft-recv - receives a file sent reliably over UDP by rft-send.
 *
 *   rft-recv [HOST] PORT FILE
 *
 * Prints "listening on ADDR:PORT", then takes DATA packets (see rft.h) from
 * the first sender that sends a well-formed one, in any order and any
 * number of times, and acknowledges each.  When the FIN comes and every
 * DATA before it is there, writes FILE, acknowledges the FIN, prints one
 * line about the transfer, and exits 0 after a second in which nothing more
 * came: the ACK of the FIN may have been lost, and a sender that sends the
 * FIN again must still get an answer.
 *
 * Exercise 3 of chapter 02: see README.md.  take_data() and take_fin()
 * are yours to write; the rest is given.
 */
#include "net.h"
#include "rft.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINGER_MS 1000

struct reception {
    int sock;
    struct sockaddr_storage peer; /* the sender, once known */
    socklen_t peer_len;
    unsigned char *data;          /* packet seq at seq * RFT_PAYLOAD */
    size_t *lengths;              /* payload length by seq; 0 = not yet */
    bool *have;
    uint32_t capacity;            /* packets data, lengths and have can hold */
    uint32_t distinct;
    unsigned long duplicates, ignored;
    bool written;
};

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: rft-recv [HOST] PORT FILE\n"
                "Receives one file from rft-send and writes it to FILE.\n"
                "HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n");
    exit(status);
}

/* Prints "rft-recv: what: reason" and returns -1. */
static int fail(const char *what)
{
    fprintf(stderr, "rft-recv: %s: %s\n", what, strerror(errno));
    return -1;
}

static bool same_peer(const struct reception *r, const struct sockaddr_storage *from,
                      socklen_t from_len)
{
    return r->peer_len == from_len && memcmp(&r->peer, from, from_len) == 0;
}

/* Makes room for packet seq; false if memory ran out. */
static bool make_room(struct reception *r, uint32_t seq)
{
    if (seq < r->capacity)
        return true;
    uint32_t cap = r->capacity == 0 ? 256 : r->capacity;
    while (cap <= seq)
        cap *= 2;
    unsigned char *data = realloc(r->data, (size_t)cap * RFT_PAYLOAD);
    if (data == NULL)
        return false;
    r->data = data;
    size_t *lengths = realloc(r->lengths, cap * sizeof *lengths);
    if (lengths == NULL)
        return false;
    r->lengths = lengths;
    bool *have = realloc(r->have, cap * sizeof *have);
    if (have == NULL)
        return false;
    r->have = have;
    memset(r->have + r->capacity, 0, (cap - r->capacity) * sizeof *have);
    r->capacity = cap;
    return true;
}

static int acknowledge(struct reception *r, uint32_t seq)
{
    unsigned char ack[RFT_HEADER];
    rft_encode(ack, RFT_ACK, seq, NULL, 0);
    return rft_send(r->sock, ack, sizeof ack, (struct sockaddr *)&r->peer, r->peer_len);
}

/* Stores a DATA packet, once, and acknowledges it.  Returns 0, or -1 after
 * printing an error (fail() does both). */
static int take_data(struct reception *r, const struct rft_packet *p)
{
    /* TODO (README.md, tasks 1 and 3); make_room() and acknowledge() above
     * are there to help.  As it is, DATA is thrown away. */
    (void)r, (void)p, (void)make_room, (void)acknowledge;
    return 0;
}

/* Takes a FIN: once every DATA before it is here, writes the file (once),
 * prints the line README.md describes, and acknowledges the FIN.  Returns
 * 1 when the file is complete, 0 if it is not yet, -1 on an error. */
static int take_fin(struct reception *r, const struct rft_packet *p, const char *path)
{
    /* TODO (README.md, task 1).  As it is, nothing is ever written. */
    (void)r, (void)p, (void)path;
    return 0;
}

/* Handles one datagram: 1 the file is complete, 0 go on, -1 error. */
static int take_datagram(struct reception *r, const char *path)
{
    unsigned char buf[RFT_MAX_PACKET + 1];
    struct sockaddr_storage from;
    socklen_t from_len = sizeof from;

    ssize_t n = recvfrom(r->sock, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len);
    if (n < 0)
        return errno == EINTR ? 0 : fail("receiving");
    struct rft_packet p;
    if (!rft_decode(buf, (size_t)n, &p) || p.type == RFT_ACK) {
        r->ignored++; /* not a packet a sender sends: ignore, do not die */
        return 0;
    }
    if (r->peer_len == 0) {
        memcpy(&r->peer, &from, from_len);
        r->peer_len = from_len;
    } else if (!same_peer(r, &from, from_len)) {
        r->ignored++; /* a second sender would mix two files into one */
        return 0;
    }
    if (p.type == RFT_DATA)
        return take_data(r, &p) < 0 ? -1 : 0;
    return take_fin(r, &p, path);
}

static int receive_file(struct reception *r, const char *path)
{
    long long linger_until = -1;
    for (;;) {
        int wait_ms = -1;
        if (linger_until >= 0) {
            long long left = linger_until - rft_now_ms();
            if (left <= 0)
                return 0;
            wait_ms = (int)left;
        }
        struct pollfd pfd = {r->sock, POLLIN, 0};
        int ready = poll(&pfd, 1, wait_ms);
        if (ready < 0 && errno != EINTR)
            return fail("poll");
        if (ready <= 0)
            continue;
        int rc = take_datagram(r, path);
        if (rc < 0)
            return -1;
        /* Once complete, every packet (a FIN whose ACK was lost, most
         * likely) keeps the receiver around for another LINGER_MS. */
        if (rc == 1 || r->written)
            linger_until = rft_now_ms() + LINGER_MS;
    }
}

int main(int argc, char **argv)
{
    static struct reception r;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc < 3 || argc > 4 || argv[1][0] == '-')
        usage(stderr, 2);
    const char *host = argc == 4 ? argv[1] : "127.0.0.1";
    const char *port = argv[argc - 2], *path = argv[argc - 1];

    net_exit_on_stop_signals();
    setvbuf(stdout, NULL, _IOLBF, 0);
    r.sock = net_listen_or_exit("rft-recv", host, port, SOCK_DGRAM);
    int rc = receive_file(&r, path);
    free(r.data);
    free(r.lengths);
    free(r.have);
    return rc < 0 ? 1 : 0;
}
