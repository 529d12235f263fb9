/*
 * httpd_gate.c: the checks every request head passes before a route sees
 * it (see httpd.h). Ambiguous HTTP is refused, never guessed: two servers
 * (nginx in front, this one behind) must never read one byte stream as
 * different requests, and a request must never lose a header on the way.
 *
 * CivetWeb 1.15 has parsed the head in place when the gate runs, and its
 * parser is lenient where this one must not be:
 *   - it keeps the first 64 headers and silently drops the rest, so a late
 *     X-API-Key makes a keyed request anonymous and a late Content-Length
 *     turns a body into a second request: a head that fills the 64 slots
 *     is refused (431), since what came after cannot be known;
 *   - a header line it cannot read (an obs-fold, a NUL) ends its parse
 *     without an error: the gate looks at the bytes after the last header
 *     it kept, which must be the end of the head;
 *   - "Content-Length : 5" (a space before the colon) is read as
 *     Content-Length: the gate sees the space in the bytes CivetWeb
 *     overwrote with NULs between the name and the value;
 *   - Content-Length is read with strtoll ("+5", "0x5", "5abc") and only
 *     its first copy; Transfer-Encoding wins over Content-Length: the gate
 *     parses every copy strictly and refuses any disagreement.
 * The path arrives undecoded (CivetWeb's decode_url is off): it is decoded
 * here once, and a control character, a NUL, a backslash or a bad escape
 * is a 400; "//" and dot segments are 404s (no alias of a route exists,
 * and nothing is ever redirected from what a request names).
 *
 * This file must not answer anything but the gate's problems, and must
 * not log what a client sent.
 */
#include "http/httpd_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/bytes.h"

#define HTTPD_QUERY_MAX 4096

int httpd_decode_path(char out[HTTPD_PATH_MAX + 1], const char *raw)
{
    out[0] = '\0';
    if (!raw || raw[0] != '/') return 400;
    size_t n = 0;
    int not_found = 0;
    for (const char *p = raw; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f) return 400; /* raw bytes: printable ASCII only */
        if (c == '%') {
            int hi = bytes_hex_digit((unsigned char)p[1]),
                lo = hi < 0 ? -1 : bytes_hex_digit((unsigned char)p[2]);
            if (hi < 0 || lo < 0) return 400;
            c = (unsigned char)(hi * 16 + lo);
            p += 2;
            if (c < 0x20 || c == 0x7f) return 400; /* a control character or NUL */
            if (c > 0x7e) not_found = 1;           /* no route or file is named so */
        }
        if (c == '\\') return 400;
        if (n >= HTTPD_PATH_MAX) return 414;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    if (strstr(out, "//")) return 404; /* no route or file is named with an empty segment */
    /* a "." or ".." segment */
    for (const char *s = out; s; s = strchr(s + 1, '/')) {
        const char *seg = s + 1;
        size_t len = strcspn(seg, "/");
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.')) return 404;
    }
    return not_found ? 404 : 0;
}

int httpd_parse_length(const char *v, long long *n)
{
    if (!v) return 0;
    long long x = 0;
    size_t digits = 0;
    for (; *v >= '0' && *v <= '9'; v++, digits++) {
        if (digits >= 18) return 0;
        x = x * 10 + (*v - '0');
    }
    if (digits == 0) return 0;
    while (*v == ' ' || *v == '\t') v++;
    if (*v) return 0;
    *n = x;
    return 1;
}

int httpd_has_token(const char *value, const char *token)
{
    if (!value || !token) return 0;
    size_t tl = strlen(token);
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t')) m--;
        if (m == tl && strncasecmp(p, token, tl) == 0) return 1;
        p += n;
    }
    return 0;
}

/*
 * Whether the header's name was followed by blanks before its colon: CivetWeb
 * overwrote the blanks and the colon with NULs, so more than one NUL lies
 * between the name and a non-empty value's first byte.
 */
static int httpd_blank_before_colon(const struct mg_header *hd)
{
    size_t len = strlen(hd->name);
    const char *after = hd->name + len + 1; /* the byte after the colon, when none came before it */
    return hd->value > after && after[-1] == '\0' && after[0] == '\0';
}

/*
 * Whether CivetWeb's parse ended at the end of the head, not at a line it
 * could not read: after the last header's value and its line end (one or
 * two NULs, as CivetWeb overwrote them) comes the head's last line end.
 */
static int httpd_head_ends_after(const struct mg_header *last)
{
    const char *p = last->value + strlen(last->value);
    if (p[1] == '\r') return 1;          /* LF line end, CRLF end of head */
    if (p[1] != '\0') return 0;          /* a line CivetWeb stopped at */
    return p[2] == '\r' || p[2] == '\0'; /* CRLF line end, then CRLF or LF end of head */
}

static int httpd_refuse(httpd_req *r, int status, const char *slug, const char *title, const char *detail)
{
    r->client_close = 1;
    return httpd_problem(r, status, slug, title, detail, NULL, NULL);
}

static int httpd_bad(httpd_req *r, _Atomic uint64_t *counter, const char *detail)
{
    atomic_fetch_add(counter, 1);
    return httpd_refuse(r, 400, "bad-request", "Bad Request", detail);
}

