/* app-pipeline - many searches on one connection, pipelined.
 *
 *   app-pipeline HOST PORT VALUE...
 *
 * Sends one search request per VALUE, all of them in a single write, and
 * only then reads the answers: one round trip for the lot instead of one
 * per request.  The answers come back in the order of the requests, so the
 * Nth answer belongs to the Nth VALUE; each is printed as "VALUE: RESULT".
 * Exit 0 when every request was answered, 1 otherwise.
 *
 * Exercise 2 of chapter 04 (see README.md).
 */
#include "frame.h"
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: app-pipeline HOST PORT VALUE...\n"
                "Sends a search for every VALUE at once, then prints the answers in order.\n");
    exit(status);
}

/* Appends the search request for value to *all (grown with realloc). */
static int add_request(char **all, size_t *all_len, const char *value)
{
    struct json_writer request;
    char err[FRAME_ERR_LEN];
    size_t content_len, len;

    json_writer_begin(&request);
    json_write_string(&request, "action", "search", 6);
    json_write_string(&request, "value", value, strlen(value));
    char *content = json_writer_end(&request, &content_len, err);
    char *message = content == NULL ? NULL
                                    : frame_encode("text/json", "utf-8", content,
                                                   content_len, &len, err);
    free(content);
    char *grown = message == NULL ? NULL : realloc(*all, *all_len + len);
    if (grown == NULL) {
        fprintf(stderr, "app-pipeline: building the request for \"%s\": %s\n", value,
                message == NULL ? err : strerror(ENOMEM));
        free(message);
        return -1;
    }
    memcpy(grown + *all_len, message, len);
    *all = grown;
    *all_len += len;
    free(message);
    return 0;
}

/* "VALUE: RESULT" for one answer. */
static void print_answer(const char *value, const struct frame_message *m)
{
    struct json_object answer;
    char err[JSON_ERR_LEN];

    if (json_parse_object(m->content, m->content_length, &answer, err) < 0) {
        printf("%s: (not a JSON answer: %s)\n", value, err);
        return;
    }
    const struct json_value *result = json_get(&answer, "result");
    const struct json_value *error = json_get(&answer, "error");
    if (result != NULL && result->type == JSON_STRING)
        printf("%s: %s\n", value, result->string);
    else if (error != NULL && error->type == JSON_STRING)
        printf("%s: error: %s\n", value, error->string);
    else
        printf("%s: (no result)\n", value);
    json_object_free(&answer);
}

/* Reads count answers, the Nth for values[N]. */
static int read_answers(int server, char **values, int count)
{
    struct frame_reader reader;
    char err[FRAME_ERR_LEN];
    int status = 0;

    frame_reader_init(&reader, server, NULL);
    for (int i = 0; i < count; i++) {
        int got = frame_read(&reader, err);
        if (got <= 0) {
            fprintf(stderr, "app-pipeline: after %d of %d answers: %s\n", i, count,
                    got < 0 ? err : "the server closed the connection");
            status = -1;
            break;
        }
        print_answer(values[i], &reader.decoder.message);
    }
    frame_reader_free(&reader);
    return status;
}

int main(int argc, char **argv)
{
    char err[NET_ERR_LEN];
    char *requests = NULL;
    size_t len = 0;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc < 4)
        usage(stderr, 2);
    setvbuf(stdout, NULL, _IOLBF, 0);

    for (int i = 3; i < argc; i++)
        if (add_request(&requests, &len, argv[i]) < 0)
            return 1;
    int server = net_connect(argv[1], argv[2], SOCK_STREAM, err);
    if (server < 0) {
        fprintf(stderr, "app-pipeline: %s\n", err);
        free(requests);
        return 1;
    }
    int status = 1;
    /* All requests in one write; the answers are read after it. */
    if (frame_send(server, requests, len) < 0)
        fprintf(stderr, "app-pipeline: sending: %s\n", strerror(errno));
    else if (read_answers(server, argv + 3, argc - 3) == 0)
        status = 0;
    close(server);
    free(requests);
    return status;
}
