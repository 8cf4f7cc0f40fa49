/* Tests of app-server, app-client and boundaries-demo: every promise of the
 * interface for chapter 04, bad input of every kind, and an outside client. */
#define _XOPEN_SOURCE 700 /* posix_openpt() and friends, for the terminal case */
#include "testkit.h"
#include "wire.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TCP_RESULT "a reliable, ordered byte stream, with no message boundaries"
#define PI_RESULT "\xe2\x89\x88 3.14159"

static struct tk_proc *start_server(void)
{
    return tk_start_server(tk_program("app-server"), "127.0.0.1", "0", NULL);
}

static char *port_text(int port)
{
    static char text[16];
    snprintf(text, sizeof text, "%d", port);
    return text;
}

/* ---- command lines and signals ------------------------------------------------ */

static void server_help(void)
{
    tk_assert_help(tk_program("app-server"));
}

static void server_bad_usage(void)
{
    const char *server = tk_program("app-server");
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server, NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server, "127.0.0.1", "0", "x", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server, "-x", "0", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, server, "--max-content", "ten", "0", NULL));
}

static void client_help(void)
{
    tk_assert_help(tk_program("app-client"));
}

static void client_bad_usage(void)
{
    const char *client = tk_program("app-client");
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, "127.0.0.1", "1", "search", NULL));
    tk_assert_usage_error(tk_run(NULL, 0, WAIT_MS, client, "--binary", "127.0.0.1", "1", NULL));
}

static void listening_line(void)
{
    struct tk_proc *server = tk_start_server(tk_program("app-server"), "0", NULL);
    char expected[64];
    snprintf(expected, sizeof expected, "127.0.0.1:%d", server->port);
    TK_ASSERT_STR_EQ(server->address, expected, "the listening address (default host)");
    int fd = wire_connect(server->port);
    wire_search(fd, "tcp", TCP_RESULT);
    close(fd);
}

static void listening_line_ipv6(void)
{
    if (!tk_have_ipv6_loopback())
        tk_skip("this machine has no IPv6 loopback");
    struct tk_proc *server = tk_start_server(tk_program("app-server"), "::1", "0", NULL);
    char expected[64];
    snprintf(expected, sizeof expected, "[::1]:%d", server->port);
    TK_ASSERT_STR_EQ(server->address, expected, "the listening address");
    int fd = tk_connect("::1", server->port);
    wire_search(fd, "udp", "datagrams: boundaries kept, delivery not promised");
    close(fd);
}

/* Clients that send many requests and vanish without reading the answers
 * (some with a reset): the server's sends fail with EPIPE or ECONNRESET,
 * which must not kill it (SIGPIPE). */
static void clients_vanish(void)
{
    struct tk_proc *server = start_server();
    struct wire_msg parts[200];
    for (int i = 0; i < 200; i++)
        parts[i] = wire_message("binary/x", "binary", "0123456789abcdef0123456789abcdef", 32);
    struct wire_msg all = wire_concat(parts, 200);
    for (int i = 0; i < 10; i++) {
        int fd = wire_connect(server->port);
        tk_send(fd, all.data, all.len, WAIT_MS);
        if (i % 2)
            tk_reset(fd);
        else
            close(fd);
    }
    wire_free(&all);
    int fd = wire_connect(server->port);
    wire_search(fd, "tcp", TCP_RESULT);
    close(fd);
    TK_ASSERT(tk_still_running(server, 100), "the server died after clients vanished");
}

static void stops_on(int signo)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    wire_search(fd, "tcp", TCP_RESULT);
    int status = tk_stop(server, signo, WAIT_MS);
    TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the server should exit with status 0 after signal %d", signo);
    close(fd);
}

static void sigint_exits_0(void)
{
    stops_on(SIGINT);
}

static void sigterm_exits_0(void)
{
    stops_on(SIGTERM);
}

/* ---- answers ---------------------------------------------------------------------- */

static void search_known(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    wire_search(fd, "tcp", TCP_RESULT);
    wire_search(fd, "udp", "datagrams: boundaries kept, delivery not promised");
    wire_search(fd, "framing", "a length first, then exactly that many bytes");
    wire_search(fd, "json", "text for structured data, RFC 8259");
    close(fd);
}

static void search_no_match(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    const char *result = wire_search(fd, "no such thing", NULL);
    TK_ASSERT(strlen(result) > 0, "a \"no match\" answer should say something");
    TK_ASSERT(strcmp(result, TCP_RESULT) != 0, "a value not in the table matched");
    /* The connection goes on after a "no match". */
    wire_search(fd, "tcp", TCP_RESULT);
    close(fd);
}

/* "π" as raw UTF-8 and as a \u escape is the same value. */
static void search_utf8(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    wire_search(fd, "\xcf\x80", PI_RESULT);
    wire_search(fd, "\\u03c0", PI_RESULT);
    wire_search(fd, "\\u0074cp", TCP_RESULT);
    close(fd);
}

static void check_binary_answer(int fd, const void *content, size_t len)
{
    struct wire_msg m = wire_message("binary/custom-client-binary-type", "binary",
                                     content, len);
    tk_send(fd, m.data, m.len, WAIT_MS);
    wire_free(&m);
    struct wire_reply r;
    wire_read_reply(fd, &r);
    wire_check_header(&r, "binary/custom-server-binary-type", "binary");
    if (len > 0)
        TK_ASSERT(r.content_len > 0, "the binary answer to %zu bytes is empty", len);
    TK_ASSERT(r.content_len <= len, "the answer has more bytes (%zu) than the request (%zu)",
              r.content_len, len);
    TK_ASSERT_BYTES_EQ(r.content, r.content_len, content, r.content_len,
                       "the first bytes of the request");
    wire_reply_free(&r);
}

static void binary_answer(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)(255 - i);
    check_binary_answer(fd, all, sizeof all);
    check_binary_answer(fd, "short", 5);
    check_binary_answer(fd, "", 0);
    /* Any type but text/json (with utf-8) is opaque: even JSON-looking text. */
    struct wire_msg m = wire_message("text/plain", "utf-8", "{\"action\": \"search\"}", 20);
    tk_send(fd, m.data, m.len, WAIT_MS);
    wire_free(&m);
    struct wire_reply r;
    wire_read_reply(fd, &r);
    wire_check_header(&r, "binary/custom-server-binary-type", "binary");
    wire_reply_free(&r);
    close(fd);
}

/* Any other action gets the answer the protocol names, a "result" that
 * says so, and the connection stays open. */
