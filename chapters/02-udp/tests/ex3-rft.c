/* Graded tests of exercise 3: rft-send and rft-recv move a file byte for
 * byte through udp-relay, whatever it does to the packets on the way. */
#include "testkit.h"
#include "tk-udp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 5000
#define SEND_LIMIT_MS 45000

static const char *text_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static void write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    TK_ASSERT(fd >= 0, "creating %s: %s", path, strerror(errno));
    TK_ASSERT(write(fd, data, len) == (ssize_t)len, "writing %s", path);
    close(fd);
}

/* The whole file, or NULL if it does not exist. */
static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    struct stat st;
    TK_ASSERT(fstat(fd, &st) == 0, "fstat %s", path);
    char *data = tk_alloc((size_t)st.st_size);
    *len = 0;
    ssize_t n;
    while (*len < (size_t)st.st_size &&
           (n = read(fd, data + *len, (size_t)st.st_size - *len)) > 0)
        *len += (size_t)n;
    close(fd);
    return data;
}

/* Starts udp-relay -v? with the options, in front of the receiver. */
static struct tk_proc *start_relay(int receiver_port, const char *const options[])
{
    const char *argv[24];
    int argc = 0;
    char port[16];
    argv[argc++] = tk_program("udp-relay");
    for (int i = 0; options[i] != NULL; i++)
        argv[argc++] = options[i];
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "0";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = port_text(receiver_port, port);
    argv[argc] = NULL;
    struct tk_proc *relay = tk_startv(argv);
    const char *line = tk_read_line(relay, WAIT_MS);
    TK_ASSERT(line != NULL && strncmp(line, "listening on 127.0.0.1:", 23) == 0,
              "udp-relay: expected its listening line, got \"%s\"", text_or_empty(line));
    relay->port = atoi(line + 23);
    return relay;
}

struct transfer {
    struct tk_proc *receiver, *relay, *sender;
    char in[512], out[512];
};

static void begin(struct transfer *t, size_t size, unsigned seed, const char *const opts[])
{
    char *data = tk_alloc(size);
    tk_fill_pattern(data, size, seed);
    snprintf(t->in, sizeof t->in, "%s/in.bin", tk_tmpdir());
    snprintf(t->out, sizeof t->out, "%s/out.bin", tk_tmpdir());
    write_file(t->in, data, size);
    free(data);
    t->receiver = tk_start_server(tk_program("rft-recv"), "127.0.0.1", "0", t->out, NULL);
    t->relay = start_relay(t->receiver->port, opts);
    char port[16];
    t->sender = tk_start(tk_program("rft-send"), "127.0.0.1", port_text(t->relay->port, port),
                         t->in, NULL);
}

/* Both ends finish with status 0, and the file arrived byte for byte. */
static void finish(struct transfer *t, size_t size)
{
    long long start = tk_now_ms();
    tk_wait(t->sender, SEND_LIMIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(t->sender), 0, "rft-send's exit status");
    tk_wait(t->receiver, WAIT_MS);
    TK_ASSERT_INT_EQ(tk_exit_code(t->receiver), 0, "rft-recv's exit status");
    const char *report = strstr(text_or_empty(t->receiver->out_text), "\nreceived ");
    char expected[64];
    snprintf(expected, sizeof expected, "\nreceived %zu bytes in %zu packets from ", size,
             (size + 1023) / 1024);
    TK_ASSERT(report != NULL && strncmp(report, expected, strlen(expected)) == 0,
              "rft-recv should print \"%s...\"; it printed:\n%s", expected + 1,
              text_or_empty(t->receiver->out_text));

    size_t got_len, sent_len;
    char *got = read_file(t->out, &got_len);
    TK_ASSERT(got != NULL, "rft-recv wrote no %s", t->out);
    char *sent = read_file(t->in, &sent_len);
    TK_ASSERT_BYTES_EQ(got, got_len, sent, sent_len, "the file that arrived");
    free(got);
    free(sent);
    printf("transfer of %zu bytes took %lld ms\n", size, tk_now_ms() - start);
}

static void transfer(size_t size, unsigned seed, const char *const opts[])
{
    struct transfer t;
    begin(&t, size, seed, opts);
    finish(&t, size);
}

/* No loss at all; a size that is not a multiple of 1024. */
static void clean_path(void)
{
    static const char *const none[] = {NULL};
    transfer(100 * 1024 + 7, 1, none);
}

