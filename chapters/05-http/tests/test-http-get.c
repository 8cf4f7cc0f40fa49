/* test-http-get - http-get against canned responses of http-script.
 *
 * Each case writes the responses a server should send into files, starts
 * http-script to serve them, runs http-get on it, and checks the bytes on
 * stdout, the exit code (curl's numbers) and, from the script's log, the
 * request that was sent.  The curl.* cases run curl itself on the same
 * responses and compare; they are skipped when curl is not installed.
 */
#include "testkit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUN_MS 20000

/* ---- helpers -------------------------------------------------------------------- */

/* Buffers live until the case ends.  This list keeps them reachable, so
 * that LeakSanitizer judges the programs under test, not the test. */
static void *kept[16384];
static size_t kept_count;

static void *keep(void *p)
{
    TK_ASSERT(kept_count < sizeof kept / sizeof kept[0], "too many buffers kept");
    kept[kept_count++] = p;
    return p;
}

static char *path_in_tmp(const char *name)
{
    static char paths[16][512];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, 512, "%s/%s", tk_tmpdir(), name);
    return p;
}

/* Writes a response file and returns its path. */
static const char *response_bytes(const char *name, const void *data, size_t len)
{
    const char *path = path_in_tmp(name);
    FILE *f = fopen(path, "wb");
    TK_ASSERT(f != NULL && fwrite(data, 1, len, f) == len && fclose(f) == 0, "writing %s", path);
    return path;
}

static const char *response(const char *name, const char *text)
{
    return response_bytes(name, text, strlen(text));
}

/* The whole of a file, NUL-terminated; *len its length. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    TK_ASSERT(f != NULL, "opening %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = keep(tk_alloc((size_t)size + 1));
    TK_ASSERT(fread(buf, 1, (size_t)size, f) == (size_t)size, "reading %s", path);
    fclose(f);
    buf[size] = '\0';
    if (len)
        *len = (size_t)size;
    return buf;
}

/* Starts http-script with these arguments (options, PORT, files...). */
static struct tk_proc *script(const char *const *args)
{
    const char *argv[40] = {tk_program("http-script")};
    size_t n = 1;
    for (; args[n - 1] != NULL; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    return tk_start_server(argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6],
                           argv[7], argv[8], argv[9], (char *)NULL);
}
#define SCRIPT(...) script((const char *const[]){__VA_ARGS__, NULL})

