/* http.h - HTTP/1.1 messages: URLs, requests, and incremental parsers.
 *
 * The chapter's user agent (http-get), its file server (http-serve) and the
 * WebSocket handshake of chapter 08 all link this library.  Nothing here
 * touches a socket: the parsers take bytes as they arrive, in pieces of any
 * size, and say what they found.  The rules are those of RFC 9112 (message
 * syntax) and RFC 9110 (semantics); URLs follow RFC 3986.
 *
 * Reading a message:
 *
 *     struct http_parser p;
 *     http_parser_init(&p, HTTP_RESPONSE);
 *     http_parser_no_body(&p);          // only if the request was HEAD
 *     for each piece of bytes (data, len) received:
 *         while (len > 0 || http_pending(&p)) {
 *             struct http_piece body;
 *             size_t used;
 *             enum http_event e = http_feed(&p, data, len, &used, &body);
 *             data += used; len -= used;
 *             HTTP_HEAD:  p.msg holds the start line and the headers
 *             HTTP_BODY:  body.data, body.len are the next body bytes
 *             HTTP_TRAILER: body is one trailer line (after a chunked body)
 *             HTTP_DONE:  the message is complete; the bytes after it
 *                         (still in data) belong to the next one
 *             HTTP_ERROR: p.error says why; the connection is unusable
 *             HTTP_MORE:  everything was used, wait for more bytes
 *         }
 *     at end of stream: http_finish(&p) says if the message was complete.
 *     http_parser_free(&p);             // gives the parser's buffers back
 *
 * The parser's buffers (up to HTTP_MAX_HEAD bytes, twice) are allocated as
 * the head arrives, and kept for the next message of the connection.  A
 * connection that leaves HTTP behind (a WebSocket, after "101 Switching
 * Protocols") calls http_parser_free() once it has read what it needs of
 * the request, and keeps only the bytes after the head.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits ------------------------------------------------------------------
 * Every byte a peer sends is held somewhere; these bound how many.  A
 * message beyond them is refused (HTTP_TOO_LARGE), never truncated. */
#define HTTP_MAX_LINE 8192     /* a start line or one header line */
#define HTTP_MAX_HEAD 16384    /* start line and all headers together */
#define HTTP_MAX_HEADERS 100   /* header fields in one message */
#define HTTP_MAX_CHUNK_LINE 1024 /* a chunk-size line, extensions included */

/* ---- URLs (RFC 3986; http and ws) ------------------------------------------------ */

/* The schemes this library knows: http (RFC 9110 section 4.2.1) and ws
 * (RFC 6455 section 3), both on port 80 unless the URL names one.  https
 * and wss need TLS, which the course does not build. */
enum http_scheme { HTTP_SCHEME_HTTP, HTTP_SCHEME_WS };

struct http_url {
    enum http_scheme scheme;
    char host[256];     /* a name, an IPv4 address, or an IPv6 address without [] */
    char port[6];       /* "80" when the URL names none */
    char target[HTTP_MAX_LINE]; /* path and query, as sent: "/" at least */
    bool ipv6;          /* the host was an [IPv6] literal */
};

enum http_url_status {
    HTTP_URL_OK,
    HTTP_URL_MALFORMED,   /* not a URL at all: curl's exit code 3 */
    HTTP_URL_UNSUPPORTED, /* a URL of another scheme (https, wss, ftp...) */
};

/* Parses "SCHEME://host[:port][/path][?query][#fragment]", SCHEME being
 * http or ws (in any case).  A URL without a scheme is taken as http://, as
 * curl does; the fragment is dropped; an empty path is "/".  A program that
 * speaks only one of the two checks url->scheme: http-get refuses ws://. */
enum http_url_status http_parse_url(const char *text, struct http_url *url);

/* "http" or "ws". */
const char *http_scheme_name(enum http_scheme scheme);

/* Percent-decodes len bytes of text (RFC 3986 section 2.1: "%41" is "A")
 * into out, NUL-terminated.  Returns false if an escape is malformed ("%4",
 * "%zz"), if it decodes to a NUL byte (no C string can hold one, and a path
 * with one means something else to the C library than to the client), or
 * if out (outlen bytes) is too small.  A "+" stays a "+": it means a space
 * only in HTML forms' query strings, not in URLs. */
