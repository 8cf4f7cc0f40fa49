/* Tests of udp-relay: it relays both ways, and it loses, duplicates, delays
 * and reorders datagrams as its options say, the same way for the same seed.
 *
 * Most cases put the test on both sides of the relay: a "client" socket that
 * sends to the relay and a "server" socket (the sink) that the relay sends
 * to.  Datagrams carry their sequence number in their first four bytes.
 * The test sends one datagram at a time and reads the relay's -v line about
 * it before sending the next, so the kernel never drops anything on its own
 * and every loss seen is the relay's doing. */
#include "testkit.h"
#include "tk-udp.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 5000
#define DATAGRAM 16
#define MAX_DATAGRAMS 2000 /* the most one session sends each way */

static const char *text_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* Starts the relay with the options given (a NULL-terminated list, at most
 * 12), in front of a server on 127.0.0.1 server_port. */
static struct tk_proc *start_relay(int server_port, const char *const options[])
{
    const char *argv[24];
    int argc = 0;
    static char port[16];

    argv[argc++] = tk_program("udp-relay");
    for (int i = 0; options[i] != NULL; i++)
        argv[argc++] = options[i];
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "0";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = port_text(server_port, port);
    argv[argc] = NULL;
    struct tk_proc *relay = tk_startv(argv);
    /* tk_start_server() takes a variable list; do its work for an array. */
    const char *line = tk_read_line(relay, WAIT_MS);
    TK_ASSERT(line != NULL && strncmp(line, "listening on 127.0.0.1:", 23) == 0,
              "expected \"listening on 127.0.0.1:PORT\", got \"%s\"", text_or_empty(line));
    relay->port = atoi(line + 23);
    TK_ASSERT(relay->port > 0, "no port in \"%s\"", line);
    return relay;
}

/* ---- what the relay says it did ------------------------------------------- */

enum { SENT = 1, DROPPED = 2, TWICE = 4, HELD = 8 };

/* Reads the -v line about the next datagram (skipping the line that
 * introduces a new client), checks it is about datagram `number` going
 * the way `prefix` says, and returns its fate as a set of the flags above.
 * The line itself is appended to log, if log is not NULL. */
static int read_fate(struct tk_proc *relay, const char *prefix, int number, char **log,
                     size_t *log_len)
{
    const char *line;
    do
        line = tk_read_line(relay, WAIT_MS);
    while (line != NULL && strncmp(line, "client ", 7) == 0 && strstr(line, " is ") != NULL);
    TK_ASSERT(line != NULL, "the relay's output ended");
    char expected[64];
    int n = snprintf(expected, sizeof expected, "%s #%d, ", prefix, number);
    TK_ASSERT(strncmp(line, expected, (size_t)n) == 0,
              "expected a line starting \"%s\", got \"%s\"", expected, line);
    const char *fate = strstr(line, ": ");
    TK_ASSERT(fate != NULL, "no fate in \"%s\"", line);
    if (log != NULL) {
        size_t len = strlen(line);
        char *grown = realloc(*log, *log_len + len + 2);
        TK_ASSERT(grown != NULL, "out of memory");
        memcpy(grown + *log_len, line, len);
        grown[*log_len + len] = '\n';
        grown[*log_len + len + 1] = '\0';
        *log = grown;
        *log_len += len + 1;
    }
    if (strcmp(fate, ": dropped") == 0)
        return DROPPED;
    TK_ASSERT(strncmp(fate, ": sent", 6) == 0, "unknown fate in \"%s\"", line);
    return SENT | (strstr(fate, "sent twice") ? TWICE : 0) |
           (strstr(fate, "held back") ? HELD : 0);
}

/* ---- what arrived on the other side -------------------------------------- */

struct arrivals {
    int count;        /* datagrams, copies included */
    int late;         /* datagrams that came after one with a higher number */
    int highest;      /* highest number so far, -1 before the first */
    int copies[MAX_DATAGRAMS]; /* copies that came, by number */
    int expected;     /* how many numbers were sent */
};

