/* http-resume - downloads a URL into a file, resuming a partial download.
 *
 *   http-resume URL FILE
 *
 * If FILE already holds N bytes, asks only for the rest with a Range request
 * (RFC 9110 section 14.2):  Range: bytes=N-
 *   206 Partial Content  the rest, from byte N: appended to FILE
 *   200 OK               the server ignored the range: FILE is rewritten whole
 *   416 Range Not Satisfiable  nothing is left to fetch: FILE is complete
 * Exit 0 when FILE holds the whole resource, 1 otherwise (with an error
 * line), 3 for a malformed URL.
 */
#include "http.h"
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: http-resume URL FILE\n"
                "Downloads URL into FILE; if FILE holds the first part already, fetches\n"
                "only the rest with a Range request.\n");
    exit(status);
}

static int fail(const char *what, const char *why)
{
    fprintf(stderr, "http-resume: %s: %s\n", what, why);
    return -1;
}

/* Exercise 2, part 1: the Range header for a file that holds have bytes
 * already, written into out: "Range: bytes=N-", or "" when the file is
 * empty (then the whole resource is wanted). */
static void range_header(long long have, char *out, size_t outlen)
{
    if (have > 0)
        snprintf(out, outlen, "Range: bytes=%lld-", have);
    else
        snprintf(out, outlen, "%s", "");
}

/* Exercise 2, part 2: given the response head, opens FILE for the body:
 * appending for a 206 whose Content-Range starts at have, truncating for a
 * 200.  A 416 means the file is already whole: *done is set and -1
 * returned without an error.  Anything else is an error.  Returns the
 * descriptor, or -1. */
static int open_for_body(const struct http_message *m, const char *path, long long have,
                         bool *done)
{
    *done = false;
    if (m->status == 416 && have > 0) {
        *done = true;
        return -1;
    }
    int flags = O_WRONLY | O_CREAT;
    if (m->status == 206) {
        /* Content-Range: bytes FIRST-LAST/TOTAL; FIRST must be where we are. */
        const char *range = http_header(m, "Content-Range");
        long long first;
        if (range == NULL || sscanf(range, "bytes %lld-", &first) != 1 || first != have)
            return fail("the server sent another range", range ? range : "(none)");
        flags |= O_APPEND;
    } else if (m->status == 200) {
        flags |= O_TRUNC;
    } else {
        char status[16];
        snprintf(status, sizeof status, "%d", m->status);
        return fail("the server answered", status);
    }
    int fd = open(path, flags, 0666);
    if (fd < 0)
        return fail(path, strerror(errno));
    return fd;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail("writing the file", strerror(errno));
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads the response and stores its body; returns 0 when the file is whole. */
static int receive(int server, const char *path, long long have)
{
    static struct http_parser parser;
    static char buf[64 * 1024];
    int out = -1;
    bool done = false;
    http_parser_free(&parser); /* the buffers of an earlier response */
    http_parser_init(&parser, HTTP_RESPONSE);
    for (;;) {
        ssize_t n;
        do
            n = recv(server, buf, sizeof buf, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return fail("receiving", strerror(errno));
        if (n == 0) {
            if (http_finish(&parser) != HTTP_DONE)
                return fail("receiving", "the connection closed mid-response");
            break;
        }
        const char *data = buf;
        size_t left = (size_t)n;
        enum http_event e = HTTP_MORE;
        while ((left > 0 || http_pending(&parser)) && e != HTTP_DONE) {
            struct http_piece body;
            size_t used;
            e = http_feed(&parser, data, left, &used, &body);
            data += used;
            left -= used;
            if (e == HTTP_ERROR)
                return fail("malformed response", parser.error);
            if (e == HTTP_HEAD) {
                out = open_for_body(&parser.msg, path, have, &done);
                if (out < 0)
                    return done ? 0 : -1;
            }
            if (e == HTTP_BODY && write_all(out, body.data, body.len) < 0)
                return -1;
        }
        if (e == HTTP_DONE)
            break;
    }
    if (out >= 0 && close(out) < 0)
        return fail(path, strerror(errno));
    return out >= 0 ? 0 : fail("receiving", "no response");
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc != 3)
        usage(stderr, 2);
    signal(SIGPIPE, SIG_IGN);
    struct http_url url;
    if (http_parse_url(argv[1], &url) != HTTP_URL_OK) {
        fprintf(stderr, "http-resume: malformed URL: %s\n", argv[1]);
        return 3;
    }
    struct stat st;
    long long have = stat(argv[2], &st) == 0 ? (long long)st.st_size : 0;

    char range[64], request[HTTP_MAX_HEAD], err[NET_ERR_LEN];
    range_header(have, range, sizeof range);
    const char *extra[] = {"Connection: close", range};
    size_t len = http_write_request(request, sizeof request, "GET", &url, extra,
                                    range[0] ? 2 : 1, -1);
    int server = net_connect(url.host, url.port, SOCK_STREAM, err);
    if (server < 0) {
        fprintf(stderr, "http-resume: %s\n", err);
        return 1;
    }
    if (net_send_all(server, request, len) < 0) {
        fprintf(stderr, "http-resume: sending the request: %s\n", strerror(errno));
        return 1;
    }
    int status = receive(server, argv[2], have);
    close(server);
    return status == 0 ? 0 : 1;
}
