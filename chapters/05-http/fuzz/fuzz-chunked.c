/* fuzz-chunked - libFuzzer target: the chunked decoder on any bytes.
 *
 * Decodes the input twice, whole and one byte at a time; the two must give
 * the same data and the same ending (done, error or more), because where
 * the network splits a body must not change what it means.
 */
#include "http.h"

#include <stdlib.h>
#include <string.h>

struct result {
    enum http_event end;
    unsigned char *data;
    size_t len;
};

static struct result decode(const char *in, size_t size, size_t step)
{
    static struct http_chunked d;
    struct result r = {HTTP_MORE, malloc(size + 1), 0};
    http_chunked_init(&d);
    size_t offset = 0;
    while (offset < size && r.end == HTTP_MORE) {
        size_t piece = size - offset < step ? size - offset : step;
        size_t taken = 0;
        while (taken < piece) {
            struct http_piece out;
            size_t used;
            enum http_event e = http_chunked_feed(&d, in + offset + taken, piece - taken, &used,
                                                  &out);
            if (used > piece - taken)
                abort();
            taken += used;
            if (e == HTTP_BODY) {
                memcpy(r.data + r.len, out.data, out.len);
                r.len += out.len;
            } else if (e == HTTP_DONE || e == HTTP_ERROR) {
                r.end = e;
                break;
            } else if (e == HTTP_MORE) {
                break;
            }
        }
        offset += taken;
        if (r.end == HTTP_MORE && taken < piece)
            abort();
    }
    return r;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct result whole = decode((const char *)data, size, size ? size : 1);
    struct result bytes = decode((const char *)data, size, 1);
    if (whole.end != bytes.end || whole.len != bytes.len ||
        memcmp(whole.data, bytes.data, whole.len) != 0)
        abort();
    free(whole.data);
    free(bytes.data);
    return 0;
}