static void make_datagram(char *buf, int number)
{
    uint32_t n = (uint32_t)number;
    buf[0] = (char)(n >> 24);
    buf[1] = (char)(n >> 16);
    buf[2] = (char)(n >> 8);
    buf[3] = (char)n;
    tk_fill_pattern(buf + 4, DATAGRAM - 4, (unsigned)number);
}

/* Takes every datagram waiting on fd (for up to wait_ms for the first
 * one, and the same again after each) and tallies it. */
static void collect(int fd, struct arrivals *a, int wait_ms)
{
    char buf[DATAGRAM + 8], expected[DATAGRAM];
    ssize_t got;
    while ((got = udp_recv(fd, buf, sizeof buf, wait_ms, NULL)) >= 0) {
        TK_ASSERT(got == DATAGRAM, "a datagram of %zd bytes came, %d were sent", got,
                  DATAGRAM);
        int number = (int)(((uint32_t)(unsigned char)buf[0] << 24) |
                           ((uint32_t)(unsigned char)buf[1] << 16) |
                           ((uint32_t)(unsigned char)buf[2] << 8) | (unsigned char)buf[3]);
        TK_ASSERT(number >= 0 && number < a->expected, "datagram number %d was never sent",
                  number);
        make_datagram(expected, number);
        TK_ASSERT_BYTES_EQ(buf, DATAGRAM, expected, DATAGRAM, "a relayed datagram");
        a->count++;
        if (a->copies[number]++ == 0) {
            if (number < a->highest)
                a->late++;
            else
                a->highest = number;
        }
    }
}

/* ---- statistics ------------------------------------------------------------ */

/* True if count is within five standard deviations of what n trials of
 * probability percent give.  The cases use fixed seeds, so the counts are
 * the same on every run and the check is deterministic: it never fails by
 * bad luck.  The bound is what makes those counts evidence: a correct relay
 * lands outside it for only about one seed in two million (five standard
 * deviations either way), while at 20% of 2000 one deviation is 0.9 points,
 * so a rate wrong by ten points fails it for practically every seed. */
static bool plausible(int count, int n, double percent)
{
    double p = percent / 100.0;
    double mean = n * p, dev = count - mean;
    return dev * dev <= 25.0 * n * p * (1.0 - p) + 1.0;
}

struct session {
    int dropped, twice, held, fates[MAX_DATAGRAMS];
    struct arrivals arrived;
};

/* Sends n datagrams, one at a time, from `from` (to the relay, or on a
 * connected socket when host is NULL), reads the relay's line about each,
 * and collects what reaches `to`. */
static void pass_datagrams(struct tk_proc *relay, int from, const char *host, int port,
                           int to, const char *prefix, int n, struct session *s,
                           char **log, size_t *log_len)
{
    char buf[DATAGRAM];
    TK_ASSERT(n <= MAX_DATAGRAMS, "a session of %d datagrams is too long", n);
    memset(s, 0, sizeof *s);
    s->arrived.highest = -1;
    s->arrived.expected = n;
    for (int i = 0; i < n; i++) {
        make_datagram(buf, i);
        udp_send(from, host, port, buf, sizeof buf);
        int fate = read_fate(relay, prefix, i + 1, log, log_len);
        s->fates[i] = fate;
        s->dropped += (fate & DROPPED) != 0;
        s->twice += (fate & TWICE) != 0;
        s->held += (fate & HELD) != 0;
        collect(to, &s->arrived, 0);
    }
    /* The last ones may still be delayed or held back (at most 200 ms). */
    collect(to, &s->arrived, 600);
}

/* Each datagram arrived as often as the relay said it would. */
static void assert_fates_kept(const struct session *s, int n)
{
    for (int i = 0; i < n; i++) {
        int expected = (s->fates[i] & DROPPED) ? 0 : (s->fates[i] & TWICE) ? 2 : 1;
        TK_ASSERT(s->arrived.copies[i] == expected,
                  "datagram %d arrived %d times; the relay's log says it would %d times",
                  i + 1, s->arrived.copies[i], expected);
    }
    TK_ASSERT_INT_EQ(s->arrived.count, n - s->dropped + s->twice, "datagrams that arrived");
}

