/* rpc.h - requests with ids over one WebSocket connection.
 *
 * HTTP/1.1 answers requests in the order they came (chapter 05), and so did
 * the pipelined protocol of chapter 04: a slow answer holds up every answer
 * behind it.  Here each request carries a number of its own, and the reply
 * names the request it answers, so the server may answer in whatever order
 * it finishes, and a client may keep many requests in flight on one
 * connection:
 *
 *     request       {"method": "GetDocument", "params": {"id": "1"}, "id": 7}
 *     reply         {"id": 7, "result": {...}}
 *     error reply   {"id": 7, "error": {"code": -32601, "message": "..."}}
 *     notification  a message with no "id": nobody answers it
 *
 * The shape is JSON-RPC 2.0's, without its "jsonrpc" member.  Ids are
 * positive integers, unique on their connection: this client numbers its
 * requests 1, 2, 3...
 *
 * The client side keeps a table of the requests in flight.  A reply is
 * matched to its request by id, and the request's callback runs once, with
 * whatever ended it: the result, the server's error, its own deadline
 * passing, or the connection going away.  A message that matches no request
 * in flight (an id never used, an id already answered or given up on, a
 * reply with neither result nor error) is reported to on_stray and
 * otherwise ignored: it is never taken for the answer to something else.
 *
 * The server side parses requests and writes replies (rpc_parse_request,
 * rpc_result_begin, rpc_error_text); when it answers is its own business.
 *
 * JSON is chapter 04's json library: a reply's result arrives as a parsed
 * json_value, params are passed as the text of a JSON object (written with
 * that library's writer, or by hand), and a server writes its result with
 * the writer.
 */
#ifndef RPC_H
#define RPC_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "ws.h"

/* Error codes of an error reply.  The first five are JSON-RPC 2.0's (§5.1);
 * -32000 to -32099 are left to the server, and the demo service uses one. */
enum rpc_code {
    RPC_PARSE_ERROR = -32700,      /* the message is not JSON */
    RPC_INVALID_REQUEST = -32600,  /* JSON, but not a request */
    RPC_METHOD_NOT_FOUND = -32601, /* no such method */
    RPC_INVALID_PARAMS = -32602,   /* params missing or of the wrong shape */
    RPC_INTERNAL_ERROR = -32603,
    RPC_NOT_FOUND = -32004,        /* the method exists; the thing asked for does not */
};

/* ---- the client side --------------------------------------------------------- */

struct rpc_client;

/* How a request ended. */
enum rpc_status {
    RPC_OK,           /* the server answered with a result */
    RPC_ERROR,        /* the server answered with an error */
    RPC_TIMED_OUT,    /* its deadline passed first */
    RPC_DISCONNECTED, /* the connection ended first */
    RPC_CANCELLED,    /* rpc_cancel() */
};

struct rpc_reply {
    long long id;
    enum rpc_status status;
    const struct json_value *result; /* RPC_OK: the "result" member */
    long long code;                  /* RPC_ERROR: the server's error code */
    /* RPC_ERROR: the server's message; otherwise a description of what
     * ended the request, such as "no reply within 500 ms". */
    const char *message;
    long long latency_us;            /* from rpc_call() to this */
};

typedef void rpc_reply_fn(struct rpc_client *rpc, const struct rpc_reply *reply,
                          void *arg);

/* What the client tells its owner besides replies.  Both optional. */
struct rpc_client_handlers {
    /* A message without an id. */
    void (*on_notification)(struct rpc_client *rpc, const char *text, size_t len);
    /* A message that answers no request in flight, and why ("unknown id 9",
     * "id 3 already answered", "not JSON: ..."). */
    void (*on_stray)(struct rpc_client *rpc, const char *why, const char *text,
                     size_t len);
};

/* Counters of one client, for the summary line of a program. */
struct rpc_stats {
    unsigned long sent;         /* requests sent */
    unsigned long answered;     /* replies matched (result or error) */
    unsigned long out_of_order; /* matched while an older request was in flight */
    unsigned long timed_out, disconnected, cancelled;
    unsigned long stray;        /* messages given to on_stray */
};

/* A client for the open WebSocket connection ws (create it in on_open).
 * The application's WebSocket handlers pass every text message on to
 * rpc_client_message() and the end of the connection to rpc_client_closed()
 * (rpc_connect(), below, is those handlers, for a connection that carries
 * nothing but the client's messages).  Returns NULL if out of memory. */
struct rpc_client *rpc_client_new(struct ws *ws, const struct rpc_client_handlers *h,
                                  void *user);

/* Sends {"method": method, "params": params, "id": N} with the next id N
 * and returns N.  params is the text of a JSON object (NULL for {}).  fn(rpc,
 * reply, arg) runs exactly once, later, on the loop's thread: when the reply
 * comes, or after timeout_ms (if > 0) with RPC_TIMED_OUT, or with
 * RPC_DISCONNECTED when the connection ends first.  Returns -1 (and fn never
 * runs) if the connection is closed or closing, params is not a JSON
 * object, or memory ran out. */
long long rpc_call(struct rpc_client *rpc, const char *method, const char *params,
                   long timeout_ms, rpc_reply_fn *fn, void *arg);

