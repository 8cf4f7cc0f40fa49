/* ws.c - WebSocket connections on the event loop: messages (RFC 6455 §5.4),
 * control frames (§5.5), the closing handshake (§7), and the glue that
 * runs the opening handshake (§4) on an evloop connection. */
#include "ws.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "handshake.h"
#include "net.h"
#include "utf8.h"

/* The states of a connection (§4.1, §7): the figure
 * diagrams/08-connection-states.svg draws them. */
enum ws_state {
    WS_CONNECTING,   /* client: the opening handshake is under way */
    WS_OPEN,         /* messages flow both ways */
    WS_CLOSING,      /* this side has sent its close frame */
    WS_CLOSED,       /* both close frames exchanged, or the connection failed */
};

/* A buffer bigger than this is given back after each message, so that one
 * large message does not keep its memory for the life of the connection. */
#define KEEP_BUFFER (64 * 1024)

/* Large reassembly buffers are not given back to the system at once but
 * kept for the next large message, a few per thread (each loop runs on one
 * thread), bounded in total.  Fresh memory costs a page fault and the
 * zeroing of a page for every 4 KiB the message fills (1024 of them for
 * 4 MiB, as much work as unmasking it), while a kept buffer is ready.  The
 * spares belong to no connection: an idle connection still holds none. */
#define SPARE_BUFFERS 4
#define SPARE_BYTES (32 * 1024 * 1024)

struct spare {
    char *data;
    size_t cap;
};
static _Thread_local struct spare spares[SPARE_BUFFERS];
static _Thread_local size_t spare_bytes;

/* A kept buffer of at least need bytes, or NULL. */
static char *take_spare(size_t need, size_t *cap)
{
    for (int i = 0; i < SPARE_BUFFERS; i++) {
        if (spares[i].data != NULL && spares[i].cap >= need) {
            char *data = spares[i].data;
            *cap = spares[i].cap;
            spare_bytes -= spares[i].cap;
            spares[i] = (struct spare){0};
            return data;
        }
    }
    return NULL;
}

/* Keeps a large buffer for later if there is room, else frees it. */
static void give_back(char *data, size_t cap)
{
    for (int i = 0; i < SPARE_BUFFERS && spare_bytes + cap <= SPARE_BYTES; i++) {
        if (spares[i].data == NULL) {
            spares[i] = (struct spare){data, cap};
            spare_bytes += cap;
            return;
        }
    }
    free(data);
}

struct ws {
    struct ev_conn *c;
    enum ws_role role;          /* WS_SERVER reads masked frames */
    enum ws_state state;
    const struct ws_handlers *h;
    void *user;
    size_t max_message;
    uint64_t max_frame;
    long close_timeout_ms;

    struct ws_decoder decoder;
    /* The message being reassembled (§5.4): its opcode (0 when none has
     * begun), its bytes so far, and its UTF-8 check if it is text. */
    unsigned message_opcode;
    char *message;
    size_t message_len, message_cap;
    struct utf8_validator utf8;
    /* The control frame being read: 125 bytes at most (§5.5). */
    uint8_t control[WS_MAX_CONTROL_PAYLOAD];
    size_t control_len;

    /* The closing handshake (§7). */
    bool close_sent, close_received, failed;
    int close_code;
    char close_reason[WS_MAX_CONTROL_PAYLOAD];

    char *target;
    char protocol[WS_MAX_PROTOCOL + 1];

    /* The client's opening handshake. */
    struct http_parser *http;
    char key[WS_KEY_LEN + 1];
    char *offered;

    /* Random bytes for masking keys, refilled from the system. */
    uint8_t random[256];
    size_t random_used;
};

static void on_frames(struct ev_conn *c);
static void on_timer(struct ev_conn *c);
static void on_gone(struct ev_conn *c);

static const struct ev_handlers frame_handlers = {
    .on_data = on_frames,
    .on_timer = on_timer,
    .on_close = on_gone,
};