static void assert_rates(const struct session *s, int n, double loss, double dup,
                         double reorder)
{
    int sent = n - s->dropped;
    TK_ASSERT(plausible(s->dropped, n, loss),
              "%d of %d datagrams dropped: not plausible for %.0f%% loss", s->dropped, n, loss);
    TK_ASSERT(plausible(s->twice, sent, dup),
              "%d of %d datagrams duplicated: not plausible for %.0f%%", s->twice, sent, dup);
    TK_ASSERT(plausible(s->held, sent, reorder),
              "%d of %d datagrams held back: not plausible for %.0f%%", s->held, sent, reorder);
    /* Every datagram held back arrives after the next one that was not,
     * except the last few, whom nothing follows. */
    TK_ASSERT(s->arrived.late <= s->held && s->arrived.late >= s->held - 3,
              "%d datagrams arrived late, but the relay held back %d", s->arrived.late,
              s->held);
    if (reorder > 0)
        TK_ASSERT(s->arrived.late > 0, "nothing was reordered at %.0f%%", reorder);
    else
        TK_ASSERT_INT_EQ(s->arrived.late, 0, "datagrams reordered with -o 0");
}

/* Sends from the client side until one datagram reaches the sink, so that
 * the relay knows the client and the test knows the relay's socket towards
 * the server.  Returns that socket's port. */
static int introduce_client(struct tk_proc *relay, int client, int sink, int sent_before)
{
    char buf[8];
    int relay_port = -1;
    for (int i = 1; i <= 50 && relay_port < 0; i++) {
        udp_send(client, NULL, 0, "hello", 5);
        read_fate(relay, "client 1 -> server", sent_before + i, NULL, NULL);
        if (udp_recv(sink, buf, sizeof buf, 300, &relay_port) < 0)
            relay_port = -1;
    }
    TK_ASSERT(relay_port > 0, "50 datagrams sent, none reached the server side");
    /* Copies held back or duplicated may still come; they are not counted. */
    while (udp_recv(sink, buf, sizeof buf, 300, NULL) >= 0)
        continue;
    return relay_port;
}

/* One whole session: n datagrams each way through a relay with the given
 * options; returns the relay's lines about them in *log. */
static void run_session(const char *const options[], int n, struct session *up,
                        struct session *down, char **log, size_t *log_len)
{
    int sink = udp_bound("127.0.0.1");
    struct tk_proc *relay = start_relay(udp_port(sink), options);
    int client = udp_connected("127.0.0.1", relay->port);

    pass_datagrams(relay, client, NULL, 0, sink, "client 1 -> server", n, up, log, log_len);
    int relay_port = introduce_client(relay, client, sink, n);
    pass_datagrams(relay, sink, "127.0.0.1", relay_port, client, "server -> client 1", n,
                   down, log, log_len);
    tk_stop(relay, SIGTERM, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(relay), 0, "the relay's exit status");
    close(client);
    close(sink);
}

/* ---- the cases ------------------------------------------------------------- */

static void transparent_without_options(void)
{
    static const char *const none[] = {"-v", NULL};
    struct session up, down;
    run_session(none, 200, &up, &down, NULL, NULL);
    assert_fates_kept(&up, 200);
    assert_fates_kept(&down, 200);
    TK_ASSERT_INT_EQ(up.dropped + up.twice + up.held, 0, "fates other than sent");
    TK_ASSERT_INT_EQ(up.arrived.late + down.arrived.late, 0, "datagrams reordered");
}

static void loss_rate(void)
{
    static const char *const opts[] = {"-v", "-s", "11", "-l", "20", NULL};
    struct session up, down;
    run_session(opts, 2000, &up, &down, NULL, NULL);
    assert_fates_kept(&up, 2000);
    assert_fates_kept(&down, 2000);
    assert_rates(&up, 2000, 20, 0, 0);
    assert_rates(&down, 2000, 20, 0, 0);
}

static void duplicate_rate(void)
{
    static const char *const opts[] = {"-v", "-s", "12", "-d", "10", NULL};
    struct session up, down;
    run_session(opts, 2000, &up, &down, NULL, NULL);
    assert_fates_kept(&up, 2000);
    assert_fates_kept(&down, 2000);
    assert_rates(&up, 2000, 0, 10, 0);
    assert_rates(&down, 2000, 0, 10, 0);
}

