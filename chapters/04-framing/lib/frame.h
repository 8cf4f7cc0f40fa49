/* frame.h - framed messages over a byte stream: the protocol of chapter 04.
 *
 * Every message, in both directions, is
 *
 *     +---------+------------------------+---------------------------+
 *     | 2 bytes | HDRLEN bytes           | CONTENT-LENGTH bytes      |
 *     | HDRLEN  | header: a JSON object, | content                   |
 *     | big-end.| UTF-8                  |                           |
 *     +---------+------------------------+---------------------------+
 *
 * and the header holds at least "byteorder" ("little" or "big"),
 * "content-length" (an integer), "content-type" and "content-encoding"
 * (strings).
 *
 * The decoder is incremental: it takes bytes as they arrive, in pieces of
 * any size, and says after each piece whether a whole message is ready.  It
 * is an explicit state machine, one state per part of the message:
 *
 *     HEADER_LENGTH --2 bytes--> HEADER --HDRLEN bytes--> CONTENT --> COMPLETE
 *                                                   (no content) `--> COMPLETE
 *
 * and any state can go to FAILED, for good: after a malformed message the
 * stream cannot be trusted to be at a message boundary any more.
 */
#ifndef FRAME_H
#define FRAME_H

#include "json.h"

#include <stdbool.h>
#include <stddef.h>

#define FRAME_ERR_LEN 256

/* The 2-byte length prefix can say at most 65535. */
#define FRAME_PREFIX_LEN 2
#define FRAME_HEADER_MAX 65535

/* What a decoder accepts, unless told otherwise.  A real header is a
 * hundred bytes or so; the limits say how much memory one peer may make
 * this side spend before it has proved anything. */
#define FRAME_DEFAULT_MAX_HEADER (16 * 1024)
#define FRAME_DEFAULT_MAX_CONTENT (1024 * 1024)

struct frame_limits {
    size_t max_header;  /* at most FRAME_HEADER_MAX */
    size_t max_content;
};

/* A decoded message. */
struct frame_message {
    struct json_object header;    /* every key of the header */
    const char *byteorder;        /* the required keys, pointing into header */
    const char *content_type;
    const char *content_encoding;
    size_t content_length;
    char *content;                /* content_length bytes, then a NUL */
};

enum frame_state {
    FRAME_HEADER_LENGTH, /* reading the 2-byte big-endian header length */
    FRAME_HEADER,        /* reading the JSON header */
    FRAME_CONTENT,       /* reading content-length bytes of content */
    FRAME_COMPLETE,      /* a message is ready */
    FRAME_FAILED         /* malformed input; see error */
};

enum frame_result { FRAME_NEED_MORE, FRAME_GOT_MESSAGE, FRAME_BAD_INPUT };

struct frame_decoder {
    struct frame_limits limits;
    enum frame_state state;
    unsigned char prefix[FRAME_PREFIX_LEN];
    size_t prefix_got;
    size_t header_len, header_got;
    char *header_text;
    size_t content_got, content_cap;
    struct frame_message message;
    char error[FRAME_ERR_LEN];
};

/* limits may be NULL for the defaults. */
void frame_decoder_init(struct frame_decoder *d, const struct frame_limits *limits);
void frame_decoder_free(struct frame_decoder *d);

/* Feeds len bytes of the stream to the decoder and stores in *used how many
 * it took.  Returns
 *   FRAME_NEED_MORE    all len bytes taken, no message complete yet;
 *   FRAME_GOT_MESSAGE  a message is complete: d->message, valid until the
 *                      next call.  *used may be less than len: the rest
 *                      belongs to the next message, so feed it again;
 *   FRAME_BAD_INPUT    the stream is malformed: d->error says why, in one
 *                      line; every later call fails the same way. */
enum frame_result frame_decode(struct frame_decoder *d, const void *data, size_t len,
                               size_t *used);

/* The bytes of memory the decoder holds for the message it is reading: its
 * header text and its content buffer (which grows as the content arrives,
 * up to content-length).  A server adds these up over its connections to
 * keep them all within one memory budget. */
size_t frame_decoder_memory(const struct frame_decoder *d);

/* The stream has ended.  Returns 0 if that happened between two messages,
 * or -1 with d->error saying where in a message it was cut. */
int frame_decode_end(struct frame_decoder *d);

/* ---- encoding ----------------------------------------------------------------- */

/* "little" or "big": this machine's byte order, for the "byteorder" key. */
const char *frame_host_byteorder(void);

/* Starts a header with the four required keys; more can be added with the
 * json_write_ calls before frame_pack(). */
void frame_header_begin(struct json_writer *header, const char *content_type,
                        const char *content_encoding, size_t content_length);

/* Closes the header and returns one buffer with the whole message (length
 * prefix, header, content), *out_len bytes, to free(); or NULL with the
 * reason in err (FRAME_ERR_LEN bytes). */
char *frame_pack(struct json_writer *header, const void *content, size_t content_len,
                 size_t *out_len, char *err);

/* frame_header_begin() + frame_pack(), for a message with only the four
 * required keys. */
char *frame_encode(const char *content_type, const char *content_encoding,
                   const void *content, size_t content_len, size_t *out_len, char *err);

/* ---- reading from a blocking socket (for clients) --------------------------------- */

/* A decoder with the bytes that came after the last message: one recv()
 * may bring the start of the next message too, and those bytes must not be
 * lost. */
struct frame_reader {
    int fd;
    struct frame_decoder decoder;
    char buf[4096];
    size_t start, end;
};

void frame_reader_init(struct frame_reader *r, int fd, const struct frame_limits *limits);
void frame_reader_free(struct frame_reader *r);

/* Reads until the next message is complete: returns 1 with the message in
 * r->decoder.message (valid until the next call), 0 if the peer closed the
 * connection between two messages, or -1 with the reason in err
 * (FRAME_ERR_LEN bytes): a receive error, malformed input, or a connection
 * closed in the middle of a message. */
int frame_read(struct frame_reader *r, char *err);

/* Sends one whole message (net_send_all); returns 0, or -1 with errno set. */
int frame_send(int fd, const void *message, size_t len);

#endif
