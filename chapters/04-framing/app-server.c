/* app-server - answers framed requests, many clients at once, on one thread.
 *
 *   app-server [--max-header BYTES] [--max-content BYTES] [--idle-timeout SECONDS]
 *              [--max-memory BYTES] [HOST] PORT
 *
 * Every message, both ways, is a 2-byte big-endian header length, a JSON
 * header, and content (frame.h).  A request whose content is the JSON object
 * {"action": "search", "value": V} is answered with {"result": R}, R from a
 * small fixed table; a request of any other content type is answered with
 * opaque bytes that start with the first bytes of its content.
 *
 * The server runs on chapter 03's event loop.  Each connection has its own
 * decoder; whatever arrives, one byte or many messages, goes through it, and
 * each message it completes is answered at once, so the answers go out in
 * the order of the requests.  A malformed message closes its connection,
 * with a log line, and touches nobody else.
 *
 * Two bounds protect everybody from a few: a connection that sends nothing
 * for --idle-timeout seconds (default 30) is closed, and the messages being
 * read on all connections together may hold at most --max-memory bytes
 * (default 32 MiB): past that, the connection that holds the most is
 * closed, with a log line, and the others go on.  Without them, 150
 * connections that each sent 1 MiB - 1 of a 1 MiB message held 161 MB for
 * ever.
 */
#include "evloop.h"
#include "frame.h"
#include "serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: app-server [--max-header BYTES] [--max-content BYTES]\n"
    "                  [--idle-timeout SECONDS] [--max-memory BYTES] [HOST] PORT\n"
    "Answers framed JSON and binary requests (chapter 04's protocol).\n"
    "HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n"
    "Limits default to 16384 header bytes and 1048576 content bytes per message,\n"
    "30 seconds without a byte from a client, and 33554432 bytes of messages\n"
    "being read on all connections together (past it, the biggest is closed).\n";

/* The server's settings and the memory its connections hold together. */
struct server {
    struct frame_limits limits;
    long idle_ms;
    size_t max_memory;
    size_t memory; /* frame_decoder_memory() summed over the connections */
};

#define DEFAULT_IDLE_MS 30000
#define DEFAULT_MAX_MEMORY ((size_t)32 << 20)

/* A binary request is answered with at most this many of its first bytes. */
#define BINARY_ANSWER_MAX 64

/* A connection closed for a malformed message still gets the answers queued
 * before it; a peer that does not read them has this long. */
#define CLOSE_GRACE_MS 5000

/* ---- the answers -------------------------------------------------------------- */

struct entry {
    const char *value, *result;
};

/* What the search action knows.  One entry is not ASCII, so that UTF-8 is
 * exercised end to end. */
static const struct entry search_table[] = {
    {"tcp", "a reliable, ordered byte stream, with no message boundaries"},
    {"udp", "datagrams: boundaries kept, delivery not promised"},
    {"framing", "a length first, then exactly that many bytes"},
    {"json", "text for structured data, RFC 8259"},
    {"\xcf\x80", "\xe2\x89\x88 3.14159"}, /* "π" -> "≈ 3.14159" */
};

/* Queues a message built by frame_encode() and frees it; NULL means it could
 * not be built (out of memory), and the connection is dropped. */
static void queue_message(struct ev_conn *c, char *message, size_t len, const char *err)
{
    if (message == NULL) {
        fprintf(stderr, "app-server: %s: answering: %s\n", ev_peer(c), err);
        ev_close_now(c);
        return;
    }
    ev_write(c, message, len);
    free(message);
}

/* Sends {"KEY": TEXT} as text/json: KEY is "result", or "error". */
static void answer_json(struct ev_conn *c, const char *key, const char *text, size_t len)
{
    struct json_writer content;
    char err[FRAME_ERR_LEN];
    size_t content_len, message_len = 0;

    json_writer_begin(&content);
    json_write_string(&content, key, text, len);
    char *json = json_writer_end(&content, &content_len, err);
    char *message = json == NULL ? NULL
                                 : frame_encode("text/json", "utf-8", json, content_len,
                                                &message_len, err);
    free(json);
    queue_message(c, message, message_len, err);
}

static void answer_search(struct ev_conn *c, const struct json_value *value)
{
    if (value == NULL || value->type != JSON_STRING) {
        static const char why[] = "\"search\" needs a string \"value\"";
        answer_json(c, "error", why, sizeof why - 1);
        return;
    }
    for (size_t i = 0; i < sizeof search_table / sizeof search_table[0]; i++) {
        const struct entry *e = &search_table[i];
        if (strlen(e->value) == value->length &&
            memcmp(e->value, value->string, value->length) == 0) {
            answer_json(c, "result", e->result, strlen(e->result));
            return;
        }
    }
    char no_match[256];
    int n = snprintf(no_match, sizeof no_match, "no match for \"%s\"", value->string);
    /* A very long value is cut; never in the middle of a UTF-8 character. */
    size_t len = n < (int)sizeof no_match ? (size_t)n : sizeof no_match - 1;
    while (len > 0 && !json_valid_utf8(no_match, len))
        len--;
    answer_json(c, "result", no_match, len);
}

