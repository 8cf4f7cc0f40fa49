/* http-get - an HTTP/1.1 user agent with curl's options and exit codes.
 *
 *   http-get [-iIfLsSv] [-o FILE] [-H 'Name: value']... [-X METHOD] [-d DATA]
 *            [-m SECONDS] [--idle-timeout SECONDS] URL
 *
 * Resolves the URL's host, connects, sends one request, and copies the
 * response body to stdout (or FILE) byte for byte, as curl does.  Every
 * step has to finish before the -m deadline, name resolution included, and
 * no wait (for the name, the connection, or the next bytes of the response)
 * lasts longer than --idle-timeout (default 60 s): a server that accepts
 * and never answers does not hold http-get for ever, even without -m.
 * The exit status says what went wrong, with curl's numbers.
 */
#include "http.h"
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* curl's exit codes (see "man curl", EXIT CODES). */
enum {
    EXIT_DONE = 0,
    EXIT_UNSUPPORTED = 1,  /* a scheme other than http */
    EXIT_USAGE = 2,
    EXIT_BAD_URL = 3,
    EXIT_NOT_RESOLVED = 6,
    EXIT_NOT_CONNECTED = 7,
    EXIT_WEIRD_REPLY = 8,  /* the response breaks HTTP's syntax */
    EXIT_PARTIAL = 18,     /* the body ended early */
    EXIT_HTTP_ERROR = 22,  /* -f and a status of 400 or more */
    EXIT_WRITE_ERROR = 23,
    EXIT_TIMEOUT = 28,
    EXIT_TOO_MANY_REDIRECTS = 47,
    EXIT_EMPTY_REPLY = 52,
    EXIT_SEND_ERROR = 55,
    EXIT_RECV_ERROR = 56,
};

#define MAX_REDIRECTS 10
/* Interim (1xx) responses before the final one: a server that sends more
 * is not going to answer. */
#define MAX_INTERIM 100
#define MAX_EXTRA_HEADERS 64

struct options {
    bool include, head, follow, fail, verbose, silent;
    const char *output, *method, *data, *url;
    const char *headers[MAX_EXTRA_HEADERS + 2];
    size_t header_count;
    double max_time;
    double idle_timeout; /* seconds; the longest wait for any progress */
};

#define DEFAULT_IDLE_TIMEOUT 60

static struct options opt;
static bool added_content_type; /* by -d, not by the user */
static long long deadline_ms; /* 0: no limit */
static int out_fd = -1;       /* opened on the first byte, as curl does */

static void usage(FILE *to, int status)
{
    fprintf(to,
            "usage: http-get [-iIfLsSv] [-o FILE] [-H 'Name: value']... [-X METHOD]\n"
            "                [-d DATA] [-m SECONDS] [--idle-timeout SECONDS] URL\n"
            "Fetches an http:// URL and writes the body to stdout, as curl does.\n"
            "  -i  include the response head      -I  send HEAD, show the head\n"
            "  -L  follow redirects (at most %d)  -f  fail (exit 22) on status >= 400\n"
            "  -o FILE  write to FILE             -H  add, replace or remove a header\n"
            "  -X METHOD  request method          -d DATA  send DATA as a POST body\n"
            "  -m SECONDS  limit the whole transfer\n"
            "  --idle-timeout SECONDS  give up when nothing happens for that long\n"
            "              (default 60)\n"
            "  -v  show the request and response heads on stderr\n"
            "  -s  no error message               -S  error messages even with -s\n"
            "Exit status: curl's: 0 done, 3 bad URL, 6 host not resolved, 7 could not\n"
            "connect, 8 malformed response, 18 body cut short, 22 HTTP error with -f,\n"
            "28 timed out, 47 too many redirects.\n",
            MAX_REDIRECTS);
    exit(status);
}

