/* handshake.h - the WebSocket opening handshake (RFC 6455 §4): an HTTP/1.1
 * Upgrade request and its 101 answer, read with chapter 05's parser.
 *
 * The client sends a random 16-byte nonce, Base64-encoded, in
 * Sec-WebSocket-Key; the server proves it understood the request by
 * answering Sec-WebSocket-Accept: Base64(SHA-1(key + GUID)) (§4.2.2).
 * Nothing here touches a socket. */
#ifndef HANDSHAKE_H
#define HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* §1.3: the GUID every server appends to the client's key. */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_VERSION "13"
#define WS_KEY_LEN 24      /* Base64 of 16 bytes */
#define WS_ACCEPT_LEN 28   /* Base64 of a 20-byte SHA-1 digest */
#define WS_MAX_PROTOCOL 64 /* the longest subprotocol name kept */

/* Sec-WebSocket-Accept for a key (§4.2.2 step 5, point 4), NUL-terminated. */
void ws_accept_for_key(const char *key, char accept[WS_ACCEPT_LEN + 1]);

/* A fresh key: 16 random bytes, Base64-encoded (§4.1).  Returns false if the
 * system's random source failed. */
bool ws_new_key(char key[WS_KEY_LEN + 1]);

/* Fills buf with random bytes from the system (/dev/urandom). */
bool ws_random_bytes(void *buf, size_t len);

/* ---- the server's side (§4.2) ----------------------------------------------------- */

struct ws_server_handshake {
    int status;          /* 101 if accepted, else the HTTP error to answer */
    const char *error;   /* why it was refused, for the log and the body */
    char accept[WS_ACCEPT_LEN + 1];
    char protocol[WS_MAX_PROTOCOL + 1]; /* the chosen subprotocol, or "" */
};

/* Checks an upgrade request (§4.2.1) and decides the answer: 101, or 405
 * for a method other than GET, 426 for a version other than 13 (§4.4), 400
 * for anything else missing or malformed.  supported lists the server's
 * subprotocols, best first, comma-separated (NULL: none); the first that
 * the client also offers is chosen (§4.2.2 step 5, point 5). */
void ws_check_request(const struct http_message *request, const char *supported,
                      struct ws_server_handshake *hs);

/* Writes the answer that ws_check_request decided: "101 Switching
 * Protocols" with Upgrade, Connection, Sec-WebSocket-Accept (and
 * Sec-WebSocket-Protocol); or the error status with Sec-WebSocket-Version
 * (for 426), Connection: close and a one-line text body.  Returns the
 * length, or 0 if it would not fit. */
size_t ws_write_response(char *out, size_t outlen, const struct ws_server_handshake *hs);

/* ---- the client's side (§4.1) ----------------------------------------------------- */

/* Parses "ws://host[:port][/path][?query]" (§3; the port defaults to 80).
 * Any other scheme, wss:// (TLS) included, is HTTP_URL_UNSUPPORTED. */
enum http_url_status ws_parse_url(const char *text, struct http_url *url);

/* Writes the upgrade request for url with key, offering protocols (a
 * comma-separated list, or NULL).  Returns the length, or 0 if it would
 * not fit. */
size_t ws_write_request(char *out, size_t outlen, const struct http_url *url,
                        const char *key, const char *protocols);

/* Checks the server's answer (§4.1, "the client MUST validate the server's
 * response"): status 101, Upgrade: websocket, Connection: Upgrade, the
 * Sec-WebSocket-Accept that matches key, no extension (none was offered),
 * and a subprotocol only from those offered.  Returns NULL if it is right
 * (the agreed subprotocol is copied to protocol, "" for none), else what
 * is wrong. */
const char *ws_check_response(const struct http_message *response, const char *key,
                              const char *offered, char protocol[WS_MAX_PROTOCOL + 1]);

#endif
