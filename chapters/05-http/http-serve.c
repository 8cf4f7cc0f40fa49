/* http-serve - a small HTTP/1.1 static file server on chapter 03's event loop.
 *
 *   http-serve [--root DIR] [--timeout SECONDS] [HOST] PORT
 *
 * Serves the files under DIR (default: the current directory) to GET and
 * HEAD requests, on keep-alive connections, with a content type chosen by
 * the file's extension and an index page for directories.  Nothing outside
 * DIR is ever served: not through "..", not through percent-encoding, not
 * through a symbolic link.  Every connection has a deadline: a client that
 * sends its request too slowly, or never finishes it, or does not read its
 * response, is dropped after SECONDS (default 10), and meanwhile holds up
 * nobody, because the event loop never waits for one client.
 *
 * One log line per request on stdout:  PEER "METHOD TARGET" STATUS BYTES
 */
#define _XOPEN_SOURCE 700 /* realpath() is an XSI extension of POSIX */
#include "evloop.h"
#include "http.h"
#include "serve.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define USAGE                                                                          \
    "usage: http-serve [--root DIR] [--timeout SECONDS] [HOST] PORT\n"                  \
    "Serves the files under DIR (default .) over HTTP/1.1: GET and HEAD.\n"             \
    "A connection that takes longer than SECONDS (default 10) to send a request\n"      \
    "or to read a response is closed.  HOST defaults to 127.0.0.1; PORT 0 lets\n"       \
    "the kernel choose.\n"

/* How much of a file is read into the output queue at a time. */
#define FILE_PIECE (128 * 1024)

struct server {
    char root[PATH_MAX]; /* the real path of DIR: no "..", no symlinks */
    size_t root_len;
    long timeout_ms;
};

/* What the server remembers about one connection. */
struct client {
    struct http_parser parser;
    bool responding;     /* a file is being sent: later requests wait */
    bool close_after;    /* close once this response is out */
    bool old_keep_alive; /* an HTTP/1.0 client that asked for keep-alive */
    int file_fd;         /* the file being sent, or -1 */
    uint64_t file_left;  /* bytes of it still to queue */
};

/* ---- responses ------------------------------------------------------------------ */

static const char *content_type(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"}, {".md", "text/plain; charset=utf-8"},
        {".c", "text/plain; charset=utf-8"},   {".h", "text/plain; charset=utf-8"},
        {".css", "text/css"},                  {".js", "text/javascript"},
        {".json", "application/json"},         {".svg", "image/svg+xml"},
        {".png", "image/png"},                 {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},               {".gif", "image/gif"},
        {".ico", "image/x-icon"},              {".webp", "image/webp"},
        {".pdf", "application/pdf"},           {".wasm", "application/wasm"},
    };
    const char *dot = strrchr(path, '.');
    if (dot != NULL && strchr(dot, '/') == NULL)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot, types[i][0]) == 0)
                return types[i][1];
    return "application/octet-stream";
}

static void log_request(struct ev_conn *c, const struct http_message *m, int status,
                        unsigned long long bytes)
{
    printf("%s \"%s %s\" %d %llu\n", ev_peer(c), m->method ? m->method : "-",
           m->target ? m->target : "-", status, bytes);
}

/* Queues the status line and headers (the library's http_write_response()
 * writes them).  extra is one more header line, without CRLF, or NULL. */
static void send_head(struct ev_conn *c, int status, const char *type,
                      long long length, const char *extra)
{
    struct client *cl = ev_data(c);
    char content_type[128], head[1024 + HTTP_MAX_LINE];
    snprintf(content_type, sizeof content_type, "Content-Type: %s", type);
    const char *headers[5] = {"Server: http-serve", content_type};
    size_t count = 2;
    if (length < 0)
        headers[count++] = "Transfer-Encoding: chunked";
    if (extra != NULL)
        headers[count++] = extra;
    if (cl->close_after)
        headers[count++] = "Connection: close";
    else if (cl->old_keep_alive)
        headers[count++] = "Connection: keep-alive";
    size_t n = http_write_response(head, sizeof head, status, headers, count, length);
    if (n == 0) { /* cannot happen with the server's own headers */
        ev_close_now(c);
        return;
    }
    ev_write(c, head, n);
}

