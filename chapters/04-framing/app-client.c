/* app-client - sends one framed request to app-server and prints the answer.
 *
 *   app-client [--binary] HOST PORT ACTION VALUE
 *
 * Without --binary the request is the JSON object
 * {"action": ACTION, "value": VALUE}, sent as text/json; the client prints
 * the "result" of the answer and a newline.  With --binary, ACTION and VALUE
 * joined by one space are sent as opaque bytes
 * (binary/custom-client-binary-type), and the client writes the bytes of the
 * answer to stdout exactly as they came, with nothing added.
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
    fprintf(to, "usage: app-client [--binary] HOST PORT ACTION VALUE\n"
                "Sends {\"action\": ACTION, \"value\": VALUE} to app-server and prints\n"
                "the result.  --binary sends \"ACTION VALUE\" as opaque bytes instead\n"
                "and writes the bytes of the answer as they come.\n");
    exit(status);
}

static int fail(const char *what)
{
    fprintf(stderr, "app-client: %s\n", what);
    return -1;
}

/* The whole request message: length prefix, header, content. */
static char *build_request(bool binary, const char *action, const char *value,
                           size_t *len, char *err)
{
    if (binary) {
        size_t n = strlen(action) + 1 + strlen(value);
        char *content = malloc(n + 1);
        if (content == NULL) {
            snprintf(err, FRAME_ERR_LEN, "%s", strerror(ENOMEM));
            return NULL;
        }
        snprintf(content, n + 1, "%s %s", action, value);
        char *message = frame_encode("binary/custom-client-binary-type", "binary",
                                     content, n, len, err);
        free(content);
        return message;
    }
    struct json_writer request;
    char why[JSON_ERR_LEN];
    size_t content_len;
    json_writer_begin(&request);
    json_write_string(&request, "action", action, strlen(action));
    json_write_string(&request, "value", value, strlen(value));
    char *content = json_writer_end(&request, &content_len, why);
    if (content == NULL) {
        snprintf(err, FRAME_ERR_LEN, "building the request: %s", why);
        return NULL;
    }
    char *message = frame_encode("text/json", "utf-8", content, content_len, len, err);
    free(content);
    return message;
}

/* Prints a JSON answer's "result": a string as its text, anything else as
 * JSON writes it.  An "error" answer is reported as an error. */
static int print_result(const struct frame_message *m)
{
    struct json_object answer;
    char err[JSON_ERR_LEN];

    if (json_parse_object(m->content, m->content_length, &answer, err) < 0) {
        fprintf(stderr, "app-client: the answer is not a JSON object: %s\n", err);
        return -1;
    }
    const struct json_value *result = json_get(&answer, "result");
    const struct json_value *error = json_get(&answer, "error");
    int status = 0;
    if (result != NULL && result->type == JSON_STRING) {
        fwrite(result->string, 1, result->length, stdout);
        putchar('\n');
    } else if (result != NULL && result->type == JSON_INT) {
        printf("%lld\n", result->integer);
    } else if (result != NULL && result->type == JSON_BOOL) {
        puts(result->boolean ? "true" : "false");
    } else if (result != NULL) {
        puts("null");
    } else if (error != NULL && error->type == JSON_STRING) {
        fprintf(stderr, "app-client: the server answered: %s\n", error->string);
        status = -1;
    } else {
        status = fail("the answer has no \"result\"");
    }
    json_object_free(&answer);
    return status;
}

static int print_answer(const struct frame_message *m)
{
    int status;
    if (strcmp(m->content_type, "text/json") == 0 &&
        strcmp(m->content_encoding, "utf-8") == 0)
        status = print_result(m);
    else
        status = fwrite(m->content, 1, m->content_length, stdout) == m->content_length
                     ? 0 : -1;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "app-client: writing the answer: %s\n", strerror(errno));
        return -1;
    }
    return status;
}

/* Sends the request and reads the one answer. */
static int ask(int server, const char *request, size_t len)
{
    char err[FRAME_ERR_LEN + 32];
    struct frame_reader reader;

    if (frame_send(server, request, len) < 0) {
        snprintf(err, sizeof err, "sending: %s", strerror(errno));
        return fail(err);
    }
    frame_reader_init(&reader, server, NULL);
    int got = frame_read(&reader, err);
    int status = 0;
    if (got < 0)
        status = fail(err);
    else if (got == 0)
        status = fail("the server closed the connection without answering");
    else
        status = print_answer(&reader.decoder.message);
    frame_reader_free(&reader);
    return status;
}

int main(int argc, char **argv)
{
    bool binary = false;
    char err[NET_ERR_LEN > FRAME_ERR_LEN ? NET_ERR_LEN : FRAME_ERR_LEN];
    size_t len;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        usage(stdout, 0);
    if (argc > 1 && strcmp(argv[1], "--binary") == 0) {
        binary = true;
        argc--, argv++;
    }
    if (argc != 5 || argv[1][0] == '-')
        usage(stderr, 2);

    char *request = build_request(binary, argv[3], argv[4], &len, err);
    if (request == NULL) {
        fprintf(stderr, "app-client: %s\n", err);
        return 1;
    }
    int server = net_connect(argv[1], argv[2], SOCK_STREAM, err);
    if (server < 0) {
        fprintf(stderr, "app-client: %s\n", err);
        free(request);
        return 1;
    }
    int status = ask(server, request, len) == 0 ? 0 : 1;
    close(server);
    free(request);
    return status;
}