bool ws_close_code_valid(int code)
{
    /* §7.4.1 and the IANA registry (§11.7): 1004-1006 and 1015 are never
     * sent; 1016-2999 are reserved; 3000-4999 belong to libraries and
     * applications. */
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

/* ---- setting up ------------------------------------------------------------------ */

static struct ws *ws_new(struct ev_conn *c, enum ws_role role, const struct ws_handlers *h,
                         const struct ws_options *options, void *user)
{
    struct ws *ws = calloc(1, sizeof *ws);
    if (ws == NULL)
        return NULL;
    ws->c = c;
    ws->role = role;
    ws->h = h;
    ws->user = user;
    ws->max_message = options && options->max_message ? options->max_message
                                                       : WS_DEFAULT_MAX_MESSAGE;
    ws->max_frame = options && options->max_frame ? options->max_frame : ws->max_message;
    ws->close_timeout_ms = options && options->close_timeout_ms ? options->close_timeout_ms
                                                                : WS_DEFAULT_CLOSE_TIMEOUT_MS;
    ws->close_code = WS_CLOSE_ABNORMAL;
    ws->random_used = sizeof ws->random;
    ws_decoder_init(&ws->decoder, role, ws->max_frame);
    return ws;
}

static void ws_free(struct ws *ws)
{
    free(ws->message);
    free(ws->target);
    if (ws->http != NULL)
        http_parser_free(ws->http);
    free(ws->http);
    free(ws->offered);
    free(ws);
}

/* ---- sending frames ----------------------------------------------------------------- */

static bool random_mask(struct ws *ws, uint8_t mask[4])
{
    if (ws->random_used + 4 > sizeof ws->random) {
        if (!ws_random_bytes(ws->random, sizeof ws->random))
            return false;
        ws->random_used = 0;
    }
    memcpy(mask, ws->random + ws->random_used, 4);
    ws->random_used += 4;
    return true;
}

/* One frame.  A client masks it with a fresh key (§5.3); the payload is
 * masked through a buffer, so the caller's data stays as it is.  The
 * buffer is big enough for the loop to send each piece straight from it
 * (see DIRECT_WRITE in evloop.c) rather than copy it once more. */
static int send_frame(struct ws *ws, bool fin, unsigned opcode, const void *data, size_t len)
{
    uint8_t header[WS_MAX_HEADER];
    uint8_t mask[4];
    bool masked = ws->role == WS_CLIENT;
    if (masked && !random_mask(ws, mask))
        return -1;
    size_t header_len = ws_encode_header(header, fin, opcode, len, masked ? mask : NULL);
    if (ev_write(ws->c, header, header_len) < 0)
        return -1;
    if (!masked)
        return len > 0 ? ev_write(ws->c, data, len) : 0;
    uint8_t chunk[64 * 1024];
    for (size_t done = 0; done < len;) {
        size_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
        ws_unmask(chunk, (const uint8_t *)data + done, n, mask, done);
        if (ev_write(ws->c, chunk, n) < 0)
            return -1;
        done += n;
    }
    return 0;
}

/* §5.5.1: a close frame's body is a 2-byte status code, then a reason. */
static void send_close_frame(struct ws *ws, int code, const char *reason)
{
    uint8_t body[WS_MAX_CONTROL_PAYLOAD];
    size_t len = 0;
    if (code != WS_CLOSE_NO_STATUS) {
        body[0] = (uint8_t)(code >> 8);
        body[1] = (uint8_t)code;
        len = 2;
        size_t reason_len = reason ? strlen(reason) : 0;
        if (reason_len > sizeof body - 2)
            reason_len = sizeof body - 2;
        if (reason_len > 0)
            memcpy(body + 2, reason, reason_len);
        len += reason_len;
    }
    send_frame(ws, true, WS_CLOSE, body, len);
    ws->close_sent = true;
}

int ws_send(struct ws *ws, enum ws_opcode opcode, const void *data, size_t len)
{
    if (ws->state != WS_OPEN || (opcode != WS_TEXT && opcode != WS_BINARY))
        return -1;
    return send_frame(ws, true, opcode, data, len);
}

int ws_send_text(struct ws *ws, const char *text)
{
    return ws_send(ws, WS_TEXT, text, strlen(text));
}

int ws_send_fragmented(struct ws *ws, enum ws_opcode opcode, const void *data, size_t len,
                       size_t fragment_size)
{
    if (ws->state != WS_OPEN || (opcode != WS_TEXT && opcode != WS_BINARY) ||
        fragment_size == 0)
        return -1;
    const char *p = data;
    unsigned frame_opcode = opcode;
    do {
        size_t n = len < fragment_size ? len : fragment_size;
        if (send_frame(ws, n == len, frame_opcode, p, n) < 0)
            return -1;
        p += n;
        len -= n;
        frame_opcode = WS_CONTINUATION; /* §5.4: the rest continue the first */
    } while (len > 0);
    return 0;
}

int ws_ping(struct ws *ws, const void *data, size_t len)
{
    if (ws->state != WS_OPEN || len > WS_MAX_CONTROL_PAYLOAD)
        return -1;
    return send_frame(ws, true, WS_PING, data, len);
}

/* ---- closing (§7) ---------------------------------------------------------------------- */

void ws_close(struct ws *ws, int code, const char *reason)
{
    if (ws->state != WS_OPEN)
        return;
    if (!ws_close_code_valid(code))
        code = WS_CLOSE_INTERNAL_ERROR;
    send_close_frame(ws, code, reason);
    ws->state = WS_CLOSING;
    /* §7.1.1: wait a while for the peer's close frame, not for ever. */
    ev_set_timer(ws->c, ws->close_timeout_ms);
}

/* §7.1.7 "Fail the WebSocket Connection": send a close frame with the
 * reason, and stop reading; the peer's data is not looked at any more. */
static int fail(struct ws *ws, int code, const char *why)
{
    if (ws->state == WS_CLOSED)
        return -1;
    ws->failed = true;
    ws->close_code = code;
    snprintf(ws->close_reason, sizeof ws->close_reason, "%s", why);
    if (!ws->close_sent && ws->state != WS_CONNECTING)
        send_close_frame(ws, code, why);
    ws->state = WS_CLOSED;
    ev_close(ws->c);
    return -1;
}

/* The peer's close frame arrived (§5.5.1): check it, answer it if this
 * side has not sent one, and end the connection.  The server closes the
 * TCP connection first (§7.1.1); the client waits a little for that. */
static int on_close_frame(struct ws *ws)
{
    const uint8_t *body = ws->control;
    size_t len = ws->control_len;
    int code = WS_CLOSE_NO_STATUS;
    if (len == 1)
        return fail(ws, WS_CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte body");
    if (len >= 2) {
        code = body[0] << 8 | body[1];
        if (!ws_close_code_valid(code))
            return fail(ws, WS_CLOSE_PROTOCOL_ERROR, "invalid close code");
        if (utf8_check(body + 2, len - 2) != UTF8_COMPLETE)
            return fail(ws, WS_CLOSE_INVALID_DATA, "close reason is not UTF-8");
    }
    ws->close_received = true;
    ws->close_code = code;
    memcpy(ws->close_reason, body + (len >= 2 ? 2 : 0), len >= 2 ? len - 2 : 0);
    ws->close_reason[len >= 2 ? len - 2 : 0] = '\0';
    if (!ws->close_sent) /* §5.5.1: echo the status code received */
        send_close_frame(ws, code, NULL);
    ws->state = WS_CLOSED;
    if (ws->role == WS_SERVER)
        ev_close(ws->c);
    else
        ev_set_timer(ws->c, ws->close_timeout_ms);
    return 0;
}

/* ---- receiving frames ---------------------------------------------------------------- */

static int on_control_frame(struct ws *ws, unsigned opcode)
{
    switch (opcode) {
    case WS_PING: /* §5.5.2: answer with a pong of the same data */
        if (ws->state == WS_OPEN)
            send_frame(ws, true, WS_PONG, ws->control, ws->control_len);
        break;
    case WS_PONG: /* §5.5.3: may be unsolicited; no answer */
        if (ws->h->on_pong && ws->state == WS_OPEN)
            ws->h->on_pong(ws, (const char *)ws->control, ws->control_len);
        break;
    case WS_CLOSE:
        return on_close_frame(ws);
    }
    return 0;
}

/* §5.4: a message is a first frame (text or binary) followed by zero or
 * more continuation frames, the last with FIN set.  Control frames may come
 * in between; a new message may not. */
static int on_header(struct ws *ws)
{
    const struct ws_frame_header *h = &ws->decoder.header;
    if (ws_is_control(h->opcode)) {
        ws->control_len = 0;
        return 0;
    }
    if (h->opcode == WS_CONTINUATION && ws->message_opcode == 0)
        return fail(ws, WS_CLOSE_PROTOCOL_ERROR, "continuation frame without a message");
    if (h->opcode != WS_CONTINUATION && ws->message_opcode != 0)
        return fail(ws, WS_CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one");
    if (h->opcode != WS_CONTINUATION) {
        ws->message_opcode = h->opcode;
        ws->message_len = 0;
        utf8_init(&ws->utf8);
    }
    /* Refuse a message that will be too big now, before its bytes come. */
    if (h->length > ws->max_message - ws->message_len)
        return fail(ws, WS_CLOSE_TOO_BIG, "message larger than the limit");
    size_t needed = ws->message_len + (size_t)h->length;
    if (ws->message == NULL && needed > KEEP_BUFFER)
        ws->message = take_spare(needed, &ws->message_cap);
    if (needed > ws->message_cap) {
        /* Grow by doubling, so many small fragments cost no more than one
         * big frame, but never past the limit. */
        size_t cap = ws->message_cap * 2 > needed ? ws->message_cap * 2 : needed;
        if (cap > ws->max_message)
            cap = ws->max_message;
        char *grown = realloc(ws->message, cap);
        if (grown == NULL)
            return fail(ws, WS_CLOSE_INTERNAL_ERROR, "out of memory");
        ws->message = grown;
        ws->message_cap = cap;
    }
    return 0;
}

static void on_payload(struct ws *ws, const struct ws_payload *piece)
{
    const struct ws_frame_header *h = &ws->decoder.header;
    uint8_t *into = ws_is_control(h->opcode) ? ws->control + ws->control_len
                                             : (uint8_t *)ws->message + ws->message_len;
    if (h->masked)
        ws_unmask(into, piece->data, piece->len, h->mask, piece->offset);
    else
        memcpy(into, piece->data, piece->len);
    if (ws_is_control(h->opcode)) {
        ws->control_len += piece->len;
        return;
    }
    ws->message_len += piece->len;
    /* §8.1: fail fast, at the first byte that cannot be UTF-8, not at the
     * end of the message. */
    if (ws->message_opcode == WS_TEXT &&
        utf8_feed(&ws->utf8, into, piece->len, NULL) == UTF8_INVALID)
        fail(ws, WS_CLOSE_INVALID_DATA, "text message is not UTF-8");
}

static int on_frame_end(struct ws *ws)
{
    const struct ws_frame_header *h = &ws->decoder.header;
    if (ws_is_control(h->opcode))
        return on_control_frame(ws, h->opcode);
    if (!h->fin)
        return 0;
    if (ws->message_opcode == WS_TEXT &&
        utf8_feed(&ws->utf8, NULL, 0, NULL) != UTF8_COMPLETE)
        return fail(ws, WS_CLOSE_INVALID_DATA, "text message ends inside a character");
    unsigned opcode = ws->message_opcode;
    ws->message_opcode = 0;
    /* After this side's close frame the peer may still send until it sees
     * ours (§7.1.2): those messages are delivered too. */
    if (ws->state == WS_OPEN || ws->state == WS_CLOSING)
        ws->h->on_message(ws, (enum ws_opcode)opcode, ws->message ? ws->message : "",
                          ws->message_len);
    if (ws->message_cap > KEEP_BUFFER) {
        give_back(ws->message, ws->message_cap);
        ws->message = NULL;
        ws->message_cap = 0;
    }
    return 0;
}

/* Reads as many frames as the input holds; stops when the connection is
 * closed (by the peer's close frame, a failure, or the application). */
static void read_frames(struct ws *ws)
{
    size_t len;
    const uint8_t *data = (const uint8_t *)ev_input(ws->c, &len);
    size_t consumed = 0;
    while ((ws->state == WS_OPEN || ws->state == WS_CLOSING) &&
           (consumed < len || ws_decode_pending(&ws->decoder))) {
        /* Bounded work: while the peer does not read what the application
         * sends back, the rest of the input waits; the loop calls again once
         * the output has drained. */
        if (ev_output_full(ws->c))
            break;
        struct ws_payload piece;
        size_t used;
        enum ws_decode_event e =
            ws_decode(&ws->decoder, data + consumed, len - consumed, &used, &piece);
        consumed += used;
        switch (e) {
        case WS_DECODE_HEADER:
            on_header(ws);
            break;
        case WS_DECODE_PAYLOAD:
            on_payload(ws, &piece);
            break;
        case WS_DECODE_FRAME:
            on_frame_end(ws);
            break;
        case WS_DECODE_ERROR:
            fail(ws, ws->decoder.close_code, ws->decoder.error);
            break;
        case WS_DECODE_MORE:
            break;
        }
    }
    /* Once closed, whatever else arrives is dropped unread. */
    ev_consume(ws->c, ws->state == WS_CLOSED ? len : consumed);
}

static void on_frames(struct ev_conn *c)
{
    read_frames(ev_data(c));
}

static void on_timer(struct ev_conn *c)
{
    struct ws *ws = ev_data(c);
    /* The peer did not finish the handshake (opening or closing) in time. */
    if (ws->state == WS_CONNECTING)
        snprintf(ws->close_reason, sizeof ws->close_reason, "opening handshake timed out");
    ws->state = WS_CLOSED;
    ev_close_now(c);
}

static void on_gone(struct ev_conn *c)
{
    struct ws *ws = ev_data(c);
    if (ws == NULL) /* the handshake could not even be sent */
        return;
    int code = ws->close_received || ws->failed ? ws->close_code : WS_CLOSE_ABNORMAL;
    if (code == WS_CLOSE_ABNORMAL && ws->close_reason[0] == '\0') /* "reset by peer" */
        snprintf(ws->close_reason, sizeof ws->close_reason, "%s", ev_close_reason_text(c));
    if (ws->h->on_close)
        ws->h->on_close(ws, code, ws->close_reason);
    ws_free(ws);
}

/* ---- the server side (§4.2) --------------------------------------------------------- */

bool ws_is_upgrade(const struct http_message *request)
{
    return http_header(request, "Upgrade") != NULL;
}

struct ws *ws_accept(struct ev_conn *c, const struct http_message *request,
                     const struct ws_handlers *h, const struct ws_options *options,
                     void *user)
{
    struct ws_server_handshake hs;
    ws_check_request(request, options ? options->subprotocols : NULL, &hs);
    char response[1024];
    size_t len = ws_write_response(response, sizeof response, &hs);
    struct ws *ws = hs.status == 101 ? ws_new(c, WS_SERVER, h, options, user) : NULL;
    if (ws != NULL)
        ws->target = strdup(request->target);
    if (ws == NULL || ws->target == NULL) {
        if (ws != NULL) {
            ws_free(ws);
            hs.status = 500;
            hs.error = "out of memory";
            len = ws_write_response(response, sizeof response, &hs);
        }
        ev_write(c, response, len);
        ev_close(c);
        return NULL;
    }
    memcpy(ws->protocol, hs.protocol, sizeof ws->protocol);
    ev_write(c, response, len);
    ev_set_data(c, ws);
    ev_set_handlers(c, &frame_handlers);
    ev_set_timer(c, 0);
    ws->state = WS_OPEN;
    if (h->on_open)
        h->on_open(ws);
    /* Frames that came right behind the request are in the input already. */
    read_frames(ws);
    return ws;
}

/* ---- a server that speaks only WebSocket -------------------------------------------------- */

/* The HTTP side of such a server's connections: one request head, read
 * with chapter 05's parser (the connection's data until then), and handed
 * to ws_accept() with the service of the listener. */

static void upgrade_open(struct ev_conn *c)
{
    const struct ws_service *service = ev_server(c);
    struct http_parser *p = http_parser_new(HTTP_REQUEST);
    if (p == NULL) {
        ev_close_now(c);
        return;
    }
    ev_set_data(c, p);
    long timeout = service->options && service->options->handshake_timeout_ms > 0
                       ? service->options->handshake_timeout_ms
                       : WS_DEFAULT_HANDSHAKE_TIMEOUT_MS;
    ev_set_timer(c, timeout);
}

static void upgrade_data(struct ev_conn *c)
{
    struct http_parser *p = ev_data(c);
    size_t len, used;
    const char *data = ev_input(c, &len);
    struct http_piece body;
    enum http_event e = http_feed(p, data, len, &used, &body);
    ev_consume(c, used);
    if (e == HTTP_HEAD) {
        const struct ws_service *service = ev_server(c);
        /* From here the connection is the library's, or being closed with
         * ws_accept()'s error answer: either way the parser is done. */
        ev_set_data(c, NULL);
        ws_accept(c, &p->msg, service->handlers, service->options, NULL);
        http_parser_delete(p);
    } else if (e == HTTP_ERROR) {
        static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                                  "Connection: close\r\n\r\n";
        ev_write(c, bad, sizeof bad - 1);
        ev_close(c);
    }
}

static void upgrade_timer(struct ev_conn *c)
{
    ev_close_now(c); /* no complete request head in time */
}

static void upgrade_close(struct ev_conn *c)
{
    http_parser_delete(ev_data(c));
}

const struct ev_handlers ws_upgrade_handlers = {
    .on_open = upgrade_open,
    .on_data = upgrade_data,
    .on_timer = upgrade_timer,
    .on_close = upgrade_close,
};

/* ---- the client side (§4.1) ------------------------------------------------------------ */

static void on_handshake_data(struct ev_conn *c);

static const struct ev_handlers handshake_handlers = {
    .on_data = on_handshake_data,
    .on_timer = on_timer,
    .on_close = on_gone,
};

/* The server's answer is complete: check it, then switch to frames. */
static void on_handshake_answer(struct ws *ws)
{
    const char *wrong =
        ws_check_response(&ws->http->msg, ws->key, ws->offered, ws->protocol);
    if (wrong != NULL) {
        snprintf(ws->close_reason, sizeof ws->close_reason, "%s", wrong);
        ws->state = WS_CLOSED;
        ev_close_now(ws->c);
        return;
    }
    http_parser_free(ws->http);
    free(ws->http);
    ws->http = NULL;
    ev_set_handlers(ws->c, &frame_handlers);
    ev_set_timer(ws->c, 0);
    ws->state = WS_OPEN;
    if (ws->h->on_open)
        ws->h->on_open(ws);
}

static void on_handshake_data(struct ev_conn *c)
{
    struct ws *ws = ev_data(c);
    size_t len;
    const char *data = ev_input(c, &len);
    struct http_piece piece;
    size_t used;
    enum http_event e = http_feed(ws->http, data, len, &used, &piece);
    ev_consume(c, used);
    if (e == HTTP_HEAD) {
        on_handshake_answer(ws);
        if (ws->state == WS_OPEN)
            read_frames(ws); /* frames right behind the answer */
    } else if (e == HTTP_ERROR) {
        snprintf(ws->close_reason, sizeof ws->close_reason, "malformed answer: %s",
                 ws->http->error);
        ws->state = WS_CLOSED;
        ev_close_now(c);
    }
}

struct ws *ws_connect(struct ev_loop *loop, const char *url_text, const struct ws_handlers *h,
                      const struct ws_options *options, void *user, char *err)
{
    struct http_url url;
    enum http_url_status status = ws_parse_url(url_text, &url);
    if (status != HTTP_URL_OK) {
        snprintf(err, EV_ERR_LEN, "%s: %s", url_text,
                 status == HTTP_URL_UNSUPPORTED ? "only ws:// URLs are supported"
                                                : "malformed URL");
        return NULL;
    }
    /* Connecting blocks, but only the caller: it happens before the loop
     * runs, or takes a loopback moment. */
    char net_err[256];
    int fd = net_connect(url.host, url.port, SOCK_STREAM, net_err);
    if (fd < 0) {
        snprintf(err, EV_ERR_LEN, "%s", net_err);
        return NULL;
    }
    /* Messages go out as soon as they are written, each whole: Nagle's
     * algorithm would hold a small message back until the previous one is
     * acknowledged, and the server delays that acknowledgement (up to 40 ms
     * on Linux), which a client with many requests in flight pays for every
     * request sent while another is still unacknowledged. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct ev_conn *c = ev_add(loop, fd, &handshake_handlers, NULL);
    if (c == NULL) {
        snprintf(err, EV_ERR_LEN, "connecting: out of memory");
        return NULL;
    }
    struct ws *ws = ws_new(c, WS_CLIENT, h, options, user);
    const char *protocols = options && options->subprotocols ? options->subprotocols : "";
    char request[HTTP_MAX_LINE + 1024];
    size_t len = 0;
    if (ws != NULL) {
        ws->http = calloc(1, sizeof *ws->http);
        ws->target = strdup(url.target);
        ws->offered = strdup(protocols);
    }
    if (ws == NULL || ws->http == NULL || ws->target == NULL || ws->offered == NULL ||
        !ws_new_key(ws->key) ||
        (len = ws_write_request(request, sizeof request, &url, ws->key, protocols)) == 0) {
        snprintf(err, EV_ERR_LEN, "starting the handshake: out of memory or no random bytes");
        if (ws != NULL)
            ws_free(ws);
        ev_close_now(c);
        return NULL;
    }
    http_parser_init(ws->http, HTTP_RESPONSE);
    ev_set_data(c, ws);
    ev_write(c, request, len);
    long timeout = options && options->handshake_timeout_ms ? options->handshake_timeout_ms
                                                            : WS_DEFAULT_HANDSHAKE_TIMEOUT_MS;
    ev_set_timer(c, timeout);
    return ws;
}

/* ---- small accessors ---------------------------------------------------------------------- */

void ws_set_user(struct ws *ws, void *user) { ws->user = user; }
void *ws_user(const struct ws *ws) { return ws->user; }
const char *ws_target(const struct ws *ws) { return ws->target ? ws->target : "/"; }
const char *ws_subprotocol(const struct ws *ws) { return ws->protocol; }
const char *ws_peer(struct ws *ws) { return ev_peer(ws->c); }
size_t ws_output_pending(const struct ws *ws) { return ev_output_pending(ws->c); }
bool ws_closed_cleanly(const struct ws *ws) { return ws->close_sent && ws->close_received; }
struct ev_conn *ws_conn(const struct ws *ws) { return ws->c; }
struct ev_loop *ws_loop(const struct ws *ws) { return ev_loop_of(ws->c); }