/* A response whose body is in memory. */
static void send_bytes(struct ev_conn *c, const struct http_message *m, int status,
                       const char *type, const char *body, size_t len, const char *extra)
{
    send_head(c, status, type, (long long)len, extra);
    if (strcmp(m->method, "HEAD") != 0)
        ev_write(c, body, len);
    log_request(c, m, status, len);
}

/* A generated page, sent as it would be while still being made: in chunks
 * (RFC 9112 section 7.1), here one per line, so that no Content-Length has
 * to be known in advance.
 *
 *     chunk = chunk-size-in-hex CRLF chunk-data CRLF  ...  "0" CRLF CRLF
 */
static void send_chunked(struct ev_conn *c, const struct http_message *m, const char *type,
                         const char *body, size_t len)
{
    send_head(c, 200, type, -1, NULL);
    log_request(c, m, 200, len);
    if (strcmp(m->method, "HEAD") == 0)
        return;
    /* The chunks are put together in one buffer and queued with one
     * ev_write(): three small writes per line would cost the loop's output
     * queue three appends each, thousands for a big directory. */
    size_t lines = 0;
    for (const char *at = body; (at = memchr(at, '\n', len - (size_t)(at - body))) != NULL;
         at++)
        lines++;
    size_t cap = len + (lines + 1) * (2 * sizeof(size_t) + 4) + 5, used = 0;
    char *chunks = malloc(cap);
    if (chunks == NULL) {
        ev_close_now(c); /* the head is out already: the response cannot be finished */
        return;
    }
    while (len > 0) {
        const char *lf = memchr(body, '\n', len);
        size_t piece = lf != NULL ? (size_t)(lf - body) + 1 : len;
        used += (size_t)snprintf(chunks + used, cap - used, "%zx\r\n", piece);
        memcpy(chunks + used, body, piece);
        memcpy(chunks + used + piece, "\r\n", 2);
        used += piece + 2;
        body += piece;
        len -= piece;
    }
    memcpy(chunks + used, "0\r\n\r\n", 5);
    ev_write(c, chunks, used + 5);
    free(chunks);
}

/* The small text page of an error: "404 Not Found". */
static void send_error(struct ev_conn *c, const struct http_message *m, int status)
{
    char body[128];
    int n = snprintf(body, sizeof body, "%d %s\n", status, http_reason(status));
    const char *extra = status == 405 ? "Allow: GET, HEAD" : NULL;
    send_bytes(c, m, status, "text/plain; charset=utf-8", body, (size_t)n, extra);
}

/* ---- from a request target to a file ----------------------------------------------- */

/* Decodes the path of the target ("/a%20b?q" -> "/a b") into out.  Refuses
 * (returns false) what cannot name a file under the root: a target that
 * does not start with "/", a bad or NUL escape, and any ".." segment, in
 * whatever encoding it came ("%2e%2e", "..%2f"), because decoding comes
 * first and the segments are checked after. */
static bool decode_path(const char *target, char *out, size_t outlen)
{
    if (strncasecmp(target, "http://", 7) == 0) { /* absolute-form: skip the authority */
        target = strchr(target + 7, '/');
        if (target == NULL)
            target = "/";
    }
    if (target[0] != '/' || !http_percent_decode(target, strcspn(target, "?#"), out, outlen))
        return false;
    for (const char *seg = out; seg != NULL; seg = strchr(seg + 1, '/'))
        if (strncmp(seg, "/..", 3) == 0 && (seg[3] == '/' || seg[3] == '\0'))
            return false;
    return true;
}

