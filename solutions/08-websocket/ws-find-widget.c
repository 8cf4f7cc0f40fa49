/* ws-find-widget - the first widget of a given type in a document, without
 * waiting for the others.
 *
 *   ws-find-widget [--timeout MS] URL DOC TYPE
 *
 * Like ws-inspect, it asks for the document, then for every container at
 * once, then for each widget's properties as soon as its container is
 * known.  The first widget whose "type" is TYPE to arrive is printed on
 * stdout as one line of JSON; every request still in flight is then
 * cancelled (rpc_cancel), and the connection closed at once: their answers,
 * or their deadlines, would only delay the exit.
 *
 * Exit 0 when a widget was found; 1 when none of the document's widgets has
 * that type, or a request failed before one was found; 2 on a wrong
 * command line.
 */
#include "json.h"
#include "net.h"
#include "rpc.h"
#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: ws-find-widget [--timeout MS] URL DOC TYPE\n"
    "Prints the first widget of document DOC whose type is TYPE (chart, table,\n"
    "label...) found through the /inspect service at URL, then cancels the\n"
    "requests still in flight.  MS is each request's deadline (default 5000).\n";

static struct {
    long timeout_ms;
    const char *doc, *type;
    struct ev_loop *loop;
    struct rpc_client *rpc;
    long long *ids; /* every request sent, by id */
    size_t sent, cap;
    bool found, failed;
} app;

static void usage(FILE *to, int status)
{
    fputs(usage_text, to);
    exit(status);
}

static void out_of_memory(void)
{
    fprintf(stderr, "ws-find-widget: out of memory\n");
    exit(1);
}

static rpc_reply_fn on_reply;

/* Sends one request about id; the method's name is the reply's arg, so
 * that on_reply knows what it asked. */
static void request(const char *method, const char *id)
{
    struct json_writer w;
    char err[JSON_ERR_LEN];
    size_t len;
    json_writer_begin(&w);
    json_write_string(&w, "id", id, strlen(id));
    char *params = json_writer_end(&w, &len, err);
    if (!params)
        out_of_memory();
    long long n = rpc_call(app.rpc, method, params, app.timeout_ms, on_reply, (void *)method);
    free(params);
    if (n < 0) {
        fprintf(stderr, "ws-find-widget: %s \"%s\": could not send the request\n", method, id);
        app.failed = true;
        return;
    }
    /* Remember the id: it is what rpc_cancel() needs. */
    if (app.sent == app.cap) {
        app.cap = app.cap ? 2 * app.cap : 16;
        app.ids = realloc(app.ids, app.cap * sizeof *app.ids);
        if (!app.ids)
            out_of_memory();
    }
    app.ids[app.sent++] = n;
}

/* The requests still in flight will not change the answer: cancel them
 * (their callbacks run at once, with RPC_CANCELLED; for a request that has
 * already ended, rpc_cancel() returns -1, which is fine), then close. */
static void cancel_the_rest(void)
{
    for (size_t i = 0; i < app.sent; i++)
        rpc_cancel(app.rpc, app.ids[i]);
    ws_close(rpc_client_ws(app.rpc), WS_CLOSE_NORMAL, "found");
}

static void print_widget(const struct json_value *widget)
{
    size_t len;
    char *text = rpc_object_text(widget, &len);
    if (!text)
        out_of_memory();
    printf("%s\n", text);
    fflush(stdout);
    free(text);
}

static void got_result(const char *method, const struct json_value *result)
{
    if (strcmp(method, "GetDocument") == 0) {
        const struct json_value *ids = json_member(result, "widgetContainerIds");
        for (size_t i = 0; i < json_length(ids); i++) {
            const char *id;
            size_t len;
            if (json_as_string(json_item(ids, i), &id, &len))
                request("GetWidgetContainer", id);
        }
    } else if (strcmp(method, "GetWidgetContainer") == 0) {
        const char *widget;
        size_t len;
        if (json_as_string(json_member(result, "widgetId"), &widget, &len))
            request("GetWidgetProperties", widget);
    } else if (json_equals(json_member(result, "type"), app.type, strlen(app.type)) &&
               result->type == JSON_OBJECT) {
        app.found = true;
        print_widget(result);
        cancel_the_rest();
    }
}

static void on_reply(struct rpc_client *rpc, const struct rpc_reply *reply, void *arg)
{
    const char *method = arg;
    if (reply->status == RPC_CANCELLED)
        return; /* our own doing: nothing to say */
    if (reply->status == RPC_OK && !app.found)
        got_result(method, reply->result);
    else if (reply->status != RPC_OK) {
        fprintf(stderr, "ws-find-widget: %s (id %lld): %s\n", method, reply->id,
                reply->message);
        app.failed = true;
    }
    struct ws *ws = rpc_client_ws(rpc);
    if (rpc_in_flight(rpc) == 0 && ws)
        ws_close(ws, WS_CLOSE_NORMAL, "done");
}

/* The handshake is done: the first request. */
static void on_ready(struct rpc_client *rpc)
{
    app.rpc = rpc;
    request("GetDocument", app.doc);
}

/* The connection is gone, and the requests in flight have failed with it. */
static void on_ended(struct rpc_client *rpc, const struct rpc_end *end)
{
    (void)rpc;
    if (end->handshake_failed) {
        fprintf(stderr, "ws-find-widget: the opening handshake failed: %s\n", end->why);
        app.failed = true;
    }
    ev_stop(app.loop);
}

static const struct rpc_connect_handlers handlers = {.on_ready = on_ready,
                                                     .on_ended = on_ended};

int main(int argc, char **argv)
{
    app.timeout_ms = 5000;
    int i = 1;
    if (argc > 1 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc > 2 && strcmp(argv[1], "--timeout") == 0) {
        app.timeout_ms = net_parse_number(argv[2], 1, 3600000);
        if (app.timeout_ms < 0)
            usage(stderr, 2);
        i = 3;
    }
    if (argc - i != 3 || argv[i][0] == '-')
        usage(stderr, 2);
    const char *url = argv[i];
    app.doc = argv[i + 1];
    app.type = argv[i + 2];

    char err[EV_ERR_LEN];
    app.loop = ev_loop_new(err);
    if (!app.loop) {
        fprintf(stderr, "ws-find-widget: %s\n", err);
        return 1;
    }
    if (rpc_connect(app.loop, url, &handlers, NULL, err) < 0) {
        fprintf(stderr, "ws-find-widget: %s\n", err);
        ev_loop_free(app.loop);
        return 1;
    }
    if (ev_run(app.loop) < 0) {
        perror("ws-find-widget: event loop");
        app.failed = true;
    }
    ev_loop_free(app.loop);
    rpc_client_free(app.rpc);
    free(app.ids);
    if (!app.found && !app.failed)
        fprintf(stderr, "ws-find-widget: no widget of type \"%s\" in document \"%s\"\n",
                app.type, app.doc);
    return app.found ? 0 : 1;
}