/* One error line, "http-get: what: why", unless -s; returns the exit code. */
__attribute__((format(printf, 2, 3))) static int fail(int code, const char *fmt, ...)
{
    if (!opt.silent) {
        va_list ap;
        va_start(ap, fmt);
        fputs("http-get: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    return code;
}

/* ---- time --------------------------------------------------------------------- */

/* What poll() should wait: the time left before the deadline, and never
 * more than the idle timeout. */
static int time_left(void)
{
    long long idle = (long long)(opt.idle_timeout * 1000);
    if (deadline_ms == 0)
        return (int)idle;
    long long left = deadline_ms - net_now_ms();
    return left <= 0 ? 0 : left > idle ? (int)idle : (int)left;
}

/* Why a wait gave up, for the error line: "timed out after 2 seconds"
 * (-m) or "no progress for 60 seconds" (--idle-timeout). */
static const char *why_timed_out(void)
{
    static char text[96];
    if (deadline_ms != 0 && net_now_ms() >= deadline_ms)
        snprintf(text, sizeof text, "timed out after %g seconds", opt.max_time);
    else
        snprintf(text, sizeof text, "timed out: no progress for %g seconds", opt.idle_timeout);
    return text;
}

/* True once the -m deadline has passed. */
static bool past_deadline(void)
{
    return deadline_ms != 0 && net_now_ms() >= deadline_ms;
}

/* Waits until fd is ready for events; false once the deadline passes.  The
 * deadline is checked before poll() too: a server that always has more to
 * send (a flood of 1xx responses, endless empty lines) keeps the socket
 * readable, and poll() would never be the one to say the time is up. */
static bool wait_for(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        if (past_deadline())
            return false;
        int n = poll(&p, 1, time_left());
        if (n > 0)
            return true;
        if (n == 0 || errno != EINTR)
            return false;
    }
}

/* ---- name resolution with a deadline -------------------------------------------
 * getaddrinfo() blocks, for as long as the resolver takes, and has no
 * timeout of its own.  So it runs in a thread of its own, and the main
 * thread waits for it only as long as -m allows; if the time runs out, the
 * program exits and the thread with it (curl's "threaded resolver"). */

struct lookup {
    const char *host, *port;
    struct addrinfo *result;
    int status;
    int done_pipe[2];
};

static void *lookup_thread(void *arg)
{
    struct lookup *l = arg;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    l->status = getaddrinfo(l->host, l->port, &hints, &l->result);
    char done = 1;
    ssize_t n = write(l->done_pipe[1], &done, 1); /* wakes the main thread */
    (void)n;
    return NULL;
}

static int resolve(const struct http_url *url, struct addrinfo **list)
{
    static struct lookup l; /* outlives the thread if the main thread gives up */
    l.host = url->host;
    l.port = url->port;
    pthread_t thread;
    if (pipe(l.done_pipe) < 0 || pthread_create(&thread, NULL, lookup_thread, &l) != 0)
        return fail(EXIT_NOT_RESOLVED, "resolving %s: cannot start the lookup", url->host);
    if (!wait_for(l.done_pipe[0], POLLIN))
        return fail(EXIT_TIMEOUT, "resolving %s: %s", url->host, why_timed_out());
    pthread_join(thread, NULL);
    close(l.done_pipe[0]);
    close(l.done_pipe[1]);
    if (l.status != 0)
        return fail(EXIT_NOT_RESOLVED, "resolving %s: %s", url->host,
                    l.status == EAI_SYSTEM ? strerror(errno) : gai_strerror(l.status));
    *list = l.result;
    return EXIT_DONE;
}

/* ---- connecting ---------------------------------------------------------------- */

/* Chapter 01's nonblocking connect() with a deadline (EINPROGRESS, then
 * writable, then SO_ERROR), bounded by what -m and --idle-timeout leave;
 * the socket stays nonblocking for the rest of the transfer. */
static int connect_one(const struct addrinfo *ai, int *error)
{
    char err[NET_ERR_LEN];
    int fd = net_connect_address(ai, net_now_ms() + time_left(), err);
    if (fd < 0 || net_set_nonblocking(fd) < 0) {
        *error = errno;
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void say_address(const char *prefix, const struct addrinfo *ai, const char *tail)
{
    char host[256], port[32];
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        fprintf(stderr, "%s%s%s%s port %s%s\n", prefix, ai->ai_family == AF_INET6 ? "[" : "",
                host, ai->ai_family == AF_INET6 ? "]" : "", port, tail);
}

static int open_connection(const struct http_url *url, int *fd)
{
    struct addrinfo *list = NULL;
    int code = resolve(url, &list);
    if (code != EXIT_DONE)
        return code;
    int error = 0;
    *fd = -1;
    for (struct addrinfo *ai = list; ai != NULL && *fd < 0 && error != ETIMEDOUT; ai = ai->ai_next) {
        if (opt.verbose)
            say_address("*   Trying ", ai, "...");
        *fd = connect_one(ai, &error);
        if (*fd >= 0 && opt.verbose)
            say_address("* Connected to ", ai, "");
    }
    freeaddrinfo(list);
    if (*fd >= 0)
        return EXIT_DONE;
    if (error == ETIMEDOUT)
        return fail(EXIT_TIMEOUT, "connecting to %s port %s: %s", url->host, url->port,
                    why_timed_out());
    return fail(EXIT_NOT_CONNECTED, "connecting to %s port %s: %s", url->host, url->port,
                strerror(error));
}

/* ---- sending and receiving ------------------------------------------------------- */

static int send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        if (!wait_for(fd, POLLOUT))
            return fail(EXIT_TIMEOUT, "sending the request: %s", why_timed_out());
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return fail(EXIT_SEND_ERROR, "sending the request: %s", strerror(errno));
        data += n;
        len -= (size_t)n;
    }
    return EXIT_DONE;
}

/* Writes response bytes where they go: stdout, or the -o file. */
static int output(const char *data, size_t len)
{
    if (out_fd < 0) {
        out_fd = opt.output ? open(opt.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)
                            : STDOUT_FILENO;
        if (out_fd < 0)
            return fail(EXIT_WRITE_ERROR, "opening %s: %s", opt.output, strerror(errno));
    }
    while (len > 0) {
        ssize_t n = write(out_fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(EXIT_WRITE_ERROR, "writing the body: %s", strerror(errno));
        data += n;
        len -= (size_t)n;
    }
    return EXIT_DONE;
}

/* -v: each line of a head on stderr after "> " (sent) or "< " (received). */
static void show_head(const char *prefix, const char *head, size_t len)
{
    while (len > 0) {
        const char *lf = memchr(head, '\n', len);
        size_t line = lf ? (size_t)(lf - head) : len;
        size_t shown = line > 0 && head[line - 1] == '\r' ? line - 1 : line;
        fprintf(stderr, "%s%.*s\n", prefix, (int)shown, head);
        line += lf != NULL;
        head += line;
        len -= line;
    }
}

/* ---- one exchange -------------------------------------------------------------- */

/* What a response said that the caller acts on. */
struct reply {
    int status;
    char location[HTTP_MAX_LINE];
};

static bool is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Acts on a response head: shows it, and decides whether the body is wanted. */
static int on_head(const struct http_message *m, struct reply *r, bool *want_body)
{
    if (opt.verbose)
        show_head("< ", m->head, m->head_len);
    r->status = m->status;
    const char *location = http_header(m, "Location");
    bool redirect = opt.follow && is_redirect(m->status) && location != NULL;
    if (redirect)
        snprintf(r->location, sizeof r->location, "%s", location);
    if (opt.include || opt.head) {
        int code = output(m->head, m->head_len);
        if (code != EXIT_DONE)
            return code;
    }
    if (opt.fail && m->status >= 400)
        return fail(EXIT_HTTP_ERROR, "The requested URL returned error: %d", m->status);
    /* The body of a redirect that is followed is not shown (nor by curl). */
    *want_body = !redirect;
    return EXIT_DONE;
}

/* Reads the response from fd into the parser until it is complete. */
static int receive_response(int fd, bool head_request, struct reply *r)
{
    static struct http_parser p;
    static char buf[256 * 1024];
    http_parser_free(&p); /* the buffers of a response before a redirect */
    http_parser_init(&p, HTTP_RESPONSE);
    if (head_request)
        http_parser_no_body(&p);
    bool want_body = true, received_any = false;
    int interim = 0;
    for (;;) {
        if (!wait_for(fd, POLLIN))
            return fail(EXIT_TIMEOUT, "receiving the response: %s", why_timed_out());
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return fail(EXIT_RECV_ERROR, "receiving the response: %s", strerror(errno));
        if (n == 0) {
            enum http_event e = http_finish(&p);
            if (e == HTTP_DONE)
                return EXIT_DONE;
            if (!received_any)
                return fail(EXIT_EMPTY_REPLY, "Empty reply from server");
            if (http_head_done(&p))
                return fail(EXIT_PARTIAL, "transfer closed: %s", p.error);
            /* No error from the parser: the stream ended between messages,
             * after interim responses only. */
            return fail(EXIT_WEIRD_REPLY, "malformed response: %s",
                        p.error ? p.error : "the server closed the connection "
                                            "before a final response");
        }
        received_any = true;
        const char *data = buf;
        size_t left = (size_t)n;
        while (left > 0 || http_pending(&p)) {
            struct http_piece piece;
            size_t used;
            enum http_event e = http_feed(&p, data, left, &used, &piece);
            data += used;
            left -= used;
            int code = EXIT_DONE;
            switch (e) {
            case HTTP_HEAD:
                code = on_head(&p.msg, r, &want_body);
                break;
            case HTTP_BODY:
                if (want_body)
                    code = output(piece.data, piece.len);
                break;
            case HTTP_TRAILER: /* shown with the head, as curl does */
                if (want_body && (opt.include || opt.head)) {
                    code = output(piece.data, piece.len);
                    if (code == EXIT_DONE)
                        code = output("\r\n", 2);
                }
                break;
            case HTTP_DONE:
                /* 1xx is an interim response: the real one follows. */
                if (p.msg.status >= 100 && p.msg.status < 200 && p.msg.status != 101) {
                    if (++interim > MAX_INTERIM)
                        return fail(EXIT_WEIRD_REPLY, "malformed response: more than %d "
                                    "interim (1xx) responses", MAX_INTERIM);
                    http_parser_reset(&p);
                    break;
                }
                return EXIT_DONE;
            case HTTP_ERROR:
                return fail(EXIT_WEIRD_REPLY, "malformed response: %s", p.error);
            case HTTP_MORE:
                break;
            }
            if (code != EXIT_DONE)
                return code;
            if (!want_body && http_head_done(&p))
                return EXIT_DONE; /* a redirect: its body does not matter */
        }
    }
}

static int exchange(const struct http_url *url, const char *method, const char *body,
                    struct reply *r)
{
    static char request[HTTP_MAX_HEAD + HTTP_MAX_LINE];
    size_t len = http_write_request(request, sizeof request, method, url, opt.headers,
                                    opt.header_count, body ? (long long)strlen(body) : -1);
    if (len == 0)
        return fail(EXIT_BAD_URL, "the request does not fit in %zu bytes", sizeof request);
    int fd;
    int code = open_connection(url, &fd);
    if (code != EXIT_DONE)
        return code;
    if (opt.verbose)
        show_head("> ", request, len);
    code = send_all(fd, request, len);
    if (code == EXIT_DONE && body != NULL)
        code = send_all(fd, body, strlen(body));
    if (code == EXIT_DONE)
        code = receive_response(fd, strcmp(method, "HEAD") == 0, r);
    close(fd);
    return code;
}

/* ---- the command line and redirects ------------------------------------------------ */

static bool has_header(const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < opt.header_count; i++)
        if (strncasecmp(opt.headers[i], name, len) == 0 &&
            (opt.headers[i][len] == ':' || opt.headers[i][len] == ';'))
            return true;
    return false;
}

/* Takes "--idle-timeout SECONDS" out of argv (getopt() knows only short
 * options); returns the new argc. */
static int take_idle_timeout(int argc, char **argv)
{
    opt.idle_timeout = DEFAULT_IDLE_TIMEOUT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--idle-timeout") != 0)
            continue;
        char *end;
        if (i + 1 == argc || (opt.idle_timeout = strtod(argv[i + 1], &end), *end != '\0') ||
            !(opt.idle_timeout > 0) || opt.idle_timeout > 86400)
            usage(stderr, EXIT_USAGE);
        memmove(argv + i, argv + i + 2, (size_t)(argc - i - 1) * sizeof *argv);
        argc -= 2;
        i--;
    }
    return argc;
}

