/* http.c - HTTP/1.1 messages (see http.h). */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- characters ----------------------------------------------------------------
 * RFC 9110 section 5.6.2: a token is one or more of these; methods and
 * header names are tokens. */
static bool is_tchar(unsigned char c)
{
    return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_token(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

/* A field value may hold visible characters, spaces, tabs and bytes >= 0x80
 * (RFC 9110 section 5.5); any other control character is an error. */
static bool is_field_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

bool http_name_eq(const char *a, const char *b)
{
    while (*a && tolower((unsigned char)*a) == tolower((unsigned char)*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

/* ---- URLs ------------------------------------------------------------------------ */

static bool copy_text(char *out, size_t outlen, const char *from, size_t len)
{
    if (len >= outlen)
        return false;
    memcpy(out, from, len);
    out[len] = '\0';
    return true;
}

/* host = IP-literal / IPv4address / reg-name.  Only the characters DNS
 * names use are accepted in a name; an IPv6 literal must parse. */
static bool parse_host(const char *s, size_t len, struct http_url *url)
{
    if (len > 0 && s[0] == '[') {
        unsigned char addr[16];
        if (len < 3 || s[len - 1] != ']' || !copy_text(url->host, sizeof url->host, s + 1, len - 2))
            return false;
        url->ipv6 = true;
        return inet_pton(AF_INET6, url->host, addr) == 1;
    }
    if (len == 0 || !copy_text(url->host, sizeof url->host, s, len))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && strchr("-._", s[i]) == NULL)
            return false;
    return true;
}

static bool parse_port(const char *s, size_t len, struct http_url *url)
{
    if (len == 0) { /* "http://host:/" means the default port */
        strcpy(url->port, "80");
        return true;
    }
    unsigned long port = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]) || i >= 5)
            return false;
        port = port * 10 + (unsigned long)(s[i] - '0');
    }
    if (port == 0 || port > 65535)
        return false;
    snprintf(url->port, sizeof url->port, "%lu", port);
    return true;
}

/* RFC 3986 section 5.2.4: removes the "." and ".." segments of a path.
 * out has room for at least strlen(in) + 1 bytes. */
static void remove_dot_segments(const char *in, char *out)
{
    size_t o = 0;
    while (*in) {
        if (strncmp(in, "../", 3) == 0) {
            in += 3;
        } else if (strncmp(in, "./", 2) == 0 || strncmp(in, "/./", 3) == 0) {
            in += 2;
        } else if (strcmp(in, "/.") == 0) {
            in = "/";
        } else if (strncmp(in, "/../", 4) == 0 || strcmp(in, "/..") == 0) {
            in = in[3] == '\0' ? "/" : in + 3;
            while (o > 0 && out[--o] != '/') /* drop the last segment written */
                ;
        } else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0) {
            break;
        } else { /* copy one segment: its "/" and everything up to the next */
            do
                out[o++] = *in++;
            while (*in && *in != '/');
        }
    }
    out[o] = '\0';
}