static void reorder_rate(void)
{
    static const char *const opts[] = {"-v", "-s", "13", "-o", "10", NULL};
    struct session up, down;
    run_session(opts, 2000, &up, &down, NULL, NULL);
    assert_fates_kept(&up, 2000);
    assert_fates_kept(&down, 2000);
    assert_rates(&up, 2000, 0, 0, 10);
    assert_rates(&down, 2000, 0, 0, 10);
}

static void all_at_once(void)
{
    static const char *const opts[] = {"-v", "-s", "14", "-l", "20", "-d", "5",
                                       "-o", "10", NULL};
    struct session up, down;
    run_session(opts, 2000, &up, &down, NULL, NULL);
    assert_fates_kept(&up, 2000);
    assert_fates_kept(&down, 2000);
    assert_rates(&up, 2000, 20, 5, 10);
    assert_rates(&down, 2000, 20, 5, 10);
}

/* The same seed and the same traffic give the same log, line for line; a
 * different seed gives a different one.  (The line naming the client's
 * address is left out: the kernel picks a new port for it each run.) */
static void deterministic(void)
{
    static const char *const seed7[] = {"-v", "-s", "7", "-l", "20", "-d", "10",
                                        "-o", "10", "-j", "20", NULL};
    static const char *const seed8[] = {"-v", "-s", "8", "-l", "20", "-d", "10",
                                        "-o", "10", "-j", "20", NULL};
    char *log[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};
    struct session up, down;
    run_session(seed7, 300, &up, &down, &log[0], &len[0]);
    run_session(seed7, 300, &up, &down, &log[1], &len[1]);
    run_session(seed8, 300, &up, &down, &log[2], &len[2]);
    TK_ASSERT(len[0] > 0 && strstr(log[0], "dropped") && strstr(log[0], "sent twice") &&
                  strstr(log[0], "held back") && strstr(log[0], "delayed"),
              "the log should show every kind of fate:\n%s", text_or_empty(log[0]));
    TK_ASSERT_BYTES_EQ(log[1], len[1], log[0], len[0], "the second run's log");
    TK_ASSERT(len[2] != len[0] || memcmp(log[2], log[0], len[0]) != 0,
              "seeds 7 and 8 gave the same log");
    for (int i = 0; i < 3; i++)
        free(log[i]);
}

/* -D delays every datagram by at least that much; -j adds up to that much. */
static void delays(void)
{
    static const char *const opts[] = {"-v", "-D", "150", "-j", "40", NULL};
    int sink = udp_bound("127.0.0.1");
    struct tk_proc *relay = start_relay(udp_port(sink), opts);
    int client = udp_connected("127.0.0.1", relay->port);
    char buf[DATAGRAM];
    int distinct = 0, last = -1;
    for (int i = 0; i < 10; i++) {
        make_datagram(buf, i);
        long long start = tk_now_ms();
        udp_send(client, NULL, 0, buf, sizeof buf);
        ssize_t got = udp_recv(sink, buf, sizeof buf, WAIT_MS, NULL);
        long long took = tk_now_ms() - start;
        TK_ASSERT(got == DATAGRAM, "datagram %d never came through", i + 1);
        const char *line;
        do
            line = tk_read_line(relay, WAIT_MS);
        while (line != NULL && strstr(line, " is ") != NULL);
        const char *d = line != NULL ? strstr(line, "delayed ") : NULL;
        TK_ASSERT(d != NULL, "no delay in the line \"%s\"", text_or_empty(line));
        int delay = atoi(d + 8);
        TK_ASSERT(delay >= 150 && delay <= 190, "delay %d ms outside -D 150 -j 40", delay);
        TK_ASSERT(took >= delay - 2, "datagram %d came after %lld ms, delayed %d ms", i + 1,
                  took, delay);
        TK_ASSERT(took <= delay + 2000, "datagram %d took %lld ms, delayed %d ms", i + 1,
                  took, delay);
        distinct += delay != last;
        last = delay;
    }
    TK_ASSERT(distinct > 1, "-j 40 gave the same delay every time");
    close(client);
    close(sink);
}

