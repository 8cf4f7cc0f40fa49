/* test-rpc - the request/reply layer (rpc.h), white-box, on one event loop.
 *
 * Each case runs a client of the layer against a server: ws-server's own
 * /inspect service, or a scripted server of this test, on the same loop,
 * that misbehaves on request (answers twice, with a wrong id, not at all,
 * or drops the connection) so that every way a reply can go wrong is seen.
 *
 * The scripted server's methods, each with params {"value": V, "delay": MS}:
 *   Echo     {"value": V} after MS milliseconds
 *   Twice    the same reply, twice
 *   WrongId  a reply whose id is the request's plus 1000000
 *   Never    no reply at all
 *   Notify   a notification first, then the reply
 *   Garbage  a message that is not JSON, one with neither result nor error,
 *            then the reply
 *   Drop     no reply: the connection is reset
 *   Close    no reply: the server closes with 1001 "shutting down"
 *
 * and, for ws-inspect, GetDocument answers at once with three containers,
 * and GetWidgetContainer drops the connection or never answers, as the case
 * chooses.
 */
#include "inspect-service.h"
#include "json.h"
#include "rpc-test-server.h"
#include "rpc.h"
#include "testkit.h"
#include "ws.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the scripted server -------------------------------------------------------- */

static struct ws *server_side; /* the scripted server's connection */
static enum { CONTAINERS_DROP, CONTAINERS_NEVER } containers_behaviour;

static long long param_int(const struct rpc_request *req, const char *key)
{
    const struct json_value *v = json_member(req->params, key);
    return v && v->type == JSON_INT ? v->integer : 0;
}

/* {"id": id, "result": {"value": value}} */
static char *result_text(long long id, long long value, size_t *len)
{
    struct json_writer w;
    char err[JSON_ERR_LEN];
    rpc_result_begin(&w, id);
    json_write_int(&w, "value", value);
    char *text = rpc_result_end(&w, len, err);
    TK_ASSERT(text != NULL, "writing a result: %s", err);
    return text;
}

static void script_message(struct ws *ws, enum ws_opcode opcode, const char *data,
                           size_t len)
{
    (void)opcode;
    struct rpc_request req;
    char err[JSON_ERR_LEN];
    rts_read_request(data, len, &req);
    long long value = param_int(&req, "value"), delay = param_int(&req, "delay");
    size_t text_len;
    char *text = result_text(req.id, value, &text_len);
    const char *method = req.method;
    if (strcmp(method, "GetDocument") == 0) {
        free(text);
        struct json_writer w;
        rpc_result_begin(&w, req.id);
        json_write_string(&w, "type", "biDashboard", 11);
        json_write_array_begin(&w, "widgetContainerIds");
        json_write_string(&w, NULL, "c-1", 3);
        json_write_string(&w, NULL, "c-2", 3);
        json_write_string(&w, NULL, "c-3", 3);
        json_write_array_end(&w);
        text = rpc_result_end(&w, &text_len, err);
    } else if (strcmp(method, "GetWidgetContainer") == 0) {
        free(text);
        text = NULL;
        if (containers_behaviour == CONTAINERS_DROP)
            ev_close_now(ws_conn(ws));
    } else if (strcmp(method, "Twice") == 0) {
        ws_send(ws, WS_TEXT, text, text_len);
    } else if (strcmp(method, "WrongId") == 0) {
        free(text);
        text = result_text(req.id + 1000000, value, &text_len);
    } else if (strcmp(method, "Never") == 0) {
        free(text);
        text = NULL;
    } else if (strcmp(method, "Notify") == 0) {
        ws_send_text(ws, "{\"method\": \"Progress\", \"params\": {\"done\": 50}}");
    } else if (strcmp(method, "Garbage") == 0) {
        ws_send_text(ws, "this is not JSON");
        char half[64];
        snprintf(half, sizeof half, "{\"id\": %lld}", req.id);
        ws_send_text(ws, half);
    } else if (strcmp(method, "Drop") == 0) {
        free(text);
        text = NULL;
        ev_close_now(ws_conn(ws));
    } else if (strcmp(method, "Close") == 0) {
        free(text);
        text = NULL;
        ws_close(ws, WS_CLOSE_GOING_AWAY, "shutting down");
    } else {
        TK_ASSERT(strcmp(method, "Echo") == 0, "unexpected method %s", method);
    }
    rpc_request_free(&req);
    if (text)
        rts_send_later(ws, text, text_len, delay);
}

static void script_open(struct ws *ws) { server_side = ws; }
static void script_close(struct ws *ws, int code, const char *reason)
{
    (void)ws, (void)code, (void)reason;
    server_side = NULL;
}

static const struct ws_handlers script_handlers = {
    .on_open = script_open, .on_message = script_message, .on_close = script_close};

/* ---- the client side ---------------------------------------------------------------- */

/* What a case saw. */
static struct {
    struct rpc_client *rpc;
    bool open, closed;
    unsigned long notifications, strays;
    char last_stray[256];
    unsigned long results, errors, timeouts, disconnects, cancels, wrong;
    char last_message[256];
} seen;

static void on_notification(struct rpc_client *rpc, const char *text, size_t len)
{
    (void)rpc, (void)text, (void)len;
    seen.notifications++;
}

static void on_stray(struct rpc_client *rpc, const char *why, const char *text, size_t len)
{
    (void)rpc, (void)text, (void)len;
    seen.strays++;
    snprintf(seen.last_stray, sizeof seen.last_stray, "%s", why);
}

static const struct rpc_client_handlers rpc_handlers = {
    .on_notification = on_notification, .on_stray = on_stray};