/* Turns a decoded path into the real path of a file or directory inside the
 * root.  realpath() resolves every symbolic link, so a link that points
 * out of the root gives a path that does not start with the root, and is
 * refused.  Returns 0, or the status to answer (403, 404). */
static int find_file(const struct server *s, const char *decoded, char *real)
{
    char path[PATH_MAX * 2];
    if ((size_t)snprintf(path, sizeof path, "%s%s", s->root, decoded) >= sizeof path)
        return 404;
    if (realpath(path, real) == NULL)
        return errno == EACCES ? 403 : 404;
    if (strncmp(real, s->root, s->root_len) != 0 ||
        (real[s->root_len] != '/' && real[s->root_len] != '\0'))
        return 403;
    return 0;
}

/* ---- directories ----------------------------------------------------------------- */

struct text {
    char *data;
    size_t len, cap;
};

static void append(struct text *t, const char *s, size_t len)
{
    if (t->data == NULL && t->cap == SIZE_MAX)
        return; /* out of memory earlier */
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap < t->len + len + 1)
            cap *= 2;
        char *grown = realloc(t->data, cap);
        if (grown == NULL) {
            free(t->data);
            *t = (struct text){.cap = SIZE_MAX};
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, len);
    t->len += len;
}

static void append_str(struct text *t, const char *s)
{
    append(t, s, strlen(s));
}

/* A name in the page's text: &, <, >, " and ' escaped. */
static void append_html(struct text *t, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': append_str(t, "&amp;"); break;
        case '<': append_str(t, "&lt;"); break;
        case '>': append_str(t, "&gt;"); break;
        case '"': append_str(t, "&quot;"); break;
        case '\'': append_str(t, "&#39;"); break;
        default: append(t, s, 1);
        }
    }
}

/* A name in a link: everything but RFC 3986's unreserved characters encoded. */
static void append_url(struct text *t, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("-._~", ch) != NULL) {
            append(t, s, 1);
        } else {
            char esc[4];
            snprintf(esc, sizeof esc, "%%%02X", ch);
            append(t, esc, 3);
        }
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The index page of a directory: its entries, sorted, as links. */
static struct text list_directory(const char *dir, const char *shown_path)
{
    struct text page = {0};
    char **names = NULL;
    size_t count = 0, cap = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (grown == NULL)
                break;
            names = grown;
        }
        if ((names[count] = strdup(e->d_name)) != NULL)
            count++;
    }
    if (d != NULL)
        closedir(d);
    qsort(names, count, sizeof *names, by_name);

    append_str(&page, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ");
    append_html(&page, shown_path);
    append_str(&page, "</title></head>\n<body><h1>Index of ");
    append_html(&page, shown_path);
    append_str(&page, "</h1>\n<ul>\n");
    for (size_t i = 0; i < count; i++) {
        char full[PATH_MAX * 2];
        struct stat st;
        snprintf(full, sizeof full, "%s/%s", dir, names[i]);
        bool is_dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
        append_str(&page, "<li><a href=\"");
        append_url(&page, names[i]);
        append_str(&page, is_dir ? "/\">" : "\">");
        append_html(&page, names[i]);
        append_str(&page, is_dir ? "/</a></li>\n" : "</a></li>\n");
        free(names[i]);
    }
    free(names);
    append_str(&page, "</ul>\n</body></html>\n");
    return page;
}

/* ---- serving a request ------------------------------------------------------------- */

/* Queues the next piece of the file being sent. */
static void send_file_piece(struct ev_conn *c)
{
    struct client *cl = ev_data(c);
    static char piece[FILE_PIECE];
    size_t want = cl->file_left < FILE_PIECE ? (size_t)cl->file_left : FILE_PIECE;
    ssize_t n;
    do
        n = read(cl->file_fd, piece, want);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        /* The file shrank or failed under us: the length already promised
         * cannot be kept, so the connection must end. */
        fprintf(stderr, "http-serve: reading a file for %s: %s\n", ev_peer(c),
                n < 0 ? strerror(errno) : "it got shorter");
        ev_close_now(c);
        return;
    }
    cl->file_left -= (uint64_t)n;
    ev_write(c, piece, (size_t)n);
}

