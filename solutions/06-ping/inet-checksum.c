/* inet-checksum - prints the Internet checksum (RFC 1071) of its input.
 *
 *   inet-checksum < FILE
 *
 * Reads all of stdin (up to 1 MiB) and prints the checksum as four hex
 * digits, e.g. "220d" for the bytes 00 01 f2 03 f4 f5 f6 f7 of RFC 1071's
 * example.  Over a whole ICMP message, checksum field included, a correct
 * message gives "0000".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT (1 << 20)

/* The ones' complement of the ones' complement sum of the data taken as
 * 16-bit big-endian words; an odd last byte counts as its word's high half
 * (RFC 1071, section 1). */
static uint16_t internet_checksum(const uint8_t *data, size_t len)
{
    uint32_t sum = 0;

    /* Each word is at most 0xffff, so a 32-bit sum of up to 65536 words
     * cannot overflow; folding as we go keeps it small for any length. */
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)(data[i] << 8 | data[i + 1]);
        sum = (sum & 0xffff) + (sum >> 16); /* the end-around carry */
    }
    if (len % 2 == 1) {
        sum += (uint32_t)data[len - 1] << 8; /* padded with a zero byte */
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

int main(int argc, char **argv)
{
    static uint8_t input[MAX_INPUT];
    size_t len = 0, n;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: inet-checksum < FILE\n"
               "Prints the RFC 1071 checksum of stdin (up to 1 MiB) as four hex digits.\n");
        return 0;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: inet-checksum < FILE\n");
        return 2;
    }
    while ((n = fread(input + len, 1, sizeof input - len, stdin)) > 0)
        len += n;
    if (ferror(stdin) || (len == sizeof input && getchar() != EOF)) {
        fprintf(stderr, "inet-checksum: stdin: %s\n",
                ferror(stdin) ? "read error" : "more than 1 MiB");
        return 1;
    }
    printf("%04x\n", internet_checksum(input, len));
    return 0;
}
