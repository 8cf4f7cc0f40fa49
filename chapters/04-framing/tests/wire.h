/* wire.h - the tests' own small implementation of chapter 04's wire format.
 *
 * The tests link nothing of the code they judge, so they build requests and
 * read answers with these few functions, written from the interface alone:
 * a 2-byte big-endian header length, a JSON header, the content.  Header
 * fields of an answer are found with a forgiving scan (any spacing, any key
 * order), which is enough for the tests' checks.
 */
#ifndef WIRE_H
#define WIRE_H

#include "testkit.h"

#include <stdbool.h>
#include <stddef.h>

#define WAIT_MS 5000

/* A message built by the test: its bytes and their number. */
struct wire_msg {
    char *data;
    size_t len;
};

/* Prefix + header_json + content, exactly as given (the header may be
 * malformed on purpose). */
struct wire_msg wire_raw(const char *header_json, const void *content, size_t len);

/* A well-formed message with the four required keys. */
struct wire_msg wire_message(const char *type, const char *encoding,
                             const void *content, size_t len);

/* {"action": ACTION, "value": "VALUE"} as text/json.  value_json is put in
 * the quotes as it is, so it may hold escapes. */
struct wire_msg wire_request(const char *action, const char *value_json);

/* Several messages glued into one buffer (frees the parts). */
struct wire_msg wire_concat(struct wire_msg *parts, size_t count);

/* An answer read from the server. */
struct wire_reply {
    char *header;            /* the JSON header, NUL-terminated */
    size_t header_len;
    char *content;           /* NUL-terminated */
    size_t content_len;
};

/* Reads one answer; fails the test if it is not a well-formed message. */
void wire_read_reply(int fd, struct wire_reply *r);
void wire_reply_free(struct wire_reply *r);

/* The value of a string field of a header or of JSON content (escapes are
 * not decoded), copied into out; false if there is no such string field. */
bool wire_string_field(const char *json, const char *key, char *out, size_t outlen);
/* The integer value of a field; false if absent or not an integer. */
bool wire_int_field(const char *json, const char *key, long long *out);

/* Checks the four required keys of an answer's header and that
 * content-length matches the content. */
void wire_check_header(const struct wire_reply *r, const char *type,
                       const char *encoding);

/* Sends a search and checks that the answer's "result" is expected (NULL:
 * any string).  Returns the result in a buffer valid until the next call. */
const char *wire_search(int fd, const char *value_json, const char *expected);

/* Waits for a line of the server's stdout that contains fragment. */
const char *wire_wait_log(struct tk_proc *server, const char *fragment);

/* Waits for the server to close the connection, with a FIN or a reset,
 * and fails if an answer comes instead. */
void wire_expect_closed(int fd);

/* A connection with Nagle's algorithm off, so that each small send leaves
 * at once as its own segment. */
int wire_connect(int port);

void wire_free(struct wire_msg *m);

#endif
