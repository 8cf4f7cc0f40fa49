/* handshake.c - the opening handshake (RFC 6455 §4). */
#include "handshake.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "sha1.h"

void ws_accept_for_key(const char *key, char accept[WS_ACCEPT_LEN + 1])
{
    struct sha1 s;
    uint8_t digest[SHA1_DIGEST_LEN];
    sha1_init(&s);
    sha1_update(&s, key, strlen(key));
    sha1_update(&s, WS_GUID, strlen(WS_GUID));
    sha1_final(&s, digest);
    base64_encode(digest, sizeof digest, accept);
}

bool ws_random_bytes(void *buf, size_t len)
{
    int fd;
    do
        fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return false;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return got == len;
}

bool ws_new_key(char key[WS_KEY_LEN + 1])
{
    uint8_t nonce[16];
    if (!ws_random_bytes(nonce, sizeof nonce))
        return false;
    base64_encode(nonce, sizeof nonce, key);
    return true;
}

/* ---- lists of tokens: "chat, superchat" ------------------------------------------- */

/* Copies the next comma-separated item of *list (trimmed) into item and
 * advances *list; false at the end of the list. */
static bool next_item(const char **list, char *item, size_t itemlen)
{
    const char *p = *list;
    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    if (*p == '\0')
        return false;
    const char *start = p;
    while (*p && *p != ',')
        p++;
    const char *end = p;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t len = (size_t)(end - start);
    if (len >= itemlen)
        len = itemlen - 1;  /* a name too long to keep never matches */
    memcpy(item, start, len);
    item[len] = '\0';
    *list = p;
    return true;
}

/* True if some header `name` lists exactly `token` (subprotocol names are
 * case-sensitive, unlike the Connection tokens of http_has_token). */
static bool header_lists(const struct http_message *m, const char *name, const char *token)
{
    for (size_t i = 0; i < m->header_count; i++) {
        if (!http_name_eq(m->headers[i].name, name))
            continue;
        const char *list = m->headers[i].value;
        char item[WS_MAX_PROTOCOL + 2];
        while (next_item(&list, item, sizeof item))
            if (strcmp(item, token) == 0)
                return true;
    }
    return false;
}

/* ---- the server's side --------------------------------------------------------------- */

static int refuse(struct ws_server_handshake *hs, int status, const char *why)
{
    hs->status = status;
    hs->error = why;
    return status;
}

/* §4.2.1 point 5: the key must decode to 16 bytes. */
static bool key_is_valid(const char *key)
{
    uint8_t nonce[18];
    return key && base64_decode(key, strlen(key), nonce, sizeof nonce) == 16;
}

static int count_headers(const struct http_message *m, const char *name)
{
    int n = 0;
    for (size_t i = 0; i < m->header_count; i++)
        n += http_name_eq(m->headers[i].name, name);
    return n;
}

static void choose_protocol(const struct http_message *request, const char *supported,
                            struct ws_server_handshake *hs)
{
    char item[WS_MAX_PROTOCOL + 1];
    while (supported && next_item(&supported, item, sizeof item)) {
        if (header_lists(request, "Sec-WebSocket-Protocol", item)) {
            memcpy(hs->protocol, item, sizeof item);
            return;
        }
    }
}

/* §4.2.1, point by point; returns the status of the answer. */
static int check_request(const struct http_message *request, const char *supported,
                         struct ws_server_handshake *hs)
{
    const char *key = http_header(request, "Sec-WebSocket-Key");
    const char *version = http_header(request, "Sec-WebSocket-Version");

    if (strcmp(request->method, "GET") != 0)
        return refuse(hs, 405, "the opening handshake must be a GET request");
    if (request->minor_version < 1)
        return refuse(hs, 400, "the opening handshake needs HTTP/1.1");
    if (!http_header(request, "Host"))
        return refuse(hs, 400, "no Host header");
    if (!http_has_token(request, "Upgrade", "websocket"))
        return refuse(hs, 400, "no Upgrade: websocket header");
    if (!http_has_token(request, "Connection", "Upgrade"))
        return refuse(hs, 400, "no Connection: Upgrade header");
    if (count_headers(request, "Sec-WebSocket-Key") != 1 || !key_is_valid(key))
        return refuse(hs, 400, "Sec-WebSocket-Key missing or not 16 bytes in Base64");
    /* §4.4: a version the server does not speak gets 426 and the list of
     * versions it does speak. */
    if (count_headers(request, "Sec-WebSocket-Version") != 1 || strcmp(version, WS_VERSION) != 0)
        return refuse(hs, 426, "unsupported Sec-WebSocket-Version (only 13 is)");
    if (request->framing != HTTP_NO_BODY)
        return refuse(hs, 400, "an opening handshake has no body");

