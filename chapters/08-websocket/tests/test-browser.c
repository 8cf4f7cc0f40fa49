/* test-browser - the chat page of ws-server in a real browser.
 *
 * Starts ws-server and a headless Chromium, opens the demo page in two tabs,
 * and drives both through the Chrome DevTools Protocol (CDP): the browser
 * listens for WebSocket connections on its --remote-debugging-port, and
 * every command is a text message {"id": N, "method": M, "params": {...}}
 * answered by {"id": N, "result": {...}}, the very shape of this chapter's
 * request/reply layer.  The test speaks it through the chapter's own
 * ws-client, one line per message.
 *
 * What it checks, through the page's own form and message list: a message
 * typed in one tab appears in the other, both ways; when the server stops,
 * both pages say so; when it is back on the same port, both reconnect by
 * themselves and the chat works again.
 *
 * Skipped (77) when no Chromium is installed (`chromium` or
 * `chromium-browser` on the PATH, or the path in $CHROMIUM).
 */
#include "testkit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE_TIMEOUT_MS 15000

static const char *find_chromium(void)
{
    static char path[4096];
    const char *given = getenv("CHROMIUM");
    if (given && *given)
        return access(given, X_OK) == 0 ? given : NULL;
    const char *names[] = {"chromium", "chromium-browser"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *dirs = getenv("PATH");
        while (dirs != NULL && *dirs != '\0') {
            size_t n = strcspn(dirs, ":");
            snprintf(path, sizeof path, "%.*s/%s", (int)n, dirs, names[i]);
            if (n > 0 && access(path, X_OK) == 0)
                return path;
            dirs += n + (dirs[n] == ':');
        }
    }
    return NULL;
}

/* Starts the browser, headless, with a fresh profile, its log in a file
 * (Chromium writes much to stderr, and a full pipe would stall it), and
 * returns the port of its DevTools endpoint. */
static int start_browser(const char *chromium)
{
    const char *dir = tk_tmpdir();
    char profile[4096], log[4096], command[16384], port_file[4200];
    snprintf(profile, sizeof profile, "%s/profile", dir);
    snprintf(log, sizeof log, "%s/chromium.log", dir);
    snprintf(command, sizeof command,
             "exec '%s' --headless --no-sandbox --disable-gpu --disable-quic "
             "--no-first-run --disable-background-networking --disable-component-update "
             "--disable-sync --user-data-dir='%s' --remote-debugging-port=0 "
             "--remote-debugging-address=127.0.0.1 about:blank 2>'%s'",
             chromium, profile, log);
    tk_start("/bin/sh", "-c", command, NULL);

    /* The browser writes the port it took to DevToolsActivePort. */
    snprintf(port_file, sizeof port_file, "%s/DevToolsActivePort", profile);
    long long deadline = tk_now_ms() + PAGE_TIMEOUT_MS;
    while (tk_now_ms() < deadline) {
        FILE *f = fopen(port_file, "r");
        int port = 0;
        if (f) {
            if (fscanf(f, "%d", &port) != 1)
                port = 0;
            fclose(f);
        }
        if (port > 0)
            return port;
        tk_sleep_ms(50);
    }
    TK_FAIL("Chromium did not open its DevTools port within %d ms (log: %s)",
            PAGE_TIMEOUT_MS, log);
}

/* Opens url in a new tab (PUT /json/new?URL) and returns the address of
 * the tab's own DevTools WebSocket, from the JSON answer. */
static char *open_tab(int devtools_port, const char *url)
{
    char request[1024];
    int fd = tk_connect("127.0.0.1", devtools_port);
    snprintf(request, sizeof request,
             "PUT /json/new?%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
             url, devtools_port);
    tk_send(fd, request, strlen(request), 5000);
    /* The DevTools server keeps the connection open: read the head, then
     * the Content-Length bytes of the body. */
    static char answer[65536];
    size_t got = 0;
    while (got < 4 || memcmp(answer + got - 4, "\r\n\r\n", 4) != 0) {
        TK_ASSERT(got < sizeof answer / 2, "an answer head too long");
        TK_ASSERT(tk_recv(fd, answer + got, 1, PAGE_TIMEOUT_MS) == 1,
                  "the DevTools server closed the connection");
        got++;
    }
    answer[got] = '\0';
    const char *length = strstr(answer, "Content-Length:");
    TK_ASSERT(length != NULL, "no Content-Length in: %s", answer);
    size_t body = strtoul(length + strlen("Content-Length:"), NULL, 10);
    TK_ASSERT(body < sizeof answer / 2, "a body of %zu bytes", body);
    got = tk_recv(fd, answer, body, PAGE_TIMEOUT_MS);
    answer[got] = '\0';
    close(fd);
    const char *key = "\"webSocketDebuggerUrl\": \"";
    char *start = strstr(answer, key);
    TK_ASSERT(start != NULL, "no webSocketDebuggerUrl in the answer to /json/new: %s",
              answer);
    start += strlen(key);
    size_t len = strcspn(start, "\"");
    char *ws_url = tk_alloc(len + 1);
    memcpy(ws_url, start, len);
    ws_url[len] = '\0';
    return ws_url;
}

