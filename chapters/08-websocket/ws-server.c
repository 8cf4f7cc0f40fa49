/* ws-server - a WebSocket server (RFC 6455) on one event loop.
 *
 * One port serves four things.  An upgrade request for /chat joins a chat
 * room: each text message goes to every member.  One for /inspect reaches
 * the document inspector, requests with ids (inspect-service.h).  An
 * upgrade request for any other path is an echo session: every message
 * comes back unchanged.  A plain GET is answered with a file from the root
 * directory (by default the chapter's demo page, which a browser opens to
 * chat).
 *
 * Every connection starts as HTTP, read with chapter 05's parser; the
 * upgrade hands it to the WebSocket library (ws.h), which from then on
 * reads frames from it.
 */
#define _XOPEN_SOURCE 700 /* realpath() is an XSI extension of POSIX */
#include "evloop.h"
#include "http.h"
#include "inspect-service.h"
#include "net.h"
#include "serve.h"
#include "ws.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef WS_DEFAULT_ROOT
#define WS_DEFAULT_ROOT "."
#endif

#define USAGE                                                                          \
    "usage: ws-server [--root DIR] [--max-message BYTES] [HOST] PORT\n"                 \
    "A WebSocket server: ws://HOST:PORT/chat is a chat room, /inspect the document\n"  \
    "inspector (requests with ids), any other path an echo service; plain GET\n"      \
    "requests are served from DIR (default: the chapter's demo page).  Messages\n"   \
    "larger than BYTES (default 16777216) are refused with close code 1009.\n"         \
    "HOST defaults to 127.0.0.1; PORT 0 lets the kernel choose.\n"

/* A request must arrive within this time, and a static file is at most
 * this large: the file server here only carries the demo page. */
#define REQUEST_TIMEOUT_MS 10000
#define MAX_FILE (4 * 1024 * 1024)
/* A chat member that lets this much output pile up (it does not read) is
 * dropped, so that one slow reader cannot grow the server's memory. */
#define CHAT_BACKLOG (1024 * 1024)

struct member {
    struct ws *ws;
    struct member *prev, *next;
};

struct server {
    char root[PATH_MAX];   /* the real path of DIR: no "..", no symlinks */
    struct ws_options options;
    struct member *chat;   /* the members of the chat room */
    size_t chat_size;
};

/* ---- the echo service ------------------------------------------------------------ */

static void echo_message(struct ws *ws, enum ws_opcode opcode, const char *data, size_t len)
{
    ws_send(ws, opcode, data, len);
}

static void log_close(struct ws *ws, int code, const char *reason)
{
    printf("%s %s closed %d%s%s\n", ws_peer(ws), ws_target(ws), code, *reason ? " " : "",
           reason);
}

static const struct ws_handlers echo_handlers = {
    .on_message = echo_message,
    .on_close = log_close,
};

/* ---- the chat room ----------------------------------------------------------------- */

static struct server *server_of(struct ws *ws)
{
    return ev_server(ws_conn(ws));
}

static void chat_join(struct ws *ws)
{
    struct server *s = server_of(ws);
    struct member *m = malloc(sizeof *m);
    if (m == NULL) {
        ws_close(ws, WS_CLOSE_INTERNAL_ERROR, "out of memory");
        return;
    }
    m->ws = ws;
    m->prev = NULL;
    m->next = s->chat;
    if (s->chat)
        s->chat->prev = m;
    s->chat = m;
    s->chat_size++;
    ws_set_user(ws, m);
}

static void chat_message(struct ws *ws, enum ws_opcode opcode, const char *data, size_t len)
{
    if (opcode != WS_TEXT) { /* §7.4.1: 1003, a kind of data it cannot accept */
        ws_close(ws, WS_CLOSE_UNSUPPORTED_DATA, "the chat takes text only");
        return;
    }
    for (struct member *m = server_of(ws)->chat; m != NULL; m = m->next) {
        if (ws_output_pending(m->ws) > CHAT_BACKLOG) {
            ws_close(m->ws, WS_CLOSE_POLICY_VIOLATION, "not reading");
            continue;
        }
        ws_send(m->ws, WS_TEXT, data, len);
    }
}