    hs->status = 101;
    ws_accept_for_key(key, hs->accept);
    choose_protocol(request, supported, hs);
    return 101;
}

void ws_check_request(const struct http_message *request, const char *supported,
                      struct ws_server_handshake *hs)
{
    memset(hs, 0, sizeof *hs);
    check_request(request, supported, hs);
}

/* Chapter 05's table of reason phrases has no 426 (RFC 9110 §15.5.22). */
static const char *reason_phrase(int status)
{
    return status == 426 ? "Upgrade Required" : http_reason(status);
}

size_t ws_write_response(char *out, size_t outlen, const struct ws_server_handshake *hs)
{
    int n;
    if (hs->status == 101) {
        n = snprintf(out, outlen,
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n"
                     "%s%s%s"
                     "\r\n",
                     hs->accept, hs->protocol[0] ? "Sec-WebSocket-Protocol: " : "",
                     hs->protocol, hs->protocol[0] ? "\r\n" : "");
    } else {
        const char *why = hs->error ? hs->error : "bad request";
        n = snprintf(out, outlen,
                     "HTTP/1.1 %d %s\r\n"
                     "%s"
                     "Content-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n"
                     "\r\n"
                     "%s\n",
                     hs->status, reason_phrase(hs->status),
                     hs->status == 426 ? "Sec-WebSocket-Version: " WS_VERSION "\r\n" : "",
                     strlen(why) + 1, why);
    }
    return n > 0 && (size_t)n < outlen ? (size_t)n : 0;
}

/* ---- the client's side --------------------------------------------------------------- */

enum http_url_status ws_parse_url(const char *text, struct http_url *url)
{
    /* Chapter 05's URL parser knows the ws scheme (§3): same syntax as http,
     * same default port. */
    enum http_url_status status = http_parse_url(text, url);
    if (status == HTTP_URL_OK && url->scheme != HTTP_SCHEME_WS)
        return HTTP_URL_UNSUPPORTED;
    return status;
}

size_t ws_write_request(char *out, size_t outlen, const struct http_url *url,
                        const char *key, const char *protocols)
{
    char host[300];
    http_host_header(url, host, sizeof host);
    int n = snprintf(out, outlen,
                     "GET %s HTTP/1.1\r\n"
                     "Host: %s\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: " WS_VERSION "\r\n"
                     "%s%s%s"
                     "\r\n",
                     url->target, host, key,
                     protocols && *protocols ? "Sec-WebSocket-Protocol: " : "",
                     protocols && *protocols ? protocols : "",
                     protocols && *protocols ? "\r\n" : "");
    return n > 0 && (size_t)n < outlen ? (size_t)n : 0;
}

/* True if token is one of the comma-separated items of list. */
static bool list_contains(const char *list, const char *token)
{
    char item[WS_MAX_PROTOCOL + 2];
    while (list && next_item(&list, item, sizeof item))
        if (strcmp(item, token) == 0)
            return true;
    return false;
}

const char *ws_check_response(const struct http_message *response, const char *key,
                              const char *offered, char protocol[WS_MAX_PROTOCOL + 1])
{
    protocol[0] = '\0';
    if (response->status != 101)
        return "the server did not switch protocols";
    if (!http_has_token(response, "Upgrade", "websocket"))
        return "no Upgrade: websocket in the answer";
    if (!http_has_token(response, "Connection", "Upgrade"))
        return "no Connection: Upgrade in the answer";
    const char *accept = http_header(response, "Sec-WebSocket-Accept");
    char expected[WS_ACCEPT_LEN + 1];
    ws_accept_for_key(key, expected);
    if (count_headers(response, "Sec-WebSocket-Accept") != 1 || strcmp(accept, expected) != 0)
        return "wrong Sec-WebSocket-Accept";
    if (http_header(response, "Sec-WebSocket-Extensions"))
        return "an extension that was not offered";
    const char *chosen = http_header(response, "Sec-WebSocket-Protocol");
    if (chosen) {
        if (count_headers(response, "Sec-WebSocket-Protocol") != 1 ||
            strlen(chosen) > WS_MAX_PROTOCOL || !list_contains(offered, chosen))
            return "a subprotocol that was not offered";
        strcpy(protocol, chosen);
    }
    return NULL;
}