static struct tk_proc *start_echo_server(void)
{
    return tk_start_server(tk_program("udp-echo-server"), "127.0.0.1", "0", NULL);
}

/* Two clients through one relay: each gets its own echoes, and no other's. */
static void two_clients(void)
{
    static const char *const none[] = {NULL};
    struct tk_proc *server = start_echo_server();
    struct tk_proc *relay = start_relay(server->port, none);
    int a = udp_connected("127.0.0.1", relay->port);
    int b = udp_connected("127.0.0.1", relay->port);
    char reply[16];
    for (int i = 0; i < 10; i++) {
        udp_send(a, NULL, 0, "from a", 6);
        udp_send(b, NULL, 0, "from b", 6);
        ssize_t got = udp_recv(a, reply, sizeof reply, WAIT_MS, NULL);
        TK_ASSERT_BYTES_EQ(reply, got < 0 ? 0 : (size_t)got, "from a", 6, "a's echo");
        got = udp_recv(b, reply, sizeof reply, WAIT_MS, NULL);
        TK_ASSERT_BYTES_EQ(reply, got < 0 ? 0 : (size_t)got, "from b", 6, "b's echo");
    }
    close(a);
    close(b);
}

/* The largest datagram goes through both ways, byte for byte; so does an
 * empty one. */
static void sizes(void)
{
    static const char *const none[] = {NULL};
    static const size_t lengths[] = {0, 1, 1472, 65507};
    struct tk_proc *server = start_echo_server();
    struct tk_proc *relay = start_relay(server->port, none);
    int fd = udp_connected("127.0.0.1", relay->port);
    char *data = tk_alloc(65507), *reply = tk_alloc(65600);
    for (int i = 0; i < 4; i++) {
        tk_fill_pattern(data, lengths[i], (unsigned)i);
        udp_send(fd, NULL, 0, data, lengths[i]);
        ssize_t got = udp_recv(fd, reply, 65600, WAIT_MS, NULL);
        TK_ASSERT(got >= 0, "no echo of %zu bytes through the relay", lengths[i]);
        TK_ASSERT_BYTES_EQ(reply, (size_t)got, data, lengths[i], "the echo through the relay");
    }
    free(data);
    free(reply);
    close(fd);
}

/* The relay speaks IPv6 to its clients and IPv4 to the server. */
static void ipv6_front(void)
{
    if (!tk_have_ipv6_loopback())
        tk_skip("this machine has no IPv6 loopback");
    struct tk_proc *server = start_echo_server();
    char port[16];
    struct tk_proc *relay = tk_start_server(tk_program("udp-relay"), "::1", "0", "127.0.0.1",
                                            port_text(server->port, port), NULL);
    char expected[64];
    snprintf(expected, sizeof expected, "[::1]:%d", relay->port);
    TK_ASSERT_STR_EQ(relay->address, expected, "the relay's listening address");
    int fd = udp_connected("::1", relay->port);
    char reply[8];
    udp_send(fd, NULL, 0, "v6 to v4", 8);
    ssize_t got = udp_recv(fd, reply, sizeof reply, WAIT_MS, NULL);
    TK_ASSERT_BYTES_EQ(reply, got < 0 ? 0 : (size_t)got, "v6 to v4", 8, "the echo");
    close(fd);
}

/* udp-echo-client's retries carry a message through 50% loss each way. */
static void client_retries_through_loss(void)
{
    static const char *const opts[] = {"-v", "-s", "3", "-l", "50", NULL};
    struct tk_proc *server = start_echo_server();
    struct tk_proc *relay = start_relay(server->port, opts);
    char port[16];
    struct tk_proc *c = tk_run(NULL, 0, 20000, tk_program("udp-echo-client"), "-t", "100",
                               "-r", "40", "127.0.0.1", port_text(relay->port, port),
                               "despite", "the", "loss", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(c), 0, "the client's exit status through 50% loss");
    TK_ASSERT_STR_EQ(text_or_empty(c->out_text), "despite the loss\n", "the client's output");
    tk_stop(relay, SIGTERM, WAIT_MS);
    const char *log = text_or_empty(relay->out_text);
    TK_ASSERT(strstr(log, "dropped") != NULL && strstr(log, "client 1 -> server #2,") != NULL,
              "the relay should have dropped some tries; its log:\n%s", log);
}

