/* ex2-traceroute.c - graded tests of exercise 2: icmp-traceroute through a
 * chain of router namespaces, printing what traceroute -I -n prints. */
#include "ping-helpers.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Replaces every "N.NNN ms" by "T ms". */
static void mask_ms(char *line)
{
    for (char *at = strstr(line, " ms"); at != NULL; at = strstr(at + 1, " ms")) {
        char *start = at;
        while (start > line && (isdigit((unsigned char)start[-1]) || start[-1] == '.'))
            start--;
        if (start == at)
            continue;
        *start = 'T';
        memmove(start + 1, at, strlen(at) + 1);
        at = start + 1;
    }
}

static struct lines trace(const struct chain *net, const char *const args[])
{
    const char *argv[16] = {tk_program("icmp-traceroute")};
    int n = 1;
    for (; args[n - 1] != NULL; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    struct tk_proc *p = tk_netns_runv(net->node[0], 60000, argv);
    TK_ASSERT_INT_EQ(tk_exit_code(p), 0, "exit status of icmp-traceroute");
    struct lines out;
    split_lines(p->out_text, &out);
    for (int i = 0; i < out.count; i++)
        mask_ms(out.line[i]);
    return out;
}

static void expect_lines(const struct lines *out, const char *const want[])
{
    int i = 0;
    for (; want[i] != NULL; i++) {
        TK_ASSERT(i < out->count, "line %d: expected '%s', the output ends before", i + 1,
                  want[i]);
        TK_ASSERT(strcmp(out->line[i], want[i]) == 0, "line %d: expected '%s', got '%s'",
                  i + 1, want[i], out->line[i]);
    }
    TK_ASSERT(out->count == i, "%d lines expected, got %d (line %d: '%s')", i, out->count,
              i + 1, out->count > i ? out->line[i] : "");
}

static void three_hops(void)
{
    struct chain net = make_chain(2);
    const char *args[] = {"-m", "6", "-w", "1", "10.6.3.2", NULL};
    struct lines out = trace(&net, args);
    const char *want[] = {
        "traceroute to 10.6.3.2 (10.6.3.2), 6 hops max, 60 byte packets",
        " 1  10.6.1.2  T ms  T ms  T ms",
        " 2  10.6.2.2  T ms  T ms  T ms",
        " 3  10.6.3.2  T ms  T ms  T ms",
        NULL,
    };
    expect_lines(&out, want);
}

static void five_hops(void)
{
    struct chain net = make_chain(4);
    const char *args[] = {"-q", "1", "-m", "6", "-w", "1", "10.6.5.2", NULL};
    struct lines out = trace(&net, args);
    const char *want[] = {
        "traceroute to 10.6.5.2 (10.6.5.2), 6 hops max, 60 byte packets",
        " 1  10.6.1.2  T ms", " 2  10.6.2.2  T ms", " 3  10.6.3.2  T ms",
        " 4  10.6.4.2  T ms", " 5  10.6.5.2  T ms", NULL,
    };
    expect_lines(&out, want);
}

static void max_hops(void)
{
    struct chain net = make_chain(2);
    const char *args[] = {"-m", "1", "-w", "1", "10.6.3.2", NULL};
    struct lines out = trace(&net, args);
    const char *want[] = {
        "traceroute to 10.6.3.2 (10.6.3.2), 1 hops max, 60 byte packets",
        " 1  10.6.1.2  T ms  T ms  T ms", NULL,
    };
    expect_lines(&out, want);
}

/* The far host does not answer pings: its hop and those after show stars. */
static void silent_destination(void)
{
    struct chain net = make_chain(1);
    tk_netns_sysctl(net.node[2], "net/ipv4/icmp_echo_ignore_all", "1");
    const char *args[] = {"-m", "3", "-w", "0.3", "10.6.2.2", NULL};
    struct lines out = trace(&net, args);
    const char *want[] = {
        "traceroute to 10.6.2.2 (10.6.2.2), 3 hops max, 60 byte packets",
        " 1  10.6.1.2  T ms  T ms  T ms", " 2  * * *", " 3  * * *", NULL,
    };
    expect_lines(&out, want);
}

/* Beyond the chain: the last router has no route, and says so (!N). */
static void network_unreachable(void)
{
    struct chain net = make_chain(2);
    const char *args[] = {"-m", "6", "-w", "1", "10.6.99.1", NULL};
    struct lines out = trace(&net, args);
    const char *want[] = {
        "traceroute to 10.6.99.1 (10.6.99.1), 6 hops max, 60 byte packets",
        " 1  10.6.1.2  T ms  T ms  T ms",
        " 2  10.6.2.2  T ms !N  T ms !N  T ms !N",
        NULL,
    };
    expect_lines(&out, want);
}

/* Where traceroute is installed: both programs, line for line. */
static void beside_traceroute(void)
{
    const char *found = tk_find_tool("traceroute");
    if (found == NULL)
        tk_skip("traceroute is not installed (apt-get install traceroute)");
    char path[512];
    snprintf(path, sizeof path, "%s", found);
    struct chain net = make_chain(3);
    const char *args[] = {"-m", "6", "-w", "1", "10.6.4.2", NULL};
    struct lines ours = trace(&net, args);
    const char *argv[] = {path, "-I", "-n", "-m", "6", "-w", "1", "10.6.4.2", NULL};
    struct tk_proc *p = tk_netns_runv(net.node[0], 60000, argv);
    struct lines theirs;
    split_lines(p->out_text, &theirs);
    for (int i = 0; i < theirs.count; i++)
        mask_ms(theirs.line[i]);
    theirs.line[theirs.count] = NULL;
    expect_lines(&ours, (const char *const *)theirs.line);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"three-hops", three_hops},
        {"five-hops", five_hops},
        {"max-hops", max_hops},
        {"silent-destination", silent_destination},
        {"network-unreachable", network_unreachable},
        {"beside-traceroute", beside_traceroute},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