static void invalid_action_answered(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    static const struct {
        const char *content, *result;
    } cases[] = {
        {"{\"action\": \"frobnicate\", \"value\": \"x\"}", "Error: invalid action 'frobnicate'."},
        {"{\"action\": \"\", \"value\": \"x\"}", "Error: invalid action ''."},
        /* Not "search": the NUL is part of the name, so strcmp() would lie. */
        {"{\"action\": \"search\\u0000zzz\", \"value\": \"tcp\"}",
         "Error: invalid action 'search\\u0000zzz'."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct wire_msg m = wire_message("text/json", "utf-8", cases[i].content,
                                         strlen(cases[i].content));
        tk_send(fd, m.data, m.len, WAIT_MS);
        wire_free(&m);
        struct wire_reply r;
        wire_read_reply(fd, &r);
        wire_check_header(&r, "text/json", "utf-8");
        char expected[256];
        snprintf(expected, sizeof expected, "{\"result\": \"%s\"}", cases[i].result);
        TK_ASSERT_STR_EQ(r.content, expected, "the answer to an invalid action");
        wire_reply_free(&r);
    }
    wire_search(fd, "tcp", TCP_RESULT);
    close(fd);
}

/* A JSON request that is not one at all is answered with an "error", not
 * dropped: the stream is still in step. */
static void bad_request_answered(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    const char *contents[] = {"{\"value\": \"x\"}", "not json at all",
                              "{\"action\": 7, \"value\": \"x\"}",
                              "{\"action\": \"search\", \"value\": 7}"};
    for (size_t i = 0; i < sizeof contents / sizeof contents[0]; i++) {
        struct wire_msg m = wire_message("text/json", "utf-8", contents[i],
                                         strlen(contents[i]));
        tk_send(fd, m.data, m.len, WAIT_MS);
        wire_free(&m);
        struct wire_reply r;
        wire_read_reply(fd, &r);
        wire_check_header(&r, "text/json", "utf-8");
        char error[256];
        TK_ASSERT(wire_string_field(r.content, "error", error, sizeof error),
                  "the answer to %s should carry an \"error\": %s", contents[i], r.content);
        wire_reply_free(&r);
    }
    wire_search(fd, "tcp", TCP_RESULT);
    close(fd);
}

static void header_extra_keys(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    static const char content[] = "{\"action\": \"search\", \"value\": \"udp\"}";
    char header[512];
    snprintf(header, sizeof header,
             " {\"x-note\": \"keys beyond the four are allowed\",\n"
             "\"content-length\":%zu,\"content-encoding\":\"utf-8\",\"byteorder\":\"little\","
             "\"content-type\":\"text/json\", \"x-n\": -3, \"x-b\": true, \"x-z\": null,"
             "\"x-extra\": [1, {\"a\": null}], \"x-o\": {\"content-length\": \"inner\"},"
             "\"x-f\": 2.5e-3} ",
             sizeof content - 1);
    struct wire_msg m = wire_raw(header, content, sizeof content - 1);
    tk_send(fd, m.data, m.len, WAIT_MS);
    wire_free(&m);
    struct wire_reply r;
    wire_read_reply(fd, &r);
    char result[256];
    TK_ASSERT(wire_string_field(r.content, "result", result, sizeof result),
              "no result in %s", r.content);
    TK_ASSERT_STR_EQ(result, "datagrams: boundaries kept, delivery not promised", "result");
    wire_reply_free(&r);
    close(fd);
}

/* A megabyte of content with 95,000 keys, answered: reading it must take
 * time in proportion to its size.  Finding duplicate keys by comparing
 * each key with all before it once froze the server (and every client of
 * it) for 18.7 s of CPU time on such a request.  The bound is on the CPU
 * time the server spends, not on the clock: a loaded machine, or the
 * sanitizers, stretch the one and hardly the other.  A bystander who asks
 * meanwhile is answered, and so is the attacker. */
static void many_keys_attack(void)
{
    struct tk_proc *server = start_server();
    int bystander = wire_connect(server->port);
    wire_search(bystander, "tcp", TCP_RESULT);

    size_t cap = 1024 * 1024, len = 0;
    char *content = tk_alloc(cap);
    len += (size_t)snprintf(content, cap, "{\"action\": \"search\", \"value\": \"udp\"");
    for (int i = 0; i < 95000; i++)
        len += (size_t)snprintf(content + len, cap - len, ",\"k%d\":0", i);
    len += (size_t)snprintf(content + len, cap - len, "}");
    TK_ASSERT(len < cap, "the content fits the server's limit");

    long cpu_before = tk_cpu_ms(server->pid);
    int attacker = wire_connect(server->port);
    struct wire_msg m = wire_message("text/json", "utf-8", content, len);
    tk_send(attacker, m.data, m.len, WAIT_MS);
    wire_free(&m);
    free(content);
    struct wire_msg ask = wire_request("search", "json");
    tk_send(bystander, ask.data, ask.len, WAIT_MS);
    wire_free(&ask);
    /* Within the time the old check took, on any machine. */
    TK_ASSERT(tk_readable(bystander, 30000), "the bystander was not answered within 30 s");
    struct wire_reply r;
    char result[256];
    wire_read_reply(bystander, &r);
    TK_ASSERT(wire_string_field(r.content, "result", result, sizeof result), "%s", r.content);
    TK_ASSERT_STR_EQ(result, "text for structured data, RFC 8259", "the bystander's result");
    wire_reply_free(&r);
    TK_ASSERT(tk_readable(attacker, 30000), "the attacker was not answered within 30 s");
    wire_read_reply(attacker, &r);
    long cpu_ms = tk_cpu_ms(server->pid) - cpu_before;
    TK_ASSERT(cpu_ms < 4000, "reading 95000 keys took the server %ld ms of CPU time", cpu_ms);
    TK_ASSERT(wire_string_field(r.content, "result", result, sizeof result), "%s", r.content);
    TK_ASSERT_STR_EQ(result, "datagrams: boundaries kept, delivery not promised", "result");
    wire_reply_free(&r);
    close(attacker);
    close(bystander);
}

/* A client that starts a message and goes quiet is closed after the idle
 * timeout, with a log line; the others are served meanwhile. */
static void idle_timeout(void)
{
    struct tk_proc *server = tk_start_server(tk_program("app-server"), "--idle-timeout", "1",
                                             "127.0.0.1", "0", NULL);
    int quiet = wire_connect(server->port);
    struct wire_msg m = wire_request("search", "tcp");
    long long start = tk_now_ms();
    tk_send(quiet, m.data, m.len - 3, WAIT_MS);
    wire_free(&m);
    int other = wire_connect(server->port);
    wire_search(other, "tcp", TCP_RESULT);
    wire_expect_closed(quiet);
    long long took = tk_now_ms() - start;
    TK_ASSERT(took >= 900 && took < 4000, "closed after %lld ms, with a timeout of 1 s", took);
    wire_wait_log(server, "idle for too long");
    close(quiet);
    close(other);
}

/* Many connections that each hold most of a 1 MiB message: past the
 * memory budget the biggest holders are closed, and everybody else is
 * served.  Without a budget, 150 such connections held 161 MB for ever. */
static void memory_budget(void)
{
    struct tk_proc *server = tk_start_server(tk_program("app-server"), "--max-memory",
                                             "8000000", "127.0.0.1", "0", NULL);
    int bystander = wire_connect(server->port);
    wire_search(bystander, "tcp", TCP_RESULT);
    enum { HOLDERS = 20, HELD = 1000000 };
    char header[256];
    snprintf(header, sizeof header,
             "{\"byteorder\": \"big\", \"content-type\": \"b\", \"content-encoding\": \"b\", "
             "\"content-length\": %d}", 1048575);
    char *content = tk_alloc(HELD);
    memset(content, 'x', HELD);
    struct wire_msg m = wire_raw(header, content, HELD);
    free(content);
    int holders[HOLDERS];
    for (int i = 0; i < HOLDERS; i++) {
        holders[i] = wire_connect(server->port);
        tk_send(holders[i], m.data, m.len, WAIT_MS);
    }
    wire_free(&m);
    /* 8 MB hold 7 such messages: at least 13 connections must go. */
    for (int i = 0; i < HOLDERS - 7; i++)
        wire_wait_log(server, "over the memory budget of 8000000 bytes");
    wire_search(bystander, "udp", "datagrams: boundaries kept, delivery not promised");
    int newcomer = wire_connect(server->port);
    wire_search(newcomer, "json", "text for structured data, RFC 8259");
    close(newcomer);
    for (int i = 0; i < HOLDERS; i++)
        close(holders[i]);
    close(bystander);
}

/* ---- streams: pieces and pipelines ------------------------------------------------- */

static void many_requests_one_connection(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    for (int i = 0; i < 300; i++) {
        if (i % 2 == 0) {
            wire_search(fd, "json", "text for structured data, RFC 8259");
        } else {
            char content[32];
            int n = snprintf(content, sizeof content, "request %d", i);
            check_binary_answer(fd, content, (size_t)n);
        }
    }
    close(fd);
}

/* Five requests in one send(); five answers, in order. */
static void pipelined_five(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    struct wire_msg parts[5] = {
        wire_request("search", "tcp"),
        wire_message("binary/x", "binary", "second", 6),
        wire_request("search", "udp"),
        wire_request("search", "nothing here"),
        wire_message("binary/x", "binary", "fifth", 5),
    };
    struct wire_msg all = wire_concat(parts, 5);
    tk_send(fd, all.data, all.len, WAIT_MS);
    wire_free(&all);

    struct wire_reply r;
    char result[256];
    wire_read_reply(fd, &r);
    TK_ASSERT(wire_string_field(r.content, "result", result, sizeof result), "answer 1");
    TK_ASSERT_STR_EQ(result, TCP_RESULT, "answer 1");
    wire_reply_free(&r);
    wire_read_reply(fd, &r);
    TK_ASSERT_BYTES_EQ(r.content, r.content_len, "second", 6, "answer 2");
    wire_reply_free(&r);
    wire_read_reply(fd, &r);
    TK_ASSERT(wire_string_field(r.content, "result", result, sizeof result), "answer 3");
    TK_ASSERT_STR_EQ(result, "datagrams: boundaries kept, delivery not promised", "answer 3");
    wire_reply_free(&r);
    wire_read_reply(fd, &r);
    TK_ASSERT(wire_string_field(r.content, "result", result, sizeof result), "answer 4");
    TK_ASSERT(strcmp(result, TCP_RESULT) != 0, "answer 4 should be a no match");
    wire_reply_free(&r);
    wire_read_reply(fd, &r);
    TK_ASSERT_BYTES_EQ(r.content, r.content_len, "fifth", 5, "answer 5");
    wire_reply_free(&r);
    TK_ASSERT(!tk_readable(fd, 100), "a sixth answer came for five requests");
    close(fd);
}

/* One request cut in two at every position: header length, header and
 * content each get cut. */
static void split_everywhere(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    struct wire_msg m = wire_request("search", "tcp");
    for (size_t cut = 1; cut < m.len; cut++) {
        tk_send(fd, m.data, cut, WAIT_MS);
        /* Give the first piece time to be read on its own. */
        TK_ASSERT(!tk_readable(fd, 3), "an answer came after %zu of %zu bytes", cut, m.len);
        tk_send(fd, m.data + cut, m.len - cut, WAIT_MS);
        struct wire_reply r;
        char result[256];
        wire_read_reply(fd, &r);
        TK_ASSERT(wire_string_field(r.content, "result", result, sizeof result) &&
                      strcmp(result, TCP_RESULT) == 0,
                  "wrong answer with the request cut after byte %zu: %s", cut, r.content);
        wire_reply_free(&r);
    }
    wire_free(&m);
    close(fd);
}

static void one_byte_at_a_time(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    unsigned char content[300];
    tk_fill_pattern(content, sizeof content, 4);
    struct wire_msg parts[2] = {
        wire_request("search", "\\u03c0"),
        wire_message("application/octet-stream", "binary", content, sizeof content),
    };
    struct wire_msg both = wire_concat(parts, 2);
    for (size_t i = 0; i < both.len; i++) {
        tk_send(fd, both.data + i, 1, WAIT_MS);
        if (i % 16 == 0)
            tk_sleep_ms(1);
    }
    wire_free(&both);
    struct wire_reply r;
    char result[256];
    wire_read_reply(fd, &r);
    TK_ASSERT(wire_string_field(r.content, "result", result, sizeof result), "answer 1");
    TK_ASSERT_STR_EQ(result, PI_RESULT, "answer to the dribbled search");
    wire_reply_free(&r);
    wire_read_reply(fd, &r);
    TK_ASSERT_BYTES_EQ(r.content, r.content_len, content, r.content_len,
                       "answer to the dribbled binary request");
    TK_ASSERT(r.content_len > 0, "empty answer to the dribbled binary request");
    wire_reply_free(&r);
    close(fd);
}

/* Two and a half messages in one send, then the other half. */
static void glued_and_cut(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    struct wire_msg parts[3] = {wire_request("search", "tcp"), wire_request("search", "json"),
                                wire_request("search", "udp")};
    struct wire_msg all = wire_concat(parts, 3);
    size_t cut = all.len - 20;
    tk_send(fd, all.data, cut, WAIT_MS);
    struct wire_reply r;
    char result[256];
    wire_read_reply(fd, &r);
    TK_ASSERT(wire_string_field(r.content, "result", result, sizeof result) &&
                  strcmp(result, TCP_RESULT) == 0, "first answer: %s", r.content);
    wire_reply_free(&r);
    wire_read_reply(fd, &r);
    wire_reply_free(&r);
    TK_ASSERT(!tk_readable(fd, 100), "the third answer came before its last 20 bytes");
    tk_send(fd, all.data + cut, all.len - cut, WAIT_MS);
    wire_read_reply(fd, &r);
    TK_ASSERT(wire_string_field(r.content, "result", result, sizeof result) &&
                  strcmp(result, "datagrams: boundaries kept, delivery not promised") == 0,
              "third answer: %s", r.content);
    wire_reply_free(&r);
    wire_free(&all);
    close(fd);
}

/* Content of exactly the default limit (1 MiB) is accepted. */
static void content_at_limit(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    size_t len = 1024 * 1024;
    char *content = tk_alloc(len);
    tk_fill_pattern(content, len, 7);
    check_binary_answer(fd, content, len);
    free(content);
    close(fd);
}

/* Many clients each send half a request, then the other half: an event-
 * driven server holds all of them at once. */
static void many_half_requests(void)
{
    struct tk_proc *server = start_server();
    enum { CLIENTS = 50 };
    int fds[CLIENTS];
    struct wire_msg m = wire_request("search", "framing");
    for (int i = 0; i < CLIENTS; i++) {
        fds[i] = wire_connect(server->port);
        tk_send(fds[i], m.data, m.len / 2, WAIT_MS);
    }
    for (int i = CLIENTS - 1; i >= 0; i--)
        tk_send(fds[i], m.data + m.len / 2, m.len - m.len / 2, WAIT_MS);
    for (int i = 0; i < CLIENTS; i++) {
        struct wire_reply r;
        wire_read_reply(fds[i], &r);
        TK_ASSERT(strstr(r.content, "a length first") != NULL, "client %d: %s", i, r.content);
        wire_reply_free(&r);
        close(fds[i]);
    }
    wire_free(&m);
}

/* A client that sends and never reads: its answers pile up, and the server
 * stops reading from it (so its sends stall) instead of queueing without
 * end; everybody else is served meanwhile, and nothing it asked is lost. */
/* The most this machine's kernel can hold in one direction of a TCP
 * connection over loopback: the largest send buffer of one end and the
 * largest receive buffer of the other (tcp_wmem and tcp_rmem, third field;
 * autotuning grows a buffer up to them). */
static size_t kernel_max(const char *sysctl_path, size_t fallback)
{
    FILE *f = fopen(sysctl_path, "r");
    unsigned long long min, def, max;
    size_t v = fallback;
    if (f != NULL) {
        if (fscanf(f, "%llu %llu %llu", &min, &def, &max) == 3)
            v = (size_t)max;
        fclose(f);
    }
    return v;
}

/* A client that sends requests and never reads the answers.  The server must
 * stop reading from it once its queued answers pass its output limit, so
 * that the client's requests wait in the kernel's buffers, not in the
 * server's memory; others are served meanwhile; and once the client reads,
 * every request the server took is answered, in order.
 *
 * How much the client manages to send before it stalls depends on the
 * kernel's buffer sizes, which differ between machines (autotuning may grow
 * a buffer to tens of megabytes).  So the bound is computed from them: the
 * requests sit in the client's send buffer and the server's receive buffer,
 * and the answers to the requests taken (each at least as long as its
 * request) sit in the server's send buffer and the client's receive buffer,
 * plus the server's own limits, well under a megabyte. */
static void backpressure(void)
{
    struct tk_proc *server = start_server();
    int hog = tk_connect("127.0.0.1", server->port);
    int flags = fcntl(hog, F_GETFL);
    TK_ASSERT(fcntl(hog, F_SETFL, flags | O_NONBLOCK) == 0, "O_NONBLOCK");

    /* The requests go out 64 KiB at a time (whole messages), so that even a
     * machine with big buffers is filled in a few thousand sends. */
    struct wire_msg one = wire_message("binary/x", "binary", "0123456789abcdef", 16);
    size_t per_batch = 65536 / one.len, batch_len = per_batch * one.len;
    char *batch = tk_alloc(batch_len);
    for (size_t i = 0; i < per_batch; i++)
        memcpy(batch + i * one.len, one.data, one.len);
    size_t buffers = kernel_max("/proc/sys/net/ipv4/tcp_rmem", (size_t)32 << 20) +
                     kernel_max("/proc/sys/net/ipv4/tcp_wmem", (size_t)32 << 20);
    size_t limit = 2 * buffers + ((size_t)4 << 20), sent = 0;
    long long stalled_since = -1;
    while (sent < limit) {
        size_t at = sent % batch_len;
        ssize_t n = send(hog, batch + at, batch_len - at, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            stalled_since = -1;
            continue;
        }
        TK_ASSERT(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "send failed: %s",
                  strerror(errno));
        if (stalled_since < 0)
            stalled_since = tk_now_ms();
        else if (tk_now_ms() - stalled_since > 500)
            break;
        tk_sleep_ms(5);
    }
    TK_ASSERT(sent < limit, "the server took %zu bytes of requests from a client that "
              "reads no answers, more than this machine's socket buffers hold: "
              "it never stopped reading", sent);

    int other = wire_connect(server->port);
    wire_search(other, "tcp", TCP_RESULT);
    close(other);

    /* Every complete request is answered, in order, once the hog reads.  The
     * answers are all alike: the first is read as a message, and the rest are
     * compared with its bytes, read in big pieces (one recv() per answer
     * would take minutes for the hundreds of thousands a big machine holds). */
    TK_ASSERT(fcntl(hog, F_SETFL, flags) == 0, "blocking again");
    size_t complete = sent / one.len;
    struct wire_reply first;
    wire_read_reply(hog, &first);
    TK_ASSERT_BYTES_EQ(first.content, first.content_len, "0123456789abcdef", 16,
                       "a hog's answer");
    size_t answer_len = 2 + first.header_len + first.content_len;
    char *answer = tk_alloc(answer_len);
    answer[0] = (char)(first.header_len >> 8);
    answer[1] = (char)(first.header_len & 0xff);
    memcpy(answer + 2, first.header, first.header_len);
    memcpy(answer + 2 + first.header_len, first.content, first.content_len);
    wire_reply_free(&first);

    size_t chunk_answers = 65536 / answer_len + 1;
    char *chunk = tk_alloc(chunk_answers * answer_len);
    for (size_t done = 1; done < complete;) {
        size_t want = complete - done < chunk_answers ? complete - done : chunk_answers;
        size_t got = tk_recv(hog, chunk, want * answer_len, WAIT_MS);
        TK_ASSERT(got == want * answer_len, "answers %zu to %zu of %zu: the stream ended",
                  done + 1, done + want, complete);
        for (size_t i = 0; i < want; i++)
            TK_ASSERT_BYTES_EQ(chunk + i * answer_len, answer_len, answer, answer_len,
                               "a hog's answer");
        done += want;
    }
    free(chunk);
    free(answer);
    free(batch);
    wire_free(&one);
    close(hog);
}

/* ---- malformed input: closed, logged, and nobody else affected ------------------- */

struct bad_case {
    const char *name;
    struct wire_msg bytes;
    const char *log; /* a fragment of the log line */
};

/* Sends each bad stream on its own connection while a bystander stays
 * connected, and checks: the bad connection is closed, the server logs why,
 * the bystander is still served, and so is a newcomer. */
static void run_bad_cases(struct bad_case *cases, size_t count, bool close_after)
{
    struct tk_proc *server = start_server();
    int bystander = wire_connect(server->port);
    wire_search(bystander, "tcp", TCP_RESULT);
    for (size_t i = 0; i < count; i++) {
        int bad = wire_connect(server->port);
        tk_send(bad, cases[i].bytes.data, cases[i].bytes.len, WAIT_MS);
        if (close_after) {
            shutdown(bad, SHUT_WR);
        }
        const char *line = wire_wait_log(server, "malformed message");
        TK_ASSERT(strstr(line, cases[i].log) != NULL,
                  "%s: expected \"%s\" in the log line, got \"%s\"", cases[i].name,
                  cases[i].log, line);
        wire_expect_closed(bad);
        close(bad);
        wire_search(bystander, "udp", "datagrams: boundaries kept, delivery not promised");
        wire_free(&cases[i].bytes);
    }
    int newcomer = wire_connect(server->port);
    wire_search(newcomer, "json", "text for structured data, RFC 8259");
    close(newcomer);
    close(bystander);
    TK_ASSERT(tk_still_running(server, 0), "the server died");
}

static struct wire_msg header_only(const char *json)
{
    return wire_raw(json, "", 0);
}

#define HDR(rest) "{\"byteorder\": \"big\", \"content-type\": \"binary/x\", " rest "}"

static void bad_header_length_0(void)
{
    struct bad_case c[] = {{"length 0", wire_raw("", "", 0), "header length 0"}};
    run_bad_cases(c, 1, false);
}

static void bad_header_not_json(void)
{
    struct bad_case c[] = {
        {"text", header_only("hello"), "not a JSON object"},
        {"binary", header_only("\x01\x02\x03\xff"), "not a JSON object"},
        {"cut object", header_only("{\"byteorder\": \"big\""), "not a JSON object"},
        {"trailing", header_only(HDR("\"content-encoding\": \"b\", \"content-length\": 0") "x"),
         "nothing after the value"},
        {"bad utf-8", header_only(HDR("\"content-encoding\": \"\xc0\xaf\", \"content-length\": 0")),
         "invalid UTF-8"},
        {"duplicate", header_only(HDR("\"content-encoding\": \"b\", \"content-length\": 0, "
                                      "\"content-length\": 5")), "duplicate key"},
    };
    run_bad_cases(c, sizeof c / sizeof c[0], false);
}

static void bad_header_array(void)
{
    struct bad_case c[] = {
        {"array", header_only("[\"byteorder\", \"big\"]"), "found an array"},
        {"array value", header_only(HDR("\"content-encoding\": [\"b\"], \"content-length\": 0")),
         "\"content-encoding\" must be a string, not an array"},
    };
    run_bad_cases(c, sizeof c / sizeof c[0], false);
}

static void bad_header_nested(void)
{
    struct bad_case c[] = {
        {"nested", header_only(HDR("\"content-encoding\": {\"x\": 1}, \"content-length\": 0")),
         "\"content-encoding\" must be a string, not an object"},
    };
    run_bad_cases(c, 1, false);
}

static void bad_missing_key(void)
{
    struct bad_case c[] = {
        {"byteorder", header_only("{\"content-type\": \"a\", \"content-encoding\": \"b\", "
                                  "\"content-length\": 0}"), "no \"byteorder\""},
        {"content-length", header_only("{\"byteorder\": \"big\", \"content-type\": \"a\", "
                                       "\"content-encoding\": \"b\"}"), "no \"content-length\""},
        {"content-type", header_only("{\"byteorder\": \"big\", \"content-encoding\": \"b\", "
                                     "\"content-length\": 0}"), "no \"content-type\""},
        {"content-encoding", header_only("{\"byteorder\": \"big\", \"content-type\": \"a\", "
                                         "\"content-length\": 0}"), "no \"content-encoding\""},
        {"empty object", header_only("{}"), "no \"byteorder\""},
    };
    run_bad_cases(c, sizeof c / sizeof c[0], false);
}

static void bad_wrong_types(void)
{
    struct bad_case c[] = {
        {"byteorder", header_only("{\"byteorder\": \"middle\", \"content-type\": \"a\", "
                                  "\"content-encoding\": \"b\", \"content-length\": 0}"),
         "\"byteorder\" must be"},
        {"type", header_only("{\"byteorder\": \"big\", \"content-type\": 5, "
                             "\"content-encoding\": \"b\", \"content-length\": 0}"),
         "\"content-type\" must be a string"},
    };
    run_bad_cases(c, sizeof c / sizeof c[0], false);
}

static void bad_negative_length(void)
{
    struct bad_case c[] = {
        {"-1", header_only(HDR("\"content-encoding\": \"b\", \"content-length\": -1")),
         "negative"},
    };
    run_bad_cases(c, 1, false);
}

static void bad_non_integer_length(void)
{
    struct bad_case c[] = {
        {"string", header_only(HDR("\"content-encoding\": \"b\", \"content-length\": \"5\"")),
         "\"content-length\" must be an integer"},
        {"fraction", header_only(HDR("\"content-encoding\": \"b\", \"content-length\": 5.0")),
         "fraction"},
        {"exponent", header_only(HDR("\"content-encoding\": \"b\", \"content-length\": 5e2")),
         "exponent"},
        {"boolean", header_only(HDR("\"content-encoding\": \"b\", \"content-length\": true")),
         "\"content-length\" must be an integer"},
        {"null", header_only(HDR("\"content-encoding\": \"b\", \"content-length\": null")),
         "\"content-length\" must be an integer"},
        {"leading zero", header_only(HDR("\"content-encoding\": \"b\", \"content-length\": 05")),
         "leading zeros"},
    };
    run_bad_cases(c, sizeof c / sizeof c[0], false);
}

static void bad_over_limit_length(void)
{
    struct bad_case c[] = {
        {"limit + 1", header_only(HDR("\"content-encoding\": \"b\", \"content-length\": 1048577")),
         "over the limit"},
        {"2^62", header_only(HDR("\"content-encoding\": \"b\", "
                                 "\"content-length\": 4611686018427387904")), "over the limit"},
        {"2^64", header_only(HDR("\"content-encoding\": \"b\", "
                                 "\"content-length\": 18446744073709551616")), "out of range"},
        {"1e400", header_only(HDR("\"content-encoding\": \"b\", \"content-length\": 1e400")),
         "number too large"},
    };
    run_bad_cases(c, sizeof c / sizeof c[0], false);
}

static void bad_header_over_limit(void)
{
    /* The length prefix says 65535: over the 16 KiB limit, refused before a
     * byte of the header is read. */
    struct bad_case c[] = {{"0xffff", {NULL, 0}, "header length 65535 is over the limit"}};
    c[0].bytes.data = tk_alloc(2);
    c[0].bytes.data[0] = c[0].bytes.data[1] = (char)0xff;
    c[0].bytes.len = 2;
    run_bad_cases(c, 1, false);
}

static void bad_limits_configurable(void)
{
    struct tk_proc *server = tk_start_server(tk_program("app-server"), "--max-header", "150",
                                             "--max-content", "10", "127.0.0.1", "0", NULL);
    int fd = wire_connect(server->port);
    check_binary_answer(fd, "0123456789", 10);
    struct wire_msg m = wire_message("binary/x", "binary", "0123456789a", 11);
    tk_send(fd, m.data, m.len, WAIT_MS);
    wire_free(&m);
    wire_wait_log(server, "\"content-length\" 11 is over the limit of 10 bytes");
    wire_expect_closed(fd);
    close(fd);
    fd = wire_connect(server->port);
    char header[200];
    memset(header, ' ', sizeof header);
    header[sizeof header - 1] = '\0';
    memcpy(header, HDR("\"content-encoding\": \"b\", \"content-length\": 0"),
           strlen(HDR("\"content-encoding\": \"b\", \"content-length\": 0")));
    m = header_only(header);
    tk_send(fd, m.data, m.len, WAIT_MS);
    wire_free(&m);
    wire_wait_log(server, "header length 199 is over the limit of 150 bytes");
    wire_expect_closed(fd);
    close(fd);
}

/* The peer goes away in the middle of a message: in the length, the
 * header, the content. */
static void bad_closed_mid_message(void)
{
    struct wire_msg whole = wire_message("binary/x", "binary", "0123456789", 10);
    size_t header_len = whole.len - 2 - 10;
    struct bad_case c[] = {
        {"in the length", wire_raw("", "", 0), "1 of the 2 bytes of the header length"},
        {"in the header", {NULL, 0}, "stream ended after 5 of the"},
        {"in the content", {NULL, 0}, "stream ended after 4 of the 10 bytes of the content"},
    };
    c[0].bytes.data[0] = 0;
    c[0].bytes.len = 1;
    c[1].bytes.data = tk_alloc(7);
    memcpy(c[1].bytes.data, whole.data, 7);
    c[1].bytes.len = 7;
    c[2].bytes.data = tk_alloc(2 + header_len + 4);
    memcpy(c[2].bytes.data, whole.data, 2 + header_len + 4);
    c[2].bytes.len = 2 + header_len + 4;
    wire_free(&whole);
    run_bad_cases(c, sizeof c / sizeof c[0], true);
}

/* After good requests, a bad one: the answers before it still arrive. */
static void bad_after_good(void)
{
    struct tk_proc *server = start_server();
    int fd = wire_connect(server->port);
    struct wire_msg parts[3] = {wire_request("search", "tcp"), wire_request("search", "udp"),
                                header_only("[]")};
    struct wire_msg all = wire_concat(parts, 3);
    tk_send(fd, all.data, all.len, WAIT_MS);
    wire_free(&all);
    struct wire_reply r;
    wire_read_reply(fd, &r);
    wire_reply_free(&r);
    wire_read_reply(fd, &r);
    TK_ASSERT(strstr(r.content, "datagrams") != NULL, "second answer: %s", r.content);
    wire_reply_free(&r);
    wire_wait_log(server, "malformed message");
    wire_expect_closed(fd);
    close(fd);
}

static void bad_garbage(void)
{
    struct bad_case c[4];
    for (unsigned i = 0; i < 4; i++) {
        c[i].name = "random bytes";
        c[i].bytes.len = 3000;
        c[i].bytes.data = tk_alloc(3000);
        tk_fill_pattern(c[i].bytes.data, 3000, 100 + i);
        c[i].bytes.data[0] = 0x00; /* a header length the limit allows */
        c[i].log = "malformed message";
    }
    run_bad_cases(c, 4, false);
}

/* ---- app-client ---------------------------------------------------------------------- */

static void client_search(void)
{
    struct tk_proc *server = start_server();
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("app-client"), "127.0.0.1",
                               port_text(server->port), "search", "tcp", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "app-client's exit status");
    TK_ASSERT_STR_EQ(c->out_text ? c->out_text : "", TCP_RESULT "\n", "app-client's output");
    TK_ASSERT(c->err_len == 0, "app-client wrote on stderr: %s", c->err_text);
    c = tk_run(NULL, 0, WAIT_MS, tk_program("app-client"), "localhost",
               port_text(server->port), "search", "\xcf\x80", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "app-client's exit status");
    TK_ASSERT_STR_EQ(c->out_text ? c->out_text : "", PI_RESULT "\n", "app-client's output");
}

