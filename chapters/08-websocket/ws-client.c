/* ws-client - a WebSocket client (RFC 6455) for the terminal and for tests.
 *
 * Connects to a ws:// URL.  Each line read from stdin goes out as a text
 * message, and each message received is printed as a line; at the end of
 * stdin the client closes with 1000 and waits for the server's close.
 * With --echo it sends every message it receives back with its own opcode,
 * until the server closes: the client side of a conformance test.
 *
 * stdin is read by a second thread, which hands each line to the event
 * loop with ev_post(): the loop itself never waits on the terminal.
 */
#include "evloop.h"
#include "net.h"
#include "ws.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE                                                                          \
    "usage: ws-client [--echo] [--max-message BYTES] URL\n"                             \
    "Connects to a ws:// URL.  Each stdin line is sent as a text message and each\n"    \
    "message received is printed as a line; at the end of stdin the client closes.\n"   \
    "--echo sends every message received back with its opcode, until the server\n"     \
    "closes.  Messages larger than BYTES (default 16777216) are refused with close\n"   \
    "code 1009.  Exit status 0 after a clean closing handshake (1000, 1001 or no\n"     \
    "status code), 1 otherwise.\n"

struct client {
    struct ev_loop *loop;
    struct ws *ws;       /* NULL once the connection is gone */
    bool echo;
    int exit_status;
};

static struct client client;

/* ---- stdin, on its own thread ------------------------------------------------------ */

struct line {
    char *text;
    size_t len;
};

static void send_line(void *arg)
{
    struct line *line = arg;
    if (client.ws != NULL)
        ws_send(client.ws, WS_TEXT, line->text, line->len);
    free(line->text);
    free(line);
}

static void stdin_ended(void *arg)
{
    (void)arg;
    if (client.ws != NULL)
        ws_close(client.ws, WS_CLOSE_NORMAL, NULL);
}

static void *read_stdin(void *arg)
{
    (void)arg;
    char *text = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&text, &cap, stdin)) >= 0) {
        struct line *line = malloc(sizeof *line);
        if (line == NULL)
            break;
        if (n > 0 && text[n - 1] == '\n')
            n--;
        line->len = (size_t)n;
        line->text = text; /* handed over: getline allocates a new one */
        text = NULL;
        cap = 0;
        if (ev_post(client.loop, send_line, line) < 0) {
            free(line->text);
            free(line);
            break;
        }
    }
    free(text);
    ev_post(client.loop, stdin_ended, NULL);
    return NULL;
}

/* ---- the connection ------------------------------------------------------------------ */

static void on_open(struct ws *ws)
{
    (void)ws;
    if (client.echo)
        return;
    pthread_t reader;
    int err = pthread_create(&reader, NULL, read_stdin, NULL);
    if (err != 0) {
        fprintf(stderr, "ws-client: starting the stdin reader: %s\n", strerror(err));
        ws_close(ws, WS_CLOSE_INTERNAL_ERROR, NULL);
        return;
    }
    pthread_detach(reader);
}

static void on_message(struct ws *ws, enum ws_opcode opcode, const char *data, size_t len)
{
    if (client.echo) {
        ws_send(ws, opcode, data, len);
        return;
    }
    fwrite(data, 1, len, stdout);
    putchar('\n');
    fflush(stdout);
}

static void on_close(struct ws *ws, int code, const char *reason)
{
    client.ws = NULL;
    bool normal = code == WS_CLOSE_NORMAL || code == WS_CLOSE_GOING_AWAY ||
                  code == WS_CLOSE_NO_STATUS;
    if (ws_closed_cleanly(ws) && normal) {
        client.exit_status = 0;
    } else if (code == WS_CLOSE_ABNORMAL) {
        fprintf(stderr, "ws-client: connection lost: %s\n",
                *reason ? reason : "closed without a closing handshake");
    } else {
        fprintf(stderr, "ws-client: connection closed: %d%s%s\n", code, *reason ? " " : "",
                reason);
    }
    ev_stop(client.loop);
}

static const struct ws_handlers handlers = {
    .on_open = on_open,
    .on_message = on_message,
    .on_close = on_close,
};

/* ---- main ------------------------------------------------------------------------------ */

static void usage_error(void)
{
    fputs(USAGE, stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    struct ws_options options = {0};
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(USAGE, stdout);
            return 0;
        } else if (strcmp(argv[i], "--echo") == 0) {
            client.echo = true;
        } else if (strcmp(argv[i], "--max-message") == 0 && i + 1 < argc) {
            long bytes = net_parse_number(argv[++i], 1, 1L << 30);
            if (bytes < 0)
                usage_error();
            options.max_message = (size_t)bytes;
        } else {
            usage_error();
        }
    }
    if (argc - i != 1)
        usage_error();

    char err[EV_ERR_LEN];
    client.loop = ev_loop_new(err);
    if (client.loop == NULL) {
        fprintf(stderr, "ws-client: %s\n", err);
        return 1;
    }
    client.exit_status = 1;
    client.ws = ws_connect(client.loop, argv[i], &handlers, &options, NULL, err);
    if (client.ws == NULL) {
        fprintf(stderr, "ws-client: %s\n", err);
        return 1;
    }
    if (ev_run(client.loop) < 0)
        fprintf(stderr, "ws-client: waiting for events: %s\n", strerror(errno));
    /* The stdin thread may still be waiting for a line: the process ends
     * without freeing the loop it posts to. */
    fflush(stdout);
    exit(client.exit_status);
}
