/* base64.h - Base64 (RFC 4648 §4), the encoding of the handshake's
 * Sec-WebSocket-Key and Sec-WebSocket-Accept (RFC 6455 §4). */
#ifndef BASE64_H
#define BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length of the encoding of n bytes, without the terminating NUL. */
#define BASE64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)

/* Encodes len bytes into out, which must hold BASE64_ENCODED_LEN(len) + 1
 * bytes; the result is NUL-terminated, padded with '='. */
void base64_encode(const uint8_t *data, size_t len, char *out);

/* Decodes text (canonical padded Base64 only: length a multiple of 4, '='
 * only at the end, unused bits zero) into out (at most outlen bytes).
 * Returns the number of bytes, or -1 if text is not canonical Base64 or
 * does not fit. */
long base64_decode(const char *text, size_t text_len, uint8_t *out, size_t outlen);

#endif
