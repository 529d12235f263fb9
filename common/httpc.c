/*
 * httpc.c: a bounded HTTP/1.1 GET over CivetWeb's client API (see httpc.h).
 *
 * One call = one connection: parse the URL here (CivetWeb takes a host and
 * a port, not a URL), mg_connect_client, write the request with
 * "Connection: close", mg_get_response with what is left of the timeout,
 * then mg_read the body in chunks into one buffer that grows up to the
 * caller's max. The deadline is one monotonic instant taken at the start;
 * it is checked before every step that may wait.
 *
 * The body ends where the server says: at Content-Length (a shorter body
 * is an error: the connection closed early), at the last chunk of a
 * chunked body (CivetWeb decodes it), or when the connection closes when
 * neither was given. Content-Length is parsed here again, strictly,
 * because CivetWeb's strtoll accepts "12abc".
 *
 * This file must not keep any state between calls (it is called from
 * several threads at once), print anything, or follow redirects: a 3xx is
 * returned to the caller like any other status.
 */
#include "httpc.h"

#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HTTPC_HOST_MAX    253   /* a DNS name */
#define HTTPC_ETAG_MAX    127   /* fits httpc_response.etag */
#define HTTPC_READ_CHUNK  16384 /* one mg_read */
#define HTTPC_FIRST_ALLOC 65536 /* the body buffer grows from there */

typedef struct {
    char host[HTTPC_HOST_MAX + 1];
    char host_header[HTTPC_HOST_MAX + 16]; /* host, or host:port */
    int port;
    char target[HTTPC_URL_MAX + 2]; /* path and query, from "/" */
} httpc_url;

static int httpc_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Splits an http URL into host, port and request target; API_ERR_ARG for anything else. */
static api_err httpc_parse_url(httpc_url *u, const char *url)
{
    size_t n = strnlen(url, HTTPC_URL_MAX + 1);
    if (n == 0 || n > HTTPC_URL_MAX) return API_ERR_ARG;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7f) return API_ERR_ARG; /* space, control, non-ASCII */
    }
    if (strncasecmp(url, "https://", 8) == 0) return API_ERR_ARG; /* not supported here: TLS is a proxy's */
    if (strncasecmp(url, "http://", 7) != 0) return API_ERR_ARG;

    const char *auth = url + 7;
    size_t auth_len = strcspn(auth, "/?#");
    if (memchr(auth, '@', auth_len)) return API_ERR_ARG; /* userinfo */
    const char *colon = memchr(auth, ':', auth_len);
    size_t host_len = colon ? (size_t)(colon - auth) : auth_len;
    if (host_len == 0 || host_len > HTTPC_HOST_MAX) return API_ERR_ARG;
    for (size_t i = 0; i < host_len; i++)
        if (!httpc_host_char(auth[i])) return API_ERR_ARG; /* also refuses "[::1]" */
    memcpy(u->host, auth, host_len);
    u->host[host_len] = '\0';

    u->port = 80;
    if (colon) {
        const char *p = colon + 1;
        size_t digits = auth_len - host_len - 1;
        if (digits == 0 || digits > 5) return API_ERR_ARG;
        long port = 0;
        for (size_t i = 0; i < digits; i++) {
            if (p[i] < '0' || p[i] > '9') return API_ERR_ARG;
            port = port * 10 + (p[i] - '0');
        }
        if (port < 1 || port > 65535) return API_ERR_ARG;
        u->port = (int)port;
    }
    if (u->port == 80)
        snprintf(u->host_header, sizeof u->host_header, "%s", u->host);
    else
        snprintf(u->host_header, sizeof u->host_header, "%s:%d", u->host, u->port);

    const char *rest = auth + auth_len;
    size_t rest_len = strcspn(rest, "#"); /* the fragment stays here */
    size_t off = 0;
    if (rest[0] != '/') u->target[off++] = '/';
    memcpy(u->target + off, rest, rest_len);
    u->target[off + rest_len] = '\0';
    return API_OK;
}

static int64_t httpc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *httpc_header(const struct mg_response_info *ri, const char *name)
{
    int n = ri->num_headers;
    if (n < 0) n = 0;
    if (n > MG_MAX_HEADERS) n = MG_MAX_HEADERS;
    for (int i = 0; i < n; i++)
        if (ri->http_headers[i].name && ri->http_headers[i].value &&
            strcasecmp(ri->http_headers[i].name, name) == 0)
            return ri->http_headers[i].value;
    return NULL;
}

/* 1*DIGIT with optional blanks around; saturates at UINT64_MAX. 0 or -1. */
static int httpc_parse_length(const char *s, uint64_t *out)
{
    while (*s == ' ' || *s == '\t') s++;
    if (*s < '0' || *s > '9') return -1;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        v = (v > (UINT64_MAX - d) / 10) ? UINT64_MAX : v * 10 + d;
    }
    while (*s == ' ' || *s == '\t') s++;
    if (*s) return -1;
    *out = v;
    return 0;
}

static int httpc_etag_ok(const char *etag)
{
    size_t n = strnlen(etag, HTTPC_ETAG_MAX + 1);
    if (n == 0 || n > HTTPC_ETAG_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)etag[i] < 0x20 || (unsigned char)etag[i] >= 0x7f) return 0;
    return 1;
}

