/* udp-relay - a lossy relay that makes UDP's unreliability visible.
 *
 *   udp-relay [-s SEED] [-l LOSS] [-d DUP] [-o REORDER] [-D MS] [-j MS] [-v]
 *             [HOST] PORT SERVER-HOST SERVER-PORT
 *
 * Clients send to HOST PORT as if it were the server; the relay passes each
 * datagram on to SERVER-HOST SERVER-PORT and the server's answers back, but
 * on the way it drops LOSS percent of them, sends DUP percent twice, holds
 * REORDER percent back until the next datagram has overtaken them, and delays
 * every one by MS milliseconds (-D) plus up to MS more at random (-j).  Both
 * directions suffer alike.  The choices come from a random generator of its
 * own seeded with SEED, so the same traffic meets the same fate every run.
 * With -v it prints one line per datagram saying what it did.
 *
 * Loopback never loses a datagram unless a buffer overflows, so without a
 * program like this one a learner would never see what UDP does not promise.
 */
#include "net.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DATAGRAM 65536
#define MAX_CLIENTS 64
/* A datagram held back for reordering goes out anyway after this long, so
 * that the last one of a burst is late rather than lost. */
#define HOLD_LIMIT_MS 200
/* Datagrams waiting to be sent take at most this much memory; beyond it
 * the relay drops what comes, as a router with full buffers does. */
#define QUEUE_LIMIT (64u << 20)

enum direction { TO_SERVER, TO_CLIENT };

struct settings {
    uint64_t seed;
    double loss, duplicate, reorder; /* percentages */
    long delay_ms, jitter_ms;
    bool verbose;
    const char *host, *port, *server_host, *server_port;
};

/* splitmix64: a tiny generator whose whole state is one counter, so a seed
 * fixes every number it will ever return. */
struct rng {
    uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* True with the given probability, in percent. */
static bool rng_chance(struct rng *r, double percent)
{
    double uniform = (double)(rng_next(r) >> 11) / 9007199254740992.0; /* [0,1) */
    return uniform * 100.0 < percent;
}

/* One client, and the socket that speaks for it to the server: the server's
 * answers on that socket belong to that client and to nobody else. */
struct client {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int upstream; /* connected to the server; -1 for a free slot */
    int number;   /* 1, 2, ... in order of arrival, for the log */
};

/* A datagram waiting for its time to be sent. */
struct pending {
    struct pending *next;
    struct client *client;
    enum direction dir;
    long long due_ms;
    bool held;    /* waits until a later datagram has gone first */
    uint64_t arrival;
    size_t len;
    char data[];
};

struct relay {
    struct settings set;
    int front; /* the socket clients send to */
    struct client clients[MAX_CLIENTS];
    int clients_seen;
    struct rng rng[2];         /* one per direction, so that the fate of */
    unsigned long count[2];    /* each direction's traffic does not depend */
    uint64_t arrivals;         /* on how it interleaves with the other's */
    struct pending *queue;     /* in order of arrival */
    size_t queued_bytes;
    char *buf;
};

static void usage(FILE *to, int status)
{
    fprintf(to,
        "usage: udp-relay [OPTIONS] [HOST] PORT SERVER-HOST SERVER-PORT\n"
        "Relays UDP datagrams between clients and a server, losing, duplicating,\n"
        "delaying and reordering some of them on the way, in both directions.\n"
        "  -l PERCENT  drop this share of the datagrams (default 0)\n"
        "  -d PERCENT  send this share twice (default 0)\n"
        "  -o PERCENT  hold this share back until the next one has gone (default 0)\n"
        "  -D MS       delay every datagram by MS milliseconds (default 0)\n"
        "  -j MS       and by up to MS milliseconds more, at random (default 0)\n"
        "  -s SEED     seed of the random choices; the same seed, the same fates (default 1)\n"
        "  -v          print one line per datagram: what the relay did with it\n"
        "HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n");
    exit(status);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool parse_percent(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= 0.0 && v <= 100.0))
        return false;
    *out = v;
    return true;
}

static bool parse_ms(const char *text, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 0 || v > 60000)
        return false;
    *out = v;
    return true;
}

static bool parse_seed(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
        return false;
    *out = v;
    return true;
}

static void parse_command_line(int argc, char **argv, struct settings *set)
{
    int i = 1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    *set = (struct settings){.seed = 1};
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "-v") == 0) {
            set->verbose = true;
            continue;
        }
        if (opt[2] != '\0' || i + 1 == argc)
            usage(stderr, 2);
        const char *value = argv[++i];
        bool ok;
        switch (opt[1]) {
        case 'l': ok = parse_percent(value, &set->loss); break;
        case 'd': ok = parse_percent(value, &set->duplicate); break;
        case 'o': ok = parse_percent(value, &set->reorder); break;
        case 'D': ok = parse_ms(value, &set->delay_ms); break;
        case 'j': ok = parse_ms(value, &set->jitter_ms); break;
        case 's': ok = parse_seed(value, &set->seed); break;
        default: ok = false; break;
        }
        if (!ok)
            usage(stderr, 2);
    }
    int left = argc - i;
    if (left != 3 && left != 4)
        usage(stderr, 2);
    set->host = left == 4 ? argv[i++] : "127.0.0.1";
    set->port = argv[i];
    set->server_host = argv[i + 1];
    set->server_port = argv[i + 2];
}