static void chat_leave(struct ws *ws, int code, const char *reason)
{
    struct server *s = server_of(ws);
    struct member *m = ws_user(ws);
    if (m != NULL) {
        if (m->prev)
            m->prev->next = m->next;
        else
            s->chat = m->next;
        if (m->next)
            m->next->prev = m->prev;
        s->chat_size--;
        free(m);
    }
    log_close(ws, code, reason);
}

static const struct ws_handlers chat_handlers = {
    .on_open = chat_join,
    .on_message = chat_message,
    .on_close = chat_leave,
};

/* Which service an upgrade request reaches, by its path. */
static bool path_is(const char *target, const char *path)
{
    size_t len = strlen(path);
    return strncmp(target, path, len) == 0 && (target[len] == '\0' || target[len] == '?');
}

static const struct ws_handlers *route(const char *target)
{
    if (path_is(target, "/chat"))
        return &chat_handlers;
    if (path_is(target, "/inspect")) /* requests with ids: inspect-service.h */
        return &inspect_handlers;
    return &echo_handlers;
}

/* ---- static files --------------------------------------------------------------------- */

static void send_status(struct ev_conn *c, int status, bool head_only)
{
    char response[512];
    const char *reason = http_reason(status);
    int n = snprintf(response, sizeof response,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n%s\r\n%s\n",
                     status, reason, strlen(reason) + 1,
                     status == 405 ? "Allow: GET, HEAD\r\n" : "", head_only ? "" : reason);
    if (head_only)
        n -= (int)strlen(reason) + 1;
    ev_write(c, response, (size_t)n);
}

static const char *content_type(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".json", "application/json"},
        {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i][0]) == 0)
            return types[i][1];
    return "application/octet-stream";
}

/* The file a request target names under the root, or an HTTP status.  The
 * path is taken up to '?', must not hold "%" escapes or "..", and its real
 * path (links resolved) must still lie under the root: nothing outside the
 * root is ever served. */
static int find_file(const struct server *s, const char *target, char *real)
{
    char path[PATH_MAX];
    size_t len = strcspn(target, "?#");
    if (target[0] != '/')
        return 400;
    if (memchr(target, '%', len) != NULL || strstr(target, "/..") != NULL)
        return 403; /* the demo page needs neither; refusing is the safe side */
    int n = snprintf(path, sizeof path, "%s%.*s%s", s->root, (int)len, target,
                     target[len - 1] == '/' ? "index.html" : "");
    if (n < 0 || (size_t)n >= sizeof path)
        return 414;
    if (realpath(path, real) == NULL)
        return errno == EACCES ? 403 : 404;
    size_t root_len = strlen(s->root);
    if (strncmp(real, s->root, root_len) != 0 || (real[root_len] != '/' && real[root_len] != '\0'))
        return 403;
    return 0;
}

static void serve_file(struct ev_conn *c, const struct http_message *m)
{
    bool head_only = strcmp(m->method, "HEAD") == 0;
    if (!head_only && strcmp(m->method, "GET") != 0) {
        send_status(c, 405, false);
        return;
    }
    char real[PATH_MAX];
    int status = find_file(ev_server(c), m->target, real);
    if (status != 0) {
        send_status(c, status, head_only);
        return;
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
        send_status(c, fd < 0 && errno == EACCES ? 403 : 404, head_only);
        if (fd >= 0)
            close(fd);
        return;
    }
    char *body = malloc((size_t)st.st_size + 1);
    ssize_t got = body ? read(fd, body, (size_t)st.st_size) : -1;
    close(fd);
    if (got != st.st_size) {
        free(body);
        send_status(c, 500, head_only);
        return;
    }
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %lld\r\n"
                     "Cache-Control: no-cache\r\n\r\n",
                     content_type(real), (long long)st.st_size);
    ev_write(c, head, (size_t)n);
    if (!head_only)
        ev_write(c, body, (size_t)got);
    free(body);
}

/* ---- the HTTP side of a connection ------------------------------------------------------ */

static void on_http_open(struct ev_conn *c)
{
    struct http_parser *p = http_parser_new(HTTP_REQUEST);
    if (p == NULL) {
        ev_close_now(c);
        return;
    }
    ev_set_data(c, p);
    ev_set_timer(c, REQUEST_TIMEOUT_MS);
}

/* An upgrade request: the WebSocket library answers it.  On success the
 * connection is the library's, and the HTTP parser is no longer needed. */