static void client_open(struct ws *ws)
{
    seen.rpc = rpc_client_new(ws, &rpc_handlers, NULL);
    TK_ASSERT(seen.rpc != NULL, "out of memory");
    seen.open = true;
}

static void client_message(struct ws *ws, enum ws_opcode opcode, const char *data, size_t len)
{
    (void)ws;
    TK_ASSERT(opcode == WS_TEXT, "a binary message from the server");
    rpc_client_message(seen.rpc, data, len);
}

static void client_close(struct ws *ws, int code, const char *reason)
{
    (void)ws;
    char why[160];
    snprintf(why, sizeof why, "code %d %s", code, reason);
    if (seen.rpc)
        rpc_client_closed(seen.rpc, why);
    seen.closed = true;
}

static const struct ws_handlers client_handlers = {
    .on_open = client_open, .on_message = client_message, .on_close = client_close};

static bool is_open(void) { return seen.open || seen.closed; }

/* A loop, and a client connected to url. */
static void connect_client(const char *url)
{
    char err[EV_ERR_LEN];
    if (!rts_loop)
        rts_loop_new();
    TK_ASSERT(ws_connect(rts_loop, url, &client_handlers, NULL, NULL, err) != NULL,
              "ws_connect: %s", err);
    rts_run_until(is_open, 5000, "the opening handshake");
    TK_ASSERT(seen.open, "the handshake with %s failed", url);
}

static void connect_script_client(void)
{
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/script", rts_start(&script_handlers));
    connect_client(url);
}

static void finish_case(void)
{
    rts_finish(); /* closes the connections: on_close runs */
    rpc_client_free(seen.rpc);
}

/* ---- requests and their outcomes ------------------------------------------------------ */

/* One request of a case: what it asked, and what it must end with. */
struct expect {
    long long value;           /* the value asked for, which the result echoes */
    enum rpc_status status;    /* how it must end */
    bool ended;
};

static void check_reply(struct rpc_client *rpc, const struct rpc_reply *reply, void *arg)
{
    (void)rpc;
    struct expect *e = arg;
    TK_ASSERT(!e->ended, "request %lld ended twice", reply->id);
    e->ended = true;
    snprintf(seen.last_message, sizeof seen.last_message, "%s",
             reply->message ? reply->message : "");
    switch (reply->status) {
    case RPC_OK: {
        seen.results++;
        const struct json_value *v = json_member(reply->result, "value");
        if (!v || v->type != JSON_INT || v->integer != e->value)
            seen.wrong++;
        break;
    }
    case RPC_ERROR: seen.errors++; break;
    case RPC_TIMED_OUT: seen.timeouts++; break;
    case RPC_DISCONNECTED: seen.disconnects++; break;
    case RPC_CANCELLED: seen.cancels++; break;
    }
    TK_ASSERT(reply->status == e->status, "request %lld (value %lld) ended with status %d, "
              "expected %d (%s)", reply->id, e->value, (int)reply->status, (int)e->status,
              reply->message ? reply->message : "");
}

static long long call(const char *method, struct expect *e, long delay_ms, long timeout_ms)
{
    char params[96];
    snprintf(params, sizeof params, "{\"value\": %lld, \"delay\": %ld}", e->value, delay_ms);
    long long id = rpc_call(seen.rpc, method, params, timeout_ms, check_reply, e);
    TK_ASSERT(id > 0, "rpc_call(%s) failed", method);
    return id;
}

static bool nothing_in_flight(void) { return rpc_in_flight(seen.rpc) == 0; }

/* ---- the cases ------------------------------------------------------------------------ */

/* Thousands of requests at once, each answered after a random delay: every
 * reply must reach the request it answers, whatever the order. */
static void out_of_order_under_load(void)
{
    enum { N = 4000 };
    static struct expect e[N];
    connect_script_client();
    srand(8);
    for (int i = 0; i < N; i++) {
        e[i] = (struct expect){.value = 1000 + i, .status = RPC_OK};
        call("Echo", &e[i], 1 + rand() % 50, 20000);
    }
    rts_run_until(nothing_in_flight, 25000, "4000 replies");
    TK_ASSERT_INT_EQ(seen.results, N, "results");
    TK_ASSERT_INT_EQ(seen.wrong, 0, "results that answered another request");
    TK_ASSERT_INT_EQ(seen.strays, 0, "stray messages");
    const struct rpc_stats *s = rpc_client_stats(seen.rpc);
    TK_ASSERT(s->out_of_order > N / 4, "only %lu of %d replies came out of order: the "
              "delays did not reorder them", s->out_of_order, N);
    TK_ASSERT_INT_EQ(s->sent, N, "stats.sent");
    TK_ASSERT_INT_EQ(s->answered, N, "stats.answered");
    finish_case();
}

/* Each request has its own deadline: the slow ones time out, the fast
 * ones do not, and a reply that comes after its deadline is stray. */
static void deadlines(void)
{
    static struct expect fast[20], slow[20];
    connect_script_client();
    for (int i = 0; i < 20; i++) {
        fast[i] = (struct expect){.value = i, .status = RPC_OK};
        slow[i] = (struct expect){.value = 100 + i, .status = RPC_TIMED_OUT};
        call("Echo", &slow[i], 400, 100);   /* answered after its deadline */
        call("Echo", &fast[i], 10, 2000);   /* answered well within it */
    }
    long long never = 0;
    struct expect lost = {.value = 7, .status = RPC_TIMED_OUT};
    never = call("Never", &lost, 0, 150);
    rts_run_until(nothing_in_flight, 5000, "every request ended");
    TK_ASSERT_INT_EQ(seen.results, 20, "results");
    TK_ASSERT_INT_EQ(seen.timeouts, 21, "timeouts");
    TK_ASSERT(strstr(seen.last_message, "no reply within") != NULL,
              "a timeout says what happened: \"%s\"", seen.last_message);
    TK_ASSERT(never > 0, "the request without a reply was sent");
    /* The late replies arrive, and are reported, not taken. */
    rts_run_for(600);
    TK_ASSERT_INT_EQ(seen.strays, 20, "late replies reported as stray");
    TK_ASSERT(strstr(seen.last_stray, "already timed out") != NULL,
              "a late reply is named as such: \"%s\"", seen.last_stray);
    TK_ASSERT_INT_EQ(seen.wrong, 0, "results that answered another request");
    finish_case();
}

