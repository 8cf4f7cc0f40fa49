/* ws.h - WebSocket endpoints (RFC 6455) on the chapter 03 event loop.
 *
 * The library is built from the RFC's parts, one module each:
 *
 *     sha1.h, base64.h   the two algorithms the opening handshake needs
 *     handshake.h        §4   the opening handshake: the HTTP Upgrade
 *     wsframe.h          §5   frames: an incremental decoder, an encoder,
 *                              masking
 *     utf8.h             §8.1 incremental UTF-8 validation of text
 *     ws.h (this file)   §5.4-§5.5, §7: messages, control frames and the
 *                              closing handshake, on an event-loop connection
 *
 * A struct ws is one WebSocket connection, after its opening handshake.  The
 * application sees whole messages: the library reassembles fragments,
 * answers pings, validates UTF-8, enforces the limits, and runs the closing
 * handshake.  Every callback runs on the loop's thread.
 *
 * A server: its HTTP handler (an evloop connection) reads a request with the
 * chapter 05 parser; when the request asks for an upgrade, it hands the
 * connection over:
 *
 *     static void on_message(struct ws *ws, enum ws_opcode op,
 *                            const char *data, size_t len)
 *     {
 *         ws_send(ws, op, data, len);          // an echo
 *     }
 *     static const struct ws_handlers echo = {.on_message = on_message};
 *
 *     // in the HTTP handler, once p.msg holds a complete request head and
 *     // its bytes have been consumed from the input:
 *     if (ws_is_upgrade(&p.msg))
 *         ws_accept(c, &p.msg, &echo, &options, NULL);
 *
 * ws_accept() answers the handshake (101, or the right HTTP error and a
 * close), and from then on the connection's bytes are WebSocket frames.
 *
 * A client:
 *
 *     struct ws *ws = ws_connect(loop, "ws://127.0.0.1:8080/chat", &h,
 *                                &options, user, err);
 *     ev_run(loop);
 *
 * on_open is called once the server has accepted the handshake.
 *
 * The library uses the connection's idle timer (ev_set_timer) for the
 * handshake and close deadlines; an application that needs timers of its
 * own on a WebSocket (keep-alive pings) adds them with ev_conn_timer_add().
 *
 * Memory per connection is bounded: the input buffer by the event loop, the
 * message being reassembled by max_message, and output by the event loop's
 * pause on reading while the peer does not read.  An application that sends
 * on its own initiative (a broadcast) checks ws_output_pending() and drops a
 * peer that lets its output pile up.
 */
#ifndef WS_H
#define WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evloop.h"
#include "http.h"
#include "wsframe.h"

struct ws;

/* Close status codes (RFC 6455 §7.4.1). */
enum ws_close_code {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_UNSUPPORTED_DATA = 1003,
    WS_CLOSE_NO_STATUS = 1005,      /* never sent: the close frame had no code */
    WS_CLOSE_ABNORMAL = 1006,       /* never sent: no close frame at all */
    WS_CLOSE_INVALID_DATA = 1007,   /* e.g. a text message that is not UTF-8 */
    WS_CLOSE_POLICY_VIOLATION = 1008,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_MANDATORY_EXTENSION = 1010,
    WS_CLOSE_INTERNAL_ERROR = 1011,
};

/* What the application does with a connection.  Only on_message is
 * required. */
struct ws_handlers {
    /* The opening handshake is complete: the connection may send. */
    void (*on_open)(struct ws *ws);
    /* One whole message: WS_TEXT (valid UTF-8, not NUL-terminated) or
     * WS_BINARY.  data is valid until the handler returns. */
    void (*on_message)(struct ws *ws, enum ws_opcode opcode, const char *data,
                       size_t len);
    /* A pong arrived (an answer to ws_ping, or unsolicited).  Optional. */
    void (*on_pong)(struct ws *ws, const char *data, size_t len);
    /* The connection is gone; called exactly once, also when the opening
     * handshake failed.  code is the status code of the peer's close frame,
     * WS_CLOSE_NO_STATUS if it had none, or WS_CLOSE_ABNORMAL if the
     * connection ended without one (reset, timeout, a refused handshake).
     * When this side failed the connection (a protocol error of the peer),
     * code is the code this side sent.  reason is NUL-terminated UTF-8 (""
     * when none).  ws_closed_cleanly() says whether the closing handshake
     * completed.  The ws must not be used after this returns. */
    void (*on_close)(struct ws *ws, int code, const char *reason);
};

/* Limits and choices of one connection.  A NULL options pointer, or a zero
 * field, means the default. */
struct ws_options {
    size_t max_message;      /* a reassembled message; larger: close 1009 */
    size_t max_frame;        /* one frame's payload; larger: close 1009 */
    long close_timeout_ms;   /* wait for the peer's close frame, then drop */
    long handshake_timeout_ms; /* the opening handshake must finish in time */
    /* Server: the subprotocols it speaks, best first, comma-separated
     * ("chat, superchat"); the first the client also offers is chosen.
     * Client: the ones it offers, sent in Sec-WebSocket-Protocol.  NULL or
     * "": none. */
    const char *subprotocols;
};

