/* http-many - fetches several URLs over one kept-alive connection.
 *
 *   http-many URL...
 *
 * Every URL must name the same server (host and port).  The program opens
 * one connection, sends the first request, reads exactly one response,
 * sends the next request on the same connection, and so on, printing each
 * body on stdout as it comes.  Only when the server says it will close
 * (Connection: close, or a body that ends with the close) does it connect
 * again for the URLs that are left.  Exit 0 when every body came whole,
 * 1 otherwise, 3 for a malformed URL.
 */
#include "http.h"
#include "net.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: http-many URL...\n"
                "Fetches every URL over one kept-alive HTTP/1.1 connection and prints\n"
                "the bodies one after another.  All URLs must name the same server.\n");
    exit(status);
}

/* The bytes received after the end of a response (the start of the next
 * one, if the server sent it early) stay here for the next call. */
struct connection {
    int fd;
    char buf[64 * 1024];
    size_t start, end;
};

/* Writes the bytes of a body to stdout; false if that fails. */
static bool print_body(const char *data, size_t len)
{
    return fwrite(data, 1, len, stdout) == len;
}

/* Exercise 1: sends the request for url on c->fd, then reads exactly one
 * response, printing its body, and stops at the end of that response, not
 * at the end of the connection.  Sets *reusable to whether the connection
 * can carry the next request.  Returns 0, or -1 after an error line. */
static int fetch_one(struct connection *c, const struct http_url *url, bool last,
                     bool *reusable)
{
    static struct http_parser parser;
    char request[HTTP_MAX_HEAD];
    const char *extra[] = {"Connection: close"};
    /* The last request says it is the last; the others keep the default
     * of HTTP/1.1, a persistent connection. */
    size_t len = http_write_request(request, sizeof request, "GET", url, extra, last ? 1 : 0, -1);
    if (len == 0 || net_send_all(c->fd, request, len) < 0) {
        fprintf(stderr, "http-many: sending the request for %s: %s\n", url->target,
                len == 0 ? "too long" : strerror(errno));
        return -1;
    }
    http_parser_free(&parser); /* the buffers of the previous response */
    http_parser_init(&parser, HTTP_RESPONSE);
    for (;;) {
        while (c->start < c->end || http_pending(&parser)) {
            struct http_piece body;
            size_t used;
            enum http_event e = http_feed(&parser, c->buf + c->start, c->end - c->start,
                                          &used, &body);
            c->start += used;
            if (e == HTTP_BODY && !print_body(body.data, body.len))
                return -1;
            if (e == HTTP_ERROR) {
                fprintf(stderr, "http-many: malformed response: %s\n", parser.error);
                return -1;
            }
            if (e == HTTP_DONE) {
                *reusable = parser.msg.keep_alive;
                return 0;
            }
        }
        c->start = c->end = 0;
        ssize_t n;
        do
            n = recv(c->fd, c->buf, sizeof c->buf, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            fprintf(stderr, "http-many: receiving: %s\n", strerror(errno));
            return -1;
        }
        if (n == 0) { /* the close may be what ends the body */
            if (http_finish(&parser) == HTTP_DONE) {
                *reusable = false;
                return 0;
            }
            fprintf(stderr, "http-many: the server closed the connection mid-response\n");
            return -1;
        }
        c->end = (size_t)n;
    }
}

static int open_connection(struct connection *c, const struct http_url *url)
{
    char err[NET_ERR_LEN];
    c->start = c->end = 0;
    c->fd = net_connect(url->host, url->port, SOCK_STREAM, err);
    if (c->fd < 0)
        fprintf(stderr, "http-many: %s\n", err);
    return c->fd;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc < 2)
        usage(stderr, 2);
    signal(SIGPIPE, SIG_IGN);

    static struct http_url urls[64];
    int count = argc - 1;
    if (count > 64)
        usage(stderr, 2);
    for (int i = 0; i < count; i++) {
        if (http_parse_url(argv[i + 1], &urls[i]) != HTTP_URL_OK) {
            fprintf(stderr, "http-many: malformed URL: %s\n", argv[i + 1]);
            return 3;
        }
        if (strcmp(urls[i].host, urls[0].host) != 0 || strcmp(urls[i].port, urls[0].port) != 0) {
            fprintf(stderr, "http-many: %s names another server than %s\n", argv[i + 1], argv[1]);
            return 1;
        }
    }

    static struct connection c;
    c.fd = -1;
    for (int i = 0; i < count; i++) {
        if (c.fd < 0 && open_connection(&c, &urls[i]) < 0)
            return 1;
        bool reusable = false;
        if (fetch_one(&c, &urls[i], i == count - 1, &reusable) < 0)
            return 1;
        if (!reusable) {
            close(c.fd);
            c.fd = -1;
        }
    }
    if (c.fd >= 0)
        close(c.fd);
    return fflush(stdout) == 0 ? 0 : 1;
}