/* A second reply for the same id, and a reply for an id never sent: both
 * reported, neither taken for the answer to anything. */
static void duplicate_and_unknown_ids(void)
{
    static struct expect twice = {.value = 1, .status = RPC_OK},
                         wrong = {.value = 2, .status = RPC_TIMED_OUT},
                         after = {.value = 3, .status = RPC_OK};
    connect_script_client();
    call("Twice", &twice, 0, 2000);
    call("WrongId", &wrong, 0, 300);
    rts_run_until(nothing_in_flight, 3000, "both ended");
    TK_ASSERT_INT_EQ(seen.strays, 2, "stray messages");
    TK_ASSERT_INT_EQ(seen.results, 1, "results");
    TK_ASSERT_INT_EQ(seen.timeouts, 1, "timeouts (the request whose reply had a wrong id)");
    /* The client goes on working. */
    call("Echo", &after, 5, 2000);
    rts_run_until(nothing_in_flight, 3000, "the request after them");
    TK_ASSERT_INT_EQ(seen.results, 2, "results");
    TK_ASSERT_INT_EQ(seen.wrong, 0, "results that answered another request");
    finish_case();
}

/* The first stray must name the duplicate, the second the unknown id. */
static void stray_reasons(void)
{
    static struct expect twice = {.value = 1, .status = RPC_OK},
                         wrong = {.value = 2, .status = RPC_TIMED_OUT};
    connect_script_client();
    long long id = call("Twice", &twice, 0, 2000);
    rts_run_until(nothing_in_flight, 3000, "the reply");
    rts_run_for(200);
    char want[64];
    snprintf(want, sizeof want, "id %lld already answered", id);
    TK_ASSERT_STR_EQ(seen.last_stray, want, "the duplicate's report");
    id = call("WrongId", &wrong, 0, 200);
    rts_run_until(nothing_in_flight, 3000, "the timeout");
    snprintf(want, sizeof want, "unknown id %lld", id + 1000000);
    TK_ASSERT_STR_EQ(seen.last_stray, want, "the unknown id's report");
    finish_case();
}

/* Notifications and malformed messages between replies. */
static void notifications_and_garbage(void)
{
    static struct expect a = {.value = 5, .status = RPC_OK}, b = {.value = 6, .status = RPC_OK};
    connect_script_client();
    call("Notify", &a, 0, 2000);
    call("Garbage", &b, 0, 2000);
    rts_run_until(nothing_in_flight, 3000, "both replies");
    TK_ASSERT_INT_EQ(seen.notifications, 1, "notifications");
    TK_ASSERT_INT_EQ(seen.strays, 2, "malformed messages reported");
    TK_ASSERT_INT_EQ(seen.results, 2, "results");
    TK_ASSERT_INT_EQ(seen.wrong, 0, "results that answered another request");
    finish_case();
}

/* The connection drops with a hundred requests in flight: each fails once,
 * saying so, and no new request can be made. */
static void connection_drops(void)
{
    enum { N = 100 };
    static struct expect e[N], drop = {.value = 0, .status = RPC_DISCONNECTED};
    connect_script_client();
    for (int i = 0; i < N; i++) {
        e[i] = (struct expect){.value = i, .status = RPC_DISCONNECTED};
        call("Echo", &e[i], 5000, 10000);
    }
    call("Drop", &drop, 0, 10000);
    rts_run_until(nothing_in_flight, 5000, "every request failed");
    TK_ASSERT_INT_EQ(seen.disconnects, N + 1, "requests failed by the disconnection");
    TK_ASSERT(strstr(seen.last_message, "connection lost") != NULL,
              "the failure says the connection was lost: \"%s\"", seen.last_message);
    for (int i = 0; i < N; i++)
        TK_ASSERT(e[i].ended, "request %d never ended", i);
    struct expect late = {.value = 1, .status = RPC_OK};
    TK_ASSERT(rpc_call(seen.rpc, "Echo", "{}", 100, check_reply, &late) == -1,
              "rpc_call on a lost connection must fail at once");
    finish_case();
}

static void cancel(void)
{
    static struct expect a = {.value = 1, .status = RPC_CANCELLED},
                         b = {.value = 2, .status = RPC_OK};
    connect_script_client();
    long long id = call("Echo", &a, 100, 2000);
    call("Echo", &b, 150, 2000);
    TK_ASSERT_INT_EQ(rpc_cancel(seen.rpc, id), 0, "rpc_cancel of a request in flight");
    TK_ASSERT(a.ended, "the cancelled request's callback ran at once");
    TK_ASSERT_INT_EQ(rpc_cancel(seen.rpc, id), -1, "rpc_cancel of it again");
    rts_run_until(nothing_in_flight, 3000, "the other request");
    rts_run_for(100);
    TK_ASSERT_INT_EQ(seen.strays, 1, "the cancelled request's reply, reported");
    TK_ASSERT(strstr(seen.last_stray, "already cancelled") != NULL, "report: %s",
              seen.last_stray);
    finish_case();
}

