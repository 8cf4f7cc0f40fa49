/* Graded tests of exercise 2: rto-client computes its retransmission
 * timeout as RFC 6298 says, backs off, and follows Karn's algorithm.
 *
 * The test plays the echo server and delays each echo by a known time.  It
 * then reads the round-trip times the client printed and recomputes SRTT,
 * RTTVAR and RTO from them with the RFC's formulas: the client's figures
 * must agree to within the rounding of its output. */
#include "testkit.h"
#include "tk-udp.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 5000
#define CLOSE_ENOUGH 0.35 /* ms: printed figures are rounded to 0.1 ms */

struct model {
    bool have_sample;
    double srtt, rttvar, rto;
};

static double clamp(double rto)
{
    return rto < 200 ? 200 : rto > 60000 ? 60000 : rto;
}

static void model_sample(struct model *m, double r)
{
    if (!m->have_sample) {
        m->srtt = r;
        m->rttvar = r / 2;
        m->have_sample = true;
    } else {
        double diff = m->srtt > r ? m->srtt - r : r - m->srtt;
        m->rttvar = 0.75 * m->rttvar + 0.25 * diff;
        m->srtt = 0.875 * m->srtt + 0.125 * r;
    }
    m->rto = clamp(m->srtt + (4 * m->rttvar > 1 ? 4 * m->rttvar : 1));
}

static bool near(double a, double b)
{
    return a - b < CLOSE_ENOUGH && b - a < CLOSE_ENOUGH;
}

static const char *text_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* The next line of the client's output, from a copy the test walks through. */
static const char *next_line(char **cursor)
{
    char *line = *cursor;
    char *nl = line != NULL ? strchr(line, '\n') : NULL;
    if (nl == NULL)
        return NULL;
    *nl = '\0';
    *cursor = nl + 1;
    return line;
}

/* Checks a "probe N: rtt=..." line against the model, which it updates
 * with the printed rtt.  Returns that rtt. */
static double expect_sample(char **cursor, struct model *m, int number, int delay_ms)
{
    const char *line = next_line(cursor);
    int n;
    double rtt, srtt, rttvar, rto;
    TK_ASSERT(line != NULL && sscanf(line, "probe %d: rtt=%lf ms srtt=%lf ms rttvar=%lf ms "
                                           "rto=%lf ms", &n, &rtt, &srtt, &rttvar, &rto) == 5,
              "expected \"probe %d: rtt=R ms srtt=S ms rttvar=V ms rto=T ms\", got \"%s\"",
              number, text_or_empty(line));
    TK_ASSERT_INT_EQ(n, number, "the probe number");
    TK_ASSERT(rtt >= delay_ms && rtt <= delay_ms + 1000,
              "probe %d: rtt=%.1f ms, but its echo was held back %d ms", number, rtt, delay_ms);
    model_sample(m, rtt);
    TK_ASSERT(near(srtt, m->srtt), "probe %d: srtt=%.1f, RFC 6298 gives %.2f (line \"%s\")",
              number, srtt, m->srtt, line);
    TK_ASSERT(near(rttvar, m->rttvar),
              "probe %d: rttvar=%.1f, RFC 6298 gives %.2f (line \"%s\")", number, rttvar,
              m->rttvar, line);
    TK_ASSERT(near(rto, m->rto), "probe %d: rto=%.1f, RFC 6298 gives %.2f (line \"%s\")",
              number, rto, m->rto, line);
    return rtt;
}

static struct tk_proc *start_client(int port, const char *count)
{
    char port_str[16];
    return tk_start(tk_program("rto-client"), "-c", count, "127.0.0.1",
                    port_text(port, port_str), NULL);
}

/* Answers the next probe after delay_ms; returns when it arrived. */
static long long answer_after(int server, int delay_ms)
{
    char buf[128];
    ssize_t n = udp_recv(server, buf, sizeof buf, WAIT_MS, NULL);
    TK_ASSERT(n > 0, "no probe came within %d ms", WAIT_MS);
    long long arrived = udp_arrival_ms(server);
    tk_sleep_ms(delay_ms);
    udp_reply(server, buf, (size_t)n);
    return arrived;
}