/* A JSON request: {"action": "search", "value": V}.  A request that is well
 * framed but asks for something unknown gets an error answer, not a closed
 * connection: the stream is still in step, and the client may go on. */
static void answer_request(struct ev_conn *c, const struct frame_message *m)
{
    struct json_object request;
    char err[JSON_ERR_LEN + 64];

    if (json_parse_object(m->content, m->content_length, &request, err) < 0) {
        char why[JSON_ERR_LEN + 64];
        int n = snprintf(why, sizeof why, "the content is not a JSON object: %s", err);
        answer_json(c, "error", why, (size_t)n);
        return;
    }
    const struct json_value *action = json_get(&request, "action");
    if (action == NULL || action->type != JSON_STRING) {
        static const char why[] = "the request has no \"action\" string";
        answer_json(c, "error", why, sizeof why - 1);
    } else if (json_equals(action, "search", strlen("search"))) {
        /* Compared with its length: "search\u0000zzz" is another action,
         * though strcmp() would stop at the NUL and call it "search". */
        answer_search(c, json_get(&request, "value"));
    } else {
        int n = snprintf(err, sizeof err, "unknown action \"%.64s\"", action->string);
        size_t len = (size_t)n < sizeof err ? (size_t)n : sizeof err - 1;
        while (len > 0 && !json_valid_utf8(err, len))
            len--;
        answer_json(c, "error", err, len);
    }
    json_object_free(&request);
}

/* Anything that is not JSON: the first bytes back, as opaque content. */
static void answer_binary(struct ev_conn *c, const struct frame_message *m)
{
    char err[FRAME_ERR_LEN];
    size_t len = m->content_length < BINARY_ANSWER_MAX ? m->content_length
                                                       : BINARY_ANSWER_MAX;
    size_t message_len;
    char *message = frame_encode("binary/custom-server-binary-type", "binary",
                                 m->content, len, &message_len, err);
    queue_message(c, message, message_len, err);
}

static bool is_json(const struct frame_message *m)
{
    return strcmp(m->content_type, "text/json") == 0 &&
           strcmp(m->content_encoding, "utf-8") == 0;
}

/* ---- connections -------------------------------------------------------------- */

struct client {
    struct frame_decoder decoder;
    size_t memory; /* what the decoder held when last counted */
    unsigned long long requests;
    bool malformed; /* already logged and closing */
};

static void client_opened(struct ev_conn *c)
{
    struct client *cl = malloc(sizeof *cl);
    if (cl == NULL) {
        fprintf(stderr, "app-server: %s: %s\n", ev_peer(c), strerror(ENOMEM));
        ev_close_now(c);
        return;
    }
    const struct server *s = ev_server(c);
    frame_decoder_init(&cl->decoder, &s->limits);
    cl->memory = 0;
    cl->requests = 0;
    cl->malformed = false;
    ev_set_data(c, cl);
    ev_set_timer(c, s->idle_ms); /* no byte for that long: the loop closes it */
    printf("connection from %s\n", ev_peer(c));
}

static void reject(struct ev_conn *c, struct client *cl, const char *why)
{
    printf("%s: malformed message: %s; closing the connection\n", ev_peer(c), why);
    cl->malformed = true;
    ev_close(c);
    ev_set_timer(c, CLOSE_GRACE_MS);
}

/* Counts again what this connection's decoder holds, into the server's
 * total. */
static void recount(struct ev_conn *c, struct client *cl)
{
    struct server *s = ev_server(c);
    size_t now = frame_decoder_memory(&cl->decoder);
    s->memory = s->memory - cl->memory + now;
    cl->memory = now;
}

/* Past the budget, the connection holding the most is closed (its decoder
 * freed at once, so the memory is back before the next read), until the
 * total fits again.  A fair choice: whoever holds the most is the likeliest
 * to be the cause, and the others, the small requests, go on. */
static void enforce_budget(struct ev_loop *loop, struct server *s)
{
    while (s->memory > s->max_memory) {
        struct ev_conn *biggest = NULL;
        size_t most = 0;
        for (struct ev_conn *c = ev_first(loop); c != NULL; c = ev_next(c)) {
            struct client *cl = ev_data(c);
            if (cl != NULL && cl->memory > most) {
                most = cl->memory;
                biggest = c;
            }
        }
        if (biggest == NULL)
            return;
        struct client *cl = ev_data(biggest);
        printf("%s: over the memory budget of %zu bytes (all connections hold %zu): "
               "closing this one, which holds %zu\n",
               ev_peer(biggest), s->max_memory, s->memory, most);
        frame_decoder_free(&cl->decoder);
        frame_decoder_init(&cl->decoder, &s->limits);
        recount(biggest, cl);
        cl->malformed = true; /* nothing more is decoded */
        ev_close_now(biggest);
    }
}