/* The chapter's promise: 1 MiB through 20% loss, 5% duplication and 10%
 * reordering, both ways. */
static void lossy_1mib(void)
{
    static const char *const opts[] = {"-s", "5", "-l", "20", "-d", "5", "-o", "10", NULL};
    transfer(1u << 20, 2, opts);
}

/* Nothing lost, but a third of the packets twice and a third out of order. */
static void duplicates_and_reordering(void)
{
    static const char *const opts[] = {"-s", "6", "-d", "30", "-o", "30", NULL};
    transfer(200 * 1024, 3, opts);
}

/* An empty file is a FIN and nothing else; it must still arrive. */
static void empty_file(void)
{
    static const char *const opts[] = {"-s", "7", "-l", "20", NULL};
    transfer(0, 4, opts);
}

/* A long delay and jitter: many packets are retransmitted before their
 * first copy has even arrived, and ACKs come back in any order. */
static void slow_and_jittery(void)
{
    static const char *const opts[] = {"-s", "8", "-l", "10", "-D", "30", "-j", "60", NULL};
    transfer(64 * 1024, 5, opts);
}

/* Malformed datagrams before the transfer, and forged packets from a
 * stranger during it: the receiver ignores them and writes the real file. */
static void strangers_ignored(void)
{
    static const char *const opts[] = {"-v", "-D", "20", NULL};
    int stranger = udp_bound("127.0.0.1");
    struct transfer t;

    size_t size = 20 * 1024;
    char *data = tk_alloc(size);
    tk_fill_pattern(data, size, 6);
    snprintf(t.in, sizeof t.in, "%s/in.bin", tk_tmpdir());
    snprintf(t.out, sizeof t.out, "%s/out.bin", tk_tmpdir());
    write_file(t.in, data, size);
    free(data);
    t.receiver = tk_start_server(tk_program("rft-recv"), "127.0.0.1", "0", t.out, NULL);
    int port = t.receiver->port;

    /* Too short, an unknown type, an ACK, a FIN with a payload, too long. */
    static const unsigned char junk_fin[] = {'F', 0, 0, 0, 0, 'x'};
    static const unsigned char ack[] = {'A', 0, 0, 0, 0};
    char big[1100];
    memset(big, 'D', sizeof big);
    udp_send(stranger, "127.0.0.1", port, "", 0);
    udp_send(stranger, "127.0.0.1", port, "D", 1);
    udp_send(stranger, "127.0.0.1", port, "X\0\0\0\0data", 9);
    udp_send(stranger, "127.0.0.1", port, ack, sizeof ack);
    udp_send(stranger, "127.0.0.1", port, junk_fin, sizeof junk_fin);
    udp_send(stranger, "127.0.0.1", port, big, sizeof big);
    TK_ASSERT(tk_still_running(t.receiver, 100), "rft-recv died of a malformed datagram");

    t.relay = start_relay(port, opts);
    char relay_port[16];
    t.sender = tk_start(tk_program("rft-send"), "127.0.0.1",
                        port_text(t.relay->port, relay_port), t.in, NULL);
    /* Once the relay has passed on the sender's first packet, the receiver
     * knows its sender; then the stranger forges packets of its own. */
    const char *line;
    do
        line = tk_read_line(t.relay, WAIT_MS);
    while (line != NULL && strstr(line, "client 1 -> server #1,") == NULL);
    TK_ASSERT(line != NULL, "the sender's first packet never reached the relay");
    tk_sleep_ms(100);
    static const unsigned char forged0[] = {'D', 0, 0, 0, 0, 'f', 'o', 'r', 'g', 'e', 'd'};
    static const unsigned char forged_fin[] = {'F', 0, 0, 0, 1};
    udp_send(stranger, "127.0.0.1", port, forged0, sizeof forged0);
    udp_send(stranger, "127.0.0.1", port, forged_fin, sizeof forged_fin);
    finish(&t, size);
    close(stranger);
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"clean-path", clean_path},
        {"lossy-1mib", lossy_1mib},
        {"duplicates-and-reordering", duplicates_and_reordering},
        {"empty-file", empty_file},
        {"slow-and-jittery", slow_and_jittery},
        {"strangers-ignored", strangers_ignored},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
