/* ex1-http-many - graded tests of exercise 1: several URLs, one connection.
 *
 * The test is the server: it accepts the program's connection, reads each
 * request and answers it, and sees how many connections were opened.
 */
#include "http-test-helpers.h"
#include "testkit.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int listener, port;

static struct tk_proc *start(const char *const *paths)
{
    static char urls[8][128];
    const char *argv[10] = {tk_program("http-many")};
    size_t n = 1;
    listener = tk_listen("127.0.0.1", &port);
    for (; paths[n - 1] != NULL; n++) {
        snprintf(urls[n - 1], sizeof urls[0], "http://127.0.0.1:%d%s", port, paths[n - 1]);
        argv[n] = urls[n - 1];
    }
    argv[n] = NULL;
    return tk_startv(argv);
}

/* Reads the next request and checks its request line. */
static void expect_request(int fd, const char *path, bool last)
{
    char req[8192], want[256];
    TK_ASSERT(read_request(fd, req, sizeof req) > 0, "expected a request for %s", path);
    snprintf(want, sizeof want, "GET %s HTTP/1.1\r\n", path);
    TK_ASSERT(strncmp(req, want, strlen(want)) == 0, "expected %s, got:\n%s", want, req);
    bool says_close = strstr(req, "\r\nConnection: close\r\n") != NULL;
    TK_ASSERT(says_close == last, "%s should %s Connection: close:\n%s", path,
              last ? "send" : "not send", req);
}

static void finish(struct tk_proc *p, const char *output)
{
    int status = tk_wait(p, 10000);
    TK_ASSERT(WIFEXITED(status), "it should exit");
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit code");
    TK_ASSERT_BYTES_EQ(p->out_text, p->out_len, output, strlen(output), "stdout");
    TK_ASSERT(!tk_readable(listener, 0), "a second connection was opened");
}

static void one_connection(void)
{
    struct tk_proc *p = start((const char *const[]){"/a", "/b", "/c", NULL});
    int fd = tk_accept(listener, 5000);
    const char *paths[] = {"/a", "/b", "/c"};
    for (int i = 0; i < 3; i++) {
        expect_request(fd, paths[i], i == 2);
        char response[128];
        snprintf(response, sizeof response,
                 "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nbody-%c\n", 'a' + i);
        send_text(fd, response);
    }
    finish(p, "body-a\nbody-b\nbody-c\n");
    close(fd);
}

static void mixed_framing(void)
{
    struct tk_proc *p = start((const char *const[]){"/1", "/2", "/3", "/4", NULL});
    int fd = tk_accept(listener, 5000);
    expect_request(fd, "/1", false);
    send_text(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n1\r\n\n\r\n0\r\n\r\n");
    expect_request(fd, "/2", false);
    send_text(fd, "HTTP/1.1 204 No Content\r\n\r\n");
    expect_request(fd, "/3", false);
    send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ntwo\n");
    expect_request(fd, "/4", true);
    send_text(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the close\n");
    close(fd);
    finish(p, "one\ntwo\nuntil the close\n");
}

static void dribbled(void)
{
    struct tk_proc *p = start((const char *const[]){"/x", "/y", NULL});
    int fd = tk_accept(listener, 5000);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const char *responses[] = {"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nfirst\n",
                               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "7\r\nsecond\n\r\n0\r\n\r\n"};
    for (int i = 0; i < 2; i++) {
        expect_request(fd, i ? "/y" : "/x", i == 1);
        for (const char *c = responses[i]; *c; c++) {
            tk_send(fd, c, 1, 5000);
            tk_sleep_ms(1);
        }
    }
    finish(p, "first\nsecond\n");
    close(fd);
}

/* A server that closes after a response: the program must connect again
 * for what is left, and only then. */
static void server_closes(void)
{
    struct tk_proc *p = start((const char *const[]){"/a", "/b", "/c", NULL});
    int fd = tk_accept(listener, 5000);
    expect_request(fd, "/a", false);
    send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\na\n");
    expect_request(fd, "/b", false);
    send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nb\n");
    close(fd);
    fd = tk_accept(listener, 5000);
    expect_request(fd, "/c", true);
    send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nc\n");
    finish(p, "a\nb\nc\n");
    close(fd);
}

static const struct tk_case cases[] = {
    {"one-connection", one_connection},
    {"mixed-framing", mixed_framing},
    {"dribbled", dribbled},
    {"server-closes", server_closes},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}
