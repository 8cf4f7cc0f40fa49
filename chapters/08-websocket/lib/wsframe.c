/* wsframe.c - the frame decoder as an explicit state machine, the encoder,
 * and masking (RFC 6455 §5.2, §5.3). */
#include "wsframe.h"

#include <string.h>

void ws_decoder_init(struct ws_decoder *d, enum ws_role role, uint64_t max_frame)
{
    memset(d, 0, sizeof *d);
    d->role = role;
    d->max_frame = max_frame;
    d->state = WS_STATE_HEADER;
    d->need = 2;
}

static enum ws_decode_event fail(struct ws_decoder *d, int close_code, const char *why)
{
    d->state = WS_STATE_FAILED;
    d->error = why;
    d->close_code = close_code;
    return WS_DECODE_ERROR;
}

/* Collects the bytes of a fixed-size field (the first two bytes, the
 * extended length, the masking key) across calls.  True once complete. */
static bool collect(struct ws_decoder *d, const uint8_t *data, size_t len, size_t *used)
{
    size_t take = d->need - d->have;
    if (take > len)
        take = len;
    memcpy(d->bytes + d->have, data, take);
    d->have += take;
    *used += take;
    return d->have == d->need;
}

static void expect(struct ws_decoder *d, enum ws_decoder_state state, size_t bytes)
{
    d->state = state;
    d->have = 0;
    d->need = bytes;
}

/* §5.2: the first two bytes.  Everything that can be refused from them
 * alone is refused here, before any more bytes are read. */
static enum ws_decode_event parse_first_bytes(struct ws_decoder *d)
{
    struct ws_frame_header *h = &d->header;
    h->fin = d->bytes[0] & 0x80;
    h->rsv = (d->bytes[0] >> 4) & 0x7;
    h->opcode = d->bytes[0] & 0x0f;
    h->masked = d->bytes[1] & 0x80;
    h->length = d->bytes[1] & 0x7f;

    if (h->rsv != 0) /* no extension was negotiated that would give them a meaning */
        return fail(d, 1002, "reserved bits set");
    if ((h->opcode >= 0x3 && h->opcode <= 0x7) || h->opcode >= 0xb)
        return fail(d, 1002, "reserved opcode");
    /* §5.5: control frames are never fragmented, and carry at most 125
     * bytes, so their length always fits in the first form. */
    if (ws_is_control(h->opcode) && !h->fin)
        return fail(d, 1002, "fragmented control frame");
    if (ws_is_control(h->opcode) && h->length > WS_MAX_CONTROL_PAYLOAD)
        return fail(d, 1002, "control frame longer than 125 bytes");
    /* §5.1: a client masks every frame it sends; a server masks none. */
    if (d->role == WS_SERVER && !h->masked)
        return fail(d, 1002, "unmasked frame from a client");
    if (d->role == WS_CLIENT && h->masked)
        return fail(d, 1002, "masked frame from a server");

    if (h->length == 126)
        expect(d, WS_STATE_LENGTH, 2);
    else if (h->length == 127)
        expect(d, WS_STATE_LENGTH, 8);
    else if (h->masked)
        expect(d, WS_STATE_MASK_KEY, 4);
    else
        expect(d, WS_STATE_PAYLOAD, 0);
    return WS_DECODE_MORE;
}

/* §5.2: the 16- or 64-bit extended length, in network byte order, in the
 * shortest form that holds it ("the minimal number of bytes MUST be
 * used"), and with the most significant bit of the 64-bit form zero. */
static enum ws_decode_event parse_length(struct ws_decoder *d)
{
    uint64_t length = 0;
    for (size_t i = 0; i < d->need; i++)
        length = length << 8 | d->bytes[i];
    if (d->need == 2 && length < 126)
        return fail(d, 1002, "length not in its shortest form");
    if (d->need == 8 && length <= 0xffff)
        return fail(d, 1002, "length not in its shortest form");
    if (d->need == 8 && (length >> 63) != 0)
        return fail(d, 1002, "length with its most significant bit set");
    d->header.length = length;
    if (d->header.masked)
        expect(d, WS_STATE_MASK_KEY, 4);
    else
        expect(d, WS_STATE_PAYLOAD, 0);
    return WS_DECODE_MORE;
}

