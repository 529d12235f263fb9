/*
 * feedsrv.c: the HTTP handlers of a status feed and of the trust list, on
 * a CivetWeb server, over a store given as a callback (see feedsrv.h).
 *
 * A request goes: strict path grammar (feedsrv_route) on the decoded but
 * not dot-cleaned path, so that "/feed/v1/FR-75/./checkpoint" or "//" are
 * 404s and not aliases; then the method (GET and HEAD only); then one call
 * to the store; then either the object (200, or 304 when If-None-Match
 * names its ETag) or an RFC 9457 problem. Every answer carries
 * "X-Content-Type-Options: nosniff"; objects carry their Content-Length
 * and an ETag that is the quoted SHA-256 of their bytes, so mirrors serving
 * the same bytes give the same ETag. All four kinds get an ETag and 304s:
 * segments are immutable (cached for a year), the others "no-cache"
 * (revalidate every time). CivetWeb has already percent-decoded the path
 * (so "%46R-75" is "FR-75"; this file never sees the raw bytes).
 *
 * Each answer (status line, headers, body) leaves in one mg_write rather
 * than through mg_response_header_*, which writes every header on its own
 * and, on a kept-alive connection without tcp_nodelay, stalls each answer
 * ~40 ms (Nagle against the client's delayed ACK). The Connection header
 * follows CivetWeb's own rule, and says close after a request body.
 *
 * Problems are built with cJSON, which escapes every string; nothing of the
 * request is echoed except what the grammar has already checked (an
 * issuer id, a decimal number). Problem types are "/problems/<slug>" with
 * the slugs: not-found, method-not-allowed, unknown-issuer,
 * segment-not-found, segment-not-at-boundary, unavailable.
 *
 * A store answer of "not found" is told apart as follows: a segment inside
 * another is segment-not-at-boundary (with containing_segment and a Link to
 * it); otherwise, for a segment or a snapshot, the issuer's checkpoint is
 * looked up too, and its absence makes the issuer unknown.
 *
 * CivetWeb hands a handler one pointer; the store is two (function and
 * argument), so feedsrv_register allocates a binding. Bindings sit in one
 * list under a mutex, so they stay reachable (no leak report) and
 * feedsrv_unregister can free them: the only global state of this file.
 * This file must not read or write files, log request data, or decide
 * anything about signatures: it serves bytes the store already holds.
 */
#include "feedsrv.h"

#include <civetweb.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FEEDSRV_PATH_MAX    128 /* longer than any valid path */
#define FEEDSRV_ETAG_LEN    (2 + 2 * crypto_hash_sha256_BYTES)
#define FEEDSRV_EXTRA_MAX   4096       /* feedsrv_problem's extra JSON */
#define FEEDSRV_WRITE_CHUNK (1u << 30) /* mg_write takes at most INT_MAX */
#define FEEDSRV_HEAD_MAX    1024       /* the status line and headers of one answer */

static const char feedsrv_prefix_trust[] = "/trust/v1/";
static const char feedsrv_prefix_feed[] = "/feed/v1/";

typedef struct feedsrv_binding {
    struct feedsrv_binding *next;
    struct mg_context *ctx;
    feedsrv_get_fn get;
    void *arg;
} feedsrv_binding;

static pthread_mutex_t feedsrv_lock = PTHREAD_MUTEX_INITIALIZER;
static feedsrv_binding *feedsrv_bindings;

/* ---- path grammar ---- */

static int feedsrv_iss_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* A decimal 1..2^63, no sign, no leading zero, nothing after. */
static int feedsrv_parse_seq(const char *s, uint64_t *out)
{
    size_t n = strnlen(s, 21);
    if (n == 0 || n > 19 || s[0] < '1' || s[0] > '9') return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits fit in 64 bits */
    }
    if (v > ((uint64_t)1 << 63)) return -1;
    *out = v;
    return 0;
}

