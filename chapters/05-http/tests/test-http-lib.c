/* test-http-lib - white-box tests of the HTTP library (http.h).
 *
 * The programs of the chapter are tested from outside (test-http-get.c,
 * test-http-serve.c); this driver calls the library directly, because the
 * parsers are easiest to corner one message at a time: every message is fed
 * whole, split at every byte, and one byte at a time, and must give the same
 * result each way.
 */
#include "http.h"
#include "testkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What parsing one message gave. */
struct outcome {
    enum http_event last;      /* HTTP_DONE or HTTP_ERROR or HTTP_MORE */
    enum http_error error;
    int status;
    char method[16], target[64];
    enum http_framing framing;
    bool keep_alive;
    size_t header_count;
    char body[4096];
    size_t body_len;
    size_t used;               /* bytes taken up to the end of the message */
    int trailers;              /* trailer lines seen */
};

/* Feeds text to a parser in pieces of at most step bytes (0: one piece
 * split at offset `split`), then, if eof, ends the stream. */
static struct outcome parse(enum http_kind kind, bool head_request, const char *text,
                            size_t len, size_t step, size_t split, bool eof)
{
    static struct http_parser p; /* large: not on the stack */
    struct outcome o = {.last = HTTP_MORE};
    http_parser_free(&p); /* the buffers of the previous call's message */
    http_parser_init(&p, kind);
    if (head_request)
        http_parser_no_body(&p);
    size_t offset = 0;
    while (offset < len && o.last == HTTP_MORE) {
        size_t piece_len = step > 0 ? step : (offset < split ? split : len - offset);
        if (piece_len > len - offset)
            piece_len = len - offset;
        const char *data = text + offset;
        size_t left = piece_len;
        while (left > 0 || http_pending(&p)) {
            struct http_piece body;
            size_t used;
            enum http_event e = http_feed(&p, data, left, &used, &body);
            TK_ASSERT(used <= left, "http_feed used %zu of %zu bytes", used, left);
            data += used;
            left -= used;
            offset += used;
            if (e == HTTP_HEAD) {
                o.status = p.msg.status;
                if (p.msg.method)
                    snprintf(o.method, sizeof o.method, "%s", p.msg.method);
                if (p.msg.target)
                    snprintf(o.target, sizeof o.target, "%s", p.msg.target);
                o.framing = p.msg.framing;
                o.keep_alive = p.msg.keep_alive;
                o.header_count = p.msg.header_count;
            } else if (e == HTTP_BODY) {
                TK_ASSERT(o.body_len + body.len <= sizeof o.body, "body too long");
                memcpy(o.body + o.body_len, body.data, body.len);
                o.body_len += body.len;
            } else if (e == HTTP_TRAILER) {
                o.trailers++;
            } else if (e == HTTP_DONE || e == HTTP_ERROR) {
                o.last = e;
                break;
            } else {
                TK_ASSERT(left == 0, "HTTP_MORE with %zu bytes left", left);
            }
        }
        if (o.last == HTTP_MORE)
            offset += left;
    }
    if (o.last == HTTP_MORE && eof)
        o.last = http_finish(&p);
    o.error = p.error_kind;
    o.used = offset;
    return o;
}

/* Parses the message whole, split at every byte, and byte by byte, checks
 * that all agree, and returns the outcome. */
static struct outcome parse_every_way(enum http_kind kind, bool head_request,
                                      const char *text, bool eof)
{
    size_t len = strlen(text);
    struct outcome whole = parse(kind, head_request, text, len, len, 0, eof);
    for (size_t split = 0; split <= len; split++) {
        struct outcome o = split == len ? parse(kind, head_request, text, len, 1, 0, eof)
                                        : parse(kind, head_request, text, len, 0, split, eof);
        TK_ASSERT(o.last == whole.last && o.error == whole.error && o.status == whole.status &&
                      o.framing == whole.framing && o.trailers == whole.trailers,
                  "split at %zu: event %d error %d, whole: event %d error %d", split, o.last,
                  o.error, whole.last, whole.error);
        TK_ASSERT_BYTES_EQ(o.body, o.body_len, whole.body, whole.body_len, "body when split");
        TK_ASSERT_INT_EQ(o.used, whole.used, "bytes used when split");
    }
    return whole;
}

