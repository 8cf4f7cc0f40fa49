/* utf8.h - incremental UTF-8 validation (RFC 3629 §4, as RFC 6455 §8.1
 * requires of text messages).
 *
 * A text message may arrive in fragments split in the middle of a
 * character, so the validator keeps its place between calls.  It fails
 * fast: it reports the first byte that cannot begin or continue a valid
 * sequence, without waiting for the rest of the message.  Refused: bytes
 * that never appear in UTF-8 (C0, C1, F5-FF), continuation bytes out of
 * place, overlong forms, the UTF-16 surrogates U+D800-U+DFFF, and code
 * points above U+10FFFF. */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

struct utf8_validator {
    unsigned needed;     /* continuation bytes still expected */
    uint8_t lower, upper; /* the range the next continuation byte must be in */
};

enum utf8_result {
    UTF8_COMPLETE,   /* valid, and the text so far ends on a character */
    UTF8_PARTIAL,    /* valid so far, but in the middle of a character */
    UTF8_INVALID,    /* not UTF-8, whatever follows */
};

void utf8_init(struct utf8_validator *v);

/* Checks the next len bytes.  On UTF8_INVALID, *bad (if not NULL) is the
 * offset in data of the first byte that cannot be part of valid text, and
 * the validator stays failed. */
enum utf8_result utf8_feed(struct utf8_validator *v, const uint8_t *data, size_t len,
                           size_t *bad);

/* The whole text at once: UTF8_PARTIAL means it ends mid-character. */
enum utf8_result utf8_check(const uint8_t *data, size_t len);

#endif
