/* pair-demo - a parent and its child talk over a socketpair.
 *
 *   pair-demo WORD...
 *
 * socketpair() makes two Unix sockets already connected to each other, with
 * no name anywhere: the only way to reach them is to hold one of the
 * descriptors, which fork() hands to the child.  Each process closes the
 * end it does not use, so that the other sees end-of-file when it is done.
 *
 * The pair is SOCK_SEQPACKET: a connection, like a stream, that keeps
 * message boundaries, like datagrams.  The parent sends every word first,
 * then reads the child's answers; each recv() returns exactly one answer,
 * where a stream would run them together.  Prints one line per word:
 *
 *   hello -> HELLO
 */
#include "net.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: pair-demo WORD...\n"
    "Sends each WORD to a child process over a socketpair (SOCK_SEQPACKET)\n"
    "and prints the child's answer, the word in capitals.  Words may not be\n"
    "empty, nor longer than 4096 bytes.\n";

#define WORD_MAX 4096

/* The child: one answer per message, until the parent closes its end. */
static int child(int sock)
{
    char buf[WORD_MAX];
    for (;;) {
        ssize_t n = recv(sock, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? 0 : 1;
        for (ssize_t i = 0; i < n; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        if (net_send_all(sock, buf, (size_t)n) < 0)
            return 1;
    }
}

static int parent(int sock, int count, char **words)
{
    char buf[WORD_MAX + 1];
    for (int i = 0; i < count; i++) {
        if (net_send_all(sock, words[i], strlen(words[i])) < 0) {
            fprintf(stderr, "pair-demo: sending: %s\n", strerror(errno));
            return 1;
        }
    }
    for (int i = 0; i < count; i++) {
        ssize_t n;
        do
            n = recv(sock, buf, sizeof buf - 1, 0);
        while (n < 0 && errno == EINTR);
        if (n <= 0) {
            fprintf(stderr, "pair-demo: receiving: %s\n",
                    n == 0 ? "the child closed its end" : strerror(errno));
            return 1;
        }
        buf[n] = '\0';
        printf("%s -> %s\n", words[i], buf);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    int ends[2];

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    /* An empty message of a SOCK_SEQPACKET socket reads as 0 bytes, the
     * same as end-of-file, so empty words are refused. */
    int words_ok = argc >= 2;
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '\0' || strlen(argv[i]) > WORD_MAX)
            words_ok = 0;
    if (!words_ok) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ends) < 0) {
        fprintf(stderr, "pair-demo: socketpair: %s\n", strerror(errno));
        return 1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "pair-demo: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        close(ends[0]);
        _exit(child(ends[1]));
    }
    close(ends[1]);
    int status = parent(ends[0], argc - 1, argv + 1);
    close(ends[0]); /* the child's recv() returns 0 and it exits */
    int child_status;
    while (waitpid(pid, &child_status, 0) < 0 && errno == EINTR)
        continue;
    if (status == 0 && !(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0)) {
        fprintf(stderr, "pair-demo: the child failed\n");
        status = 1;
    }
    return status;
}