static void client_no_match(void)
{
    struct tk_proc *server = start_server();
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("app-client"), "127.0.0.1",
                               port_text(server->port), "search", "a \"quoted\" value", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "app-client's exit status");
    TK_ASSERT(c->out_text != NULL && strstr(c->out_text, "a \"quoted\" value") != NULL,
              "the no-match answer should name the value, got \"%s\"",
              c->out_text ? c->out_text : "");
}

static void client_binary(void)
{
    struct tk_proc *server = start_server();
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("app-client"), "--binary", "127.0.0.1",
               port_text(server->port), "hello", "binary world", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "app-client's exit status");
    TK_ASSERT_BYTES_EQ(c->out_text, c->out_len, "hello binary world", 18,
                       "app-client's output for a binary answer");
}

static void client_refused(void)
{
    int port;
    close(tk_listen("127.0.0.1", &port));
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("app-client"), "127.0.0.1",
                               port_text(port), "search", "tcp", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "exit status when refused");
    tk_assert_one_error_line(c, "app-client", "Connection refused", NULL);
}

/* The test plays the server: reads the client's request, checks it, and
 * answers with the bytes given (NULL: closes). */
static struct tk_proc *client_against(const unsigned char *answer, size_t len,
                                      bool dribble)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    struct tk_proc *c = tk_start(tk_program("app-client"), "127.0.0.1", port_text(port),
                                 "search", "tcp", NULL);
    int fd = tk_accept(listener, WAIT_MS);
    struct wire_reply req;
    wire_read_reply(fd, &req); /* a request has the same layout */
    wire_check_header(&req, "text/json", "utf-8");
    char value[64];
    TK_ASSERT(wire_string_field(req.content, "action", value, sizeof value) &&
                  strcmp(value, "search") == 0, "the request's action: %s", req.content);
    TK_ASSERT(wire_string_field(req.content, "value", value, sizeof value) &&
                  strcmp(value, "tcp") == 0, "the request's value: %s", req.content);
    wire_reply_free(&req);
    for (size_t i = 0; answer != NULL && i < len; i += dribble ? 1 : len) {
        tk_send(fd, answer + i, dribble ? 1 : len, WAIT_MS);
        if (dribble)
            tk_sleep_ms(2);
    }
    close(fd);
    close(listener);
    tk_wait(c, WAIT_MS);
    return c;
}