#define WS_DEFAULT_MAX_MESSAGE (16u * 1024 * 1024)
#define WS_DEFAULT_CLOSE_TIMEOUT_MS 5000
#define WS_DEFAULT_HANDSHAKE_TIMEOUT_MS 10000

/* ---- the server side ----------------------------------------------------------- */

/* True if the request asks for a WebSocket (an Upgrade: websocket header):
 * hand it to ws_accept(), which answers it right or wrong.  Other requests
 * are plain HTTP. */
bool ws_is_upgrade(const struct http_message *request);

/* Takes over the evloop connection c, whose request head (already consumed
 * from c's input) is request.  Checks the handshake (RFC 6455 §4.2.1); if it
 * is acceptable, sends 101 Switching Protocols and from then on reads frames
 * from c, calling h->on_open at once.  If not, sends the error response
 * (400, 426 with Sec-WebSocket-Version, ...), closes c and returns NULL
 * without calling any handler.  The connection's handlers are replaced: the
 * caller must not touch c or its own state for it afterwards.  user is the
 * application's per-connection pointer (see ws_user). */
struct ws *ws_accept(struct ev_conn *c, const struct http_message *request,
                     const struct ws_handlers *h, const struct ws_options *options,
                     void *user);

/* A server that speaks nothing but WebSocket needs no HTTP of its own: its
 * listener's handlers are ws_upgrade_handlers, and the listener's pointer
 * (ev_listen's last argument) says what to serve:
 *
 *     static const struct ws_service service = {.handlers = &echo};
 *     ev_listen(loop, listener, &ws_upgrade_handlers, (void *)&service);
 *
 * Each connection's request head goes to ws_accept() with the service's
 * handlers and options, so a request that is not an upgrade gets
 * ws_accept()'s error answer.  A malformed request gets 400 and a close,
 * and a head not complete within the handshake timeout a close. */
struct ws_service {
    const struct ws_handlers *handlers;
    const struct ws_options *options; /* NULL: the defaults */
};

extern const struct ev_handlers ws_upgrade_handlers;

/* ---- the client side ------------------------------------------------------------ */

/* Connects to a ws:// URL on the loop, sends the opening handshake and
 * checks the answer (RFC 6455 §4.1: status 101, Upgrade, Connection and the
 * right Sec-WebSocket-Accept).  Returns the connection at once (connecting
 * happens on the loop), or NULL with "what failed: reason" in err
 * (EV_ERR_LEN bytes) for a malformed URL, a name that does not resolve, or
 * a refused connection.  on_open follows a successful handshake; a failed
 * one ends in on_close with WS_CLOSE_ABNORMAL and the reason. */
struct ws *ws_connect(struct ev_loop *loop, const char *url, const struct ws_handlers *h,
                      const struct ws_options *options, void *user, char *err);

/* ---- both sides ------------------------------------------------------------------- */

/* Sends one message as a single frame (masked on the client side, as §5.3
 * requires).  opcode is WS_TEXT (data must be UTF-8) or WS_BINARY.  Returns
 * 0, or -1 if the connection is closing (the message is dropped) or out of
 * memory. */
int ws_send(struct ws *ws, enum ws_opcode opcode, const void *data, size_t len);
int ws_send_text(struct ws *ws, const char *text); /* NUL-terminated */

/* Sends one message as several frames of at most fragment_size bytes
 * (§5.4), for tests and demonstrations of fragmentation. */
int ws_send_fragmented(struct ws *ws, enum ws_opcode opcode, const void *data,
                       size_t len, size_t fragment_size);

/* A ping with up to 125 bytes of application data (§5.5.2). */
int ws_ping(struct ws *ws, const void *data, size_t len);

/* Starts the closing handshake (§7.1.2): sends a close frame with code
 * (one that ws_close_code_valid accepts; another becomes 1011) and reason
 * (UTF-8, at most 123 bytes, may be NULL), then waits up to close_timeout_ms
 * for the peer's.
 * Nothing more can be sent.  Calling it again does nothing. */
void ws_close(struct ws *ws, int code, const char *reason);

/* The application's per-connection pointer. */
void ws_set_user(struct ws *ws, void *user);
void *ws_user(const struct ws *ws);

/* The request target of the opening handshake ("/chat?room=1"): the server
 * routes on it. */
const char *ws_target(const struct ws *ws);

/* The subprotocol agreed in the handshake, or "" for none. */
const char *ws_subprotocol(const struct ws *ws);

/* The peer's address as "ADDR:PORT", for log lines. */
const char *ws_peer(struct ws *ws);

/* Bytes queued for the peer and not yet sent. */
size_t ws_output_pending(const struct ws *ws);

/* True once both close frames have been exchanged (valid in on_close). */
bool ws_closed_cleanly(const struct ws *ws);

/* The event-loop connection under the WebSocket, and its loop. */
struct ev_conn *ws_conn(const struct ws *ws);
struct ev_loop *ws_loop(const struct ws *ws);

/* True if code may appear in a close frame (§7.4 and the IANA registry):
 * 1000-1003, 1007-1014, 3000-4999. */
bool ws_close_code_valid(int code);

#endif