static char *finish(struct tk_proc *client, int expected_status)
{
    tk_wait(client, 20000);
    TK_ASSERT_INT_EQ(tk_exit_code(client), expected_status, "rto-client's exit status");
    char *copy = tk_alloc(client->out_len + 1);
    memcpy(copy, text_or_empty(client->out_text), client->out_len + 1);
    return copy;
}

/* One probe: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR = 3R. */
static void first_sample(void)
{
    int server = udp_bound("127.0.0.1");
    struct tk_proc *client = start_client(udp_port(server), "1");
    answer_after(server, 100);
    char *out = finish(client, 0), *cursor = out;
    struct model m = {false, 0, 0, 1000};
    expect_sample(&cursor, &m, 1, 100);
    free(out);
}

/* Eight probes with echoes held back 100, 200, 100, 150, 100, 60, 60 and
 * 60 ms: the estimates follow, and the RTO comes down to its floor. */
static void estimates_follow_rfc6298(void)
{
    static const int delays[] = {100, 200, 100, 150, 100, 60, 60, 60};
    int server = udp_bound("127.0.0.1");
    struct tk_proc *client = start_client(udp_port(server), "8");
    for (int i = 0; i < 8; i++)
        answer_after(server, delays[i]);
    char *out = finish(client, 0), *cursor = out;
    struct model m = {false, 0, 0, 1000};
    for (int i = 0; i < 8; i++)
        expect_sample(&cursor, &m, i + 1, delays[i]);
    TK_ASSERT(next_line(&cursor) == NULL, "more output than eight probes: %s", cursor);
    free(out);
}

/* Probe 2's first copy gets no echo: after one RTO the client must send it
 * again and double the RTO.  The echo of the second copy gives no sample
 * (it might be answering either copy), so probe 3's sample updates the
 * estimates of probe 1, and only then is the RTO computed afresh. */
static void backoff_and_karn(void)
{
    int server = udp_bound("127.0.0.1");
    struct tk_proc *client = start_client(udp_port(server), "3");
    char buf[128];

    answer_after(server, 100);
    ssize_t n = udp_recv(server, buf, sizeof buf, WAIT_MS, NULL);
    TK_ASSERT(n > 0, "probe 2 never came");
    long long first_copy = udp_arrival_ms(server);
    long long second_copy = answer_after(server, 0);
    answer_after(server, 100);

    char *out = finish(client, 0), *cursor = out;
    struct model m = {false, 0, 0, 1000};
    expect_sample(&cursor, &m, 1, 100);
    double waited = (double)(second_copy - first_copy);
    TK_ASSERT(waited >= m.rto - 5 && waited <= m.rto + 1000,
              "probe 2 was sent again after %.0f ms; the RTO was %.1f ms", waited, m.rto);

    const char *line = next_line(&cursor);
    int number;
    double rto;
    TK_ASSERT(line != NULL && sscanf(line, "probe %d: timeout, rto=%lf ms", &number, &rto) == 2,
              "expected \"probe 2: timeout, rto=T ms\", got \"%s\"", text_or_empty(line));
    TK_ASSERT(number == 2 && near(rto, 2 * m.rto),
              "after a timeout the RTO should double to %.1f ms: \"%s\"", 2 * m.rto, line);
    line = next_line(&cursor);
    int tries;
    TK_ASSERT(line != NULL && sscanf(line, "probe %d: echo after %d tries, no rtt sample, "
                                           "rto=%lf ms", &number, &tries, &rto) == 3,
              "expected \"probe 2: echo after 2 tries, no rtt sample, rto=T ms\", got \"%s\"",
              text_or_empty(line));
    TK_ASSERT(number == 2 && tries == 2 && near(rto, 2 * m.rto),
              "the backed-off RTO of %.1f ms should stay until a new sample: \"%s\"",
              2 * m.rto, line);
    expect_sample(&cursor, &m, 3, 100);
    free(out);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"first-sample", first_sample},
        {"estimates-follow-rfc6298", estimates_follow_rfc6298},
        {"backoff-and-karn", backoff_and_karn},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
