/* ws-bench - many WebSocket echo clients at once, in one thread; checks
 * every byte that comes back.
 *
 *   ws-bench [-c CONNS] [-n MESSAGES] [-s SIZE] [-i SECONDS] URL
 *
 * Opens CONNS connections (default 10) to an echo service at URL, then on
 * each one sends a binary message of SIZE bytes (default 64), waits for its
 * echo, compares it with what was sent, and sends the next, MESSAGES times
 * (default 1000): one message in flight per connection, as chapter 03's
 * echo-bench does.  At the end it prints one line of key=value pairs:
 *
 *   conns=100 messages=100000 size=64 bytes=6400000 seconds=0.95
 *   msgs_per_sec=105263 mbytes_per_sec=6.74 errors=0
 *
 * (on one line).  With -i it sends nothing: it opens CONNS connections,
 * prints "open=CONNS" once every handshake has succeeded, holds them for
 * SECONDS, and closes them all: the idle-connections benchmark.  Exit
 * status 1 if any byte came back wrong or any connection failed, 2 on a
 * wrong command line.
 */
#include "evloop.h"
#include "net.h"
#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USAGE "usage: ws-bench [-c CONNS] [-n MESSAGES] [-s SIZE] [-i SECONDS] URL\n"

struct bench {
    struct ev_loop *loop;
    long conns, messages, size, idle_seconds;
    char *payload;
    long opened, closed, done, errors;
    long long received;       /* messages echoed intact */
    double start;
    const char *url;
    struct ws_options options;
    long started;             /* connections opened so far */
};

static struct bench b;

/* Messages still to send on one connection. */
struct client {
    long left;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long close_all(struct ev_loop *loop, void *arg);

static void on_open(struct ws *ws)
{
    if (++b.opened == 1)
        b.start = now();
    if (b.idle_seconds > 0) {
        if (b.opened == b.conns) {
            printf("open=%ld\n", b.opened);
            fflush(stdout);
            ev_timer_add(b.loop, b.idle_seconds * 1000, close_all, NULL);
        }
        return;
    }
    ws_send(ws, WS_BINARY, b.payload, (size_t)b.size);
}

static void on_message(struct ws *ws, enum ws_opcode opcode, const char *data, size_t len)
{
    struct client *cl = ws_user(ws);
    if (opcode != WS_BINARY || len != (size_t)b.size || memcmp(data, b.payload, len) != 0) {
        b.errors++;
        ws_close(ws, WS_CLOSE_NORMAL, NULL);
        return;
    }
    b.received++;
    if (--cl->left > 0)
        ws_send(ws, WS_BINARY, b.payload, (size_t)b.size);
    else
        ws_close(ws, WS_CLOSE_NORMAL, NULL);
}

static void on_close(struct ws *ws, int code, const char *reason)
{
    struct client *cl = ws_user(ws);
    /* In the idle benchmark only the opening counts: 10,000 closing
     * handshakes at once may outlast the close timeout. */
    if (b.idle_seconds == 0 && (code != WS_CLOSE_NORMAL || cl->left > 0)) {
        fprintf(stderr, "ws-bench: a connection closed: %d %s\n", code, reason);
        b.errors++;
    }
    free(cl);
    if (++b.closed == b.conns)
        ev_stop(b.loop);
}

static const struct ws_handlers handlers = {
    .on_open = on_open,
    .on_message = on_message,
    .on_close = on_close,
};

/* The idle benchmark's end: close every connection. */
static long close_all(struct ev_loop *loop, void *arg)
{
    (void)arg;
    for (struct ev_conn *c = ev_first(loop); c != NULL; c = ev_next(c))
        ws_close(ev_data(c), WS_CLOSE_NORMAL, NULL);
    return EV_TIMER_DONE;
}

/* Opens the next batch of connections; runs again until all are open. */
static long open_batch(struct ev_loop *loop, void *arg)
{
    (void)arg;
    char err[EV_ERR_LEN];
    for (int k = 0; k < 100 && b.started < b.conns; k++, b.started++) {
        struct client *cl = malloc(sizeof *cl);
        if (cl == NULL || ws_connect(loop, b.url, &handlers, &b.options, cl, err) == NULL) {
            fprintf(stderr, "ws-bench: %s\n", cl ? err : "out of memory");
            free(cl);
            b.errors++;
            ev_stop(loop);
            return EV_TIMER_DONE;
        }
        cl->left = b.messages;
    }
    return b.started < b.conns ? 1 : EV_TIMER_DONE;
}

static long option(const char *text, long min, long max)
{
    long value = net_parse_number(text, min, max);
    if (value < 0) {
        fputs(USAGE, stderr);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv)
{
    b.conns = 10;
    b.messages = 1000;
    b.size = 64;
    int i = 1;
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "-c") == 0)
            b.conns = option(argv[i + 1], 1, 100000);
        else if (strcmp(argv[i], "-n") == 0)
            b.messages = option(argv[i + 1], 1, 1000000000);
        else if (strcmp(argv[i], "-s") == 0)
            b.size = option(argv[i + 1], 0, 1L << 28);
        else if (strcmp(argv[i], "-i") == 0)
            b.idle_seconds = option(argv[i + 1], 1, 3600);
        else
            i = argc; /* unknown option: usage below */
    }
    if (argc - i != 1) {
        fputs(USAGE, stderr);
        return 2;
    }
    b.payload = malloc((size_t)b.size + 1);
    char err[EV_ERR_LEN];
    b.loop = ev_loop_new(err);
    if (b.payload == NULL || b.loop == NULL) {
        fprintf(stderr, "ws-bench: %s\n", b.loop ? "out of memory" : err);
        return 1;
    }
    for (long k = 0; k < b.size; k++)
        b.payload[k] = (char)(k * 7 + 3);
    b.url = argv[i];
    b.options.max_message = (size_t)b.size + 1;
    b.options.handshake_timeout_ms = 60000;
    /* Connections are opened in batches from a loop timer, so that the
     * handshakes of the first ones go out while later ones connect. */
    ev_timer_add(b.loop, 1, open_batch, NULL);
    ev_run(b.loop);
    double seconds = now() - b.start;
    if (b.idle_seconds == 0) {
        double bytes = (double)b.received * (double)b.size;
        printf("conns=%ld messages=%lld size=%ld bytes=%.0f seconds=%.3f msgs_per_sec=%.0f "
               "mbytes_per_sec=%.2f errors=%ld\n",
               b.conns, b.received, b.size, bytes, seconds, (double)b.received / seconds,
               bytes / seconds / 1e6, b.errors);
    }
    ev_loop_free(b.loop);
    free(b.payload);
    return b.errors > 0 ? 1 : 0;
}
