/* frame-dump - runs the decoder over a stream read from stdin.
 *
 *   frame-dump [-c CHUNK] [-s SPLIT] [--max-header N] [--max-content N]
 *   frame-dump --json
 *
 * Reads all of stdin and feeds it to the decoder of frame.h CHUNK bytes at
 * a time (default: all at once), or in two pieces cut after byte SPLIT.
 * For each message it prints its header, written out again, and its
 * content, with bytes that are not printable ASCII as \xNN:
 *
 *     message 1: {"byteorder": "big", ...}
 *     content (5 bytes): hello
 *
 * The first malformed byte ends it: "frame-dump: malformed message: WHY"
 * on stderr, exit 1; so does a stream that stops in the middle of a
 * message.  With --json, stdin is one JSON object instead, printed as the
 * reader understood it, or its error.  A tool to watch the decoder work and
 * to test it.
 */
#include "frame.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: frame-dump [-c CHUNK] [-s SPLIT] [--max-header N] [--max-content N]\n"
                "       frame-dump --json\n"
                "Decodes framed messages (or, with --json, one JSON object) from stdin.\n");
    exit(status);
}

static char *read_all(FILE *in, size_t *len)
{
    size_t cap = 4096, used = 0;
    char *data = malloc(cap);
    while (data != NULL) {
        used += fread(data + used, 1, cap - used, in);
        if (used < cap)
            break;
        char *grown = realloc(data, cap * 2);
        if (grown == NULL)
            free(data);
        data = grown;
        cap *= 2;
    }
    if (data == NULL || ferror(in)) {
        fprintf(stderr, "frame-dump: reading stdin: %s\n", strerror(errno));
        exit(1);
    }
    *len = used;
    return data;
}

/* The object as the writer writes it back: what the reader understood. */
static void print_object(const struct json_object *obj)
{
    struct json_writer w;
    char err[JSON_ERR_LEN];
    size_t len;

    json_writer_begin(&w);
    for (size_t i = 0; i < obj->count; i++)
        json_write_value(&w, obj->members[i].key, &obj->members[i].value);
    char *text = json_writer_end(&w, &len, err);
    if (text == NULL) {
        fprintf(stderr, "frame-dump: %s\n", err);
        exit(1);
    }
    fwrite(text, 1, len, stdout);
    putchar('\n');
    free(text);
}

static void print_content(const struct frame_message *m)
{
    printf("content (%zu bytes): ", m->content_length);
    for (size_t i = 0; i < m->content_length; i++) {
        unsigned char ch = (unsigned char)m->content[i];
        if (ch >= 0x20 && ch < 0x7F && ch != '\\')
            putchar(ch);
        else
            printf("\\x%02x", ch);
    }
    putchar('\n');
}

static int dump_json(const char *data, size_t len)
{
    struct json_object obj;
    char err[JSON_ERR_LEN];
    if (json_parse_object(data, len, &obj, err) < 0) {
        fprintf(stderr, "frame-dump: not a JSON object: %s\n", err);
        return 1;
    }
    print_object(&obj);
    json_object_free(&obj);
    return 0;
}

/* Feeds one piece; returns false once the stream turned out malformed. */
static bool feed(struct frame_decoder *d, const char *piece, size_t len,
                 unsigned long *count)
{
    while (len > 0) {
        size_t used;
        enum frame_result r = frame_decode(d, piece, len, &used);
        piece += used;
        len -= used;
        if (r == FRAME_BAD_INPUT) {
            fflush(stdout); /* the messages before the error come first */
            fprintf(stderr, "frame-dump: malformed message: %s\n", d->error);
            return false;
        }
        if (r == FRAME_GOT_MESSAGE) {
            printf("message %lu: ", ++*count);
            print_object(&d->message.header);
            print_content(&d->message);
        }
    }
    return true;
}

static size_t number(const char *text)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0)
        usage(stderr, 2);
    return (size_t)v;
}

int main(int argc, char **argv)
{
    size_t chunk = 0, split = 0;
    bool json = false;
    struct frame_limits limits = {FRAME_DEFAULT_MAX_HEADER, FRAME_DEFAULT_MAX_CONTENT};

    for (int i = 1; i < argc; i++) {
        const char *option = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(option, "--help") == 0)
            usage(stdout, 0);
        else if (strcmp(option, "--json") == 0)
            json = true;
        else if (value == NULL)
            usage(stderr, 2);
        else if (strcmp(option, "-c") == 0)
            chunk = number(value), i++;
        else if (strcmp(option, "-s") == 0)
            split = number(value), i++;
        else if (strcmp(option, "--max-header") == 0)
            limits.max_header = number(value), i++;
        else if (strcmp(option, "--max-content") == 0)
            limits.max_content = number(value), i++;
        else
            usage(stderr, 2);
    }

    size_t len;
    char *data = read_all(stdin, &len);
    if (json) {
        int status = dump_json(data, len);
        free(data);
        return status;
    }

    struct frame_decoder d;
    frame_decoder_init(&d, &limits);
    unsigned long count = 0;
    bool ok;
    if (split > 0 && split < len)
        ok = feed(&d, data, split, &count) && feed(&d, data + split, len - split, &count);
    else if (chunk > 0) {
        ok = true;
        for (size_t at = 0; ok && at < len; at += chunk)
            ok = feed(&d, data + at, len - at < chunk ? len - at : chunk, &count);
    } else {
        ok = feed(&d, data, len, &count);
    }
    if (ok && frame_decode_end(&d) < 0) {
        fflush(stdout);
        fprintf(stderr, "frame-dump: malformed message: %s\n", d.error);
        ok = false;
    }
    frame_decoder_free(&d);
    free(data);
    if (fflush(stdout) != 0)
        return 1;
    return ok ? 0 : 1;
}
