/* send-file - sends a file as one framed message, with its size and a
 * checksum in the header.
 *
 *   send-file HOST PORT FILE
 *
 * The content is the file's bytes, of type application/octet-stream; the
 * header carries, besides the four keys every message has:
 *
 *     "file-name"  the file's name without its directory (a string)
 *     "file-size"  its size in bytes (an integer, equal to content-length)
 *     "crc32"      the CRC-32 of its bytes (an integer, 0 to 4294967295)
 *
 * so that the receiver can check that what arrived is what was sent.  Then
 * it reads the answer and prints "sent NAME: N bytes, crc32 XXXXXXXX" and,
 * for a JSON answer, "answer: RESULT".
 *
 * Exercise 3 of chapter 04 (see README.md).
 */
#include "frame.h"
#include "net.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: send-file HOST PORT FILE\n"
                "Sends FILE as one message, with its name, size and CRC-32 in the header.\n");
    exit(status);
}

/* The CRC-32 of IEEE 802.3 (the one of zip, PNG and Ethernet), a bit at a
 * time: reflected, polynomial 0xEDB88320, starting from and ending with all
 * bits inverted.  The CRC of "123456789" is 0xCBF43926. */
static uint32_t crc32(const unsigned char *data, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; bit++)
            crc = crc & 1 ? crc >> 1 ^ 0xEDB88320u : crc >> 1;
    }
    return crc ^ 0xFFFFFFFFu;
}

/* The whole file in memory (a real program would stream a large one). */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "send-file: opening %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, used = 0;
    char *data = malloc(cap);
    while (data != NULL) {
        used += fread(data + used, 1, cap - used, f);
        if (used < cap)
            break;
        char *grown = realloc(data, cap * 2);
        if (grown == NULL)
            free(data);
        data = grown;
        cap *= 2;
    }
    int failed = data == NULL || ferror(f);
    fclose(f);
    if (failed) {
        fprintf(stderr, "send-file: reading %s: %s\n", path, strerror(errno));
        free(data);
        return NULL;
    }
    *len = used;
    return data;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

static char *build_message(const char *path, const char *data, size_t len,
                           uint32_t crc, size_t *message_len, char *err)
{
    struct json_writer header;
    const char *name = base_name(path);

    frame_header_begin(&header, "application/octet-stream", "binary", len);
    json_write_string(&header, "file-name", name, strlen(name));
    json_write_int(&header, "file-size", (long long)len);
    json_write_int(&header, "crc32", (long long)crc);
    return frame_pack(&header, data, len, message_len, err);
}

static int print_answer(const struct frame_message *m)
{
    if (strcmp(m->content_type, "text/json") != 0)
        return 0;
    struct json_object answer;
    char err[JSON_ERR_LEN];
    if (json_parse_object(m->content, m->content_length, &answer, err) < 0) {
        fprintf(stderr, "send-file: the answer is not a JSON object: %s\n", err);
        return -1;
    }
    const struct json_value *result = json_get(&answer, "result");
    const struct json_value *error = json_get(&answer, "error");
    int status = 0;
    if (result != NULL && result->type == JSON_STRING) {
        printf("answer: %s\n", result->string);
    } else if (error != NULL && error->type == JSON_STRING) {
        fprintf(stderr, "send-file: the server answered: %s\n", error->string);
        status = -1;
    }
    json_object_free(&answer);
    return status;
}

static int send_and_wait(int server, const char *message, size_t len)
{
    struct frame_reader reader;
    char err[FRAME_ERR_LEN];

    if (frame_send(server, message, len) < 0) {
        fprintf(stderr, "send-file: sending: %s\n", strerror(errno));
        return -1;
    }
    frame_reader_init(&reader, server, NULL);
    int got = frame_read(&reader, err);
    int status = -1;
    if (got < 0)
        fprintf(stderr, "send-file: %s\n", err);
    else if (got == 0)
        fprintf(stderr, "send-file: the server closed the connection without answering\n");
    else
        status = print_answer(&reader.decoder.message);
    frame_reader_free(&reader);
    return status;
}

int main(int argc, char **argv)
{
    char err[NET_ERR_LEN > FRAME_ERR_LEN ? NET_ERR_LEN : FRAME_ERR_LEN];
    size_t len, message_len;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc != 4)
        usage(stderr, 2);
    char *data = read_file(argv[3], &len);
    if (data == NULL)
        return 1;
    uint32_t crc = crc32((const unsigned char *)data, len);
    char *message = build_message(argv[3], data, len, crc, &message_len, err);
    free(data);
    if (message == NULL) {
        fprintf(stderr, "send-file: %s\n", err);
        return 1;
    }
    int server = net_connect(argv[1], argv[2], SOCK_STREAM, err);
    if (server < 0) {
        fprintf(stderr, "send-file: %s\n", err);
        free(message);
        return 1;
    }
    printf("sent %s: %zu bytes, crc32 %08x\n", base_name(argv[3]), len, (unsigned)crc);
    int status = send_and_wait(server, message, message_len) == 0 ? 0 : 1;
    close(server);
    free(message);
    return status;
}