/* Bytes in, answers out: every complete message is answered before the
 * next one is decoded, so answers leave in the order of the requests. */
static void client_sent(struct ev_conn *c)
{
    struct client *cl = ev_data(c);
    struct server *s = ev_server(c);
    size_t len, pos = 0;
    const char *input = ev_input(c, &len);
    ev_set_timer(c, s->idle_ms); /* it spoke: a new idle period */

    while (cl != NULL && !cl->malformed && pos < len) {
        size_t used;
        enum frame_result r = frame_decode(&cl->decoder, input + pos, len - pos, &used);
        pos += used;
        if (r == FRAME_NEED_MORE)
            break;
        if (r == FRAME_BAD_INPUT) {
            reject(c, cl, cl->decoder.error);
            break;
        }
        cl->requests++;
        if (is_json(&cl->decoder.message))
            answer_request(c, &cl->decoder.message);
        else
            answer_binary(c, &cl->decoder.message);
    }
    /* Everything was taken: the decoder keeps the part of a message that
     * is not complete yet. */
    ev_consume(c, len);
    if (cl != NULL) {
        recount(c, cl);
        enforce_budget(ev_loop_of(c), s);
    }
}

static void client_closed(struct ev_conn *c)
{
    struct client *cl = ev_data(c);
    if (cl == NULL)
        return;
    if (!cl->malformed && frame_decode_end(&cl->decoder) < 0)
        printf("%s: malformed message: %s\n", ev_peer(c), cl->decoder.error);
    printf("closed %s after %llu request%s%s%s\n", ev_peer(c), cl->requests,
           cl->requests == 1 ? "" : "s",
           ev_close_reason(c) == EV_TIMED_OUT ? ": " : "",
           ev_close_reason(c) == EV_TIMED_OUT ? "idle for too long" : "");
    frame_decoder_free(&cl->decoder);
    recount(c, cl);
    free(cl);
}

static const struct ev_handlers app = {
    .on_open = client_opened,
    .on_data = client_sent,
    .on_close = client_closed,
};

/* ---- the command line ---------------------------------------------------------- */

static size_t parse_size(const char *text, size_t max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v > max) {
        fputs(usage_text, stderr);
        exit(2);
    }
    return (size_t)v;
}

/* The options, then [HOST] PORT as every server of the course takes them. */
static void parse_args(int argc, char **argv, struct server *s, const char **host,
                       const char **port)
{
    int i = 1;
    s->limits.max_header = FRAME_DEFAULT_MAX_HEADER;
    s->limits.max_content = FRAME_DEFAULT_MAX_CONTENT;
    s->idle_ms = DEFAULT_IDLE_MS;
    s->max_memory = DEFAULT_MAX_MEMORY;
    while (i + 1 < argc && strncmp(argv[i], "--", 2) == 0) {
        if (strcmp(argv[i], "--max-header") == 0)
            s->limits.max_header = parse_size(argv[i + 1], FRAME_HEADER_MAX);
        else if (strcmp(argv[i], "--max-content") == 0)
            s->limits.max_content = parse_size(argv[i + 1], (size_t)1 << 30);
        else if (strcmp(argv[i], "--idle-timeout") == 0)
            s->idle_ms = (long)parse_size(argv[i + 1], 86400) * 1000;
        else if (strcmp(argv[i], "--max-memory") == 0)
            s->max_memory = parse_size(argv[i + 1], (size_t)1 << 40);
        else
            break;
        if (s->idle_ms == 0) { /* a timeout of 0 would mean none: refused */
            fputs(usage_text, stderr);
            exit(2);
        }
        i += 2;
    }
    serve_parse_args(argc - i + 1, argv + i - 1, usage_text, host, port);
}

int main(int argc, char **argv)
{
    const char *host, *port;
    char err[EV_ERR_LEN];
    static struct server server;

    parse_args(argc, argv, &server, &host, &port);
    /* Log lines go out one by one even when stdout is a pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The loop first: from here on SIGINT and SIGTERM wait for it. */
    struct ev_loop *loop = ev_loop_new(err);
    if (loop == NULL) {
        fprintf(stderr, "app-server: %s\n", err);
        return 1;
    }
    int listener = serve_listen("app-server", host, port);
    if (ev_listen(loop, listener, &app, &server) < 0) {
        fprintf(stderr, "app-server: watching the listener: %s\n", strerror(errno));
        return 1;
    }
    int status = 0;
    if (ev_run(loop) < 0) {
        fprintf(stderr, "app-server: epoll_wait: %s\n", strerror(errno));
        status = 1;
    }
    ev_loop_free(loop);
    return status;
}
