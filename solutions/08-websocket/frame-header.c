/* frame-header - prints the header of a WebSocket frame (RFC 6455 §5.2) in
 * hexadecimal, the bytes a sender puts before the payload.
 *
 *     frame-header [--more] [--mask KEY] OPCODE LENGTH
 *
 * OPCODE is a number (1 text, 2 binary, 8 close, 9 ping, 10 pong); LENGTH
 * the payload length, up to 2^63 - 1; --more clears FIN (more fragments
 * follow); --mask KEY gives a 4-byte masking key as 8 hex digits.
 *
 *     $ frame-header 1 5            ->  81 05
 *     $ frame-header 2 256          ->  82 7e 01 00
 *     $ frame-header --mask 37fa213d 1 5  ->  81 85 37 fa 21 3d
 *
 * Exercise 1 of chapter 08.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "usage: frame-header [--more] [--mask KEY] OPCODE LENGTH\n"

/* Writes the header into out (14 bytes at most) and returns its length:
 * FIN and the opcode in the first byte; then the MASK bit and the length
 * in the shortest of the three forms (7 bits; 126 and 16 bits; 127 and
 * 64 bits, all in network byte order); then the masking key, if any. */
static size_t encode_header(uint8_t *out, bool fin, unsigned opcode, uint64_t length,
                            const uint8_t *mask)
{
    size_t n = 0;
    out[n++] = (uint8_t)((fin ? 0x80 : 0x00) | (opcode & 0x0f));
    uint8_t mask_bit = mask ? 0x80 : 0x00;
    if (length <= 125) {
        out[n++] = (uint8_t)(mask_bit | length);
    } else if (length <= 0xffff) {
        out[n++] = mask_bit | 126;
        out[n++] = (uint8_t)(length >> 8);
        out[n++] = (uint8_t)(length & 0xff);
    } else {
        out[n++] = mask_bit | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            out[n++] = (uint8_t)(length >> shift);
    }
    if (mask) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    return n;
}

static void usage_error(void)
{
    fputs(USAGE, stderr);
    exit(2);
}

static bool parse_key(const char *text, uint8_t key[4])
{
    if (strlen(text) != 8)
        return false;
    for (int i = 0; i < 4; i++) {
        unsigned byte;
        if (sscanf(text + 2 * i, "%2x", &byte) != 1)
            return false;
        key[i] = (uint8_t)byte;
    }
    return true;
}

int main(int argc, char **argv)
{
    bool fin = true;
    uint8_t key[4];
    const uint8_t *mask = NULL;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(USAGE, stdout);
            return 0;
        } else if (strcmp(argv[i], "--more") == 0) {
            fin = false;
        } else if (strcmp(argv[i], "--mask") == 0 && i + 1 < argc && parse_key(argv[i + 1], key)) {
            mask = key;
            i++;
        } else {
            usage_error();
        }
    }
    if (argc - i != 2)
        usage_error();
    char *end;
    unsigned long opcode = strtoul(argv[i], &end, 10);
    if (*end != '\0' || opcode > 15)
        usage_error();
    unsigned long long length = strtoull(argv[i + 1], &end, 10);
    if (*end != '\0' || argv[i + 1][0] == '-' || length > INT64_MAX)
        usage_error();

    uint8_t header[14];
    size_t n = encode_header(header, fin, (unsigned)opcode, length, mask);
    for (size_t k = 0; k < n; k++)
        printf("%s%02x", k ? " " : "", header[k]);
    printf("\n");
    return 0;
}