int feedsrv_route(const char *path, feedsrv_kind *kind, char iss[FEEDSRV_ISS_MAX + 1], uint64_t *first)
{
    if (!path || !kind || !iss || !first) return -1;
    if (strnlen(path, FEEDSRV_PATH_MAX + 1) > FEEDSRV_PATH_MAX) return -1;
    iss[0] = '\0';
    *first = 0;
    if (strcmp(path, "/trust/v1/trust-list.cose") == 0) {
        *kind = FEEDSRV_TRUST_LIST;
        return 0;
    }
    if (strncmp(path, feedsrv_prefix_feed, sizeof feedsrv_prefix_feed - 1) != 0) return -1;
    const char *p = path + sizeof feedsrv_prefix_feed - 1;
    size_t n = 0;
    while (n <= FEEDSRV_ISS_MAX && feedsrv_iss_char(p[n])) n++;
    if (n < 2 || n > FEEDSRV_ISS_MAX || p[n] != '/') return -1;
    const char *rest = p + n + 1;

    feedsrv_kind k;
    uint64_t seq = 0;
    if (strcmp(rest, "checkpoint") == 0)
        k = FEEDSRV_CHECKPOINT;
    else if (strcmp(rest, "snapshot") == 0)
        k = FEEDSRV_SNAPSHOT;
    else if (strncmp(rest, "segments/", 9) == 0 && feedsrv_parse_seq(rest + 9, &seq) == 0)
        k = FEEDSRV_SEGMENT;
    else
        return -1;
    memcpy(iss, p, n);
    iss[n] = '\0';
    *kind = k;
    *first = seq;
    return 0;
}

/* ---- responses ---- */

typedef struct {
    const char *name;
    const char *value;
} feedsrv_header;

static int feedsrv_write_all(struct mg_connection *conn, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        size_t n = len > FEEDSRV_WRITE_CHUNK ? FEEDSRV_WRITE_CHUNK : len;
        int w = mg_write(conn, p, n);
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Whether a comma-separated header value holds token (case-insensitive). */
static int feedsrv_has_token(const char *value, const char *token)
{
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
 * Whether the answer may keep the connection open: CivetWeb's rule
 * (enable_keep_alive, then the client's Connection header, then HTTP/1.1),
 * and never after a request body this file does not read.
 */
static int feedsrv_keep_alive(const struct mg_connection *conn, const struct mg_request_info *ri)
{
    const char *opt = mg_get_option(mg_get_context(conn), "enable_keep_alive");
    if (!opt || strcasecmp(opt, "yes") != 0) return 0;
    if (ri->content_length > 0 || mg_get_header(conn, "Transfer-Encoding")) return 0;
    const char *c = mg_get_header(conn, "Connection");
    if (c) return feedsrv_has_token(c, "keep-alive");
    return ri->http_version && strcmp(ri->http_version, "1.1") == 0;
}

/* An IMF-fixdate, in English whatever the locale. */
static void feedsrv_http_date(char out[32])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11) {
        out[0] = '\0';
        return;
    }
    snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday % 100,
             months[tm.tm_mon], (tm.tm_year + 1900) % 10000, tm.tm_hour % 100, tm.tm_min % 100,
             tm.tm_sec % 100);
}

/*
 * Sends the status line, Date, Connection, nosniff, the given headers
 * (NULL-terminated, NULL values skipped), Content-Length when with_length,
 * then the body unless the request is a HEAD: all in one mg_write (see
 * the file comment).
 */