/* Runs a program with these arguments to the end. */
static struct tk_proc *run(const char *program, const char *const *args)
{
    const char *argv[40] = {program};
    size_t n = 1;
    for (; args[n - 1] != NULL; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    struct tk_proc *p = tk_startv(argv);
    tk_wait(p, RUN_MS);
    return p;
}
#define GET(...) run(tk_program("http-get"), (const char *const[]){__VA_ARGS__, NULL})

static const char *url(const struct tk_proc *server, const char *path)
{
    static char urls[8][256];
    static int next;
    char *u = urls[next++ % 8];
    snprintf(u, 256, "http://127.0.0.1:%d%s", server->port, path);
    return u;
}

static void expect_body(const struct tk_proc *p, const char *body, int code)
{
    TK_ASSERT_INT_EQ(tk_exit_code(p), code, "exit code");
    TK_ASSERT_BYTES_EQ(p->out_text, p->out_len, body, strlen(body), "stdout");
}

static void expect_error(const struct tk_proc *p, int code, const char *fragment)
{
    TK_ASSERT_INT_EQ(tk_exit_code(p), code, "exit code");
    TK_ASSERT_INT_EQ(p->out_len, 0, "bytes on stdout");
    tk_assert_one_error_line(p, "http-get", fragment, (char *)NULL);
}

static const char *OK_HELLO = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

/* ---- bodies ---------------------------------------------------------------------- */

static void content_length(void)
{
    struct tk_proc *s = SCRIPT("0", response("r", OK_HELLO));
    struct tk_proc *p = GET(url(s, "/"));
    expect_body(p, "hello", 0);
    TK_ASSERT_INT_EQ(p->err_len, 0, "bytes on stderr");
}

static void chunked(void)
{
    struct tk_proc *s = SCRIPT("0", response("r", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                                  "5;name=value\r\nhello\r\n"
                                                  "1\r\n,\r\n1\r\n \r\n1\r\nw\r\n1\r\no\r\n"
                                                  "3 ; a=\"b c\"\r\nrld\r\n"
                                                  "0\r\nX-Checksum: 42\r\nExpires: 0\r\n\r\n"));
    expect_body(GET(url(s, "/")), "hello, world", 0);
}

static void close_delimited(void)
{
    struct tk_proc *s = SCRIPT("0", response("r", "HTTP/1.0 200 OK\r\n\r\nuntil the end\n"));
    expect_body(GET(url(s, "/")), "until the end\n", 0);
}

/* The server below never closes: a client that waited for a body, or for
 * the close, would time out instead of finishing. */
static void head(void)
{
    const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/plain\r\n\r\n";
    struct tk_proc *s = SCRIPT("--hold", "--log", path_in_tmp("log"), "0", response("r", head));
    long long start = tk_now_ms();
    expect_body(GET("-I", url(s, "/")), head, 0);
    TK_ASSERT(tk_now_ms() - start < 5000, "HEAD waited for a body");
    TK_ASSERT(strncmp(slurp(path_in_tmp("log"), NULL), "HEAD / HTTP/1.1\r\n", 17) == 0,
              "the request line of -I");
}

static void no_body(const char *status_line)
{
    char text[256];
    snprintf(text, sizeof text, "%s\r\nContent-Length: 5\r\nETag: \"x\"\r\n\r\n", status_line);
    struct tk_proc *s = SCRIPT("--hold", "0", response("r", text));
    expect_body(GET(url(s, "/")), "", 0);
    expect_body(GET("-i", url(s, "/")), text, 0);
}

static void no_content(void)
{
    no_body("HTTP/1.1 204 No Content");
}

static void not_modified(void)
{
    no_body("HTTP/1.1 304 Not Modified");
}

static void interim_100(void)
{
    const char *text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    struct tk_proc *s = SCRIPT("0", response("r", text));
    expect_body(GET(url(s, "/")), "ok", 0);
    expect_body(GET("-i", url(s, "/")), text, 0);
}

/* ---- redirects ------------------------------------------------------------------- */

/* Serves a redirect, then the final page; returns the log's content. */
static char *follow(const char *status, const char *location, const char *from,
                    const char *const *extra_args, const char *want_path)
{
    char text[512];
    snprintf(text, sizeof text,
             "HTTP/1.1 %s\r\nLocation: %s\r\nContent-Length: 9\r\n\r\nredirect\n", status,
             location);
    const char *log = path_in_tmp("log");
    unlink(log);
    struct tk_proc *s = SCRIPT("--log", log, "0", response("r1", text),
                               response("r2", "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nfinal\n"));
    const char *args[12] = {"-L"};
    size_t n = 1;
    for (; extra_args && extra_args[n - 1]; n++)
        args[n] = extra_args[n - 1];
    args[n++] = url(s, from);
    args[n] = NULL;
    expect_body(run(tk_program("http-get"), args), "final\n", 0);
    char *requests = slurp(log, NULL);
    char want[256];
    snprintf(want, sizeof want, "%s HTTP/1.1\r\n", want_path);
    TK_ASSERT(strstr(requests + 1, want) != NULL, "the second request should be '%s', log:\n%s",
              want_path, requests);
    tk_stop(s, 15, 2000);
    return requests;
}

static void redirect_301(void)
{
    follow("301 Moved Permanently", "http://127.0.0.1:$PORT/final", "/", NULL, "GET /final");
}

static void redirect_302(void)
{
    char *log = follow("302 Found", "/final?x=1", "/a/b", (const char *const[]){"-d", "k=v", NULL},
                       "GET /final?x=1");
    TK_ASSERT(strstr(log, "POST /a/b HTTP/1.1") != NULL, "the first request is a POST");
    TK_ASSERT(strstr(strstr(log, "GET /final"), "k=v") == NULL, "302 drops the POST body");
}

static void redirect_303(void)
{
    char *log = follow("303 See Other", "done", "/a/b", (const char *const[]){"-X", "PUT", "-d", "x", NULL},
                       "GET /a/done");
    TK_ASSERT(strstr(log, "PUT /a/b HTTP/1.1") != NULL, "the first request is a PUT");
}

static void redirect_307(void)
{
    char *log = follow("307 Temporary Redirect", "../c/final", "/a/b/page",
                       (const char *const[]){"-d", "body=1", NULL}, "POST /a/c/final");
    const char *second = strstr(log, "POST /a/c/final");
    TK_ASSERT(strstr(second, "Content-Length: 6\r\n") && strstr(second, "\r\n\r\nbody=1"),
              "307 sends the body again:\n%s", second);
}

static void redirect_308(void)
{
    char *log = follow("308 Permanent Redirect", "//127.0.0.1:$PORT/x/./y/../final", "/",
                       (const char *const[]){"-X", "DELETE", NULL}, "DELETE /x/final");
    (void)log;
}

static void redirect_not_followed(void)
{
    struct tk_proc *s = SCRIPT("0", response("r", "HTTP/1.1 302 Found\r\nLocation: /x\r\n"
                                                  "Content-Length: 6\r\n\r\nmoved\n"));
    expect_body(GET(url(s, "/")), "moved\n", 0);
}

static void redirect_loop(void)
{
    const char *log = path_in_tmp("log");
    struct tk_proc *s = SCRIPT("--log", log, "0",
                               response("r", "HTTP/1.1 302 Found\r\nLocation: /again\r\n"
                                             "Content-Length: 0\r\n\r\n"));
    expect_error(GET("-L", url(s, "/")), 47, "redirects");
    /* the first request and ten redirects followed, then it stops */
    char *requests = slurp(log, NULL);
    int count = 0;
    for (char *r = requests; (r = strstr(r, "GET /")) != NULL; r++)
        count++;
    TK_ASSERT_INT_EQ(count, 11, "requests made");
}

static void redirect_include(void)
{
    const char *first = "HTTP/1.1 301 Moved\r\nLocation: /b\r\nContent-Length: 4\r\n\r\n";
    struct tk_proc *s = SCRIPT("0", response("r1", "HTTP/1.1 301 Moved\r\nLocation: /b\r\n"
                                                   "Content-Length: 4\r\n\r\nxxxx"),
                               response("r2", OK_HELLO));
    char want[512];
    snprintf(want, sizeof want, "%s%s", first, OK_HELLO);
    expect_body(GET("-i", "-L", url(s, "/")), want, 0);
}

/* ---- options ------------------------------------------------------------------------ */

static void fail_404(void)
{
    const char *text = "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nnot here\r\n";
    struct tk_proc *s = SCRIPT("0", response("r", text));
    expect_error(GET("-f", url(s, "/")), 22, "404");
    expect_body(GET(url(s, "/")), "not here\r\n", 0); /* without -f, a page like any */
    struct tk_proc *p = GET("-s", "-f", url(s, "/"));
    TK_ASSERT_INT_EQ(tk_exit_code(p), 22, "-s -f exit code");
    TK_ASSERT_INT_EQ(p->err_len, 0, "-s leaves stderr empty");
}

static void include(void)
{
    struct tk_proc *s = SCRIPT("0", response("r", OK_HELLO));
    expect_body(GET("-i", url(s, "/")), OK_HELLO, 0);
}

static void headers(void)
{
    const char *log = path_in_tmp("log");
    struct tk_proc *s = SCRIPT("--log", log, "0", response("r", OK_HELLO));
    expect_body(GET("-H", "X-One: 1", "-H", "User-Agent: tester/2", "-H", "Accept:", "-H",
                    "X-Empty;", url(s, "/p?q=1")),
                "hello", 0);
    char *req = slurp(log, NULL);
    char want[256];
    snprintf(want, sizeof want, "GET /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", s->port);
    TK_ASSERT(strncmp(req, want, strlen(want)) == 0, "request line and Host:\n%s", req);
    TK_ASSERT(strstr(req, "\r\nX-One: 1\r\n") != NULL, "X-One added:\n%s", req);
    TK_ASSERT(strstr(req, "\r\nUser-Agent: tester/2\r\n") != NULL &&
                  strstr(req, "http-get/") == NULL,
              "User-Agent replaced:\n%s", req);
    TK_ASSERT(strstr(req, "Accept") == NULL, "Accept removed:\n%s", req);
    TK_ASSERT(strstr(req, "\r\nX-Empty:\r\n") != NULL, "X-Empty sent empty:\n%s", req);
}

static void method_and_data(void)
{
    const char *log = path_in_tmp("log");
    struct tk_proc *s = SCRIPT("--log", log, "0", response("r", OK_HELLO));
    expect_body(GET("-X", "PUT", "-d", "name=value&x=1", url(s, "/thing")), "hello", 0);
    char *req = slurp(log, NULL);
    TK_ASSERT(strncmp(req, "PUT /thing HTTP/1.1\r\n", 21) == 0, "request line:\n%s", req);
    TK_ASSERT(strstr(req, "\r\nContent-Length: 14\r\n") != NULL, "Content-Length:\n%s", req);
    TK_ASSERT(strstr(req, "\r\nContent-Type: application/x-www-form-urlencoded\r\n") != NULL,
              "Content-Type:\n%s", req);
    const char *body = strstr(req, "\r\n\r\n");
    TK_ASSERT(body != NULL && strcmp(body + 4, "name=value&x=1") == 0, "body:\n%s", req);

    unlink(log);
    struct tk_proc *s2 = SCRIPT("--log", log, "0", response("r", OK_HELLO));
    expect_body(GET("-d", "a", url(s2, "/")), "hello", 0);
    TK_ASSERT(strncmp(slurp(log, NULL), "POST / HTTP/1.1\r\n", 17) == 0, "-d alone is a POST");
}

static void output_file(void)
{
    struct tk_proc *s = SCRIPT("0", response("r", OK_HELLO));
    const char *out = path_in_tmp("out");
    expect_body(GET("-o", out, url(s, "/")), "", 0);
    size_t len;
    char *got = slurp(out, &len);
    TK_ASSERT_BYTES_EQ(got, len, "hello", 5, "the -o file");
}

static void verbose(void)
{
    struct tk_proc *s = SCRIPT("0", response("r", OK_HELLO));
    struct tk_proc *p = GET("-v", url(s, "/v"));
    expect_body(p, "hello", 0);
    TK_ASSERT(strstr(p->err_text, "> GET /v HTTP/1.1\n") != NULL, "request on stderr:\n%s",
              p->err_text);
    TK_ASSERT(strstr(p->err_text, "< HTTP/1.1 200 OK\n< Content-Length: 5\n") != NULL,
              "response head on stderr:\n%s", p->err_text);
}

static void dribbled(void)
{
    struct tk_proc *s = SCRIPT("--dribble", "0",
                               response("r", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                             "4\r\nslow\r\n1;x=y\r\n \r\n6\r\nbytes\n\r\n0\r\n\r\n"));
    expect_body(GET(url(s, "/")), "slow bytes\n", 0);
    struct tk_proc *s2 = SCRIPT("--dribble", "0", response("r", OK_HELLO));
    expect_body(GET("-i", url(s2, "/")), OK_HELLO, 0);
}

/* ---- failures ------------------------------------------------------------------------- */

static void truncated(void)
{
    struct tk_proc *s = SCRIPT("0", response("r", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"));
    struct tk_proc *p = GET(url(s, "/"));
    TK_ASSERT_INT_EQ(tk_exit_code(p), 18, "exit code");
    TK_ASSERT_BYTES_EQ(p->out_text, p->out_len, "hello", 5, "what came is written");
    struct tk_proc *s2 = SCRIPT("0", response("r", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                                                   "\r\n\r\n5\r\nhello\r\n3\r\nab"));
    p = GET(url(s2, "/"));
    TK_ASSERT_INT_EQ(tk_exit_code(p), 18, "chunked exit code");
    TK_ASSERT_BYTES_EQ(p->out_text, p->out_len, "helloab", 7, "chunked, what came");
}

/* A server that never gets to a final response: too many 1xx, empty lines
 * instead of a status line, or a close after an interim response.  Each is
 * a malformed response, said in words (once printed as "(null)"). */
static void no_final_response(void)
{
    static char flood[150 * 26 + 1];
    flood[0] = '\0';
    for (int i = 0; i < 150; i++)
        strcat(flood, "HTTP/1.1 100 Continue\r\n\r\n");
    struct tk_proc *s = SCRIPT("0", response("r", flood));
    expect_error(GET(url(s, "/")), 8, "more than 100 interim (1xx) responses");
    tk_stop(s, 15, 2000);
    s = SCRIPT("0", response("r", "\r\n"));
    expect_error(GET(url(s, "/")), 8, "an empty line where the status line should be");
    tk_stop(s, 15, 2000);
    s = SCRIPT("0", response("r", "\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    expect_error(GET(url(s, "/")), 8, "an empty line where the status line should be");
    tk_stop(s, 15, 2000);
    s = SCRIPT("0", response("r", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"));
    struct tk_proc *p = GET(url(s, "/"));
    expect_error(p, 8, "before a final response");
    TK_ASSERT(strstr(p->err_text, "(null)") == NULL, "%s", p->err_text);
}

/* Credentials given with -H go to the host they were typed for: after a
 * redirect to another host, Authorization and Cookie are not sent (as
 * curl); to the same host they are. */
static void redirect_credentials(void)
{
    const char *args[] = {"-H", "Authorization: Bearer secret", "-H", "Cookie: a=b",
                          "-H", "X-Other: kept", NULL};
    char location[128];
    snprintf(location, sizeof location, "http://localhost:$PORT/next");
    char *requests = follow("302 Found", location, "/", args, "GET /next");
    char *second = strstr(requests + 1, "GET /next");
    TK_ASSERT(second != NULL, "no second request: %s", requests);
    TK_ASSERT(strstr(requests, "Authorization: Bearer secret") < second, "sent first");
    TK_ASSERT(strstr(second, "Authorization") == NULL, "Authorization sent to another host:\n%s",
              second);
    TK_ASSERT(strstr(second, "Cookie") == NULL, "Cookie sent to another host:\n%s", second);
    TK_ASSERT(strstr(second, "X-Other: kept") != NULL, "other headers stay:\n%s", second);
    requests = follow("302 Found", "/next", "/", args, "GET /next");
    second = strstr(requests + 1, "GET /next");
    TK_ASSERT(second != NULL && strstr(second, "Authorization: Bearer secret") != NULL &&
                  strstr(second, "Cookie: a=b") != NULL,
              "the same host keeps them:\n%s", requests);
}

static void malformed(void)
{
    const char *bad[] = {
        "HTTP/1.1 2x0 OK\r\nContent-Length: 1\r\n\r\nx",
        "HTTP/1.1 200 OK\r\nNo colon here\r\nContent-Length: 1\r\n\r\nx",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Le",
        "SSH-2.0-OpenSSH_9.2\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tk_proc *s = SCRIPT("0", response("r", bad[i]));
        struct tk_proc *p = GET(url(s, "/"));
        TK_ASSERT(tk_exit_code(p) == 8, "response %zu: exit code %d, expected 8", i,
                  tk_exit_code(p));
        tk_assert_one_error_line(p, "http-get", "malformed response", (char *)NULL);
        tk_stop(s, 15, 2000);
    }
}

static void empty_reply(void)
{
    struct tk_proc *s = SCRIPT("0", response("r", ""));
    expect_error(GET(url(s, "/")), 52, "Empty reply");
}

static void timeout(void)
{
    struct tk_proc *s = SCRIPT("--silent", "0", response("r", OK_HELLO));
    long long start = tk_now_ms();
    expect_error(GET("-m", "1", url(s, "/")), 28, "timed out");
    long long took = tk_now_ms() - start;
    TK_ASSERT(took >= 900 && took < 8000, "-m 1 took %lld ms", took);
    /* in the middle of a body, too */
    struct tk_proc *s2 = SCRIPT("--hold", "0",
                                response("r", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel"));
    struct tk_proc *p = GET("-m", "0.5", url(s2, "/"));
    TK_ASSERT_INT_EQ(tk_exit_code(p), 28, "exit code mid-body");
    TK_ASSERT_BYTES_EQ(p->out_text, p->out_len, "hel", 3, "the part that came");
}

/* Without -m, a server that accepts and never answers is given up on after
 * --idle-timeout (default 60 s) without progress: exit 28. */
static void idle_timeout(void)
{
    struct tk_proc *s = SCRIPT("--silent", "0", response("r", OK_HELLO));
    long long start = tk_now_ms();
    struct tk_proc *p = GET("--idle-timeout", "0.5", url(s, "/"));
    expect_error(p, 28, "no progress for 0.5 seconds");
    long long took = tk_now_ms() - start;
    TK_ASSERT(took >= 400 && took < 4000, "--idle-timeout 0.5 took %lld ms", took);
    /* A server that answers slowly but steadily is not idle. */
    struct tk_proc *s2 = SCRIPT("--dribble", "0", response("r", OK_HELLO));
    expect_body(GET("--idle-timeout", "0.5", url(s2, "/")), "hello", 0);
    tk_assert_usage_error(GET("--idle-timeout", "0", url(s2, "/")));
    tk_assert_usage_error(GET(url(s2, "/"), "--idle-timeout"));
}

static void unresolvable(void)
{
    /* .invalid never resolves (RFC 6761); a resolver that cannot answer in
     * time says nothing about http-get, so that is a skip, not a pass. */
    struct tk_proc *p = GET("-m", "8", "http://no-such-host.invalid/");
    if (tk_exit_code(p) == 28)
        tk_skip("the resolver did not answer within 8 seconds");
    expect_error(p, 6, "no-such-host.invalid");
}

static void refused(void)
{
    /* A socket bound to a port but not listening: the port is ours, and a
     * connection to it is refused. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof addr;
    addr.sin_addr.s_addr = htonl(0x7f000001);
    TK_ASSERT(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
                  getsockname(fd, (struct sockaddr *)&addr, &len) == 0,
              "binding a port");
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/", ntohs(addr.sin_port));
    expect_error(GET(u), 7, "Connection refused");
    close(fd);
}

static void malformed_url(void)
{
    const char *bad[] = {"http://", "http://host:99999/", "http://[::1/", "http://a b/",
                         "http://host:port/", "http://[fe80::zz]/", "http://exa mple/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tk_proc *p = GET(bad[i]);
        TK_ASSERT(tk_exit_code(p) == 3, "%s: exit code %d, expected 3", bad[i], tk_exit_code(p));
        tk_assert_one_error_line(p, "http-get", "URL", (char *)NULL);
    }
    expect_error(GET("https://127.0.0.1/"), 1, "unsupported");
    /* The library parses ws:// URLs for chapter 08; http-get refuses them. */
    expect_error(GET("ws://127.0.0.1/"), 1, "ws:// is WebSocket");
}

static void big_body(void)
{
    const size_t size = 50u << 20;
    char head[128];
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", size);
    char pattern_len[32];
    snprintf(pattern_len, sizeof pattern_len, "%zu", size);
    struct tk_proc *s = SCRIPT("--pattern", pattern_len, "0", response("r", head));
    const char *out = path_in_tmp("big");
    expect_body(GET("-o", out, url(s, "/big")), "", 0);

    size_t len;
    unsigned char *got = (unsigned char *)slurp(out, &len);
    unsigned char *want = tk_alloc(size);
    tk_fill_pattern(want, size, 5);
    TK_ASSERT_INT_EQ(len, size, "bytes written");
    /* FNV-1a over both: one number says whether every byte arrived */
    unsigned long long h_got = 14695981039346656037ull, h_want = h_got;
    for (size_t i = 0; i < size; i++) {
        h_got = (h_got ^ got[i]) * 1099511628211ull;
        h_want = (h_want ^ want[i]) * 1099511628211ull;
    }
    TK_ASSERT(h_got == h_want, "digest %016llx, expected %016llx", h_got, h_want);
    free(got);
    free(want);
}

static void ipv6(void)
{
    if (!tk_have_ipv6_loopback())
        tk_skip("no IPv6 loopback here");
    const char *log = path_in_tmp("log");
    struct tk_proc *s = SCRIPT("--log", log, "::1", "0", response("r", OK_HELLO));
    char u[64];
    snprintf(u, sizeof u, "http://[::1]:%d/six", s->port);
    expect_body(GET(u), "hello", 0);
    char want[64];
    snprintf(want, sizeof want, "\r\nHost: [::1]:%d\r\n", s->port);
    TK_ASSERT(strstr(slurp(log, NULL), want) != NULL, "the Host header of an IPv6 literal");
}

static void usage(void)
{
    tk_assert_help(tk_program("http-get"));
    tk_assert_usage_error(run(tk_program("http-get"), (const char *const[]){NULL}));
    TK_ASSERT_INT_EQ(tk_exit_code(GET("-Q", "http://x/")), 2, "unknown option");
    TK_ASSERT_INT_EQ(tk_exit_code(GET("-m", "soon", "http://x/")), 2, "bad -m");
}

/* ---- the same bytes and exit codes as curl ------------------------------------------- */

static const char *curl_path(void)
{
    const char *candidates[] = {"/usr/bin/curl", "/usr/local/bin/curl", "/bin/curl"};
    for (size_t i = 0; i < 3; i++)
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    tk_skip("curl is not installed");
}

/* Serves the same responses to http-get and to curl, with the same options,
 * and checks that both print the same bytes and exit with the same code. */
static void same_as_curl(const char *const *responses, const char *const *options,
                         bool dribble)
{
    const char *curl = curl_path();
    struct tk_proc *result[2];
    for (int tool = 0; tool < 2; tool++) {
        const char *sargs[12];
        size_t n = 0;
        if (dribble)
            sargs[n++] = "--dribble";
        sargs[n++] = "0";
        for (size_t i = 0; responses[i]; i++) {
            char name[32];
            snprintf(name, sizeof name, "c%d-%zu", tool, i);
            sargs[n++] = response(name, responses[i]);
        }
        sargs[n] = NULL;
        struct tk_proc *s = script(sargs);
        const char *args[16];
        n = 0;
        if (tool == 1) {
            args[n++] = "-s";
            args[n++] = "--max-redirs"; /* http-get's limit; curl's default is 50 */
            args[n++] = "10";
        }
        for (size_t i = 0; options[i]; i++)
            args[n++] = options[i];
        args[n++] = url(s, "/start");
        args[n] = NULL;
        result[tool] = run(tool == 0 ? tk_program("http-get") : curl, args);
        tk_stop(s, 15, 2000);
    }
    TK_ASSERT_INT_EQ(tk_exit_code(result[0]), tk_exit_code(result[1]),
                     "http-get's exit code against curl's");
    TK_ASSERT_BYTES_EQ(result[0]->out_text, result[0]->out_len, result[1]->out_text,
                       result[1]->out_len, "http-get's stdout against curl's");
}
#define RESPONSES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define OPTIONS(...) ((const char *const[]){__VA_ARGS__ NULL})

static const char *CHUNKED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "3;x=1\r\nabc\r\n1\r\nd\r\n0\r\nTrailer: t\r\n\r\n";

static void curl_bodies(void)
{
    same_as_curl(RESPONSES(OK_HELLO), OPTIONS(), false);
    same_as_curl(RESPONSES(CHUNKED), OPTIONS(), false);
    same_as_curl(RESPONSES("HTTP/1.0 200 OK\r\n\r\nto the close"), OPTIONS(), false);
    same_as_curl(RESPONSES(CHUNKED), OPTIONS(), true);
}

static void curl_include(void)
{
    same_as_curl(RESPONSES(OK_HELLO), OPTIONS("-i", ), false);
    same_as_curl(RESPONSES(CHUNKED), OPTIONS("-i", ), true);
    same_as_curl(RESPONSES("HTTP/1.1 204 No Content\r\nX: y\r\n\r\n"), OPTIONS("-i", ), false);
    same_as_curl(RESPONSES("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"), OPTIONS("-I", ),
                 false);
}

static void curl_redirects(void)
{
    const char *moved = "HTTP/1.1 301 Moved\r\nLocation: /next\r\nContent-Length: 3\r\n\r\nabc";
    same_as_curl(RESPONSES(moved, OK_HELLO), OPTIONS(), false);
    same_as_curl(RESPONSES(moved, OK_HELLO), OPTIONS("-L", ), false);
    same_as_curl(RESPONSES(moved, OK_HELLO), OPTIONS("-L", "-i", ), false);
    same_as_curl(RESPONSES(moved), OPTIONS("-L", ), false);
}

static void curl_errors(void)
{
    const char *missing = "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngone";
    same_as_curl(RESPONSES(missing), OPTIONS(), false);
    same_as_curl(RESPONSES(missing), OPTIONS("-f", ), false);
    same_as_curl(RESPONSES(missing), OPTIONS("-f", "-i", ), false);
    same_as_curl(RESPONSES("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"), OPTIONS(),
                 false);
    same_as_curl(RESPONSES("HTTP/1.1 200 OK\r\nno colon\r\n\r\n"), OPTIONS(), false);
    same_as_curl(RESPONSES("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"), OPTIONS(), false);
}

static const struct tk_case cases[] = {
    {"get.content-length", content_length},
    {"get.chunked", chunked},
    {"get.close-delimited", close_delimited},
    {"get.head", head},
    {"get.no-content", no_content},
    {"get.not-modified", not_modified},
    {"get.interim-100", interim_100},
    {"get.redirect-301", redirect_301},
    {"get.redirect-302", redirect_302},
    {"get.redirect-303", redirect_303},
    {"get.redirect-307", redirect_307},
    {"get.redirect-308", redirect_308},
    {"get.redirect-not-followed", redirect_not_followed},
    {"get.redirect-loop", redirect_loop},
    {"get.redirect-include", redirect_include},
    {"get.fail-404", fail_404},
    {"get.include", include},
    {"get.headers", headers},
    {"get.method-and-data", method_and_data},
    {"get.output-file", output_file},
    {"get.verbose", verbose},
    {"get.dribbled", dribbled},
    {"get.truncated", truncated},
    {"get.malformed", malformed},
    {"get.no-final-response", no_final_response},
    {"get.idle-timeout", idle_timeout},
    {"get.redirect-credentials", redirect_credentials},
    {"get.empty-reply", empty_reply},
    {"get.timeout", timeout},
    {"get.unresolvable", unresolvable},
    {"get.refused", refused},
    {"get.malformed-url", malformed_url},
    {"get.big-body", big_body},
    {"get.ipv6", ipv6},
    {"get.usage", usage},
    {"curl.bodies", curl_bodies},
    {"curl.include", curl_include},
    {"curl.redirects", curl_redirects},
    {"curl.errors", curl_errors},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}
