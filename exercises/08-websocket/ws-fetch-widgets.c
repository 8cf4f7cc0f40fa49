/* ws-fetch-widgets - the properties of many widgets, with a limit on the
 * requests in flight.
 *
 *   ws-fetch-widgets [--max-in-flight N] [--timeout MS] URL WIDGET...
 *
 * Sends GetWidgetProperties for every WIDGET to the /inspect service at URL,
 * never more than N at a time (default 8): the others wait in order, and
 * each reply that comes frees a place for the next.  A client that sent a
 * thousand requests at once would make the server hold a thousand answers
 * in memory, and wait in line behind its own requests; a limit keeps the
 * pipeline full without flooding it.
 *
 * Prints each widget's properties as one line of JSON, in the order of the
 * arguments, once all have been answered; a widget that could not be
 * fetched gets a line on stderr instead.  Exit 0 when every widget was
 * fetched, 1 otherwise, 2 on a wrong command line.
 */
#include "json.h"
#include "net.h"
#include "rpc.h"
#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: ws-fetch-widgets [--max-in-flight N] [--timeout MS] URL WIDGET...\n"
    "Fetches the properties of every WIDGET from the /inspect service at URL\n"
    "with at most N requests in flight (default 8), and prints them as JSON,\n"
    "one line each, in the order given.  MS is each request's deadline\n"
    "(default 5000).\n";

static struct {
    long max_in_flight, timeout_ms;
    char **widgets;   /* from the command line */
    size_t count;
    size_t next;      /* the first widget not asked for yet */
    size_t ended;     /* requests that have ended, whichever way */
    char **results;   /* one line of JSON per widget, NULL until fetched */
    bool failed;
    struct ev_loop *loop;
    struct rpc_client *rpc;
} app;

static void usage(FILE *to, int status)
{
    fputs(usage_text, to);
    exit(status);
}

static void out_of_memory(void)
{
    fprintf(stderr, "ws-fetch-widgets: out of memory\n");
    exit(1);
}

static rpc_reply_fn on_reply;

static void fetch(size_t i)
{
    struct json_writer w;
    char err[JSON_ERR_LEN];
    size_t len;
    json_writer_begin(&w);
    json_write_string(&w, "id", app.widgets[i], strlen(app.widgets[i]));
    char *params = json_writer_end(&w, &len, err);
    if (!params)
        out_of_memory();
    /* The widget's index travels with the request, as its arg. */
    if (rpc_call(app.rpc, "GetWidgetProperties", params, app.timeout_ms, on_reply,
                 (void *)i) < 0) {
        fprintf(stderr, "ws-fetch-widgets: %s: could not send the request\n",
                app.widgets[i]);
        app.failed = true;
        app.ended++;
    }
    free(params);
}

/* Sends the next requests while there is room: called once the connection
 * is open, and again each time a request ends. */
static void send_more(void)
{
    /* TODO: never more than app.max_in_flight requests in flight
     * (rpc_in_flight() says how many are).  As it is, every widget is asked
     * for at once. */
    while (app.next < app.count)
        fetch(app.next++);
}

static void on_reply(struct rpc_client *rpc, const struct rpc_reply *reply, void *arg)
{
    size_t i = (size_t)arg;
    app.ended++;
    size_t len;
    if (reply->status == RPC_OK && reply->result->type == JSON_OBJECT) {
        app.results[i] = rpc_object_text(reply->result, &len);
        if (!app.results[i])
            out_of_memory();
    } else {
        fprintf(stderr, "ws-fetch-widgets: %s: %s\n", app.widgets[i],
                reply->message ? reply->message : "the result is not an object");
        app.failed = true;
    }
    send_more();
    struct ws *ws = rpc_client_ws(rpc);
    if (app.ended == app.count && ws)
        ws_close(ws, WS_CLOSE_NORMAL, "done");
}

/* The handshake is done: the first requests. */
static void on_ready(struct rpc_client *rpc)
{
    app.rpc = rpc;
    send_more();
}

/* The connection is gone, and the requests in flight have failed with it;
 * the widgets still waiting for their turn are reported here. */
static void on_ended(struct rpc_client *rpc, const struct rpc_end *end)
{
    (void)rpc;
    if (end->handshake_failed) {
        fprintf(stderr, "ws-fetch-widgets: the opening handshake failed: %s\n", end->why);
        app.failed = true;
    } else if (app.next < app.count) {
        fprintf(stderr, "ws-fetch-widgets: %zu widgets never asked for: %s\n",
                app.count - app.next, end->why);
        app.failed = true;
    }
    ev_stop(app.loop);
}

static const struct rpc_connect_handlers handlers = {.on_ready = on_ready,
                                                     .on_ended = on_ended};

static void parse_args(int argc, char **argv, const char **url)
{
    app.max_in_flight = 8;
    app.timeout_ms = 5000;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "--help") == 0)
            usage(stdout, 0);
        if (i + 1 >= argc)
            usage(stderr, 2);
        if (strcmp(argv[i], "--max-in-flight") == 0)
            app.max_in_flight = net_parse_number(argv[i + 1], 1, 100000);
        else if (strcmp(argv[i], "--timeout") == 0)
            app.timeout_ms = net_parse_number(argv[i + 1], 1, 3600000);
        else
            usage(stderr, 2);
        if (app.max_in_flight < 0 || app.timeout_ms < 0)
            usage(stderr, 2);
    }
    if (argc - i < 2)
        usage(stderr, 2);
    *url = argv[i];
    app.widgets = &argv[i + 1];
    app.count = (size_t)(argc - i - 1);
}

int main(int argc, char **argv)
{
    const char *url;
    char err[EV_ERR_LEN];
    parse_args(argc, argv, &url);
    app.results = calloc(app.count, sizeof *app.results);
    app.loop = ev_loop_new(err);
    if (!app.results || !app.loop) {
        fprintf(stderr, "ws-fetch-widgets: %s\n", app.loop ? "out of memory" : err);
        return 1;
    }
    if (rpc_connect(app.loop, url, &handlers, NULL, err) < 0) {
        fprintf(stderr, "ws-fetch-widgets: %s\n", err);
        ev_loop_free(app.loop);
        return 1;
    }
    if (ev_run(app.loop) < 0) {
        perror("ws-fetch-widgets: event loop");
        app.failed = true;
    }
    ev_loop_free(app.loop);
    rpc_client_free(app.rpc);
    for (size_t i = 0; i < app.count; i++) {
        if (app.results[i])
            printf("%s\n", app.results[i]);
        free(app.results[i]);
    }
    free(app.results);
    return app.failed ? 1 : 0;
}