/* rpc_call refuses params that are not a JSON object before sending. */
static void params_must_be_object(void)
{
    static struct expect e = {.value = 1, .status = RPC_OK};
    connect_script_client();
    const char *bad[] = {"[1, 2]", "42", "{\"a\": ", "\"text\"", "{} {}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        TK_ASSERT(rpc_call(seen.rpc, "Echo", bad[i], 100, check_reply, &e) == -1,
                  "rpc_call accepted params %s", bad[i]);
    TK_ASSERT_INT_EQ(rpc_client_stats(seen.rpc)->sent, 0, "requests sent");
    finish_case();
}

/* The same against ws-server's /inspect service: thousands of requests for
 * containers and widgets, known and unknown, each answered after its own
 * delay; every answer must name what its request asked for. */
struct inspect_expect {
    const char *key;   /* "widgetId" or "id" in the result, NULL for an error */
    const char *value;
    bool ended;
};

static unsigned long inspect_ok, inspect_not_found;

static void inspect_reply(struct rpc_client *rpc, const struct rpc_reply *reply, void *arg)
{
    (void)rpc;
    struct inspect_expect *e = arg;
    TK_ASSERT(!e->ended, "request %lld ended twice", reply->id);
    e->ended = true;
    if (!e->key) {
        TK_ASSERT(reply->status == RPC_ERROR && reply->code == RPC_NOT_FOUND,
                  "request %lld for an unknown id: status %d, code %lld", reply->id,
                  (int)reply->status, reply->code);
        inspect_not_found++;
        return;
    }
    TK_ASSERT(reply->status == RPC_OK, "request %lld: status %d (%s)", reply->id,
              (int)reply->status, reply->message ? reply->message : "");
    const struct json_value *v = json_member(reply->result, e->key);
    TK_ASSERT(v && v->type == JSON_STRING && strcmp(v->string, e->value) == 0,
              "request %lld: %s is not \"%s\"", reply->id, e->key, e->value);
    inspect_ok++;
}

static void inspect_under_load(void)
{
    static const char *const pairs[][2] = {
        {"c-101", "w-201"}, {"c-102", "w-202"}, {"c-103", "w-203"},
        {"c-104", "w-204"}, {"c-111", "w-211"}, {"c-112", "w-212"},
    };
    enum { N = 3000 };
    static struct inspect_expect e[N];
    struct tk_proc *server = tk_start_server(tk_program("ws-server"), "127.0.0.1", "0", NULL);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/inspect", server->port);
    connect_client(url);
    for (int i = 0; i < N; i++) {
        const char *const *pair = pairs[i % 6];
        const char *method, *asked;
        if (i % 10 == 9) { /* one in ten asks for something that is not there */
            method = i % 20 == 9 ? "GetWidgetContainer" : "GetWidgetProperties";
            asked = "nothing-here";
            e[i] = (struct inspect_expect){NULL, NULL, false};
        } else if (i % 2 == 0) {
            method = "GetWidgetContainer";
            asked = pair[0];
            e[i] = (struct inspect_expect){"widgetId", pair[1], false};
        } else {
            method = "GetWidgetProperties";
            asked = pair[1];
            e[i] = (struct inspect_expect){"id", pair[1], false};
        }
        char params[64];
        snprintf(params, sizeof params, "{\"id\": \"%s\"}", asked);
        TK_ASSERT(rpc_call(seen.rpc, method, params, 20000, inspect_reply, &e[i]) > 0,
                  "rpc_call failed");
    }
    rts_run_until(nothing_in_flight, 25000, "3000 replies from /inspect");
    TK_ASSERT_INT_EQ(inspect_ok + inspect_not_found, N, "replies");
    TK_ASSERT_INT_EQ(inspect_not_found, N / 10, "not-found errors");
    TK_ASSERT_INT_EQ(seen.strays, 0, "stray messages");
    const struct rpc_stats *s = rpc_client_stats(seen.rpc);
    TK_ASSERT(s->out_of_order > N / 4, "only %lu of %d replies came out of order",
              s->out_of_order, N);
    finish_case();
}

/* ws-inspect against the scripted server, which answers GetDocument and
 * then misbehaves; the loop runs (and serves) until ws-inspect exits. */
static struct tk_proc *run_inspector(const char *timeout)
{
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/inspect", rts_start(&script_handlers));
    struct tk_proc *p = tk_start(tk_program("ws-inspect"), "--timeout", timeout, url, "1", NULL);
    rts_run_program(p, 10000, "ws-inspect's exit");
    return p;
}

/* The connection drops with three requests in flight: each fails with a
 * line that says so, and the program exits 1. */
static void inspect_lost_connection(void)
{
    containers_behaviour = CONTAINERS_DROP;
    struct tk_proc *p = run_inspector("5000");
    const char *err = p->err_text ? p->err_text : "";
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status");
    for (int i = 1; i <= 3; i++) {
        char line[128];
        snprintf(line, sizeof line, "ws-inspect: GetWidgetContainer \"c-%d\" (id %d): "
                 "connection lost before the reply", i, i + 1);
        TK_ASSERT(strstr(err, line) != NULL, "no line \"%s\" in: %s", line, err);
    }
    TK_ASSERT(strstr(err, "sent=4 answered=1 ") != NULL, "the summary: %s", err);
    finish_case();
}

static void inspect_timeout(void)
{
    containers_behaviour = CONTAINERS_NEVER;
    struct tk_proc *p = run_inspector("300");
    const char *err = p->err_text ? p->err_text : "";
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status");
    TK_ASSERT(strstr(err, "ws-inspect: GetWidgetContainer \"c-2\" (id 3): no reply within "
                          "300 ms\n") != NULL, "the timeout lines: %s", err);
    TK_ASSERT(strstr(err, "timed_out=3 ") != NULL, "the summary: %s", err);
    finish_case();
}