static void parse_args(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    argc = take_idle_timeout(argc, argv);
    int c;
    char *end;
    while ((c = getopt(argc, argv, "iIfLsSvo:H:X:d:m:")) != -1) {
        switch (c) {
        case 'i': opt.include = true; break;
        case 'I': opt.head = true; break;
        case 'f': opt.fail = true; break;
        case 'L': opt.follow = true; break;
        case 's': opt.silent = true; break;
        case 'S': break; /* errors are shown unless -s */
        case 'v': opt.verbose = true; break;
        case 'o': opt.output = optarg; break;
        case 'X': opt.method = optarg; break;
        case 'd': opt.data = optarg; break;
        case 'H':
            if (opt.header_count == MAX_EXTRA_HEADERS)
                usage(stderr, EXIT_USAGE);
            opt.headers[opt.header_count++] = optarg;
            break;
        case 'm':
            opt.max_time = strtod(optarg, &end);
            if (*end != '\0' || !(opt.max_time > 0))
                usage(stderr, EXIT_USAGE);
            break;
        default:
            usage(stderr, EXIT_USAGE);
        }
    }
    if (optind != argc - 1)
        usage(stderr, EXIT_USAGE);
    opt.url = argv[optind];
    /* http-get reads one response per connection, and says so. */
    if (!has_header("Connection"))
        opt.headers[opt.header_count++] = "Connection: close";
    if (opt.data != NULL && !has_header("Content-Type")) {
        opt.headers[opt.header_count++] = "Content-Type: application/x-www-form-urlencoded";
        added_content_type = true;
    }
}