static void expect_response(const char *text, bool head_request, int status, const char *body,
                            enum http_framing framing)
{
    struct outcome o = parse_every_way(HTTP_RESPONSE, head_request, text, true);
    TK_ASSERT(o.last == HTTP_DONE, "expected a complete response, got event %d (error %d)",
              o.last, o.error);
    TK_ASSERT_INT_EQ(o.status, status, "status");
    TK_ASSERT_INT_EQ(o.framing, framing, "framing");
    TK_ASSERT_BYTES_EQ(o.body, o.body_len, body, strlen(body), "body");
}

static void expect_error(enum http_kind kind, const char *text, enum http_error error)
{
    struct outcome o = parse_every_way(kind, false, text, true);
    TK_ASSERT(o.last == HTTP_ERROR, "expected an error for %.40s..., got event %d", text, o.last);
    TK_ASSERT_INT_EQ(o.error, error, "error kind");
}

/* ---- URLs ---------------------------------------------------------------------------- */

static void check_url(const char *text, const char *host, const char *port, const char *target,
                      bool ipv6)
{
    struct http_url url;
    TK_ASSERT(http_parse_url(text, &url) == HTTP_URL_OK, "%s should parse", text);
    TK_ASSERT_STR_EQ(url.host, host, text);
    TK_ASSERT_STR_EQ(url.port, port, text);
    TK_ASSERT_STR_EQ(url.target, target, text);
    TK_ASSERT_INT_EQ(url.ipv6, ipv6, text);
}

static void url_parse(void)
{
    check_url("http://example.com", "example.com", "80", "/", false);
    check_url("http://example.com/", "example.com", "80", "/", false);
    check_url("HTTP://Example.COM:8080/a/b?x=1&y=2#frag", "Example.COM", "8080", "/a/b?x=1&y=2",
              false);
    check_url("http://127.0.0.1:1/", "127.0.0.1", "1", "/", false);
    check_url("http://[::1]:8080/x", "::1", "8080", "/x", true);
    check_url("http://[2001:db8::1]/", "2001:db8::1", "80", "/", true);
    check_url("http://h?q", "h", "80", "/?q", false);
    check_url("http://h:/p", "h", "80", "/p", false);
    check_url("http://h/a/./b/../c?x=/../y", "h", "80", "/a/c?x=/../y", false);
    check_url("localhost:99/index.html", "localhost", "99", "/index.html", false);
}

static void url_malformed(void)
{
    const char *bad[] = {"http://", "http:///path", "http://host:99999/", "http://host:0/",
                         "http://host:12a/", "http://[::1/", "http://[zz::1]/", "http://[::1]x/",
                         "http://ho st/", "http://host/a b", "http://a_b\x01/", "http://h\tx/",
                         "http://user:pw@host/", "://host/", "http://host:-1/", "ht tp://x/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct http_url url;
        TK_ASSERT(http_parse_url(bad[i], &url) == HTTP_URL_MALFORMED, "%s should be malformed",
                  bad[i]);
    }
    struct http_url url;
    TK_ASSERT(http_parse_url("https://example.com/", &url) == HTTP_URL_UNSUPPORTED,
              "https is not supported");
    TK_ASSERT(http_parse_url("ftp://example.com/", &url) == HTTP_URL_UNSUPPORTED,
              "ftp is not supported");
}

static void check_resolve(const char *base, const char *ref, const char *want)
{
    struct http_url url;
    char out[1024];
    TK_ASSERT(http_parse_url(base, &url) == HTTP_URL_OK, "base %s", base);
    TK_ASSERT(http_resolve_url(&url, ref, out, sizeof out), "%s against %s", ref, base);
    TK_ASSERT_STR_EQ(out, want, ref);
}

