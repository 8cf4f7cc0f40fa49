/* rpc.c - requests with ids over one WebSocket connection (see rpc.h). */
#include "rpc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- JSON: chapter 04's reader and writer ------------------------------------ */

/* The member key of obj if it has that type, else NULL. */
static const struct json_value *member_of_type(const struct json_value *obj,
                                               const char *key, enum json_type type)
{
    const struct json_value *v = json_member(obj, key);
    return v && v->type == type ? v : NULL;
}

/* ---- the client side --------------------------------------------------------- */

/* One request in flight. */
struct pending {
    long long id;
    rpc_reply_fn *fn;
    void *arg;
    long long sent_us;
    uint64_t timer;          /* its deadline on the loop, 0 for none */
    long timeout_ms;
    struct rpc_client *rpc;
};

/* What became of each id this client has used (ids run 1, 2, 3... so an
 * array indexed by id holds it): a reply for an id that is no longer in
 * flight can then say why it is stray. */
enum id_state { ID_IN_FLIGHT, ID_ANSWERED, ID_TIMED_OUT, ID_DISCONNECTED, ID_CANCELLED };

struct rpc_client {
    struct ws *ws;                  /* NULL once the connection has ended */
    struct rpc_client_handlers h;
    void *user;
    long long next_id;
    /* Requests in flight, sorted by id: ids only grow, so a new request
     * goes at the end, and a reply finds its request by binary search. */
    struct pending **pending;
    size_t count, cap;
    unsigned char *id_states;       /* id_states[id], for ids below next_id */
    size_t id_states_cap;
    struct rpc_stats stats;
    /* rpc_connect(): the program's handlers for its connection. */
    const struct rpc_connect_handlers *connect;
};

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct rpc_client *rpc_client_new(struct ws *ws, const struct rpc_client_handlers *h,
                                  void *user)
{
    struct rpc_client *rpc = calloc(1, sizeof *rpc);
    if (!rpc)
        return NULL;
    rpc->ws = ws;
    if (h)
        rpc->h = *h;
    rpc->user = user;
    rpc->next_id = 1;
    return rpc;
}

void *rpc_client_user(const struct rpc_client *rpc) { return rpc->user; }
struct ws *rpc_client_ws(const struct rpc_client *rpc) { return rpc->ws; }
size_t rpc_in_flight(const struct rpc_client *rpc) { return rpc->count; }
const struct rpc_stats *rpc_client_stats(const struct rpc_client *rpc) { return &rpc->stats; }

