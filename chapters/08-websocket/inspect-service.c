/* inspect-service.c - the document inspector of ws-server (see
 * inspect-service.h): requests in, replies out after delays of their own. */
#include "inspect-service.h"

#include "inspect-documents.h"
#include "json.h"
#include "rpc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the three methods ---------------------------------------------------------- */

/* The answer to one request: the text of the whole reply once a method has
 * written its result, or else an error code and message. */
struct answer {
    long long id;  /* the request's */
    struct json_writer w;
    char *text;
    int code;
    char message[JSON_ERR_LEN + 64];
};

/* An error, whose message quotes a name the client sent.  A long name is
 * cut, at a character boundary, so that the message stays short and stays
 * UTF-8 (the JSON writer refuses anything else). */
static void fail(struct answer *a, int code, const char *fmt, const char *name)
{
    enum { SHOWN = 48 };
    char shown[SHOWN + 4];
    size_t len = strlen(name);
    if (len > SHOWN) {
        len = SHOWN;
        while (len > 0 && ((unsigned char)name[len] & 0xC0) == 0x80)
            len--; /* name[len] continues a character: cut before it */
    }
    snprintf(shown, sizeof shown, "%.*s%s", (int)len, name, name[len] ? "..." : "");
    a->code = code;
    snprintf(a->message, sizeof a->message, fmt, shown);
}

/* Each method starts its result with rpc_result_begin(&a->w, a->id), writes
 * its members, and ends with this. */
static void finish_result(struct answer *a)
{
    size_t len;
    char err[JSON_ERR_LEN];
    a->text = rpc_result_end(&a->w, &len, err);
    if (!a->text)
        fail(a, RPC_INTERNAL_ERROR, "could not write the result: %s", err);
}

static void get_document(const char *id, struct answer *a)
{
    const struct document *d = find_document(id);
    if (!d) {
        fail(a, RPC_NOT_FOUND, "no document with id \"%s\"", id);
        return;
    }
    rpc_result_begin(&a->w, a->id);
    json_write_string(&a->w, "type", d->type, strlen(d->type));
    json_write_string(&a->w, "title", d->title, strlen(d->title));
    json_write_array_begin(&a->w, "widgetContainerIds");
    for (const char *const *c = d->container_ids; *c; c++)
        json_write_string(&a->w, NULL, *c, strlen(*c));
    json_write_array_end(&a->w);
    finish_result(a);
}

static void get_widget_container(const char *id, struct answer *a)
{
    const struct container *c = find_container(id);
    if (!c) {
        fail(a, RPC_NOT_FOUND, "no widget container with id \"%s\"", id);
        return;
    }
    rpc_result_begin(&a->w, a->id);
    json_write_string(&a->w, "widgetId", c->widget_id, strlen(c->widget_id));
    finish_result(a);
}

/* A member whose value is a string that may be absent. */
static void write_optional(struct json_writer *w, const char *key, const char *value)
{
    if (value)
        json_write_string(w, key, value, strlen(value));
}

static void get_widget_properties(const char *id, struct answer *a)
{
    const struct widget *wd = find_widget(id);
    if (!wd) {
        fail(a, RPC_NOT_FOUND, "no widget with id \"%s\"", id);
        return;
    }
    struct json_writer *w = &a->w;
    rpc_result_begin(w, a->id);
    json_write_string(w, "id", wd->id, strlen(wd->id));
    json_write_string(w, "type", wd->type, strlen(wd->type));
    json_write_string(w, "title", wd->title, strlen(wd->title));
    json_write_object_begin(w, "dataSource");
    json_write_string(w, "kind", wd->source.kind, strlen(wd->source.kind));
    write_optional(w, "connection", wd->source.connection);
    write_optional(w, "sql", wd->source.sql);
    write_optional(w, "link", wd->source.link);
    json_write_object_end(w);
    finish_result(a);
}

static const struct method {
    const char *name;
    void (*run)(const char *id, struct answer *a);
} methods[] = {
    {"GetDocument", get_document},
    {"GetWidgetContainer", get_widget_container},
    {"GetWidgetProperties", get_widget_properties},
};

/* Every method takes {"id": "..."}: a string. */
static void dispatch(const struct rpc_request *req, struct answer *a)
{
    const struct method *m = NULL;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(methods[i].name, req->method) == 0)
            m = &methods[i];
    const char *id;
    size_t id_len;
    if (!m)
        fail(a, RPC_METHOD_NOT_FOUND, "no method \"%s\"", req->method);
    else if (!json_as_string(json_member(req->params, "id"), &id, &id_len) ||
             strlen(id) != id_len)
        fail(a, RPC_INVALID_PARAMS, "%s needs params {\"id\": a string}", m->name);
    else
        m->run(id, a);
}

