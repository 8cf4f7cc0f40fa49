/* test-ws-peers - the chapter's programs against reference implementations
 * of RFC 6455, and against each other.
 *
 * For each family (framing, pings, fragmentation, utf8, limits, closing),
 * both ways:
 *   PEER-client.FAMILY   the peer's client checks ws-server
 *   PEER-server.FAMILY   the peer's server checks ws-client --echo
 * where PEER is python (Debian's python3-websockets) or node (the npm
 * package ws, installed by tests/install-peers).  A case whose peer is not
 * installed is skipped (77).  ours.* puts ws-client against ws-server.
 */
#include "testkit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PEER_DIR
#define PEER_DIR "."
#endif
#ifndef NODE_MODULES
#define NODE_MODULES "node_modules"
#endif

/* The peer's interpreter and script, or a skip if it is missing. */
static void peer_command(const char *peer, const char **interpreter, char *script, size_t len)
{
    static char found[512];
    const char *program = strcmp(peer, "python") == 0 ? "python3" : "node";
    /* Debian's python3 has python3-websockets; another python3 first on
     * PATH (a pyenv shim) may not. */
    const char *dirs = strcmp(peer, "python") == 0 ? "/usr/bin" : getenv("PATH");
    found[0] = '\0';
    for (const char *d = dirs; d && *d;) {
        size_t n = strcspn(d, ":");
        snprintf(found, sizeof found, "%.*s/%s", (int)n, d, program);
        if (access(found, X_OK) == 0)
            break;
        found[0] = '\0';
        d += n + (d[n] == ':');
    }
    if (found[0] == '\0')
        tk_skip("%s is not installed", program);
    *interpreter = found;
    snprintf(script, len, "%s/peer-%s.%s", PEER_DIR, peer, strcmp(peer, "python") == 0 ? "py" : "js");
    setenv("WS_NODE_MODULES", NODE_MODULES, 1);
}

static const char *family_of(const char *name)
{
    return strrchr(name, '.') + 1;
}

/* PEER-client.FAMILY: the peer's checks run against ws-server. */
static void peer_client(const char *peer, const char *family)
{
    const char *interpreter;
    char script[512];
    peer_command(peer, &interpreter, script, sizeof script);
    struct tk_proc *server =
        strcmp(family, "limits") == 0
            ? tk_start_server(tk_program("ws-server"), "--max-message", "100000", "0", NULL)
            : tk_start_server(tk_program("ws-server"), "0", NULL);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/echo", server->port);
    struct tk_proc *p = tk_run(NULL, 0, 40000, interpreter, script, "client", url, family, NULL);
    int status = tk_exit_code(p);
    if (status == 77)
        tk_skip("%s", p->err_text ? p->err_text : "the peer's library is missing");
    TK_ASSERT(status == 0, "the %s peer found: %s %s", peer, p->out_text ? p->out_text : "",
              p->err_text ? p->err_text : "");
    TK_ASSERT(tk_still_running(server, 0), "ws-server died");
}

/* PEER-server.FAMILY: the peer's server checks ws-client --echo. */
static void peer_server(const char *peer, const char *family, int expected_exit)
{
    const char *interpreter;
    char script[512];
    peer_command(peer, &interpreter, script, sizeof script);
    struct tk_proc *server = tk_start(interpreter, script, "server", family, NULL);
    const char *line = tk_read_line(server, 10000);
    if (line == NULL) {
        tk_wait(server, 5000);
        if (tk_exit_code(server) == 77)
            tk_skip("the %s peer's library is missing", peer);
        TK_FAIL("the %s peer did not start: %s", peer, server->err_text ? server->err_text : "");
    }
    int port = 0;
    TK_ASSERT(sscanf(line, "listening on 127.0.0.1:%d", &port) == 1, "peer said: %s", line);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", port);
    struct tk_proc *client =
        strcmp(family, "limits") == 0
            ? tk_run(NULL, 0, 40000, tk_program("ws-client"), "--echo", "--max-message", "100000",
                     url, NULL)
            : tk_run(NULL, 0, 40000, tk_program("ws-client"), "--echo", url, NULL);
    const char *verdict = tk_read_line(server, 10000);
    TK_ASSERT(verdict && strcmp(verdict, "ok") == 0, "the %s peer found: %s", peer,
              verdict ? verdict : "(nothing)");
    TK_ASSERT_INT_EQ(tk_exit_code(client), expected_exit, "ws-client's exit status");
    tk_wait(server, 10000);
}

