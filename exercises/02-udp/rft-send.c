/* rft-send - sends a file reliably over UDP to rft-recv.
 *
 *   rft-send [-w WINDOW] [-t MS] HOST PORT FILE
 *
 * Cuts FILE into DATA packets of 1024 bytes (see rft.h) and keeps up to
 * WINDOW of them (default 64) unacknowledged at a time.  A packet whose ACK
 * has not come MS milliseconds (default 50) after it was sent is sent again.
 * When every DATA is acknowledged, a FIN tells the receiver how many there
 * were, again until it is acknowledged.  Exit status 0 once the receiver has
 * acknowledged the FIN, 1 if it stops answering for 10 seconds.
 *
 * Exercise 3 of chapter 02: see README.md.  send_file() is yours to write;
 * the rest is given.
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

#define GIVE_UP_MS 10000 /* for task 4 */

struct transfer {
    int sock;
    const unsigned char *file;
    size_t size;
    uint32_t count;        /* DATA packets in all */
    uint32_t base;         /* the lowest one not yet acknowledged */
    bool *acked;
    long long *sent_at;    /* 0: never sent */
    long window, timeout_ms;
    long long last_ack_ms; /* when the receiver last said anything */
    unsigned long sent, resent;
};

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: rft-send [-w WINDOW] [-t MS] HOST PORT FILE\n"
                "Sends FILE reliably over UDP to rft-recv listening on HOST PORT.\n"
                "  -w WINDOW  packets in flight at most (default 64)\n"
                "  -t MS      retransmission timeout (default 50)\n");
    exit(status);
}

static int send_data(struct transfer *t, uint32_t seq)
{
    unsigned char packet[RFT_MAX_PACKET];
    size_t offset = (size_t)seq * RFT_PAYLOAD;
    size_t len = t->size - offset < RFT_PAYLOAD ? t->size - offset : RFT_PAYLOAD;
    size_t n = rft_encode(packet, RFT_DATA, seq, t->file + offset, len);

    if (t->sent_at[seq] != 0)
        t->resent++;
    t->sent++;
    t->sent_at[seq] = rft_now_ms();
    return rft_send(t->sock, packet, n, NULL, 0);
}

/* Moves the whole file, then the FIN.  Returns 0 when the receiver has
 * acknowledged the FIN, -1 otherwise. */
static int send_file(struct transfer *t)
{
    /* TODO: make this reliable (README.md, tasks 1 to 4).  As it is, every
     * DATA packet and the FIN go out once and nothing is ever waited for:
     * over a network that loses packets, that is a file with holes. */
    unsigned char fin[RFT_HEADER];
    for (uint32_t seq = 0; seq < t->count; seq++)
        if (send_data(t, seq) < 0)
            return -1;
    rft_encode(fin, RFT_FIN, t->count, NULL, 0);
    if (rft_send(t->sock, fin, sizeof fin, NULL, 0) < 0)
        return -1;
    fprintf(stderr, "rft-send: acknowledgements are not handled yet\n");
    return -1;
}

int main(int argc, char **argv)
{
    struct transfer t = {.window = 64, .timeout_ms = 50};
    char err[NET_ERR_LEN];
    int i = 1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    while (i + 1 < argc && (strcmp(argv[i], "-w") == 0 || strcmp(argv[i], "-t") == 0)) {
        long *target = argv[i][1] == 'w' ? &t.window : &t.timeout_ms;
        *target = net_parse_number(argv[i + 1], 1, 60000);
        if (*target < 0)
            usage(stderr, 2);
        i += 2;
    }
    if (argc - i != 3 || argv[i][0] == '-')
        usage(stderr, 2);
    const char *path = argv[i + 2];

    unsigned char *file = rft_read_file(path, &t.size);
    if (file == NULL) {
        fprintf(stderr, "rft-send: reading %s: %s\n", path, strerror(errno));
        return 1;
    }
    int rc = -1;
    t.file = file;
    t.count = (uint32_t)((t.size + RFT_PAYLOAD - 1) / RFT_PAYLOAD);
    t.acked = calloc(t.count + 1, sizeof *t.acked);
    t.sent_at = calloc(t.count + 1, sizeof *t.sent_at);
    t.sock = -1;
    if (t.size > (size_t)RFT_MAX_PACKETS * RFT_PAYLOAD)
        fprintf(stderr, "rft-send: %s: larger than %u packets\n", path, RFT_MAX_PACKETS);
    else if (t.acked == NULL || t.sent_at == NULL)
        fprintf(stderr, "rft-send: allocating: %s\n", strerror(ENOMEM));
    else if ((t.sock = net_connect(argv[i], argv[i + 1], SOCK_DGRAM, err)) < 0)
        fprintf(stderr, "rft-send: %s\n", err);
    else
        rc = send_file(&t);
    if (rc == 0)
        printf("sent %zu bytes in %u packets (%lu sent, %lu of them again)\n", t.size,
               t.count, t.sent, t.resent);
    if (t.sock >= 0)
        close(t.sock);
    free(file);
    free(t.acked);
    free(t.sent_at);
    return rc == 0 ? 0 : 1;
}