static void start_file(struct ev_conn *c, const struct http_message *m, const char *real,
                       int fd, const struct stat *st)
{
    struct client *cl = ev_data(c);
    send_head(c, 200, content_type(real), (long long)st->st_size, NULL);
    log_request(c, m, 200, (unsigned long long)st->st_size);
    if (strcmp(m->method, "HEAD") == 0 || st->st_size == 0) {
        close(fd);
        return;
    }
    cl->file_fd = fd;
    cl->file_left = (uint64_t)st->st_size;
    cl->responding = true;
    send_file_piece(c);
}

/* "/docs" names a directory: the browser is sent to "/docs/", so that the
 * relative links of its index resolve inside it.  The Location is built
 * with care, since its text comes from the client:
 *   - a fragment ("/docs#top") is not part of the path: the slash goes
 *     before it, and the fragment itself is dropped (a client keeps its own);
 *   - "//evil.com" would be a network-path reference, another host for the
 *     browser (RFC 3986 section 4.2): the leading slashes become one. */
static void redirect_to_slash(struct ev_conn *c, const struct http_message *m)
{
    char location[HTTP_MAX_LINE + 32];
    const char *path = m->target;
    if (strncasecmp(path, "http://", 7) == 0) /* absolute-form: the path only */
        path = strchr(path + 7, '/') != NULL ? strchr(path + 7, '/') : "/";
    while (path[0] == '/' && path[1] == '/')
        path++;
    size_t path_len = strcspn(path, "?#");
    size_t query_len = path[path_len] == '?' ? strcspn(path + path_len, "#") : 0;
    snprintf(location, sizeof location, "Location: %.*s/%.*s", (int)path_len, path,
             (int)query_len, path + path_len);
    send_bytes(c, m, 301, "text/plain; charset=utf-8", "301 Moved Permanently\n", 22, location);
}

static void serve_directory(struct ev_conn *c, const struct http_message *m, const char *real,
                            const char *decoded)
{
    char index[PATH_MAX + 16];
    struct stat st;
    snprintf(index, sizeof index, "%s/index.html", real);
    /* O_NONBLOCK: an index.html that is a FIFO would block open() until a
     * writer came, and the whole loop with it.  Only a regular file is
     * served; anything else falls back to the listing. */
    int fd = open(index, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        start_file(c, m, index, fd, &st);
        return;
    }
    if (fd >= 0)
        close(fd);
    struct text page = list_directory(real, decoded);
    if (page.data == NULL) {
        send_error(c, m, 500);
        return;
    }
    if (m->minor_version >= 1)
        send_chunked(c, m, "text/html; charset=utf-8", page.data, page.len);
    else /* HTTP/1.0 knows no chunks */
        send_bytes(c, m, 200, "text/html; charset=utf-8", page.data, page.len, NULL);
    free(page.data);
}

static void respond(struct ev_conn *c, const struct http_message *m)
{
    const struct server *s = ev_server(c);
    char decoded[HTTP_MAX_LINE], real[PATH_MAX];
    if (!decode_path(m->target, decoded, sizeof decoded)) {
        send_error(c, m, 400);
        return;
    }
    int status = find_file(s, decoded, real);
    if (status != 0) {
        send_error(c, m, status);
        return;
    }
    /* O_NOFOLLOW: the path has no links now; none may be swapped in. */
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        send_error(c, m, errno == EACCES ? 403 : 404);
        if (fd >= 0)
            close(fd);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        size_t len = strlen(decoded);
        if (decoded[len - 1] != '/')
            redirect_to_slash(c, m);
        else
            serve_directory(c, m, real, decoded);
    } else if (S_ISREG(st.st_mode)) {
        start_file(c, m, real, fd, &st);
    } else { /* a FIFO or a device would block the loop, or never end */
        close(fd);
        send_error(c, m, 403);
    }
}

