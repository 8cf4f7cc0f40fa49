/* Graded tests of exercise 2: app-pipeline, a client that pipelines. */
#include "testkit.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *port_text(int port)
{
    static char text[16];
    snprintf(text, sizeof text, "%d", port);
    return text;
}

/* Reads one search request and checks its value. */
static void expect_request(int fd, const char *value)
{
    struct wire_reply req;
    wire_read_reply(fd, &req);
    char got[256];
    TK_ASSERT(wire_string_field(req.content, "action", got, sizeof got) &&
                  strcmp(got, "search") == 0, "not a search: %s", req.content);
    TK_ASSERT(wire_string_field(req.content, "value", got, sizeof got),
              "no value: %s", req.content);
    TK_ASSERT_STR_EQ(got, value, "the value of the next request");
    wire_reply_free(&req);
}

static struct wire_msg answer(const char *result)
{
    char content[256];
    int n = snprintf(content, sizeof content, "{\"result\": \"%s\"}", result);
    return wire_message("text/json", "utf-8", content, (size_t)n);
}

/* The test plays the server, and answers nothing until every request is
 * in: a client that waits for each answer before the next request never
 * gets one. */
static void pipelines(void)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    struct tk_proc *c = tk_start(tk_program("app-pipeline"), "127.0.0.1", port_text(port),
                                 "one", "two", "three", "four", "five", NULL);
    int fd = tk_accept(listener, WAIT_MS);
    const char *values[] = {"one", "two", "three", "four", "five"};
    for (int i = 0; i < 5; i++)
        expect_request(fd, values[i]);
    struct wire_msg parts[5] = {answer("1"), answer("2"), answer("3"), answer("4"),
                                answer("5")};
    struct wire_msg all = wire_concat(parts, 5);
    tk_send(fd, all.data, all.len, WAIT_MS);
    wire_free(&all);
    tk_wait(c, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "app-pipeline's exit status");
    TK_ASSERT_STR_EQ(c->out_text ? c->out_text : "",
                     "one: 1\ntwo: 2\nthree: 3\nfour: 4\nfive: 5\n", "app-pipeline's output");
    close(fd);
    close(listener);
}

static void dribbled_answers(void)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    struct tk_proc *c = tk_start(tk_program("app-pipeline"), "127.0.0.1", port_text(port),
                                 "a", "b", "c", NULL);
    int fd = tk_accept(listener, WAIT_MS);
    expect_request(fd, "a");
    expect_request(fd, "b");
    expect_request(fd, "c");
    struct wire_msg parts[3] = {answer("x \\u00e9"), answer("y"), answer("z")};
    struct wire_msg all = wire_concat(parts, 3);
    for (size_t i = 0; i < all.len; i++) {
        tk_send(fd, all.data + i, 1, WAIT_MS);
        if (i % 8 == 0)
            tk_sleep_ms(1);
    }
    wire_free(&all);
    tk_wait(c, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "app-pipeline's exit status");
    TK_ASSERT_STR_EQ(c->out_text ? c->out_text : "", "a: x \xc3\xa9\nb: y\nc: z\n",
                     "app-pipeline's output");
    close(fd);
    close(listener);
}

static void real_server(void)
{
    struct tk_proc *server = tk_start_server(tk_program("app-server"), "127.0.0.1", "0", NULL);
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("app-pipeline"), "127.0.0.1",
                               port_text(server->port), "tcp", "\xcf\x80", "nothing", "udp",
                               NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "app-pipeline's exit status");
    TK_ASSERT_STR_EQ(c->out_text ? c->out_text : "",
                     "tcp: a reliable, ordered byte stream, with no message boundaries\n"
                     "\xcf\x80: \xe2\x89\x88 3.14159\n"
                     "nothing: no match for \"nothing\"\n"
                     "udp: datagrams: boundaries kept, delivery not promised\n",
                     "app-pipeline's output");
}

static void many(void)
{
    struct tk_proc *server = tk_start_server(tk_program("app-server"), "127.0.0.1", "0", NULL);
    enum { COUNT = 200 };
    const char *argv[COUNT + 5];
    static char values[COUNT][16];
    argv[0] = tk_program("app-pipeline");
    argv[1] = "127.0.0.1";
    argv[2] = port_text(server->port);
    for (int i = 0; i < COUNT; i++) {
        snprintf(values[i], sizeof values[i], "v%d", i);
        argv[3 + i] = values[i];
    }
    argv[3 + COUNT] = NULL;
    struct tk_proc *c = tk_startv(argv);
    tk_wait(c, 20000);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "app-pipeline's exit status");
    const char *at = c->out_text ? c->out_text : "";
    for (int i = 0; i < COUNT; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "v%d: no match for \"v%d\"\n", i, i);
        TK_ASSERT(strncmp(at, line, (size_t)n) == 0, "line %d should be \"%.*s\"", i + 1,
                  n - 1, line);
        at += n;
    }
    TK_ASSERT(*at == '\0', "more output than answers: %s", at);
}

/* The server answers two of three requests and goes away. */
static void early_close(void)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    struct tk_proc *c = tk_start(tk_program("app-pipeline"), "127.0.0.1", port_text(port),
                                 "a", "b", "c", NULL);
    int fd = tk_accept(listener, WAIT_MS);
    expect_request(fd, "a");
    expect_request(fd, "b");
    expect_request(fd, "c");
    struct wire_msg parts[2] = {answer("1"), answer("2")};
    struct wire_msg two = wire_concat(parts, 2);
    tk_send(fd, two.data, two.len, WAIT_MS);
    wire_free(&two);
    close(fd);
    tk_wait(c, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "exit status when an answer is missing");
    TK_ASSERT_STR_EQ(c->out_text ? c->out_text : "", "a: 1\nb: 2\n", "the answers that came");
    tk_assert_one_error_line(c, "app-pipeline", "2 of 3", NULL);
    close(listener);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"pipelines", pipelines},     {"dribbled-answers", dribbled_answers},
        {"real-server", real_server}, {"many", many},
        {"early-close", early_close}, {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
