/* icmp.c - ICMP echo messages for IPv4 (see icmp.h). */
#include "icmp.h"

#include <stdio.h>
#include <string.h>

/* Multi-byte fields travel big-endian ("network byte order"). */
static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t value)
{
    p[0] = (uint8_t)(value >> 8);
    p[1] = (uint8_t)value;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = value << 8 | p[i];
    return value;
}

static void put64(uint8_t *p, uint64_t value)
{
    for (int i = 7; i >= 0; i--, value >>= 8)
        p[i] = (uint8_t)value;
}

/* RFC 1071, section 4.1 computes the same sum in C.  Adding into a 64-bit
 * accumulator lets the carries out of bit 15 pile up above it, to be folded
 * back in once at the end ("end-around carry", RFC 1071 section 2(B)). */
uint16_t icmp_checksum(const void *data, size_t len)
{
    const uint8_t *bytes = data;
    uint64_t sum = 0;

    for (; len > 1; bytes += 2, len -= 2)
        sum += get16(bytes);
    if (len == 1)
        sum += (uint64_t)bytes[0] << 8; /* an odd byte, padded with zero */
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* RFC 792, "Echo or Echo Reply Message":
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |     Code      |          Checksum             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Identifier          |        Sequence Number        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Data ...
 *  +-+-+-+-+-
 */
size_t icmp_build_echo(uint8_t *buf, uint16_t id, uint16_t seq, size_t datalen,
                       int64_t sent_ns)
{
    uint8_t *data = buf + ICMP_HEADER_LEN;

    buf[0] = ICMP_TYPE_ECHO_REQUEST;
    buf[1] = 0;
    put16(buf + 2, 0); /* the checksum is computed with this field zero */
    put16(buf + 4, id);
    put16(buf + 6, seq);
    for (size_t i = 0; i < datalen; i++)
        data[i] = (uint8_t)i;
    if (datalen >= ICMP_STAMP_LEN) {
        put64(data, (uint64_t)(sent_ns / 1000000000));
        put64(data + 8, (uint64_t)(sent_ns % 1000000000));
    }
    size_t len = ICMP_HEADER_LEN + datalen;
    put16(buf + 2, icmp_checksum(buf, len));
    return len;
}

/* Skips an IPv4 header (RFC 791, section 3.1), whose length is IHL 32-bit
 * words: 5 without options, up to 15 with.  Returns the header's length, or
 * 0 if the bytes are not an IPv4 header that fits in len. */
static size_t ipv4_header_len(const uint8_t *packet, size_t len)
{
    if (len < IPV4_MIN_HEADER_LEN || packet[0] >> 4 != 4)
        return 0;
    size_t ihl = (size_t)(packet[0] & 0x0f) * 4;
    return ihl >= IPV4_MIN_HEADER_LEN && ihl <= len ? ihl : 0;
}

/* An error quotes the IP header of the datagram that caused it and at least
 * its first 8 bytes (RFC 792; RFC 1812 section 4.3.2.3 asks routers for
 * more): for an echo request, enough to hold its identifier and sequence. */
static int parse_quoted_echo(const uint8_t *quote, size_t len, struct icmp_message *msg)
{
    size_t ihl = ipv4_header_len(quote, len);
    if (ihl == 0 || len - ihl < ICMP_HEADER_LEN || quote[9] != IPPROTO_ICMP)
        return -1;
    const uint8_t *echo = quote + ihl;
    if (echo[0] != ICMP_TYPE_ECHO_REQUEST)
        return -1;
    memcpy(&msg->original_dst, quote + 16, 4);
    msg->id = get16(echo + 4);
    msg->seq = get16(echo + 6);
    return 0;
}

int icmp_read_echo(const uint8_t *message, size_t len, struct icmp_message *msg)
{
    if (len < ICMP_HEADER_LEN)
        return -1;
    msg->type = message[0];
    msg->code = message[1];
    msg->len = len;
    msg->id = get16(message + 4);
    msg->seq = get16(message + 6);
    msg->has_stamp = len >= ICMP_HEADER_LEN + ICMP_STAMP_LEN;
    if (msg->has_stamp)
        msg->sent_ns = (int64_t)(get64(message + 8) * 1000000000 + get64(message + 16));
    return 0;
}

int icmp_parse(const uint8_t *packet, size_t len, bool with_ip_header,
               struct icmp_message *msg)
{
    memset(msg, 0, sizeof *msg);
    msg->ttl = -1;
    if (with_ip_header) {
        size_t ihl = ipv4_header_len(packet, len);
        if (ihl == 0)
            return -1;
        msg->ttl = packet[8];
        packet += ihl;
        len -= ihl;
    }
    if (len < ICMP_HEADER_LEN)
        return -1;

    msg->type = packet[0];
    msg->code = packet[1];
    msg->len = len;
    msg->checksum_ok = icmp_checksum(packet, len) == 0;
    switch (msg->type) {
    case ICMP_TYPE_ECHO_REPLY:
    case ICMP_TYPE_ECHO_REQUEST:
        return icmp_read_echo(packet, len, msg);
    case ICMP_TYPE_UNREACHABLE:
    case ICMP_TYPE_TIME_EXCEEDED:
        msg->next_hop_mtu = get16(packet + 6); /* RFC 1191 */
        return parse_quoted_echo(packet + ICMP_HEADER_LEN, len - ICMP_HEADER_LEN, msg);
    default:
        return -1;
    }
}

/* The codes of RFC 792 and RFC 1122 section 3.2.2.1, in iputils' words. */
static const char *const unreachable_text[] = {
    "Destination Net Unreachable",
    "Destination Host Unreachable",
    "Destination Protocol Unreachable",
    "Destination Port Unreachable",
    NULL, /* 4, fragmentation needed: has an MTU, see below */
    "Source Route Failed",
    "Destination Net Unknown",
    "Destination Host Unknown",
    "Source Host Isolated",
    "Destination Net Prohibited",
    "Destination Host Prohibited",
    "Destination Net Unreachable for Type of Service",
    "Destination Host Unreachable for Type of Service",
    "Packet filtered",
    "Precedence Violation",
    "Precedence Cutoff",
};

const char *icmp_error_text(uint8_t type, uint8_t code, uint32_t mtu, char *out,
                            size_t outlen)
{
    size_t known = sizeof unreachable_text / sizeof unreachable_text[0];

    if (type == ICMP_TYPE_UNREACHABLE && code == 4)
        snprintf(out, outlen, "Frag needed and DF set (mtu = %u)", (unsigned)mtu);
    else if (type == ICMP_TYPE_UNREACHABLE && code < known)
        snprintf(out, outlen, "%s", unreachable_text[code]);
    else if (type == ICMP_TYPE_UNREACHABLE)
        snprintf(out, outlen, "Dest Unreachable, Bad Code: %u", code);
    else if (type == ICMP_TYPE_TIME_EXCEEDED && code == 0)
        snprintf(out, outlen, "Time to live exceeded");
    else if (type == ICMP_TYPE_TIME_EXCEEDED && code == 1)
        snprintf(out, outlen, "Frag reassembly time exceeded");
    else if (type == ICMP_TYPE_TIME_EXCEEDED)
        snprintf(out, outlen, "Time exceeded, Bad Code: %u", code);
    else
        snprintf(out, outlen, "Bad ICMP type: %u", type);
    return out;
}
