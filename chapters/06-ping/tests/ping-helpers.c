/* ping-helpers.c - see ping-helpers.h. */
#include "ping-helpers.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pair make_pair(void)
{
    struct pair net = {tk_netns_new(), tk_netns_new()};
    tk_netns_link(net.client, "10.6.0.1/24", net.peer, "10.6.0.2/24");
    return net;
}

struct routed make_routed(void)
{
    struct routed net = {tk_netns_new(), tk_netns_new(), tk_netns_new()};
    tk_netns_link(net.client, "10.6.1.2/24", net.router, "10.6.1.1/24");
    tk_netns_link(net.router, "10.6.2.1/24", net.far, "10.6.2.2/24");
    tk_netns_sysctl(net.router, "net/ipv4/ip_forward", "1");
    tk_netns_route(net.client, "10.6.2.0/24", "10.6.1.1");
    tk_netns_route(net.far, "10.6.1.0/24", "10.6.2.1");
    return net;
}

struct chain make_chain(int routers)
{
    struct chain net = {.routers = routers};
    char left[32], right[32], gateway[32], subnet[32];

    for (int i = 0; i <= routers + 1; i++) {
        net.node[i] = tk_netns_new();
        tk_netns_sysctl(net.node[i], "net/ipv4/icmp_ratelimit", "0");
    }
    for (int i = 1; i <= routers + 1; i++) {
        snprintf(left, sizeof left, "10.6.%d.1/24", i);
        snprintf(right, sizeof right, "10.6.%d.2/24", i);
        tk_netns_link(net.node[i - 1], left, net.node[i], right);
    }
    tk_ip("-n", net.node[0], "route", "add", "default", "via", "10.6.1.2", NULL);
    for (int i = 1; i <= routers + 1; i++) {
        if (i <= routers)
            tk_netns_sysctl(net.node[i], "net/ipv4/ip_forward", "1");
        if (i < routers) {
            snprintf(gateway, sizeof gateway, "10.6.%d.2", i + 1);
            tk_ip("-n", net.node[i], "route", "add", "default", "via", gateway, NULL);
        }
        /* The way back to every link behind. */
        snprintf(gateway, sizeof gateway, "10.6.%d.1", i);
        for (int j = 1; j < i; j++) {
            snprintf(subnet, sizeof subnet, "10.6.%d.0/24", j);
            tk_netns_route(net.node[i], subnet, gateway);
        }
    }
    return net;
}

/* Every copy split_lines() makes stays listed here until the test ends, so
 * that lines can be handed around freely (and LeakSanitizer sees them held). */
static char *copies[1024];
static int copy_count;

void split_lines(const char *text, struct lines *out)
{
    out->count = 0;
    if (text == NULL)
        return;
    TK_ASSERT(copy_count < 1024, "too many outputs split into lines");
    char *copy = tk_alloc(strlen(text) + 1);
    strcpy(copy, text);
    copies[copy_count++] = copy;
    while (*copy != '\0' && out->count < 512) {
        out->line[out->count++] = copy;
        char *end = strchr(copy, '\n');
        if (end == NULL)
            break;
        *end = '\0';
        copy = end + 1;
    }
}

/* Replaces the number that follows each occurrence of key by "T". */
static void mask_after(char *line, const char *key)
{
    for (char *at = strstr(line, key); at != NULL; at = strstr(at + 1, key)) {
        char *number = at + strlen(key);
        char *end = number;
        while (isdigit((unsigned char)*end) || *end == '.' || *end == '/')
            end++;
        if (end == number)
            continue;
        *number = 'T';
        memmove(number + 1, end, strlen(end) + 1);
    }
}

void mask_times(char *line)
{
    mask_after(line, "time=");
    mask_after(line, "time ");
    mask_after(line, "mdev = ");
}