/* ---- the connection's life -------------------------------------------------------- */

static bool method_allowed(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* The parser refused the request: its framing is lost, so after the answer
 * the connection ends. */
static void refuse(struct ev_conn *c, struct client *cl)
{
    struct http_message none = {.method = "-", .target = "-"};
    const struct http_message *m = http_head_done(&cl->parser) ? &cl->parser.msg : &none;
    cl->close_after = true;
    cl->responding = true; /* nothing more is read */
    send_error(c, m, cl->parser.error_kind == HTTP_TOO_LARGE ? 431 : 400);
    ev_close(c);
}

/* One request has been answered (or its answer fully queued). */
static void finish_request(struct ev_conn *c, struct client *cl)
{
    if (cl->close_after) {
        cl->responding = true;
        ev_close(c);
        return;
    }
    http_parser_reset(&cl->parser);
    /* The next request has a full timeout of its own. */
    ev_set_timer(c, ((const struct server *)ev_server(c))->timeout_ms);
}

/* Parses what has arrived and answers each complete request in turn.  While
 * a file is being sent, the bytes of later requests wait in the input.
 *
 * Bounded work: one 64 KiB read can hold thousands of pipelined requests,
 * and answering them all at once (a directory listing each) would block the
 * loop for seconds and queue megabytes for a client that may not even read.
 * So while the output queued is above the loop's limit (ev_output_full),
 * the requests left wait in the input; the loop calls on_data again once
 * the output has drained. */
static void process_input(struct ev_conn *c)
{
    struct client *cl = ev_data(c);
    while (!cl->responding && !ev_output_full(c)) {
        size_t len, used;
        const char *data = ev_input(c, &len);
        if (len == 0 && !http_pending(&cl->parser))
            return;
        struct http_piece body;
        enum http_event e = http_feed(&cl->parser, data, len, &used, &body);
        ev_consume(c, used);
        const struct http_message *m = &cl->parser.msg;
        switch (e) {
        case HTTP_MORE:
        case HTTP_BODY: /* a request body means nothing to a file server */
        case HTTP_TRAILER:
            break;
        case HTTP_HEAD:
            cl->close_after = !m->keep_alive;
            /* HTTP/1.0 closes unless both sides say otherwise */
            cl->old_keep_alive = m->keep_alive && m->minor_version == 0;
            if (!method_allowed(m->method) && m->framing != HTTP_NO_BODY) {
                /* do not read a body only to refuse it */
                cl->close_after = true;
                send_error(c, m, 405);
                finish_request(c, cl);
            }
            break;
        case HTTP_DONE:
            if (method_allowed(m->method))
                respond(c, m);
            else
                send_error(c, m, 405);
            if (!cl->responding)
                finish_request(c, cl);
            break;
        case HTTP_ERROR:
            refuse(c, cl);
            return;
        }
    }
}

static void on_open(struct ev_conn *c)
{
    struct client *cl = malloc(sizeof *cl);
    if (cl == NULL) {
        ev_close_now(c);
        return;
    }
    http_parser_init(&cl->parser, HTTP_REQUEST);
    cl->responding = cl->close_after = cl->old_keep_alive = false;
    cl->file_fd = -1;
    cl->file_left = 0;
    ev_set_data(c, cl);
    ev_set_timer(c, ((const struct server *)ev_server(c))->timeout_ms);
}

static void on_data(struct ev_conn *c)
{
    if (ev_data(c) != NULL)
        process_input(c);
}

/* The output has drained: queue more of the file, or, once it is all out,
 * go on with the requests that have been waiting. */
static void on_drain(struct ev_conn *c)
{
    struct client *cl = ev_data(c);
    if (cl == NULL || cl->file_fd < 0)
        return;
    ev_set_timer(c, ((const struct server *)ev_server(c))->timeout_ms); /* progress */
    if (cl->file_left > 0) {
        send_file_piece(c);
        return;
    }
    close(cl->file_fd);
    cl->file_fd = -1;
    cl->responding = false;
    finish_request(c, cl);
    process_input(c);
}

/* The deadline passed.  A client in the middle of a request hears why; an
 * idle keep-alive connection is simply closed; one that does not read its
 * response is dropped with whatever was queued. */
static void on_timer(struct ev_conn *c)
{
    struct client *cl = ev_data(c);
    if (cl == NULL || cl->file_fd >= 0 || ev_output_pending(c) > 0) {
        ev_close_now(c);
        return;
    }
    size_t pending;
    ev_input(c, &pending);
    if (cl->parser.head_len > 0 || pending > 0 || http_head_done(&cl->parser)) {
        struct http_message none = {.method = "-", .target = "-"};
        cl->close_after = true;
        send_error(c, http_head_done(&cl->parser) ? &cl->parser.msg : &none, 408);
    }
    cl->responding = true;
    ev_close(c);
}

static void on_close(struct ev_conn *c)
{
    struct client *cl = ev_data(c);
    if (cl == NULL)
        return;
    if (cl->file_fd >= 0)
        close(cl->file_fd);
    http_parser_free(&cl->parser);
    free(cl);
}

static const struct ev_handlers handlers = {
    .on_open = on_open,
    .on_data = on_data,
    .on_drain = on_drain,
    .on_timer = on_timer,
    .on_close = on_close,
};

/* ---- main ----------------------------------------------------------------------- */

/* Takes --root and --timeout off the front of the command line and leaves
 * "[HOST] PORT" to chapter 03's serve_parse_args(). */
static int parse_options(int argc, char **argv, struct server *s, const char **root)
{
    int i = 1;
    s->timeout_ms = 10000;
    while (i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2] != '\0') {
        if (strcmp(argv[i], "--root") == 0) {
            *root = argv[i + 1];
        } else if (strcmp(argv[i], "--timeout") == 0) {
            char *end;
            double seconds = strtod(argv[i + 1], &end);
            if (*end != '\0' || !(seconds > 0) || seconds > 86400) {
                fputs(USAGE, stderr);
                exit(2);
            }
            s->timeout_ms = (long)(seconds * 1000);
        } else {
            break;
        }
        i += 2;
    }
    argv[i - 1] = argv[0];
    return i - 1;
}