/* The examples of RFC 3986 section 5.4, on an http base. */
static void url_resolve(void)
{
    const char *base = "http://a/b/c/d;p?q";
    check_resolve(base, "g", "http://a/b/c/g");
    check_resolve(base, "./g", "http://a/b/c/g");
    check_resolve(base, "g/", "http://a/b/c/g/");
    check_resolve(base, "/g", "http://a/g");
    check_resolve(base, "//g", "http://g");
    check_resolve(base, "?y", "http://a/b/c/d;p?y");
    check_resolve(base, "g?y", "http://a/b/c/g?y");
    check_resolve(base, "", "http://a/b/c/d;p?q");
    check_resolve(base, ".", "http://a/b/c/");
    check_resolve(base, "./", "http://a/b/c/");
    check_resolve(base, "..", "http://a/b/");
    check_resolve(base, "../", "http://a/b/");
    check_resolve(base, "../g", "http://a/b/g");
    check_resolve(base, "../..", "http://a/");
    check_resolve(base, "../../g", "http://a/g");
    check_resolve(base, "../../../g", "http://a/g");
    check_resolve(base, "/./g", "http://a/g");
    check_resolve(base, "/../g", "http://a/g");
    check_resolve(base, "g.", "http://a/b/c/g.");
    check_resolve(base, "..g", "http://a/b/c/..g");
    check_resolve(base, "./../g", "http://a/b/g");
    check_resolve(base, "g/./h", "http://a/b/c/g/h");
    check_resolve(base, "g/../h", "http://a/b/c/h");
    check_resolve(base, "g?y/./x", "http://a/b/c/g?y/./x");
    check_resolve(base, "http://other:81/x", "http://other:81/x");
    check_resolve("http://[::1]:8080/a/b", "c", "http://[::1]:8080/a/c");
}

static void request_write(void)
{
    struct http_url url;
    char out[1024];
    http_parse_url("http://[::1]:8080/p?q", &url);
    size_t n = http_write_request(out, sizeof out, "GET", &url, NULL, 0, -1);
    const char *want = "GET /p?q HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: http-get/1.0\r\n"
                       "Accept: */*\r\n\r\n";
    TK_ASSERT_BYTES_EQ(out, n, want, strlen(want), "plain GET");

    http_parse_url("http://example.com/", &url);
    const char *extra[] = {"Accept: text/html", "User-Agent:", "X-Empty;", "X-Thing: 1"};
    n = http_write_request(out, sizeof out, "POST", &url, extra, 4, 3);
    want = "POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n"
           "Accept: text/html\r\nX-Empty:\r\nX-Thing: 1\r\n\r\n";
    TK_ASSERT_BYTES_EQ(out, n, want, strlen(want), "headers replaced and removed");
    TK_ASSERT_INT_EQ(http_write_request(out, 20, "GET", &url, NULL, 0, -1), 0,
                     "a request that does not fit");
}

/* ---- responses ------------------------------------------------------------------------ */

static void response_length(void)
{
    expect_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, 200, "hello",
                    HTTP_LENGTH);
    expect_response("HTTP/1.1 200 OK\r\ncontent-length:   5  \r\n\r\nhello", false, 200, "hello",
                    HTTP_LENGTH);
    expect_response("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", false, 200, "hello",
                    HTTP_LENGTH);
    expect_response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, 200, "", HTTP_NO_BODY);
    /* bare LF line ends are accepted (RFC 9112 section 2.2) */
    expect_response("HTTP/1.0 200 OK\nContent-Length: 2\n\nhi", false, 200, "hi", HTTP_LENGTH);
    /* bytes after the body belong to the next response */
    struct outcome o = parse_every_way(HTTP_RESPONSE, false,
                                       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1",
                                       false);
    TK_ASSERT(o.last == HTTP_DONE, "done before the next response");
    TK_ASSERT_INT_EQ(o.used, strlen("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
                     "bytes used");
}