/* A server that accepts, reads the request and never answers: the client
 * gives up after -t MS, with a line that says so (it used to wait forever). */
static void client_timeout(void)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    long long start = tk_now_ms();
    struct tk_proc *c = tk_start(tk_program("app-client"), "-t", "300", "127.0.0.1",
                                 port_text(port), "search", "tcp", NULL);
    int fd = tk_accept(listener, WAIT_MS);
    struct wire_reply req;
    wire_read_reply(fd, &req);
    wire_reply_free(&req);
    TK_ASSERT(tk_wait(c, WAIT_MS) >= 0, "app-client still waits for an answer");
    TK_ASSERT(tk_now_ms() - start < 3000, "app-client took %lld ms", tk_now_ms() - start);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "exit status");
    tk_assert_one_error_line(c, "app-client", "no answer within 300 ms", NULL);
    close(fd);
    close(listener);
}

/* Results that are not strings are printed as JSON, nested ones too. */
static void client_nested_result(void)
{
    static const char answer[] = "{\"result\": [1, {\"a\": 2.5, \"b\": [true, null]}]}";
    struct wire_msg m = wire_message("text/json", "utf-8", answer, sizeof answer - 1);
    struct tk_proc *c = client_against((unsigned char *)m.data, m.len, false);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "app-client's exit status");
    TK_ASSERT_STR_EQ(c->out_text ? c->out_text : "", "[1, {\"a\": 2.5, \"b\": [true, null]}]\n",
                     "a nested result");
    wire_free(&m);
}