/* The header is complete: the last checks, then it is reported. */
static enum ws_decode_event header_done(struct ws_decoder *d)
{
    if (d->header.length > d->max_frame)
        return fail(d, 1009, "frame larger than the limit");
    d->received = 0;
    d->header_reported = true;
    return WS_DECODE_HEADER;
}

enum ws_decode_event ws_decode(struct ws_decoder *d, const uint8_t *data, size_t len,
                               size_t *used, struct ws_payload *piece)
{
    *used = 0;
    for (;;) {
        enum ws_decode_event e;
        switch (d->state) {
        case WS_STATE_HEADER:
            if (!collect(d, data + *used, len - *used, used))
                return WS_DECODE_MORE;
            d->header_reported = false;
            if ((e = parse_first_bytes(d)) != WS_DECODE_MORE)
                return e;
            break;
        case WS_STATE_LENGTH:
            if (!collect(d, data + *used, len - *used, used))
                return WS_DECODE_MORE;
            if ((e = parse_length(d)) != WS_DECODE_MORE)
                return e;
            break;
        case WS_STATE_MASK_KEY:
            if (!collect(d, data + *used, len - *used, used))
                return WS_DECODE_MORE;
            memcpy(d->header.mask, d->bytes, 4);
            expect(d, WS_STATE_PAYLOAD, 0);
            break;
        case WS_STATE_PAYLOAD: {
            if (!d->header_reported)
                return header_done(d);
            uint64_t left = d->header.length - d->received;
            if (left == 0) {
                d->state = WS_STATE_END;
                break;
            }
            size_t available = len - *used;
            if (available == 0)
                return WS_DECODE_MORE;
            size_t take = available < left ? available : (size_t)left;
            piece->data = data + *used;
            piece->len = take;
            piece->offset = d->received;
            d->received += take;
            *used += take;
            if (d->received == d->header.length)
                d->state = WS_STATE_END;
            return WS_DECODE_PAYLOAD;
        }
        case WS_STATE_END:
            expect(d, WS_STATE_HEADER, 2);
            return WS_DECODE_FRAME;
        case WS_STATE_FAILED:
            return WS_DECODE_ERROR;
        }
    }
}

bool ws_decode_pending(const struct ws_decoder *d)
{
    return d->state == WS_STATE_END ||
           (d->state == WS_STATE_PAYLOAD &&
            (!d->header_reported || d->received == d->header.length));
}

size_t ws_encode_header(uint8_t *out, bool fin, unsigned opcode, uint64_t length,
                        const uint8_t *mask)
{
    size_t n = 0;
    out[n++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
    uint8_t mask_bit = mask ? 0x80 : 0;
    if (length < 126) {
        out[n++] = (uint8_t)(mask_bit | length);
    } else if (length <= 0xffff) {
        out[n++] = mask_bit | 126;
        out[n++] = (uint8_t)(length >> 8);
        out[n++] = (uint8_t)length;
    } else {
        out[n++] = mask_bit | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            out[n++] = (uint8_t)(length >> shift);
    }
    if (mask) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    return n;
}

void ws_unmask(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t mask[4],
               uint64_t offset)
{
    /* §5.3: octet i of the payload is XORed with octet i MOD 4 of the key.
     * Eight bytes at a time: the key, turned to start at this offset and
     * written out twice, covers eight payload bytes in one 64-bit XOR (the
     * memcpy calls compile to plain loads and stores, at any alignment). */
    uint8_t key_bytes[8];
    for (size_t k = 0; k < 8; k++)
        key_bytes[k] = mask[(offset + k) & 3];
    uint64_t key;
    memcpy(&key, key_bytes, sizeof key);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t word;
        memcpy(&word, src + i, sizeof word);
        word ^= key;
        memcpy(dst + i, &word, sizeof word);
    }
    for (; i < len; i++)
        dst[i] = src[i] ^ mask[(offset + i) & 3];
}
