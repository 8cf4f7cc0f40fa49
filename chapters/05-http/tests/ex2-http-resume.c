/* ex2-http-resume - graded tests of exercise 2: resuming with Range.
 *
 * The test is the server; it checks the Range header of the request and
 * answers 200, 206 or 416 as a real server would.
 */
#include "http-test-helpers.h"
#include "testkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SIZE 5000

static unsigned char whole[SIZE];
static char file[512];

static void write_file(const void *data, size_t len)
{
    FILE *f = fopen(file, "wb");
    TK_ASSERT(f != NULL && fwrite(data, 1, len, f) == len && fclose(f) == 0, "writing %s", file);
}

static void expect_file(const void *data, size_t len)
{
    static unsigned char got[2 * SIZE];
    FILE *f = fopen(file, "rb");
    TK_ASSERT(f != NULL, "the file should exist");
    size_t n = fread(got, 1, sizeof got, f);
    fclose(f);
    TK_ASSERT_BYTES_EQ(got, n, data, len, "the file");
}

/* Starts http-resume, accepts its connection and reads its request. */
static struct tk_proc *start(int *fd, char *request, size_t cap)
{
    int port;
    int listener = tk_listen("127.0.0.1", &port);
    tk_fill_pattern(whole, SIZE, 11);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/file.bin", port);
    struct tk_proc *p = tk_start(tk_program("http-resume"), url, file, (char *)NULL);
    *fd = tk_accept(listener, 5000);
    TK_ASSERT(read_request(*fd, request, cap) > 0, "a request");
    TK_ASSERT(strncmp(request, "GET /file.bin HTTP/1.1\r\n", 24) == 0, "request line:\n%s",
              request);
    return p;
}

static void send_partial(int fd, size_t from, const char *encoding)
{
    char head[256];
    if (encoding == NULL) {
        snprintf(head, sizeof head, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes "
                 "%zu-%d/%d\r\nContent-Length: %zu\r\n\r\n", from, SIZE - 1, SIZE, SIZE - from);
        send_text(fd, head);
        tk_send(fd, whole + from, SIZE - from, 5000);
        return;
    }
    snprintf(head, sizeof head, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes "
             "%zu-%d/%d\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n", from, SIZE - 1, SIZE,
             SIZE - from);
    send_text(fd, head);
    tk_send(fd, whole + from, SIZE - from, 5000);
    send_text(fd, "\r\n0\r\n\r\n");
}

static void finish(struct tk_proc *p, int fd, int code)
{
    close(fd);
    tk_wait(p, 10000);
    TK_ASSERT_INT_EQ(tk_exit_code(p), code, "exit code");
}

static void setup(void)
{
    snprintf(file, sizeof file, "%s/download.bin", tk_tmpdir());
}

static void fresh_download(void)
{
    setup();
    char req[4096];
    int fd;
    struct tk_proc *p = start(&fd, req, sizeof req);
    TK_ASSERT(strstr(req, "Range:") == NULL, "no Range for a new file:\n%s", req);
    char head[128];
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", SIZE);
    send_text(fd, head);
    tk_send(fd, whole, SIZE, 5000);
    finish(p, fd, 0);
    expect_file(whole, SIZE);
}

static void resume(void)
{
    setup();
    tk_fill_pattern(whole, SIZE, 11);
    write_file(whole, 1000);
    char req[4096];
    int fd;
    struct tk_proc *p = start(&fd, req, sizeof req);
    TK_ASSERT(strstr(req, "\r\nRange: bytes=1000-\r\n") != NULL, "Range:\n%s", req);
    send_partial(fd, 1000, NULL);
    finish(p, fd, 0);
    expect_file(whole, SIZE);
}

static void resume_chunked(void)
{
    setup();
    tk_fill_pattern(whole, SIZE, 11);
    write_file(whole, 4321);
    char req[4096];
    int fd;
    struct tk_proc *p = start(&fd, req, sizeof req);
    TK_ASSERT(strstr(req, "\r\nRange: bytes=4321-\r\n") != NULL, "Range:\n%s", req);
    send_partial(fd, 4321, "chunked");
    finish(p, fd, 0);
    expect_file(whole, SIZE);
}

static void range_ignored(void)
{
    setup();
    write_file("stale bytes from another version", 32);
    char req[4096];
    int fd;
    struct tk_proc *p = start(&fd, req, sizeof req);
    TK_ASSERT(strstr(req, "\r\nRange: bytes=32-\r\n") != NULL, "Range:\n%s", req);
    char head[128];
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", SIZE);
    send_text(fd, head);
    tk_send(fd, whole, SIZE, 5000);
    finish(p, fd, 0);
    expect_file(whole, SIZE); /* rewritten, not appended to */
}

static void already_complete(void)
{
    setup();
    tk_fill_pattern(whole, SIZE, 11);
    write_file(whole, SIZE);
    char req[4096];
    int fd;
    struct tk_proc *p = start(&fd, req, sizeof req);
    TK_ASSERT(strstr(req, "\r\nRange: bytes=5000-\r\n") != NULL, "Range:\n%s", req);
    send_text(fd, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */5000\r\n"
                  "Content-Length: 0\r\n\r\n");
    finish(p, fd, 0);
    expect_file(whole, SIZE);
}

static void wrong_range(void)
{
    setup();
    tk_fill_pattern(whole, SIZE, 11);
    write_file(whole, 1000);
    char req[4096];
    int fd;
    struct tk_proc *p = start(&fd, req, sizeof req);
    TK_ASSERT(strstr(req, "\r\nRange: bytes=1000-\r\n") != NULL, "Range:\n%s", req);
    send_partial(fd, 0, NULL); /* from 0, not from 1000 */
    finish(p, fd, 1);
    expect_file(whole, 1000); /* left as it was */
    tk_assert_one_error_line(p, "http-resume", "range", (char *)NULL);
}

static const struct tk_case cases[] = {
    {"fresh-download", fresh_download},
    {"resume", resume},
    {"resume-chunked", resume_chunked},
    {"range-ignored", range_ignored},
    {"already-complete", already_complete},
    {"wrong-range", wrong_range},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}