bool http_percent_decode(const char *text, size_t len, char *out, size_t outlen);

/* Resolves a redirect's Location against the URL it came from (RFC 3986
 * section 5.2): "http://other/x", "//other/x", "/x", "x", "../x", "?q".
 * Writes an absolute URL into out; returns false if it would not fit or
 * the reference is malformed. */
bool http_resolve_url(const struct http_url *base, const char *reference,
                      char *out, size_t outlen);

/* The value of the Host header for url: "example.com", "[::1]:8080". */
void http_host_header(const struct http_url *url, char *out, size_t outlen);

/* ---- messages -------------------------------------------------------------------- */

struct http_header {
    const char *name;   /* as received; compare with http_name_eq() */
    const char *value;  /* leading and trailing whitespace removed */
};

/* How the body of a message is delimited (RFC 9112 section 6.3). */
enum http_framing {
    HTTP_NO_BODY,       /* HEAD, 1xx, 204, 304, or a request without one */
    HTTP_LENGTH,        /* Content-Length bytes */
    HTTP_CHUNKED,       /* Transfer-Encoding: chunked */
    HTTP_UNTIL_CLOSE,   /* a response that ends when the server closes */
};

struct http_message {
    /* A request: */
    const char *method;
    const char *target;
    /* A response: */
    int status;
    const char *reason;
    /* Both: */
    int minor_version;  /* 1 for HTTP/1.1, 0 for HTTP/1.0 */
    size_t header_count;
    struct http_header headers[HTTP_MAX_HEADERS];
    enum http_framing framing;
    uint64_t content_length; /* for HTTP_LENGTH */
    bool keep_alive;    /* the connection may carry another message after this */
    const char *head;   /* the start line and headers exactly as received */
    size_t head_len;
};

/* The first header of that name (case-insensitive), or NULL. */
const char *http_header(const struct http_message *m, const char *name);

/* How many header lines have that name (case-insensitive): a header that
 * must appear once (Host, Sec-WebSocket-Key) is checked with it. */
size_t http_header_count(const struct http_message *m, const char *name);

/* True if some header of that name holds token in its comma-separated list
 * (case-insensitive, white space around the commas ignored, every header
 * line of that name looked at): http_has_token(m, "Connection", "close"),
 * http_has_token(m, "Upgrade", "websocket") for "Upgrade: h2c, WebSocket". */
bool http_has_token(const struct http_message *m, const char *name, const char *token);

/* Header names are case-insensitive (RFC 9110 section 5.1). */
bool http_name_eq(const char *a, const char *b);

/* ---- the chunked decoder (RFC 9112 section 7.1) ------------------------------------ */

enum http_event {
    HTTP_MORE,   /* all bytes used; the message goes on */
    HTTP_HEAD,   /* the start line and headers are complete */
    HTTP_BODY,   /* a piece of the body */
    HTTP_TRAILER, /* a trailer field line after a chunked body, without CRLF */
    HTTP_DONE,   /* the message (or the chunked body) is complete */
    HTTP_ERROR,  /* malformed, or beyond a limit: see error */
};

enum http_error {
    HTTP_OK,
    HTTP_MALFORMED,  /* breaks the syntax */
    HTTP_TOO_LARGE,  /* a line, the head or the header count beyond its limit */
    HTTP_TRUNCATED,  /* the stream ended in the middle of the message */
};

struct http_piece {
    const char *data;
    size_t len;
};

struct http_chunked {
    int state;
    uint64_t remaining;      /* of the current chunk's data */
    char line[HTTP_MAX_CHUNK_LINE];
    size_t line_len;
    size_t trailer_bytes;
    enum http_error error_kind;
    const char *error;
};

void http_chunked_init(struct http_chunked *d);

/* Takes the bytes of a chunked body, returns its data with the framing
 * removed: HTTP_BODY with a piece, HTTP_TRAILER with a trailer line,
 * HTTP_MORE, HTTP_DONE after the last chunk and the trailer section, or
 * HTTP_ERROR.  *used says how many bytes of data
 * were taken. */
