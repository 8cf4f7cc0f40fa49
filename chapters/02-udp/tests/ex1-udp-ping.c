/* Graded tests of exercise 1: udp-ping matches each echo to its probe.
 *
 * Most cases put the test in the server's place, so that it can decide
 * which probes get an echo, which get two, and what else arrives. */
#include "testkit.h"
#include "tk-udp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 5000

static const char *text_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* Checks that the output has the line, whole, exactly once. */
static void assert_line_once(const char *out, const char *line)
{
    size_t len = strlen(line);
    int found = 0;
    for (const char *at = out; (at = strstr(at, line)) != NULL; at += len)
        if ((at == out || at[-1] == '\n') && at[len] == '\n')
            found++;
    TK_ASSERT(found == 1, "expected the line \"%s\" once, found it %d times in:\n%s", line,
              found, out);
}

static void assert_summary(const char *out, int port, int sent, int received, int loss)
{
    char line[128];
    snprintf(line, sizeof line, "--- 127.0.0.1 port %d udp-ping statistics ---", port);
    assert_line_once(out, line);
    snprintf(line, sizeof line, "%d probes transmitted, %d received, %d%% loss", sent,
             received, loss);
    assert_line_once(out, line);
}

/* Checks the line of probe seq: an echo of some bytes, or a timeout. */
static void assert_probe_line(const char *out, int seq, int answered)
{
    char prefix[32];
    if (!answered) {
        snprintf(prefix, sizeof prefix, "seq=%d timeout", seq);
        assert_line_once(out, prefix);
        return;
    }
    snprintf(prefix, sizeof prefix, "\nseq=%d bytes=", seq);
    char *with_nl = tk_alloc(strlen(out) + 2);
    with_nl[0] = '\n';
    strcpy(with_nl + 1, out);
    const char *at = strstr(with_nl, prefix);
    TK_ASSERT(at != NULL, "no line \"seq=%d bytes=... time=... ms\" in:\n%s", seq, out);
    TK_ASSERT(strstr(at + 1, prefix) == NULL, "two lines for seq=%d in:\n%s", seq, out);
    const char *time = strstr(at, " time=");
    const char *eol = strchr(at + 1, '\n');
    TK_ASSERT(time != NULL && eol != NULL && time < eol && strncmp(eol - 3, " ms", 3) == 0,
              "the line of seq=%d should end \" time=T ms\":\n%s", seq, out);
    free(with_nl);
}

static struct tk_proc *start_ping(int port, const char *count, const char *wait_ms)
{
    char port_str[16];
    return tk_start(tk_program("udp-ping"), "-c", count, "-W", wait_ms, "127.0.0.1",
                    port_text(port, port_str), NULL);
}

/* Takes the next probe; fails if none comes.  Returns its length. */
static ssize_t next_probe(int server, char *buf, size_t cap)
{
    ssize_t n = udp_recv(server, buf, cap, WAIT_MS, NULL);
    TK_ASSERT(n > 0, "no probe came from udp-ping within %d ms", WAIT_MS);
    return n;
}

/* A real echo server answers every probe. */
static void all_answered(void)
{
    struct tk_proc *server = tk_start_server(tk_program("udp-echo-server"), "127.0.0.1",
                                             "0", NULL);
    struct tk_proc *ping = start_ping(server->port, "4", "2000");
    tk_wait(ping, 15000);
    const char *out = text_or_empty(ping->out_text);
    TK_ASSERT_INT_EQ(tk_exit_code(ping), 0, "udp-ping's exit status");
    for (int seq = 1; seq <= 4; seq++)
        assert_probe_line(out, seq, 1);
    assert_summary(out, server->port, 4, 4, 0);
}

/* Probes 2 and 4 of 5 get no echo. */
static void loss_counted(void)
{
    int server = udp_bound("127.0.0.1");
    struct tk_proc *ping = start_ping(udp_port(server), "5", "300");
    char buf[256];
    for (int seq = 1; seq <= 5; seq++) {
        ssize_t n = next_probe(server, buf, sizeof buf);
        if (seq % 2 == 1)
            udp_reply(server, buf, (size_t)n);
    }
    tk_wait(ping, WAIT_MS);
    const char *out = text_or_empty(ping->out_text);
    TK_ASSERT_INT_EQ(tk_exit_code(ping), 0, "udp-ping's exit status");
    for (int seq = 1; seq <= 5; seq++)
        assert_probe_line(out, seq, seq % 2 == 1);
    assert_summary(out, udp_port(server), 5, 3, 40);
}

/* Echo 1 comes twice; probe 2 first gets a datagram that is no echo at all,
 * then its echo; probe 3 first gets a late copy of echo 2, then its own;
 * probe 4 gets nothing but another copy of echo 3.  Three answered, one
 * lost, and no probe counted twice. */
static void duplicates_and_strays(void)
{
    int server = udp_bound("127.0.0.1");
    struct tk_proc *ping = start_ping(udp_port(server), "4", "400");
    char probe[4][256];
    ssize_t len[4];
    for (int i = 0; i < 4; i++) {
        len[i] = next_probe(server, probe[i], sizeof probe[i]);
        switch (i) {
        case 0:
            udp_reply(server, probe[0], (size_t)len[0]);
            udp_reply(server, probe[0], (size_t)len[0]);
            break;
        case 1:
            udp_reply(server, "not an echo", 11);
            udp_reply(server, probe[1], (size_t)len[1]);
            break;
        case 2:
            udp_reply(server, probe[1], (size_t)len[1]);
            tk_sleep_ms(50);
            udp_reply(server, probe[2], (size_t)len[2]);
            break;
        case 3:
            udp_reply(server, probe[2], (size_t)len[2]);
            break;
        }
    }
    tk_wait(ping, WAIT_MS);
    const char *out = text_or_empty(ping->out_text);
    TK_ASSERT_INT_EQ(tk_exit_code(ping), 0, "udp-ping's exit status");
    for (int seq = 1; seq <= 4; seq++)
        assert_probe_line(out, seq, seq != 4);
    assert_summary(out, udp_port(server), 4, 3, 25);
    /* Every probe must be one the test can tell apart from the others. */
    for (int i = 1; i < 4; i++)
        TK_ASSERT(len[i] != len[0] || memcmp(probe[i], probe[0], (size_t)len[0]) != 0,
                  "probes 1 and %d are the same bytes: an echo cannot say which it answers",
                  i + 1);
}

/* Nobody answers: everything is lost, and the exit status says so. */
static void nobody_answers(void)
{
    int server = udp_bound("127.0.0.1");
    struct tk_proc *ping = start_ping(udp_port(server), "3", "200");
    char buf[256];
    for (int seq = 1; seq <= 3; seq++)
        next_probe(server, buf, sizeof buf);
    tk_wait(ping, WAIT_MS);
    const char *out = text_or_empty(ping->out_text);
    TK_ASSERT_INT_EQ(tk_exit_code(ping), 1, "udp-ping's exit status when nothing came back");
    for (int seq = 1; seq <= 3; seq++)
        assert_probe_line(out, seq, 0);
    assert_summary(out, udp_port(server), 3, 0, 100);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"all-answered", all_answered},
        {"loss-counted", loss_counted},
        {"duplicates-and-strays", duplicates_and_strays},
        {"nobody-answers", nobody_answers},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
