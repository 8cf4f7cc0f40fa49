/* echo-bench - many echo clients at once, in one thread; checks every byte.
 *
 *   echo-bench [-c CONNS] [-n MESSAGES] [-s SIZE] HOST PORT
 *   echo-bench [-c CONNS] [-n MESSAGES] [-s SIZE] -u PATH
 *
 * Opens CONNS connections (default 10) to an echo server, then on each one
 * sends a message of SIZE bytes (default 64), waits for all of it to come
 * back, compares it with what was sent, and sends the next, MESSAGES times
 * (default 1000).  Every connection has one message in flight, so the
 * figures measure round trips under load.  At the end prints one line:
 *
 *   conns=10 messages=10000 size=64 bytes=640000 seconds=0.215
 *   msgs_per_sec=46512 mbytes_per_sec=2.98 p50_us=190 p99_us=420 errors=0
 *
 * (on one line), where messages and bytes count what came back intact and
 * p50_us and p99_us are percentiles of the time from a message's first
 * byte sent to its last byte received.  Exits 1 if any byte came back wrong
 * or any connection failed, 2 on a wrong command line.
 *
 * With -u it connects to the stream Unix socket PATH ("@name": an abstract
 * one) instead, so that chapter 07 runs the same load over both.
 *
 * It is the client side of the chapter: a readiness loop like the servers'
 * (epoll, so Linux-specific).  Each connection is opened with chapter 01's
 * net_connect_timeout(), a nonblocking connect() with a deadline: connect()
 * returns EINPROGRESS at once, the socket turns writable when the handshake
 * ends, and getsockopt(SO_ERROR) then tells whether it succeeded.
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: echo-bench [-c CONNS] [-n MESSAGES] [-s SIZE] HOST PORT\n"
    "       echo-bench [-c CONNS] [-n MESSAGES] [-s SIZE] -u PATH\n"
    "Runs CONNS echo clients at once (default 10), each sending MESSAGES\n"
    "messages (default 1000) of SIZE bytes (default 64) and checking every\n"
    "byte of every echo; prints one line of key=value results.  -u: to the\n"
    "stream Unix socket PATH (\"@name\": abstract) instead of HOST PORT.\n";

/* A run that makes no progress at all for this long has failed, and so
 * has a connection not set up within it. */
#define STALL_MS 10000
/* Errors described one by one on stderr; the rest are only counted. */
#define ERRORS_SHOWN 5

enum state { WAITING, RUNNING, DONE };

struct conn {
    int fd;
    enum state state;
    unsigned index;     /* which connection: part of every message's bytes */
    unsigned long msg;  /* which message is in flight */
    size_t sent, got;   /* of the message in flight */
    uint32_t events;    /* what epoll watches for now */
    long long start_us; /* when the message in flight was first sent */
};

static struct {
    long conns, messages;
    size_t size;
    int epfd;
    struct conn *conn;
    unsigned char *pattern; /* size + 256 bytes; a message is a window of it */
    uint32_t *latency_us;   /* one per message echoed */
    unsigned long long echoed, bytes;
    long done, errors;
    long long last_progress_ms;
    const char *unix_path; /* -u: a Unix socket instead of HOST PORT */
} bench;