/* On a terminal, the server's control characters are shown escaped: ESC
 * [2J would clear the screen, and worse sequences exist.  The client's
 * stdout and stderr are a pseudo-terminal here. */
static void client_terminal_escapes(void)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || ptsname(master) == NULL)
        tk_skip("no pseudo-terminal here");
    char slave_name[256];
    snprintf(slave_name, sizeof slave_name, "%s", ptsname(master));
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    const char *client = tk_program("app-client");
    char port_arg[16];
    snprintf(port_arg, sizeof port_arg, "%d", port);
    pid_t pid = fork();
    TK_ASSERT(pid >= 0, "fork");
    if (pid == 0) {
        int slave = open(slave_name, O_RDWR | O_NOCTTY);
        if (slave < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
            _exit(127);
        execl(client, "app-client", "-t", "3000", "127.0.0.1", port_arg, "search", "tcp",
              (char *)NULL);
        _exit(127);
    }
    int fd = tk_accept(listener, WAIT_MS);
    struct wire_reply req;
    wire_read_reply(fd, &req);
    wire_reply_free(&req);
    static const char answer[] = "{\"result\": \"\\u001b[2J\\u009b31m evil\\\\\"}";
    struct wire_msg m = wire_message("text/json", "utf-8", answer, sizeof answer - 1);
    tk_send(fd, m.data, m.len, WAIT_MS);
    wire_free(&m);
    close(fd);
    close(listener);

    char out[4096];
    size_t got = 0;
    long long deadline = tk_now_ms() + WAIT_MS;
    while (got < sizeof out - 1 && tk_now_ms() < deadline) {
        struct pollfd p = {.fd = master, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = read(master, out + got, sizeof out - 1 - got);
        if (n <= 0)
            break; /* EIO: the client has exited and closed the terminal */
        got += (size_t)n;
    }
    out[got] = '\0';
    int status;
    TK_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "app-client on a terminal failed: %s", out);
    close(master);
    TK_ASSERT(memchr(out, 0x1b, got) == NULL, "a raw ESC reached the terminal: %s", out);
    TK_ASSERT(strstr(out, "\\x1b[2J") != NULL && strstr(out, "\\xc2\\x9b31m evil\\\\") != NULL,
              "the control characters, escaped: %s", out);
}

