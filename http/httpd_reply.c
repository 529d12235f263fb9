/*
 * httpd_reply.c: every answer of the server (see httpd.h).
 *
 * An answer leaves in one mg_write, status line, headers and body
 * together: written header by header, a kept-alive connection without
 * TCP_NODELAY stalls each answer about 40 ms (Nagle against the client's
 * delayed ACK). Every answer carries the security headers
 * (X-Content-Type-Options, Referrer-Policy, X-Frame-Options and a
 * Content-Security-Policy: "nothing, no framing" for everything but the
 * web pages, whose policy comes from the pages' build), the CORS headers
 * only for an origin the operator configured, and a Connection header that
 * the server keeps: when it says close, CivetWeb is told to close too.
 *
 * The connection stays open only when the client wants it, the request's
 * body was read to its end (an unread body would be read as the next
 * request) and the watcher did not cut it.
 *
 * Problems (RFC 9457) are built with cJSON, which escapes every string;
 * extra members never replace type, title, status, detail or instance.
 * Header values come from the routes, never from a request; a value with a
 * line break is dropped rather than sent.
 *
 * This file must not log anything, nor answer twice: callers answer once.
 */
#include "http/httpd_int.h"

#include "common/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define HTTPD_HEAD_MAX     2048       /* status line and headers of one answer */
#define HTTPD_SMALL_ANSWER 8192       /* an answer this small is assembled on the stack */
#define HTTPD_WRITE_CHUNK  (1u << 30) /* mg_write takes an int */

static const char *httpd_status_text(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 421:
        return "Misdirected Request";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
    }
}

void httpd_http_date(char out[32], time_t when)
{
    time_format_http(out, (int64_t)when);
}