/* Reads the body of the response on conn into resp (see the file comment for where it ends). */
static api_err httpc_read_body(httpc_response *resp, struct mg_connection *conn,
                               const struct mg_response_info *ri, size_t max, int64_t deadline)
{
    int st = resp->status;
    if ((st >= 100 && st < 200) || st == 204 || st == 304) {
        resp->body = calloc(1, 1);
        return resp->body ? API_OK : API_ERR_NOMEM;
    }

    const char *te = httpc_header(ri, "Transfer-Encoding");
    int chunked = te && strcasecmp(te, "identity") != 0;
    const char *cl = chunked ? NULL : httpc_header(ri, "Content-Length");
    uint64_t want = 0;
    if (cl) {
        if (httpc_parse_length(cl, &want) != 0) return API_ERR_IO;
        if (want > max) return API_ERR_TOO_LARGE;
    }

    /* Without a length, room for max + 1 bytes, to see a body over max. */
    size_t limit = cl ? (size_t)want : max + 1;
    size_t cap = limit < HTTPC_FIRST_ALLOC ? limit : HTTPC_FIRST_ALLOC;
    uint8_t *buf = malloc(cap + 1);
    if (!buf) return API_ERR_NOMEM;
    size_t len = 0;
    api_err err = API_OK;

    for (;;) {
        if (len == limit) {
            if (!cl) err = API_ERR_TOO_LARGE;
            break;
        }
        if (httpc_now_ms() >= deadline) {
            err = API_ERR_IO;
            break;
        }
        if (len == cap) {
            size_t ncap = (cap > limit / 2) ? limit : cap * 2;
            uint8_t *nbuf = realloc(buf, ncap + 1);
            if (!nbuf) {
                err = API_ERR_NOMEM;
                break;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t ask = cap - len;
        if (ask > HTTPC_READ_CHUNK) ask = HTTPC_READ_CHUNK;
        int got = mg_read(conn, buf + len, ask);
        if (got > 0) {
            len += (size_t)got; /* mg_read never returns more than asked */
            continue;
        }
        /*
         * 0: the end (chunked), or nothing came (CivetWeb's own timeout);
         * < 0: closed or failed. With a length, either is a short body.
         */
        if (cl || (chunked && got < 0)) err = API_ERR_IO;
        break;
    }
    if (err != API_OK) {
        free(buf);
        return err;
    }
    buf[len] = '\0';
    resp->body = buf;
    resp->len = len;
    return API_OK;
}

api_err httpc_get_if_none_match(httpc_response *resp, const char *url, const char *etag, size_t max,
                                int timeout_ms)
{
    if (!resp) return API_ERR_ARG;
    memset(resp, 0, sizeof *resp);
    if (!url || timeout_ms <= 0) return API_ERR_ARG;
    if (etag && !httpc_etag_ok(etag)) return API_ERR_ARG;
    if (max > SIZE_MAX - 2) max = SIZE_MAX - 2;

    httpc_url u;
    api_err err = httpc_parse_url(&u, url);
    if (err != API_OK) return err;

    int64_t deadline = httpc_now_ms() + timeout_ms;
    char ebuf[256];
    struct mg_connection *conn = mg_connect_client(u.host, u.port, 0, ebuf, sizeof ebuf);
    if (!conn) return API_ERR_IO;

    int sent = mg_printf(conn,
                         "GET %s HTTP/1.1\r\n"
                         "Host: %s\r\n"
                         "Connection: close\r\n"
                         "Accept: application/cose, application/json\r\n"
                         "%s%s%s"
                         "\r\n",
                         u.target, u.host_header, etag ? "If-None-Match: " : "", etag ? etag : "",
                         etag ? "\r\n" : "");
    int64_t left = deadline - httpc_now_ms();
    if (sent <= 0 || left <= 0) {
        err = API_ERR_IO;
        goto done;
    }
    if (mg_get_response(conn, ebuf, sizeof ebuf, (int)left) < 0) {
        err = API_ERR_IO;
        goto done;
    }
    const struct mg_response_info *ri = mg_get_response_info(conn);
    if (!ri || ri->status_code < 100 || ri->status_code > 599) {
        err = API_ERR_IO;
        goto done;
    }
    resp->status = ri->status_code;
    const char *tag = httpc_header(ri, "ETag");
    if (tag && strlen(tag) < sizeof resp->etag) memcpy(resp->etag, tag, strlen(tag) + 1);

    err = httpc_read_body(resp, conn, ri, max, deadline);

done:
    mg_close_connection(conn);
    return err;
}

api_err httpc_get(httpc_response *resp, const char *url, size_t max, int timeout_ms)
{
    return httpc_get_if_none_match(resp, url, NULL, max, timeout_ms);
}

void httpc_response_free(httpc_response *resp)
{
    if (!resp) return;
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

int httpc_join(char *out, size_t cap, const char *base, const char *path)
{
    if (!out || cap == 0) return -1;
    out[0] = '\0';
    if (!base || !path) return -1;

    size_t blen = strlen(base);
    const char *scheme_end = strstr(base, "://");
    size_t keep = scheme_end ? (size_t)(scheme_end - base) + 3 : 0;
    while (blen > keep && base[blen - 1] == '/') blen--;
    while (*path == '/') path++;
    size_t plen = strlen(path);

    if (blen > cap || cap - blen < plen + 2) return -1; /* base "/" path NUL */
    memcpy(out, base, blen);
    out[blen] = '/';
    memcpy(out + blen + 1, path, plen);
    out[blen + 1 + plen] = '\0';
    return 0;
}