/* Which method the request after a redirect uses (RFC 9110 section 15.4):
 * 303 turns anything but HEAD into GET; 301 and 302 turn POST into GET, as
 * every browser does; 307 and 308 keep the method and the body. */
static bool redirect_drops_body(int status, const char **method)
{
    if ((status == 303 && strcmp(*method, "HEAD") != 0) ||
        ((status == 301 || status == 302) && strcmp(*method, "POST") == 0)) {
        *method = "GET";
        return true;
    }
    return false;
}

/* Credentials given with -H are meant for the host of the URL typed, not
 * for whatever host a redirect names: like curl, Authorization and Cookie
 * are dropped as soon as a redirect leads to another host or port. */
static void drop_credentials_if_host_changes(const struct http_url *from, const char *to)
{
    struct http_url next;
    if (http_parse_url(to, &next) != HTTP_URL_OK ||
        (strcasecmp(next.host, from->host) == 0 && strcmp(next.port, from->port) == 0))
        return;
    size_t kept = 0;
    for (size_t i = 0; i < opt.header_count; i++) {
        const char *h = opt.headers[i];
        bool credential = (strncasecmp(h, "Authorization", 13) == 0 &&
                           (h[13] == ':' || h[13] == ';')) ||
                          (strncasecmp(h, "Cookie", 6) == 0 && (h[6] == ':' || h[6] == ';'));
        if (credential && opt.verbose)
            fprintf(stderr, "* Not sending %.*s to %s: another host\n",
                    (int)strcspn(h, ":;"), h, next.host);
        if (!credential)
            opt.headers[kept++] = h;
    }
    opt.header_count = kept;
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    if (opt.max_time > 0)
        deadline_ms = net_now_ms() + (long long)(opt.max_time * 1000);
    const char *method = opt.method ? opt.method : opt.head ? "HEAD" : opt.data ? "POST" : "GET";
    const char *body = opt.data;
    static char url_text[2][HTTP_MAX_LINE + 300];
    snprintf(url_text[0], sizeof url_text[0], "%s", opt.url);

    for (int redirects = 0;; redirects++) {
        const char *current = url_text[redirects % 2];
        struct http_url url;
        switch (http_parse_url(current, &url)) {
        case HTTP_URL_OK: break;
        case HTTP_URL_MALFORMED: return fail(EXIT_BAD_URL, "malformed URL: %s", current);
        case HTTP_URL_UNSUPPORTED:
            return fail(EXIT_UNSUPPORTED, "unsupported protocol: %s", current);
        }
        /* The library knows ws:// too (chapter 08's client); this program
         * speaks plain HTTP only. */
        if (url.scheme != HTTP_SCHEME_HTTP)
            return fail(EXIT_UNSUPPORTED, "unsupported protocol: %s (%s:// is WebSocket)",
                        current, http_scheme_name(url.scheme));
        struct reply r = {0};
        int code = exchange(&url, method, body, &r);
        if (code != EXIT_DONE || r.location[0] == '\0')
            return code;
        if (redirects == MAX_REDIRECTS)
            return fail(EXIT_TOO_MANY_REDIRECTS, "Maximum (%d) redirects followed",
                        MAX_REDIRECTS);
        char *next = url_text[(redirects + 1) % 2];
        if (!http_resolve_url(&url, r.location, next, sizeof url_text[0]))
            return fail(EXIT_BAD_URL, "malformed redirect location: %s", r.location);
        if (redirect_drops_body(r.status, &method) && body != NULL) {
            body = NULL;
            if (added_content_type) /* it was the last header added */
                opt.header_count--;
            added_content_type = false;
        }
        drop_credentials_if_host_changes(&url, next);
        if (opt.verbose)
            fprintf(stderr, "* Following the redirect to %s\n", next);
    }
}