/* Every prefix of a reply (a message cut short by a broken peer) is
 * reported as stray and ends nothing; the whole reply then ends its
 * request.  So do replies with hostile shapes. */
static void malformed_replies(void)
{
    static struct expect e = {.value = 42, .status = RPC_OK};
    connect_script_client();
    long long id = call("Never", &e, 0, 5000);
    char whole[128];
    snprintf(whole, sizeof whole, "{\"id\": %lld, \"result\": {\"value\": 42}}", id);
    size_t len = strlen(whole);
    for (size_t cut = 0; cut < len; cut++)
        rpc_client_message(seen.rpc, whole, cut);
    static const char *const hostile[] = {
        "{\"id\": 1, \"result\": {}, \"error\": {\"code\": 1, \"message\": \"both\"}}",
        "{\"id\": 1, \"error\": {\"code\": \"x\", \"message\": \"code not a number\"}}",
        "{\"id\": 1, \"error\": \"not an object\"}",
        "{\"id\": 1}",
        "{\"id\": \"1\", \"result\": {}}",
        "{\"id\": 1.0, \"result\": {}}",
        "{\"id\": 99999999999999999999, \"result\": {}}",
        "{\"id\": -1, \"result\": {}}",
        "[{\"id\": 1, \"result\": {}}]",
        "{\"id\": 1, \"id\": 1, \"result\": {}}",
        "\"id\"",
    };
    enum { HOSTILE = sizeof hostile / sizeof hostile[0] };
    for (size_t i = 0; i < HOSTILE; i++)
        rpc_client_message(seen.rpc, hostile[i], strlen(hostile[i]));
    TK_ASSERT_INT_EQ(seen.strays, len + HOSTILE, "messages reported as stray");
    TK_ASSERT(!e.ended, "a malformed message ended the request");
    rpc_client_message(seen.rpc, whole, len);
    TK_ASSERT(e.ended && seen.results == 1 && seen.wrong == 0, "the whole reply ended it");
    finish_case();
}

/* The inspector itself, on this test's loop, with replies held for 5 s:
 * the request beyond INSPECT_MAX_WAITING waiting ones gets the connection
 * closed with 1008, and every request in flight fails with it. */
static int flood_close_code;
static void note_close_code(struct ws *ws, int code, const char *reason)
{
    flood_close_code = code;
    client_close(ws, code, reason);
}

static bool closed(void) { return seen.closed; }

static void inspect_flood_closed(void)
{
    enum { N = INSPECT_MAX_WAITING + 1 };
    static struct expect e[N];
    static const struct ws_handlers watching = {
        .on_open = client_open, .on_message = client_message, .on_close = note_close_code};
    inspect_set_delays(5000, 5000);
    char url[64], err[EV_ERR_LEN];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/inspect", rts_start(&inspect_handlers));
    TK_ASSERT(ws_connect(rts_loop, url, &watching, NULL, NULL, err) != NULL, "ws_connect: %s",
              err);
    rts_run_until(is_open, 5000, "the opening handshake");
    for (int i = 0; i < N; i++) {
        e[i] = (struct expect){.value = i, .status = RPC_DISCONNECTED};
        TK_ASSERT(rpc_call(seen.rpc, "GetWidgetContainer", "{\"id\": \"c-101\"}", 20000,
                           check_reply, &e[i]) > 0, "rpc_call failed");
    }
    rts_run_until(closed, 10000, "the server's close");
    TK_ASSERT_INT_EQ(flood_close_code, WS_CLOSE_POLICY_VIOLATION, "the close code");
    TK_ASSERT_INT_EQ(seen.disconnects, N, "requests failed by the close");
    finish_case();
}

/* ---- rpc_connect: the client and its connection in one call -------------------------- */

/* What the handlers of rpc_connect() saw, in order. */
static struct {
    char order[64];            /* "ready reply ended" */
    int user;                  /* the user pointer points here */
    bool ended, handshake_failed;
    int code;
    char why[160];
    unsigned long failed_before_end; /* RPC_DISCONNECTED replies before on_ended */
} conn;

static void note(const char *event)
{
    size_t used = strlen(conn.order);
    snprintf(conn.order + used, sizeof conn.order - used, "%s%s", used ? " " : "", event);
}

static void connect_ready(struct rpc_client *rpc)
{
    note("ready");
    TK_ASSERT(rpc_client_user(rpc) == &conn.user, "the client's user pointer");
    TK_ASSERT(rpc_client_ws(rpc) != NULL, "a ready client without its connection");
    seen.rpc = rpc;
}

static void connect_ended(struct rpc_client *rpc, const struct rpc_end *end)
{
    note("ended");
    TK_ASSERT(!conn.ended, "on_ended ran twice");
    TK_ASSERT(end->user == &conn.user, "the user pointer of on_ended");
    TK_ASSERT(end->handshake_failed == (rpc == NULL),
              "rpc is NULL exactly when the handshake failed");
    TK_ASSERT(rpc == NULL || rpc == seen.rpc, "on_ended with another client");
    if (rpc) {
        TK_ASSERT_INT_EQ(rpc_in_flight(rpc), 0, "requests in flight at on_ended");
        TK_ASSERT(rpc_client_ws(rpc) == NULL, "the client still names its connection");
        TK_ASSERT(rpc_call(rpc, "Echo", "{}", 100, check_reply, NULL) == -1,
                  "rpc_call after the end must fail at once");
    }
    conn.ended = true;
    conn.handshake_failed = end->handshake_failed;
    conn.code = end->code;
    snprintf(conn.why, sizeof conn.why, "%s", end->why);
    conn.failed_before_end = seen.disconnects;
}

