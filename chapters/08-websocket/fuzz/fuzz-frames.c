/* fuzz-frames - libFuzzer target: the frame decoder on any bytes.
 *
 * The first byte picks the role (which frames must be masked), a frame
 * size limit and the size of the pieces the rest is fed in.  The same
 * bytes are then decoded again in one piece, and both runs must agree on
 * every event: where a frame ends, its header, its unmasked payload, and
 * where and why the stream is refused.  A decoder whose result depends on
 * how reads split the stream is the bug this looks for.
 */
#include "wsframe.h"

#include <stdlib.h>
#include <string.h>

/* A digest of a run: the events and the bytes they carried. */
struct run {
    uint64_t hash;
    size_t frames;
    int close_code;
    size_t consumed;
};

static void mix(struct run *r, uint64_t value)
{
    r->hash = (r->hash ^ value) * 0x100000001b3ull;
}

static struct run decode(const uint8_t *in, size_t len, size_t step, enum ws_role role,
                         uint64_t max_frame)
{
    struct run r = {.hash = 0xcbf29ce484222325ull};
    struct ws_decoder d;
    ws_decoder_init(&d, role, max_frame);
    size_t offset = 0;
    while (offset < len || ws_decode_pending(&d)) {
        size_t piece = len - offset < step ? len - offset : step;
        struct ws_payload p;
        size_t used;
        enum ws_decode_event e = ws_decode(&d, in + offset, piece, &used, &p);
        if (used > piece)
            abort();
        offset += used;
        if (e == WS_DECODE_HEADER) {
            mix(&r, d.header.opcode | (uint64_t)d.header.fin << 8);
            mix(&r, d.header.length);
            if (d.header.rsv != 0 || d.header.length > max_frame)
                abort(); /* refused headers must never be reported */
            if (ws_is_control(d.header.opcode) && (!d.header.fin || d.header.length > 125))
                abort();
        } else if (e == WS_DECODE_PAYLOAD) {
            uint8_t clear[4096];
            if (p.len > sizeof clear || p.data < in || p.data + p.len > in + len)
                abort();
            ws_unmask(clear, p.data, p.len, d.header.mask, p.offset);
            for (size_t i = 0; i < p.len; i++)
                mix(&r, clear[i]);
        } else if (e == WS_DECODE_FRAME) {
            r.frames++;
            mix(&r, 0x100 + r.frames);
        } else if (e == WS_DECODE_ERROR) {
            r.close_code = d.close_code;
            break;
        } else if (used < piece) {
            abort(); /* MORE means everything was taken */
        }
    }
    r.consumed = offset;
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    enum ws_role role = data[0] & 1 ? WS_SERVER : WS_CLIENT;
    uint64_t max_frame = data[0] & 2 ? 64 : UINT64_MAX;
    size_t step = (size_t)(data[0] >> 2) % 13 + 1;
    struct run split = decode(data + 1, size - 1, step, role, max_frame);
    struct run whole = decode(data + 1, size - 1, size, role, max_frame);
    if (split.hash != whole.hash || split.frames != whole.frames ||
        split.close_code != whole.close_code || split.consumed != whole.consumed)
        abort();
    return 0;
}
