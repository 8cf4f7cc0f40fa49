/* wsframe.h - WebSocket frames (RFC 6455 §5): the header layout, an
 * incremental decoder, an encoder, and masking.
 *
 * Every frame on the wire (§5.2):
 *
 *      0                   1                   2                   3
 *      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *     +-+-+-+-+-------+-+-------------+-------------------------------+
 *     |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *     |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *     |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *     | |1|2|3|       |K|             |                               |
 *     +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *     |     Extended payload length continued, if payload len == 127  |
 *     + - - - - - - - - - - - - - - - +-------------------------------+
 *     |                               | Masking-key, if MASK set to 1 |
 *     +-------------------------------+-------------------------------+
 *     | Masking-key (continued)       |          Payload Data         |
 *     +-------------------------------- - - - - - - - - - - - - - - - +
 *
 * Nothing here touches a socket.  The decoder takes bytes in pieces of any
 * size, down to one byte, and reports what it found:
 *
 *     struct ws_decoder d;
 *     ws_decoder_init(&d, WS_SERVER, max_frame);
 *     while (len > 0 || ws_decode_pending(&d)) {
 *         struct ws_payload piece;
 *         size_t used;
 *         enum ws_decode_event e = ws_decode(&d, data, len, &used, &piece);
 *         data += used; len -= used;
 *         WS_DECODE_HEADER:  d.header holds a checked header
 *         WS_DECODE_PAYLOAD: piece.data, piece.len are the next payload bytes,
 *                            still masked; ws_unmask() them at piece.offset
 *         WS_DECODE_FRAME:   the frame is complete
 *         WS_DECODE_ERROR:   d.error says why, d.close_code is the status
 *                            code to close with (1002 or 1009)
 *         WS_DECODE_MORE:    everything was used, wait for more bytes
 *     }
 */
#ifndef WSFRAME_H
#define WSFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opcodes (§5.2, §11.8).  3-7 and 11-15 are reserved: a frame with one of
 * them is a protocol error. */
enum ws_opcode {
    WS_CONTINUATION = 0x0,
    WS_TEXT = 0x1,
    WS_BINARY = 0x2,
    WS_CLOSE = 0x8,
    WS_PING = 0x9,
    WS_PONG = 0xA,
};

/* Control frames have the high bit of the opcode set (§5.5). */
static inline bool ws_is_control(unsigned opcode) { return (opcode & 0x8) != 0; }

/* Which end reads the frames: a server reads masked frames only, a client
 * unmasked frames only (§5.1). */
enum ws_role { WS_SERVER, WS_CLIENT };

/* Control frames carry at most 125 bytes of payload (§5.5). */
#define WS_MAX_CONTROL_PAYLOAD 125
/* The longest header: 2 bytes, 8 of extended length, 4 of masking key. */
#define WS_MAX_HEADER 14

struct ws_frame_header {
    bool fin;
    unsigned rsv;        /* RSV1-3 as bits 2..0; must be 0 without extensions */
    unsigned opcode;
    bool masked;
    uint8_t mask[4];
    uint64_t length;     /* payload length */
};

enum ws_decode_event {
    WS_DECODE_MORE,
    WS_DECODE_HEADER,
    WS_DECODE_PAYLOAD,
    WS_DECODE_FRAME,
    WS_DECODE_ERROR,
};

struct ws_payload {
    const uint8_t *data;
    size_t len;
    uint64_t offset;     /* of data[0] within the frame's payload */
};

/* The decoder's states, in the order a frame's bytes arrive. */
enum ws_decoder_state {
    WS_STATE_HEADER,     /* the first two bytes */
    WS_STATE_LENGTH,     /* 2 or 8 bytes of extended length */
    WS_STATE_MASK_KEY,   /* 4 bytes of masking key */
    WS_STATE_PAYLOAD,    /* header reported; payload bytes follow */
    WS_STATE_END,        /* payload complete; the frame event is due */
    WS_STATE_FAILED,     /* an error was reported; nothing more is read */
};

struct ws_decoder {
    enum ws_role role;
    uint64_t max_frame;      /* larger payload: error with close code 1009 */
    enum ws_decoder_state state;
    struct ws_frame_header header;
    uint8_t bytes[8];        /* the field being collected */
    size_t have, need;
    bool header_reported;
    uint64_t received;       /* payload bytes handed out so far */
    const char *error;
    int close_code;
};

void ws_decoder_init(struct ws_decoder *d, enum ws_role role, uint64_t max_frame);

/* Takes bytes, see the top of this file.  *used says how many were taken. */
enum ws_decode_event ws_decode(struct ws_decoder *d, const uint8_t *data, size_t len,
                               size_t *used, struct ws_payload *piece);

/* True if ws_decode() has an event to report without more input (the end
 * of a frame whose last payload byte has just been handed out, or of an
 * empty frame). */
bool ws_decode_pending(const struct ws_decoder *d);

/* Writes a frame header into out (WS_MAX_HEADER bytes) and returns its
 * length: the shortest length form that holds length (§5.2), and the
 * masking key when mask is not NULL. */
size_t ws_encode_header(uint8_t *out, bool fin, unsigned opcode, uint64_t length,
                        const uint8_t *mask);

/* XORs len bytes with the masking key, starting at position offset of the
 * payload (§5.3); masking and unmasking are the same operation.  dst may be
 * src. */
void ws_unmask(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t mask[4],
               uint64_t offset);

#endif