static void client_reads_dribbled_answer(void)
{
    static const char answer[] = "{\"result\": \"one \\u00e9 by one\"}";
    struct wire_msg m = wire_message("text/json", "utf-8", answer, sizeof answer - 1);
    struct tk_proc *c = client_against((unsigned char *)m.data, m.len, true);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "app-client's exit status");
    TK_ASSERT_STR_EQ(c->out_text ? c->out_text : "", "one \xc3\xa9 by one\n", "output");
    wire_free(&m);
}

static void client_result_types(void)
{
    struct wire_msg m = wire_message("text/json", "utf-8", "{\"result\": 42}", 14);
    struct tk_proc *c = client_against((unsigned char *)m.data, m.len, false);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "app-client's exit status");
    TK_ASSERT_STR_EQ(c->out_text ? c->out_text : "", "42\n", "output for an integer result");
    wire_free(&m);
}

static void client_error_answer(void)
{
    struct wire_msg m = wire_message("text/json", "utf-8", "{\"error\": \"no\"}", 15);
    struct tk_proc *c = client_against((unsigned char *)m.data, m.len, false);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "exit status for an error answer");
    tk_assert_one_error_line(c, "app-client", "no", NULL);
    wire_free(&m);
}

static void client_server_closes(void)
{
    struct tk_proc *c = client_against(NULL, 0, false);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "exit status when the server closes");
    tk_assert_one_error_line(c, "app-client", "closed", NULL);
}

