/* fuzz-decoder - libFuzzer target for the incremental decoder (frame.h).
 *
 * The first input byte chooses a piece size (1 to 256); the rest is a byte
 * stream.  It is decoded twice, all at once and in pieces of that size, and
 * both runs must agree exactly: the same messages (headers and content) in
 * the same order, then the same error or the same clean end.  That is the
 * decoder's whole promise: where the stream is cut does not matter. */
#include "frame.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one run saw, as text: enough to compare two runs. */
struct trace {
    char *text;
    size_t len;
};

static void note(struct trace *t, const void *data, size_t len)
{
    char *grown = realloc(t->text, t->len + len + 1);
    if (grown == NULL)
        abort();
    memcpy(grown + t->len, data, len);
    t->len += len;
    t->text = grown;
}

static void note_message(struct trace *t, const struct frame_message *m)
{
    char line[64];
    int n = snprintf(line, sizeof line, "message %zu %zu|", m->header.count, m->content_length);
    note(t, line, (size_t)n);
    note(t, m->content_type, strlen(m->content_type));
    note(t, "|", 1);
    note(t, m->content, m->content_length);
    if (m->content[m->content_length] != '\0')
        abort();
}

static void run(const uint8_t *data, size_t size, size_t piece, struct trace *t)
{
    struct frame_limits limits = {512, 4096}; /* small, to reach them often */
    struct frame_decoder d;
    frame_decoder_init(&d, &limits);
    size_t at = 0;
    bool failed = false;
    while (at < size && !failed) {
        size_t len = size - at < piece ? size - at : piece;
        const uint8_t *p = data + at;
        at += len;
        while (len > 0) {
            size_t used;
            enum frame_result r = frame_decode(&d, p, len, &used);
            if (used > len)
                abort();
            p += used;
            len -= used;
            if (r == FRAME_GOT_MESSAGE) {
                note_message(t, &d.message);
            } else if (r == FRAME_BAD_INPUT) {
                note(t, "error ", 6);
                note(t, d.error, strlen(d.error));
                failed = true;
                break;
            } else if (len != 0) {
                abort(); /* NEED_MORE takes everything */
            }
        }
    }
    if (!failed) {
        int end = frame_decode_end(&d);
        note(t, end == 0 ? "end" : "cut ", end == 0 ? 3 : 4);
        if (end != 0)
            note(t, d.error, strlen(d.error));
    }
    frame_decoder_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t piece = (size_t)data[0] + 1;
    struct trace whole = {NULL, 0}, pieces = {NULL, 0};
    run(data + 1, size - 1, size, &whole);
    run(data + 1, size - 1, piece, &pieces);
    if (whole.len != pieces.len || memcmp(whole.text, pieces.text, whole.len) != 0)
        abort();
    free(whole.text);
    free(pieces.text);
    return 0;
}
