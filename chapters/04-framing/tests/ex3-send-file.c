/* Graded tests of exercise 3: send-file, a file with its size and CRC-32. */
#include "testkit.h"
#include "wire.h"

#include <stdint.h>
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

/* The test's own CRC-32 (IEEE 802.3), from a table. */
static uint32_t crc32_of(const unsigned char *data, size_t len)
{
    static uint32_t table[256];
    if (table[1] == 0)
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t c = n;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

static const char *make_file(const char *name, const void *data, size_t len)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", tk_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    TK_ASSERT(f != NULL && fwrite(data, 1, len, f) == len && fclose(f) == 0,
              "writing %s", path);
    return path;
}

/* Plays the server: takes the message, checks every key and the content,
 * answers {"result": "stored"}, and checks the client's output. */
static void send_and_check(const char *name, const void *data, size_t len)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    const char *path = make_file(name, data, len);
    struct tk_proc *c = tk_start(tk_program("send-file"), "127.0.0.1", port_text(port),
                                 path, NULL);
    int fd = tk_accept(listener, WAIT_MS);
    struct wire_reply m;
    wire_read_reply(fd, &m);
    wire_check_header(&m, "application/octet-stream", "binary");
    TK_ASSERT_BYTES_EQ(m.content, m.content_len, data, len, "the content");

    char got_name[256];
    long long size, crc;
    uint32_t expected_crc = crc32_of(data, len);
    TK_ASSERT(wire_string_field(m.header, "file-name", got_name, sizeof got_name),
              "no \"file-name\" in %s", m.header);
    TK_ASSERT_STR_EQ(got_name, name, "\"file-name\"");
    TK_ASSERT(wire_int_field(m.header, "file-size", &size), "no integer \"file-size\" in %s",
              m.header);
    TK_ASSERT_INT_EQ(size, len, "\"file-size\"");
    TK_ASSERT(wire_int_field(m.header, "crc32", &crc), "no integer \"crc32\" in %s", m.header);
    TK_ASSERT_INT_EQ(crc, expected_crc, "\"crc32\"");
    wire_reply_free(&m);

    static const char stored[] = "{\"result\": \"stored\"}";
    struct wire_msg answer = wire_message("text/json", "utf-8", stored, sizeof stored - 1);
    tk_send(fd, answer.data, answer.len, WAIT_MS);
    wire_free(&answer);
    tk_wait(c, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "send-file's exit status");
    char expected[512];
    snprintf(expected, sizeof expected, "sent %s: %zu bytes, crc32 %08x\nanswer: stored\n",
             name, len, (unsigned)expected_crc);
    TK_ASSERT_STR_EQ(c->out_text ? c->out_text : "", expected, "send-file's output");
    close(fd);
    close(listener);
}

static void header_keys(void)
{
    send_and_check("notes.txt", "hello", 5);
}

/* The check value of CRC-32: "123456789" gives 0xCBF43926. */
static void check_value(void)
{
    TK_ASSERT_INT_EQ(crc32_of((const unsigned char *)"123456789", 9), 0xCBF43926u,
                     "the test's own CRC-32");
    send_and_check("digits", "123456789", 9);
}

static void binary_1mib(void)
{
    size_t len = 1024 * 1024;
    unsigned char *data = tk_alloc(len);
    tk_fill_pattern(data, len, 9);
    send_and_check("random.bin", data, len);
    free(data);
}

static void empty_file(void)
{
    send_and_check("empty", "", 0);
}

/* app-server answers a binary request with its first bytes: only the
 * "sent" line is printed. */
static void real_server(void)
{
    struct tk_proc *server = tk_start_server(tk_program("app-server"), "127.0.0.1", "0", NULL);
    unsigned char data[1000];
    tk_fill_pattern(data, sizeof data, 3);
    const char *path = make_file("data.bin", data, sizeof data);
    struct tk_proc *c = tk_run(NULL, 0, WAIT_MS, tk_program("send-file"), "127.0.0.1",
                               port_text(server->port), path, NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "send-file's exit status");
    char expected[128];
    snprintf(expected, sizeof expected, "sent data.bin: 1000 bytes, crc32 %08x\n",
             (unsigned)crc32_of(data, sizeof data));
    TK_ASSERT_STR_EQ(c->out_text ? c->out_text : "", expected, "send-file's output");
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"header-keys", header_keys}, {"check-value", check_value},
        {"binary-1mib", binary_1mib}, {"empty-file", empty_file},
        {"real-server", real_server}, {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