static void upgrade(struct ev_conn *c, struct http_parser *p)
{
    struct server *s = ev_server(c);
    printf("%s upgrade %s\n", ev_peer(c), p->msg.target);
    struct ws *ws = ws_accept(c, &p->msg, route(p->msg.target), &s->options, NULL);
    if (ws != NULL)
        http_parser_delete(p);
    else
        printf("%s refused\n", ev_peer(c));
}

static void on_http_data(struct ev_conn *c)
{
    struct http_parser *p = ev_data(c);
    for (;;) {
        size_t len, used;
        const char *data = ev_input(c, &len);
        if (len == 0 && !http_pending(p))
            return;
        struct http_piece body;
        enum http_event e = http_feed(p, data, len, &used, &body);
        ev_consume(c, used);
        if (e == HTTP_MORE)
            return;
        if (e == HTTP_ERROR) {
            send_status(c, p->error_kind == HTTP_TOO_LARGE ? 431 : 400, false);
            ev_close(c);
            return;
        }
        if (e == HTTP_HEAD && ws_is_upgrade(&p->msg)) {
            upgrade(c, p);
            return;
        }
        if (e == HTTP_HEAD && p->msg.framing != HTTP_NO_BODY) {
            send_status(c, 405, false); /* no request here has a body */
            ev_close(c);
            return;
        }
        if (e == HTTP_DONE) {
            serve_file(c, &p->msg);
            if (!p->msg.keep_alive) {
                ev_close(c);
                return;
            }
            http_parser_reset(p);
            ev_set_timer(c, REQUEST_TIMEOUT_MS);
        }
    }
}

static void on_http_timer(struct ev_conn *c)
{
    ev_close_now(c); /* no complete request in time */
}

static void on_http_close(struct ev_conn *c)
{
    http_parser_delete(ev_data(c));
}

static const struct ev_handlers http_handlers = {
    .on_open = on_http_open,
    .on_data = on_http_data,
    .on_timer = on_http_timer,
    .on_close = on_http_close,
};

/* ---- main ------------------------------------------------------------------------------- */

static void usage_error(void)
{
    fputs(USAGE, stderr);
    exit(2);
}

/* Takes --root and --max-message off the front of the command line and
 * leaves "[HOST] PORT" to chapter 03's serve_parse_args(). */
static int parse_options(int argc, char **argv, struct server *s, const char **root)
{
    int i = 1;
    while (i < argc && strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i], "--help") != 0) {
        if (i + 1 >= argc)
            usage_error();
        if (strcmp(argv[i], "--root") == 0) {
            *root = argv[i + 1];
        } else if (strcmp(argv[i], "--max-message") == 0) {
            long bytes = net_parse_number(argv[i + 1], 1, 1L << 30);
            if (bytes < 0)
                usage_error();
            s->options.max_message = (size_t)bytes;
        } else {
            usage_error();
        }
        i += 2;
    }
    argv[i - 1] = argv[0];
    return i - 1;
}

int main(int argc, char **argv)
{
    static struct server server;
    const char *root = WS_DEFAULT_ROOT, *host, *port;
    int skip = parse_options(argc, argv, &server, &root);
    serve_parse_args(argc - skip, argv + skip, USAGE, &host, &port);
    struct stat st;
    errno = 0;
    if (realpath(root, server.root) == NULL || stat(server.root, &st) < 0 ||
        !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "ws-server: opening the root %s: %s\n", root,
                errno ? strerror(errno) : "Not a directory");
        return 1;
    }
    if (strcmp(server.root, "/") == 0)
        server.root[0] = '\0'; /* so that root + "/path" is "/path" */

    char err[EV_ERR_LEN];
    struct ev_loop *loop = ev_loop_new(err);
    if (loop == NULL) {
        fprintf(stderr, "ws-server: %s\n", err);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int listener = serve_listen("ws-server", host, port);
    if (ev_listen(loop, listener, &http_handlers, &server) < 0) {
        fprintf(stderr, "ws-server: watching the listening socket: %s\n", strerror(errno));
        return 1;
    }
    int status = ev_run(loop);
    if (status < 0)
        fprintf(stderr, "ws-server: waiting for events: %s\n", strerror(errno));
    ev_loop_free(loop);
    return status < 0 ? 1 : 0;
}
