/* ex4-rpc-cancel - graded test of exercise 4: ws-find-widget cancels what
 * it no longer needs.
 *
 * The test is the server: a document of five containers, whose widgets'
 * properties come back after chosen delays, and some never.  The program
 * must print the first widget of the asked type to arrive, and exit at
 * once with a clean close, long before the deadlines of the requests that
 * will never be answered (20 s here).
 */
#include "json.h"
#include "rpc-test-server.h"
#include "rpc.h"
#include "testkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEVER (-1)

/* The document of a case: widget w-i is in container c-i. */
struct widget {
    const char *type;
    long container_delay_ms; /* NEVER: its container is never answered */
    long delay_ms;           /* NEVER: its properties are never answered */
};
static const struct widget *widgets;
static int widget_count;
static int close_code; /* the close code the client sent, 0 if none */
static bool closed;

static char *reply_text(long long id, const char *key, const char *value, const char *type)
{
    struct json_writer w;
    char err[JSON_ERR_LEN];
    size_t len;
    rpc_result_begin(&w, id);
    if (key)
        json_write_string(&w, key, value, strlen(value));
    if (type) {
        json_write_string(&w, "id", value, strlen(value));
        json_write_string(&w, "type", type, strlen(type));
    }
    char *text = rpc_result_end(&w, &len, err);
    TK_ASSERT(text != NULL, "writing a reply: %s", err);
    return text;
}

static void on_message(struct ws *ws, enum ws_opcode opcode, const char *data, size_t len)
{
    (void)opcode;
    struct rpc_request req;
    rts_read_request(data, len, &req);
    const char *asked = rts_param_id(&req);
    if (strcmp(req.method, "GetDocument") == 0) {
        struct json_writer w;
        char err[JSON_ERR_LEN];
        rpc_result_begin(&w, req.id);
        json_write_string(&w, "type", "biDashboard", 11);
        json_write_array_begin(&w, "widgetContainerIds");
        for (int i = 1; i <= widget_count; i++) {
            char c[16];
            snprintf(c, sizeof c, "c-%d", i);
            json_write_string(&w, NULL, c, strlen(c));
        }
        json_write_array_end(&w);
        size_t text_len;
        char *text = rpc_result_end(&w, &text_len, err);
        rts_send_later(ws, text, text_len, 5);
    } else {
        bool container = strcmp(req.method, "GetWidgetContainer") == 0;
        TK_ASSERT(container || strcmp(req.method, "GetWidgetProperties") == 0,
                  "unexpected method %s", req.method);
        int i = atoi(asked + 2);
        TK_ASSERT(i >= 1 && i <= widget_count, "asked for %s", asked);
        const struct widget *wd = &widgets[i - 1];
        long delay = container ? wd->container_delay_ms : wd->delay_ms;
        char widget_id[16];
        snprintf(widget_id, sizeof widget_id, "w-%d", i);
        if (delay != NEVER) {
            char *text = container ? reply_text(req.id, "widgetId", widget_id, NULL)
                                   : reply_text(req.id, NULL, widget_id, wd->type);
            rts_send_later(ws, text, strlen(text), delay);
        }
    }
    rpc_request_free(&req);
}

static void on_close(struct ws *ws, int code, const char *reason)
{
    (void)ws, (void)reason;
    close_code = code;
    closed = true;
}

static const struct ws_handlers server = {.on_message = on_message, .on_close = on_close};

static void find(const struct widget *doc, int count, const char *type, const char *want)
{
    widgets = doc;
    widget_count = count;
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/inspect", rts_start(&server));
    long long start = tk_now_ms();
    struct tk_proc *p = tk_start(tk_program("ws-find-widget"), "--timeout", "20000", url, "1",
                                 type, NULL);
    rts_run_program(p, 8000, "ws-find-widget's exit");
    long long took = tk_now_ms() - start;
    const char *err = p->err_text ? p->err_text : "";
    TK_ASSERT(tk_exit_code(p) == 0, "ws-find-widget failed: %s", err);
    TK_ASSERT_STR_EQ(p->out_text ? p->out_text : "", want, "the widget printed");
    TK_ASSERT(took < 3000, "it took %lld ms: the requests that will never be answered "
              "should have been cancelled, not waited for", took);
    rts_run_for(100);
    TK_ASSERT(closed && close_code == WS_CLOSE_NORMAL,
              "the connection should end with a closing handshake, code 1000 (got %d)",
              closed ? close_code : 0);
    rts_finish();
}

/* The table w-4 comes before the other table, w-2, which never comes. */
static void first_table(void)
{
    static const struct widget doc[] = {
        {"chart", 5, 10}, {"table", 5, NEVER}, {"label", 5, NEVER},
        {"table", 5, 30}, {"chart", 5, NEVER},
    };
    find(doc, 5, "table", "{\"id\": \"w-4\", \"type\": \"table\"}\n");
}

/* The first chart to arrive, w-5, not the first in the document, w-1. */
static void first_chart_to_arrive(void)
{
    static const struct widget doc[] = {
        {"chart", 5, 400}, {"table", 5, NEVER}, {"label", 5, 20},
        {"table", NEVER, 0}, {"chart", 5, 40},
    };
    find(doc, 5, "chart", "{\"id\": \"w-5\", \"type\": \"chart\"}\n");
}

/* Containers still in flight are cancelled too. */
static void containers_in_flight(void)
{
    static const struct widget doc[] = {
        {"label", 5, 10}, {"table", NEVER, 0}, {"chart", NEVER, 0},
        {"label", NEVER, 0}, {"chart", NEVER, 0},
    };
    find(doc, 5, "label", "{\"id\": \"w-1\", \"type\": \"label\"}\n");
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"first-table", first_table},
        {"first-chart-to-arrive", first_chart_to_arrive},
        {"containers-in-flight", containers_in_flight},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
