/* ex3-hello-serve - graded tests of exercise 3: dynamic routes. */
#include "http-test-helpers.h"
#include "testkit.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct tk_proc *server;
static int conn = -1;

/* One request on the test's kept-alive connection; the response. */
static struct response ask(const char *method, const char *target)
{
    if (server == NULL)
        server = tk_start_server(tk_program("hello-serve"), "0", (char *)NULL);
    if (conn < 0)
        conn = tk_connect("127.0.0.1", server->port);
    char request[1024];
    snprintf(request, sizeof request, "%s %s HTTP/1.1\r\nHost: t\r\n\r\n", method, target);
    send_text(conn, request);
    return read_response(conn, strcmp(method, "HEAD") == 0);
}

static void expect(const char *target, int status, const char *body)
{
    struct response r = ask("GET", target);
    TK_ASSERT(r.status == status, "GET %s: status %d, expected %d", target, r.status, status);
    if (body != NULL)
        TK_ASSERT_BYTES_EQ(r.body, r.body_len, body, strlen(body), target);
}

static void hello(void)
{
    expect("/hello/world", 200, "Hello, world!\n");
    expect("/hello/Ada%20Lovelace", 200, "Hello, Ada Lovelace!\n");
    expect("/hello/x?query=ignored", 200, "Hello, x!\n");
}

static void add(void)
{
    expect("/add/2/40", 200, "42\n");
    expect("/add/-5/3", 200, "-2\n");
    expect("/add/0/0", 200, "0\n");
}

static void add_refuses(void)
{
    expect("/add/1/2", 200, "3\n");
    expect("/add/x/1", 400, NULL);
    expect("/add/1/2.5", 400, NULL);
    expect("/add/9223372036854775807/1", 400, NULL);
    expect("/add/1/2", 200, "3\n");
}

static void not_found(void)
{
    expect("/hello/you", 200, "Hello, you!\n");
    expect("/hello/", 404, NULL);
    expect("/hello/a/b", 404, NULL);
    expect("/add/1", 404, NULL);
    expect("/nothing", 404, NULL);
    expect("/hello/you", 200, "Hello, you!\n");
}

static void methods(void)
{
    expect("/hello/get", 200, "Hello, get!\n");
    struct response r = ask("POST", "/hello/post");
    TK_ASSERT_INT_EQ(r.status, 405, "POST");
    r = ask("HEAD", "/hello/head");
    TK_ASSERT_INT_EQ(r.status, 200, "HEAD");
    TK_ASSERT_STR_EQ(header_of(&r, "Content-Length"), "13", "HEAD's Content-Length");
    expect("/hello/after", 200, "Hello, after!\n");
}

static void keep_alive(void)
{
    for (int i = 0; i < 200; i++) {
        char target[64], body[64];
        snprintf(target, sizeof target, "/add/%d/%d", i, i);
        snprintf(body, sizeof body, "%d\n", 2 * i);
        expect(target, 200, body);
    }
}

static void split_request(void)
{
    server = tk_start_server(tk_program("hello-serve"), "0", (char *)NULL);
    const char *request = "GET /hello/split HTTP/1.1\r\nHost: t\r\n\r\n";
    size_t len = strlen(request);
    for (size_t cut = 1; cut < len; cut++) {
        int fd = tk_connect("127.0.0.1", server->port);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        tk_send(fd, request, cut, 5000);
        tk_sleep_ms(2);
        tk_send(fd, request + cut, len - cut, 5000);
        struct response r = read_response(fd, false);
        TK_ASSERT_BYTES_EQ(r.body, r.body_len, "Hello, split!\n", 14, "split request");
        close(fd);
    }
}

static const struct tk_case cases[] = {
    {"hello", hello},
    {"add", add},
    {"add-refuses", add_refuses},
    {"not-found", not_found},
    {"methods", methods},
    {"keep-alive", keep_alive},
    {"split-request", split_request},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}
