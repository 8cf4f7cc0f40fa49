/* test-inspect - ws-server's /inspect service and the ws-inspect client,
 * from the outside: programs run, sockets and their output read.
 *
 * (The client's behaviour when the server misbehaves, and the request/reply
 * layer under load, are in test-rpc.c, which has a scripted server.)
 */
#include "testkit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct tk_proc *start_server(void)
{
    return tk_start_server(tk_program("ws-server"), "127.0.0.1", "0", NULL);
}

static const char *inspect_url(const struct tk_proc *server)
{
    static char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/inspect", server->port);
    return url;
}

/* The value of key=... in the summary line on stderr, or -1. */
static double summary_value(const struct tk_proc *p, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "%s=", key);
    const char *line = p->err_text ? strstr(p->err_text, "sent=") : NULL;
    const char *at = line ? strstr(line, pattern) : NULL;
    return at ? strtod(at + strlen(pattern), NULL) : -1;
}

static const char *out(const struct tk_proc *p) { return p->out_text ? p->out_text : ""; }
static const char *err(const struct tk_proc *p) { return p->err_text ? p->err_text : ""; }

/* ---- ws-inspect ---------------------------------------------------------------- */

static void help(void) { tk_assert_help(tk_program("ws-inspect")); }

static void bad_usage(void)
{
    const char *prog = tk_program("ws-inspect");
    tk_assert_usage_error(tk_run(NULL, 0, 5000, prog, NULL));
    tk_assert_usage_error(tk_run(NULL, 0, 5000, prog, "ws://127.0.0.1:1/inspect", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, 5000, prog, "--timeout", "0", "u", "1", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, 5000, prog, "--nope", "u", "1", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, 5000, prog, "u", "1", "extra", NULL));
}

/* Document 1's widgets, as ws-inspect prints them: one per line, in the
 * document's order, whatever order the replies came in. */
static const char document_1[] =
    "[\n"
    "  {\"id\": \"w-201\", \"type\": \"chart\", \"title\": \"Revenue by month\", "
    "\"dataSource\": {\"kind\": \"database\", \"connection\": "
    "\"postgresql://reports.example.com:5432/sales\", \"sql\": \"SELECT "
    "date_trunc('month', ordered_at) AS month, sum(amount) FROM orders GROUP BY month "
    "ORDER BY month\"}},\n"
    "  {\"id\": \"w-202\", \"type\": \"table\", \"title\": \"Top ten customers\", "
    "\"dataSource\": {\"kind\": \"database\", \"connection\": "
    "\"postgresql://reports.example.com:5432/sales\", \"sql\": \"SELECT c.name, "
    "sum(o.amount) AS total FROM orders o JOIN customers c USING (customer_id) GROUP BY "
    "c.name ORDER BY total DESC LIMIT 10\"}},\n"
    "  {\"id\": \"w-203\", \"type\": \"chart\", \"title\": \"Targets by region\", "
    "\"dataSource\": {\"kind\": \"spreadsheet\", \"link\": "
    "\"https://sheets.example.com/d/regional-targets-2026/edit#gid=0\"}},\n"
    "  {\"id\": \"w-204\", \"type\": \"label\", \"title\": \"Open orders\", "
    "\"dataSource\": {\"kind\": \"database\", \"connection\": "
    "\"mysql://erp.example.com:3306/erp\", \"sql\": \"SELECT count(*) FROM open_orders "
    "WHERE status <> 'shipped'\"}}\n"
    "]\n";

static void check_document_1(const struct tk_proc *p)
{
    TK_ASSERT(tk_exit_code(p) == 0, "ws-inspect failed: %s", err(p));
    TK_ASSERT_STR_EQ(out(p), document_1, "ws-inspect's output for document 1");
    TK_ASSERT(summary_value(p, "sent") == 9, "9 requests sent: %s", err(p));
    TK_ASSERT(summary_value(p, "answered") == 9, "9 answered: %s", err(p));
    TK_ASSERT(summary_value(p, "timed_out") == 0, "none timed out: %s", err(p));
    TK_ASSERT(summary_value(p, "failed") == 0, "none failed: %s", err(p));
    TK_ASSERT(summary_value(p, "p50_ms") > 0 && summary_value(p, "p99_ms") > 0,
              "latencies: %s", err(p));
}