/* Checks the headers and reads the framing into r; 0, or the status sent. */
static int httpd_gate_headers(httpd_req *r)
{
    const struct mg_request_info *ri = r->ri;
    httpd *h = r->h;
    int n = ri->num_headers;
    if (n >= MG_MAX_HEADERS) {
        atomic_fetch_add(&h->too_many_headers, 1);
        return httpd_refuse(r, 431, "request-header-fields-too-large", "Request Header Fields Too Large",
                            "a request may carry at most 63 header lines here");
    }
    if (n > 0 && !httpd_head_ends_after(&ri->http_headers[n - 1]))
        return httpd_bad(r, &h->bad_framing, "a header line is not well-formed (folded, or not name: value)");
    int hosts = 0, lengths = 0, encodings = 0;
    long long cl = 0;
    const char *te = NULL;
    for (int i = 0; i < n; i++) {
        const struct mg_header *hd = &ri->http_headers[i];
        if (!hd->name || !hd->value) return httpd_bad(r, &h->bad_framing, "a header line is not well-formed");
        if (httpd_blank_before_colon(hd))
            return httpd_bad(r, &h->bad_framing, "a header name is followed by a blank before its colon");
        if (strcasecmp(hd->name, "Host") == 0) {
            hosts++;
        } else if (strcasecmp(hd->name, "Content-Length") == 0) {
            long long v;
            if (!httpd_parse_length(hd->value, &v))
                return httpd_bad(r, &h->bad_framing, "Content-Length must be a decimal number of bytes");
            if (lengths++ && v != cl)
                return httpd_bad(r, &h->bad_framing, "the request carries Content-Length values that differ");
            cl = v;
        } else if (strcasecmp(hd->name, "Transfer-Encoding") == 0) {
            encodings++;
            te = hd->value;
        }
    }
    if ((!r->http10 && hosts != 1) || hosts > 1)
        return httpd_bad(r, &h->bad_framing, "an HTTP/1.1 request carries exactly one Host header");
    if (encodings) {
        if (lengths)
            return httpd_bad(r, &h->bad_framing,
                             "a request carries Content-Length or Transfer-Encoding, not both");
        if (encodings > 1 || r->http10 || strcasecmp(te, "chunked") != 0)
            return httpd_bad(r, &h->bad_framing, "the only transfer coding accepted is a single \"chunked\"");
        r->content_length = -1;
        r->has_body = 1;
    } else {
        r->content_length = cl;
        r->has_body = cl > 0;
    }
    r->body_done = !r->has_body;
    const char *conn = httpd_header_get(r, "Connection");
    r->client_close =
        conn ? httpd_has_token(conn, "close") || (r->http10 && !httpd_has_token(conn, "keep-alive"))
             : r->http10;
    const char *expect = httpd_header_get(r, "Expect");
    if (expect && !r->http10) {
        if (strcasecmp(expect, "100-continue") != 0)
            return httpd_refuse(r, 417, "expectation-failed", "Expectation Failed",
                                "the only expectation this service meets is 100-continue");
        r->expect_continue = r->has_body;
    }
    return 0;
}

static int httpd_gate_target(httpd_req *r)
{
    httpd *h = r->h;
    const char *q = r->ri->query_string;
    if (q) {
        size_t n = strnlen(q, HTTPD_QUERY_MAX + 1);
        if (n > HTTPD_QUERY_MAX) {
            atomic_fetch_add(&h->bad_target, 1);
            return httpd_refuse(r, 414, "uri-too-long", "URI Too Long", "the query string is too long");
        }
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)q[i] <= 0x20 || (unsigned char)q[i] >= 0x7f)
                return httpd_bad(r, &h->bad_target,
                                 "the query string holds a byte that is not printable ASCII");
    }
    int st = httpd_decode_path(r->path, r->ri->local_uri_raw);
    switch (st) {
    case 0:
        return 0;
    case 404:
        return httpd_problem(r, 404, "not-found", "Not Found", "there is no such resource", NULL, NULL);
    case 414:
        atomic_fetch_add(&h->bad_target, 1);
        return httpd_refuse(r, 414, "uri-too-long", "URI Too Long", "the path is too long");
    default:
        return httpd_bad(r, &h->bad_target,
                         "the path holds a control character, a NUL, a backslash or a bad percent escape");
    }
}

int httpd_gate(httpd_req *r)
{
    const struct mg_request_info *ri = r->ri;
    if (!ri || !ri->request_method || !ri->http_version)
        return httpd_bad(r, &r->h->bad_framing, "no request line");
    r->http10 = strcmp(ri->http_version, "1.0") == 0;
    r->head = strcmp(r->method, "HEAD") == 0;
    const uint8_t(*trusted)[CLIENTADDR_LEN] = r->h->cfg.trusted;
    if (clientaddr_resolve(r->client, ri->remote_addr, httpd_header_get(r, "X-Forwarded-For"), trusted,
                           r->h->cfg.n_trusted) != 0)
        memset(r->client, 0, sizeof r->client);
    int st = httpd_gate_headers(r);
    if (st) return st;
    if (r->hc) connguard_request(r->hc->gc, r->has_body);
    const char *origin = httpd_header_get(r, "Origin");
    for (size_t i = 0; origin && r->h->cors[i]; i++)
        if (strcmp(origin, r->h->cors[i]) == 0) r->cors_origin = r->h->cors[i];
    return httpd_gate_target(r);
}
