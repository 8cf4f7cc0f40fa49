/* rft.c - packets, clock and files for the reliable file transfer (see rft.h). */
#include "rft.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

size_t rft_encode(unsigned char *buf, enum rft_type type, uint32_t seq,
                  const void *payload, size_t len)
{
    buf[0] = (unsigned char)type;
    buf[1] = (unsigned char)(seq >> 24);
    buf[2] = (unsigned char)(seq >> 16);
    buf[3] = (unsigned char)(seq >> 8);
    buf[4] = (unsigned char)seq;
    if (len > 0)
        memcpy(buf + RFT_HEADER, payload, len);
    return RFT_HEADER + len;
}

bool rft_decode(const unsigned char *buf, size_t size, struct rft_packet *out)
{
    if (size < RFT_HEADER || size > RFT_MAX_PACKET)
        return false;
    out->type = (enum rft_type)buf[0];
    out->seq = (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 |
               (uint32_t)buf[4];
    out->payload = buf + RFT_HEADER;
    out->len = size - RFT_HEADER;
    switch (out->type) {
    case RFT_DATA:
        return true;
    case RFT_FIN:
    case RFT_ACK:
        return out->len == 0;
    }
    return false;
}

long long rft_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rft_send(int sock, const void *buf, size_t len, const struct sockaddr *to,
             unsigned to_len)
{
    for (;;) {
        ssize_t n = to != NULL ? sendto(sock, buf, len, 0, to, (socklen_t)to_len)
                               : send(sock, buf, len, 0);
        if (n >= 0 || errno == ENOBUFS || errno == EAGAIN)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

unsigned char *rft_read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    size_t cap = 65536, used = 0;
    unsigned char *data = malloc(cap);
    while (data != NULL) {
        if (used == cap) {
            unsigned char *grown = realloc(data, cap * 2);
            if (grown == NULL) {
                free(data);
                data = NULL;
                errno = ENOMEM;
                break;
            }
            data = grown;
            cap *= 2;
        }
        ssize_t n = read(fd, data + used, cap - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(data);
            data = NULL;
            break;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    *len = used;
    return data;
}

int rft_write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    const unsigned char *next = data;
    while (len > 0) {
        ssize_t n = write(fd, next, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        next += n;
        len -= (size_t)n;
    }
    return close(fd);
}
