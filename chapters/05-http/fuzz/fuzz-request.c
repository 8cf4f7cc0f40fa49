/* fuzz-request - libFuzzer target: the request parser on any bytes.
 *
 * The input is fed in pieces whose sizes come from its first byte, so that
 * the fuzzer also explores where reads happen to split a message.  Several
 * requests may follow one another, as on a kept-alive connection.  Beyond
 * "no crash, no leak, no undefined behaviour" it checks that the parser
 * never claims more bytes than it was given, and that the head it reports
 * is made of the bytes it received.
 */
#include "http.h"

#include <stdlib.h>
#include <string.h>

static struct http_parser parser;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t step = (size_t)data[0] % 17 + 1;
    const char *in = (const char *)data + 1;
    size_t left = size - 1;
    http_parser_free(&parser); /* the previous input's buffers */
    http_parser_init(&parser, HTTP_REQUEST);
    while (left > 0 || http_pending(&parser)) {
        size_t piece = left < step ? left : step;
        struct http_piece body;
        size_t used;
        enum http_event e = http_feed(&parser, in, piece, &used, &body);
        if (used > piece)
            abort();
        if (e == HTTP_BODY && (body.data < in || body.data + body.len > in + piece))
            abort();
        if (e == HTTP_HEAD && (parser.msg.method == NULL || parser.msg.target == NULL ||
                               parser.msg.head_len > HTTP_MAX_HEAD))
            abort();
        in += used;
        left -= used;
        if (e == HTTP_ERROR)
            return 0;
        if (e == HTTP_DONE)
            http_parser_reset(&parser);
        else if (e == HTTP_MORE && used < piece)
            abort(); /* MORE means everything was taken */
    }
    http_finish(&parser);
    return 0;
}