int main(int argc, char **argv)
{
    static struct server server;
    const char *root = ".", *host, *port;
    int skip = parse_options(argc, argv, &server, &root);
    serve_parse_args(argc - skip, argv + skip, USAGE, &host, &port);
    if (realpath(root, server.root) == NULL) {
        fprintf(stderr, "http-serve: opening the root %s: %s\n", root, strerror(errno));
        return 1;
    }
    struct stat st;
    if (stat(server.root, &st) < 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "http-serve: opening the root %s: Not a directory\n", root);
        return 1;
    }
    if (strcmp(server.root, "/") == 0)
        server.root[0] = '\0'; /* so that root + "/path" is "/path" */
    server.root_len = strlen(server.root);

    char err[EV_ERR_LEN];
    struct ev_loop *loop = ev_loop_new(err);
    if (loop == NULL) {
        fprintf(stderr, "http-serve: %s\n", err);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int listener = serve_listen("http-serve", host, port);
    if (ev_listen(loop, listener, &handlers, &server) < 0) {
        fprintf(stderr, "http-serve: watching the listening socket: %s\n", strerror(errno));
        return 1;
    }
    int status = ev_run(loop);
    if (status < 0)
        fprintf(stderr, "http-serve: waiting for events: %s\n", strerror(errno));
    ev_loop_free(loop);
    return status < 0 ? 1 : 0;
}
