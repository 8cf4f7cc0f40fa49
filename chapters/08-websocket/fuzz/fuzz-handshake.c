/* fuzz-handshake - libFuzzer target: the opening handshake on any bytes.
 *
 * The bytes are read as an upgrade request by chapter 05's parser and
 * judged by ws_check_request(); the answer is written; then the same bytes
 * are read as a server's answer and judged by ws_check_response().  Beyond
 * "no crash, no leak, no undefined behaviour": a 101 always carries a
 * 28-character accept value, every other answer names a 4xx status, and
 * the written answer is a complete HTTP head.
 */
#include "handshake.h"

#include <stdlib.h>
#include <string.h>

static struct http_parser parser;

static bool parse(enum http_kind kind, const char *data, size_t size)
{
    http_parser_free(&parser);
    http_parser_init(&parser, kind);
    struct http_piece piece;
    size_t used;
    return http_feed(&parser, data, size, &used, &piece) == HTTP_HEAD;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (parse(HTTP_REQUEST, (const char *)data, size)) {
        struct ws_server_handshake hs;
        ws_check_request(&parser.msg, "chat, superchat", &hs);
        if (hs.status == 101 && strlen(hs.accept) != WS_ACCEPT_LEN)
            abort();
        if (hs.status != 101 && (hs.status < 400 || hs.status > 499 || hs.error == NULL))
            abort();
        char out[1024];
        size_t len = ws_write_response(out, sizeof out, &hs);
        if (len < 4 || (hs.status == 101 && memcmp(out + len - 4, "\r\n\r\n", 4) != 0))
            abort();
    }
    if (parse(HTTP_RESPONSE, (const char *)data, size)) {
        char protocol[WS_MAX_PROTOCOL + 1];
        const char *wrong = ws_check_response(&parser.msg, "dGhlIHNhbXBsZSBub25jZQ==",
                                              "chat, superchat", protocol);
        if (wrong == NULL && (parser.msg.status != 101 || strlen(protocol) > WS_MAX_PROTOCOL))
            abort();
    }
    return 0;
}