/* Gives up on request id: its callback runs now with RPC_CANCELLED, and a
 * reply that comes later is stray.  Returns 0, or -1 if id is not in flight. */
int rpc_cancel(struct rpc_client *rpc, long long id);

/* A text message received on the connection. */
void rpc_client_message(struct rpc_client *rpc, const char *text, size_t len);

/* The connection has ended (from the WebSocket's on_close): every request
 * in flight fails with RPC_DISCONNECTED, and why in its message. */
void rpc_client_closed(struct rpc_client *rpc, const char *why);

/* Requests sent and not ended yet. */
size_t rpc_in_flight(const struct rpc_client *rpc);

const struct rpc_stats *rpc_client_stats(const struct rpc_client *rpc);
void *rpc_client_user(const struct rpc_client *rpc);
struct ws *rpc_client_ws(const struct rpc_client *rpc);

/* The text of an object that was read, such as a reply's result, written
 * anew on one line: for printing it.  malloc'd, NUL-terminated, *len bytes;
 * NULL if object is not an object or memory ran out. */
char *rpc_object_text(const struct json_value *object, size_t *len);

/* Frees the client.  Requests still in flight are dropped without their
 * callbacks: call rpc_client_closed() first to fail them. */
void rpc_client_free(struct rpc_client *rpc);

/* ---- a client and its connection, in one call ------------------------------------ */

/* A program that talks to one rpc server owns a WebSocket connection only
 * to carry the client's messages, and its WebSocket handlers would be the
 * same in every such program: make the client once the handshake is done,
 * pass text messages on, fail the requests in flight when the connection
 * ends.  rpc_connect() writes them once; the program says only what to do
 * once connected and what to report at the end. */

/* How the connection of rpc_connect() ended. */
struct rpc_end {
    /* True if the connection never opened: the opening handshake failed
     * (refused by the server, a wrong answer, the connection dropped or
     * timed out before it), so no request was ever sent. */
    bool handshake_failed;
    /* The WebSocket's close status code (ws.h's on_close). */
    int code;
    /* One line for people: the handshake's failure ("the server did not
     * switch protocols"), or "closed with code N, REASON", which is also
     * what the requests in flight failed with. */
    const char *why;
    void *user; /* rpc_connect's */
};

struct rpc_connect_handlers {
    /* The opening handshake is done: rpc may send (rpc_call).  The program
     * owns rpc from now on, and frees it after the loop (rpc_client_free). */
    void (*on_ready)(struct rpc_client *rpc);
    /* The connection is gone (called exactly once, like ws.h's on_close):
     * every request that was in flight has already ended with
     * RPC_DISCONNECTED, and rpc_call() fails from now on.  rpc is NULL when
     * end->handshake_failed: there is no client to free then. */
    void (*on_ended)(struct rpc_client *rpc, const struct rpc_end *end);
    /* Notifications and stray messages, as for rpc_client_new().  Optional. */
    struct rpc_client_handlers client;
};

/* Connects to the ws:// URL on loop and runs the opening handshake there
 * (ws_connect), then h->on_ready with a client for the connection, whose
 * user pointer is user; text messages go to rpc_client_message(), and the
 * end of the connection to rpc_client_closed() and then h->on_ended.  h
 * must outlive the connection.  Returns 0, or -1 with "what failed:
 * reason" in err (EV_ERR_LEN bytes) for a malformed URL, a name that does
 * not resolve, a refused connection or no memory: no handler runs then. */
int rpc_connect(struct ev_loop *loop, const char *url, const struct rpc_connect_handlers *h,
                void *user, char *err);

/* ---- the server side ------------------------------------------------------------ */

/* One request, parsed.  id is 0 for a notification. */
struct rpc_request {
    long long id;
    const char *method;               /* NUL-terminated */
    const struct json_value *params;  /* an object ({} if absent) */
    struct json_value *message;       /* the whole message; owns the above */
};

/* Parses one text message as a request.  Returns 0 and fills *req (free it
 * with rpc_request_free), or -1 with the error code (RPC_PARSE_ERROR,
 * RPC_INVALID_REQUEST or RPC_INVALID_PARAMS) in *code, a message in err
 * (JSON_ERR_LEN bytes), and in *id the request's id if it could be read,
 * else 0: the error reply then carries "id": null. */
int rpc_parse_request(const char *text, size_t len, struct rpc_request *req,
                      int *code, long long *id, char *err);
void rpc_request_free(struct rpc_request *req);

/* A reply with a result is written in place: rpc_result_begin() starts
 * {"id": id, "result": { in the writer, the caller writes the result's
 * members, and rpc_result_end() closes both objects and returns the text
 * (as json_writer_end() does: malloc'd, NUL-terminated, *len bytes, or NULL
 * with the reason in err). */
void rpc_result_begin(struct json_writer *w, long long id);
char *rpc_result_end(struct json_writer *w, size_t *len, char *err);

/* The text of an error reply: {"id": id, "error": {"code": code, "message":
 * message}}, with "id": null when id is 0 (the request's id could not be
 * read).  malloc'd, NUL-terminated, *len bytes; NULL if out of memory. */
char *rpc_error_text(long long id, int code, const char *message, size_t *len);

#endif
