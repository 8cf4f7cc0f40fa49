/* test-http-serve - http-serve from outside, over raw sockets.
 *
 * The test speaks HTTP with its own few lines of code, not with the
 * chapter's library, so that a bug in the library cannot hide itself.
 */
#include "http-test-helpers.h"
#include "testkit.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET "the secret outside the root\n"

/* ---- a tree to serve -------------------------------------------------------------- */

static char root[512], outside[512];

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    TK_ASSERT(f != NULL && fwrite(data, 1, len, f) == len && fclose(f) == 0, "writing %s", path);
}

static void make_path(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

/* root/: index-less, with files of several types, a subdirectory with an
 * index.html, a directory without one, and symbolic links out of the root;
 * outside/: what must never be served. */
static void make_tree(void)
{
    char p[1024], q[1024];
    make_path(root, sizeof root, tk_tmpdir(), "root");
    make_path(outside, sizeof outside, tk_tmpdir(), "outside");
    TK_ASSERT(mkdir(root, 0755) == 0 && mkdir(outside, 0755) == 0, "making the tree");
    make_path(p, sizeof p, outside, "secret");
    write_file(p, SECRET, strlen(SECRET));
    make_path(p, sizeof p, root, "hello.txt");
    write_file(p, "hello, world\n", 13);
    make_path(p, sizeof p, root, "page.html");
    write_file(p, "<p>page</p>\n", 12);
    make_path(p, sizeof p, root, "style.css");
    write_file(p, "p{}\n", 4);
    make_path(p, sizeof p, root, "image.PNG");
    write_file(p, "\x89PNG", 4);
    make_path(p, sizeof p, root, "data.unknownext");
    write_file(p, "?", 1);
    make_path(p, sizeof p, root, "empty");
    write_file(p, "", 0);
    static unsigned char binary[1 << 20];
    tk_fill_pattern(binary, sizeof binary, 9);
    make_path(p, sizeof p, root, "binary.bin");
    write_file(p, binary, sizeof binary);
    make_path(p, sizeof p, root, "sub");
    TK_ASSERT(mkdir(p, 0755) == 0, "mkdir sub");
    make_path(p, sizeof p, root, "sub/index.html");
    write_file(p, "<h1>sub</h1>\n", 13);
    make_path(p, sizeof p, root, "list");
    TK_ASSERT(mkdir(p, 0755) == 0, "mkdir list");
    make_path(p, sizeof p, root, "list/b.txt");
    write_file(p, "b", 1);
    make_path(p, sizeof p, root, "list/a <&> \"odd\".txt");
    write_file(p, "a", 1);
    make_path(p, sizeof p, root, "list/dir");
    TK_ASSERT(mkdir(p, 0755) == 0, "mkdir list/dir");
    /* links: one to a file outside, one to the outside directory, one inside */
    make_path(p, sizeof p, outside, "secret");
    make_path(q, sizeof q, root, "link-out");
    TK_ASSERT(symlink(p, q) == 0, "symlink");
    make_path(q, sizeof q, root, "dir-out");
    TK_ASSERT(symlink(outside, q) == 0, "symlink");
    make_path(q, sizeof q, root, "link-in");
    TK_ASSERT(symlink("hello.txt", q) == 0, "symlink");
    make_path(q, sizeof q, root, "sub/up");
    TK_ASSERT(symlink("../../outside/secret", q) == 0, "symlink");
}

static struct tk_proc *start_serving(const char *timeout)
{
    make_tree();
    return tk_start_server(tk_program("http-serve"), "--root", root, "--timeout", timeout,
                           "127.0.0.1", "0", (char *)NULL);
}

/* ---- a little HTTP of the test's own ----------------------------------------------- */

/* One request on a new connection; the response. */
static struct response fetch_raw(int port, const char *request)
{
    int fd = tk_connect("127.0.0.1", port);
    send_text(fd, request);
    struct response r = read_response(fd, strncmp(request, "HEAD ", 5) == 0);
    close(fd);
    return r;
}

static struct response fetch(int port, const char *method, const char *target)
{
    char request[8192];
    snprintf(request, sizeof request, "%s %s HTTP/1.1\r\nHost: test\r\n\r\n", method, target);
    return fetch_raw(port, request);
}

/* ---- cases ----------------------------------------------------------------------- */

static void listening_and_signals(void)
{
    struct tk_proc *s = start_serving("10");
    TK_ASSERT(strncmp(s->address, "127.0.0.1:", 10) == 0, "listening line: %s", s->address);
    TK_ASSERT_INT_EQ(fetch(s->port, "GET", "/hello.txt").status, 200, "a first request");
    int status = tk_stop(s, SIGINT, 5000);
    TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGINT exits 0");
    s = tk_start_server(tk_program("http-serve"), "--root", root, "0", (char *)NULL);
    status = tk_stop(s, SIGTERM, 5000);
    TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGTERM exits 0");
}

static void usage(void)
{
    struct tk_proc *p = tk_run(NULL, 0, 5000, tk_program("http-serve"), "--help", (char *)NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "--help");
    TK_ASSERT(strncmp(p->out_text, "usage: http-serve", 17) == 0, "usage on stdout");
    p = tk_run(NULL, 0, 5000, tk_program("http-serve"), (char *)NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 2, "no port");
    p = tk_run(NULL, 0, 5000, tk_program("http-serve"), "--bogus", "0", (char *)NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 2, "unknown option");
    p = tk_run(NULL, 0, 5000, tk_program("http-serve"), "--timeout", "never", "0", (char *)NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 2, "bad --timeout");
    p = tk_run(NULL, 0, 5000, tk_program("http-serve"), "--root", "/no/such/dir", "0",
               (char *)NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "a root that does not exist");
    tk_assert_one_error_line(p, "http-serve", "/no/such/dir", "No such file", (char *)NULL);
}

static void files(void)
{
    struct tk_proc *s = start_serving("10");
    struct response r = fetch(s->port, "GET", "/hello.txt");
    TK_ASSERT_INT_EQ(r.status, 200, "status");
    TK_ASSERT_BYTES_EQ(r.body, r.body_len, "hello, world\n", 13, "hello.txt");
    r = fetch(s->port, "GET", "/binary.bin");
    static unsigned char want[1 << 20];
    tk_fill_pattern(want, sizeof want, 9);
    TK_ASSERT_BYTES_EQ(r.body, r.body_len, want, sizeof want, "binary.bin, 1 MiB");
    r = fetch(s->port, "GET", "/empty");
    TK_ASSERT(r.status == 200 && r.body_len == 0, "an empty file");
    r = fetch(s->port, "GET", "/hello.txt?query=ignored#frag");
    TK_ASSERT_BYTES_EQ(r.body, r.body_len, "hello, world\n", 13, "the query is not the path");
    r = fetch(s->port, "GET", "/link-in");
    TK_ASSERT_BYTES_EQ(r.body, r.body_len, "hello, world\n", 13, "a link inside the root");
    r = fetch(s->port, "GET", "/%68ello.txt");
    TK_ASSERT_BYTES_EQ(r.body, r.body_len, "hello, world\n", 13, "percent-decoding");
    r = fetch(s->port, "GET", "http://test/hello.txt");
    TK_ASSERT_BYTES_EQ(r.body, r.body_len, "hello, world\n", 13, "absolute-form target");
    TK_ASSERT(header_of(&r, "Date") != NULL, "a Date header");
}

static void content_types(void)
{
    struct tk_proc *s = start_serving("10");
    const char *expect[][2] = {{"/hello.txt", "text/plain; charset=utf-8"},
                               {"/page.html", "text/html; charset=utf-8"},
                               {"/style.css", "text/css"},
                               {"/image.PNG", "image/png"},
                               {"/data.unknownext", "application/octet-stream"},
                               {"/sub/", "text/html; charset=utf-8"}};
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        struct response r = fetch(s->port, "GET", expect[i][0]);
        const char *type = header_of(&r, "Content-Type");
        TK_ASSERT(type != NULL && strcmp(type, expect[i][1]) == 0, "%s: Content-Type %s",
                  expect[i][0], type ? type : "(none)");
    }
}