static void feedsrv_send(struct mg_connection *conn, int status, const feedsrv_header *headers,
                         const void *body, size_t body_len, int with_length)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (!ri) return;
    char head[FEEDSRV_HEAD_MAX];
    char date[32];
    feedsrv_http_date(date);
    int keep = feedsrv_keep_alive(conn, ri);
    size_t n = 0;
    int w = snprintf(head, sizeof head, "HTTP/%s %d %s\r\n",
                     (ri->http_version && strcmp(ri->http_version, "1.0") == 0) ? "1.0" : "1.1", status,
                     mg_get_response_code_text(conn, status));
    if (w < 0 || (size_t)w >= sizeof head) return;
    n += (size_t)w;
    if (date[0]) {
        w = snprintf(head + n, sizeof head - n, "Date: %s\r\n", date);
        if (w < 0 || (size_t)w >= sizeof head - n) return;
        n += (size_t)w;
    }
    w = snprintf(head + n, sizeof head - n, "Connection: %s\r\nX-Content-Type-Options: nosniff\r\n",
                 keep ? "keep-alive" : "close");
    if (w < 0 || (size_t)w >= sizeof head - n) return;
    n += (size_t)w;
    for (const feedsrv_header *h = headers; h && h->name; h++) {
        if (!h->value) continue;
        w = snprintf(head + n, sizeof head - n, "%s: %s\r\n", h->name, h->value);
        if (w < 0 || (size_t)w >= sizeof head - n) return;
        n += (size_t)w;
    }
    w = with_length ? snprintf(head + n, sizeof head - n, "Content-Length: %zu\r\n\r\n", body_len)
                    : snprintf(head + n, sizeof head - n, "\r\n");
    if (w < 0 || (size_t)w >= sizeof head - n) return;
    n += (size_t)w;

    if (!body || body_len == 0 || (ri->request_method && strcmp(ri->request_method, "HEAD") == 0)) {
        feedsrv_write_all(conn, head, n);
        return;
    }
    uint8_t *all = body_len <= SIZE_MAX - n ? malloc(n + body_len) : NULL;
    if (!all) { /* two writes are slower, not wrong */
        if (feedsrv_write_all(conn, head, n) == 0) feedsrv_write_all(conn, body, body_len);
        return;
    }
    memcpy(all, head, n);
    memcpy(all + n, body, body_len);
    feedsrv_write_all(conn, all, n + body_len);
    free(all);
}

static int feedsrv_reserved_member(const char *name)
{
    static const char *const reserved[] = {"type", "title", "status", "detail", "instance"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0) return 1;
    return 0;
}

/* Moves the members of extra (an object, consumed) into o, but never over the standard ones. */
static void feedsrv_merge_members(cJSON *o, cJSON *extra)
{
    if (!extra || !cJSON_IsObject(extra)) {
        cJSON_Delete(extra);
        return;
    }
    cJSON *m = extra->child;
    while (m) {
        cJSON *next = m->next;
        if (m->string && !feedsrv_reserved_member(m->string) &&
            !cJSON_GetObjectItemCaseSensitive(o, m->string)) {
            cJSON_DetachItemViaPointer(extra, m);
            /* copies the key before it frees the item's old one */
            if (!cJSON_AddItemToObject(o, m->string, m)) cJSON_Delete(m);
        }
        m = next;
    }
    cJSON_Delete(extra);
}

/* The problem, with extra members (consumed, may be NULL) and extra headers (may be NULL). */
static void feedsrv_problem_send(struct mg_connection *conn, int status, const char *slug, const char *title,
                                 const char *detail, cJSON *extra, const feedsrv_header *more)
{
    if (status < 100 || status > 599) status = 500;
    char type[80];
    snprintf(type, sizeof type, "/problems/%.60s", slug ? slug : "about-blank");
    char *text = NULL;
    cJSON *o = cJSON_CreateObject();
    if (o && cJSON_AddStringToObject(o, "type", type) &&
        cJSON_AddStringToObject(o, "title", title ? title : "") &&
        cJSON_AddNumberToObject(o, "status", status) &&
        cJSON_AddStringToObject(o, "detail", detail ? detail : "")) {
        feedsrv_merge_members(o, extra);
        extra = NULL;
        text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(extra);
    cJSON_Delete(o);

    feedsrv_header h[8];
    size_t n = 0;
    h[n++] = (feedsrv_header){"Content-Type", "application/problem+json"};
    h[n++] = (feedsrv_header){"Cache-Control", "no-store"};
    for (const feedsrv_header *x = more; x && x->name && n < 7; x++) h[n++] = *x;
    h[n] = (feedsrv_header){NULL, NULL};
    feedsrv_send(conn, status, h, text, text ? strlen(text) : 0, 1);
    cJSON_free(text);
}

void feedsrv_problem(struct mg_connection *conn, int status, const char *slug, const char *title,
                     const char *detail, const char *extra)
{
    if (!conn) return;
    cJSON *x = NULL;
    if (extra && strnlen(extra, FEEDSRV_EXTRA_MAX + 1) <= FEEDSRV_EXTRA_MAX) x = cJSON_Parse(extra);
    feedsrv_problem_send(conn, status, slug, title, detail, x, NULL);
}

/* ---- the handler ---- */

/* Whether an If-None-Match value (a list of entity tags, or "*") names etag; weak tags compare too. */
static int feedsrv_etag_listed(const char *inm, const char *etag)
{
    size_t elen = strlen(etag);
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
            if ((size_t)(q + 1 - p) == elen && memcmp(p, etag, elen) == 0) return 1;
            p = q + 1;
        } else {
            p += strcspn(p, ",");
        }
    }
    return 0;
}