enum http_event http_chunked_feed(struct http_chunked *d, const char *data, size_t len,
                                  size_t *used, struct http_piece *piece);

/* ---- the message parser ------------------------------------------------------------- */

enum http_kind { HTTP_REQUEST, HTTP_RESPONSE };

struct http_parser {
    enum http_kind kind;
    int state;
    bool no_body;            /* the response answers a HEAD request */
    struct http_message msg;
    uint64_t remaining;      /* of a Content-Length body */
    struct http_chunked chunked;
    char *head;               /* the head as received (head_cap bytes, grown */
    size_t head_cap;          /* as needed up to HTTP_MAX_HEAD) */
    size_t head_len, line_start;
    char *fields;             /* a copy of the head, split into strings: msg */
    size_t fields_cap;        /* points into it */
    enum http_error error_kind;
    const char *error;       /* a short English description */
};

/* Sets up a parser.  It holds no memory until bytes are fed to it. */
void http_parser_init(struct http_parser *p, enum http_kind kind);

/* Gives back the parser's buffers: after the last message, or when the
 * connection leaves HTTP (an upgrade).  msg is no longer valid.  The
 * parser may be fed again afterwards, as a new one. */
void http_parser_free(struct http_parser *p);

/* A parser on the heap, for a server that keeps one per connection (as an
 * event-loop connection's data): http_parser_new() returns it set up, or
 * NULL when memory is short; http_parser_delete() gives back its buffers
 * and the parser itself, and takes NULL. */
struct http_parser *http_parser_new(enum http_kind kind);
void http_parser_delete(struct http_parser *p);

/* The response being read answers a HEAD request: it has no body whatever
 * its headers say (RFC 9110 section 9.3.2). */
void http_parser_no_body(struct http_parser *p);

/* Ready for the next message on the same connection. */
void http_parser_reset(struct http_parser *p);

/* Takes bytes, see the top of this file. */
enum http_event http_feed(struct http_parser *p, const char *data, size_t len,
                          size_t *used, struct http_piece *piece);

/* True if http_feed() has an event to report without more input (the end
 * of a message without a body, right after its head). */
bool http_pending(const struct http_parser *p);

/* The stream has ended.  Returns HTTP_DONE if that completes the message
 * (a body delimited by the close), HTTP_MORE if no message had begun, or
 * HTTP_ERROR with error_kind HTTP_TRUNCATED. */
enum http_event http_finish(struct http_parser *p);

/* True once the head has been parsed (msg is valid). */
bool http_head_done(const struct http_parser *p);

/* ---- writing a request ------------------------------------------------------------- */

/* Writes "METHOD TARGET HTTP/1.1", then Host, User-Agent and Accept (each
 * left out, or replaced, if extra has a header of the same name: "Name:"
 * with nothing after it removes one), then Content-Length when body_len >=
 * 0, then the extra headers ("Name: value" strings), then the empty line.
 * Returns the length, or 0 if it would not fit in out. */
size_t http_write_request(char *out, size_t outlen, const char *method,
                          const struct http_url *url, const char *const *extra,
                          size_t extra_count, long long body_len);

/* ---- writing a response ------------------------------------------------------------ */

/* Writes "HTTP/1.1 STATUS REASON", then a Date header for a final response
 * (status >= 200: RFC 9110 section 6.6.1), then Content-Length when
 * content_length >= 0, then the extra headers ("Name: value" strings, in
 * order), then the empty line.  Returns the length, or 0 if it would not
 * fit in out, or if an extra header is not "Name: value" or holds a CR or
 * LF (a value that came from a peer must never add a header line).
 * A 101 for a WebSocket:
 *     const char *h[] = {"Upgrade: websocket", "Connection: Upgrade", accept};
 *     n = http_write_response(out, sizeof out, 101, h, 3, -1);  */
size_t http_write_response(char *out, size_t outlen, int status, const char *const *extra,
                           size_t extra_count, long long content_length);

/* The reason phrase of a status code: "Not Found" for 404. */
const char *http_reason(int status);

#endif