enum http_url_status http_parse_url(const char *text, struct http_url *url)
{
    memset(url, 0, sizeof *url);
    for (const char *c = text; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return HTTP_URL_MALFORMED; /* spaces and controls must be %-encoded */

    const char *rest = text;
    const char *scheme_end = strstr(text, "://");
    if (scheme_end != NULL) {
        size_t len = (size_t)(scheme_end - text);
        if (len == 4 && strncasecmp(text, "http", 4) == 0) {
            rest = scheme_end + 3;
        } else if (len == 2 && strncasecmp(text, "ws", 2) == 0) {
            url->scheme = HTTP_SCHEME_WS;
            rest = scheme_end + 3;
        } else if (len > 0 && strspn(text, "abcdefghijklmnopqrstuvwxyz"
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") == len)
            return HTTP_URL_UNSUPPORTED;
        else
            return HTTP_URL_MALFORMED;
    }

    /* authority = host [ ":" port ], up to the first "/", "?" or "#". */
    size_t auth_len = strcspn(rest, "/?#");
    const char *auth = rest;
    if (memchr(auth, '@', auth_len) != NULL)
        return HTTP_URL_MALFORMED; /* user:password@ is not supported */
    const char *colon = NULL;
    if (auth_len > 0 && auth[0] == '[') {
        const char *close = memchr(auth, ']', auth_len);
        if (close == NULL)
            return HTTP_URL_MALFORMED;
        if ((size_t)(close + 1 - auth) < auth_len) {
            if (close[1] != ':')
                return HTTP_URL_MALFORMED;
            colon = close + 1;
        }
    } else {
        colon = memchr(auth, ':', auth_len);
    }
    size_t host_len = colon != NULL ? (size_t)(colon - auth) : auth_len;
    if (!parse_host(auth, host_len, url))
        return HTTP_URL_MALFORMED;
    if (colon != NULL) {
        if (!parse_port(colon + 1, auth_len - host_len - 1, url))
            return HTTP_URL_MALFORMED;
    } else {
        strcpy(url->port, "80");
    }

    /* path-abempty [ "?" query ]; the fragment stays with the client. */
    const char *path = auth + auth_len;
    size_t path_len = strcspn(path, "#");
    if (path_len == 0 || path[0] == '?') {
        url->target[0] = '/';
        if (!copy_text(url->target + 1, sizeof url->target - 1, path, path_len))
            return HTTP_URL_MALFORMED;
    } else {
        /* "/a/../b" is sent as "/b", as a browser and curl do. */
        char raw[sizeof url->target];
        size_t query = strcspn(path, "?#");
        if (!copy_text(raw, sizeof raw, path, query))
            return HTTP_URL_MALFORMED;
        remove_dot_segments(raw, url->target);
        size_t clean = strlen(url->target);
        if (!copy_text(url->target + clean, sizeof url->target - clean, path + query,
                       path_len - query))
            return HTTP_URL_MALFORMED;
    }
    return HTTP_URL_OK;
}

const char *http_scheme_name(enum http_scheme scheme)
{
    return scheme == HTTP_SCHEME_WS ? "ws" : "http";
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool http_percent_decode(const char *text, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == '%') {
            int hi = len - i >= 3 ? hex_digit(text[i + 1]) : -1;
            int lo = hi >= 0 ? hex_digit(text[i + 2]) : -1;
            if (lo < 0 || (hi == 0 && lo == 0))
                return false;
            ch = (char)(hi * 16 + lo);
            i += 2;
        } else if (ch == '\0') {
            return false;
        }
        if (o + 1 >= outlen)
            return false;
        out[o++] = ch;
    }
    if (outlen == 0)
        return false;
    out[o] = '\0';
    return true;
}

void http_host_header(const struct http_url *url, char *out, size_t outlen)
{
    const char *open = url->ipv6 ? "[" : "", *close = url->ipv6 ? "]" : "";
    if (strcmp(url->port, "80") == 0)
        snprintf(out, outlen, "%s%s%s", open, url->host, close);
    else
        snprintf(out, outlen, "%s%s%s:%s", open, url->host, close, url->port);
}

bool http_resolve_url(const struct http_url *base, const char *ref, char *out, size_t outlen)
{
    char host[300];
    http_host_header(base, host, sizeof host);
    int n;
    size_t scheme_len = strcspn(ref, ":/?#");
    if (ref[scheme_len] == ':' && scheme_len > 0) { /* an absolute URL */
        n = snprintf(out, outlen, "%s", ref);
    } else if (strncmp(ref, "//", 2) == 0) { /* a network-path reference */
        n = snprintf(out, outlen, "http:%s", ref);
    } else {
        char path[HTTP_MAX_LINE * 2];
        const char *query = strchr(base->target, '?');
        size_t base_path_len = query ? (size_t)(query - base->target) : strlen(base->target);
        if (ref[0] == '/') {
            n = snprintf(path, sizeof path, "%s", ref);
        } else if (ref[0] == '?') {
            n = snprintf(path, sizeof path, "%.*s%s", (int)base_path_len, base->target, ref);
        } else if (ref[0] == '\0' || ref[0] == '#') {
            n = snprintf(path, sizeof path, "%s", base->target);
        } else { /* merge with the base path, up to its last "/" */
            size_t dir = base_path_len;
            while (dir > 0 && base->target[dir - 1] != '/')
                dir--;
            n = snprintf(path, sizeof path, "%.*s%s", (int)dir, base->target, ref);
        }
        if (n < 0 || (size_t)n >= sizeof path)
            return false;
        /* only the path part loses its dot segments, not the query */
        size_t path_len = strcspn(path, "?#");
        char clean[HTTP_MAX_LINE * 2];
        char separator = path[path_len];
        path[path_len] = '\0';
        remove_dot_segments(path, clean);
        path[path_len] = separator;
        n = snprintf(out, outlen, "http://%s%s%s", host, clean, path + path_len);
    }
    return n >= 0 && (size_t)n < outlen;
}

/* ---- looking at headers ---------------------------------------------------------------- */

const char *http_header(const struct http_message *m, const char *name)
{
    for (size_t i = 0; i < m->header_count; i++)
        if (http_name_eq(m->headers[i].name, name))
            return m->headers[i].value;
    return NULL;
}

size_t http_header_count(const struct http_message *m, const char *name)
{
    size_t count = 0;
    for (size_t i = 0; i < m->header_count; i++)
        count += http_name_eq(m->headers[i].name, name);
    return count;
}

static bool list_has_token(const char *list, const char *token)
{
    size_t token_len = strlen(token);
    while (*list) {
        while (*list == ',' || is_ows(*list))
            list++;
        size_t len = strcspn(list, ",");
        size_t trimmed = len;
        while (trimmed > 0 && is_ows(list[trimmed - 1]))
            trimmed--;
        if (trimmed == token_len && strncasecmp(list, token, len) == 0)
            return true;
        list += len;
    }
    return false;
}

bool http_has_token(const struct http_message *m, const char *name, const char *token)
{
    for (size_t i = 0; i < m->header_count; i++)
        if (http_name_eq(m->headers[i].name, name) && list_has_token(m->headers[i].value, token))
            return true;
    return false;
}

/* ---- the chunked decoder ------------------------------------------------------------------
 *
 *     chunked-body = *chunk last-chunk trailer-section CRLF
 *     chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *     last-chunk   = 1*("0") [ chunk-ext ] CRLF
 *     chunk-ext    = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
 */

enum chunk_state { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE, CH_ERROR };

#define HTTP_MAX_TRAILER 16384

void http_chunked_init(struct http_chunked *d)
{
    memset(d, 0, sizeof *d);
    d->state = CH_SIZE;
}

static enum http_event chunk_error(struct http_chunked *d, enum http_error kind, const char *why)
{
    d->state = CH_ERROR;
    d->error_kind = kind;
    d->error = why;
    return HTTP_ERROR;
}

/* Collects one line (up to LF) into d->line.  Returns true once it is
 * complete, with the CR LF (or bare LF) removed. */
static bool collect_line(struct http_chunked *d, const char *data, size_t len, size_t *used,
                         bool *too_long)
{
    const char *lf = memchr(data, '\n', len);
    size_t take = lf != NULL ? (size_t)(lf - data) + 1 : len;
    *used = take;
    if (d->line_len + take > sizeof d->line) {
        *too_long = true;
        return false;
    }
    memcpy(d->line + d->line_len, data, take);
    d->line_len += take;
    if (lf == NULL)
        return false;
    d->line_len--; /* the LF */
    if (d->line_len > 0 && d->line[d->line_len - 1] == '\r')
        d->line_len--;
    return true;
}

/* A character allowed inside a quoted string, as itself or after a
 * backslash (RFC 9110 section 5.6.4: qdtext and quoted-pair): tab, space,
 * visible ASCII, and bytes above 0x7F; never CR, LF, NUL or DEL. */
static bool is_quoted_text(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Skips one chunk extension value: a token or a quoted string. */
static const char *skip_ext_value(const char *s, const char *end)
{
    if (s < end && *s == '"') {
        for (s++; s < end && *s != '"'; s++) {
            if (*s == '\\' && ++s == end)
                return NULL;
            if (!is_quoted_text((unsigned char)*s))
                return NULL; /* a bare CR here could end the line for another parser */
        }
        return s < end ? s + 1 : NULL;
    }
    const char *start = s;
    while (s < end && is_tchar((unsigned char)*s))
        s++;
    return s > start ? s : NULL;
}

static bool valid_extensions(const char *s, const char *end)
{
    for (;;) {
        while (s < end && is_ows(*s))
            s++;
        if (s == end)
            return true;
        if (*s++ != ';')
            return false;
        while (s < end && is_ows(*s))
            s++;
        const char *name = s;
        while (s < end && is_tchar((unsigned char)*s))
            s++;
        if (s == name)
            return false;
        while (s < end && is_ows(*s))
            s++;
        if (s < end && *s == '=') {
            s++;
            while (s < end && is_ows(*s))
                s++;
            if ((s = skip_ext_value(s, end)) == NULL)
                return false;
        }
    }
}

/* "1a;name=value" -> 26, checking every character and the extensions. */
static enum http_event parse_size_line(struct http_chunked *d)
{
    const char *s = d->line, *end = d->line + d->line_len;
    uint64_t size = 0;
    const char *digits = s;
    while (s < end && isxdigit((unsigned char)*s)) {
        if (size > (UINT64_MAX >> 4))
            return chunk_error(d, HTTP_TOO_LARGE, "chunk size too large");
        size = size * 16 + (uint64_t)(isdigit((unsigned char)*s) ? *s - '0'
                                                                  : tolower((unsigned char)*s) - 'a' + 10);
        s++;
    }
    if (s == digits)
        return chunk_error(d, HTTP_MALFORMED, "chunk size is not hexadecimal");
    if (!valid_extensions(s, end))
        return chunk_error(d, HTTP_MALFORMED, "malformed chunk extension");
    d->remaining = size;
    d->state = size > 0 ? CH_DATA : CH_TRAILER;
    return HTTP_MORE;
}

/* A trailer line is a header field line, or the empty line that ends them. */
static enum http_event parse_trailer_line(struct http_chunked *d)
{
    if (d->line_len == 0) {
        d->state = CH_DONE;
        return HTTP_DONE;
    }
    d->trailer_bytes += d->line_len;
    if (d->trailer_bytes > HTTP_MAX_TRAILER)
        return chunk_error(d, HTTP_TOO_LARGE, "trailer section too large");
    const char *colon = memchr(d->line, ':', d->line_len);
    if (colon == NULL || !is_token(d->line, (size_t)(colon - d->line)) ||
        !is_field_text(colon + 1, d->line_len - (size_t)(colon + 1 - d->line)))
        return chunk_error(d, HTTP_MALFORMED, "malformed trailer field");
    return HTTP_TRAILER;
}

enum http_event http_chunked_feed(struct http_chunked *d, const char *data, size_t len,
                                  size_t *used, struct http_piece *piece)
{
    *used = 0;
    while (*used < len || d->state == CH_DONE || d->state == CH_ERROR) {
        const char *at = data + *used;
        size_t left = len - *used, took = 0;
        bool too_long = false;
        switch (d->state) {
        case CH_DONE:
            return HTTP_DONE;
        case CH_ERROR:
            return HTTP_ERROR;
        case CH_DATA:
            took = left < d->remaining ? left : (size_t)d->remaining;
            d->remaining -= took;
            *used += took;
            if (d->remaining == 0)
                d->state = CH_DATA_END;
            piece->data = at;
            piece->len = took;
            return HTTP_BODY;
        case CH_SIZE:
        case CH_DATA_END:
        case CH_TRAILER:
            if (!collect_line(d, at, left, &took, &too_long)) {
                *used += took;
                if (too_long)
                    return chunk_error(d, HTTP_TOO_LARGE, "chunk line too long");
                break;
            }
            *used += took;
            enum http_event e = HTTP_MORE;
            if (d->state == CH_SIZE)
                e = parse_size_line(d);
            else if (d->state == CH_TRAILER)
                e = parse_trailer_line(d);
            else if (d->line_len != 0) /* the CRLF after a chunk's data */
                e = chunk_error(d, HTTP_MALFORMED, "chunk data longer than its size");
            else
                d->state = CH_SIZE;
            piece->data = d->line; /* a trailer field line, without its CRLF */
            piece->len = d->line_len;
            d->line_len = 0;
            if (e != HTTP_MORE)
                return e;
            break;
        }
    }
    return HTTP_MORE;
}

/* ---- the message parser ------------------------------------------------------------------ */

enum parser_state { P_HEAD, P_HEAD_DONE, P_LENGTH, P_CHUNKED, P_UNTIL_CLOSE, P_DONE, P_ERROR };

void http_parser_init(struct http_parser *p, enum http_kind kind)
{
    p->kind = kind;
    p->no_body = false;
    p->head = p->fields = NULL;
    p->head_cap = p->fields_cap = 0;
    http_parser_reset(p);
}

void http_parser_free(struct http_parser *p)
{
    free(p->head);
    free(p->fields);
    p->head = p->fields = NULL;
    p->head_cap = p->fields_cap = 0;
    http_parser_reset(p);
}

struct http_parser *http_parser_new(enum http_kind kind)
{
    struct http_parser *p = malloc(sizeof *p);
    if (p != NULL)
        http_parser_init(p, kind);
    return p;
}

void http_parser_delete(struct http_parser *p)
{
    if (p == NULL)
        return;
    http_parser_free(p);
    free(p);
}

/* Makes room for need bytes in *buf, doubling from 1 KiB: most heads are a
 * few hundred bytes, and an idle connection should not hold 32 KiB. */
static bool reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t grown = *cap > 0 ? *cap : 1024;
    while (grown < need)
        grown *= 2;
    char *p = realloc(*buf, grown);
    if (p == NULL)
        return false;
    *buf = p;
    *cap = grown;
    return true;
}

void http_parser_no_body(struct http_parser *p)
{
    p->no_body = true;
}

void http_parser_reset(struct http_parser *p)
{
    p->state = P_HEAD;
    memset(&p->msg, 0, sizeof p->msg);
    p->head_len = p->line_start = 0;
    p->remaining = 0;
    p->error_kind = HTTP_OK;
    p->error = NULL;
}

bool http_head_done(const struct http_parser *p)
{
    return p->state != P_HEAD && !(p->state == P_ERROR && p->msg.head == NULL);
}

bool http_pending(const struct http_parser *p)
{
    return p->state == P_HEAD_DONE || p->state == P_DONE || p->state == P_ERROR ||
           (p->state == P_LENGTH && p->remaining == 0);
}

static enum http_event fail(struct http_parser *p, enum http_error kind, const char *why)
{
    p->state = P_ERROR;
    p->error_kind = kind;
    p->error = why;
    return HTTP_ERROR;
}

/* "HTTP/1.1" -> minor version 1; only HTTP/1.x is spoken here. */
static bool parse_version(const char *s, size_t len, int *minor)
{
    if (len != 8 || strncmp(s, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)s[7]))
        return false;
    *minor = s[7] - '0';
    return true;
}

/* request-line = method SP request-target SP HTTP-version */
static bool parse_request_line(struct http_parser *p, char *line, size_t len)
{
    char *sp1 = memchr(line, ' ', len);
    if (sp1 == NULL)
        return false;
    char *target = sp1 + 1;
    char *sp2 = memchr(target, ' ', len - (size_t)(target - line));
    if (sp2 == NULL || sp2 == target)
        return false;
    char *version = sp2 + 1;
    if (!is_token(line, (size_t)(sp1 - line)) ||
        !parse_version(version, len - (size_t)(version - line), &p->msg.minor_version))
        return false;
    for (char *c = target; c < sp2; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return false;
    *sp1 = *sp2 = '\0';
    p->msg.method = line;
    p->msg.target = target;
    return true;
}

/* status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] */
static bool parse_status_line(struct http_parser *p, char *line, size_t len)
{
    if (len < 12 || line[8] != ' ' || !parse_version(line, 8, &p->msg.minor_version))
        return false;
    for (int i = 9; i < 12; i++)
        if (!isdigit((unsigned char)line[i]))
            return false;
    p->msg.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (p->msg.status < 100 || p->msg.status > 599)
        return false;
    if (len > 12 && line[12] != ' ')
        return false;
    if (!is_field_text(line + 12, len - 12))
        return false;
    line[8] = '\0';
    p->msg.reason = len > 12 ? line + 13 : "";
    return true;
}

/* field-line = field-name ":" OWS field-value OWS.  No space is allowed
 * before the colon (RFC 9112 section 5.1), nor a line folded onto the next
 * (obs-fold, section 5.2): both are refused. */
static bool parse_field_line(struct http_parser *p, char *line, size_t len)
{
    char *colon = memchr(line, ':', len);
    if (colon == NULL || !is_token(line, (size_t)(colon - line)))
        return false;
    char *value = colon + 1, *end = line + len;
    if (!is_field_text(value, (size_t)(end - value)))
        return false;
    while (value < end && is_ows(*value))
        value++;
    while (end > value && is_ows(end[-1]))
        end--;
    *colon = '\0';
    *end = '\0';
    struct http_header *h = &p->msg.headers[p->msg.header_count++];
    h->name = line;
    h->value = value;
    return true;
}

/* Content-Length = 1*DIGIT.  A list of equal values ("5, 5") is what a proxy
 * that merged duplicate fields makes of it, and is accepted (RFC 9110
 * section 8.6); different values are an error. */
static bool parse_content_length(const struct http_message *m, uint64_t *length, bool *present)
{
    *present = false;
    for (size_t i = 0; i < m->header_count; i++) {
        if (!http_name_eq(m->headers[i].name, "Content-Length"))
            continue;
        const char *s = m->headers[i].value;
        do {
            while (is_ows(*s))
                s++;
            if (!isdigit((unsigned char)*s))
                return false;
            uint64_t value = 0;
            while (isdigit((unsigned char)*s)) {
                if (value > (UINT64_MAX - 9) / 10)
                    return false;
                value = value * 10 + (uint64_t)(*s++ - '0');
            }
            while (is_ows(*s))
                s++;
            if (*present && value != *length)
                return false;
            *length = value;
            *present = true;
        } while (*s++ == ',');
        if (s[-1] != '\0')
            return false;
    }
    return true;
}

/* Is "chunked" the last coding of the Transfer-Encoding list? */
static bool chunked_is_final(const struct http_message *m)
{
    const char *last = NULL;
    for (size_t i = 0; i < m->header_count; i++)
        if (http_name_eq(m->headers[i].name, "Transfer-Encoding"))
            last = m->headers[i].value;
    if (last == NULL)
        return false;
    const char *comma = strrchr(last, ',');
    const char *coding = comma ? comma + 1 : last;
    while (is_ows(*coding))
        coding++;
    return strcasecmp(coding, "chunked") == 0;
}

/* RFC 9112 section 6.3: where does the body end?  Decided once, from the
 * head, in the order the RFC gives. */
static enum http_event decide_framing(struct http_parser *p)
{
    struct http_message *m = &p->msg;
    uint64_t length = 0;
    bool has_length;
    bool has_te = http_header(m, "Transfer-Encoding") != NULL;
    bool length_ok = parse_content_length(m, &length, &has_length);

    if (p->kind == HTTP_RESPONSE &&
        (p->no_body || m->status < 200 || m->status == 204 || m->status == 304)) {
        m->framing = HTTP_NO_BODY; /* rule 1: whatever the headers say */
    } else if (has_te) {
        /* rule 3: Transfer-Encoding wins over Content-Length, but a request
         * with both may be an attempt at smuggling a second request. */
        if (p->kind == HTTP_REQUEST && has_length)
            return fail(p, HTTP_MALFORMED, "both Transfer-Encoding and Content-Length");
        if (chunked_is_final(m)) {
            m->framing = HTTP_CHUNKED;
            http_chunked_init(&p->chunked);
        } else if (p->kind == HTTP_REQUEST) {
            return fail(p, HTTP_MALFORMED, "request body length unknown");
        } else {
            m->framing = HTTP_UNTIL_CLOSE;
        }
        if (has_length)
            m->keep_alive = false; /* the sender was confused: do not reuse */
        /* RFC 9112 section 6.1: HTTP/1.0 has no Transfer-Encoding, so its
         * framing is suspect; the message is read, then the connection closed. */
        if (m->minor_version == 0)
            m->keep_alive = false;
    } else if (!length_ok) {
        return fail(p, HTTP_MALFORMED, "invalid Content-Length"); /* rule 5 */
    } else if (has_length) {
        m->framing = length > 0 ? HTTP_LENGTH : HTTP_NO_BODY; /* rule 6 */
        m->content_length = length;
        p->remaining = length;
    } else if (p->kind == HTTP_REQUEST) {
        m->framing = HTTP_NO_BODY; /* rule 7 */
    } else {
        m->framing = HTTP_UNTIL_CLOSE; /* rule 8 */
        m->keep_alive = false;
    }
    return HTTP_HEAD;
}

/* The head is complete in p->head: split it into lines and fields. */
static enum http_event parse_head(struct http_parser *p)
{
    struct http_message *m = &p->msg;
    if (!reserve(&p->fields, &p->fields_cap, p->head_len))
        return fail(p, HTTP_TOO_LARGE, "out of memory for the head");
    memcpy(p->fields, p->head, p->head_len);
    char *s = p->fields, *end = p->fields + p->head_len;
    bool first = true;
    while (s < end) {
        char *lf = memchr(s, '\n', (size_t)(end - s));
        size_t len = (size_t)(lf - s);
        if (len > 0 && s[len - 1] == '\r')
            len--;
        if (memchr(s, '\r', len) != NULL)
            return fail(p, HTTP_MALFORMED, "a bare CR in the head");
        s[len] = '\0';
        if (first) {
            bool ok = p->kind == HTTP_REQUEST ? parse_request_line(p, s, len)
                                              : parse_status_line(p, s, len);
            if (!ok)
                return fail(p, HTTP_MALFORMED, p->kind == HTTP_REQUEST ? "malformed request line"
                                                                      : "malformed status line");
            first = false;
        } else if (len > 0) {
            if (is_ows(s[0]))
                return fail(p, HTTP_MALFORMED, "a folded header line");
            if (m->header_count == HTTP_MAX_HEADERS)
                return fail(p, HTTP_TOO_LARGE, "too many header fields");
            if (!parse_field_line(p, s, len))
                return fail(p, HTTP_MALFORMED, "malformed header field");
        }
        s = lf + 1;
    }
    m->head = p->head;
    m->head_len = p->head_len;

    /* Persistence (RFC 9112 section 9.3): HTTP/1.1 keeps the connection
     * open unless told "close"; HTTP/1.0 only when told "keep-alive". */
    if (http_has_token(m, "Connection", "close"))
        m->keep_alive = false;
    else
        m->keep_alive = m->minor_version >= 1 || http_has_token(m, "Connection", "keep-alive");

    if (p->kind == HTTP_REQUEST && m->minor_version >= 1) {
        size_t hosts = 0;
        for (size_t i = 0; i < m->header_count; i++)
            hosts += http_name_eq(m->headers[i].name, "Host");
        if (hosts != 1) /* RFC 9112 section 3.2: exactly one */
            return fail(p, HTTP_MALFORMED, "an HTTP/1.1 request needs one Host header");
    }
    return decide_framing(p);
}

/* Takes bytes of the head, up to and including the empty line. */
static enum http_event feed_head(struct http_parser *p, const char *data, size_t len,
                                 size_t *used)
{
    size_t i = 0;
    while (i < len) {
        const char *lf = memchr(data + i, '\n', len - i);
        size_t take = lf != NULL ? (size_t)(lf - (data + i)) + 1 : len - i;
        if (p->head_len + take > HTTP_MAX_HEAD) {
            *used = i;
            return fail(p, HTTP_TOO_LARGE, "message head too large");
        }
        if (!reserve(&p->head, &p->head_cap, p->head_len + take)) {
            *used = i;
            return fail(p, HTTP_TOO_LARGE, "out of memory for the head");
        }
        memcpy(p->head + p->head_len, data + i, take);
        p->head_len += take;
        i += take;
        if (p->head_len - p->line_start > HTTP_MAX_LINE + 2) {
            *used = i;
            return fail(p, HTTP_TOO_LARGE, "line too long");
        }
        if (lf == NULL)
            break;
        size_t line_len = p->head_len - p->line_start;
        const char *line = p->head + p->line_start;
        bool empty = line_len == 1 || (line_len == 2 && line[0] == '\r');
        if (empty && p->line_start == 0 && p->kind == HTTP_RESPONSE) {
            /* The allowance below is for requests only: a response starts
             * with its status line, and a server that sends empty lines
             * instead (forever, perhaps) is not speaking HTTP. */
            *used = i;
            return fail(p, HTTP_MALFORMED, "an empty line where the status line should be");
        }
        if (empty && p->line_start == 0) {
            /* RFC 9112 section 2.2: empty lines before a request line are
             * ignored (a client that sent an extra CRLF after a body). */
            p->head_len = 0;
            continue;
        }
        p->line_start = p->head_len;
        if (empty) {
            *used = i;
            enum http_event e = parse_head(p);
            if (e == HTTP_HEAD)
                p->state = P_HEAD_DONE;
            return e;
        }
    }
    *used = i;
    return HTTP_MORE;
}

enum http_event http_feed(struct http_parser *p, const char *data, size_t len, size_t *used,
                          struct http_piece *piece)
{
    *used = 0;
    switch (p->state) {
    case P_HEAD:
        return feed_head(p, data, len, used);
    case P_HEAD_DONE:
        switch (p->msg.framing) {
        case HTTP_NO_BODY: p->state = P_DONE; return HTTP_DONE;
        case HTTP_LENGTH: p->state = P_LENGTH; break;
        case HTTP_CHUNKED: p->state = P_CHUNKED; break;
        case HTTP_UNTIL_CLOSE: p->state = P_UNTIL_CLOSE; break;
        }
        return http_feed(p, data, len, used, piece);
    case P_LENGTH:
        if (p->remaining == 0) {
            p->state = P_DONE;
            return HTTP_DONE;
        }
        if (len == 0)
            return HTTP_MORE;
        piece->data = data;
        piece->len = len < p->remaining ? len : (size_t)p->remaining;
        p->remaining -= piece->len;
        *used = piece->len;
        return HTTP_BODY;
    case P_CHUNKED: {
        enum http_event e = http_chunked_feed(&p->chunked, data, len, used, piece);
        if (e == HTTP_DONE)
            p->state = P_DONE;
        else if (e == HTTP_ERROR)
            fail(p, p->chunked.error_kind, p->chunked.error);
        return e;
    }
    case P_UNTIL_CLOSE:
        if (len == 0)
            return HTTP_MORE;
        piece->data = data;
        piece->len = len;
        *used = len;
        return HTTP_BODY;
    case P_DONE:
        return HTTP_DONE;
    default:
        return HTTP_ERROR;
    }
}

enum http_event http_finish(struct http_parser *p)
{
    switch (p->state) {
    case P_HEAD:
        if (p->head_len == 0)
            return HTTP_MORE;
        return fail(p, HTTP_TRUNCATED, "the connection closed in the middle of the head");
    case P_UNTIL_CLOSE:
    case P_DONE:
        p->state = P_DONE;
        return HTTP_DONE;
    case P_HEAD_DONE:
        if (p->msg.framing == HTTP_NO_BODY || p->msg.framing == HTTP_UNTIL_CLOSE) {
            p->state = P_DONE;
            return HTTP_DONE;
        }
        return fail(p, HTTP_TRUNCATED, "the connection closed before the body");
    case P_LENGTH:
        if (p->remaining == 0) {
            p->state = P_DONE;
            return HTTP_DONE;
        }
        return fail(p, HTTP_TRUNCATED, "the connection closed in the middle of the body");
    case P_CHUNKED:
        return fail(p, HTTP_TRUNCATED, "the connection closed in the middle of the body");
    default:
        return HTTP_ERROR;
    }
}

/* ---- writing a request ------------------------------------------------------------------- */

/* Does extra hold a header named name?  If so, *replacement is it, or NULL
 * when it only says "Name:" (remove the default). */
static bool overridden(const char *name, const char *const *extra, size_t count,
                       const char **replacement)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < count; i++) {
        if (strncasecmp(extra[i], name, len) == 0 && extra[i][len] == ':') {
            const char *v = extra[i] + len + 1;
            while (is_ows(*v))
                v++;
            *replacement = *v ? extra[i] : NULL;
            return true;
        }
    }
    return false;
}