static void feedsrv_send_object(struct mg_connection *conn, feedsrv_kind kind, const uint8_t *data,
                                size_t len)
{
    uint8_t hash[crypto_hash_sha256_BYTES];
    char etag[FEEDSRV_ETAG_LEN + 1];
    crypto_hash_sha256(hash, data ? data : (const uint8_t *)"", data ? len : 0);
    etag[0] = '"';
    sodium_bin2hex(etag + 1, sizeof etag - 1, hash, sizeof hash);
    etag[FEEDSRV_ETAG_LEN - 1] = '"';
    etag[FEEDSRV_ETAG_LEN] = '\0';

    const char *cache = kind == FEEDSRV_SEGMENT ? "public, max-age=31536000, immutable" : "no-cache";
    const char *inm = mg_get_header(conn, "If-None-Match");
    if (inm && feedsrv_etag_listed(inm, etag)) {
        feedsrv_header h[] = {{"ETag", etag}, {"Cache-Control", cache}, {NULL, NULL}};
        feedsrv_send(conn, 304, h, NULL, 0, 0);
        return;
    }
    feedsrv_header h[] = {
        {"Content-Type", "application/cose"}, {"ETag", etag}, {"Cache-Control", cache}, {NULL, NULL}};
    feedsrv_send(conn, 200, h, data, len, 1);
}

static void feedsrv_unavailable(struct mg_connection *conn)
{
    feedsrv_header h[] = {{"Retry-After", "5"}, {NULL, NULL}};
    feedsrv_problem_send(conn, 503, "unavailable", "Service Unavailable",
                         "the feed store could not answer; try again later", NULL, h);
}

static void feedsrv_unknown_issuer(struct mg_connection *conn, const char *iss)
{
    char detail[96];
    snprintf(detail, sizeof detail, "no feed is held for the issuer %s", iss);
    feedsrv_problem_send(conn, 404, "unknown-issuer", "Unknown issuer", detail, NULL, NULL);
}

/* After a "not found" for a segment or a snapshot: is the issuer known at all? 1, 0, or -1 (store error). */
static int feedsrv_issuer_known(const feedsrv_binding *b, const char *iss)
{
    uint8_t *data = NULL;
    size_t len = 0;
    uint64_t containing = 0;
    api_err e = b->get(b->arg, FEEDSRV_CHECKPOINT, iss, 0, &data, &len, &containing);
    if (e == API_OK) {
        free(data);
        return 1;
    }
    return e == API_ERR_NOT_FOUND ? 0 : -1;
}

static void feedsrv_not_found(struct mg_connection *conn, const feedsrv_binding *b, feedsrv_kind kind,
                              const char *iss, uint64_t first, uint64_t containing)
{
    char detail[256];
    if (kind == FEEDSRV_TRUST_LIST) {
        feedsrv_problem_send(conn, 404, "not-found", "Not Found", "no trust list is held here", NULL, NULL);
        return;
    }
    if (kind == FEEDSRV_SEGMENT && containing > 0 && containing < first) {
        char num[24], link[96];
        snprintf(num, sizeof num, "%llu", (unsigned long long)containing);
        snprintf(link, sizeof link, "</feed/v1/%s/segments/%s>; rel=\"related\"", iss, num);
        snprintf(detail, sizeof detail,
                 "no segment of %s starts at %llu: event %llu is in the segment that starts at %s", iss,
                 (unsigned long long)first, (unsigned long long)first, num);
        cJSON *extra = cJSON_CreateObject();
        if (extra && !cJSON_AddRawToObject(extra, "containing_segment", num)) {
            cJSON_Delete(extra);
            extra = NULL;
        }
        feedsrv_header h[] = {{"Link", link}, {NULL, NULL}};
        feedsrv_problem_send(conn, 404, "segment-not-at-boundary", "Not a segment boundary", detail, extra,
                             h);
        return;
    }
    if (kind == FEEDSRV_CHECKPOINT) {
        feedsrv_unknown_issuer(conn, iss);
        return;
    }
    int known = feedsrv_issuer_known(b, iss);
    if (known < 0) {
        feedsrv_unavailable(conn);
    } else if (!known) {
        feedsrv_unknown_issuer(conn, iss);
    } else if (kind == FEEDSRV_SEGMENT) {
        snprintf(detail, sizeof detail, "no segment of %s holds event %llu", iss, (unsigned long long)first);
        feedsrv_problem_send(conn, 404, "segment-not-found", "Segment not found", detail, NULL, NULL);
    } else {
        snprintf(detail, sizeof detail, "%s has no snapshot yet", iss);
        feedsrv_problem_send(conn, 404, "not-found", "Not Found", detail, NULL, NULL);
    }
}

