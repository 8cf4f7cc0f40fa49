/* app-client - sends one framed request to app-server and prints the answer.
 *
 *   app-client [--binary] [-t MS] HOST PORT ACTION VALUE
 *
 * Without --binary the request is the JSON object
 * {"action": ACTION, "value": VALUE}, sent as text/json; the client prints
 * the "result" of the answer and a newline.  With --binary, ACTION and VALUE
 * joined by one space are sent as opaque bytes
 * (binary/custom-client-binary-type), and the client writes the bytes of the
 * answer to stdout exactly as they came, with nothing added.
 *
 * Every wait (connecting, sending, the answer) gives up after MS
 * milliseconds, 10000 unless -t says otherwise: a server that accepts and
 * never answers does not hold the client forever.
 *
 * When stdout or stderr is a terminal, the server's text is shown with its
 * control characters escaped ( for ESC...): a hostile server could
 * otherwise move the cursor, rewrite what is on the screen, or worse, with
 * the escape sequences of the terminal.  Piped to a file or a program, the
 * bytes go out as they came.
 */
#include "frame.h"
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 10000

static void usage(FILE *to, int status)
{
    fprintf(to, "usage: app-client [--binary] [-t MS] HOST PORT ACTION VALUE\n"
                "Sends {\"action\": ACTION, \"value\": VALUE} to app-server and prints\n"
                "the result.  --binary sends \"ACTION VALUE\" as opaque bytes instead\n"
                "and writes the bytes of the answer as they come.\n"
                "  -t MS  give up on any wait (connecting, sending, the answer) after\n"
                "         MS milliseconds (default 10000)\n"
                "On a terminal, control characters in the server's text are escaped.\n");
    exit(status);
}

/* Writes len bytes of the server's text to f.  On a terminal, a control
 * character (C0, DEL, or C1 written in UTF-8 as C2 80..C2 9F) is written as
 * \xHH instead, and so is a backslash (as \\), so that what is shown is
 * unambiguous; newline and tab stay.  Elsewhere the bytes go as they are. */
static void write_text(FILE *f, const char *text, size_t len)
{
    if (!isatty(fileno(f))) {
        fwrite(text, 1, len, f);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        bool c1 = c == 0xC2 && i + 1 < len && (unsigned char)text[i + 1] >= 0x80 &&
                  (unsigned char)text[i + 1] <= 0x9F;
        if (c1) {
            fprintf(f, "\\xc2\\x%02x", (unsigned char)text[++i]);
        } else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            fprintf(f, "\\x%02x", c);
        } else if (c == '\\') {
            fputs("\\\\", f);
        } else {
            putc(c, f);
        }
    }
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

/* Prints a value that is not a string as JSON writes it (numbers, true,
 * null, arrays and objects alike).  The writer writes whole objects, so the
 * value goes in as the member "r" of one, {"r": VALUE}, and only VALUE is
 * printed: the text between the 6 bytes of {"r": and the closing brace. */
static int print_json(const struct json_value *value)
{
    struct json_writer w;
    char err[JSON_ERR_LEN];
    size_t len;
    json_writer_begin(&w);
    json_write_value(&w, "r", value);
    char *text = json_writer_end(&w, &len, err);
    if (text == NULL) {
        fprintf(stderr, "app-client: printing the result: %s\n", err);
        return -1;
    }
    write_text(stdout, text + 6, len - 7);
    putchar('\n');
    free(text);
    return 0;
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
        write_text(stdout, result->string, result->length);
        putchar('\n');
    } else if (result != NULL) {
        status = print_json(result);
    } else if (error != NULL && error->type == JSON_STRING) {
        fputs("app-client: the server answered: ", stderr);
        write_text(stderr, error->string, error->length);
        fputc('\n', stderr);
        status = -1;
    } else {
        status = fail("the answer has no \"result\"");
    }
    json_object_free(&answer);
    return status;
}

static int print_answer(const struct frame_message *m)
{
    int status = 0;
    if (strcmp(m->content_type, "text/json") == 0 &&
        strcmp(m->content_encoding, "utf-8") == 0)
        status = print_result(m);
    else
        write_text(stdout, m->content, m->content_length);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "app-client: writing the answer: %s\n", strerror(errno));
        return -1;
    }
    return status;
}

/* Sends and receives on the socket give up after ms milliseconds: they
 * fail with EAGAIN (SO_SNDTIMEO, SO_RCVTIMEO). */
static int set_timeouts(int fd, long ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
                   setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0
               ? -1
               : 0;
}

/* Sends the request and reads the one answer. */
static int ask(int server, const char *request, size_t len, long timeout_ms)
{
    char err[FRAME_ERR_LEN + 32];
    struct frame_reader reader;

    if (frame_send(server, request, len) < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            snprintf(err, sizeof err, "sending: no progress within %ld ms", timeout_ms);
        else
            snprintf(err, sizeof err, "sending: %s", strerror(errno));
        return fail(err);
    }
    frame_reader_init(&reader, server, NULL);
    int got = frame_read(&reader, err);
    int status = 0;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        snprintf(err, sizeof err, "receiving: no answer within %ld ms", timeout_ms);
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
    long timeout_ms = DEFAULT_TIMEOUT_MS;
    if (argc > 2 && strcmp(argv[1], "-t") == 0) {
        timeout_ms = net_parse_number(argv[2], 1, 3600000);
        if (timeout_ms < 0)
            usage(stderr, 2);
        argc -= 2, argv += 2;
    }
    if (argc != 5 || argv[1][0] == '-')
        usage(stderr, 2);

    char *request = build_request(binary, argv[3], argv[4], &len, err);
    if (request == NULL) {
        fprintf(stderr, "app-client: %s\n", err);
        return 1;
    }
    int server = net_connect_timeout(argv[1], argv[2], SOCK_STREAM, timeout_ms, err);
    if (server < 0 || set_timeouts(server, timeout_ms) < 0) {
        if (server >= 0)
            snprintf(err, sizeof err, "setting the timeouts: %s", strerror(errno));
        fprintf(stderr, "app-client: %s\n", err);
        if (server >= 0)
            close(server);
        free(request);
        return 1;
    }
    int status = ask(server, request, len, timeout_ms) == 0 ? 0 : 1;
    close(server);
    free(request);
    return status;
}