size_t http_write_request(char *out, size_t outlen, const char *method,
                          const struct http_url *url, const char *const *extra,
                          size_t extra_count, long long body_len)
{
    char host[300], line[HTTP_MAX_LINE + 64];
    size_t used = 0;
    http_host_header(url, host, sizeof host);

    const char *defaults[3][2] = {
        {"Host", host}, {"User-Agent", "http-get/1.0"}, {"Accept", "*/*"}};
    int n = snprintf(out, outlen, "%s %s HTTP/1.1\r\n", method, url->target);
    if (n < 0 || (size_t)n >= outlen)
        return 0;
    used = (size_t)n;
    for (int i = 0; i < 3; i++) {
        const char *replacement;
        if (overridden(defaults[i][0], extra, extra_count, &replacement))
            continue; /* written below with the extra headers, or removed */
        snprintf(line, sizeof line, "%s: %s\r\n", defaults[i][0], defaults[i][1]);
        n = snprintf(out + used, outlen - used, "%s", line);
        if (n < 0 || (size_t)n >= outlen - used)
            return 0;
        used += (size_t)n;
    }
    if (body_len >= 0) {
        n = snprintf(out + used, outlen - used, "Content-Length: %lld\r\n", body_len);
        if (n < 0 || (size_t)n >= outlen - used)
            return 0;
        used += (size_t)n;
    }
    for (size_t i = 0; i < extra_count; i++) {
        const char *colon = strchr(extra[i], ':');
        const char *semi = strchr(extra[i], ';');
        if (colon == NULL && semi != NULL && semi[1] == '\0') {
            /* "Name;" sends the header with an empty value, as curl does */
            n = snprintf(out + used, outlen - used, "%.*s:\r\n", (int)(semi - extra[i]), extra[i]);
        } else if (colon == NULL) {
            continue;
        } else {
            const char *v = colon + 1;
            while (is_ows(*v))
                v++;
            if (*v == '\0')
                continue; /* "Name:" only removes */
            n = snprintf(out + used, outlen - used, "%s\r\n", extra[i]);
        }
        if (n < 0 || (size_t)n >= outlen - used)
            return 0;
        used += (size_t)n;
    }
    if (outlen - used < 3)
        return 0;
    memcpy(out + used, "\r\n", 3);
    return used + 2;
}

