/* http-test-helpers.c - see http-test-helpers.h. */
#include "http-test-helpers.h"

#include "testkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Buffers live until the case ends.  This list keeps them reachable, so
 * that LeakSanitizer judges the programs under test, not the test. */
static void *kept[16384];
static size_t kept_count;

void *keep(void *p)
{
    TK_ASSERT(kept_count < sizeof kept / sizeof kept[0], "too many buffers kept");
    kept[kept_count++] = p;
    return p;
}

const char *header_of(const struct response *r, const char *name)
{
    static char value[1024];
    size_t len = strlen(name);
    for (const char *line = strstr(r->head, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, name, len) == 0 && line[2 + len] == ':') {
            const char *v = line + 3 + len;
            while (*v == ' ')
                v++;
            size_t n = strcspn(v, "\r");
            snprintf(value, sizeof value, "%.*s", (int)n, v);
            return value;
        }
    }
    return NULL;
}

/* Reads one response: the head byte by byte up to the empty line, then
 * Content-Length bytes of body (none for HEAD). */
/* One line, up to CRLF, into line (NUL-terminated, CRLF removed). */
static void read_line(int fd, char *line, size_t cap)
{
    size_t n = 0;
    while (n < 2 || line[n - 2] != '\r' || line[n - 1] != '\n') {
        TK_ASSERT(n + 1 < cap, "a chunk line too long");
        TK_ASSERT(tk_recv(fd, line + n, 1, 5000) == 1, "the connection closed mid-chunk");
        n++;
    }
    line[n - 2] = '\0';
}

/* A chunked body, simply: sizes in hex, no extensions, no trailers. */
static void read_chunked(int fd, struct response *r)
{
    size_t cap = 1 << 16;
    r->body = tk_alloc(cap);
    r->body_len = 0;
    for (;;) {
        char line[64], *end;
        read_line(fd, line, sizeof line);
        size_t size = strtoul(line, &end, 16);
        TK_ASSERT(end != line && *end == '\0', "chunk size line: %s", line);
        if (size == 0)
            break;
        while (r->body_len + size + 1 > cap)
            r->body = realloc(r->body, cap *= 2);
        TK_ASSERT(r->body != NULL, "out of memory");
        TK_ASSERT_INT_EQ(tk_recv(fd, r->body + r->body_len, size, 5000), size, "chunk data");
        r->body_len += size;
        read_line(fd, line, sizeof line);
        TK_ASSERT(line[0] == '\0', "CRLF after the chunk data, got: %s", line);
    }
    char line[64];
    read_line(fd, line, sizeof line);
    TK_ASSERT(line[0] == '\0', "no trailers expected, got: %s", line);
    r->body[r->body_len] = '\0';
    keep(r->body);
}

struct response read_response(int fd, bool head_request)
{
    struct response r = {0};
    size_t n = 0;
    while (n < 4 || memcmp(r.head + n - 4, "\r\n\r\n", 4) != 0) {
        TK_ASSERT(n + 1 < sizeof r.head, "response head too long");
        TK_ASSERT(tk_recv(fd, r.head + n, 1, 5000) == 1, "the connection closed mid-head "
                  "after %zu bytes: %.*s", n, (int)n, r.head);
        n++;
    }
    r.head[n] = '\0';
    TK_ASSERT(sscanf(r.head, "HTTP/1.1 %d ", &r.status) == 1, "status line: %s", r.head);
    const char *encoding = header_of(&r, "Transfer-Encoding");
    if (encoding != NULL) {
        TK_ASSERT(strcmp(encoding, "chunked") == 0, "Transfer-Encoding: %s", encoding);
        TK_ASSERT(header_of(&r, "Content-Length") == NULL, "both Content-Length and chunked");
        if (!head_request)
            read_chunked(fd, &r);
        else
            r.body = keep(tk_alloc(1));
        return r;
    }
    const char *length = header_of(&r, "Content-Length");
    TK_ASSERT(length != NULL, "a response without Content-Length or chunks:\n%s", r.head);
    size_t want = head_request ? 0 : strtoul(length, NULL, 10);
    r.body = keep(tk_alloc(want + 1));
    r.body_len = tk_recv(fd, r.body, want, 10000);
    TK_ASSERT_INT_EQ(r.body_len, want, "body bytes");
    r.body[want] = '\0';
    return r;
}

void send_text(int fd, const char *text)
{
    tk_send(fd, text, strlen(text), 5000);
}

size_t read_request(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < 4 || memcmp(buf + n - 4, "\r\n\r\n", 4) != 0) {
        TK_ASSERT(n + 1 < cap, "request head too long");
        if (tk_recv(fd, buf + n, 1, 10000) != 1) {
            TK_ASSERT(n == 0, "the client closed mid-request after %zu bytes", n);
            break;
        }
        n++;
    }
    buf[n] = '\0';
    return n;
}