static void client_malformed_answer(void)
{
    static const unsigned char zero[] = {0, 0};
    struct tk_proc *c = client_against(zero, 2, false);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "exit status for a malformed answer");
    tk_assert_one_error_line(c, "app-client", "header length 0", NULL);

    struct wire_msg m = wire_message("text/json", "utf-8", "{\"result\": \"cut", 15);
    c = client_against((unsigned char *)m.data, m.len - 5, false);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 1, "exit status for an answer cut short");
    tk_assert_one_error_line(c, "app-client", "10 of the 15 bytes of the content", NULL);
    wire_free(&m);
}

/* ---- the opening demonstration ---------------------------------------------------- */

static void demo_glue(void)
{
    struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, tk_program("boundaries-demo"), "glue", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "boundaries-demo glue's exit status");
    TK_ASSERT(p->out_text != NULL &&
                  strstr(p->out_text, "one recv() returned 10 bytes: \"helloworld\"") != NULL,
              "two sends should arrive as one read, got \"%s\"", p->out_text ? p->out_text : "");
}

static void demo_split(void)
{
    struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, tk_program("boundaries-demo"), "split", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "boundaries-demo split's exit status");
    const char *line = p->out_text ? strstr(p->out_text, " recv() calls for one send() of") : NULL;
    TK_ASSERT(line != NULL, "no summary line in \"%s\"", p->out_text ? p->out_text : "");
    const char *start = line;
    while (start > p->out_text && start[-1] != '\n')
        start--;
    long calls = strtol(start, NULL, 10);
    TK_ASSERT(calls >= 2, "one send of 1 MiB arrived in %ld recv() calls", calls);
    TK_ASSERT(strstr(line, "of 1048576 bytes") != NULL, "every byte should arrive: %s", line);
}

