/* frame.c - encoder and incremental decoder of framed messages (see frame.h). */
#include "frame.h"

#include "net.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- the decoder's states ------------------------------------------------------- */

static void decoder_fail(struct frame_decoder *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void decoder_fail(struct frame_decoder *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->error, sizeof d->error, fmt, ap);
    va_end(ap);
    d->state = FRAME_FAILED;
}

static void release_message(struct frame_decoder *d)
{
    json_object_free(&d->message.header);
    free(d->message.content);
    free(d->header_text);
    d->message = (struct frame_message){0};
    d->header_text = NULL;
    d->prefix_got = d->header_len = d->header_got = 0;
    d->content_got = d->content_cap = 0;
}

void frame_decoder_init(struct frame_decoder *d, const struct frame_limits *limits)
{
    *d = (struct frame_decoder){0};
    d->limits.max_header = FRAME_DEFAULT_MAX_HEADER;
    d->limits.max_content = FRAME_DEFAULT_MAX_CONTENT;
    if (limits != NULL)
        d->limits = *limits;
    if (d->limits.max_header > FRAME_HEADER_MAX)
        d->limits.max_header = FRAME_HEADER_MAX;
    d->state = FRAME_HEADER_LENGTH;
}

void frame_decoder_free(struct frame_decoder *d)
{
    release_message(d);
}

size_t frame_decoder_memory(const struct frame_decoder *d)
{
    return (d->header_text != NULL ? d->header_len + 1 : 0) +
           (d->message.content != NULL ? d->content_cap + 1 : 0);
}

static size_t take_at_most(size_t wanted, size_t available)
{
    return wanted < available ? wanted : available;
}

/* State HEADER_LENGTH: two bytes, most significant first ("network byte
 * order"), which may arrive one at a time. */
static size_t read_header_length(struct frame_decoder *d, const unsigned char *in,
                                 size_t len)
{
    size_t n = take_at_most(FRAME_PREFIX_LEN - d->prefix_got, len);
    memcpy(d->prefix + d->prefix_got, in, n);
    d->prefix_got += n;
    if (d->prefix_got < FRAME_PREFIX_LEN)
        return n;

    d->header_len = (size_t)d->prefix[0] << 8 | d->prefix[1];
    if (d->header_len == 0)
        decoder_fail(d, "header length 0: a header is a JSON object, at least \"{}\"");
    else if (d->header_len > d->limits.max_header)
        decoder_fail(d, "header length %zu is over the limit of %zu bytes",
                     d->header_len, d->limits.max_header);
    else if ((d->header_text = malloc(d->header_len + 1)) == NULL)
        decoder_fail(d, "out of memory for a header of %zu bytes", d->header_len);
    else
        d->state = FRAME_HEADER;
    return n;
}

/* The required key named key, of the given type; NULL after failing. */
static const struct json_value *required(struct frame_decoder *d, const char *key,
                                         enum json_type type)
{
    static const char *const type_names[] = {
        [JSON_NULL] = "null",        [JSON_BOOL] = "a boolean", [JSON_INT] = "an integer",
        [JSON_NUMBER] = "a number with a fraction or an exponent, or out of range", [JSON_STRING] = "a string",
        [JSON_ARRAY] = "an array",   [JSON_OBJECT] = "an object"};
    const struct json_value *v = json_get(&d->message.header, key);
    if (v == NULL)
        decoder_fail(d, "the header has no \"%s\"", key);
    else if (v->type != type)
        decoder_fail(d, "\"%s\" must be %s, not %s", key, type_names[type],
                     type_names[v->type]);
    /* A NUL inside (written \u0000) would make strcmp() see another word:
     * "text/json\u0000x" is not "text/json", and is refused here so that the
     * message's strings can be compared as C strings. */
    else if (type == JSON_STRING && strlen(v->string) != v->length)
        decoder_fail(d, "\"%s\" must not contain a NUL byte", key);
    return d->state == FRAME_FAILED ? NULL : v;
}