static void response_chunked(void)
{
    expect_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n1;name=value;q=\"a \\\"b\\\"\"\r\n,\r\n"
                    "1\r\n \r\n0005 ; ext\r\nworld\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n",
                    false, 200, "hello, world", HTTP_CHUNKED);
    struct outcome o = parse_every_way(HTTP_RESPONSE, false,
                                       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                       "1\r\nx\r\n0\r\nA: 1\r\nB: 2\r\n\r\n",
                                       false);
    TK_ASSERT(o.last == HTTP_DONE && o.trailers == 2, "two trailer lines, got %d", o.trailers);
    expect_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
                    "A\r\n0123456789\r\n0\r\n\r\n",
                    false, 200, "0123456789", HTTP_CHUNKED);
    /* Transfer-Encoding wins over Content-Length in a response */
    expect_response("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n1\r\nd\r\n0\r\n\r\n",
                    false, 200, "abcd", HTTP_CHUNKED);
    expect_error(HTTP_RESPONSE,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\nhello\r\n0\r\n\r\n",
                 HTTP_MALFORMED);
    expect_error(HTTP_RESPONSE,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n",
                 HTTP_MALFORMED);
    expect_error(HTTP_RESPONSE,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;=x\r\nhi\r\n0\r\n\r\n",
                 HTTP_MALFORMED);
    expect_error(HTTP_RESPONSE,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "11111111111111111\r\nhi\r\n0\r\n\r\n",
                 HTTP_TOO_LARGE);
    expect_error(HTTP_RESPONSE,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nbad\r\n\r\n",
                 HTTP_MALFORMED);
    expect_error(HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
                 HTTP_TRUNCATED);
}

static void response_until_close(void)
{
    expect_response("HTTP/1.1 200 OK\r\n\r\nall of this", false, 200, "all of this",
                    HTTP_UNTIL_CLOSE);
    expect_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw", false, 200, "raw",
                    HTTP_UNTIL_CLOSE);
    struct outcome o = parse_every_way(HTTP_RESPONSE, false, "HTTP/1.1 200 OK\r\n\r\nx", true);
    TK_ASSERT(!o.keep_alive, "a close-delimited response cannot keep the connection");
}

static void response_no_body(void)
{
    const char *with_length = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    expect_response(with_length, true, 200, "", HTTP_NO_BODY); /* answer to HEAD */
    expect_response("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", false, 204, "",
                    HTTP_NO_BODY);
    expect_response("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", false, 304,
                    "", HTTP_NO_BODY);
    expect_response("HTTP/1.1 100 Continue\r\n\r\n", false, 100, "", HTTP_NO_BODY);
    /* a HEAD response ends at its head even though nobody closes */
    struct outcome o = parse_every_way(HTTP_RESPONSE, true, with_length, false);
    TK_ASSERT(o.last == HTTP_DONE, "HEAD response complete without a close");
}