/* ---- an outside client ------------------------------------------------------------ */

/* python3 on the PATH, or NULL. */
static const char *find_python(void)
{
    static char path[4096];
    const char *dirs = getenv("PATH");
    while (dirs != NULL && *dirs != '\0') {
        size_t n = strcspn(dirs, ":");
        snprintf(path, sizeof path, "%.*s/python3", (int)n, dirs);
        if (n > 0 && access(path, X_OK) == 0)
            return path;
        dirs += n + (dirs[n] == ':');
    }
    return NULL;
}

/* tests/outside-client.py was written from the interface alone. */
static void outside_python_client(void)
{
    const char *python = find_python();
    if (python == NULL)
        tk_skip("python3 is not installed");
    struct tk_proc *server = start_server();
    struct tk_proc *p = tk_run(NULL, 0, 20000, python, OUTSIDE_CLIENT, "127.0.0.1",
                               port_text(server->port), NULL);
    TK_ASSERT(tk_exit_code(p) == 0, "the outside client failed: %s%s",
              p->err_text ? p->err_text : "", p->out_text ? p->out_text : "");
    TK_ASSERT(p->out_text != NULL && strstr(p->out_text, "all checks passed") != NULL,
              "the outside client did not finish its checks: %s",
              p->out_text ? p->out_text : "");
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"server-help", server_help},
        {"server-bad-usage", server_bad_usage},
        {"client-help", client_help},
        {"client-bad-usage", client_bad_usage},
        {"listening-line", listening_line},
        {"listening-line-ipv6", listening_line_ipv6},
        {"clients-vanish", clients_vanish},
        {"sigint-exits-0", sigint_exits_0},
        {"sigterm-exits-0", sigterm_exits_0},
        {"search-known", search_known},
        {"search-no-match", search_no_match},
        {"search-utf8", search_utf8},
        {"binary-answer", binary_answer},
        {"invalid-action-answered", invalid_action_answered},
        {"bad-request-answered", bad_request_answered},
        {"header-extra-keys", header_extra_keys},
        {"many-requests", many_requests_one_connection},
        {"many-keys-attack", many_keys_attack},
        {"idle-timeout", idle_timeout},
        {"memory-budget", memory_budget},
        {"pipelined-five", pipelined_five},
        {"split-everywhere", split_everywhere},
        {"one-byte-at-a-time", one_byte_at_a_time},
        {"glued-and-cut", glued_and_cut},
        {"content-at-limit", content_at_limit},
        {"many-half-requests", many_half_requests},
        {"backpressure", backpressure},
        {"bad.header-length-0", bad_header_length_0},
        {"bad.header-not-json", bad_header_not_json},
        {"bad.header-array", bad_header_array},
        {"bad.header-nested", bad_header_nested},
        {"bad.missing-key", bad_missing_key},
        {"bad.wrong-types", bad_wrong_types},
        {"bad.negative-length", bad_negative_length},
        {"bad.non-integer-length", bad_non_integer_length},
        {"bad.over-limit-length", bad_over_limit_length},
        {"bad.header-over-limit", bad_header_over_limit},
        {"bad.limits-configurable", bad_limits_configurable},
        {"bad.closed-mid-message", bad_closed_mid_message},
        {"bad.after-good", bad_after_good},
        {"bad.garbage", bad_garbage},
        {"client-search", client_search},
        {"client-no-match", client_no_match},
        {"client-binary", client_binary},
        {"client-refused", client_refused},
        {"client-dribbled-answer", client_reads_dribbled_answer},
        {"client-result-types", client_result_types},
        {"client-error-answer", client_error_answer},
        {"client-server-closes", client_server_closes},
        {"client-malformed-answer", client_malformed_answer},
        {"client-timeout", client_timeout},
        {"client-nested-result", client_nested_result},
        {"client-terminal-escapes", client_terminal_escapes},
        {"demo-glue", demo_glue},
        {"demo-split", demo_split},
        {"outside-python-client", outside_python_client},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
