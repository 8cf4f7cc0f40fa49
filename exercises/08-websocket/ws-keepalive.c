/* ws-keepalive - a WebSocket echo server that finds dead peers.
 *
 *     ws-keepalive [--interval MS] [--timeout MS] [HOST] PORT
 *
 * A peer that vanished without a word (its machine lost power, a NAT
 * forgot the connection) sends no FIN and no RST: its connection looks
 * idle, for ever.  So every INTERVAL milliseconds (default 30000) the
 * server pings each client (RFC 6455 §5.5.2), and a client that has not
 * answered with a pong (§5.5.3) TIMEOUT milliseconds (default 10000) after
 * a ping is taken for dead: its connection is dropped at once, with no
 * closing handshake (there is nobody to answer it).  Every message is
 * echoed, as ws-server's echo service does.
 *
 * Exercise 3 of chapter 08: fill in the parts marked TODO.
 */
#include "evloop.h"
#include "net.h"
#include "serve.h"
#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE                                                                          \
    "usage: ws-keepalive [--interval MS] [--timeout MS] [HOST] PORT\n"                  \
    "A WebSocket echo server that pings every client each MS of --interval\n"           \
    "(default 30000) and drops one that has not answered a ping within the\n"           \
    "--timeout (default 10000).\n"

static long interval_ms = 30000, timeout_ms = 10000;

/* What the server keeps for each client. */
struct peer {
    struct ws *ws;
    uint32_t pings_sent;   /* the payload of the last ping: its number */
    uint64_t deadline;     /* the timer waiting for its pong, or 0 */
};

/* ---- keep-alive ------------------------------------------------------------------ */

/* TODO (exercise 3): keep-alive.  Write three functions:
 *   - a connection timer (ev_conn_timer_add) that runs every interval_ms
 *     and sends a ping (ws_ping) whose payload is the ping's number, unless
 *     the peer still owes the pong of the previous one;
 *   - a second timer, started with each ping, that drops the connection
 *     (ev_close_now) if the pong has not come within timeout_ms;
 *   - on_pong, which cancels that second timer (ev_conn_timer_cancel) when
 *     the pong carries the number of the last ping.
 * Then start the first timer in on_open, and add on_pong to the handlers. */

static void on_open(struct ws *ws)
{
    struct peer *p = calloc(1, sizeof *p);
    if (p == NULL) {
        ws_close(ws, WS_CLOSE_INTERNAL_ERROR, "out of memory");
        return;
    }
    p->ws = ws;
    ws_set_user(ws, p);
    /* TODO (exercise 3): start the ping timer here. */
}

/* ---- the echo service --------------------------------------------------------------- */

static void on_message(struct ws *ws, enum ws_opcode opcode, const char *data, size_t len)
{
    ws_send(ws, opcode, data, len);
}

static void on_close(struct ws *ws, int code, const char *reason)
{
    (void)code;
    (void)reason;
    free(ws_user(ws)); /* its timers are gone with the connection */
}

static const struct ws_handlers echo = {
    .on_open = on_open,
    .on_message = on_message,
    .on_close = on_close,
};

/* The opening handshake is the library's (ws_upgrade_handlers in main): a
 * server that speaks only WebSocket has no HTTP of its own to write. */
static const struct ws_service echo_service = {.handlers = &echo};

static void usage_error(void)
{
    fputs(USAGE, stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    int i = 1;
    while (i + 1 < argc && (strcmp(argv[i], "--interval") == 0 || strcmp(argv[i], "--timeout") == 0)) {
        long ms = net_parse_number(argv[i + 1], 1, 86400000);
        if (ms < 0)
            usage_error();
        if (strcmp(argv[i], "--interval") == 0)
            interval_ms = ms;
        else
            timeout_ms = ms;
        i += 2;
    }
    argv[i - 1] = argv[0];
    const char *host, *port;
    serve_parse_args(argc - (i - 1), argv + (i - 1), USAGE, &host, &port);

    char err[EV_ERR_LEN];
    struct ev_loop *loop = ev_loop_new(err);
    if (loop == NULL) {
        fprintf(stderr, "ws-keepalive: %s\n", err);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int listener = serve_listen("ws-keepalive", host, port);
    if (ev_listen(loop, listener, &ws_upgrade_handlers, (void *)&echo_service) < 0) {
        perror("ws-keepalive: watching the listening socket");
        return 1;
    }
    int status = ev_run(loop);
    ev_loop_free(loop);
    return status < 0 ? 1 : 0;
}
