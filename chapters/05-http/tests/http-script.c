/* http-script - a scripted HTTP server for testing user agents.
 *
 *   http-script [OPTIONS] [HOST] PORT RESPONSE-FILE...
 *
 * Serves connections one after another.  The Nth connection reads one
 * request (its head, and a Content-Length body) and gets the bytes of the
 * Nth RESPONSE-FILE exactly as they are, the last file once the list runs
 * out; then the server closes the connection.  The text $PORT in a file is
 * replaced by the server's own port, so that a redirect can name it.
 *
 *   --log FILE      append every request received to FILE, byte for byte
 *   --dribble       send the response one byte at a time, 1 ms apart
 *   --pattern N     after the file's bytes, send N bytes of the test kit's
 *                   pattern (tk_fill_pattern, seed 5): a big body
 *   --silent        read the request, then never answer (until the client
 *                   goes away)
 *   --hold          after the response, keep the connection open until the
 *                   client closes it
 *
 * It deliberately knows nothing of HTTP beyond finding the end of a request:
 * the responses are whatever the test wrote, malformed ones included.  The
 * lesson uses it too, with the canned responses of chapters/05-http/samples/,
 * to show http-get meeting a cut body or a server that never answers; so it
 * is built into build/bin and keeps the habits of every program (--help,
 * usage errors with status 2, SIGINT and SIGTERM end it with status 0).
 */
#define _GNU_SOURCE /* memmem */
#include "testkit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *log_path;
static bool dribble, silent, hold;
static size_t pattern_len;
static char port_text[8];

static void die(const char *what)
{
    fprintf(stderr, "http-script: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int listen_on(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *ai;
    if (getaddrinfo(host, port, &hints, &ai) != 0) {
        fprintf(stderr, "http-script: cannot resolve %s\n", host);
        exit(1);
    }
    int one = 1;
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0)
        die("listening");
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        die("getsockname");
    char ip[INET6_ADDRSTRLEN];
    unsigned p;
    if (addr.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        p = ntohs(a->sin6_port);
        printf("listening on [%s]:%u\n", ip, p);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&addr;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        p = ntohs(a->sin_port);
        printf("listening on %s:%u\n", ip, p);
    }
    fflush(stdout);
    snprintf(port_text, sizeof port_text, "%u", p);
    freeaddrinfo(ai);
    return fd;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        die(path);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (buf == NULL)
        die("reading a response file");
    *len = n;
    return buf;
}

/* The response's bytes with every "$PORT" replaced. */
static char *expand(const char *text, size_t len, size_t *out_len)
{
    char *out = malloc(len * 2 + 64), *o = out;
    if (out == NULL)
        die("expanding");
    for (size_t i = 0; i < len;) {
        if (len - i >= 5 && memcmp(text + i, "$PORT", 5) == 0) {
            o += sprintf(o, "%s", port_text);
            i += 5;
        } else {
            *o++ = text[i++];
        }
    }
    *out_len = (size_t)(o - out);
    return out;
}

/* Reads until the end of the request's head and its Content-Length body,
 * giving up after five seconds.  Returns the bytes read. */
static size_t read_request(int fd, char *buf, size_t cap)
{
    size_t n = 0, need = 0;
    long long deadline = tk_now_ms() + 5000;
    while (n < cap) {
        if (need == 0) {
            char *end = memmem(buf, n, "\r\n\r\n", 4);
            if (end != NULL) {
                size_t head = (size_t)(end + 4 - buf);
                char *cl = NULL;
                for (char *s = buf; s < end; s = strchr(s, '\n') + 1)
                    if (strncasecmp(s, "Content-Length:", 15) == 0)
                        cl = s + 15;
                need = head + (cl != NULL ? strtoul(cl, NULL, 10) : 0);
            }
        }
        if (need != 0 && n >= need)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)(deadline - tk_now_ms());
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        ssize_t got = recv(fd, buf + n, cap - n, 0);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    return n;
}

static void log_request(const char *buf, size_t len)
{
    if (log_path == NULL)
        return;
    FILE *f = fopen(log_path, "ab");
    if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
        die(log_path);
}

static void send_bytes(int fd, const char *data, size_t len)
{
    if (!dribble) {
        while (len > 0) {
            ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
            if (n <= 0)
                return; /* the client went away: its business */
            data += n;
            len -= (size_t)n;
        }
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (send(fd, data + i, 1, MSG_NOSIGNAL) != 1)
            return;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

/* Waits until the client closes (or 20 seconds pass). */
static void wait_for_close(int fd)
{
    char buf[4096];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, 20000) > 0 && recv(fd, buf, sizeof buf, 0) > 0)
        ;
}

static void usage(FILE *out, int status)
{
    fprintf(out,
            "usage: http-script [OPTIONS] [HOST] PORT RESPONSE-FILE...\n"
            "Answers the Nth connection's request with the bytes of the Nth file\n"
            "(the last one once the list runs out), then closes it.  $PORT in a\n"
            "file is replaced by the server's port.\n"
            "  --log FILE   append every request received to FILE\n"
            "  --dribble    send the response one byte at a time, 1 ms apart\n"
            "  --pattern N  then send N more bytes of a fixed pattern\n"
            "  --silent     read the request and never answer\n"
            "  --hold       after the response, wait for the client to close\n");
    exit(status);
}

static void exit_now(int signo)
{
    (void)signo;
    _exit(0);
}

int main(int argc, char **argv)
{
    int i = 1;
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
            log_path = argv[++i];
        else if (strcmp(argv[i], "--pattern") == 0 && i + 1 < argc)
            pattern_len = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dribble") == 0)
            dribble = true;
        else if (strcmp(argv[i], "--silent") == 0)
            silent = true;
        else if (strcmp(argv[i], "--hold") == 0)
            hold = true;
        else
            usage(stderr, 2);
    }
    /* [HOST] PORT FILE...: a HOST is told apart from a PORT by its letters
     * or colons. */
    const char *host = "127.0.0.1";
    if (i < argc && strspn(argv[i], "0123456789") != strlen(argv[i]))
        host = argv[i++];
    if (argc - i < 2)
        usage(stderr, 2);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, exit_now);
    signal(SIGTERM, exit_now);
    int listener = listen_on(host, argv[i++]);
    char **files = argv + i;
    int nfiles = argc - i;

    char *pattern = NULL;
    if (pattern_len > 0) {
        pattern = malloc(pattern_len);
        if (pattern == NULL)
            die("allocating the pattern");
        tk_fill_pattern(pattern, pattern_len, 5);
    }
    static char request[1 << 20];
    for (int served = 0;; served++) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            die("accept");
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        size_t req_len = read_request(fd, request, sizeof request);
        log_request(request, req_len);
        if (silent) {
            wait_for_close(fd);
        } else {
            size_t raw_len, len;
            char *raw = read_file(files[served < nfiles ? served : nfiles - 1], &raw_len);
            char *response = expand(raw, raw_len, &len);
            send_bytes(fd, response, len);
            if (pattern != NULL)
                send_bytes(fd, pattern, pattern_len);
            free(raw);
            free(response);
            if (hold)
                wait_for_close(fd);
        }
        close(fd);
    }
}