/* One tab, driven through a ws-client connected to its DevTools socket. */
struct tab {
    const char *name;
    struct tk_proc *cdp;
    int next_id;
};

static void open_page(struct tab *t, const char *name, int devtools_port, int server_port)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/?name=%s", server_port, name);
    char *ws_url = open_tab(devtools_port, url);
    t->name = name;
    t->cdp = tk_start(tk_program("ws-client"), ws_url, NULL);
    t->next_id = 1;
    free(ws_url);
}

/* Runs a JavaScript expression in the tab (Runtime.evaluate) and returns
 * the reply line, which holds its value as "value":... .  The expression
 * must not contain a double quote or a backslash (it is sent as a JSON
 * string as it is). */
static const char *evaluate(struct tab *t, const char *expression)
{
    char command[4096], id_key[32];
    int id = t->next_id++;
    snprintf(command, sizeof command,
             "{\"id\": %d, \"method\": \"Runtime.evaluate\", \"params\": "
             "{\"expression\": \"%s\", \"returnByValue\": true}}\n",
             id, expression);
    tk_write_stdin(t->cdp, command, strlen(command));
    snprintf(id_key, sizeof id_key, "{\"id\":%d,", id);
    for (;;) {
        /* Events (messages without an id) may come in between. */
        const char *line = tk_read_line(t->cdp, PAGE_TIMEOUT_MS);
        TK_ASSERT(line != NULL, "%s: the DevTools connection ended", t->name);
        if (strncmp(line, id_key, strlen(id_key)) == 0)
            return line;
    }
}

/* Waits until the expression's value, as the reply shows it, contains
 * want. */
static void wait_for(struct tab *t, const char *expression, const char *want)
{
    long long deadline = tk_now_ms() + PAGE_TIMEOUT_MS;
    const char *line = "";
    while (tk_now_ms() < deadline) {
        line = evaluate(t, expression);
        if (strstr(line, want))
            return;
        tk_sleep_ms(100);
    }
    TK_FAIL("%s: %s never gave %s; last reply: %s", t->name, expression, want, line);
}

static void wait_for_state(struct tab *t, const char *state)
{
    char want[64];
    snprintf(want, sizeof want, "\"value\":\"%s\"", state);
    wait_for(t, "document.getElementById('status').dataset.state", want);
}

/* Types text into the page's form and presses Send. */
static void say(struct tab *t, const char *text)
{
    char expression[1024];
    snprintf(expression, sizeof expression,
             "(() => { document.getElementById('text').value = '%s'; "
             "document.querySelector('#send button').click(); return 'sent'; })()",
             text);
    const char *line = evaluate(t, expression);
    TK_ASSERT(strstr(line, "\"value\":\"sent\"") != NULL, "%s: typing failed: %s", t->name,
              line);
}

static void wait_for_message(struct tab *t, const char *from, const char *text)
{
    char want[512];
    snprintf(want, sizeof want, "%s: %s", from, text);
    wait_for(t, "document.getElementById('messages').innerText", want);
}

static void chat_both_ways(struct tab *alice, struct tab *bob, const char *what)
{
    char text[128];
    snprintf(text, sizeof text, "hello from alice %s", what);
    say(alice, text);
    wait_for_message(bob, "alice", text);
    snprintf(text, sizeof text, "hi alice, bob here %s", what);
    say(bob, text);
    wait_for_message(alice, "bob", text);
}

static void chat_in_browser(void)
{
    const char *chromium = find_chromium();
    if (!chromium)
        tk_skip("Chromium is not installed (apt-get install chromium)");
    struct tk_proc *server = tk_start_server(tk_program("ws-server"), "127.0.0.1", "0", NULL);
    char port[16];
    snprintf(port, sizeof port, "%d", server->port);
    int devtools = start_browser(chromium);

    struct tab alice, bob;
    open_page(&alice, "alice", devtools, server->port);
    open_page(&bob, "bob", devtools, server->port);
    wait_for_state(&alice, "open");
    wait_for_state(&bob, "open");
    chat_both_ways(&alice, &bob, "(first)");

    /* The server goes away: both pages notice, and keep trying. */
    TK_ASSERT_INT_EQ(tk_stop(server, SIGTERM, 5000), 0, "ws-server's exit status");
    wait_for_state(&alice, "closed");
    wait_for_state(&bob, "closed");

    /* Back on the same port: both reconnect by themselves. */
    tk_start_server(tk_program("ws-server"), "127.0.0.1", port, NULL);
    wait_for_state(&alice, "open");
    wait_for_state(&bob, "open");
    chat_both_ways(&alice, &bob, "(after a restart)");
}

int main(int argc, char **argv)
{
    static const struct tk_case cases[] = {
        {"browser.chat", chat_in_browser},
        {NULL, NULL},
    };
    return tk_main(argc, argv, cases);
}
