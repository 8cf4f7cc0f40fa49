/* wire.c - raw WebSocket frames for the tests (see wire.h). */
#include "wire.h"

#include "base64.h"
#include "sha1.h"
#include "testkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static char head[16384];

/* Reads up to and including the empty line that ends an HTTP head, one
 * byte at a time so that nothing behind it is taken. */
static const char *read_head(int fd)
{
    size_t len = 0;
    while (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4) != 0) {
        TK_ASSERT(len + 1 < sizeof head, "HTTP head too long");
        if (tk_recv(fd, head + len, 1, WIRE_TIMEOUT) != 1)
            break;
        len++;
    }
    head[len] = '\0';
    return head;
}

const char *wire_request(int port, const char *request, int *fd)
{
    *fd = tk_connect("127.0.0.1", port);
    tk_send(*fd, request, strlen(request), WIRE_TIMEOUT);
    return read_head(*fd);
}

static void accept_value(const char *key, char out[29])
{
    char text[128];
    uint8_t digest[SHA1_DIGEST_LEN];
    snprintf(text, sizeof text, "%s%s", key, GUID);
    sha1(text, strlen(text), digest);
    base64_encode(digest, sizeof digest, out);
}

int wire_open(int port, const char *path)
{
    static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
    char request[512];
    snprintf(request, sizeof request,
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n",
             path, key);
    int fd;
    const char *answer = wire_request(port, request, &fd);
    TK_ASSERT(strncmp(answer, "HTTP/1.1 101 ", 13) == 0, "expected 101, got: %.60s", answer);
    TK_ASSERT(strstr(answer, "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
              "wrong or missing Sec-WebSocket-Accept in: %s", answer);
    return fd;
}

int wire_accept(int listener, bool wrong_accept)
{
    int fd = tk_accept(listener, WIRE_TIMEOUT);
    const char *request = read_head(fd);
    TK_ASSERT(strncmp(request, "GET ", 4) == 0, "not a GET: %.40s", request);
    const char *key = strstr(request, "Sec-WebSocket-Key: ");
    TK_ASSERT(key != NULL, "no Sec-WebSocket-Key in: %s", request);
    TK_ASSERT(strstr(request, "Sec-WebSocket-Version: 13\r\n"), "no version 13");
    char key_text[64];
    sscanf(key + strlen("Sec-WebSocket-Key: "), "%60[^\r]", key_text);
    char accept[29];
    accept_value(key_text, accept);
    if (wrong_accept)
        accept[0] = accept[0] == 'A' ? 'B' : 'A';
    char answer[256];
    int n = snprintf(answer, sizeof answer,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
    tk_send(fd, answer, (size_t)n, WIRE_TIMEOUT);
    return fd;
}

void wire_send(int fd, bool fin, unsigned rsv, unsigned opcode, const void *data, size_t len,
               bool mask, size_t step)
{
    size_t total = 14 + len;
    uint8_t *frame = tk_alloc(total);
    size_t n = 0;
    frame[n++] = (uint8_t)((fin ? 0x80 : 0) | (rsv & 7) << 4 | (opcode & 0xf));
    uint8_t mask_bit = mask ? 0x80 : 0;
    if (len < 126) {
        frame[n++] = (uint8_t)(mask_bit | len);
    } else if (len <= 0xffff) {
        frame[n++] = mask_bit | 126;
        frame[n++] = (uint8_t)(len >> 8);
        frame[n++] = (uint8_t)len;
    } else {
        frame[n++] = mask_bit | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            frame[n++] = (uint8_t)((uint64_t)len >> shift);
    }
    static const uint8_t key[4] = {0x12, 0x9a, 0xfe, 0x37};
    if (mask) {
        memcpy(frame + n, key, 4);
        n += 4;
    }
    for (size_t i = 0; i < len; i++)
        frame[n + i] = ((const uint8_t *)data)[i] ^ (mask ? key[i & 3] : 0);
    n += len;
    if (step == 0) {
        tk_send(fd, frame, n, WIRE_TIMEOUT);
    } else {
        for (size_t off = 0; off < n; off += step) {
            tk_send(fd, frame + off, n - off < step ? n - off : step, WIRE_TIMEOUT);
            tk_sleep_ms(1);
        }
    }
    free(frame);
}

void wire_client_send(int fd, unsigned opcode, const void *data, size_t len)
{
    wire_send(fd, true, 0, opcode, data, len, true, 0);
}

void wire_server_send(int fd, unsigned opcode, const void *data, size_t len)
{
    wire_send(fd, true, 0, opcode, data, len, false, 0);
}

bool wire_recv(int fd, struct wire_frame *f, int timeout_ms)
{
    uint8_t h[14];
    memset(f, 0, sizeof *f);
    if (tk_recv(fd, h, 2, timeout_ms) != 2)
        return false;
    f->fin = h[0] & 0x80;
    f->rsv = (h[0] >> 4) & 7;
    f->opcode = h[0] & 0xf;
    f->masked = h[1] & 0x80;
    f->len = h[1] & 0x7f;
    size_t extra = f->len == 126 ? 2 : f->len == 127 ? 8 : 0;
    if (extra > 0) {
        TK_ASSERT(tk_recv(fd, h, extra, timeout_ms) == extra, "frame cut in its length");
        f->len = 0;
        for (size_t i = 0; i < extra; i++)
            f->len = f->len << 8 | h[i];
    }
    uint8_t key[4] = {0};
    if (f->masked)
        TK_ASSERT(tk_recv(fd, key, 4, timeout_ms) == 4, "frame cut in its mask");
    TK_ASSERT(f->len <= 64u * 1024 * 1024, "frame of %llu bytes", (unsigned long long)f->len);
    f->data = tk_alloc((size_t)f->len + 1);
    TK_ASSERT(tk_recv(fd, f->data, (size_t)f->len, timeout_ms) == f->len,
              "frame cut in its payload");
    for (size_t i = 0; f->masked && i < f->len; i++)
        f->data[i] ^= key[i & 3];
    f->data[f->len] = 0;
    return true;
}

void wire_expect_message(int fd, unsigned opcode, const void *data, size_t len)
{
    struct wire_frame f;
    TK_ASSERT(wire_recv(fd, &f, WIRE_TIMEOUT), "the connection ended instead of a message");
    TK_ASSERT(f.opcode == opcode && f.fin, "expected a final frame of opcode %u, got fin=%d "
              "opcode %u (%.40s)", opcode, f.fin, f.opcode, f.opcode == 8 ? (char *)f.data + 2 : "");
    TK_ASSERT_BYTES_EQ(f.data, (size_t)f.len, data, len, "message payload");
    free(f.data);
}

void wire_expect_close(int fd, int code, bool then_eof)
{
    struct wire_frame f;
    TK_ASSERT(wire_recv(fd, &f, WIRE_TIMEOUT), "the connection ended without a close frame");
    TK_ASSERT(f.opcode == 8, "expected a close frame, got opcode %u", f.opcode);
    if (code == 0) {
        TK_ASSERT(f.len == 0, "expected an empty close frame, got %llu bytes",
                  (unsigned long long)f.len);
    } else {
        TK_ASSERT(f.len >= 2, "close frame without a code");
        int got = f.data[0] << 8 | f.data[1];
        TK_ASSERT(got == code, "expected close code %d, got %d (%s)", code, got,
                  (char *)f.data + 2);
    }
    free(f.data);
    if (then_eof)
        TK_ASSERT(tk_recv_eof(fd, WIRE_TIMEOUT), "connection reset instead of closed");
}

size_t wire_close_body(uint8_t *out, int code, const char *reason)
{
    out[0] = (uint8_t)(code >> 8);
    out[1] = (uint8_t)code;
    size_t len = strlen(reason);
    memcpy(out + 2, reason, len);
    return 2 + len;
}