/* The four keys every header must hold, checked once the header is read. */
static void check_header(struct frame_decoder *d)
{
    struct frame_message *m = &d->message;
    const struct json_value *order = required(d, "byteorder", JSON_STRING);
    const struct json_value *length = order ? required(d, "content-length", JSON_INT) : NULL;
    const struct json_value *type = length ? required(d, "content-type", JSON_STRING) : NULL;
    const struct json_value *encoding =
        type ? required(d, "content-encoding", JSON_STRING) : NULL;
    if (encoding == NULL)
        return;

    if (strcmp(order->string, "little") != 0 && strcmp(order->string, "big") != 0)
        decoder_fail(d, "\"byteorder\" must be \"little\" or \"big\"");
    else if (length->integer < 0)
        decoder_fail(d, "\"content-length\" is negative (%lld)", length->integer);
    else if ((unsigned long long)length->integer > d->limits.max_content)
        decoder_fail(d, "\"content-length\" %lld is over the limit of %zu bytes",
                     length->integer, d->limits.max_content);
    if (d->state == FRAME_FAILED)
        return;
    m->byteorder = order->string;
    m->content_type = type->string;
    m->content_encoding = encoding->string;
    m->content_length = (size_t)length->integer;
}

/* Content of length 0 still gets a buffer, so that content is never NULL. */
static void start_content(struct frame_decoder *d)
{
    d->content_cap = take_at_most(d->message.content_length, 4096);
    d->message.content = malloc(d->content_cap + 1);
    if (d->message.content == NULL) {
        decoder_fail(d, "out of memory for the content");
        return;
    }
    d->message.content[0] = '\0';
    if (d->message.content_length == 0)
        d->state = FRAME_COMPLETE;
    else
        d->state = FRAME_CONTENT;
}

/* State HEADER: header_len bytes of JSON, parsed once all are in. */
static size_t read_header(struct frame_decoder *d, const unsigned char *in, size_t len)
{
    size_t n = take_at_most(d->header_len - d->header_got, len);
    memcpy(d->header_text + d->header_got, in, n);
    d->header_got += n;
    if (d->header_got < d->header_len)
        return n;

    char why[JSON_ERR_LEN];
    if (json_parse_object(d->header_text, d->header_len, &d->message.header, why) < 0) {
        decoder_fail(d, "the header is not a JSON object: %s", why);
        return n;
    }
    check_header(d);
    if (d->state != FRAME_FAILED)
        start_content(d);
    return n;
}

/* State CONTENT.  The buffer grows as bytes arrive instead of being
 * allocated at the announced length at once: a peer that announces a
 * megabyte and sends nothing costs this side nothing. */
static size_t read_content(struct frame_decoder *d, const unsigned char *in, size_t len)
{
    size_t n = take_at_most(d->message.content_length - d->content_got, len);
    if (d->content_got + n > d->content_cap) {
        size_t cap = d->content_cap * 2;
        if (cap < d->content_got + n)
            cap = d->content_got + n;
        cap = take_at_most(cap, d->message.content_length);
        char *grown = realloc(d->message.content, cap + 1);
        if (grown == NULL) {
            decoder_fail(d, "out of memory for %zu bytes of content", cap);
            return 0;
        }
        d->message.content = grown;
        d->content_cap = cap;
    }
    memcpy(d->message.content + d->content_got, in, n);
    d->content_got += n;
    if (d->content_got == d->message.content_length) {
        d->message.content[d->content_got] = '\0';
        d->state = FRAME_COMPLETE;
    }
    return n;
}

enum frame_result frame_decode(struct frame_decoder *d, const void *data, size_t len,
                               size_t *used)
{
    const unsigned char *in = data;
    size_t pos = 0;

    if (d->state == FRAME_COMPLETE) { /* the last message has been handled */
        release_message(d);
        d->state = FRAME_HEADER_LENGTH;
    }
    while (pos < len && d->state != FRAME_COMPLETE && d->state != FRAME_FAILED) {
        switch (d->state) {
        case FRAME_HEADER_LENGTH:
            pos += read_header_length(d, in + pos, len - pos);
            break;
        case FRAME_HEADER:
            pos += read_header(d, in + pos, len - pos);
            break;
        case FRAME_CONTENT:
            pos += read_content(d, in + pos, len - pos);
            break;
        case FRAME_COMPLETE:
        case FRAME_FAILED:
            break;
        }
    }
    *used = pos;
    if (d->state == FRAME_FAILED)
        return FRAME_BAD_INPUT;
    return d->state == FRAME_COMPLETE ? FRAME_GOT_MESSAGE : FRAME_NEED_MORE;
}