static void document_one(void)
{
    struct tk_proc *server = start_server();
    check_document_1(tk_run(NULL, 0, 10000, tk_program("ws-inspect"), inspect_url(server),
                            "1", NULL));
}

static void document_one_sequential(void)
{
    struct tk_proc *server = start_server();
    struct tk_proc *p = tk_run(NULL, 0, 10000, tk_program("ws-inspect"), "--sequential",
                               inspect_url(server), "1", NULL);
    check_document_1(p);
    TK_ASSERT(summary_value(p, "out_of_order") == 0,
              "one request at a time cannot be answered out of order: %s", err(p));
}

/* With all of a level's requests in flight at once and random delays, the
 * replies come back out of order; a few runs make "always in order by
 * chance" practically impossible. */
static void replies_out_of_order(void)
{
    struct tk_proc *server = start_server();
    for (int run = 0; run < 8; run++) {
        struct tk_proc *p = tk_run(NULL, 0, 10000, tk_program("ws-inspect"),
                                   inspect_url(server), "1", NULL);
        check_document_1(p);
        if (summary_value(p, "out_of_order") > 0)
            return;
    }
    TK_FAIL("eight inspections of document 1 never saw a reply out of order");
}

static void document_two(void)
{
    struct tk_proc *server = start_server();
    struct tk_proc *p = tk_run(NULL, 0, 10000, tk_program("ws-inspect"), inspect_url(server),
                               "2", NULL);
    TK_ASSERT(tk_exit_code(p) == 0, "ws-inspect failed: %s", err(p));
    TK_ASSERT(strstr(out(p), "\"id\": \"w-211\", \"type\": \"chart\"") != NULL &&
                  strstr(out(p), "\"id\": \"w-212\", \"type\": \"table\"") != NULL,
              "document 2's two widgets: %s", out(p));
    TK_ASSERT(summary_value(p, "sent") == 5, "5 requests: %s", err(p));
}

static void document_without_widgets(void)
{
    struct tk_proc *server = start_server();
    struct tk_proc *p = tk_run(NULL, 0, 10000, tk_program("ws-inspect"), inspect_url(server),
                               "3", NULL);
    TK_ASSERT(tk_exit_code(p) == 0, "ws-inspect failed: %s", err(p));
    TK_ASSERT_STR_EQ(out(p), "[\n]\n", "an empty array");
    TK_ASSERT(summary_value(p, "sent") == 1, "one request: %s", err(p));
}

