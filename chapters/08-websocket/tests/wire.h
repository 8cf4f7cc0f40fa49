/* wire.h - raw WebSocket bytes for the chapter's tests: a test plays one
 * end of a connection byte by byte, so it can send what no well-behaved
 * library would (reserved bits, bad lengths, split frames, invalid UTF-8)
 * and check every byte that comes back.
 *
 * The tests link only SHA-1 and Base64 of the library under test, which
 * the unit tests check against their standards' vectors, to compute
 * Sec-WebSocket-Accept.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_TIMEOUT 5000

struct wire_frame {
    bool fin;
    unsigned rsv, opcode;
    bool masked;
    uint64_t len;
    uint8_t *data; /* unmasked; owned by the caller (free) */
};

/* The client's side: connects to port, sends an upgrade request for path,
 * checks the 101 answer.  Returns the socket. */
int wire_open(int port, const char *path);

/* Sends the request as given and returns the whole answer head (status
 * line and headers) in a static buffer; *fd is the socket. */
const char *wire_request(int port, const char *request, int *fd);

/* The server's side: accepts a connection on listener, reads the upgrade
 * request, answers 101 with the right accept value (or wrong_accept). */
int wire_accept(int listener, bool wrong_accept);

/* Sends one frame; mask says whether to mask it (clients must).  step > 0
 * sends it step bytes at a time, with a short pause between. */
void wire_send(int fd, bool fin, unsigned rsv, unsigned opcode, const void *data, size_t len,
               bool mask, size_t step);

/* Shorthands: a masked final frame (client to server), unmasked (server
 * to client). */
void wire_client_send(int fd, unsigned opcode, const void *data, size_t len);
void wire_server_send(int fd, unsigned opcode, const void *data, size_t len);

/* Receives one frame; false if the connection ended first. */
bool wire_recv(int fd, struct wire_frame *f, int timeout_ms);

/* Checks that the next frame is a message with this opcode and payload. */
void wire_expect_message(int fd, unsigned opcode, const void *data, size_t len);

/* Checks that the next frame is a close with this code (0: an empty
 * body), and, if then_eof, that the peer then ends the connection. */
void wire_expect_close(int fd, int code, bool then_eof);

/* A close frame's body: code and reason. */
size_t wire_close_body(uint8_t *out, int code, const char *reason);

#endif