static void head(void)
{
    struct tk_proc *s = start_serving("10");
    int fd = tk_connect("127.0.0.1", s->port);
    send_text(fd, "HEAD /binary.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    struct response r = read_response(fd, true);
    TK_ASSERT_INT_EQ(r.status, 200, "HEAD status");
    TK_ASSERT_STR_EQ(header_of(&r, "Content-Length"), "1048576", "HEAD Content-Length");
    /* had any body bytes followed, they would now stand where the next
     * response's status line should be */
    send_text(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    r = read_response(fd, false);
    TK_ASSERT_BYTES_EQ(r.body, r.body_len, "hello, world\n", 13, "the response after HEAD");
    /* the same for the answers made in memory: an error, a listing */
    send_text(fd, "HEAD /nope HTTP/1.1\r\nHost: t\r\n\r\nHEAD /list/ HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n");
    TK_ASSERT_INT_EQ(read_response(fd, true).status, 404, "HEAD of a missing file");
    TK_ASSERT_INT_EQ(read_response(fd, true).status, 200, "HEAD of a listing");
    r = read_response(fd, false);
    TK_ASSERT_BYTES_EQ(r.body, r.body_len, "p{}\n", 4, "the response after those");
    close(fd);
}

static void keep_alive(void)
{
    struct tk_proc *s = start_serving("10");
    int fd = tk_connect("127.0.0.1", s->port);
    send_text(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    read_response(fd, false);
    send_text(fd, "GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n");
    struct response r = read_response(fd, false);
    TK_ASSERT_BYTES_EQ(r.body, r.body_len, "<p>page</p>\n", 12, "second request, same connection");
    send_text(fd, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    r = read_response(fd, false);
    TK_ASSERT_STR_EQ(header_of(&r, "Connection"), "close", "Connection: close answered");
    TK_ASSERT(tk_recv_eof(fd, 5000), "the server closes after Connection: close");
    close(fd);

    fd = tk_connect("127.0.0.1", s->port);
    send_text(fd, "GET /hello.txt HTTP/1.0\r\n\r\n");
    read_response(fd, false);
    TK_ASSERT(tk_recv_eof(fd, 5000), "HTTP/1.0 closes by default");
    close(fd);

    fd = tk_connect("127.0.0.1", s->port);
    for (int i = 0; i < 2; i++) {
        send_text(fd, "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        r = read_response(fd, false);
        TK_ASSERT_STR_EQ(header_of(&r, "Connection"), "keep-alive", "HTTP/1.0 keep-alive");
    }
    close(fd);
}

static void thousand_requests(void)
{
    struct tk_proc *s = start_serving("30");
    int fd = tk_connect("127.0.0.1", s->port);
    for (int i = 0; i < 1000; i++) {
        send_text(fd, i % 2 ? "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"
                            : "GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n");
        struct response r = read_response(fd, false);
        TK_ASSERT(r.status == 200 && r.body_len == (i % 2 ? 13u : 12u), "request %d", i);
    }
    /* and a hundred pipelined in one send, answered in order */
    static char batch[100 * 64];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(batch + n, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n",
                             i % 2 ? "/hello.txt" : "/style.css");
    tk_send(fd, batch, n, 5000);
    for (int i = 0; i < 100; i++) {
        struct response r = read_response(fd, false);
        TK_ASSERT(r.body_len == (i % 2 ? 13u : 4u), "pipelined response %d", i);
    }
    close(fd);
}

static void errors(void)
{
    struct tk_proc *s = start_serving("10");
    TK_ASSERT_INT_EQ(fetch(s->port, "GET", "/no-such-file").status, 404, "missing file");
    TK_ASSERT_INT_EQ(fetch(s->port, "GET", "/hello.txt/x").status, 404, "a file as a directory");
    const char *methods[] = {"POST", "PUT", "DELETE", "OPTIONS", "BREW"};
    for (size_t i = 0; i < 5; i++) {
        struct response r = fetch(s->port, methods[i], "/hello.txt");
        TK_ASSERT(r.status == 405, "%s: status %d", methods[i], r.status);
        TK_ASSERT_STR_EQ(header_of(&r, "Allow"), "GET, HEAD", "Allow");
    }
    /* a POST with a body gets its 405 at once, and the connection ends */
    int fd = tk_connect("127.0.0.1", s->port);
    send_text(fd, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\nabc");
    TK_ASSERT_INT_EQ(read_response(fd, false).status, 405, "POST with a body");
    TK_ASSERT(tk_recv_eof(fd, 5000), "closed after refusing a body");
    close(fd);

    const char *bad[] = {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\n\r\n",
                         "GET / HTTP/9.9\r\nHost: t\r\n\r\n", "GET  / HTTP/1.1\r\nHost: t\r\n\r\n",
                         "GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n",
                         "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1, 2\r\n\r\nx",
                         "GET relative HTTP/1.1\r\nHost: t\r\n\r\n",
                         "GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fd = tk_connect("127.0.0.1", s->port);
        send_text(fd, bad[i]);
        struct response r = read_response(fd, false);
        TK_ASSERT(r.status == 400, "request %zu: status %d, expected 400", i, r.status);
        if (i < 6)
            TK_ASSERT(tk_recv_eof(fd, 5000), "closed after malformed request %zu", i);
        close(fd);
    }
    /* a head beyond the limits */
    static char huge[40000];
    memset(huge, 'a', sizeof huge);
    memcpy(huge, "GET /", 5);
    fd = tk_connect("127.0.0.1", s->port);
    tk_send(fd, huge, sizeof huge, 5000);
    struct response r = read_response(fd, false);
    TK_ASSERT_INT_EQ(r.status, 431, "a request line beyond the limit");
    close(fd);
    TK_ASSERT_INT_EQ(fetch(s->port, "GET", "/hello.txt").status, 200, "still serving");
}

static void traversal(void)
{
    struct tk_proc *s = start_serving("10");
    const char *attempts[] = {
        "/../outside/secret",          "/../../../../../../etc/passwd",
        "/sub/../../outside/secret",   "/%2e%2e/outside/secret",
        "/%2E%2E/outside/secret",      "/.%2e/outside/secret",
        "/%2e%2e%2foutside%2fsecret",  "/..%2foutside/secret",
        "/sub%2f..%2f..%2foutside%2fsecret", "/..\\outside/secret",
        "/%252e%252e/outside/secret",  "/link-out",
        "/dir-out/secret",             "/dir-out/",
        "/sub/up",                     "/%00/../outside/secret",
        "/hello.txt%00.html",          "http://test/../outside/secret",
        "/sub/..",                     "/..",
        "//../outside/secret",         "/./../outside/secret",
    };
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        struct response r = fetch(s->port, "GET", attempts[i]);
        TK_ASSERT(r.status == 400 || r.status == 403 || r.status == 404,
                  "%s: status %d", attempts[i], r.status);
        TK_ASSERT(strstr(r.body, "secret outside") == NULL, "%s served the secret",
                  attempts[i]);
    }
    TK_ASSERT_INT_EQ(fetch(s->port, "GET", "/link-out").status, 403, "a link out of the root");
}

static void directories(void)
{
    struct tk_proc *s = start_serving("10");
    struct response r = fetch(s->port, "GET", "/sub");
    TK_ASSERT_INT_EQ(r.status, 301, "a directory without its slash");
    TK_ASSERT_STR_EQ(header_of(&r, "Location"), "/sub/", "Location");
    r = fetch(s->port, "GET", "/list?x=1");
    TK_ASSERT_STR_EQ(header_of(&r, "Location"), "/list/?x=1", "Location keeps the query");
    r = fetch(s->port, "GET", "/sub/");
    TK_ASSERT_BYTES_EQ(r.body, r.body_len, "<h1>sub</h1>\n", 13, "index.html");
    r = fetch(s->port, "GET", "/list/");
    TK_ASSERT_INT_EQ(r.status, 200, "a listing");
    TK_ASSERT(header_of(&r, "Transfer-Encoding") != NULL, "a listing is sent in chunks");
    struct response old = fetch_raw(s->port, "GET /list/ HTTP/1.0\r\n\r\n");
    TK_ASSERT(header_of(&old, "Content-Length") != NULL, "but not to HTTP/1.0");
    TK_ASSERT_BYTES_EQ(old.body, old.body_len, r.body, r.body_len, "the same listing");
    const char *want[] = {"<a href=\"a%20%3C%26%3E%20%22odd%22.txt\">a &lt;&amp;&gt; &quot;odd&quot;.txt</a>",
                          "<a href=\"b.txt\">b.txt</a>", "<a href=\"dir/\">dir/</a>"};
    const char *at = r.body;
    for (size_t i = 0; i < 3; i++) {
        const char *found = strstr(at, want[i]);
        TK_ASSERT(found != NULL, "the listing should hold, in order, %s:\n%s", want[i], r.body);
        at = found;
    }
    r = fetch(s->port, "GET", "/");
    TK_ASSERT(strstr(r.body, "hello.txt") && strstr(r.body, "link-out"), "the root's listing");
}

/* Sends a request in two parts, with a pause between, for every place the
 * cut can fall; then one byte at a time. */
static void split_at_every_byte(void)
{
    struct tk_proc *s = start_serving("10");
    const char *request = "GET /hello.txt?a=b HTTP/1.1\r\nHost: test\r\nAccept: */*\r\n\r\n";
    size_t len = strlen(request);
    for (size_t cut = 1; cut < len; cut++) {
        int fd = tk_connect("127.0.0.1", s->port);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        tk_send(fd, request, cut, 5000);
        tk_sleep_ms(2);
        tk_send(fd, request + cut, len - cut, 5000);
        struct response r = read_response(fd, false);
        TK_ASSERT(r.status == 200 && r.body_len == 13, "cut at %zu: status %d", cut, r.status);
        close(fd);
    }
    int fd = tk_connect("127.0.0.1", s->port);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (size_t i = 0; i < len; i++) {
        tk_send(fd, request + i, 1, 5000);
        tk_sleep_ms(1);
    }
    TK_ASSERT_INT_EQ(read_response(fd, false).status, 200, "one byte at a time");
    close(fd);
}

/* A client that sends half a request and stops, and one that never sends
 * at all, hold up nobody; after the timeout the first hears 408. */
static void slow_client(void)
{
    struct tk_proc *s = start_serving("4");
    int half = tk_connect("127.0.0.1", s->port);
    send_text(half, "GET /hello.txt HTTP/1.1\r\nHo");
    int silent = tk_connect("127.0.0.1", s->port);
    long long start = tk_now_ms();
    for (int i = 0; i < 20; i++)
        TK_ASSERT_INT_EQ(fetch(s->port, "GET", "/hello.txt").status, 200, "another client");
    /* a server that waited for the slow ones would take 4 s here */
    TK_ASSERT(tk_now_ms() - start < 2500, "others were held up for %lld ms",
              tk_now_ms() - start);
    struct response r = read_response(half, false);
    TK_ASSERT_INT_EQ(r.status, 408, "the half request times out");
    TK_ASSERT(tk_recv_eof(half, 3000), "and is closed");
    TK_ASSERT(tk_now_ms() - start >= 3000, "408 after %lld ms, before the timeout",
              tk_now_ms() - start);
    TK_ASSERT(tk_recv_eof(silent, 3000), "the silent client is closed too");
    close(half);
    close(silent);
}

/* A client that dribbles its request a byte every 100 ms never finishes
 * within the timeout: the deadline is for the whole request, not per byte. */
static void dribbling_client(void)
{
    struct tk_proc *s = start_serving("1");
    int fd = tk_connect("127.0.0.1", s->port);
    const char *request = "GET /hello.txt HTTP/1.1\r\nHost: test\r\nX-Padding: xxxxxxxxxxxxxx\r\n\r\n";
    long long start = tk_now_ms();
    bool answered = false;
    for (size_t i = 0; request[i] && !answered; i++) {
        if (send(fd, request + i, 1, MSG_NOSIGNAL) != 1)
            break;
        answered = tk_readable(fd, 100);
    }
    TK_ASSERT(answered, "the server should have given up on the dribbling client");
    struct response r = read_response(fd, false);
    TK_ASSERT_INT_EQ(r.status, 408, "status");
    TK_ASSERT(tk_now_ms() - start < 3000, "it took %lld ms", tk_now_ms() - start);
    close(fd);
}

/* The tree, with big.bin: size bytes of a pattern, also returned for comparing. */
static const unsigned char *make_tree_with_big_file(size_t size)
{
    make_tree();
    char p[1024];
    make_path(p, sizeof p, root, "big.bin");
    unsigned char *big = keep(tk_alloc(size));
    tk_fill_pattern(big, size, 3);
    write_file(p, big, size);
    return big;
}

/* A client that asks for a big file and does not read holds up nobody. */
static void reader_that_stalls(void)
{
    size_t size = 16u << 20;
    const unsigned char *big = make_tree_with_big_file(size);
    struct tk_proc *s = tk_start_server(tk_program("http-serve"), "--root", root, "--timeout",
                                        "2", "0", (char *)NULL);
    int stalled = tk_connect("127.0.0.1", s->port);
    send_text(stalled, "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    tk_sleep_ms(100);
    long long start = tk_now_ms();
    struct response r = fetch(s->port, "GET", "/big.bin");
    TK_ASSERT_BYTES_EQ(r.body, r.body_len, big, size, "16 MiB, byte for byte");
    TK_ASSERT(tk_now_ms() - start < 5000, "took %lld ms", tk_now_ms() - start);
    close(stalled);
}

/* A client may send its requests and then shut down its sending side: its
 * end of stream means "no more requests", not "stop answering".  Both
 * answers arrive whole, then the server closes.  (The loop used to close
 * at the client's end of stream: 4 MB of a 20 MB answer, and no answer at
 * all to the second request.) */
static void half_close_answered(void)
{
    size_t size = 16u << 20;
    const unsigned char *big = make_tree_with_big_file(size);
    struct tk_proc *s = tk_start_server(tk_program("http-serve"), "--root", root, "--timeout",
                                        "10", "127.0.0.1", "0", (char *)NULL);
    int fd = tk_connect("127.0.0.1", s->port);
    send_text(fd, "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n"
                  "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    TK_ASSERT(shutdown(fd, SHUT_WR) == 0, "shutdown: %s", strerror(errno));
    tk_sleep_ms(200); /* the end of stream reaches the server before the answer is out */
    struct response r = read_response(fd, false);
    TK_ASSERT_INT_EQ(r.status, 200, "the first answer");
    TK_ASSERT_BYTES_EQ(r.body, r.body_len, big, size, "16 MiB, byte for byte");
    r = read_response(fd, false);
    TK_ASSERT_INT_EQ(r.status, 200, "the second answer");
    TK_ASSERT_STR_EQ(r.body, "hello, world\n", "its body");
    TK_ASSERT(tk_recv_eof(fd, 5000), "then the server closes");
    close(fd);
}

static void ipv6(void)
{
    if (!tk_have_ipv6_loopback())
        tk_skip("no IPv6 loopback here");
    make_tree();
    struct tk_proc *s = tk_start_server(tk_program("http-serve"), "--root", root, "::1", "0",
                                        (char *)NULL);
    TK_ASSERT(strncmp(s->address, "[::1]:", 6) == 0, "listening line %s", s->address);
    int fd = tk_connect("::1", s->port);
    send_text(fd, "GET /hello.txt HTTP/1.1\r\nHost: [::1]\r\n\r\n");
    TK_ASSERT_INT_EQ(read_response(fd, false).status, 200, "over IPv6");
    close(fd);
}

static void log_lines(void)
{
    struct tk_proc *s = start_serving("10");
    fetch(s->port, "GET", "/hello.txt");
    fetch(s->port, "HEAD", "/nope");
    const char *line = tk_read_line(s, 5000);
    TK_ASSERT(line != NULL && strstr(line, " \"GET /hello.txt\" 200 13"), "log line: %s",
              line ? line : "(none)");
    line = tk_read_line(s, 5000);
    TK_ASSERT(line != NULL && strstr(line, " \"HEAD /nope\" 404 "), "log line: %s",
              line ? line : "(none)");
}

/* The Location of a redirect is built from the client's text: it must not
 * send the browser to another host ("//evil.com/" is a network-path
 * reference), nor put the slash after a fragment. */
static void location_safe(void)
{
    struct tk_proc *s = start_serving("10");
    char p[1024];
    make_path(p, sizeof p, root, "evil.com");
    TK_ASSERT(mkdir(p, 0755) == 0, "mkdir evil.com");
    struct response r = fetch(s->port, "GET", "//evil.com");
    TK_ASSERT_INT_EQ(r.status, 301, "a directory without its slash");
    TK_ASSERT_STR_EQ(header_of(&r, "Location"), "/evil.com/", "one leading slash");
    r = fetch(s->port, "GET", "///evil.com?q=1");
    TK_ASSERT_STR_EQ(header_of(&r, "Location"), "/evil.com/?q=1", "three leading slashes");
    r = fetch(s->port, "GET", "/sub#frag");
    TK_ASSERT_INT_EQ(r.status, 301, "a directory with a fragment");
    TK_ASSERT_STR_EQ(header_of(&r, "Location"), "/sub/", "the slash before the fragment");
    r = fetch(s->port, "GET", "/list?x=1#frag");
    TK_ASSERT_STR_EQ(header_of(&r, "Location"), "/list/?x=1", "query kept, fragment dropped");
}

/* An index.html that is a FIFO: open() without O_NONBLOCK would wait for a
 * writer, with the whole server.  The directory's listing is served
 * instead, and so is everybody else. */
static void fifo_index(void)
{
    struct tk_proc *s = start_serving("10");
    char p[1024];
    make_path(p, sizeof p, root, "list/index.html");
    TK_ASSERT(mkfifo(p, 0644) == 0, "mkfifo");
    long long start = tk_now_ms();
    struct response r = fetch(s->port, "GET", "/list/");
    TK_ASSERT_INT_EQ(r.status, 200, "the listing");
    TK_ASSERT(r.body != NULL && strstr(r.body, "b.txt") != NULL, "a listing, not the FIFO");
    r = fetch(s->port, "GET", "/list/index.html");
    TK_ASSERT_INT_EQ(r.status, 403, "the FIFO itself");
    r = fetch(s->port, "GET", "/hello.txt");
    TK_ASSERT_INT_EQ(r.status, 200, "another file");
    TK_ASSERT(tk_now_ms() - start < 3000, "the server stalled on the FIFO");
}

/* RFC 9112 section 6.1: an HTTP/1.0 request with Transfer-Encoding is read,
 * answered, and its connection closed, whatever Connection says. */
static void http10_chunked_closes(void)
{
    struct tk_proc *s = start_serving("10");
    int fd = tk_connect("127.0.0.1", s->port);
    send_text(fd, "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    struct response r = read_response(fd, false);
    TK_ASSERT_INT_EQ(r.status, 200, "answered");
    TK_ASSERT(tk_recv_eof(fd, 5000), "the connection should close after the answer");
    close(fd);
}

/* The largest send buffer the kernel lets a TCP socket grow to (the third
 * field of tcp_wmem): what the server's side may hold of its answers. */
static size_t largest_send_buffer(void)
{
    unsigned long long min, def, max = 32ull << 20;
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
    if (f != NULL) {
        if (fscanf(f, "%llu %llu %llu", &min, &def, &max) != 3)
            max = 32ull << 20;
        fclose(f);
    }
    return (size_t)max;
}

/* One write of pipelined "GET /list200/" (1,872 of them) for a directory of
 * 200 files, from a client that does not read.  Answering them all in one
 * callback blocked the server for seconds and queued 48 MB for one client.
 * Now it stops taking requests while its output is above the loop's limit:
 * it builds only the listings that the kernel's socket buffers and that
 * limit can hold (counted in its log), another client is served meanwhile,
 * and the hog still gets its answers, in order, when it reads. */
static void pipelined_flood(void)
{
    make_tree();
    char p[1024];
    make_path(p, sizeof p, root, "list200");
    TK_ASSERT(mkdir(p, 0755) == 0, "mkdir");
    for (int i = 0; i < 200; i++) {
        char name[1100];
        snprintf(name, sizeof name, "%s/file-with-a-longish-name-%03d.txt", p, i);
        write_file(name, "x", 1);
    }
    struct tk_proc *s = tk_start_server(tk_program("http-serve"), "--root", root, "--timeout",
                                        "10", "127.0.0.1", "0", (char *)NULL);
    static const char one[] = "GET /list200/ HTTP/1.1\r\nHost: t\r\n\r\n";
    size_t count = 65536 / (sizeof one - 1), len = count * (sizeof one - 1);
    char *flood = keep(tk_alloc(len));
    for (size_t i = 0; i < count; i++)
        memcpy(flood + i * (sizeof one - 1), one, sizeof one - 1);

    /* The size of one listing, from a polite client. */
    struct response first = fetch(s->port, "GET", "/list200/");
    TK_ASSERT(first.status == 200 && first.body_len > 10000, "a listing of 200 files");
    /* What may be built before the server stops: what the kernel holds
     * (the server's send buffer, and the hog's receive buffer, fixed here
     * at 64 KiB before connecting, which the kernel doubles and does not
     * autotune), plus the loop's output limit and the last listing, well
     * under a megabyte. */
    int rcvbuf = 65536;
    size_t bound = (largest_send_buffer() + 2 * (size_t)rcvbuf + (1u << 20)) / first.body_len + 1;
    if (bound >= count / 2)
        tk_skip("this machine's socket buffers hold %zu listings, too many for the test", bound);
    int hog = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    TK_ASSERT(hog >= 0 && setsockopt(hog, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) == 0 &&
                  connect(hog, (struct sockaddr *)&addr, sizeof addr) == 0,
              "connecting the hog");
    tk_send(hog, flood, len, 5000);
    tk_sleep_ms(300);
    struct response r = fetch(s->port, "GET", "/hello.txt");
    TK_ASSERT_INT_EQ(r.status, 200, "a bystander, during the flood");

    /* Count the listings built before the bystander was answered (the log
     * has one line per request, in the order they were answered): the
     * polite one, then the hog's. */
    size_t built = 0;
    for (;;) {
        const char *line = tk_read_line(s, 5000);
        if (strstr(line, "\"GET /hello.txt\"") != NULL)
            break;
        built += strstr(line, "\"GET /list200/\"") != NULL;
    }
    TK_ASSERT(built > 1 && built - 1 <= bound,
              "the server built %zu listings for a client that reads none (the kernel's "
              "buffers and the loop's limit hold at most %zu)", built - 1, bound);

    for (int i = 0; i < 5; i++) {
        struct response answer = read_response(hog, false);
        TK_ASSERT_INT_EQ(answer.status, 200, "a pipelined listing");
    }
    close(hog);
}

/* A client that pipelines listings and reads them as fast as it can keeps
 * the server busy for seconds.  Everybody else is still served at once:
 * the loop takes one output's worth of its requests per round, and the
 * other connections' events come between.  The bound is counted in
 * listings built before a bystander's answer (the log has one line per
 * request, in the order they were answered), not in seconds, so that a
 * slow machine or a sanitizer build is judged the same. */
static void flood_reader_fair(void)
{
    make_tree();
    char p[1024];
    make_path(p, sizeof p, root, "list200");
    TK_ASSERT(mkdir(p, 0755) == 0, "mkdir");
    for (int i = 0; i < 200; i++) {
        char name[1100];
        snprintf(name, sizeof name, "%s/file-with-a-longish-name-%03d.txt", p, i);
        write_file(name, "x", 1);
    }
    struct tk_proc *s = tk_start_server(tk_program("http-serve"), "--root", root, "--timeout",
                                        "10", "127.0.0.1", "0", (char *)NULL);
    static const char one[] = "GET /list200/ HTTP/1.1\r\nHost: t\r\n\r\n";
    size_t count = 65536 / (sizeof one - 1), len = count * (sizeof one - 1);
    char *flood = keep(tk_alloc(len));
    for (size_t i = 0; i < count; i++)
        memcpy(flood + i * (sizeof one - 1), one, sizeof one - 1);

    int hog = tk_connect("127.0.0.1", s->port);
    pid_t reader = fork();
    TK_ASSERT(reader >= 0, "fork: %s", strerror(errno));
    if (reader == 0) { /* reads and drops every answer, until the end */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        char buf[65536];
        while (recv(hog, buf, sizeof buf, 0) > 0)
            ;
        _exit(0);
    }
    tk_send(hog, flood, len, 5000);
    tk_sleep_ms(50);
    struct response r = fetch(s->port, "GET", "/hello.txt");
    TK_ASSERT_INT_EQ(r.status, 200, "a bystander, during the flood");

    size_t built = 0;
    for (;;) {
        const char *line = tk_read_line(s, 10000);
        if (strstr(line, "\"GET /hello.txt\"") != NULL)
            break;
        built += strstr(line, "\"GET /list200/\"") != NULL;
    }
    kill(reader, SIGKILL);
    waitpid(reader, NULL, 0);
    close(hog);
    TK_ASSERT(built <= count / 4, "the server built %zu of the %zu listings that another "
              "client pipelined before it answered a bystander", built, count);
}

static const struct tk_case cases[] = {
    {"serve.location-safe", location_safe},
    {"serve.pipelined-flood", pipelined_flood},
    {"serve.flood-reader-fair", flood_reader_fair},
    {"serve.fifo-index", fifo_index},
    {"serve.http10-chunked-closes", http10_chunked_closes},
    {"serve.listening-and-signals", listening_and_signals},
    {"serve.usage", usage},
    {"serve.files", files},
    {"serve.content-types", content_types},
    {"serve.head", head},
    {"serve.keep-alive", keep_alive},
    {"serve.thousand-requests", thousand_requests},
    {"serve.errors", errors},
    {"serve.traversal", traversal},
    {"serve.directories", directories},
    {"serve.split-at-every-byte", split_at_every_byte},
    {"serve.slow-client", slow_client},
    {"serve.dribbling-client", dribbling_client},
    {"serve.reader-that-stalls", reader_that_stalls},
    {"serve.half-close-answered", half_close_answered},
    {"serve.ipv6", ipv6},
    {"serve.log-lines", log_lines},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}
