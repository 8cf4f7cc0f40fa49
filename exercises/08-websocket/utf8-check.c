/* utf8-check - an incremental UTF-8 validator (RFC 3629, as RFC 6455 §8.1
 * requires of text messages), fed its input in pieces.
 *
 *     utf8-check [PIECE]
 *
 * Reads stdin in pieces of PIECE bytes (default 1: the hardest case, every
 * character split), gives each piece to the validator, and prints one line:
 *
 *     valid               the text is UTF-8 and ends on a whole character
 *     incomplete          UTF-8 so far, but the text ends inside a character
 *     invalid at byte N   byte N (from 0) can neither begin nor continue a
 *                         valid sequence; nothing after it was looked at
 *
 * Exit status 0 for valid, 1 otherwise.  Exercise 2 of chapter 08: fill in
 * feed_byte(), marked TODO.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USAGE "usage: utf8-check [PIECE]\n"

/* The validator's state between pieces: how many continuation bytes the
 * current character still needs, and the range the next one must be in. */
struct validator {
    unsigned needed;
    uint8_t lower, upper;
    bool failed;
};

/* Checks one byte.  The table of well-formed sequences (Unicode, Table
 * 3-7): only the second byte's range depends on the first (E0: A0..BF, no
 * overlong forms; ED: 80..9F, no surrogates; F0: 90..BF, no overlong; F4:
 * 80..8F, nothing above U+10FFFF); every other continuation is 80..BF. */
static bool feed_byte(struct validator *v, uint8_t b)
{
    /* TODO (exercise 2): check byte b against the state in v and update it.
     * Return false if b can neither begin nor continue a valid sequence.
     * Remember what the first byte of a sequence says about the range of
     * the second (see the comment above), so that overlong forms,
     * surrogates and code points above U+10FFFF fail at the earliest byte
     * that proves them wrong. */
    (void)v;
    (void)b;
    return true;
}

/* Checks a piece; returns the offset in it of the first bad byte, or -1. */
static long feed(struct validator *v, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!feed_byte(v, data[i])) {
            v->failed = true;
            return (long)i;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    long piece = 1;
    if (argc > 2 || (argc == 2 && (piece = strtol(argv[1], NULL, 10)) <= 0) || piece > 65536) {
        fputs(USAGE, stderr);
        return 2;
    }
    struct validator v = {0, 0x80, 0xbf, false};
    uint8_t buf[65536];
    size_t offset = 0;
    for (;;) {
        ssize_t n = read(0, buf, (size_t)piece);
        if (n < 0) {
            perror("utf8-check: reading stdin");
            return 1;
        }
        if (n == 0)
            break;
        long bad = feed(&v, buf, (size_t)n);
        if (bad >= 0) {
            printf("invalid at byte %zu\n", offset + (size_t)bad);
            return 1;
        }
        offset += (size_t)n;
    }
    puts(v.needed == 0 ? "valid" : "incomplete");
    return v.needed == 0 ? 0 : 1;
}