struct tk_proc *run_in(const char *ns, const char *program, ...)
{
    const char *argv[32] = {program};
    int n = 1;
    va_list ap;
    va_start(ap, program);
    for (const char *a; n < 31 && (a = va_arg(ap, const char *)) != NULL;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    return tk_netns_runv(ns, PING_WAIT_MS, argv);
}

struct tk_proc *start_responder(const char *ns, const char *action, ...)
{
    const char *argv[64] = {tk_program("icmp-responder")};
    int n = 1;
    va_list ap;
    va_start(ap, action);
    for (const char *a = action; n < 63 && a != NULL; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    tk_netns_sysctl(ns, "net/ipv4/icmp_echo_ignore_all", "1");
    struct tk_proc *responder = tk_netns_startv(ns, argv);
    const char *line = tk_read_line(responder, 5000);
    TK_ASSERT(line != NULL && strcmp(line, "ready") == 0,
              "the responder did not start: %s", responder->err_text ? responder->err_text : "");
    return responder;
}

/* ---- reading ping's output ---------------------------------------------- */

struct lines output_of(const struct tk_proc *p)
{
    struct lines out;
    split_lines(p->out_text, &out);
    return out;
}

/* The index of the "--- HOST ping statistics ---" line. */
int summary_at(const struct lines *out, const char *host)
{
    char want[128];
    snprintf(want, sizeof want, "--- %s ping statistics ---", host);
    for (int i = 0; i < out->count; i++)
        if (strcmp(out->line[i], want) == 0) {
            TK_ASSERT(i > 0 && out->line[i - 1][0] == '\0',
                      "no empty line before the summary");
            TK_ASSERT(i + 2 < out->count, "the summary is cut short");
            return i;
        }
    TK_FAIL("no line '%s' in the output:\n%s", want, out->count ? out->line[0] : "");
}

/* Checks the counts line exactly, the loss as iputils computes it (%g of a
 * float) included; returns the "time" it gives, in milliseconds. */
long check_counts(const struct lines *out, const char *host, struct counts c)
{
    char want[256];
    int n = snprintf(want, sizeof want, "%ld packets transmitted, %ld received",
                     c.transmitted, c.received);
    if (c.duplicates)
        n += snprintf(want + n, sizeof want - (size_t)n, ", +%ld duplicates", c.duplicates);
    if (c.corrupted)
        n += snprintf(want + n, sizeof want - (size_t)n, ", +%ld corrupted", c.corrupted);
    if (c.errors)
        n += snprintf(want + n, sizeof want - (size_t)n, ", +%ld errors", c.errors);
    float loss = (float)((c.transmitted - c.received) * 100.0 / c.transmitted);
    snprintf(want + n, sizeof want - (size_t)n, ", %g%% packet loss, time ", (double)loss);

    const char *line = out->line[summary_at(out, host) + 1];
    TK_ASSERT(strncmp(line, want, strlen(want)) == 0, "summary: expected '%s...', got '%s'",
              want, line);
    char *end;
    long ms = strtol(line + strlen(want), &end, 10);
    TK_ASSERT(strcmp(end, "ms") == 0, "summary: no 'time Nms' at the end of '%s'", line);
    return ms;
}

/* The round-trip time of a reply line in microseconds, or -1 if it has
 * none; *exact is cleared when the line rounded it (1 ms or more). */
long rtt_of(const char *line, bool *exact)
{
    const char *at = strstr(line, " time=");
    if (at == NULL)
        return -1;
    long ms = 0, frac = 0, digits = 0;
    const char *p = at + 6;
    for (; *p >= '0' && *p <= '9'; p++)
        ms = ms * 10 + (*p - '0');
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            frac = frac * 10 + (*p - '0');
    while (digits < 3)
        frac *= 10, digits++;
    if (ms >= 1)
        *exact = false;
    return ms * 1000 + frac;
}

/* Recomputes the rtt line from the reply lines: min, avg and max, and mdev
 * as iputils computes it (integer microseconds).  When every time was below
 * 1 ms the printed times are exact and so must the line be; otherwise the
 * line must agree to within the rounding. */
void check_rtt_line(const struct lines *out, const char *host)
{
    long long sum = 0, sum_sq = 0;
    long min = -1, max = -1, n = 0;
    bool exact = true;
    for (int i = 1; i < out->count; i++) {
        if (strstr(out->line[i], " bytes from ") == NULL ||
            strstr(out->line[i], "BAD CHECKSUM") != NULL)
            continue;
        long us = rtt_of(out->line[i], &exact);
        if (us < 0)
            continue;
        sum += us, sum_sq += (long long)us * us, n++;
        min = min < 0 || us < min ? us : min;
        max = us > max ? us : max;
    }
    const char *line = out->line[summary_at(out, host) + 2];
    TK_ASSERT(n > 0, "no reply line has a time");
    long avg = (long)(sum / n);
    long long variance = (sum_sq - sum * sum / n) / n, mdev = 0;
    while ((mdev + 1) * (mdev + 1) <= variance)
        mdev++;
    char want[160];
    snprintf(want, sizeof want, "rtt min/avg/max/mdev = %ld.%03ld/%ld.%03ld/%ld.%03ld/%lld.%03lld ms",
             min / 1000, min % 1000, avg / 1000, avg % 1000, max / 1000, max % 1000,
             mdev / 1000, mdev % 1000);
    if (exact) {
        TK_ASSERT(strncmp(line, want, strlen(want)) == 0, "expected '%s', got '%s'", want, line);
        return;
    }
    double got_min, got_avg, got_max, got_mdev;
    TK_ASSERT(sscanf(line, "rtt min/avg/max/mdev = %lf/%lf/%lf/%lf ms", &got_min, &got_avg,
                     &got_max, &got_mdev) == 4, "not an rtt line: '%s'", line);
    TK_ASSERT(got_min <= got_avg && got_avg <= got_max, "min <= avg <= max fails: '%s'", line);
    /* Each printed time may be off by half its last digit: 5 us from 1 ms,
     * 50 us from 10 ms, 500 us from 100 ms. */
    double slack = max >= 100000 ? 500 : max >= 10000 ? 50 : 5;
    TK_ASSERT(got_avg * 1000 > avg - slack - 1 && got_avg * 1000 < avg + slack + 1,
              "avg %.3f is not the mean of the replies' times (%.3f)", got_avg, avg / 1000.0);
}

void assert_line(const struct lines *out, int i, const char *want)
{
    TK_ASSERT(i < out->count, "expected line %d '%s', the output has %d lines", i + 1, want,
              out->count);
    TK_ASSERT_STR_EQ(out->line[i], want, "output line");
}

/* Checks that line i is a reply to SEQ: "64 bytes from ADDR: icmp_seq=SEQ
 * ttl=TTL time=... ms" followed by exactly TAIL (e.g. "" or " (DUP!)"). */
void assert_reply(const struct lines *out, int i, const char *from, int seq,
                         int ttl, const char *tail)
{
    char want[128];
    snprintf(want, sizeof want, "64 bytes from %s: icmp_seq=%d ttl=%d time=", from, seq, ttl);
    TK_ASSERT(i < out->count, "expected a reply to icmp_seq=%d on line %d", seq, i + 1);
    const char *line = out->line[i];
    TK_ASSERT(strncmp(line, want, strlen(want)) == 0, "expected '%s... ms%s', got '%s'", want,
              tail, line);
    const char *ms = strstr(line, " ms");
    TK_ASSERT(ms != NULL && strcmp(ms + 3, tail) == 0, "expected '... ms%s' at the end of '%s'",
              tail, line);
}

void assert_exit(const struct tk_proc *p, int status)
{
    TK_ASSERT(tk_exit_code(p) == status, "expected exit status %d, got %d; stderr: %s", status,
              tk_exit_code(p), p->err_text ? p->err_text : "");
}

/* Both programs' output, times masked, must be the same line for line. */
void assert_same_output(const struct tk_proc *ours, const struct tk_proc *theirs)
{
    struct lines a = output_of(ours), b = output_of(theirs);
    for (int i = 0; i < a.count || i < b.count; i++) {
        TK_ASSERT(i < a.count && i < b.count, "line %d: icmp-ping '%s', iputils ping '%s'",
                  i + 1, i < a.count ? a.line[i] : "(none)", i < b.count ? b.line[i] : "(none)");
        mask_times(a.line[i]);
        mask_times(b.line[i]);
        TK_ASSERT(strcmp(a.line[i], b.line[i]) == 0,
                  "line %d differs:\n  icmp-ping:   %s\n  iputils ping: %s", i + 1, a.line[i],
                  b.line[i]);
    }
    TK_ASSERT_INT_EQ(tk_exit_code(ours), tk_exit_code(theirs), "exit status beside iputils");
}
