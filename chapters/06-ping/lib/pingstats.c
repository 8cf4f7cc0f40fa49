/* pingstats.c - a ping's bookkeeping and summary (see pingstats.h). */
#include "pingstats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ping_stats_init(struct ping_stats *stats)
{
    memset(stats, 0, sizeof *stats);
}

static bool seen(const struct ping_stats *stats, uint16_t seq)
{
    return stats->answered[seq / 8] & (1u << (seq % 8));
}

bool ping_stats_was_sent(const struct ping_stats *stats, uint16_t seq)
{
    /* How many requests ago SEQ went out, counting across the wrap at 65536. */
    uint16_t ago = (uint16_t)((uint16_t)stats->transmitted - seq);
    return stats->transmitted > 0 && ago < 0x8000 && ago < stats->transmitted;
}

/* iputils' "pipe": how many requests were out, at most, when an answer to
 * one of them came. */
static void note_in_flight(struct ping_stats *stats, uint16_t seq)
{
    int in_flight = (uint16_t)((uint16_t)stats->transmitted - seq) + 1;
    if (in_flight > stats->pipe)
        stats->pipe = in_flight;
}

void ping_stats_error(struct ping_stats *stats, uint16_t seq)
{
    stats->errors++;
    note_in_flight(stats, seq);
}

bool ping_stats_reply(struct ping_stats *stats, uint16_t seq, bool checksum_ok,
                      long rtt_us)
{
    if (!checksum_ok) {
        /* Counted apart, and its time is not trusted. */
        stats->corrupted++;
        return false;
    }
    note_in_flight(stats, seq);
    if (rtt_us >= 0) {
        if (stats->timed == 0 || rtt_us < stats->rtt_min)
            stats->rtt_min = rtt_us;
        if (stats->timed == 0 || rtt_us > stats->rtt_max)
            stats->rtt_max = rtt_us;
        stats->timed++;
        stats->rtt_sum += rtt_us;
        stats->rtt_sum_sq += (long long)rtt_us * rtt_us;
    }
    if (seen(stats, seq)) {
        stats->duplicates++;
        return true;
    }
    stats->answered[seq / 8] |= (uint8_t)(1u << (seq % 8));
    stats->received++;
    return false;
}

/* Rounded the way iputils rounds, so that the two print the same digits. */
void ping_format_rtt(long us, char *out, size_t outlen)
{
    if (us >= 100000 - 50)
        snprintf(out, outlen, "%ld", (us + 500) / 1000);
    else if (us >= 10000 - 5)
        snprintf(out, outlen, "%ld.%01ld", (us + 50) / 1000, (us + 50) % 1000 / 100);
    else if (us >= 1000)
        snprintf(out, outlen, "%ld.%02ld", (us + 5) / 1000, (us + 5) % 1000 / 10);
    else
        snprintf(out, outlen, "%ld.%03ld", us / 1000, us % 1000);
}

/* The largest r with r * r <= n, by Newton's method on integers. */
static long long integer_sqrt(long long n)
{
    if (n <= 0)
        return 0;
    long long x = n, y = (x + 1) / 2;
    while (y < x) {
        x = y;
        y = (x + n / x) / 2;
    }
    return x;
}

/* mdev is the standard deviation of the round-trip times: the square root
 * of the mean of the squares less the square of the mean, all in integer
 * microseconds, in the order iputils computes it (sum*sum/n first) so that
 * both round alike. */
static long mean_deviation(const struct ping_stats *s)
{
    long long n = s->timed;
    long long variance = (s->rtt_sum_sq - s->rtt_sum * s->rtt_sum / n) / n;
    return (long)integer_sqrt(variance);
}

void ping_stats_print(FILE *out, const struct ping_stats *s, long long elapsed_us)
{
    fprintf(out, "%ld packets transmitted, %ld received", s->transmitted, s->received);
    if (s->duplicates > 0)
        fprintf(out, ", +%ld duplicates", s->duplicates);
    if (s->corrupted > 0)
        fprintf(out, ", +%ld corrupted", s->corrupted);
    if (s->errors > 0)
        fprintf(out, ", +%ld errors", s->errors);
    if (s->transmitted > 0) {
        /* %g of a float: "0", "25", "33.3333", as iputils prints it. */
        float loss = (float)((s->transmitted - s->received) * 100.0 / s->transmitted);
        fprintf(out, ", %g%% packet loss, time %lldms", (double)loss,
                (elapsed_us + 500) / 1000);
    }
    fputc('\n', out);

    const char *separator = "";
    if (s->received > 0 && s->timed > 0) {
        long avg = (long)(s->rtt_sum / s->timed), mdev = mean_deviation(s);
        fprintf(out, "rtt min/avg/max/mdev = %ld.%03ld/%ld.%03ld/%ld.%03ld/%ld.%03ld ms",
                s->rtt_min / 1000, s->rtt_min % 1000, avg / 1000, avg % 1000,
                s->rtt_max / 1000, s->rtt_max % 1000, mdev / 1000, mdev % 1000);
        separator = ", ";
    }
    if (s->pipe > 1)
        fprintf(out, "%spipe %d", separator, s->pipe);
    fputc('\n', out);
}

int ping_stats_exit_status(const struct ping_stats *stats)
{
    return stats->received > 0 ? 0 : 1;
}

long long ping_now_us(void)
{
    return (long long)(ping_now_ns() / 1000);
}

int64_t ping_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail with this clock */
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

long long ping_parse_seconds(const char *text, double min, double max)
{
    char *end;

    if (text[0] < '0' || text[0] > '9')
        return -1; /* strtod() would also take " 1", "-1", "inf" and "nan" */
    errno = 0;
    double seconds = strtod(text, &end);
    if (errno != 0 || *end != '\0' || !(seconds >= min && seconds <= max))
        return -1;
    return (long long)(seconds * 1e6 + 0.5);
}