size_t http_write_response(char *out, size_t outlen, int status, const char *const *extra,
                           size_t extra_count, long long content_length)
{
    size_t used = 0;
    int n = snprintf(out, outlen, "HTTP/1.1 %03d %s\r\n", status, http_reason(status));
    if (status < 100 || status > 999 || n < 0 || (size_t)n >= outlen)
        return 0;
    used = (size_t)n;
    if (status >= 200) {
        /* RFC 9110 section 5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT" */
        char date[64];
        time_t now = time(NULL);
        struct tm tm;
        if (gmtime_r(&now, &tm) == NULL ||
            strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
            return 0;
        n = snprintf(out + used, outlen - used, "Date: %s\r\n", date);
        if (n < 0 || (size_t)n >= outlen - used)
            return 0;
        used += (size_t)n;
    }
    if (content_length >= 0) {
        n = snprintf(out + used, outlen - used, "Content-Length: %lld\r\n", content_length);
        if (n < 0 || (size_t)n >= outlen - used)
            return 0;
        used += (size_t)n;
    }
    for (size_t i = 0; i < extra_count; i++) {
        const char *colon = strchr(extra[i], ':');
        if (colon == NULL || !is_token(extra[i], (size_t)(colon - extra[i])) ||
            strpbrk(extra[i], "\r\n") != NULL)
            return 0;
        n = snprintf(out + used, outlen - used, "%s\r\n", extra[i]);
        if (n < 0 || (size_t)n >= outlen - used)
            return 0;
        used += (size_t)n;
    }
    if (outlen - used < 3)
        return 0;
    memcpy(out + used, "\r\n", 3);
    return used + 2;
}

const char *http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}
