/* base64.c - RFC 4648 §4: each 3 bytes become 4 characters of 6 bits. */
#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(const uint8_t *data, size_t len, char *out)
{
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t group = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        *out++ = alphabet[group >> 18 & 63];
        *out++ = alphabet[group >> 12 & 63];
        *out++ = alphabet[group >> 6 & 63];
        *out++ = alphabet[group & 63];
    }
    /* The final quantum (§4): one byte gives two characters and "==", two
     * bytes three characters and "=". */
    if (len - i == 1) {
        uint32_t group = (uint32_t)data[i] << 16;
        *out++ = alphabet[group >> 18 & 63];
        *out++ = alphabet[group >> 12 & 63];
        *out++ = '=';
        *out++ = '=';
    } else if (len - i == 2) {
        uint32_t group = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
        *out++ = alphabet[group >> 18 & 63];
        *out++ = alphabet[group >> 12 & 63];
        *out++ = alphabet[group >> 6 & 63];
        *out++ = '=';
    }
    *out = '\0';
}

/* The 6-bit value of a character, or -1 if it is not in the alphabet. */
static int sextet(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long base64_decode(const char *text, size_t text_len, uint8_t *out, size_t outlen)
{
    if (text_len % 4 != 0)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < text_len; i += 4) {
        bool last = i + 4 == text_len;
        int pads = 0;
        uint32_t group = 0;
        for (int j = 0; j < 4; j++) {
            char c = text[i + j];
            int v;
            if (c == '=' && last && j >= 2) {
                pads++;
                v = 0;
            } else {
                v = sextet(c);
                if (v < 0 || pads > 0) /* a character after '=' */
                    return -1;
            }
            group = group << 6 | (uint32_t)v;
        }
        /* §3.5: the bits that padding leaves unused must be zero in a
         * canonical encoding. */
        if ((pads == 1 && (group & 0xff) != 0) || (pads == 2 && (group & 0xffff) != 0))
            return -1;
        size_t bytes = 3 - (size_t)pads;
        if (n + bytes > outlen)
            return -1;
        for (size_t j = 0; j < bytes; j++)
            out[n++] = (uint8_t)(group >> (16 - 8 * j));
    }
    return (long)n;
}