/* ---- replies after a delay ---------------------------------------------------- */

static long min_delay_ms = INSPECT_MIN_DELAY_MS, max_delay_ms = INSPECT_MAX_DELAY_MS;

void inspect_set_delays(long min_ms, long max_ms)
{
    min_delay_ms = min_ms;
    max_delay_ms = max_ms > min_ms ? max_ms : min_ms;
}

/* A small pseudo-random generator (xorshift64, Marsaglia 2003): the delays
 * need to vary, not to be unpredictable. */
static long next_delay_ms(void)
{
    static uint64_t state = 0x9E3779B97F4A7C15u;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return min_delay_ms + (long)(state % (uint64_t)(max_delay_ms - min_delay_ms + 1));
}

struct session;

/* A reply waiting for its timer; the session keeps them in a list so that
 * the ones still waiting when the connection goes can be freed. */
struct waiting {
    struct waiting *prev, *next;
    struct session *session;
    char *text;
    size_t len;
};

struct session {
    struct ws *ws;
    struct waiting *first;
    size_t count;
};

static void unlink_waiting(struct session *s, struct waiting *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        s->first = w->next;
    if (w->next)
        w->next->prev = w->prev;
    s->count--;
    free(w->text);
    free(w);
}

static long send_when_due(struct ev_conn *c, void *arg)
{
    (void)c;
    struct waiting *w = arg;
    ws_send(w->session->ws, WS_TEXT, w->text, w->len); /* fails only if closing */
    unlink_waiting(w->session, w);
    return EV_TIMER_DONE;
}

/* Sends text (malloc'd, taken over) after a delay; at once if the timer
 * cannot be had. */
static void send_later(struct session *s, char *text, size_t len)
{
    struct waiting *w = malloc(sizeof *w);
    if (w) {
        *w = (struct waiting){.next = s->first, .session = s, .text = text, .len = len};
        if (ev_conn_timer_add(ws_conn(s->ws), next_delay_ms(), send_when_due, w)) {
            if (s->first)
                s->first->prev = w;
            s->first = w;
            s->count++;
            return;
        }
        free(w);
    }
    ws_send(s->ws, WS_TEXT, text, len);
    free(text);
}

/* ---- the WebSocket handlers ----------------------------------------------------- */

static void on_open(struct ws *ws)
{
    struct session *s = calloc(1, sizeof *s);
    if (!s) {
        ws_close(ws, WS_CLOSE_INTERNAL_ERROR, "out of memory");
        return;
    }
    s->ws = ws;
    ws_set_user(ws, s);
}

static void on_message(struct ws *ws, enum ws_opcode opcode, const char *data, size_t len)
{
    struct session *s = ws_user(ws);
    if (!s)
        return;
    if (opcode != WS_TEXT) {
        ws_close(ws, WS_CLOSE_UNSUPPORTED_DATA, "requests are text messages");
        return;
    }
    if (s->count >= INSPECT_MAX_WAITING) {
        ws_close(ws, WS_CLOSE_POLICY_VIOLATION, "too many requests in flight");
        return;
    }
    struct rpc_request req;
    struct answer a = {0};
    char err[JSON_ERR_LEN];
    if (rpc_parse_request(data, len, &req, &a.code, &a.id, err) < 0)
        snprintf(a.message, sizeof a.message, "%s", err);
    else if (req.id == 0) {
        rpc_request_free(&req); /* a notification: nobody waits for an answer */
        return;
    } else
        dispatch(&req, &a);
    rpc_request_free(&req);
    size_t text_len = a.text ? strlen(a.text) : 0;
    char *text = a.text ? a.text : rpc_error_text(a.id, a.code, a.message, &text_len);
    if (!text)
        ws_close(ws, WS_CLOSE_INTERNAL_ERROR, "out of memory");
    else
        send_later(s, text, text_len);
}

/* The connection's timers were cancelled before this runs: free what they
 * would have sent.  The log line is the one ws-server writes for its other
 * services. */
static void on_close(struct ws *ws, int code, const char *reason)
{
    printf("%s %s closed %d%s%s\n", ws_peer(ws), ws_target(ws), code, *reason ? " " : "",
           reason);
    struct session *s = ws_user(ws);
    if (!s)
        return;
    while (s->first)
        unlink_waiting(s, s->first);
    free(s);
}

const struct ws_handlers inspect_handlers = {
    .on_open = on_open,
    .on_message = on_message,
    .on_close = on_close,
};