#define PEER_CASES(peer)                                                       \
    static void peer##_client_case(void) { peer_client(#peer, family_of(current)); } \
    static void peer##_server_case(void)                                       \
    {                                                                          \
        const char *family = family_of(current);                               \
        /* the client refuses the message over its limit (1009); node's */     \
        /* closing family ends with code 4000, not a plain success */          \
        int expected = strcmp(family, "limits") == 0 ||                        \
                       (strcmp(#peer, "node") == 0 && strcmp(family, "closing") == 0); \
        peer_server(#peer, family, expected);                                  \
    }

static const char *current;
PEER_CASES(python)
PEER_CASES(node)

/* ---- ws-client against ws-server ---------------------------------------------------- */

static struct tk_proc *ours_server(const char *max_message)
{
    return max_message
               ? tk_start_server(tk_program("ws-server"), "--max-message", max_message, "0", NULL)
               : tk_start_server(tk_program("ws-server"), "0", NULL);
}

/* Waits until the server has logged the upgrade of one more connection to
 * path.  The server prints that line and takes the connection (into the
 * chat room, say) in the same turn of its loop, so from then on what a
 * client sends meets the new one there: a fixed sleep is no such promise
 * on a busy machine. */
static void wait_upgrade(struct tk_proc *server, const char *path)
{
    char suffix[96];
    snprintf(suffix, sizeof suffix, " upgrade %s", path);
    long long deadline = tk_now_ms() + 10000;
    for (;;) {
        long long left = deadline - tk_now_ms();
        const char *line = left > 0 ? tk_read_line(server, (int)left) : NULL;
        TK_ASSERT(line != NULL, "the server logged no upgrade to %s within 10 s", path);
        size_t n = strlen(line), k = strlen(suffix);
        if (n >= k && strcmp(line + n - k, suffix) == 0)
            return;
    }
}

static struct tk_proc *ours_client(struct tk_proc *server, const char *path, const char *input,
                                   size_t len)
{
    char url[96];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d%s", server->port, path);
    return tk_run(input, len, 20000, tk_program("ws-client"), url, NULL);
}

/* Lines of many lengths go out and come back, unchanged. */
static void ours_framing(void)
{
    struct tk_proc *server = ours_server(NULL);
    static const size_t sizes[] = {0, 1, 125, 126, 127, 65535, 65536, 300000};
    size_t total = 0;
    for (size_t i = 0; i < 8; i++)
        total += sizes[i] + 1;
    char *input = tk_alloc(total);
    size_t at = 0;
    for (size_t i = 0; i < 8; i++) {
        memset(input + at, 'a' + (int)i, sizes[i]);
        at += sizes[i];
        input[at++] = '\n';
    }
    struct tk_proc *client = ours_client(server, "/", input, total);
    TK_ASSERT_INT_EQ(tk_exit_code(client), 0, "exit status");
    TK_ASSERT_BYTES_EQ(client->out_text, client->out_len, input, total, "lines echoed");
    free(input);
}

static void ours_utf8(void)
{
    struct tk_proc *server = ours_server(NULL);
    const char *text = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\n\xf0\x9f\x98\x80\n"
                       "\xf4\x8f\xbf\xbf\nplain\n";
    struct tk_proc *client = ours_client(server, "/", text, strlen(text));
    TK_ASSERT_INT_EQ(tk_exit_code(client), 0, "exit status");
    TK_ASSERT_BYTES_EQ(client->out_text, client->out_len, text, strlen(text), "UTF-8 echoed");
}

static void ours_limits(void)
{
    struct tk_proc *server = ours_server("1000");
    char input[1002];
    memset(input, 'm', 1001);
    input[1001] = '\n';
    struct tk_proc *client = ours_client(server, "/", input, sizeof input);
    TK_ASSERT_INT_EQ(tk_exit_code(client), 1, "exit status");
    tk_assert_one_error_line(client, "ws-client", "1009", NULL);
    client = ours_client(server, "/", input + 1, sizeof input - 1); /* 1000 bytes: fine */
    TK_ASSERT_INT_EQ(tk_exit_code(client), 0, "exit status at the limit");
}

static void ours_closing(void)
{
    struct tk_proc *server = ours_server(NULL);
    /* end of stdin: a clean close */
    struct tk_proc *client = ours_client(server, "/", "", 0);
    TK_ASSERT_INT_EQ(tk_exit_code(client), 0, "exit status after a clean close");
    /* the server goes away under the client: no closing handshake */
    char url[96];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/dropped", server->port);
    struct tk_proc *waiting = tk_start(tk_program("ws-client"), url, NULL);
    wait_upgrade(server, "/dropped");
    tk_stop(server, SIGTERM, 5000);
    TK_ASSERT_INT_EQ(tk_exit_code((tk_wait(waiting, 5000), waiting)), 1, "exit status when dropped");
}

/* Two clients in the chat room. */
static void ours_chat(void)
{
    struct tk_proc *server = ours_server(NULL);
    char url[96];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/chat", server->port);
    struct tk_proc *alice = tk_start(tk_program("ws-client"), url, NULL);
    struct tk_proc *bob = tk_start(tk_program("ws-client"), url, NULL);
    wait_upgrade(server, "/chat");
    wait_upgrade(server, "/chat");
    tk_write_stdin(alice, "hello bob\n", 10);
    TK_ASSERT_STR_EQ(tk_read_line(bob, 5000), "hello bob", "bob hears alice");
    TK_ASSERT_STR_EQ(tk_read_line(alice, 5000), "hello bob", "alice hears herself");
    tk_write_stdin(bob, "hi alice\n", 9);
    TK_ASSERT_STR_EQ(tk_read_line(alice, 5000), "hi alice", "alice hears bob");
    TK_ASSERT_INT_EQ(tk_exit_code((tk_wait(alice, 5000), alice)), 0, "alice leaves cleanly");
    TK_ASSERT_INT_EQ(tk_exit_code((tk_wait(bob, 5000), bob)), 0, "bob leaves cleanly");
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
#define FAMILY(peer, f)                                                        \
    {#peer "-client." f, peer##_client_case}, {#peer "-server." f, peer##_server_case}
        FAMILY(python, "framing"), FAMILY(python, "pings"), FAMILY(python, "fragmentation"),
        FAMILY(python, "utf8"), FAMILY(python, "limits"), FAMILY(python, "closing"),
        FAMILY(node, "framing"), FAMILY(node, "pings"), FAMILY(node, "fragmentation"),
        FAMILY(node, "utf8"), FAMILY(node, "limits"), FAMILY(node, "closing"),
        {"ours.framing", ours_framing},
        {"ours.utf8", ours_utf8},
        {"ours.limits", ours_limits},
        {"ours.closing", ours_closing},
        {"ours.chat", ours_chat},
        {NULL, NULL},
    };
    if (argc > 1)
        current = argv[1];
    return tk_main(argc, argv, cases);
}
