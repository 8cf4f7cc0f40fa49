/* wire.c - see wire.h. */
#include "wire.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void wire_free(struct wire_msg *m)
{
    free(m->data);
    m->data = NULL;
    m->len = 0;
}

struct wire_msg wire_raw(const char *header_json, const void *content, size_t len)
{
    size_t hlen = strlen(header_json);
    struct wire_msg m;
    m.len = 2 + hlen + len;
    m.data = tk_alloc(m.len);
    m.data[0] = (char)(hlen >> 8 & 0xFF);
    m.data[1] = (char)(hlen & 0xFF);
    memcpy(m.data + 2, header_json, hlen);
    if (len > 0)
        memcpy(m.data + 2 + hlen, content, len);
    return m;
}

struct wire_msg wire_message(const char *type, const char *encoding,
                             const void *content, size_t len)
{
    char header[512];
    snprintf(header, sizeof header,
             "{\"byteorder\": \"big\", \"content-type\": \"%s\", "
             "\"content-encoding\": \"%s\", \"content-length\": %zu}",
             type, encoding, len);
    return wire_raw(header, content, len);
}

struct wire_msg wire_request(const char *action, const char *value_json)
{
    char content[4096];
    int n = snprintf(content, sizeof content, "{\"action\": \"%s\", \"value\": \"%s\"}",
                     action, value_json);
    TK_ASSERT(n > 0 && (size_t)n < sizeof content, "request too long for the test");
    return wire_message("text/json", "utf-8", content, (size_t)n);
}

struct wire_msg wire_concat(struct wire_msg *parts, size_t count)
{
    struct wire_msg all = {NULL, 0};
    for (size_t i = 0; i < count; i++)
        all.len += parts[i].len;
    all.data = tk_alloc(all.len);
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        memcpy(all.data + at, parts[i].data, parts[i].len);
        at += parts[i].len;
        wire_free(&parts[i]);
    }
    return all;
}

/* Finds "key" followed by optional spaces and a colon; returns what
 * follows the colon and its spaces, or NULL. */
static const char *field(const char *json, const char *key)
{
    char quoted[128];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    for (const char *at = strstr(json, quoted); at != NULL; at = strstr(at + 1, quoted)) {
        const char *p = at + strlen(quoted);
        p += strspn(p, " \t\r\n");
        if (*p != ':')
            continue;
        p++;
        return p + strspn(p, " \t\r\n");
    }
    return NULL;
}

bool wire_string_field(const char *json, const char *key, char *out, size_t outlen)
{
    const char *p = field(json, key);
    if (p == NULL || *p != '"')
        return false;
    p++;
    size_t n = 0;
    while (*p != '\0' && *p != '"') {
        if (*p == '\\' && p[1] != '\0') {
            if (n + 2 < outlen) {
                out[n++] = p[0];
                out[n++] = p[1];
            }
            p += 2;
            continue;
        }
        if (n + 1 < outlen)
            out[n++] = *p;
        p++;
    }
    out[n] = '\0';
    return *p == '"';
}

bool wire_int_field(const char *json, const char *key, long long *out)
{
    const char *p = field(json, key);
    if (p == NULL || (*p != '-' && (*p < '0' || *p > '9')))
        return false;
    char *end;
    *out = strtoll(p, &end, 10);
    return *end == ',' || *end == '}' || *end == ' ' || *end == '\n' || *end == '\t' ||
           *end == '\r';
}

void wire_read_reply(int fd, struct wire_reply *r)
{
    unsigned char prefix[2];
    size_t got = tk_recv(fd, prefix, 2, WAIT_MS);
    TK_ASSERT(got == 2, "expected an answer, got %zu bytes and the end of the stream", got);
    r->header_len = (size_t)prefix[0] << 8 | prefix[1];
    TK_ASSERT(r->header_len >= 2, "the answer's header length is %zu", r->header_len);
    r->header = tk_alloc(r->header_len + 1);
    got = tk_recv(fd, r->header, r->header_len, WAIT_MS);
    TK_ASSERT(got == r->header_len, "the answer's header was cut after %zu of %zu bytes",
              got, r->header_len);
    r->header[r->header_len] = '\0';
    long long length;
    TK_ASSERT(wire_int_field(r->header, "content-length", &length) && length >= 0,
              "the answer's header has no valid content-length: %s", r->header);
    r->content_len = (size_t)length;
    r->content = tk_alloc(r->content_len + 1);
    got = tk_recv(fd, r->content, r->content_len, WAIT_MS);
    TK_ASSERT(got == r->content_len, "the answer's content was cut after %zu of %zu bytes",
              got, r->content_len);
    r->content[r->content_len] = '\0';
}

void wire_reply_free(struct wire_reply *r)
{
    free(r->header);
    free(r->content);
    r->header = r->content = NULL;
}

void wire_check_header(const struct wire_reply *r, const char *type, const char *encoding)
{
    char value[256];
    long long length;
    TK_ASSERT(r->header[0] == '{' && r->header[r->header_len - 1] == '}',
              "the header is not a JSON object: %s", r->header);
    TK_ASSERT(wire_string_field(r->header, "byteorder", value, sizeof value) &&
                  (strcmp(value, "little") == 0 || strcmp(value, "big") == 0),
              "\"byteorder\" should be \"little\" or \"big\": %s", r->header);
    TK_ASSERT(wire_int_field(r->header, "content-length", &length) &&
                  (size_t)length == r->content_len,
              "bad content-length: %s", r->header);
    TK_ASSERT(wire_string_field(r->header, "content-type", value, sizeof value),
              "no content-type: %s", r->header);
    TK_ASSERT_STR_EQ(value, type, "the answer's content-type");
    TK_ASSERT(wire_string_field(r->header, "content-encoding", value, sizeof value),
              "no content-encoding: %s", r->header);
    TK_ASSERT_STR_EQ(value, encoding, "the answer's content-encoding");
}

const char *wire_search(int fd, const char *value_json, const char *expected)
{
    static char result[1024];
    struct wire_msg m = wire_request("search", value_json);
    tk_send(fd, m.data, m.len, WAIT_MS);
    wire_free(&m);
    struct wire_reply r;
    wire_read_reply(fd, &r);
    wire_check_header(&r, "text/json", "utf-8");
    TK_ASSERT(wire_string_field(r.content, "result", result, sizeof result),
              "the answer to a search has no string \"result\": %s", r.content);
    if (expected != NULL)
        TK_ASSERT_STR_EQ(result, expected, "the search result");
    wire_reply_free(&r);
    return result;
}

const char *wire_wait_log(struct tk_proc *server, const char *fragment)
{
    for (;;) {
        const char *line = tk_read_line(server, WAIT_MS);
        TK_ASSERT(line != NULL, "the server's log ended without a line containing \"%s\"",
                  fragment);
        if (strstr(line, fragment) != NULL)
            return line;
    }
}

void wire_expect_closed(int fd)
{
    /* Either way of closing is a close; an answer is not. */
    (void)tk_recv_eof(fd, WAIT_MS);
}

int wire_connect(int port)
{
    int fd = tk_connect("127.0.0.1", port);
    int one = 1;
    TK_ASSERT(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0,
              "TCP_NODELAY failed");
    return fd;
}