static void usage(FILE *to, int status)
{
    fputs(usage_text, to);
    exit(status);
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what)
{
    fprintf(stderr, "echo-bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static long parse_count(const char *text, long max)
{
    long value = net_parse_number(text, 1, max);
    if (value < 0)
        usage(stderr, 2);
    return value;
}

/* ---- messages ------------------------------------------------------------------- */

/* Message m of connection i is SIZE bytes of the pattern starting at an
 * offset that depends on both, so a byte echoed on the wrong connection or
 * out of order does not match. */
static const unsigned char *expected(const struct conn *c)
{
    return bench.pattern + (c->index * 31u + c->msg) % 256;
}

static void make_pattern(void)
{
    bench.pattern = malloc(bench.size + 256);
    if (bench.pattern == NULL)
        die("allocating the messages");
    uint32_t x = 2463534242u; /* xorshift32 */
    for (size_t i = 0; i < bench.size + 256; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bench.pattern[i] = (unsigned char)(x >> 24);
    }
}

/* ---- connections ---------------------------------------------------------------- */

static void set_events(struct conn *c, uint32_t events)
{
    if (events == c->events)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(bench.epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
        die("epoll_ctl");
    c->events = events;
}

static void finish(struct conn *c)
{
    close(c->fd);
    c->fd = -1;
    c->state = DONE;
    bench.done++;
}

static void fail(struct conn *c, const char *what, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct conn *c, const char *what, ...)
{
    if (bench.errors < ERRORS_SHOWN) {
        va_list ap;
        fprintf(stderr, "echo-bench: connection %u: ", c->index);
        va_start(ap, what);
        vfprintf(stderr, what, ap);
        va_end(ap);
        fputc('\n', stderr);
    } else if (bench.errors == ERRORS_SHOWN) {
        fprintf(stderr, "echo-bench: (further errors only counted)\n");
    }
    bench.errors++;
    finish(c);
}

/* Connects, then hands the socket, nonblocking, to epoll (with no events
 * asked for until every connection is up). */
static void open_connection(const char *host, const char *port, struct conn *c)
{
    char err[NET_ERR_LEN];
    c->fd = bench.unix_path != NULL
                ? net_unix_connect(bench.unix_path, SOCK_STREAM, err)
                : net_connect_timeout(host, port, SOCK_STREAM, STALL_MS, err);
    if (c->fd < 0) {
        fail(c, "%s", err);
        return;
    }
    /* Each message goes out in one send(); Nagle's algorithm would hold back
     * the tail of a large one until the first part is acknowledged. */
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = WAITING;
    c->events = 0;
    struct epoll_event ev = {.events = 0, .data.ptr = c};
    if (net_set_nonblocking(c->fd) < 0 || epoll_ctl(bench.epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        die("adding a connection to epoll");
}

/* ---- the echo ----------------------------------------------------------------- */

static void send_some(struct conn *c)
{
    if (c->sent == 0)
        c->start_us = now_us();
    while (c->sent < bench.size) {
        ssize_t n = send(c->fd, expected(c) + c->sent, bench.size - c->sent,
                         MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0) {
            fail(c, "send: %s", strerror(errno));
            return;
        }
        c->sent += (size_t)n;
    }
    /* Write interest only while part of the message is still to go. */
    set_events(c, c->sent < bench.size ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

static void message_done(struct conn *c)
{
    bench.latency_us[bench.echoed++] = (uint32_t)(now_us() - c->start_us);
    bench.bytes += bench.size;
    c->msg++;
    c->sent = c->got = 0;
    if (c->msg == (unsigned long)bench.messages)
        finish(c);
    else
        send_some(c);
}

static void receive_some(struct conn *c)
{
    static unsigned char buf[64 * 1024];
    size_t want = bench.size - c->got;
    ssize_t n = recv(c->fd, buf, want < sizeof buf ? want : sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n < 0) {
        fail(c, "recv: %s", strerror(errno));
        return;
    }
    if (n == 0) {
        fail(c, "the server closed the connection in message %lu", c->msg);
        return;
    }
    if ((size_t)n > bench.size - c->got || c->got + (size_t)n > c->sent) {
        fail(c, "more bytes came back than were sent in message %lu", c->msg);
        return;
    }
    const unsigned char *want_bytes = expected(c) + c->got;
    if (memcmp(buf, want_bytes, (size_t)n) != 0) {
        size_t i = 0;
        while (buf[i] == want_bytes[i])
            i++;
        fail(c, "byte %zu of message %lu is 0x%02x, expected 0x%02x", c->got + i,
             c->msg, buf[i], want_bytes[i]);
        return;
    }
    c->got += (size_t)n;
    if (c->got == bench.size)
        message_done(c);
}

static void on_event(struct conn *c, uint32_t events)
{
    if (c->state != RUNNING)
        return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        receive_some(c);
    if (c->state == RUNNING && (events & EPOLLOUT))
        send_some(c);
}

/* ---- the run -------------------------------------------------------------------- */

/* Handles events until everything is DONE; false if nothing moved for
 * STALL_MS. */
static bool pump(void)
{
    struct epoll_event events[256];
    long long idle_since = now_us() / 1000;
    long progress_mark = -1;

    for (;;) {
        if (bench.done == bench.conns)
            return true;
        long mark = bench.done + (long)bench.echoed;
        long long now = now_us() / 1000;
        if (mark != progress_mark) {
            progress_mark = mark;
            idle_since = now;
        } else if (now - idle_since > STALL_MS) {
            return false;
        }
        int n = epoll_wait(bench.epfd, events, 256, 1000);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++)
            on_event(events[i].data.ptr, events[i].events);
    }
}

static void fail_stalled(enum state which, const char *doing)
{
    for (long i = 0; i < bench.conns; i++)
        if (bench.conn[i].state == which)
            fail(&bench.conn[i], "no progress for %d s %s", STALL_MS / 1000, doing);
}

/* Each connection needs a descriptor: raise the soft limit up to the hard
 * one if the default (often 1024) is too low. */
static void make_room_for(long conns)
{
    struct rlimit lim;
    rlim_t need = (rlim_t)conns + 16;
    if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
        die("getrlimit");
    if (lim.rlim_cur >= need)
        return;
    lim.rlim_cur = lim.rlim_max < need ? lim.rlim_max : need;
    if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
        die("setrlimit");
    if (lim.rlim_cur < need) {
        fprintf(stderr, "echo-bench: %ld connections need %llu descriptors; "
                        "the hard limit is %llu\n",
                conns, (unsigned long long)need, (unsigned long long)lim.rlim_max);
        exit(1);
    }
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint32_t percentile(int p)
{
    if (bench.echoed == 0)
        return 0;
    unsigned long long i = (bench.echoed - 1) * (unsigned long long)p / 100;
    return bench.latency_us[i];
}

static void parse_args(int argc, char **argv, const char **host, const char **port)
{
    bench.conns = 10;
    bench.messages = 1000;
    bench.size = 64;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0)
            usage(stdout, 0);
    int opt;
    while ((opt = getopt(argc, argv, "+c:n:s:u:")) != -1) {
        switch (opt) {
        case 'c': bench.conns = parse_count(optarg, 1000000); break;
        case 'n': bench.messages = parse_count(optarg, 1000000000); break;
        case 's': bench.size = (size_t)parse_count(optarg, 64L << 20); break;
        case 'u': bench.unix_path = optarg; break;
        default: usage(stderr, 2);
        }
    }
    if (argc - optind != (bench.unix_path != NULL ? 0 : 2))
        usage(stderr, 2);
    *host = bench.unix_path != NULL ? NULL : argv[optind];
    *port = bench.unix_path != NULL ? NULL : argv[optind + 1];
}

int main(int argc, char **argv)
{
    const char *host, *port;

    opterr = 0; /* a wrong option prints the usage, not getopt's message */
    parse_args(argc, argv, &host, &port);
    unsigned long long total = (unsigned long long)bench.conns * (unsigned long)bench.messages;
    if (total > 200000000ULL) {
        fprintf(stderr, "echo-bench: %ld x %ld messages is more than this tool "
                        "keeps timings for\n", bench.conns, bench.messages);
        return 2;
    }
    make_room_for(bench.conns);
    make_pattern();
    bench.conn = calloc((size_t)bench.conns, sizeof *bench.conn);
    bench.latency_us = malloc(total * sizeof *bench.latency_us);
    bench.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (bench.conn == NULL || bench.latency_us == NULL)
        die("allocating");
    if (bench.epfd < 0)
        die("epoll_create1");

    /* Phase 1: every connection, one after the other. */
    for (long i = 0; i < bench.conns; i++) {
        bench.conn[i].index = (unsigned)i;
        open_connection(host, port, &bench.conn[i]);
    }

    /* Phase 2: the clock starts when all are up; the first message of
     * each goes out at once. */
    long long start = now_us();
    for (long i = 0; i < bench.conns; i++) {
        if (bench.conn[i].state == WAITING) {
            bench.conn[i].state = RUNNING;
            send_some(&bench.conn[i]);
        }
    }
    if (!pump())
        fail_stalled(RUNNING, "echoing");
    double seconds = (double)(now_us() - start) / 1e6;
    if (seconds <= 0)
        seconds = 1e-6;

    qsort(bench.latency_us, bench.echoed, sizeof *bench.latency_us, compare_u32);
    printf("conns=%ld messages=%llu size=%zu bytes=%llu seconds=%.3f "
           "msgs_per_sec=%.0f mbytes_per_sec=%.2f p50_us=%u p99_us=%u errors=%ld\n",
           bench.conns, bench.echoed, bench.size, bench.bytes, seconds,
           (double)bench.echoed / seconds, (double)bench.bytes / seconds / 1e6,
           percentile(50), percentile(99), bench.errors);
    free(bench.conn);
    free(bench.latency_us);
    free(bench.pattern);
    close(bench.epfd);
    return bench.errors > 0 ? 1 : 0;
}