/* ---- clients --------------------------------------------------------------- */

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

/* The client this address belongs to; a new one gets a socket of its own
 * towards the server.  When every slot is taken, the oldest client's slot is
 * reused: a relay for experiments needs no more than a few at a time. */
static struct client *find_client(struct relay *r, const struct sockaddr_storage *addr,
                                  socklen_t addr_len)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (r->clients[i].upstream >= 0 && same_address(&r->clients[i].addr, addr))
            return &r->clients[i];

    char err[NET_ERR_LEN], who[NET_ADDR_LEN];
    int upstream = net_connect(r->set.server_host, r->set.server_port, SOCK_DGRAM, err);
    if (upstream < 0) {
        fprintf(stderr, "udp-relay: %s\n", err);
        return NULL;
    }
    struct client *c = &r->clients[r->clients_seen % MAX_CLIENTS];
    if (c->upstream >= 0) {
        close(c->upstream);
        /* Its datagrams still queued now have nowhere to go. */
        for (struct pending *p = r->queue; p != NULL; p = p->next)
            if (p->client == c)
                p->client = NULL;
    }
    memcpy(&c->addr, addr, addr_len);
    c->addr_len = addr_len;
    c->upstream = upstream;
    c->number = ++r->clients_seen;
    if (r->set.verbose)
        printf("client %d is %s\n", c->number,
               net_format_address((struct sockaddr *)addr, who, sizeof who));
    return c;
}

/* ---- the fate of each datagram ------------------------------------------ */

static void log_fate(const struct relay *r, const struct client *c, enum direction dir,
                     size_t len, bool dropped, bool twice, long delay, bool held)
{
    if (!r->set.verbose)
        return;
    if (dir == TO_SERVER)
        printf("client %d -> server #%lu, %zu bytes: ", c->number, r->count[dir], len);
    else
        printf("server -> client %d #%lu, %zu bytes: ", c->number, r->count[dir], len);
    if (dropped) {
        printf("dropped\n");
        return;
    }
    printf("%s", twice ? "sent twice" : "sent");
    if (delay > 0)
        printf(", delayed %ld ms", delay);
    if (held)
        printf(", held back");
    printf("\n");
}

static void enqueue(struct relay *r, struct client *c, enum direction dir,
                    size_t len, long long due, bool held)
{
    struct pending *p = r->queued_bytes + len > QUEUE_LIMIT ? NULL : malloc(sizeof *p + len);
    if (p == NULL) {
        fprintf(stderr, "udp-relay: no room for a %zu-byte datagram: dropped\n", len);
        return;
    }
    r->queued_bytes += len;
    *p = (struct pending){.client = c, .dir = dir, .due_ms = due, .held = held,
                          .arrival = r->arrivals++, .len = len};
    memcpy(p->data, r->buf, len);
    struct pending **tail = &r->queue;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = p;
}

/* Decides what happens to the datagram just received into r->buf.  Every
 * datagram draws the same four numbers, whatever they decide, so that one
 * datagram's fate never shifts the choices made for the next one. */
static void decide(struct relay *r, struct client *c, enum direction dir, size_t len)
{
    struct rng *rng = &r->rng[dir];
    bool dropped = rng_chance(rng, r->set.loss);
    bool twice = rng_chance(rng, r->set.duplicate);
    bool held = rng_chance(rng, r->set.reorder);
    uint64_t extra = rng_next(rng) % (uint64_t)(r->set.jitter_ms + 1);
    long delay = r->set.delay_ms + (long)extra;

    r->count[dir]++;
    log_fate(r, c, dir, len, dropped, twice, delay, held);
    if (dropped)
        return;
    long long due = now_ms() + delay;
    enqueue(r, c, dir, len, due, held);
    if (twice)
        enqueue(r, c, dir, len, due, held);
}

/* ---- sending what is due ------------------------------------------------ */

static void transmit(struct relay *r, const struct pending *p)
{
    const struct client *c = p->client;
    ssize_t n;

    if (c == NULL)
        return;
    do {
        if (p->dir == TO_SERVER)
            n = send(c->upstream, p->data, p->len, 0);
        else
            n = sendto(r->front, p->data, p->len, 0, (const struct sockaddr *)&c->addr,
                       c->addr_len);
    } while (n < 0 && errno == EINTR);
    /* A lost datagram is what this program is for; an error sending one is
     * worth a line, never a reason to stop. */
    if (n < 0)
        fprintf(stderr, "udp-relay: sending to %s %d: %s\n",
                p->dir == TO_SERVER ? "the server for client" : "client", c->number,
                strerror(errno));
}

