/* ws-inspect - inspects a document of ws-server's /inspect service, with
 * many requests in flight on one WebSocket connection.
 *
 *   ws-inspect [--sequential] [--timeout MS] URL DOC
 *
 * Sends GetDocument for DOC; when its reply names the document's widget
 * containers, sends one GetWidgetContainer for each, all at once; as each
 * of those replies names a widget, sends that widget's GetWidgetProperties
 * at once.  Replies come back in whatever order the server finishes them,
 * and the request/reply layer (rpc.h) matches each to its request by id.
 * With --sequential, one request at a time instead, each sent when the
 * previous one has been answered: the same requests, for comparison.
 *
 * Prints the widgets' properties on stdout as a JSON array, in the
 * document's order (whatever order the replies came in), once all of them
 * have come; then on stderr one line of key=value figures:
 *
 *   sent=9 answered=9 out_of_order=3 timed_out=0 failed=0 p50_ms=31.9
 *   p99_ms=58.2 elapsed_ms=121.4
 *
 * (on one line).  Exit 0 when every widget was inspected, 1 otherwise (an
 * error reply, a deadline passed, the connection lost), with one line on
 * stderr for each request that failed, 2 on a wrong command line.
 */
#include "json.h"
#include "net.h"
#include "rpc.h"
#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_text[] =
    "usage: ws-inspect [--sequential] [--timeout MS] URL DOC\n"
    "Inspects document DOC of the /inspect service at URL (ws://HOST:PORT/inspect):\n"
    "GetDocument, then GetWidgetContainer for every container at once, then\n"
    "GetWidgetProperties for each widget as soon as its container is known.\n"
    "Prints the widgets' properties as a JSON array on stdout and a summary of\n"
    "key=value figures on stderr.\n"
    "  --sequential  one request in flight at a time, for comparison\n"
    "  --timeout MS  the deadline of each request (default 5000)\n";

static void usage(FILE *to, int status)
{
    fputs(usage_text, to);
    exit(status);
}

/* One request to make: the method and the id it asks about, and which
 * widget container of the document it is for (-1 for GetDocument). */
struct job {
    const char *method;
    char *param_id;
    long container;
};