/* The index of request id in the table, or -1. */
static long find_pending(const struct rpc_client *rpc, long long id)
{
    size_t lo = 0, hi = rpc->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rpc->pending[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < rpc->count && rpc->pending[lo]->id == id ? (long)lo : -1;
}

static int remember_id(struct rpc_client *rpc, long long id)
{
    if ((size_t)id >= rpc->id_states_cap) {
        size_t cap = rpc->id_states_cap ? rpc->id_states_cap * 2 : 64;
        unsigned char *states = realloc(rpc->id_states, cap);
        if (!states)
            return -1;
        rpc->id_states = states;
        rpc->id_states_cap = cap;
    }
    rpc->id_states[id] = ID_IN_FLIGHT;
    return 0;
}

/* Takes the request at index i out of the table and runs its callback with
 * the outcome; the request is freed afterwards.  The callback may call
 * rpc_call() or rpc_cancel() again: the table is consistent by then. */
static void finish(struct rpc_client *rpc, size_t i, struct rpc_reply *reply,
                   enum id_state state)
{
    struct pending *p = rpc->pending[i];
    memmove(&rpc->pending[i], &rpc->pending[i + 1],
            (rpc->count - i - 1) * sizeof rpc->pending[0]);
    rpc->count--;
    rpc->id_states[p->id] = (unsigned char)state;
    if (p->timer && rpc->ws)
        ev_conn_timer_cancel(ws_conn(rpc->ws), p->timer);
    reply->id = p->id;
    reply->latency_us = now_us() - p->sent_us;
    p->fn(rpc, reply, p->arg);
    free(p);
}

/* A request's deadline passed (a timer of the connection's, see rpc_call). */
static long deadline_passed(struct ev_conn *c, void *arg)
{
    (void)c;
    struct pending *p = arg;
    struct rpc_client *rpc = p->rpc;
    long i = find_pending(rpc, p->id);
    if (i >= 0) {
        char message[64];
        snprintf(message, sizeof message, "no reply within %ld ms", p->timeout_ms);
        struct rpc_reply reply = {.status = RPC_TIMED_OUT, .message = message};
        p->timer = 0; /* it is running now: nothing to cancel */
        rpc->stats.timed_out++;
        finish(rpc, (size_t)i, &reply, ID_TIMED_OUT);
    }
    return EV_TIMER_DONE;
}

/* {"method": M, "params": P, "id": N}, or NULL if params is not the text
 * of one JSON object (checked here, so that a mistake of the caller never
 * reaches the server) or memory ran out. */
static char *request_text(const char *method, const char *params, long long id,
                          size_t *len)
{
    struct json_value p;
    char err[JSON_ERR_LEN];
    if (json_parse(params, strlen(params), &p, err) < 0)
        return NULL;
    char *text = NULL;
    if (p.type == JSON_OBJECT) {
        struct json_writer w;
        json_writer_begin(&w);
        json_write_string(&w, "method", method, strlen(method));
        json_write_value(&w, "params", &p);
        json_write_int(&w, "id", id);
        text = json_writer_end(&w, len, err);
    }
    json_value_free(&p);
    return text;
}

long long rpc_call(struct rpc_client *rpc, const char *method, const char *params,
                   long timeout_ms, rpc_reply_fn *fn, void *arg)
{
    if (!params)
        params = "{}";
    if (!rpc->ws)
        return -1;
    if (rpc->count == rpc->cap) {
        size_t cap = rpc->cap ? rpc->cap * 2 : 16;
        struct pending **table = realloc(rpc->pending, cap * sizeof *table);
        if (!table)
            return -1;
        rpc->pending = table;
        rpc->cap = cap;
    }
    struct pending *p = calloc(1, sizeof *p);
    size_t len;
    char *text = p ? request_text(method, params, rpc->next_id, &len) : NULL;
    if (!text || remember_id(rpc, rpc->next_id) < 0) {
        free(text);
        free(p);
        return -1;
    }
    *p = (struct pending){.id = rpc->next_id, .fn = fn, .arg = arg,
                          .timeout_ms = timeout_ms, .rpc = rpc};
    /* The deadline first: a request is never sent without one. */
    if (timeout_ms > 0)
        p->timer = ev_conn_timer_add(ws_conn(rpc->ws), timeout_ms, deadline_passed, p);
    if ((timeout_ms > 0 && p->timer == 0) || ws_send(rpc->ws, WS_TEXT, text, len) < 0) {
        if (p->timer)
            ev_conn_timer_cancel(ws_conn(rpc->ws), p->timer);
        free(text);
        free(p);
        return -1;
    }
    free(text);
    p->sent_us = now_us();
    rpc->next_id++;
    rpc->pending[rpc->count++] = p;
    rpc->stats.sent++;
    return p->id;
}

int rpc_cancel(struct rpc_client *rpc, long long id)
{
    long i = find_pending(rpc, id);
    if (i < 0)
        return -1;
    struct rpc_reply reply = {.status = RPC_CANCELLED, .message = "cancelled"};
    rpc->stats.cancelled++;
    finish(rpc, (size_t)i, &reply, ID_CANCELLED);
    return 0;
}

static void stray(struct rpc_client *rpc, const char *why, const char *text, size_t len)
{
    rpc->stats.stray++;
    if (rpc->h.on_stray)
        rpc->h.on_stray(rpc, why, text, len);
}

/* Why a reply for id, which is not in flight, cannot be trusted. */
static void describe_unmatched(const struct rpc_client *rpc, long long id, char *why,
                               size_t size)
{
    static const char *const fates[] = {
        [ID_ANSWERED] = "already answered", [ID_TIMED_OUT] = "already timed out",
        [ID_DISCONNECTED] = "already failed", [ID_CANCELLED] = "already cancelled",
    };
    if (id <= 0 || id >= rpc->next_id)
        snprintf(why, size, "unknown id %lld", id);
    else
        snprintf(why, size, "id %lld %s", id, fates[rpc->id_states[id]]);
}

/* A reply to the request at index i: its result or its error. */
static void answer(struct rpc_client *rpc, size_t i, const struct json_value *msg,
                   const char *text, size_t len)
{
    const struct json_value *result = json_member(msg, "result");
    const struct json_value *error = member_of_type(msg, "error", JSON_OBJECT);
    const struct json_value *code = error ? member_of_type(error, "code", JSON_INT) : NULL;
    const struct json_value *message =
        error ? member_of_type(error, "message", JSON_STRING) : NULL;
    if ((result != NULL) == (error != NULL) || (error && (!code || !message))) {
        stray(rpc, "a reply needs either a result or an error {code, message}", text,
              len);
        return;
    }
    if (i > 0) /* an older request is still waiting: this one overtook it */
        rpc->stats.out_of_order++;
    rpc->stats.answered++;
    struct rpc_reply reply = {.status = result ? RPC_OK : RPC_ERROR, .result = result};
    if (error) {
        reply.code = code->integer;
        reply.message = message->string;
    }
    finish(rpc, i, &reply, ID_ANSWERED);
}

void rpc_client_message(struct rpc_client *rpc, const char *text, size_t len)
{
    struct json_value msg;
    char err[JSON_ERR_LEN], why[JSON_ERR_LEN + 16];
    if (json_parse(text, len, &msg, err) < 0) {
        snprintf(why, sizeof why, "not JSON: %s", err);
        stray(rpc, why, text, len);
        return;
    }
    if (msg.type != JSON_OBJECT) {
        stray(rpc, "not a JSON object", text, len);
    } else if (!json_member(&msg, "id")) {
        if (rpc->h.on_notification)
            rpc->h.on_notification(rpc, text, len);
    } else {
        const struct json_value *id = member_of_type(&msg, "id", JSON_INT);
        long i = id ? find_pending(rpc, id->integer) : -1;
        if (!id)
            stray(rpc, "an id must be an integer", text, len);
        else if (i < 0) {
            describe_unmatched(rpc, id->integer, why, sizeof why);
            stray(rpc, why, text, len);
        } else
            answer(rpc, (size_t)i, &msg, text, len);
    }
    json_value_free(&msg);
}

void rpc_client_closed(struct rpc_client *rpc, const char *why)
{
    char message[160];
    snprintf(message, sizeof message, "connection lost before the reply: %s", why);
    /* The connection's timers are gone with it: nothing to cancel. */
    for (size_t i = 0; i < rpc->count; i++)
        rpc->pending[i]->timer = 0;
    rpc->ws = NULL;
    while (rpc->count > 0) {
        struct rpc_reply reply = {.status = RPC_DISCONNECTED, .message = message};
        rpc->stats.disconnected++;
        finish(rpc, 0, &reply, ID_DISCONNECTED);
    }
}

char *rpc_object_text(const struct json_value *object, size_t *len)
{
    if (!object || object->type != JSON_OBJECT)
        return NULL;
    struct json_writer w;
    char err[JSON_ERR_LEN];
    json_writer_begin(&w);
    for (size_t i = 0; i < object->object.count; i++)
        json_write_value(&w, object->object.members[i].key, &object->object.members[i].value);
    return json_writer_end(&w, len, err);
}

void rpc_client_free(struct rpc_client *rpc)
{
    if (!rpc)
        return;
    for (size_t i = 0; i < rpc->count; i++) {
        if (rpc->pending[i]->timer && rpc->ws)
            ev_conn_timer_cancel(ws_conn(rpc->ws), rpc->pending[i]->timer);
        free(rpc->pending[i]);
    }
    free(rpc->pending);
    free(rpc->id_states);
    free(rpc);
}

/* ---- a client and its connection, in one call ------------------------------------ */

/* The WebSocket handlers of rpc_connect().  The client exists from the
 * start, with no connection (rpc->ws NULL) until the handshake is done: it
 * is the ws's user pointer, and remembers the program's handlers. */

static void connection_open(struct ws *ws)
{
    struct rpc_client *rpc = ws_user(ws);
    rpc->ws = ws;
    rpc->connect->on_ready(rpc);
}

static void connection_message(struct ws *ws, enum ws_opcode opcode, const char *data,
                               size_t len)
{
    /* Requests and replies are JSON, hence text messages (RFC 6455 §5.6): a
     * binary message is no part of the protocol, and is left alone. */
    if (opcode == WS_TEXT)
        rpc_client_message(ws_user(ws), data, len);
}

static void connection_closed(struct ws *ws, int code, const char *reason)
{
    struct rpc_client *rpc = ws_user(ws);
    const struct rpc_connect_handlers *h = rpc->connect;
    struct rpc_end end = {.code = code, .user = rpc->user};
    char why[160];
    if (!rpc->ws) {
        /* on_open never came: the client was never the program's. */
        end.handshake_failed = true;
        end.why = *reason ? reason : "connection closed";
        rpc_client_free(rpc);
        rpc = NULL;
    } else {
        /* The reason of a close frame is optional (RFC 6455 §5.5.1). */
        snprintf(why, sizeof why, "closed with code %d%s%s", code, *reason ? ", " : "",
                 reason);
        end.why = why;
        rpc_client_closed(rpc, why);
    }
    h->on_ended(rpc, &end);
}

static const struct ws_handlers connection_handlers = {
    .on_open = connection_open,
    .on_message = connection_message,
    .on_close = connection_closed,
};

int rpc_connect(struct ev_loop *loop, const char *url, const struct rpc_connect_handlers *h,
                void *user, char *err)
{
    struct rpc_client *rpc = rpc_client_new(NULL, &h->client, user);
    if (!rpc) {
        snprintf(err, EV_ERR_LEN, "connecting: out of memory");
        return -1;
    }
    rpc->connect = h;
    if (!ws_connect(loop, url, &connection_handlers, NULL, rpc, err)) {
        rpc_client_free(rpc);
        return -1;
    }
    return 0;
}

/* ---- the server side ------------------------------------------------------------ */

int rpc_parse_request(const char *text, size_t len, struct rpc_request *req,
                      int *code, long long *id, char *err)
{
    *id = 0;
    *req = (struct rpc_request){0};
    struct json_value *msg = malloc(sizeof *msg);
    if (!msg) {
        *code = RPC_INTERNAL_ERROR;
        snprintf(err, JSON_ERR_LEN, "out of memory");
        return -1;
    }
    if (json_parse(text, len, msg, err) < 0) {
        free(msg);
        *code = RPC_PARSE_ERROR;
        return -1;
    }
    const struct json_value *id_value = member_of_type(msg, "id", JSON_INT);
    const struct json_value *method = member_of_type(msg, "method", JSON_STRING);
    const struct json_value *params = json_member(msg, "params");
    *code = RPC_INVALID_REQUEST;
    if (msg->type != JSON_OBJECT)
        snprintf(err, JSON_ERR_LEN, "a request is a JSON object");
    else if (json_member(msg, "id") && (!id_value || id_value->integer <= 0))
        snprintf(err, JSON_ERR_LEN, "\"id\" must be a positive integer");
    else if (!method || strlen(method->string) != method->length)
        snprintf(err, JSON_ERR_LEN, "\"method\" must be a string");
    else if (params && params->type != JSON_OBJECT) {
        *code = RPC_INVALID_PARAMS;
        snprintf(err, JSON_ERR_LEN, "\"params\" must be an object");
    } else
        *code = 0;
    if (id_value && id_value->integer > 0)
        *id = id_value->integer;
    if (*code != 0) {
        json_value_free(msg);
        free(msg);
        return -1;
    }
    static const struct json_value no_params = {.type = JSON_OBJECT};
    *req = (struct rpc_request){.id = *id, .method = method->string,
                                .params = params ? params : &no_params, .message = msg};
    return 0;
}

void rpc_request_free(struct rpc_request *req)
{
    if (req->message) {
        json_value_free(req->message);
        free(req->message);
    }
    *req = (struct rpc_request){0};
}

/* {"id": id, ...}: an id of 0 (unknown) is written as null. */
static void write_id(struct json_writer *w, long long id)
{
    if (id > 0)
        json_write_int(w, "id", id);
    else
        json_write_null(w, "id");
}

void rpc_result_begin(struct json_writer *w, long long id)
{
    json_writer_begin(w);
    write_id(w, id);
    json_write_object_begin(w, "result");
}

char *rpc_result_end(struct json_writer *w, size_t *len, char *err)
{
    json_write_object_end(w);
    return json_writer_end(w, len, err);
}

char *rpc_error_text(long long id, int code, const char *message, size_t *len)
{
    struct json_writer w;
    char err[JSON_ERR_LEN];
    json_writer_begin(&w);
    write_id(&w, id);
    json_write_object_begin(&w, "error");
    json_write_int(&w, "code", code);
    json_write_string(&w, "message", message, strlen(message));
    json_write_object_end(&w);
    return json_writer_end(&w, len, err);
}
