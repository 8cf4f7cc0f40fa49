/* hello-serve - dynamic routes on the event loop: a tiny web framework.
 *
 *   hello-serve [HOST] PORT
 *
 *   GET /hello/NAME   200 "Hello, NAME!\n"  (NAME percent-decoded)
 *   GET /add/A/B      200 "A+B\n" computed, for integers A and B; else 400
 *   anything else     404; a method other than GET or HEAD: 405
 *
 * Each route is a pattern and a handler in a table; the request's path is
 * matched against the patterns in turn, and the parts that stand where the
 * pattern says "*" are handed to the handler.  Connections are kept alive.
 */
#include "evloop.h"
#include "http.h"
#include "serve.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "usage: hello-serve [HOST] PORT\n" \
              "Answers GET /hello/NAME and GET /add/A/B; see the source.\n"

#define MAX_PARTS 4
#define PART_LEN 256

/* What a handler answers. */
struct reply {
    int status;
    char body[1024];
};

typedef void route_handler(char parts[][PART_LEN], struct reply *r);

/* ---- the handlers ------------------------------------------------------------ */

static void hello(char parts[][PART_LEN], struct reply *r)
{
    /* TODO(exercise 3): 200 and "Hello, NAME!\n", NAME being parts[0] */
    (void)parts;
    r->status = 501;
    snprintf(r->body, sizeof r->body, "501 Not Implemented\n");
}

static bool parse_integer(const char *s, long long *value)
{
    char *end;
    errno = 0;
    *value = strtoll(s, &end, 10);
    return s[0] != '\0' && *end == '\0' && errno == 0;
}

static void add(char parts[][PART_LEN], struct reply *r)
{
    /* TODO(exercise 3): 200 and the sum of the integers parts[0] and
     * parts[1] (use parse_integer; mind overflow), or 400 */
    (void)parts;
    (void)parse_integer;
    r->status = 501;
    snprintf(r->body, sizeof r->body, "501 Not Implemented\n");
}

/* ---- routing ---------------------------------------------------------------- */

/* Exercise 3: the routes.  A "*" in a pattern matches one whole path
 * segment (no "/" in it, at least one character). */
static const struct route {
    const char *pattern;
    route_handler *handler;
} routes[] = {
    {"/hello/*", hello},
    {"/add/*/*", add},
};

/* Percent-decodes one segment ("Ada%20L" -> "Ada L") with the library's
 * http_percent_decode(); false if malformed or too long. */
static bool decode_segment(const char *s, size_t len, char *out)
{
    return http_percent_decode(s, len, out, PART_LEN);
}

/* Matches path against pattern; the segments under "*" go into parts. */
static bool match(const char *pattern, const char *path, char parts[][PART_LEN])
{
    /* TODO(exercise 3): walk pattern and path together; a "*" takes one
     * whole segment of path (strcspn(path, "/") characters, at least one),
     * percent-decoded into the next parts[] with decode_segment(); any
     * other character must be equal.  True if both end together. */
    (void)pattern;
    (void)path;
    (void)parts;
    (void)decode_segment;
    return false;
}

static void route(const char *target, struct reply *r)
{
    char path[HTTP_MAX_LINE], parts[MAX_PARTS][PART_LEN];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(target, "?#"), target);
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (match(routes[i].pattern, path, parts)) {
            routes[i].handler(parts, r);
            return;
        }
    }
    r->status = 404;
    snprintf(r->body, sizeof r->body, "404 Not Found\n");
}

/* ---- HTTP on the event loop ----------------------------------------------------- */

static void send_reply(struct ev_conn *c, const struct http_message *m, const struct reply *r,
                       bool closing)
{
    char head[512];
    size_t len = strlen(r->body);
    const char *headers[3] = {"Content-Type: text/plain; charset=utf-8"};
    size_t count = 1;
    if (r->status == 405)
        headers[count++] = "Allow: GET, HEAD";
    if (closing)
        headers[count++] = "Connection: close";
    size_t n = http_write_response(head, sizeof head, r->status, headers, count,
                                   (long long)len);
    ev_write(c, head, n);
    if (m == NULL || strcmp(m->method, "HEAD") != 0)
        ev_write(c, r->body, len);
    printf("%s \"%s %s\" %d\n", ev_peer(c), m ? m->method : "-", m ? m->target : "-",
           r->status);
}

static void on_open(struct ev_conn *c)
{
    struct http_parser *p = http_parser_new(HTTP_REQUEST);
    if (p == NULL) {
        ev_close_now(c);
        return;
    }
    ev_set_data(c, p);
    ev_set_timer(c, 10000);
}

static void on_data(struct ev_conn *c)
{
    struct http_parser *p = ev_data(c);
    for (;;) {
        size_t len, used;
        const char *data = ev_input(c, &len);
        if (p == NULL || (len == 0 && !http_pending(p)))
            return;
        struct http_piece body;
        enum http_event e = http_feed(p, data, len, &used, &body);
        ev_consume(c, used);
        if (e == HTTP_ERROR) {
            struct reply r = {.status = 400, .body = "400 Bad Request\n"};
            send_reply(c, NULL, &r, true);
            ev_close(c);
            ev_set_data(c, NULL);
            http_parser_delete(p);
            return;
        }
        if (e != HTTP_DONE)
            continue;
        struct reply r;
        if (strcmp(p->msg.method, "GET") != 0 && strcmp(p->msg.method, "HEAD") != 0) {
            r.status = 405;
            snprintf(r.body, sizeof r.body, "405 Method Not Allowed\n");
        } else {
            route(p->msg.target, &r);
        }
        bool closing = !p->msg.keep_alive;
        send_reply(c, &p->msg, &r, closing);
        if (closing) {
            ev_close(c);
            return;
        }
        http_parser_reset(p);
        ev_set_timer(c, 10000);
    }
}

static void on_close(struct ev_conn *c)
{
    http_parser_delete(ev_data(c));
}

static const struct ev_handlers handlers = {
    .on_open = on_open, .on_data = on_data, .on_close = on_close};

int main(int argc, char **argv)
{
    const char *host, *port;
    serve_parse_args(argc, argv, USAGE, &host, &port);
    char err[EV_ERR_LEN];
    struct ev_loop *loop = ev_loop_new(err);
    if (loop == NULL) {
        fprintf(stderr, "hello-serve: %s\n", err);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int listener = serve_listen("hello-serve", host, port);
    if (ev_listen(loop, listener, &handlers, NULL) < 0) {
        fprintf(stderr, "hello-serve: watching the listener: %s\n", strerror(errno));
        return 1;
    }
    int status = ev_run(loop);
    ev_loop_free(loop);
    return status < 0 ? 1 : 0;
}