int frame_decode_end(struct frame_decoder *d)
{
    switch (d->state) {
    case FRAME_HEADER_LENGTH:
        if (d->prefix_got == 0)
            return 0;
        decoder_fail(d, "the stream ended after 1 of the 2 bytes of the header length");
        return -1;
    case FRAME_HEADER:
        decoder_fail(d, "the stream ended after %zu of the %zu bytes of the header",
                     d->header_got, d->header_len);
        return -1;
    case FRAME_CONTENT:
        decoder_fail(d, "the stream ended after %zu of the %zu bytes of the content",
                     d->content_got, d->message.content_length);
        return -1;
    case FRAME_COMPLETE:
        return 0;
    case FRAME_FAILED:
        return -1;
    }
    return -1;
}

/* ---- encoding ------------------------------------------------------------------- */

/* The byte order is visible in memory: the first byte of the 16-bit 1 is 1
 * on a little-endian machine (x86, most ARM) and 0 on a big-endian one. */
const char *frame_host_byteorder(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1 ? "little" : "big";
}

void frame_header_begin(struct json_writer *header, const char *content_type,
                        const char *content_encoding, size_t content_length)
{
    json_writer_begin(header);
    json_write_string(header, "byteorder", frame_host_byteorder(),
                      strlen(frame_host_byteorder()));
    json_write_string(header, "content-type", content_type, strlen(content_type));
    json_write_string(header, "content-encoding", content_encoding,
                      strlen(content_encoding));
    json_write_int(header, "content-length", (long long)content_length);
}

char *frame_pack(struct json_writer *header, const void *content, size_t content_len,
                 size_t *out_len, char *err)
{
    char why[JSON_ERR_LEN];
    size_t header_len;
    char *header_text = json_writer_end(header, &header_len, why);
    if (header_text == NULL) {
        snprintf(err, FRAME_ERR_LEN, "writing the header: %s", why);
        return NULL;
    }
    if (header_len > FRAME_HEADER_MAX) {
        snprintf(err, FRAME_ERR_LEN, "the header is %zu bytes, more than the %d "
                 "that a 2-byte length can announce", header_len, FRAME_HEADER_MAX);
        free(header_text);
        return NULL;
    }
    size_t total = FRAME_PREFIX_LEN + header_len + content_len;
    unsigned char *message = malloc(total > 0 ? total : 1);
    if (message == NULL) {
        snprintf(err, FRAME_ERR_LEN, "out of memory for a message of %zu bytes", total);
        free(header_text);
        return NULL;
    }
    /* Most significant byte first, whatever this machine's own order. */
    message[0] = (unsigned char)(header_len >> 8);
    message[1] = (unsigned char)(header_len & 0xFF);
    memcpy(message + FRAME_PREFIX_LEN, header_text, header_len);
    if (content_len > 0)
        memcpy(message + FRAME_PREFIX_LEN + header_len, content, content_len);
    free(header_text);
    *out_len = total;
    return (char *)message;
}

char *frame_encode(const char *content_type, const char *content_encoding,
                   const void *content, size_t content_len, size_t *out_len, char *err)
{
    struct json_writer header;
    frame_header_begin(&header, content_type, content_encoding, content_len);
    return frame_pack(&header, content, content_len, out_len, err);
}

/* ---- blocking sockets ------------------------------------------------------------- */

void frame_reader_init(struct frame_reader *r, int fd, const struct frame_limits *limits)
{
    r->fd = fd;
    r->start = r->end = 0;
    frame_decoder_init(&r->decoder, limits);
}

void frame_reader_free(struct frame_reader *r)
{
    frame_decoder_free(&r->decoder);
}

int frame_read(struct frame_reader *r, char *err)
{
    for (;;) {
        /* First what is left over from the last recv(). */
        size_t used;
        enum frame_result result =
            frame_decode(&r->decoder, r->buf + r->start, r->end - r->start, &used);
        r->start += used;
        if (result == FRAME_GOT_MESSAGE)
            return 1;
        if (result == FRAME_BAD_INPUT) {
            snprintf(err, FRAME_ERR_LEN, "malformed message: %.200s", r->decoder.error);
            return -1;
        }
        ssize_t n;
        do
            n = recv(r->fd, r->buf, sizeof r->buf, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            snprintf(err, FRAME_ERR_LEN, "receiving: %s", strerror(errno));
            return -1;
        }
        if (n == 0) {
            if (frame_decode_end(&r->decoder) == 0)
                return 0;
            snprintf(err, FRAME_ERR_LEN, "receiving: %.200s", r->decoder.error);
            return -1;
        }
        r->start = 0;
        r->end = (size_t)n;
    }
}

int frame_send(int fd, const void *message, size_t len)
{
    return net_send_all(fd, message, len) < 0 ? -1 : 0;
}