static void unknown_document(void)
{
    struct tk_proc *server = start_server();
    struct tk_proc *p = tk_run(NULL, 0, 10000, tk_program("ws-inspect"), inspect_url(server),
                               "99", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status");
    TK_ASSERT(strstr(err(p), "ws-inspect: GetDocument \"99\" (id 1): error -32004: no "
                             "document with id \"99\"\n") != NULL,
              "the error line: %s", err(p));
}

static void refused(void)
{
    int port;
    int holder = tk_refusing_port("127.0.0.1", &port);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/inspect", port);
    struct tk_proc *p = tk_run(NULL, 0, 5000, tk_program("ws-inspect"), url, "1", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status");
    tk_assert_one_error_line(p, "ws-inspect", "refused", NULL);
    TK_ASSERT_STR_EQ(out(p), "", "stdout");
    close(holder);
}

/* ---- the service, spoken to directly --------------------------------------------- */

/* Requests sent as lines through ws-client; the service answers each after
 * its own delay, so the replies are checked as a set. */
static void service_errors(void)
{
    struct tk_proc *server = start_server();
    struct tk_proc *client = tk_start(tk_program("ws-client"), inspect_url(server), NULL);
    static const char requests[] =
        "this is not JSON\n"
        "[1, 2, 3]\n"
        "{\"method\": \"GetDocument\", \"params\": {\"id\": \"1\"}}\n" /* a notification */
        "{\"method\": \"Shutdown\", \"params\": {}, \"id\": 11}\n"
        "{\"method\": \"GetDocument\", \"params\": [\"1\"], \"id\": 12}\n"
        "{\"method\": \"GetDocument\", \"params\": {\"id\": 1}, \"id\": 13}\n"
        "{\"method\": \"GetWidgetContainer\", \"params\": {\"id\": \"c-999\"}, \"id\": 14}\n"
        "{\"params\": {}, \"id\": 15}\n"
        "{\"method\": \"GetWidgetContainer\", \"params\": {\"id\": \"c-101\"}, \"id\": 16}\n"
        "{\"method\": \"GetDocument\", \"id\": 17}\n";
    tk_write_stdin(client, requests, strlen(requests));
    /* A method of 200 two-byte characters: the error quotes it cut short,
     * at a character boundary. */
    char long_request[1024] = "{\"method\": \"";
    for (int i = 0; i < 200; i++)
        strcat(long_request, "\xC3\xA9");
    strcat(long_request, "\", \"id\": 18}\n");
    tk_write_stdin(client, long_request, strlen(long_request));
    char long_reply[256] = "{\"id\": 18, \"error\": {\"code\": -32601, \"message\": \"no method \\\"";
    for (int i = 0; i < 24; i++)
        strcat(long_reply, "\xC3\xA9");
    strcat(long_reply, "...\\\"\"}}");
    static const char *wanted[] = {
        "{\"id\": null, \"error\": {\"code\": -32700, \"message\": ",
        "{\"id\": null, \"error\": {\"code\": -32600, \"message\": \"a request is a JSON object\"}}",
        "{\"id\": 11, \"error\": {\"code\": -32601, \"message\": \"no method \\\"Shutdown\\\"\"}}",
        "{\"id\": 12, \"error\": {\"code\": -32602, \"message\": \"\\\"params\\\" must be an object\"}}",
        "{\"id\": 13, \"error\": {\"code\": -32602, \"message\": \"GetDocument needs params {\\\"id\\\": a string}\"}}",
        "{\"id\": 14, \"error\": {\"code\": -32004, \"message\": \"no widget container with id \\\"c-999\\\"\"}}",
        "{\"id\": 15, \"error\": {\"code\": -32600, \"message\": \"\\\"method\\\" must be a string\"}}",
        "{\"id\": 16, \"result\": {\"widgetId\": \"w-201\"}}",
        "{\"id\": 17, \"error\": {\"code\": -32602, \"message\": \"GetDocument needs params {\\\"id\\\": a string}\"}}",
        NULL, /* the long method's, below */
    };
    enum { WANTED = sizeof wanted / sizeof wanted[0] };
    wanted[WANTED - 1] = long_reply;
    bool got[WANTED] = {false};
    for (size_t n = 0; n < WANTED; n++) {
        const char *line = tk_read_line(client, 5000);
        TK_ASSERT(line != NULL, "only %zu of %d replies came", n, WANTED);
        size_t i = 0;
        while (i < WANTED && (got[i] || strncmp(line, wanted[i], strlen(wanted[i])) != 0))
            i++;
        TK_ASSERT(i < WANTED, "an unexpected reply: %s", line);
        got[i] = true;
    }
    /* Nothing for the notification: the next thing ws-client sees is the
     * end of the session. */
    TK_ASSERT(!tk_readable(client->out, 300), "a reply to a notification");
    TK_ASSERT_INT_EQ(tk_wait(client, 5000), 0, "ws-client's exit status");
    TK_ASSERT(tk_still_running(server, 0), "ws-server is still running");
}

/* A client that sends requests as fast as it can and never reads a reply
 * holds up nobody else, and costs the server bounded memory: once its
 * unread replies reach the event loop's output limit, the server stops
 * reading its requests, and its sends stall in the kernel (or, with more
 * than 4096 requests waiting, the server closes the connection). */
static void slow_consumer(void)
{
    struct tk_proc *server = start_server();
    int fd = tk_connect("127.0.0.1", server->port);
    static const char upgrade[] =
        "GET /inspect HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    tk_send(fd, upgrade, strlen(upgrade), 2000);
    char head[1024];
    size_t got = 0;
    while (got < sizeof head - 1 && (got < 4 || memcmp(head + got - 4, "\r\n\r\n", 4) != 0))
        got += tk_recv(fd, head + got, 1, 2000);
    head[got] = '\0';
    TK_ASSERT(strncmp(head, "HTTP/1.1 101 ", 13) == 0, "the handshake: %s", head);

    /* One request as a masked frame (RFC 6455 §5.2); the mask key is zero,
     * which leaves the payload as it is. */
    static const char request[] =
        "{\"method\": \"GetWidgetProperties\", \"params\": {\"id\": \"w-201\"}, \"id\": 1}";
    unsigned char frame[256] = {0x81, 0x80 | (unsigned char)(sizeof request - 1), 0, 0, 0, 0};
    memcpy(frame + 6, request, sizeof request - 1);
    size_t frame_len = 6 + sizeof request - 1;

    int flags = fcntl(fd, F_GETFL);
    TK_ASSERT(flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0, "fcntl: %s",
              strerror(errno));
    /* Frames one after another, as fast as the socket takes them, until
     * the server has stopped taking them for half a second (a frame cut
     * short by a full buffer is finished later, so the stream stays whole;
     * the test never waits on the socket). */
    unsigned long sent = 0;
    size_t offset = 0; /* into the frame being sent */
    long long give_up = tk_now_ms() + 15000, stalled_since = -1;
    while (stalled_since < 0 || tk_now_ms() - stalled_since < 500) {
        TK_ASSERT(tk_now_ms() < give_up, "the server took requests for 15 s without a "
                  "pause (%lu requests): it does not stop reading from a client that does "
                  "not read", sent);
        ssize_t n = send(fd, frame + offset, frame_len - offset, MSG_NOSIGNAL);
        if (n > 0) {
            stalled_since = -1;
            offset += (size_t)n;
            if (offset == frame_len) {
                offset = 0;
                sent++;
            }
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (stalled_since < 0)
                stalled_since = tk_now_ms();
            tk_sleep_ms(10);
        } else if (n < 0 && (errno == ECONNRESET || errno == EPIPE)) {
            /* The other way out: past 4096 requests waiting the server
             * closes with 1008, and drops a peer that never answers the
             * close (a reset).  Either way the flood has stopped. */
            break;
        } else {
            TK_FAIL("send: %s", n == 0 ? "sent nothing" : strerror(errno));
        }
    }
    TK_ASSERT(sent > 1000, "only %lu requests went out", sent);

    /* Meanwhile, somebody else is served at once. */
    struct tk_proc *p = tk_run(NULL, 0, 10000, tk_program("ws-inspect"), inspect_url(server),
                               "1", NULL);
    check_document_1(p);
    TK_ASSERT(tk_still_running(server, 0), "ws-server is still running");

    close(fd);
}

/* ---- another WebSocket client: Python's websockets ---------------------------------- */

static const char *python_with_websockets(void)
{
    static const char *const candidates[] = {"/usr/bin/python3", "/usr/local/bin/python3"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (access(candidates[i], X_OK) != 0)
            continue;
        struct tk_proc *p = tk_run(NULL, 0, 10000, candidates[i], "-c", "import websockets",
                                   NULL);
        if (tk_exit_code(p) == 0)
            return candidates[i];
    }
    return NULL;
}

static void python_client(void)
{
    const char *python = python_with_websockets();
    if (!python)
        tk_skip("no python3 with the websockets module (apt-get install python3-websockets)");
    struct tk_proc *server = start_server();
    struct tk_proc *p = tk_run(NULL, 0, 20000, python, OUTSIDE_INSPECT_CLIENT,
                               inspect_url(server), "1", NULL);
    TK_ASSERT(tk_exit_code(p) == 0, "the Python client failed: %s%s", err(p), out(p));
    TK_ASSERT(strstr(out(p), "\"w-201\"") && strstr(out(p), "\"w-204\""),
              "the Python client's output names document 1's widgets: %s", out(p));
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    static const struct tk_case cases[] = {
        {"inspect.help", help},
        {"inspect.bad-usage", bad_usage},
        {"inspect.document-1", document_one},
        {"inspect.document-1-sequential", document_one_sequential},
        {"inspect.replies-out-of-order", replies_out_of_order},
        {"inspect.document-2", document_two},
        {"inspect.document-without-widgets", document_without_widgets},
        {"inspect.unknown-document", unknown_document},
        {"inspect.refused", refused},
        {"inspect.service-errors", service_errors},
        {"inspect.slow-consumer", slow_consumer},
        {"inspect.python-client", python_client},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
