/* Graded tests of exercise 1: the "reverse" action of reverse-server. */
#include "testkit.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int connect_to_server(void)
{
    struct tk_proc *server =
        tk_start_server(tk_program("reverse-server"), "127.0.0.1", "0", NULL);
    return wire_connect(server->port);
}

/* Sends {"action": "reverse", "value": "VALUE"} and returns the answer's
 * content (static until the next call). */
static const char *reverse(int fd, const char *value_json)
{
    static char content[4096];
    struct wire_msg m = wire_request("reverse", value_json);
    tk_send(fd, m.data, m.len, WAIT_MS);
    wire_free(&m);
    struct wire_reply r;
    wire_read_reply(fd, &r);
    wire_check_header(&r, "text/json", "utf-8");
    snprintf(content, sizeof content, "%s", r.content);
    wire_reply_free(&r);
    return content;
}

static void expect_result(int fd, const char *value_json, const char *expected)
{
    const char *content = reverse(fd, value_json);
    char result[1024];
    TK_ASSERT(wire_string_field(content, "result", result, sizeof result),
              "reversing \"%s\": the answer has no \"result\": %s", value_json, content);
    TK_ASSERT_STR_EQ(result, expected, "the reversed text");
}

static void ascii(void)
{
    int fd = connect_to_server();
    expect_result(fd, "stressed", "desserts");
    expect_result(fd, "a", "a");
    expect_result(fd, "ab cd", "dc ba");
    close(fd);
}

/* Characters of 2, 3 and 4 bytes stay whole. */
static void utf8(void)
{
    int fd = connect_to_server();
    expect_result(fd, "n\xc3\xa9", "\xc3\xa9n");
    expect_result(fd, "\xe2\x82\xac" "1", "1\xe2\x82\xac");
    expect_result(fd, "x\xf0\x9f\x98\x80y\xcf\x80", "\xcf\x80y\xf0\x9f\x98\x80x");
    /* Written as escapes in the request, the same characters. */
    expect_result(fd, "\\u00e9\\ud83d\\ude00", "\xf0\x9f\x98\x80\xc3\xa9");
    close(fd);
}

static void empty(void)
{
    int fd = connect_to_server();
    expect_result(fd, "", "");
    close(fd);
}

/* A value that is not a string gets an error naming "value"; the
 * connection goes on. */
static void needs_string(void)
{
    int fd = connect_to_server();
    static const char content[] = "{\"action\": \"reverse\", \"value\": 12}";
    struct wire_msg m = wire_message("text/json", "utf-8", content, sizeof content - 1);
    tk_send(fd, m.data, m.len, WAIT_MS);
    wire_free(&m);
    struct wire_reply r;
    wire_read_reply(fd, &r);
    char error[256];
    TK_ASSERT(wire_string_field(r.content, "error", error, sizeof error),
              "a number to reverse should get an \"error\": %s", r.content);
    TK_ASSERT(strstr(error, "value") != NULL, "the error should name \"value\": %s", error);
    wire_reply_free(&r);
    expect_result(fd, "ok", "ko");
    close(fd);
}

/* The action is compared whole, its length included: a NUL inside the
 * string ("reverse\u0000x") makes another action, which gets an error. */
static void exact_action(void)
{
    int fd = connect_to_server();
    static const char content[] = "{\"action\": \"reverse\\u0000x\", \"value\": \"ab\"}";
    struct wire_msg m = wire_message("text/json", "utf-8", content, sizeof content - 1);
    tk_send(fd, m.data, m.len, WAIT_MS);
    wire_free(&m);
    struct wire_reply r;
    wire_read_reply(fd, &r);
    char error[256];
    TK_ASSERT(wire_string_field(r.content, "error", error, sizeof error),
              "the action \"reverse\\u0000x\" is not \"reverse\": expected an \"error\", "
              "got %s", r.content);
    wire_reply_free(&r);
    expect_result(fd, "ab", "ba");
    close(fd);
}

static void pipelined(void)
{
    int fd = connect_to_server();
    struct wire_msg parts[10];
    for (int i = 0; i < 10; i++) {
        char value[32];
        snprintf(value, sizeof value, "%d-abc", i);
        parts[i] = wire_request("reverse", value);
    }
    struct wire_msg all = wire_concat(parts, 10);
    tk_send(fd, all.data, all.len, WAIT_MS);
    wire_free(&all);
    for (int i = 0; i < 10; i++) {
        struct wire_reply r;
        wire_read_reply(fd, &r);
        char result[64], expected[32];
        snprintf(expected, sizeof expected, "cba-%d", i);
        TK_ASSERT(wire_string_field(r.content, "result", result, sizeof result),
                  "answer %d: %s", i, r.content);
        TK_ASSERT_STR_EQ(result, expected, "a pipelined answer");
        wire_reply_free(&r);
    }
    close(fd);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"ascii", ascii},         {"utf8", utf8},           {"empty", empty},
        {"needs-string", needs_string}, {"pipelined", pipelined},
        {"exact-action", exact_action}, {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