int httpd_write_all(struct mg_connection *conn, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        size_t n = len > HTTPD_WRITE_CHUNK ? HTTPD_WRITE_CHUNK : len;
        int w = mg_write(conn, p, n);
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int httpd_keep_alive(httpd_req *r)
{
    if (r->client_close || !r->body_done || atomic_load(&r->h->draining)) return 0;
    if (r->hc && connguard_was_cut(r->hc->gc) != CONNGUARD_CUT_NONE) return 0;
    return 1;
}

/* Appends "Name: value\r\n" to head; -1 when it does not fit. Values with a line break are dropped. */
static int httpd_add(char *head, size_t cap, size_t *n, const char *name, const char *value)
{
    if (!name || !value) return 0;
    if (strpbrk(value, "\r\n") || strpbrk(name, "\r\n: ")) return 0;
    int w = snprintf(head + *n, cap - *n, "%s: %s\r\n", name, value);
    if (w < 0 || (size_t)w >= cap - *n) return -1;
    *n += (size_t)w;
    return 0;
}

/*
 * The status line and headers of an answer into head; its length, or -1.
 * length < 0: no Content-Length.
 */
static int httpd_head(httpd_req *r, char *head, size_t cap, int status, const char *ctype,
                      const httpd_header *extra, long long length, int keep)
{
    char date[32];
    httpd_http_date(date, time(NULL));
    size_t n = 0;
    int w = snprintf(head, cap, "HTTP/%s %d %s\r\nDate: %s\r\nConnection: %s\r\n" HTTPD_SECURITY_HEADERS,
                     r->http10 ? "1.0" : "1.1", status, httpd_status_text(status), date,
                     keep ? "keep-alive" : "close");
    if (w < 0 || (size_t)w >= cap) return -1;
    n = (size_t)w;
    if (httpd_add(head, cap, &n, "Content-Security-Policy", r->csp ? r->csp : HTTPD_CSP_NONE) != 0) return -1;
    if (r->cors_origin &&
        (httpd_add(head, cap, &n, "Access-Control-Allow-Origin", r->cors_origin) != 0 ||
         httpd_add(head, cap, &n, "Access-Control-Expose-Headers", "ETag, Retry-After") != 0))
        return -1;
    if (r->h && r->h->cors[0] && httpd_add(head, cap, &n, "Vary", "Origin") != 0) return -1;
    if (ctype && status != 204 && status != 304 && httpd_add(head, cap, &n, "Content-Type", ctype) != 0)
        return -1;
    if (length >= 0 && status != 204 && status != 304) {
        w = snprintf(head + n, cap - n, "Content-Length: %lld\r\n", length);
        if (w < 0 || (size_t)w >= cap - n) return -1;
        n += (size_t)w;
    }
    for (const httpd_header *x = extra; x && x->name; x++)
        if (httpd_add(head, cap, &n, x->name, x->value) != 0) return -1;
    if (n + 2 >= cap) return -1;
    memcpy(head + n, "\r\n", 3);
    return (int)(n + 2);
}

int httpd_send_head(httpd_req *r, int status, const char *ctype, const httpd_header *extra, long long length)
{
    int keep = httpd_keep_alive(r);
    if (!keep) mg_disable_connection_keep_alive(r->conn);
    char head[HTTPD_HEAD_MAX];
    int n = httpd_head(r, head, sizeof head, status, ctype, extra, length, keep);
    if (n < 0) return -1;
    return httpd_write_all(r->conn, head, (size_t)n);
}

int httpd_send(httpd_req *r, int status, const char *ctype, const httpd_header *extra, const void *body,
               size_t len)
{
    if (!r || !r->conn) return status;
    int keep = httpd_keep_alive(r);
    if (!keep) mg_disable_connection_keep_alive(r->conn);
    int with_body = body && len > 0 && !r->head && status != 204 && status != 304;
    long long length = (status == 204 || status == 304) ? -1 : (long long)(body ? len : 0);
    char head[HTTPD_HEAD_MAX];
    int n = httpd_head(r, head, sizeof head, status, ctype, extra, length, keep);
    if (n < 0) {
        mg_disable_connection_keep_alive(r->conn);
        return status;
    }
    if (!with_body) {
        httpd_write_all(r->conn, head, (size_t)n);
        return status;
    }
    char small[HTTPD_SMALL_ANSWER];
    char *all = (size_t)n + len <= sizeof small ? small
                : len <= SIZE_MAX - (size_t)n   ? malloc((size_t)n + len)
                                                : NULL;
    if (!all) { /* two writes are slower, not wrong */
        if (httpd_write_all(r->conn, head, (size_t)n) == 0) httpd_write_all(r->conn, body, len);
        return status;
    }
    memcpy(all, head, (size_t)n);
    memcpy(all + n, body, len);
    httpd_write_all(r->conn, all, (size_t)n + len);
    if (all != small) free(all);
    return status;
}

int httpd_send_json(httpd_req *r, int status, const httpd_header *extra, cJSON *body)
{
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (!text)
        return httpd_problem(r, 500, "internal-error", "Internal Server Error", "out of memory", NULL, NULL);
    httpd_send(r, status, "application/json; charset=utf-8", extra, text, strlen(text));
    cJSON_free(text);
    return status;
}

static int httpd_reserved_member(const char *name)
{
    static const char *const reserved[] = {"type", "title", "status", "detail", "instance"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0) return 1;
    return 0;
}

/* Moves the members of extra (an object, consumed) into o, never over the standard ones. */
static void httpd_merge_members(cJSON *o, cJSON *extra)
{
    if (!extra || !cJSON_IsObject(extra)) {
        cJSON_Delete(extra);
        return;
    }
    cJSON *m = extra->child;
    while (m) {
        cJSON *next = m->next;
        if (m->string && !httpd_reserved_member(m->string) &&
            !cJSON_GetObjectItemCaseSensitive(o, m->string)) {
            cJSON_DetachItemViaPointer(extra, m);
            if (!cJSON_AddItemToObject(o, m->string, m)) cJSON_Delete(m);
        }
        m = next;
    }
    cJSON_Delete(extra);
}

/* The problem's JSON text (cJSON_free it), or NULL. */
static char *httpd_problem_text(int status, const char *slug, const char *title, const char *detail,
                                cJSON *members)
{
    char type[96];
    snprintf(type, sizeof type, "/problems/%.64s", slug ? slug : "about-blank");
    char *text = NULL;
    cJSON *o = cJSON_CreateObject();
    if (o && cJSON_AddStringToObject(o, "type", type) &&
        cJSON_AddStringToObject(o, "title", title ? title : "") &&
        cJSON_AddNumberToObject(o, "status", status) &&
        cJSON_AddStringToObject(o, "detail", detail ? detail : "")) {
        httpd_merge_members(o, members);
        members = NULL;
        text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(members);
    cJSON_Delete(o);
    return text;
}

int httpd_problem(httpd_req *r, int status, const char *slug, const char *title, const char *detail,
                  const httpd_header *extra, cJSON *members)
{
    if (status < 100 || status > 599) status = 500;
    if (!r || !r->conn) {
        cJSON_Delete(members);
        return status;
    }
    httpd_settle_body(r);
    char *text = httpd_problem_text(status, slug, title, detail, members);
    httpd_header h[12];
    size_t n = 0;
    h[n++] = (httpd_header){"Cache-Control", "no-store"};
    for (const httpd_header *x = extra; x && x->name && n < 11; x++) h[n++] = *x;
    h[n] = (httpd_header){NULL, NULL};
    httpd_send(r, status, "application/problem+json", h, text, text ? strlen(text) : 0);
    cJSON_free(text);
    return status;
}

void httpd_raw_problem(int fd, int status, const char *slug, const char *title, const char *detail,
                       const char *headers)
{
    if (fd < 0) return;
    char *text = httpd_problem_text(status, slug, title, detail, NULL);
    char date[32], head[HTTPD_HEAD_MAX];
    httpd_http_date(date, time(NULL));
    size_t len = text ? strlen(text) : 0;
    int n =
        snprintf(head, sizeof head,
                 "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\n" HTTPD_SECURITY_HEADERS
                 "Content-Security-Policy: " HTTPD_CSP_NONE "\r\nContent-Type: application/problem+json\r\n"
                 "Cache-Control: no-store\r\n%sContent-Length: %zu\r\n\r\n%s",
                 status, httpd_status_text(status), date, headers ? headers : "", len, text ? text : "");
    cJSON_free(text);
    if (n <= 0 || (size_t)n >= sizeof head) return;
    /* never wait on this client: what does not fit in the socket's buffer now is not sent */
    (void)send(fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    /* what the client sent already is read, so that closing sends a FIN rather than a reset */
    char sink[4096];
    for (int i = 0; i < 16 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++) {}
}

int httpd_etag_listed(const char *inm, const char *etag)
{
    if (!inm || !etag) return 0;
    const char *tag = etag;
    if (tag[0] == 'W' && tag[1] == '/') tag += 2;
    size_t elen = strlen(tag);
    const char *p = inm;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (!*p) break;
        if (*p == '*') {
            const char *q = p + 1;
            while (*q == ' ' || *q == '\t') q++;
            if (*q == '\0' || *q == ',') return 1;
        }
        if (p[0] == 'W' && p[1] == '/') p += 2;
        if (*p == '"') {
            const char *q = strchr(p + 1, '"');
            if (!q) return 0;
            if ((size_t)(q + 1 - p) == elen && memcmp(p, tag, elen) == 0) return 1;
            p = q + 1;
        } else {
            p += strcspn(p, ",");
        }
    }
    return 0;
}

int httpd_not_modified(const httpd_req *r, const char *etag)
{
    return httpd_etag_listed(httpd_header_get(r, "If-None-Match"), etag);
}
