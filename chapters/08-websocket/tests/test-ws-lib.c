/* test-ws-lib - white-box tests of the WebSocket library's pure modules:
 * SHA-1 and Base64 against their standards' test vectors, the UTF-8
 * validator, the opening handshake of RFC 6455 §1.3, and the frame codec
 * against the examples of §5.7, byte for byte, fed whole, split at every
 * byte and one byte at a time.
 */
#include "base64.h"
#include "handshake.h"
#include "sha1.h"
#include "testkit.h"
#include "utf8.h"
#include "wsframe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SHA-1: FIPS 180-2 appendix A (the examples of FIPS 180-4) ---------------- */

static void hex(const uint8_t *bytes, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", bytes[i]);
}

static void check_sha1(const char *input, size_t len, const char *expected)
{
    uint8_t digest[SHA1_DIGEST_LEN];
    char text[2 * SHA1_DIGEST_LEN + 1];
    sha1(input, len, digest);
    hex(digest, sizeof digest, text);
    TK_ASSERT_STR_EQ(text, expected, input);
}

static void sha1_vectors(void)
{
    check_sha1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_sha1(two_blocks, strlen(two_blocks), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    check_sha1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");

    /* One million 'a', fed in uneven pieces to cross block boundaries. */
    struct sha1 s;
    char as[997];
    memset(as, 'a', sizeof as);
    sha1_init(&s);
    size_t left = 1000000;
    for (size_t step = 1; left > 0; step = (step * 7 + 3) % sizeof as + 1) {
        size_t n = step < left ? step : left;
        sha1_update(&s, as, n);
        left -= n;
    }
    uint8_t digest[SHA1_DIGEST_LEN];
    char text[41];
    sha1_final(&s, digest);
    hex(digest, sizeof digest, text);
    TK_ASSERT_STR_EQ(text, "34aa973cd4c4daa4f61eeb2bdbad27316534016f", "a million 'a'");

    /* Padding edge cases: 55, 56 and 64 bytes (computed with sha1sum). */
    check_sha1("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 55,
               "c1c8bbdc22796e28c0e15163d20899b65621d65a");
    check_sha1("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 56,
               "c2db330f6083854c99d4b5bfb6e8f29f201be699");
}

/* ---- Base64: RFC 4648 §10 ---------------------------------------------------------- */

static void base64_vectors(void)
{
    static const char *const pairs[][2] = {
        {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
        {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char out[16];
        base64_encode((const uint8_t *)pairs[i][0], strlen(pairs[i][0]), out);
        TK_ASSERT_STR_EQ(out, pairs[i][1], pairs[i][0]);
        uint8_t back[16];
        long n = base64_decode(pairs[i][1], strlen(pairs[i][1]), back, sizeof back);
        TK_ASSERT_BYTES_EQ(back, (size_t)n, pairs[i][0], strlen(pairs[i][0]), pairs[i][1]);
    }
    /* All 256 byte values survive a round trip. */
    uint8_t all[256], back[256];
    char text[BASE64_ENCODED_LEN(256) + 1];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    base64_encode(all, sizeof all, text);
    TK_ASSERT_INT_EQ(strlen(text), BASE64_ENCODED_LEN(256), "encoded length");
    TK_ASSERT_INT_EQ(base64_decode(text, strlen(text), back, sizeof back), 256, "decoded");
    TK_ASSERT_BYTES_EQ(back, sizeof back, all, sizeof all, "round trip");
}

static void base64_refuses(void)
{
    static const char *const bad[] = {
        "Zg=",      /* length not a multiple of 4 */
        "Zg==Zg==", /* padding in the middle */
        "Z===",     /* too much padding */
        "Zh==",     /* unused bits not zero: not canonical */
        "Zm9=",     /* likewise */
        "Zm 9",     /* not in the alphabet */
        "Zm9-",     /* the URL-safe alphabet is another encoding */
        "=Zm9",
    };
    uint8_t out[16];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        TK_ASSERT(base64_decode(bad[i], strlen(bad[i]), out, sizeof out) == -1,
                  "\"%s\" should be refused", bad[i]);
    TK_ASSERT(base64_decode("Zm9vYmFy", 8, out, 5) == -1, "output too small must be refused");
}

/* ---- UTF-8 --------------------------------------------------------------------------- */

struct utf8_case {
    const char *bytes;
    enum utf8_result expected;
    size_t bad_at; /* for UTF8_INVALID: the offset of the first bad byte */
};

static const struct utf8_case utf8_cases[] = {
    {"", UTF8_COMPLETE, 0},
    {"Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!", UTF8_COMPLETE, 0},
    {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", UTF8_COMPLETE, 0}, /* kosme */
    {"\xf0\x9f\x98\x80", UTF8_COMPLETE, 0},           /* U+1F600 */
    {"\xf4\x8f\xbf\xbf", UTF8_COMPLETE, 0},           /* U+10FFFF, the last */
    {"\xed\x9f\xbf", UTF8_COMPLETE, 0},               /* U+D7FF, below the surrogates */
    {"\xee\x80\x80", UTF8_COMPLETE, 0},               /* U+E000, above them */
    {"\xef\xbf\xbf", UTF8_COMPLETE, 0},               /* U+FFFF is allowed */
    {"\xf0\x9f\x98", UTF8_PARTIAL, 0},                /* cut short */
    {"a\xc3", UTF8_PARTIAL, 0},
    {"\x80", UTF8_INVALID, 0},                        /* a lone continuation */
    {"ab\xbf", UTF8_INVALID, 2},
    {"\xc0\xaf", UTF8_INVALID, 0},                    /* overlong '/', fails at once */
    {"\xc1\xbf", UTF8_INVALID, 0},
    {"\xe0\x80\xaf", UTF8_INVALID, 1},                /* overlong, 3 bytes */
    {"\xe0\x9f\xbf", UTF8_INVALID, 1},
    {"\xf0\x80\x80\xaf", UTF8_INVALID, 1},            /* overlong, 4 bytes */
    {"\xf0\x8f\xbf\xbf", UTF8_INVALID, 1},
    {"\xed\xa0\x80", UTF8_INVALID, 1},                /* U+D800, a surrogate */
    {"\xed\xbf\xbf", UTF8_INVALID, 1},                /* U+DFFF */
    {"\xf4\x90\x80\x80", UTF8_INVALID, 1},            /* U+110000 */
    {"\xf5\x80\x80\x80", UTF8_INVALID, 0},            /* F5 never appears */
    {"\xff", UTF8_INVALID, 0},
    {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited", UTF8_INVALID, 12},
    {"\xc3\x28", UTF8_INVALID, 1},                    /* a continuation missing */
    {"\xe2\x82\x28", UTF8_INVALID, 2},
};

static void utf8_whole(void)
{
    for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
        const struct utf8_case *t = &utf8_cases[i];
        struct utf8_validator v;
        size_t bad = (size_t)-1;
        utf8_init(&v);
        enum utf8_result r = utf8_feed(&v, (const uint8_t *)t->bytes, strlen(t->bytes), &bad);
        TK_ASSERT(r == t->expected, "case %zu: expected result %d, got %d", i, t->expected, r);
        if (r == UTF8_INVALID)
            TK_ASSERT_INT_EQ(bad, t->bad_at, "offset of the first bad byte");
    }
}

/* Byte by byte, the validator must fail at the same byte and not earlier:
 * the result after each prefix says whether it is still valid. */
static void utf8_split_anywhere(void)
{
    for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
        const struct utf8_case *t = &utf8_cases[i];
        size_t len = strlen(t->bytes);
        for (size_t split = 0; split <= len; split++) {
            struct utf8_validator v;
            utf8_init(&v);
            size_t bad = 0;
            enum utf8_result r = utf8_feed(&v, (const uint8_t *)t->bytes, split, &bad);
            size_t failed_at = bad;
            if (r != UTF8_INVALID) {
                r = utf8_feed(&v, (const uint8_t *)t->bytes + split, len - split, &bad);
                failed_at = split + bad;
            }
            TK_ASSERT(r == t->expected, "case %zu split at %zu: expected %d, got %d", i, split,
                      t->expected, r);
            if (r == UTF8_INVALID)
                TK_ASSERT_INT_EQ(failed_at, t->bad_at, "first bad byte, split");
        }
    }
}

/* Every code point from U+0000 to U+10FFFF, encoded here by the book, is
 * valid, except the surrogates. */
static void utf8_every_code_point(void)
{
    for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
        uint8_t b[4];
        size_t n;
        if (cp < 0x80) {
            b[0] = (uint8_t)cp;
            n = 1;
        } else if (cp < 0x800) {
            b[0] = (uint8_t)(0xc0 | cp >> 6);
            b[1] = (uint8_t)(0x80 | (cp & 0x3f));
            n = 2;
        } else if (cp < 0x10000) {
            b[0] = (uint8_t)(0xe0 | cp >> 12);
            b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
            b[2] = (uint8_t)(0x80 | (cp & 0x3f));
            n = 3;
        } else {
            b[0] = (uint8_t)(0xf0 | cp >> 18);
            b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
            b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
            b[3] = (uint8_t)(0x80 | (cp & 0x3f));
            n = 4;
        }
        bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
        enum utf8_result r = utf8_check(b, n);
        TK_ASSERT(r == (surrogate ? UTF8_INVALID : UTF8_COMPLETE), "U+%04X: got %d",
                  (unsigned)cp, r);
    }
}

/* ---- the opening handshake ------------------------------------------------------------- */

static void handshake_rfc_example(void)
{
    /* RFC 6455 §1.3 (and §4.2.2): this key gives this accept value. */
    char accept[WS_ACCEPT_LEN + 1];
    ws_accept_for_key("dGhlIHNhbXBsZSBub25jZQ==", accept);
    TK_ASSERT_STR_EQ(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Sec-WebSocket-Accept");

    char key[WS_KEY_LEN + 1], other[WS_KEY_LEN + 1];
    TK_ASSERT(ws_new_key(key) && ws_new_key(other), "ws_new_key failed");
    uint8_t nonce[18];
    TK_ASSERT_INT_EQ(base64_decode(key, strlen(key), nonce, sizeof nonce), 16, "key bytes");
    TK_ASSERT(strcmp(key, other) != 0, "two keys are the same: %s", key);
}

/* Parses a request head with chapter 05's parser. */
static struct http_parser *parse_head(enum http_kind kind, const char *text)
{
    static struct http_parser p;
    http_parser_free(&p); /* the previous head's buffers */
    http_parser_init(&p, kind);
    struct http_piece piece;
    size_t used;
    enum http_event e = http_feed(&p, text, strlen(text), &used, &piece);
    TK_ASSERT(e == HTTP_HEAD, "the head did not parse: %s", p.error ? p.error : "?");
    return &p;
}

#define RFC_REQUEST_START                                                      \
    "GET /chat HTTP/1.1\r\n"                                                   \
    "Host: server.example.com\r\n"                                             \
    "Upgrade: websocket\r\n"                                                   \
    "Connection: Upgrade\r\n"                                                  \
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                          \
    "Origin: http://example.com\r\n"

static void handshake_server(void)
{
    /* The request of §1.3, and the response it must get, byte for byte. */
    struct ws_server_handshake hs;
    ws_check_request(&parse_head(HTTP_REQUEST, RFC_REQUEST_START
                                 "Sec-WebSocket-Protocol: chat, superchat\r\n"
                                 "Sec-WebSocket-Version: 13\r\n\r\n")->msg,
                     "superchat, chat", &hs);
    TK_ASSERT_INT_EQ(hs.status, 101, "status");
    char out[1024];
    size_t len = ws_write_response(out, sizeof out, &hs);
    const char *expected = "HTTP/1.1 101 Switching Protocols\r\n"
                           "Upgrade: websocket\r\n"
                           "Connection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                           "Sec-WebSocket-Protocol: superchat\r\n"
                           "\r\n";
    TK_ASSERT_BYTES_EQ(out, len, expected, strlen(expected), "101 response");

    /* No protocol in common: none is chosen, the handshake still succeeds. */
    ws_check_request(&parse_head(HTTP_REQUEST, RFC_REQUEST_START
                                 "Sec-WebSocket-Protocol: chat\r\n"
                                 "Sec-WebSocket-Version: 13\r\n\r\n")->msg,
                     "other", &hs);
    TK_ASSERT_INT_EQ(hs.status, 101, "status without a common protocol");
    TK_ASSERT_STR_EQ(hs.protocol, "", "no protocol chosen");
}

static void handshake_server_errors(void)
{
    static const struct {
        const char *request;
        int status;
    } cases[] = {
        {"POST /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 405},
        {"GET /chat HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
        {"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
        {"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
        {"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\n\r\n", 400},
        {"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
        {"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", 426},
        {"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 426},
        /* Case does not matter in the tokens, and lists are allowed. */
        {"GET /chat HTTP/1.1\r\nHost: x\r\nupgrade: WebSocket\r\nconnection: keep-alive, UPGRADE\r\n"
         "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n", 101},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ws_server_handshake hs;
        ws_check_request(&parse_head(HTTP_REQUEST, cases[i].request)->msg, NULL, &hs);
        TK_ASSERT(hs.status == cases[i].status, "case %zu: expected %d, got %d (%s)", i,
                  cases[i].status, hs.status, hs.error ? hs.error : "");
        if (hs.status == 426) {
            char out[1024];
            size_t len = ws_write_response(out, sizeof out, &hs);
            out[len] = '\0';
            TK_ASSERT(strstr(out, "HTTP/1.1 426 Upgrade Required\r\n") == out, "426 status line: %s", out);
            TK_ASSERT(strstr(out, "\r\nSec-WebSocket-Version: 13\r\n"), "426 names version 13");
        }
    }
}

static void handshake_client(void)
{
    struct http_url url;
    TK_ASSERT(ws_parse_url("ws://server.example.com/chat?x=1", &url) == HTTP_URL_OK, "url");
    TK_ASSERT_STR_EQ(url.port, "80", "default port");
    TK_ASSERT_STR_EQ(url.target, "/chat?x=1", "target");
    TK_ASSERT(ws_parse_url("wss://x/", &url) == HTTP_URL_UNSUPPORTED, "wss unsupported");
    TK_ASSERT(ws_parse_url("http://x/", &url) == HTTP_URL_UNSUPPORTED, "http unsupported");
    TK_ASSERT(ws_parse_url("ws://[::1]:9/", &url) == HTTP_URL_OK && url.ipv6, "ipv6");
    TK_ASSERT(ws_parse_url("ws://", &url) == HTTP_URL_MALFORMED, "malformed");
    TK_ASSERT(ws_parse_url("WS://Host/x", &url) == HTTP_URL_OK, "the scheme in capitals");

    ws_parse_url("ws://server.example.com/chat", &url);
    char out[1024];
    size_t len = ws_write_request(out, sizeof out, &url, "dGhlIHNhbXBsZSBub25jZQ==", "chat, superchat");
    const char *expected = "GET /chat HTTP/1.1\r\n"
                           "Host: server.example.com\r\n"
                           "Upgrade: websocket\r\n"
                           "Connection: Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n"
                           "Sec-WebSocket-Protocol: chat, superchat\r\n"
                           "\r\n";
    TK_ASSERT_BYTES_EQ(out, len, expected, strlen(expected), "upgrade request");

    const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
    char protocol[WS_MAX_PROTOCOL + 1];
    const char *good = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                       "Sec-WebSocket-Protocol: chat\r\n\r\n";
    TK_ASSERT(ws_check_response(&parse_head(HTTP_RESPONSE, good)->msg, key, "chat, superchat",
                                protocol) == NULL, "the RFC's answer is accepted");
    TK_ASSERT_STR_EQ(protocol, "chat", "agreed protocol");

    static const char *const wrong[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo\r\n\r\n",  /* one byte short */
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",     /* the key echoed */
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: other\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
        TK_ASSERT(ws_check_response(&parse_head(HTTP_RESPONSE, wrong[i])->msg, key, "chat",
                                    protocol) != NULL, "wrong answer %zu was accepted", i);
}

/* ---- frames ----------------------------------------------------------------------------- */

/* What decoding a stream of frames gave. */
struct decoded {
    int frames;
    struct ws_frame_header headers[8];
    uint8_t payload[8][70000];
    size_t payload_len[8];
    bool error;
    int close_code;
    size_t error_at;   /* bytes taken when the error was reported */
};

static struct decoded result;

/* Decodes bytes in pieces of at most step bytes (0: one piece). */
static struct decoded *decode(enum ws_role role, const uint8_t *bytes, size_t len, size_t step,
                              uint64_t max_frame)
{
    memset(&result, 0, sizeof result);
    struct ws_decoder d;
    ws_decoder_init(&d, role, max_frame);
    size_t offset = 0;
    while ((offset < len || ws_decode_pending(&d)) && !result.error) {
        size_t piece_len = step > 0 && step < len - offset ? step : len - offset;
        const uint8_t *data = bytes + offset;
        size_t left = piece_len;
        do {
            struct ws_payload piece;
            size_t used;
            enum ws_decode_event e = ws_decode(&d, data, left, &used, &piece);
            TK_ASSERT(used <= left, "ws_decode used %zu of %zu", used, left);
            data += used;
            left -= used;
            offset += used;
            int f = result.frames;
            TK_ASSERT(f < 8, "too many frames");
            if (e == WS_DECODE_HEADER) {
                result.headers[f] = d.header;
            } else if (e == WS_DECODE_PAYLOAD) {
                TK_ASSERT(piece.offset == result.payload_len[f], "payload offset");
                uint8_t *into = result.payload[f] + piece.offset;
                if (d.header.masked)
                    ws_unmask(into, piece.data, piece.len, d.header.mask, piece.offset);
                else
                    memcpy(into, piece.data, piece.len);
                result.payload_len[f] += piece.len;
            } else if (e == WS_DECODE_FRAME) {
                result.frames++;
            } else if (e == WS_DECODE_ERROR) {
                result.error = true;
                result.close_code = d.close_code;
                result.error_at = offset;
                break;
            } else {
                TK_ASSERT(left == 0, "WS_DECODE_MORE with %zu bytes left", left);
            }
        } while (left > 0 || ws_decode_pending(&d));
    }
    return &result;
}

/* Decoding gives the same frames whole, split at every byte, one byte at a
 * time. */
static void check_frames(enum ws_role role, const uint8_t *bytes, size_t len, int frames,
                         const char *const payloads[], const size_t payload_lens[])
{
    for (size_t step = 0; step <= len && step < 300; step = step == 0 ? 1 : step * 3 + 1) {
        struct decoded *r = decode(role, bytes, len, step, UINT64_MAX);
        TK_ASSERT(!r->error, "step %zu: error", step);
        TK_ASSERT_INT_EQ(r->frames, frames, "frames");
        for (int i = 0; i < frames; i++)
            TK_ASSERT_BYTES_EQ(r->payload[i], r->payload_len[i], payloads[i], payload_lens[i],
                               "payload");
    }
}

static void frame_rfc_examples(void)
{
    /* RFC 6455 §5.7. */
    static const uint8_t hello[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    static const uint8_t hello_masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f,
                                           0x9f, 0x4d, 0x51, 0x58};
    static const uint8_t fragmented[] = {0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f};
    static const uint8_t ping[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    static const uint8_t pong_masked[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f,
                                          0x9f, 0x4d, 0x51, 0x58};
    const char *one[] = {"Hello"};
    const size_t one_len[] = {5};
    const char *two[] = {"Hel", "lo"};
    const size_t two_len[] = {3, 2};

    check_frames(WS_CLIENT, hello, sizeof hello, 1, one, one_len);
    check_frames(WS_SERVER, hello_masked, sizeof hello_masked, 1, one, one_len);
    check_frames(WS_CLIENT, fragmented, sizeof fragmented, 2, two, two_len);
    check_frames(WS_CLIENT, ping, sizeof ping, 1, one, one_len);
    check_frames(WS_SERVER, pong_masked, sizeof pong_masked, 1, one, one_len);

    struct decoded *r = decode(WS_CLIENT, fragmented, sizeof fragmented, 0, UINT64_MAX);
    TK_ASSERT(!r->headers[0].fin && r->headers[0].opcode == WS_TEXT, "first fragment");
    TK_ASSERT(r->headers[1].fin && r->headers[1].opcode == WS_CONTINUATION, "last fragment");

    /* The encoder writes the same bytes. */
    uint8_t out[WS_MAX_HEADER + 5];
    size_t n = ws_encode_header(out, true, WS_TEXT, 5, NULL);
    memcpy(out + n, "Hello", 5);
    TK_ASSERT_BYTES_EQ(out, n + 5, hello, sizeof hello, "encoded unmasked Hello");
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    n = ws_encode_header(out, true, WS_PONG, 5, key);
    ws_unmask(out + n, (const uint8_t *)"Hello", 5, key, 0);
    TK_ASSERT_BYTES_EQ(out, n + 5, pong_masked, sizeof pong_masked, "encoded masked pong");
}

static void frame_length_forms(void)
{
    /* §5.7: 256 bytes take the 16-bit form, 64 KiB the 64-bit form. */
    static uint8_t frame[10 + 65536];
    static char payload[65536];
    tk_fill_pattern(payload, sizeof payload, 8);
    static const struct {
        uint64_t length;
        size_t header_len;
        uint8_t header[10];
    } forms[] = {
        {0, 2, {0x82, 0x00}},
        {125, 2, {0x82, 0x7d}},
        {126, 4, {0x82, 0x7e, 0x00, 0x7e}},
        {256, 4, {0x82, 0x7e, 0x01, 0x00}},
        {65535, 4, {0x82, 0x7e, 0xff, 0xff}},
        {65536, 10, {0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        size_t n = ws_encode_header(frame, true, WS_BINARY, forms[i].length, NULL);
        TK_ASSERT_BYTES_EQ(frame, n, forms[i].header, forms[i].header_len, "header");
        memcpy(frame + n, payload, (size_t)forms[i].length);
        const char *payloads[] = {payload};
        const size_t lens[] = {(size_t)forms[i].length};
        check_frames(WS_CLIENT, frame, n + (size_t)forms[i].length, 1, payloads, lens);
    }
}

/* Frames that must be refused, with the close code, and where. */
static void frame_refused(void)
{
    static const struct {
        const char *what;
        enum ws_role role;
        uint8_t bytes[12];
        size_t len;
        int code;
        size_t at; /* the error comes as soon as this many bytes are in */
    } cases[] = {
        {"RSV1", WS_CLIENT, {0xc1, 0x00}, 2, 1002, 2},
        {"RSV3", WS_CLIENT, {0x91, 0x00}, 2, 1002, 2},
        {"opcode 3", WS_CLIENT, {0x83, 0x00}, 2, 1002, 2},
        {"opcode 7", WS_CLIENT, {0x87, 0x00}, 2, 1002, 2},
        {"opcode 11", WS_CLIENT, {0x8b, 0x00}, 2, 1002, 2},
        {"opcode 15", WS_CLIENT, {0x8f, 0x00}, 2, 1002, 2},
        {"fragmented ping", WS_CLIENT, {0x09, 0x00}, 2, 1002, 2},
        {"ping of 126 bytes", WS_CLIENT, {0x89, 0x7e, 0x00, 0x7e}, 4, 1002, 2},
        {"unmasked to a server", WS_SERVER, {0x81, 0x00}, 2, 1002, 2},
        {"masked to a client", WS_CLIENT, {0x81, 0x80, 1, 2, 3, 4}, 6, 1002, 2},
        {"16-bit form for 125", WS_CLIENT, {0x82, 0x7e, 0x00, 0x7d}, 4, 1002, 4},
        {"64-bit form for 65535", WS_CLIENT, {0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 10, 1002, 10},
        {"64-bit length, top bit", WS_CLIENT, {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}, 10, 1002, 10},
        {"over the limit", WS_CLIENT, {0x82, 0x7e, 0x04, 0x01}, 4, 1009, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t step = 0; step <= 1; step++) {
            struct decoded *r = decode(cases[i].role, cases[i].bytes, cases[i].len, step, 1024);
            TK_ASSERT(r->error, "%s: not refused", cases[i].what);
            TK_ASSERT_INT_EQ(r->close_code, cases[i].code, cases[i].what);
            TK_ASSERT(r->error_at == cases[i].at, "%s: refused after %zu bytes, not %zu",
                      cases[i].what, r->error_at, cases[i].at);
        }
    }
    /* A frame exactly at the limit is accepted. */
    static uint8_t at_limit[4 + 1024] = {0x82, 0x7e, 0x04, 0x00};
    struct decoded *r = decode(WS_CLIENT, at_limit, sizeof at_limit, 0, 1024);
    TK_ASSERT(!r->error && r->frames == 1, "a frame at the limit must pass");
}

static void frame_masking(void)
{
    /* Masking twice gives the original back, at any starting offset. */
    uint8_t data[1000], masked[1000], back[1000];
    static const uint8_t key[4] = {0xde, 0xad, 0xbe, 0xef};
    tk_fill_pattern(data, sizeof data, 3);
    ws_unmask(masked, data, sizeof data, key, 0);
    for (size_t split = 0; split < sizeof data; split += 37) {
        ws_unmask(back, masked, split, key, 0);
        ws_unmask(back + split, masked + split, sizeof data - split, key, split);
        TK_ASSERT_BYTES_EQ(back, sizeof back, data, sizeof data, "unmasked in two parts");
    }
    TK_ASSERT(masked[0] == (data[0] ^ 0xde) && masked[5] == (data[5] ^ 0xad), "key order");
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"lib.sha1-vectors", sha1_vectors},
        {"lib.base64-vectors", base64_vectors},
        {"lib.base64-refuses", base64_refuses},
        {"lib.utf8-whole", utf8_whole},
        {"lib.utf8-split-anywhere", utf8_split_anywhere},
        {"lib.utf8-every-code-point", utf8_every_code_point},
        {"lib.handshake-rfc-example", handshake_rfc_example},
        {"lib.handshake-server", handshake_server},
        {"lib.handshake-server-errors", handshake_server_errors},
        {"lib.handshake-client", handshake_client},
        {"lib.frame-rfc-examples", frame_rfc_examples},
        {"lib.frame-length-forms", frame_length_forms},
        {"lib.frame-refused", frame_refused},
        {"lib.frame-masking", frame_masking},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