static bool connection_ended(void) { return conn.ended; }

/* Connects to url with h; the handlers run from the loop. */
static void start_connect(const char *url, const struct rpc_connect_handlers *h)
{
    char err[EV_ERR_LEN];
    if (!rts_loop)
        rts_loop_new();
    TK_ASSERT(rpc_connect(rts_loop, url, h, &conn.user, err) == 0, "rpc_connect: %s", err);
}

static void script_url(char *url, size_t size)
{
    snprintf(url, size, "ws://127.0.0.1:%d/script", rts_start(&script_handlers));
}

/* A whole run: ready, one request and its reply, a clean close, ended. */
static void reply_then_close(struct rpc_client *rpc, const struct rpc_reply *reply, void *arg)
{
    check_reply(rpc, reply, arg);
    note("reply");
    ws_close(rpc_client_ws(rpc), WS_CLOSE_NORMAL, "done");
}

static void ready_one_request(struct rpc_client *rpc)
{
    static struct expect e = {.value = 42, .status = RPC_OK};
    connect_ready(rpc);
    TK_ASSERT(rpc_call(rpc, "Echo", "{\"value\": 42, \"delay\": 5}", 2000, reply_then_close,
                       &e) > 0, "rpc_call failed");
}

static void connect_reply(void)
{
    static const struct rpc_connect_handlers h = {.on_ready = ready_one_request,
                                                  .on_ended = connect_ended};
    char url[64];
    script_url(url, sizeof url);
    start_connect(url, &h);
    rts_run_until(connection_ended, 5000, "the end of the connection");
    TK_ASSERT_STR_EQ(conn.order, "ready reply ended", "the order of the handlers");
    TK_ASSERT_INT_EQ(seen.results, 1, "results");
    TK_ASSERT_INT_EQ(seen.wrong, 0, "results that answered another request");
    TK_ASSERT(!conn.handshake_failed, "a clean close reported as a failed handshake");
    TK_ASSERT_INT_EQ(conn.code, WS_CLOSE_NORMAL, "the close code");
    /* The code and reason are the server's close frame's, which echoes the
     * code without a reason. */
    TK_ASSERT_STR_EQ(conn.why, "closed with code 1000", "why it ended");
    finish_case();
}

/* Servers that never switch to WebSocket: one answers the upgrade request
 * with 404, the other closes the connection as soon as it has it. */
