/* sha1.c - SHA-1 as FIPS 180-4 describes it, one 512-bit block at a time. */
#include "sha1.h"

#include <string.h>

static uint32_t rotate_left(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

/* FIPS 180-4 §4.1.1: the function and constant of each group of 20 rounds. */
static uint32_t round_function(unsigned t, uint32_t b, uint32_t c, uint32_t d)
{
    if (t < 20)
        return (b & c) | (~b & d);  /* Ch */
    if (t < 40 || t >= 60)
        return b ^ c ^ d;           /* Parity */
    return (b & c) | (b & d) | (c & d); /* Maj */
}

static uint32_t round_constant(unsigned t)
{
    static const uint32_t k[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
    return k[t / 20];
}

/* FIPS 180-4 §6.1.2: the hash computation for one block. */
static void sha1_block(struct sha1 *s, const uint8_t *block)
{
    uint32_t w[80];
    for (unsigned t = 0; t < 16; t++)   /* the block as big-endian words */
        w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 |
               (uint32_t)block[4 * t + 2] << 8 | (uint32_t)block[4 * t + 3];
    for (unsigned t = 16; t < 80; t++)  /* the message schedule */
        w[t] = rotate_left(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
    for (unsigned t = 0; t < 80; t++) {
        uint32_t temp = rotate_left(a, 5) + round_function(t, b, c, d) + e +
                        round_constant(t) + w[t];
        e = d;
        d = c;
        c = rotate_left(b, 30);
        b = a;
        a = temp;
    }
    s->h[0] += a;
    s->h[1] += b;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
}

void sha1_init(struct sha1 *s)
{
    /* FIPS 180-4 §5.3.1: the initial hash value. */
    static const uint32_t initial[5] = {0x67452301, 0xefcdab89, 0x98badcfe,
                                        0x10325476, 0xc3d2e1f0};
    memcpy(s->h, initial, sizeof initial);
    s->block_len = 0;
    s->total_len = 0;
}

void sha1_update(struct sha1 *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    s->total_len += len;
    while (len > 0) {
        size_t take = sizeof s->block - s->block_len;
        if (take > len)
            take = len;
        memcpy(s->block + s->block_len, p, take);
        s->block_len += take;
        p += take;
        len -= take;
        if (s->block_len == sizeof s->block) {
            sha1_block(s, s->block);
            s->block_len = 0;
        }
    }
}

void sha1_final(struct sha1 *s, uint8_t digest[SHA1_DIGEST_LEN])
{
    /* FIPS 180-4 §5.1.1: a 1 bit, zeros up to 448 bits mod 512, then the
     * message length in bits as a 64-bit big-endian number. */
    uint64_t bits = s->total_len * 8;
    uint8_t pad = 0x80;
    sha1_update(s, &pad, 1);
    pad = 0;
    while (s->block_len != 56)
        sha1_update(s, &pad, 1);
    uint8_t length[8];
    for (int i = 0; i < 8; i++)
        length[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha1_update(s, length, sizeof length);

    for (int i = 0; i < 5; i++) {
        digest[4 * i] = (uint8_t)(s->h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)s->h[i];
    }
}

void sha1(const void *data, size_t len, uint8_t digest[SHA1_DIGEST_LEN])
{
    struct sha1 s;
    sha1_init(&s);
    sha1_update(&s, data, len);
    sha1_final(&s, digest);
}
