/* ex5-rpc-limit - graded test of exercise 5: ws-fetch-widgets keeps at most
 * N requests in flight, and uses all N.
 *
 * The test is the server.  It answers every GetWidgetProperties after a
 * random delay of 1 to 20 ms (an error for a widget whose id starts with
 * "x-"), and counts the requests it holds: received and not yet answered.
 * The most it ever held must be exactly the limit: more breaks the limit,
 * fewer leaves the pipeline half empty.
 */
#include "json.h"
#include "rpc-test-server.h"
#include "rpc.h"
#include "testkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int held, most_held, received;

static void on_sent(struct ws *ws)
{
    (void)ws;
    held--;
}

static void on_message(struct ws *ws, enum ws_opcode opcode, const char *data, size_t len)
{
    (void)opcode;
    struct rpc_request req;
    rts_read_request(data, len, &req);
    TK_ASSERT(strcmp(req.method, "GetWidgetProperties") == 0, "unexpected method %s",
              req.method);
    const char *widget = rts_param_id(&req);
    received++;
    if (++held > most_held)
        most_held = held;
    size_t text_len;
    char *text;
    if (strncmp(widget, "x-", 2) == 0) {
        text = rpc_error_text(req.id, RPC_NOT_FOUND, "no such widget", &text_len);
    } else {
        struct json_writer w;
        char err[JSON_ERR_LEN];
        rpc_result_begin(&w, req.id);
        json_write_string(&w, "id", widget, strlen(widget));
        json_write_string(&w, "type", "chart", 5);
        text = rpc_result_end(&w, &text_len, err);
    }
    TK_ASSERT(text != NULL, "writing a reply");
    rts_send_later(ws, text, text_len, 1 + rand() % 20);
    rpc_request_free(&req);
}

static const struct ws_handlers server = {.on_message = on_message};

/* Runs ws-fetch-widgets on count widgets named w-1... (x-N for the numbers
 * in bad, a list ending with 0) with the given option, and checks its
 * output and the most requests held at once. */
static void fetch(int count, const char *limit, int want_most, const int *bad)
{
    srand(5);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/inspect", rts_start(&server));
    rts_on_sent = on_sent;
    const char *argv[128];
    static char names[100][16];
    int argc = 0;
    argv[argc++] = tk_program("ws-fetch-widgets");
    if (limit) {
        argv[argc++] = "--max-in-flight";
        argv[argc++] = limit;
    }
    argv[argc++] = url;
    char want[8192] = "";
    int failures = 0;
    for (int i = 1; i <= count; i++) {
        bool is_bad = false;
        for (const int *b = bad; b && *b; b++)
            is_bad |= *b == i;
        snprintf(names[i], sizeof names[i], "%s-%d", is_bad ? "x" : "w", i);
        argv[argc++] = names[i];
        if (is_bad)
            failures++;
        else
            snprintf(want + strlen(want), sizeof want - strlen(want),
                     "{\"id\": \"w-%d\", \"type\": \"chart\"}\n", i);
    }
    argv[argc] = NULL;
    struct tk_proc *p = tk_startv(argv);
    rts_run_program(p, 15000, "ws-fetch-widgets's exit");
    const char *err = p->err_text ? p->err_text : "";
    TK_ASSERT_INT_EQ(received, count, "requests received");
    TK_ASSERT(most_held <= want_most, "%d requests were in flight at once; the limit is %d",
              most_held, want_most);
    TK_ASSERT(most_held == want_most, "at most %d requests were in flight at once: the "
              "limit of %d was never used (are you waiting for each reply?)", most_held,
              want_most);
    TK_ASSERT_STR_EQ(p->out_text ? p->out_text : "", want, "the widgets printed, in order");
    TK_ASSERT_INT_EQ(tk_exit_code(p), failures ? 1 : 0, "exit status");
    for (const int *b = bad; b && *b; b++) {
        char line[64];
        snprintf(line, sizeof line, "ws-fetch-widgets: x-%d: no such widget\n", *b);
        TK_ASSERT(strstr(err, line) != NULL, "no line \"%s\" in: %s", line, err);
    }
    rts_finish();
}

static void limit_4(void) { fetch(40, "4", 4, NULL); }
static void limit_1(void) { fetch(12, "1", 1, NULL); }
static void default_limit(void) { fetch(50, NULL, 8, NULL); }

static void errors_in_between(void)
{
    static const int bad[] = {2, 9, 10, 17, 0};
    fetch(30, "3", 3, bad);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"limit-4", limit_4},
        {"limit-1", limit_1},
        {"default-limit", default_limit},
        {"errors-in-between", errors_in_between},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