static void answer_404(struct ev_conn *c)
{
    static const char answer[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    ev_write(c, answer, sizeof answer - 1);
    ev_close(c);
}

static void close_at_once(struct ev_conn *c) { ev_close_now(c); }

static void ready_never(struct rpc_client *rpc)
{
    (void)rpc;
    TK_FAIL("on_ready after a failed handshake");
}

static void handshake_fails_with(const struct ev_handlers *server, const char *what)
{
    static const struct rpc_connect_handlers h = {.on_ready = ready_never,
                                                  .on_ended = connect_ended};
    int port;
    rts_loop_new();
    int fd = tk_listen("127.0.0.1", &port);
    TK_ASSERT(ev_listen(rts_loop, fd, server, NULL) == 0, "ev_listen failed");
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/script", port);
    start_connect(url, &h);
    rts_run_until(connection_ended, 5000, what);
    TK_ASSERT(strcmp(conn.order, "ended") == 0, "%s: the handlers run: %s", what, conn.order);
    TK_ASSERT(conn.handshake_failed, "%s: not reported as a failed handshake", what);
    TK_ASSERT_INT_EQ(conn.code, WS_CLOSE_ABNORMAL, "the close code");
    rts_finish();
    conn.ended = false;
    conn.order[0] = '\0';
}

static void connect_handshake_failed(void)
{
    static const struct ev_handlers not_found = {.on_data = answer_404};
    static const struct ev_handlers closing = {.on_open = close_at_once};
    handshake_fails_with(&not_found, "a 404 answer");
    TK_ASSERT_STR_EQ(conn.why, "the server did not switch protocols", "why (404)");
    handshake_fails_with(&closing, "a connection closed at once");
    /* "closed by peer" or "reset by peer", as the kernel's timing has it. */
    TK_ASSERT(conn.why[0] != '\0', "no reason for the closed connection");
}

/* What fails before the loop runs is rpc_connect's error, and no handler
 * ever runs. */
static void connect_refused(void)
{
    static const struct rpc_connect_handlers h = {.on_ready = ready_never,
                                                  .on_ended = connect_ended};
    char err[EV_ERR_LEN], url[64];
    rts_loop_new();
    TK_ASSERT_INT_EQ(rpc_connect(rts_loop, "http://127.0.0.1:1/", &h, NULL, err), -1,
                     "rpc_connect to an http:// URL");
    TK_ASSERT(strstr(err, "only ws:// URLs") != NULL, "the error: %s", err);
    int port, fd = tk_refusing_port("127.0.0.1", &port);
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", port);
    TK_ASSERT_INT_EQ(rpc_connect(rts_loop, url, &h, NULL, err), -1,
                     "rpc_connect to a refusing port");
    TK_ASSERT(strstr(err, "refused") != NULL, "the error: %s", err);
    close(fd);
    rts_run_for(50);
    TK_ASSERT_STR_EQ(conn.order, "", "handlers run");
    finish_case();
}

/* The server ends the connection with requests in flight: each fails,
 * saying how the connection ended, before on_ended runs. */
static void ready_then_end(struct rpc_client *rpc, const char *how)
{
    enum { N = 20 };
    static struct expect e[N + 1];
    connect_ready(rpc);
    for (int i = 0; i < N; i++) {
        e[i] = (struct expect){.value = i, .status = RPC_DISCONNECTED};
        call("Echo", &e[i], 5000, 10000);
    }
    e[N] = (struct expect){.value = N, .status = RPC_DISCONNECTED};
    call(how, &e[N], 0, 10000);
}

static void ready_then_close(struct rpc_client *rpc) { ready_then_end(rpc, "Close"); }
static void ready_then_drop(struct rpc_client *rpc) { ready_then_end(rpc, "Drop"); }

static void connect_closed_in_flight(void)
{
    static const struct rpc_connect_handlers closed_by_server = {
        .on_ready = ready_then_close, .on_ended = connect_ended};
    char url[64];
    script_url(url, sizeof url);
    start_connect(url, &closed_by_server);
    rts_run_until(connection_ended, 5000, "the end of the connection");
    TK_ASSERT_STR_EQ(conn.order, "ready ended", "the order of the handlers");
    TK_ASSERT_INT_EQ(conn.failed_before_end, 21, "requests failed before on_ended");
    TK_ASSERT(!conn.handshake_failed, "a close reported as a failed handshake");
    TK_ASSERT_INT_EQ(conn.code, WS_CLOSE_GOING_AWAY, "the close code");
    TK_ASSERT_STR_EQ(conn.why, "closed with code 1001, shutting down", "why it ended");
    TK_ASSERT_STR_EQ(seen.last_message,
                     "connection lost before the reply: closed with code 1001, shutting down",
                     "what the requests failed with");
    finish_case();
}

static void connect_dropped_in_flight(void)
{
    static const struct rpc_connect_handlers dropped = {.on_ready = ready_then_drop,
                                                        .on_ended = connect_ended};
    char url[64];
    script_url(url, sizeof url);
    start_connect(url, &dropped);
    rts_run_until(connection_ended, 5000, "the end of the connection");
    TK_ASSERT_STR_EQ(conn.order, "ready ended", "the order of the handlers");
    TK_ASSERT_INT_EQ(conn.failed_before_end, 21, "requests failed before on_ended");
    TK_ASSERT(!conn.handshake_failed, "a dropped connection reported as a failed handshake");
    TK_ASSERT_INT_EQ(conn.code, WS_CLOSE_ABNORMAL, "the close code");
    TK_ASSERT(strncmp(conn.why, "closed with code 1006, ", 23) == 0, "why it ended: %s",
              conn.why);
    finish_case();
}

/* ---- the server side's helpers ------------------------------------------------------ */

static void parse_requests(void)
{
    struct rpc_request req;
    int code;
    long long id;
    char err[JSON_ERR_LEN];
    const char *good = "{\"method\": \"GetDocument\", \"params\": {\"id\": \"1\"}, \"id\": 7}";
    TK_ASSERT(rpc_parse_request(good, strlen(good), &req, &code, &id, err) == 0, "%s", err);
    TK_ASSERT_INT_EQ(req.id, 7, "id");
    TK_ASSERT_STR_EQ(req.method, "GetDocument", "method");
    TK_ASSERT(json_member(req.params, "id") != NULL, "params.id");
    rpc_request_free(&req);

    const char *note = "{\"method\": \"Hello\"}";
    TK_ASSERT(rpc_parse_request(note, strlen(note), &req, &code, &id, err) == 0, "%s", err);
    TK_ASSERT_INT_EQ(req.id, 0, "a notification's id");
    TK_ASSERT(req.params && req.params->type == JSON_OBJECT, "absent params read as {}");
    rpc_request_free(&req);

    static const struct {
        const char *text;
        int code;
        long long id;
    } bad[] = {
        {"not json", RPC_PARSE_ERROR, 0},
        {"{\"method\": \"M\", \"id\": 3", RPC_PARSE_ERROR, 0},
        {"[1, 2]", RPC_INVALID_REQUEST, 0},
        {"{\"id\": 4}", RPC_INVALID_REQUEST, 4},
        {"{\"method\": 5, \"id\": 5}", RPC_INVALID_REQUEST, 5},
        {"{\"method\": \"M\", \"id\": \"6\"}", RPC_INVALID_REQUEST, 0},
        {"{\"method\": \"M\", \"id\": 0}", RPC_INVALID_REQUEST, 0},
        {"{\"method\": \"M\", \"id\": -8}", RPC_INVALID_REQUEST, 0},
        {"{\"method\": \"M\", \"id\": 1.5}", RPC_INVALID_REQUEST, 0},
        {"{\"method\": \"M\", \"params\": [1], \"id\": 9}", RPC_INVALID_PARAMS, 9},
    };
    /* Cut anywhere, a request is not JSON. */
    for (size_t cut = 0; cut < strlen(good); cut++) {
        TK_ASSERT(rpc_parse_request(good, cut, &req, &code, &id, err) == -1,
                  "accepted the first %zu bytes of a request", cut);
        TK_ASSERT_INT_EQ(code, RPC_PARSE_ERROR, "the code for a cut request");
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = rpc_parse_request(bad[i].text, strlen(bad[i].text), &req, &code, &id, err);
        TK_ASSERT(rc == -1, "accepted %s", bad[i].text);
        TK_ASSERT(code == bad[i].code, "%s: code %d, expected %d", bad[i].text, code,
                  bad[i].code);
        TK_ASSERT(id == bad[i].id, "%s: id %lld, expected %lld", bad[i].text, id, bad[i].id);
        TK_ASSERT(err[0] != '\0', "%s: no message", bad[i].text);
    }
}

static void write_replies(void)
{
    size_t len;
    struct json_writer w;
    char err[JSON_ERR_LEN];
    rpc_result_begin(&w, 7);
    json_write_string(&w, "widgetId", "w-1", 3);
    char *text = rpc_result_end(&w, &len, err);
    TK_ASSERT_STR_EQ(text, "{\"id\": 7, \"result\": {\"widgetId\": \"w-1\"}}", "result");
    TK_ASSERT_INT_EQ(len, strlen(text), "length");
    free(text);
    text = rpc_error_text(8, RPC_METHOD_NOT_FOUND, "no method \"X\"", &len);
    TK_ASSERT_STR_EQ(text,
                     "{\"id\": 8, \"error\": {\"code\": -32601, \"message\": \"no method \\\"X\\\"\"}}",
                     "error");
    free(text);
    text = rpc_error_text(0, RPC_PARSE_ERROR, "not JSON", &len);
    TK_ASSERT_STR_EQ(text, "{\"id\": null, \"error\": {\"code\": -32700, \"message\": \"not JSON\"}}",
                     "error without an id");
    free(text);
}

/* ---- ws_upgrade_handlers: the HTTP side of a server that speaks only WebSocket -------- */

static int probe_fd = -1;

static bool probe_readable(void)
{
    return tk_readable(probe_fd, 0);
}

/* A listener with ws_upgrade_handlers and a handshake timeout of 300 ms;
 * a client connected to it, which sends request (if not NULL); the loop
 * runs until the server has answered or closed.  What came back. */
static char *upgrade_exchange(const char *request)
{
    static const struct ws_options options = {.handshake_timeout_ms = 300};
    static struct ws_service service = {.options = &options};
    service.handlers = &script_handlers;
    int port;
    rts_loop_new();
    int listener = tk_listen("127.0.0.1", &port);
    TK_ASSERT(ev_listen(rts_loop, listener, &ws_upgrade_handlers, &service) == 0,
              "ev_listen failed");
    probe_fd = tk_connect("127.0.0.1", port);
    if (request != NULL)
        tk_send(probe_fd, request, strlen(request), 5000);
    rts_run_until(probe_readable, 5000, "the server's answer or close");
    static char answer[1024];
    size_t n = 0;
    ssize_t got;
    while (n < sizeof answer - 1 &&
           (got = recv(probe_fd, answer + n, sizeof answer - 1 - n, MSG_DONTWAIT)) > 0)
        n += (size_t)got;
    answer[n] = '\0';
    return answer;
}

/* The connection was closed by the server after what it sent. */
static void expect_closed(void)
{
    rts_run_until(probe_readable, 5000, "the close");
    char byte;
    TK_ASSERT(recv(probe_fd, &byte, 1, MSG_DONTWAIT) <= 0, "more than the answer came");
    close(probe_fd);
    rts_finish();
}

/* A request that is not an upgrade gets ws_accept()'s refusal (RFC 6455
 * §4.2.1: no Upgrade: websocket header, 400). */
static void upgrade_only_plain_request(void)
{
    char *answer = upgrade_exchange("GET /page HTTP/1.1\r\nHost: x\r\n\r\n");
    TK_ASSERT(strncmp(answer, "HTTP/1.1 400 ", 13) == 0, "a plain GET answered: %s", answer);
    TK_ASSERT(strstr(answer, "no Upgrade: websocket header") != NULL, "the reason: %s", answer);
    expect_closed();
}

/* A malformed request gets 400, then the close. */
static void upgrade_only_malformed(void)
{
    char *answer = upgrade_exchange("GARBAGE\r\n\r\n");
    TK_ASSERT(strncmp(answer, "HTTP/1.1 400 ", 13) == 0, "garbage answered: %s", answer);
    expect_closed();
}

/* A request head that never ends is closed at the handshake timeout. */
static void upgrade_only_slow_head(void)
{
    long long start = tk_now_ms();
    char *answer = upgrade_exchange("GET /chat HTTP/1.1\r\nHost: x\r\n");
    TK_ASSERT_STR_EQ(answer, "", "an answer to half a head");
    TK_ASSERT(tk_now_ms() - start >= 290, "closed after %lld ms, before the 300 ms timeout",
              tk_now_ms() - start);
    expect_closed();
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    static const struct tk_case cases[] = {
        {"rpc.out-of-order-under-load", out_of_order_under_load},
        {"rpc.deadlines", deadlines},
        {"rpc.duplicate-and-unknown-ids", duplicate_and_unknown_ids},
        {"rpc.stray-reasons", stray_reasons},
        {"rpc.notifications-and-garbage", notifications_and_garbage},
        {"rpc.connection-drops", connection_drops},
        {"rpc.cancel", cancel},
        {"rpc.malformed-replies", malformed_replies},
        {"rpc.inspect-under-load", inspect_under_load},
        {"rpc.inspect-lost-connection", inspect_lost_connection},
        {"rpc.inspect-flood-closed", inspect_flood_closed},
        {"rpc.inspect-timeout", inspect_timeout},
        {"rpc.params-must-be-object", params_must_be_object},
        {"rpc.connect-reply", connect_reply},
        {"rpc.connect-handshake-failed", connect_handshake_failed},
        {"rpc.connect-refused", connect_refused},
        {"rpc.connect-closed-in-flight", connect_closed_in_flight},
        {"rpc.connect-dropped-in-flight", connect_dropped_in_flight},
        {"rpc.upgrade-only-plain-request", upgrade_only_plain_request},
        {"rpc.upgrade-only-malformed", upgrade_only_malformed},
        {"rpc.upgrade-only-slow-head", upgrade_only_slow_head},
        {"rpc.parse-requests", parse_requests},
        {"rpc.write-replies", write_replies},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