static int feedsrv_handle(struct mg_connection *conn, void *cbdata)
{
    const feedsrv_binding *b = cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (!b || !ri) return 0; /* CivetWeb answers */

    /* decoded but not dot-cleaned, so that aliases of a path are 404s */
    const char *path = ri->local_uri_raw ? ri->local_uri_raw : ri->local_uri;
    feedsrv_kind kind;
    char iss[FEEDSRV_ISS_MAX + 1];
    uint64_t first;
    if (feedsrv_route(path, &kind, iss, &first) != 0) {
        feedsrv_problem_send(conn, 404, "not-found", "Not Found",
                             "there is no such resource (see docs/federation.md, \"HTTP\")", NULL, NULL);
        return 404;
    }
    const char *m = ri->request_method ? ri->request_method : "";
    if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) {
        feedsrv_header h[] = {{"Allow", "GET, HEAD"}, {NULL, NULL}};
        feedsrv_problem_send(conn, 405, "method-not-allowed", "Method Not Allowed",
                             "only GET and HEAD are allowed here", NULL, h);
        return 405;
    }

    uint8_t *data = NULL;
    size_t len = 0;
    uint64_t containing = 0;
    api_err e =
        b->get(b->arg, kind, kind == FEEDSRV_TRUST_LIST ? NULL : iss, first, &data, &len, &containing);
    if (e == API_OK && (data || len == 0)) {
        feedsrv_send_object(conn, kind, data, len);
        free(data);
        return 200;
    }
    if (e == API_OK) free(data);
    if (e == API_ERR_NOT_FOUND) {
        feedsrv_not_found(conn, b, kind, iss, first, containing);
        return 404;
    }
    feedsrv_unavailable(conn);
    return 503;
}

/* ---- registration ---- */

void feedsrv_register(struct mg_context *ctx, feedsrv_get_fn get, void *arg)
{
    if (!ctx || !get) return;
    if (sodium_init() < 0) return;
    feedsrv_binding *b = calloc(1, sizeof *b);
    if (!b) return;
    b->ctx = ctx;
    b->get = get;
    b->arg = arg;
    pthread_mutex_lock(&feedsrv_lock);
    b->next = feedsrv_bindings;
    feedsrv_bindings = b;
    pthread_mutex_unlock(&feedsrv_lock);
    mg_set_request_handler(ctx, feedsrv_prefix_trust, feedsrv_handle, b);
    mg_set_request_handler(ctx, feedsrv_prefix_feed, feedsrv_handle, b);
}

void feedsrv_unregister(struct mg_context *ctx)
{
    if (!ctx) return;
    /* waits until no request uses the old bindings */
    mg_set_request_handler(ctx, feedsrv_prefix_trust, NULL, NULL);
    mg_set_request_handler(ctx, feedsrv_prefix_feed, NULL, NULL);
    pthread_mutex_lock(&feedsrv_lock);
    feedsrv_binding **pp = &feedsrv_bindings;
    while (*pp) {
        feedsrv_binding *b = *pp;
        if (b->ctx == ctx) {
            *pp = b->next;
            free(b);
        } else {
            pp = &b->next;
        }
    }
    pthread_mutex_unlock(&feedsrv_lock);
}
