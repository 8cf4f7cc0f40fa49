/* http-test-helpers.h - a little HTTP of the tests' own.
 *
 * The tests of the server and of the exercises speak HTTP with these few
 * functions rather than with the chapter's library, so that a bug in the
 * library cannot hide itself.
 */
#ifndef HTTP_TEST_HELPERS_H
#define HTTP_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>

/* Keeps a buffer reachable until the case ends, so that LeakSanitizer
 * judges the programs under test, not the test.  Returns p. */
void *keep(void *p);

struct response {
    int status;
    char head[8192];
    char *body;
    size_t body_len;
};

/* The value of the first header of that name in r's head, or NULL. */
const char *header_of(const struct response *r, const char *name);

/* Reads one response: the head byte by byte up to the empty line, then
 * Content-Length bytes of body, or a chunked body (none for a response to
 * HEAD).  Fails the test on a close, a timeout, or a response with neither
 * Content-Length nor chunks. */
struct response read_response(int fd, bool head_request);

/* Reads one request head (up to its empty line) into buf, NUL-terminated.
 * Returns its length, or 0 if the client closed before sending a byte. */
size_t read_request(int fd, char *buf, size_t cap);

void send_text(int fd, const char *text);

#endif