static void response_bad_length(void)
{
    const char *bad[] = {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
                         "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello",
                         "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello",
                         "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello",
                         "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\nhello",
                         "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\nhello",
                         "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(HTTP_RESPONSE, bad[i], HTTP_MALFORMED);
    expect_error(HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
                 HTTP_TRUNCATED);
    expect_error(HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Le", HTTP_TRUNCATED);
}

static void response_bad_status(void)
{
    const char *bad[] = {"HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n",
                         "HTTP/2.0 200 OK\r\n\r\n", "ICY 200 OK\r\n\r\n",
                         "HTTP/1.1  200 OK\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n",
                         "http/1.1 200 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n",
                         "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
                         "HTTP/1.1 200 OK\r\nName : x\r\n\r\n",
                         "HTTP/1.1 200 OK\r\nName: x\r\n folded\r\n\r\n",
                         "HTTP/1.1 200 OK\r\nName: a\rb\r\n\r\n",
                         "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
                         "HTTP/1.1 200 OK\r\nName: nul\001\r\n\r\n", "garbage\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(HTTP_RESPONSE, bad[i], HTTP_MALFORMED);
    expect_response("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", false, 200, "x", HTTP_LENGTH);
    expect_response("HTTP/1.1 404 \r\nContent-Length: 1\r\n\r\nx", false, 404, "x", HTTP_LENGTH);
}

/* ---- requests -------------------------------------------------------------------------- */

static void request_parse(void)
{
    struct outcome o = parse_every_way(HTTP_REQUEST, false,
                                       "GET /index.html?x=1 HTTP/1.1\r\nHost: h\r\n"
                                       "ACCEPT: */*\r\n\r\n",
                                       false);
    TK_ASSERT(o.last == HTTP_DONE, "a GET is complete at its head");
    TK_ASSERT_STR_EQ(o.method, "GET", "method");
    TK_ASSERT_STR_EQ(o.target, "/index.html?x=1", "target");
    TK_ASSERT(o.keep_alive, "HTTP/1.1 keeps the connection by default");
    TK_ASSERT_INT_EQ(o.header_count, 2, "headers");

    o = parse_every_way(HTTP_REQUEST, false,
                        "\r\nPOST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                        "Connection: Keep-Alive, CLOSE\r\n\r\nabcGET",
                        false);
    TK_ASSERT(o.last == HTTP_DONE, "a POST with a body");
    TK_ASSERT_BYTES_EQ(o.body, o.body_len, "abc", 3, "request body");
    TK_ASSERT(!o.keep_alive, "Connection: close");

    o = parse_every_way(HTTP_REQUEST, false, "GET / HTTP/1.0\r\n\r\n", false);
    TK_ASSERT(o.last == HTTP_DONE && !o.keep_alive, "HTTP/1.0 closes by default");
    o = parse_every_way(HTTP_REQUEST, false, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                        false);
    TK_ASSERT(o.last == HTTP_DONE && o.keep_alive, "HTTP/1.0 with keep-alive");

    o = parse_every_way(HTTP_REQUEST, false,
                        "PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "3\r\nabc\r\n0\r\n\r\n",
                        false);
    TK_ASSERT(o.last == HTTP_DONE, "a chunked request");
    TK_ASSERT_BYTES_EQ(o.body, o.body_len, "abc", 3, "chunked request body");
}

static void request_malformed(void)
{
    const char *bad[] = {
        "GET /\r\n\r\n", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "GET / HTTP/3.0\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(HTTP_REQUEST, bad[i], HTTP_MALFORMED);
}

static void limits(void)
{
    static char text[3 * HTTP_MAX_HEAD];
    /* a request line just within the line limit, then one byte over */
    size_t path = HTTP_MAX_LINE - strlen("GET / HTTP/1.1");
    snprintf(text, sizeof text, "GET /%0*d HTTP/1.1\r\nHost: h\r\n\r\n", (int)path, 0);
    struct outcome o = parse(HTTP_REQUEST, false, text, strlen(text), 4096, 0, false);
    TK_ASSERT(o.last == HTTP_DONE, "a request line of HTTP_MAX_LINE bytes is accepted");
    snprintf(text, sizeof text, "GET /%0*d HTTP/1.1\r\nHost: h\r\n\r\n", (int)path + 1, 0);
    o = parse(HTTP_REQUEST, false, text, strlen(text), 4096, 0, false);
    TK_ASSERT(o.last == HTTP_ERROR && o.error == HTTP_TOO_LARGE, "one byte more is refused");
    /* a line without an end is refused as soon as it passes the limit */
    memset(text, 'a', sizeof text);
    o = parse(HTTP_REQUEST, false, text, HTTP_MAX_LINE + 10, 1, 0, false);
    TK_ASSERT(o.last == HTTP_ERROR && o.error == HTTP_TOO_LARGE, "an endless line");
    TK_ASSERT(o.used <= HTTP_MAX_LINE + 3, "refused after %zu bytes", o.used);

    /* too many headers, and a head too large */
    size_t n = (size_t)sprintf(text, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < HTTP_MAX_HEADERS; i++)
        n += (size_t)sprintf(text + n, "X-%d: %d\r\n", i, i);
    strcpy(text + n, "\r\n");
    o = parse(HTTP_REQUEST, false, text, strlen(text), 100, 0, false);
    TK_ASSERT(o.last == HTTP_ERROR && o.error == HTTP_TOO_LARGE, "too many headers");
    n = (size_t)sprintf(text, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < 40; i++)
        n += (size_t)sprintf(text + n, "X-%d: %0500d\r\n", i, i);
    strcpy(text + n, "\r\n");
    o = parse(HTTP_REQUEST, false, text, strlen(text), 1000, 0, false);
    TK_ASSERT(o.last == HTTP_ERROR && o.error == HTTP_TOO_LARGE, "a head too large");
}


/* ---- what chapter 08 uses: schemes, decoding, header lookups, responses ------------- */

static void url_schemes(void)
{
    struct http_url url;
    TK_ASSERT(http_parse_url("ws://127.0.0.1:8080/chat?room=1#x", &url) == HTTP_URL_OK, "ws");
    TK_ASSERT_INT_EQ(url.scheme, HTTP_SCHEME_WS, "scheme");
    TK_ASSERT_STR_EQ(url.port, "8080", "port");
    TK_ASSERT_STR_EQ(url.target, "/chat?room=1", "target");
    TK_ASSERT_STR_EQ(http_scheme_name(url.scheme), "ws", "name");
    TK_ASSERT(http_parse_url("WS://example.com", &url) == HTTP_URL_OK, "WS in capitals");
    TK_ASSERT_INT_EQ(url.scheme, HTTP_SCHEME_WS, "scheme");
    TK_ASSERT_STR_EQ(url.port, "80", "ws's default port");
    TK_ASSERT_STR_EQ(url.target, "/", "ws's default path");
    TK_ASSERT(http_parse_url("[::1]:9/x", &url) == HTTP_URL_OK, "no scheme");
    TK_ASSERT_INT_EQ(url.scheme, HTTP_SCHEME_HTTP, "no scheme is http");
    TK_ASSERT_STR_EQ(http_scheme_name(url.scheme), "http", "name");
    TK_ASSERT(http_parse_url("wss://example.com/", &url) == HTTP_URL_UNSUPPORTED, "wss");
    TK_ASSERT(http_parse_url("https://example.com/", &url) == HTTP_URL_UNSUPPORTED, "https");
    TK_ASSERT(http_parse_url("wsx://example.com/", &url) == HTTP_URL_UNSUPPORTED, "wsx");
}

static void percent_decode(void)
{
    char out[16];
    TK_ASSERT(http_percent_decode("Ada%20L%c3%a9", 13, out, sizeof out), "decodes");
    TK_ASSERT_STR_EQ(out, "Ada L\xc3\xa9", "decoded");
    TK_ASSERT(http_percent_decode("a+b", 3, out, sizeof out) && strcmp(out, "a+b") == 0,
              "a plus stays a plus");
    TK_ASSERT(http_percent_decode("%2e%2E/x?", 8, out, sizeof out) && strcmp(out, "../x") == 0,
              "only len bytes, either case");
    TK_ASSERT(http_percent_decode("", 0, out, sizeof out) && out[0] == '\0', "empty");
    TK_ASSERT(!http_percent_decode("%00", 3, out, sizeof out), "a NUL");
    TK_ASSERT(!http_percent_decode("a\0b", 3, out, sizeof out), "a raw NUL");
    TK_ASSERT(!http_percent_decode("%4", 2, out, sizeof out), "cut escape");
    TK_ASSERT(!http_percent_decode("%4g", 3, out, sizeof out), "bad hex");
    TK_ASSERT(!http_percent_decode("%", 1, out, sizeof out), "lone percent");
    TK_ASSERT(!http_percent_decode("0123456789abcdef", 16, out, sizeof out), "too long");
    TK_ASSERT(http_percent_decode("0123456789abcde", 15, out, sizeof out), "just fits");
}

/* The parser's message as a WebSocket handshake reads it. */
static void header_lookups(void)
{
    static struct http_parser p;
    static const char request[] =
        "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: h2c, WebSocket\r\n"
        "Connection: keep-alive\r\nconnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Key: again\r\n\r\nFRAMES";
    http_parser_init(&p, HTTP_REQUEST);
    size_t used;
    struct http_piece body;
    TK_ASSERT(http_feed(&p, request, sizeof request - 1, &used, &body) == HTTP_HEAD, "head");
    TK_ASSERT_INT_EQ(used, sizeof request - 1 - 6, "the bytes after the head are left");
    const struct http_message *m = &p.msg;
    TK_ASSERT(http_has_token(m, "upgrade", "websocket"), "Upgrade holds websocket");
    TK_ASSERT(http_has_token(m, "Connection", "upgrade"), "the second Connection line");
    TK_ASSERT(http_has_token(m, "CONNECTION", "Keep-Alive"), "the first Connection line");
    TK_ASSERT(!http_has_token(m, "Upgrade", "web"), "a prefix is not a token");
    TK_ASSERT(!http_has_token(m, "Host", "websocket"), "another header");
    TK_ASSERT_INT_EQ(http_header_count(m, "sec-websocket-key"), 2, "two keys");
    TK_ASSERT_INT_EQ(http_header_count(m, "Host"), 1, "one Host");
    TK_ASSERT_INT_EQ(http_header_count(m, "Origin"), 0, "no Origin");
    TK_ASSERT_STR_EQ(http_header(m, "SEC-WEBSOCKET-KEY"), "dGhlIHNhbXBsZSBub25jZQ==",
                     "the first of two");

    /* After an upgrade the parser gives its buffers back. */
    TK_ASSERT(p.head != NULL && p.fields != NULL, "buffers while parsing");
    http_parser_free(&p);
    TK_ASSERT(p.head == NULL && p.fields == NULL && p.head_cap == 0 && p.fields_cap == 0,
              "buffers given back");
    /* ... and may be fed again, as a new parser. */
    static const char again[] = "GET / HTTP/1.1\r\nHost: y\r\n\r\n";
    TK_ASSERT(http_feed(&p, again, sizeof again - 1, &used, &body) == HTTP_HEAD, "fed again");
    TK_ASSERT(p.head_cap <= 1024, "a small head takes a small buffer: %zu", p.head_cap);
    http_parser_free(&p);
}

/* One parser per connection, on the heap: made, fed, given back whole
 * (LeakSanitizer, in the sanitizer build, sees any buffer left behind). */
static void parser_on_the_heap(void)
{
    static const char request[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    struct http_parser *p = http_parser_new(HTTP_REQUEST);
    TK_ASSERT(p != NULL, "a new parser");
    TK_ASSERT(p->head == NULL && p->fields == NULL, "it holds no buffer before its first bytes");
    size_t used;
    struct http_piece body;
    TK_ASSERT(http_feed(p, request, sizeof request - 1, &used, &body) == HTTP_HEAD, "head");
    TK_ASSERT_STR_EQ(p->msg.target, "/a", "its target");
    TK_ASSERT(p->head != NULL, "a buffer once fed");
    http_parser_delete(p);
    http_parser_delete(NULL); /* as free() does */
}

static void response_write(void)
{
    char out[512];
    const char *h[] = {"Upgrade: websocket", "Connection: Upgrade",
                       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="};
    size_t n = http_write_response(out, sizeof out, 101, h, 3, -1);
    TK_ASSERT_STR_EQ(out,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                     "\r\n",
                     "a 101 has no Date and no Content-Length");
    TK_ASSERT_INT_EQ(n, strlen(out), "length");

    const char *type[] = {"Content-Type: text/plain"};
    n = http_write_response(out, sizeof out, 404, type, 1, 10);
    TK_ASSERT(n == strlen(out) && strncmp(out, "HTTP/1.1 404 Not Found\r\nDate: ", 30) == 0,
              "status line and Date: %s", out);
    TK_ASSERT(strstr(out, " GMT\r\nContent-Length: 10\r\nContent-Type: text/plain\r\n\r\n") != NULL,
              "Content-Length, then the extra headers: %s", out);

    /* A value from a peer cannot add a line, and out must be big enough. */
    const char *injected[] = {"Location: /x\r\nSet-Cookie: a=b"};
    TK_ASSERT_INT_EQ(http_write_response(out, sizeof out, 301, injected, 1, 0), 0, "CRLF");
    const char *no_colon[] = {"Location"};
    TK_ASSERT_INT_EQ(http_write_response(out, sizeof out, 301, no_colon, 1, 0), 0, "no colon");
    const char *bad_name[] = {"Bad Name: x"};
    TK_ASSERT_INT_EQ(http_write_response(out, sizeof out, 200, bad_name, 1, 0), 0, "bad name");
    TK_ASSERT_INT_EQ(http_write_response(out, 40, 200, NULL, 0, 0), 0, "too small");
    TK_ASSERT_INT_EQ(http_write_response(out, sizeof out, 42, NULL, 0, 0), 0, "status 42");
    TK_ASSERT(http_write_response(out, 39, 101, NULL, 0, -1) == 36, "exactly enough");
}

/* RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 is suspect: read the
 * message, then close.  And a bare CR inside a quoted chunk extension is
 * refused, as it is anywhere else. */
static void framing_edges(void)
{
    struct outcome o = parse_every_way(HTTP_REQUEST, false,
                                       "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
                                       "Connection: keep-alive\r\n\r\n2\r\nhi\r\n0\r\n\r\n", false);
    TK_ASSERT(o.last == HTTP_DONE && !o.keep_alive, "HTTP/1.0 with chunked: read, then close");
    TK_ASSERT_BYTES_EQ(o.body, o.body_len, "hi", 2, "its body");
    expect_error(HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "2;a=\"x\ry\"\r\nhi\r\n0\r\n\r\n", HTTP_MALFORMED);
    expect_error(HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "2;a=\"x\\\ry\"\r\nhi\r\n0\r\n\r\n", HTTP_MALFORMED);
    expect_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "2;a=\"x\ty\\\"z\xc3\xa9\"\r\nhi\r\n0\r\n\r\n", false, 200, "hi", HTTP_CHUNKED);
}

static const struct tk_case cases[] = {
    {"lib.url-parse", url_parse},
    {"lib.url-malformed", url_malformed},
    {"lib.url-resolve", url_resolve},
    {"lib.request-write", request_write},
    {"lib.response-length", response_length},
    {"lib.response-chunked", response_chunked},
    {"lib.response-until-close", response_until_close},
    {"lib.response-no-body", response_no_body},
    {"lib.response-bad-length", response_bad_length},
    {"lib.response-bad-status", response_bad_status},
    {"lib.request-parse", request_parse},
    {"lib.request-malformed", request_malformed},
    {"lib.limits", limits},
    {"lib.url-schemes", url_schemes},
    {"lib.percent-decode", percent_decode},
    {"lib.header-lookups", header_lookups},
    {"lib.parser-on-the-heap", parser_on_the_heap},
    {"lib.response-write", response_write},
    {"lib.framing-edges", framing_edges},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return tk_main(argc, argv, cases);
}