static struct {
    bool sequential;
    long timeout_ms;
    const char *doc;
    struct ev_loop *loop;
    struct rpc_client *rpc;
    struct job *queue; /* --sequential: requests waiting for their turn */
    size_t queued, queue_cap;
    char **properties; /* one JSON text per container, in document order */
    size_t containers, inspected;
    bool failed;
    long long *latency_us; /* of every request that was answered */
    size_t answered, latency_cap;
    unsigned long errors;  /* error replies */
    long long start_us;
} app;

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *xmalloc(size_t len)
{
    void *p = malloc(len ? len : 1);
    if (!p) {
        fprintf(stderr, "ws-inspect: out of memory\n");
        exit(1);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t len = strlen(s) + 1;
    return memcpy(xmalloc(len), s, len);
}

static rpc_reply_fn on_reply;

/* Sends the request of job (whose param_id it frees). */
static void send_job(struct job job)
{
    struct json_writer w;
    char err[JSON_ERR_LEN];
    size_t len;
    json_writer_begin(&w);
    json_write_string(&w, "id", job.param_id, strlen(job.param_id));
    char *params = json_writer_end(&w, &len, err);
    struct job *copy = xmalloc(sizeof *copy);
    *copy = job;
    if (!params || rpc_call(app.rpc, job.method, params, app.timeout_ms, on_reply, copy) < 0) {
        fprintf(stderr, "ws-inspect: %s \"%s\": could not send the request\n", job.method,
                job.param_id);
        app.failed = true;
        free(copy->param_id);
        free(copy);
    }
    free(params);
}

/* Concurrent: send now.  Sequential: send now only if nothing is in flight. */
static void request(const char *method, const char *param_id, long container)
{
    struct job job = {method, xstrdup(param_id), container};
    if (!app.sequential || rpc_in_flight(app.rpc) == 0) {
        send_job(job);
        return;
    }
    if (app.queued == app.queue_cap) {
        app.queue_cap = app.queue_cap ? 2 * app.queue_cap : 8;
        app.queue = realloc(app.queue, app.queue_cap * sizeof *app.queue);
        if (!app.queue) {
            fprintf(stderr, "ws-inspect: out of memory\n");
            exit(1);
        }
    }
    app.queue[app.queued++] = job;
}

static void send_next_queued(void)
{
    if (app.queued == 0 || rpc_in_flight(app.rpc) > 0)
        return;
    struct job job = app.queue[0];
    memmove(&app.queue[0], &app.queue[1], --app.queued * sizeof app.queue[0]);
    send_job(job);
}

/* The document's containers: one request for each, all at once. */
static void got_document(const struct json_value *result)
{
    const struct json_value *ids = json_member(result, "widgetContainerIds");
    if (!ids || ids->type != JSON_ARRAY) {
        fprintf(stderr, "ws-inspect: GetDocument: the reply has no widgetContainerIds\n");
        app.failed = true;
        return;
    }
    app.containers = json_length(ids);
    app.properties = calloc(app.containers ? app.containers : 1, sizeof *app.properties);
    if (!app.properties) {
        fprintf(stderr, "ws-inspect: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < app.containers; i++) {
        const struct json_value *id = json_item(ids, i);
        if (id->type != JSON_STRING) {
            fprintf(stderr, "ws-inspect: GetDocument: a container id is not a string\n");
            app.failed = true;
            continue;
        }
        request("GetWidgetContainer", id->string, (long)i);
    }
}

static void got_container(const struct job *job, const struct json_value *result)
{
    const struct json_value *widget = json_member(result, "widgetId");
    if (!widget || widget->type != JSON_STRING) {
        fprintf(stderr, "ws-inspect: GetWidgetContainer \"%s\": the reply has no widgetId\n",
                job->param_id);
        app.failed = true;
        return;
    }
    request("GetWidgetProperties", widget->string, job->container);
}

static void got_properties(const struct job *job, const struct json_value *result)
{
    if (result->type != JSON_OBJECT) {
        fprintf(stderr, "ws-inspect: GetWidgetProperties \"%s\": the result is not an object\n",
                job->param_id);
        app.failed = true;
        return;
    }
    size_t len;
    char *text = rpc_object_text(result, &len);
    if (!text) {
        fprintf(stderr, "ws-inspect: out of memory\n");
        exit(1);
    }
    app.properties[job->container] = text;
    app.inspected++;
}

/* Every request has ended when nothing is in flight and nothing queued. */
static void maybe_done(void)
{
    if (rpc_in_flight(app.rpc) > 0 || app.queued > 0)
        return;
    struct ws *ws = rpc_client_ws(app.rpc);
    if (ws)
        ws_close(ws, WS_CLOSE_NORMAL, "done");
    else
        ev_stop(app.loop);
}

static void note_latency(long long us)
{
    if (app.answered == app.latency_cap) {
        app.latency_cap = app.latency_cap ? 2 * app.latency_cap : 64;
        app.latency_us = realloc(app.latency_us, app.latency_cap * sizeof *app.latency_us);
        if (!app.latency_us) {
            fprintf(stderr, "ws-inspect: out of memory\n");
            exit(1);
        }
    }
    app.latency_us[app.answered++] = us;
}

static void on_reply(struct rpc_client *rpc, const struct rpc_reply *reply, void *arg)
{
    (void)rpc;
    struct job *job = arg;
    if (reply->status == RPC_OK || reply->status == RPC_ERROR)
        note_latency(reply->latency_us);
    if (reply->status == RPC_OK) {
        if (strcmp(job->method, "GetDocument") == 0)
            got_document(reply->result);
        else if (strcmp(job->method, "GetWidgetContainer") == 0)
            got_container(job, reply->result);
        else
            got_properties(job, reply->result);
    } else {
        fprintf(stderr, "ws-inspect: %s \"%s\" (id %lld): ", job->method, job->param_id,
                reply->id);
        if (reply->status == RPC_ERROR) {
            app.errors++;
            fprintf(stderr, "error %lld: %s\n", reply->code, reply->message);
        }
        else
            fprintf(stderr, "%s\n", reply->message);
        app.failed = true;
    }
    free(job->param_id);
    free(job);
    send_next_queued();
    maybe_done();
}

static void on_stray(struct rpc_client *rpc, const char *why, const char *text, size_t len)
{
    (void)rpc;
    (void)text;
    (void)len;
    fprintf(stderr, "ws-inspect: ignored a message: %s\n", why);
}

/* The handshake is done: the first request. */
static void on_ready(struct rpc_client *rpc)
{
    app.rpc = rpc;
    app.start_us = now_us();
    request("GetDocument", app.doc, -1);
}

/* The connection is gone, and the requests in flight have failed with it. */
static void on_ended(struct rpc_client *rpc, const struct rpc_end *end)
{
    (void)rpc;
    if (end->handshake_failed) {
        fprintf(stderr, "ws-inspect: the opening handshake failed: %s\n", end->why);
        app.failed = true;
    }
    ev_stop(app.loop);
}

static const struct rpc_connect_handlers handlers = {
    .on_ready = on_ready, .on_ended = on_ended, .client = {.on_stray = on_stray}};

static int compare_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* The p-th percentile (0-100) of the sorted values, nearest rank. */
static double percentile_ms(const long long *sorted, size_t n, int p)
{
    if (n == 0)
        return 0;
    size_t rank = (n * (size_t)p + 99) / 100;
    return (double)sorted[rank > 0 ? rank - 1 : 0] / 1000.0;
}

static void print_results(void)
{
    printf("[");
    for (size_t i = 0; i < app.containers; i++)
        if (app.properties[i])
            printf("%s\n  %s", i > 0 ? "," : "", app.properties[i]);
    printf("\n]\n");
    fflush(stdout);
}

static void print_summary(void)
{
    const struct rpc_stats *s = rpc_client_stats(app.rpc);
    qsort(app.latency_us, app.answered, sizeof app.latency_us[0], compare_ll);
    fprintf(stderr,
            "sent=%lu answered=%lu out_of_order=%lu timed_out=%lu failed=%lu "
            "p50_ms=%.1f p99_ms=%.1f elapsed_ms=%.1f\n",
            s->sent, s->answered, s->out_of_order, s->timed_out,
            app.errors + s->timed_out + s->disconnected + s->cancelled,
            percentile_ms(app.latency_us, app.answered, 50),
            percentile_ms(app.latency_us, app.answered, 99),
            (double)(now_us() - app.start_us) / 1000.0);
}

static void parse_args(int argc, char **argv, const char **url)
{
    app.timeout_ms = 5000;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0)
            usage(stdout, 0);
        else if (strcmp(argv[i], "--sequential") == 0)
            app.sequential = true;
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc &&
                 (app.timeout_ms = net_parse_number(argv[i + 1], 1, 3600000)) > 0)
            i++;
        else
            usage(stderr, 2);
    }
    if (argc - i != 2)
        usage(stderr, 2);
    *url = argv[i];
    app.doc = argv[i + 1];
}

int main(int argc, char **argv)
{
    const char *url;
    char err[EV_ERR_LEN];
    parse_args(argc, argv, &url);
    app.loop = ev_loop_new(err);
    if (!app.loop) {
        fprintf(stderr, "ws-inspect: %s\n", err);
        return 1;
    }
    if (rpc_connect(app.loop, url, &handlers, NULL, err) < 0) {
        fprintf(stderr, "ws-inspect: %s\n", err);
        ev_loop_free(app.loop);
        return 1;
    }
    if (ev_run(app.loop) < 0) {
        perror("ws-inspect: event loop");
        app.failed = true;
    }
    bool complete = !app.failed && app.rpc && app.inspected == app.containers;
    if (complete)
        print_results();
    if (app.rpc)
        print_summary();
    ev_loop_free(app.loop);
    for (size_t i = 0; i < app.containers; i++)
        free(app.properties[i]);
    free(app.properties);
    free(app.queue);
    free(app.latency_us);
    rpc_client_free(app.rpc);
    return complete ? 0 : 1;
}