/* A server that is not there: the relay reports the ICMP errors and goes on. */
static void dead_server(void)
{
    static const char *const none[] = {NULL};
    int gone = udp_bound("127.0.0.1");
    int port = udp_port(gone);
    close(gone);
    struct tk_proc *relay = start_relay(port, none);
    int fd = udp_connected("127.0.0.1", relay->port);
    char buf[8];
    for (int i = 0; i < 3; i++) {
        udp_send(fd, NULL, 0, "hello?", 6);
        TK_ASSERT(udp_recv(fd, buf, sizeof buf, 200, NULL) == -1,
                  "an answer came from a server that is not there");
    }
    TK_ASSERT(tk_still_running(relay, 0), "the relay died when the server was not there");
    tk_stop(relay, SIGINT, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(relay), 0, "exit status after SIGINT");
    TK_ASSERT(strstr(text_or_empty(relay->err_text), "Connection refused") != NULL,
              "the relay should log the ICMP error; its stderr: %s",
              text_or_empty(relay->err_text));
    close(fd);
}

static void help(void)
{
    tk_assert_help(tk_program("udp-relay"));
    /* ...and the usage names the options. */
    struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, tk_program("udp-relay"), "--help", NULL);
    TK_ASSERT(strstr(p->out_text, "-l PERCENT") != NULL,
              "--help should describe the options, got \"%s\"", p->out_text);
}

static void assert_bad_usage(const char *const args[])
{
    const char *argv[16];
    int argc = 0;
    argv[argc++] = tk_program("udp-relay");
    for (int i = 0; args[i] != NULL; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    struct tk_proc *p = tk_startv(argv);
    tk_wait(p, WAIT_MS);
    tk_assert_usage_error(p);
}

static void bad_usage(void)
{
    static const char *const cases[][8] = {
        {NULL},
        {"0", "127.0.0.1", NULL},
        {"127.0.0.1", "0", "127.0.0.1", "7", "extra", NULL},
        {"-l", "101", "0", "127.0.0.1", "7", NULL},
        {"-l", "lots", "0", "127.0.0.1", "7", NULL},
        {"-D", "-5", "0", "127.0.0.1", "7", NULL},
        {"-s", "-1", "0", "127.0.0.1", "7", NULL},
        {"-q", "0", "127.0.0.1", "7", NULL},
        {"-l", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_bad_usage(cases[i]);
}

static void unknown_server_host(void)
{
    struct tk_proc *p = tk_run(NULL, 0, WAIT_MS, tk_program("udp-relay"), "0",
                               "no-such-host.invalid", "7", NULL);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 1, "exit status for a server name that does not resolve");
    tk_assert_one_error_line(p, "udp-relay", "no-such-host.invalid", NULL);
}

static void stops_on(int signo)
{
    static const char *const none[] = {NULL};
    struct tk_proc *server = start_echo_server();
    struct tk_proc *relay = start_relay(server->port, none);
    int status = tk_stop(relay, signo, WAIT_MS);
    TK_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "expected exit status 0 after signal %d, got wait status %d", signo, status);
}

static void exits_0_on_sigint(void)
{
    stops_on(SIGINT);
}

static void exits_0_on_sigterm(void)
{
    stops_on(SIGTERM);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"relay-transparent", transparent_without_options},
        {"relay-loss-rate", loss_rate},
        {"relay-duplicate-rate", duplicate_rate},
        {"relay-reorder-rate", reorder_rate},
        {"relay-all-at-once", all_at_once},
        {"relay-deterministic", deterministic},
        {"relay-delays", delays},
        {"relay-two-clients", two_clients},
        {"relay-sizes", sizes},
        {"relay-ipv6-front", ipv6_front},
        {"relay-client-retries", client_retries_through_loss},
        {"relay-dead-server", dead_server},
        {"relay-help", help},
        {"relay-bad-usage", bad_usage},
        {"relay-unknown-server", unknown_server_host},
        {"relay-sigint-exits-0", exits_0_on_sigint},
        {"relay-sigterm-exits-0", exits_0_on_sigterm},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