static void unlink_pending(struct relay *r, struct pending *p)
{
    struct pending **link = &r->queue;
    while (*link != p)
        link = &(*link)->next;
    *link = p->next;
    r->queued_bytes -= p->len;
    free(p);
}

/* When it is time for a held datagram to go out at last. */
static long long release_time(const struct pending *p)
{
    return p->held ? p->due_ms + HOLD_LIMIT_MS : p->due_ms;
}

/* Sends the first datagram that is due.  A datagram that goes out releases
 * the ones of its flow that were held back before it, just behind it: that
 * is the reordering.  Returns false when nothing is due yet. */
static bool send_one_due(struct relay *r, long long now)
{
    struct pending *p = r->queue;
    while (p != NULL && release_time(p) > now)
        p = p->next;
    if (p == NULL)
        return false;

    transmit(r, p);
    if (!p->held) {
        struct pending *q = r->queue;
        while (q != NULL) {
            struct pending *next = q->next;
            if (q->held && q->arrival < p->arrival && q->client == p->client &&
                q->dir == p->dir) {
                transmit(r, q);
                unlink_pending(r, q);
            }
            q = next;
        }
    }
    unlink_pending(r, p);
    return true;
}

static int next_timeout(const struct relay *r, long long now)
{
    long long first = -1;
    for (const struct pending *p = r->queue; p != NULL; p = p->next)
        if (first < 0 || release_time(p) < first)
            first = release_time(p);
    if (first < 0)
        return -1; /* nothing waiting: sleep until a datagram comes */
    return first <= now ? 0 : (int)(first - now);
}

/* ---- receiving ------------------------------------------------------------- */

static void receive_from_client(struct relay *r)
{
    struct sockaddr_storage addr;
    socklen_t addr_len = sizeof addr;
    ssize_t n = recvfrom(r->front, r->buf, MAX_DATAGRAM, 0, (struct sockaddr *)&addr,
                         &addr_len);
    if (n < 0) {
        if (errno != EINTR && errno != EAGAIN)
            fprintf(stderr, "udp-relay: receiving from clients: %s\n", strerror(errno));
        return;
    }
    struct client *c = find_client(r, &addr, addr_len);
    if (c != NULL)
        decide(r, c, TO_SERVER, (size_t)n);
}

static void receive_from_server(struct relay *r, struct client *c)
{
    ssize_t n = recv(c->upstream, r->buf, MAX_DATAGRAM, 0);
    if (n < 0) {
        /* ECONNREFUSED: the ICMP answer to a datagram sent while nobody
         * listened on the server's port. */
        if (errno != EINTR && errno != EAGAIN)
            fprintf(stderr, "udp-relay: receiving from the server for client %d: %s\n",
                    c->number, strerror(errno));
        return;
    }
    decide(r, c, TO_CLIENT, (size_t)n);
}

static void run(struct relay *r)
{
    struct pollfd fds[1 + MAX_CLIENTS];
    struct client *owner[1 + MAX_CLIENTS];

    for (;;) {
        while (send_one_due(r, now_ms()))
            continue;
        int n = 0;
        fds[n++] = (struct pollfd){r->front, POLLIN, 0};
        for (int i = 0; i < MAX_CLIENTS; i++) {
            if (r->clients[i].upstream >= 0) {
                owner[n] = &r->clients[i];
                fds[n++] = (struct pollfd){r->clients[i].upstream, POLLIN, 0};
            }
        }
        int ready = poll(fds, (nfds_t)n, next_timeout(r, now_ms()));
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "udp-relay: poll: %s\n", strerror(errno));
            exit(1);
        }
        if (fds[0].revents != 0)
            receive_from_client(r);
        for (int i = 1; i < n; i++)
            if (fds[i].revents != 0)
                receive_from_server(r, owner[i]);
    }
}

int main(int argc, char **argv)
{
    static struct relay r;
    char err[NET_ERR_LEN];

    parse_command_line(argc, argv, &r.set);
    net_exit_on_stop_signals();
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* Resolve the server once now, so a wrong name is an error at once. */
    int probe = net_connect(r.set.server_host, r.set.server_port, SOCK_DGRAM, err);
    if (probe < 0) {
        fprintf(stderr, "udp-relay: %s\n", err);
        return 1;
    }
    close(probe);

    r.buf = malloc(MAX_DATAGRAM);
    if (r.buf == NULL) {
        fprintf(stderr, "udp-relay: allocating a buffer: %s\n", strerror(ENOMEM));
        return 1;
    }
    for (int i = 0; i < MAX_CLIENTS; i++)
        r.clients[i].upstream = -1;
    r.rng[TO_SERVER].state = r.set.seed;
    r.rng[TO_CLIENT].state = r.set.seed ^ 0x5eed5eed5eed5eedu;
    r.front = net_listen_or_exit("udp-relay", r.set.host, r.set.port, SOCK_DGRAM);
    run(&r);
}
