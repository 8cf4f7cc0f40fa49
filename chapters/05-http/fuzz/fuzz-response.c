/* fuzz-response - libFuzzer target: the response parser on any bytes.
 *
 * The first byte chooses the piece size and whether the response answers
 * a HEAD request; the rest is the stream from the server, ended by a close
 * (http_finish).  The bytes of the body that come out may never be more
 * than went in.
 */
#include "http.h"

#include <stdlib.h>
#include <string.h>

static struct http_parser parser;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t step = (size_t)(data[0] & 0x7f) % 23 + 1;
    const char *in = (const char *)data + 1;
    size_t left = size - 1, body_bytes = 0;
    http_parser_free(&parser); /* the previous input's buffers */
    http_parser_init(&parser, HTTP_RESPONSE);
    if (data[0] & 0x80)
        http_parser_no_body(&parser);
    while (left > 0 || http_pending(&parser)) {
        size_t piece = left < step ? left : step;
        struct http_piece body;
        size_t used;
        enum http_event e = http_feed(&parser, in, piece, &used, &body);
        if (used > piece)
            abort();
        if (e == HTTP_BODY) {
            if (body.data < in || body.data + body.len > in + piece)
                abort();
            body_bytes += body.len;
        }
        in += used;
        left -= used;
        if (e == HTTP_ERROR || e == HTTP_DONE)
            break;
    }
    if (body_bytes > size)
        abort();
    http_finish(&parser);
    return 0;
}
