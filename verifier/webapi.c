/*
 * webapi.c: the verification API of `api-verifier serve` (see webapi.h):
 * routing, callers and their profiles, rate limits, bounded bodies, the
 * verification itself (verify.h, with the replica as status source and the
 * service's staleness), the answers (report.h), the trust list and the
 * bundle (fedview.h), health and metrics.
 *
 * A request to /api goes: the exact route (404), the method (405), the
 * caller (a wrong or revoked X-API-Key is 401), the caller's rate limit
 * (429 with Retry-After), the media type (415), the body, read whole but
 * never past its limit nor its deadline (413, 400), then the answer. The
 * checks that cost nothing come first, so a flood of bad requests costs
 * little; nothing is verified before the body is complete.
 *
 * Fast path. A verification takes the cached trust list (a reference,
 * fedview.h), checks the key against the key store's copy in memory,
 * takes a token under one set's mutex, runs verify_qrtext (one LMDB read
 * transaction, in replica_status) and renders report_json: no LMDB write,
 * no decoding of the trust list, no file access. Answers leave in one
 * mg_write (status line, headers and body), as feedsrv.c does and for the
 * same reason (Nagle against delayed ACKs on kept-alive connections).
 *
 * Per request state (route, caller, verdicts, hashes of attestation ids)
 * lives in a thread-local variable: CivetWeb runs a request's callbacks
 * and handler on one worker thread, so begin_request starts it and
 * end_request writes the access-log line and counts the metrics, for
 * every request of the server, whatever handled it.
 *
 * Before any problem, a small body not read yet (a QR text refused with
 * 401 or 429) is read and dropped: closing a socket with unread data sends
 * a reset, which may destroy the answer before the client reads it.
 *
 * Problems. feedsrv_problem writes the problems that need no extra header;
 * 401, 405, 429 and 503 need one (WWW-Authenticate, Allow, Retry-After),
 * which feedsrv_problem cannot add, so webapi_problem_with writes those
 * itself, in the same shape (type "/problems/<slug>", title, status,
 * detail). Slugs: not-found, method-not-allowed, unauthorized,
 * rate-limited, unsupported-media-type, body-too-large, batch-too-large,
 * malformed-json, invalid-request, malformed-multipart, incomplete-body,
 * no-qr-code, unreadable-image, image-too-large, no-trust-list,
 * unavailable, internal-error.
 *
 * This file must not log anything a client sent (no path, no header, no
 * text; the access log gets fixed names and keyed hashes), must not keep a
 * request's body or answer after the request, and must not write to the
 * replica.
 */
#include "webapi.h"

#include <civetweb.h>
#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "apitime.h"
#include "cli.h"
#include "feedsrv.h"
#include "httpbody.h"
#include "image.h"
#include "qrtext.h"
#include "report.h"
#include "verify.h"

#define WEBAPI_HEAD_MAX          1024       /* status line and headers of an answer */
#define WEBAPI_DRAIN_MAX         (1u << 20) /* dropped past a body limit, so that the 413 arrives */
#define WEBAPI_SMALL_BODY        (64u << 10) /* an unread body this small is read and dropped before a problem */
#define WEBAPI_RETRY_UNAVAILABLE "5"
#define WEBAPI_MAX_IMAGE_DECODES 4 /* images read at once: each may take 50 MB (IMAGE_MAX_PIXELS of gray) */
#define WEBAPI_IMAGE_BODIES      4 /* image bodies held at once: at most this many times --max-image bytes */

struct webapi {
    webapi_config cfg;
    uint8_t (*trusted)[CLIENTADDR_LEN];
    _Atomic int image_decodes;     /* images being read now */
    _Atomic long long image_bytes; /* bytes reserved by image bodies being received or read */
};

/* Who is calling, as far as an API route is concerned. */
typedef struct {
    int keyed;
    keystore_record rec;
    report_profile profile;
    const char *profile_name;
    double rate, burst; /* the bucket's */
    uint8_t bucket[1 + KEYSTORE_ID_LEN > 9 ? 1 + KEYSTORE_ID_LEN : 9];
    size_t bucket_len;
} webapi_caller;

/* The state of the request this thread is serving. */
typedef struct {
    int active;
    struct timespec t0;
    int64_t arrived;
    metrics_route route;
    int identified;
    int keyed;
    char org[KEYSTORE_ORG_MAX];
    char key_id[KEYSTORE_ID_LEN + 1];
    const char *profile;
    int has_verdict;
    verdict verdict;
    int batch;
    uint32_t verdicts[VERDICT_COUNT];
    uint8_t (*att)[ACCESSLOG_HASH_LEN]; /* att_one, or malloc'd for a batch */
    size_t n_att;
    uint8_t att_one[1][ACCESSLOG_HASH_LEN];
    int had_body;       /* the request announced a body */
    int body_consumed;  /* ... and it was read to its end */
    int64_t timeout_ms; /* reading the body may take this long from t0 */
} webapi_req;

static _Thread_local webapi_req webapi_cur;

/* ---- set-up ---- */

api_err webapi_new(webapi **out, const webapi_config *cfg)
{
    *out = NULL;
    if (!cfg || !cfg->r || !cfg->fv || !cfg->rl || !cfg->m || cfg->max_body == 0 || cfg->max_image == 0)
        return API_ERR_ARG;
    webapi *w = calloc(1, sizeof *w);
    if (!w) return API_ERR_NOMEM;
    w->cfg = *cfg;
    atomic_init(&w->image_decodes, 0);
    atomic_init(&w->image_bytes, 0);
    if (cfg->n_trusted_proxies) {
        w->trusted = calloc(cfg->n_trusted_proxies, sizeof *w->trusted);
        if (!w->trusted) {
            free(w);
            return API_ERR_NOMEM;
        }
        memcpy(w->trusted, cfg->trusted_proxies, cfg->n_trusted_proxies * sizeof *w->trusted);
    }
    w->cfg.trusted_proxies = (const uint8_t(*)[CLIENTADDR_LEN])w->trusted;
    *out = w;
    return API_OK;
}

void webapi_free(webapi *w)
{
    if (!w) return;
    free(w->trusted);
    free(w);
}

/* ---- routes ---- */

static const char *webapi_path(const struct mg_request_info *ri)
{
    /* decoded but not dot-cleaned, as feedsrv.c: an alias of a route is a 404 */
    const char *p = ri->local_uri_raw ? ri->local_uri_raw : ri->local_uri;
    return p ? p : "";
}

static metrics_route webapi_route_of(const char *path, int web_pages)
{
    static const struct {
        const char *path;
        metrics_route route;
    } exact[] = {
        {"/api/v1/verify", METRICS_ROUTE_VERIFY},
        {"/api/v1/verify/batch", METRICS_ROUTE_BATCH},
        {"/api/v1/trust-list", METRICS_ROUTE_TRUST_LIST},
        {"/api/v1/bundle", METRICS_ROUTE_BUNDLE},
        {"/healthz", METRICS_ROUTE_HEALTHZ},
        {"/metrics", METRICS_ROUTE_METRICS},
    };
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcmp(path, exact[i].path) == 0) return exact[i].route;
    if (strncmp(path, "/trust/v1/", 10) == 0 || strncmp(path, "/feed/v1/", 9) == 0)
        return METRICS_ROUTE_MIRROR;
    if (web_pages && strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0 &&
        strcmp(path, "/healthz") != 0 && strcmp(path, "/metrics") != 0)
        return METRICS_ROUTE_WEB;
    return METRICS_ROUTE_OTHER;
}

static const char *webapi_allowed(metrics_route r)
{
    return (r == METRICS_ROUTE_VERIFY || r == METRICS_ROUTE_BATCH) ? "POST" : "GET, HEAD";
}

static int webapi_method_ok(metrics_route r, const char *m)
{
    if (!m) return 0;
    if (r == METRICS_ROUTE_VERIFY || r == METRICS_ROUTE_BATCH) return strcmp(m, "POST") == 0;
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

/* ---- bodies left unread ---- */

/* Milliseconds left to read this request's body. */
static int64_t webapi_deadline_left(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t spent =
        (int64_t)(now.tv_sec - webapi_cur.t0.tv_sec) * 1000 + (now.tv_nsec - webapi_cur.t0.tv_nsec) / 1000000;
    return webapi_cur.timeout_ms - spent;
}

/* Reads and drops the rest of a body of declared length cl, within the deadline. */
static void webapi_drain(struct mg_connection *conn, int64_t cl)
{
    char buf[8192];
    int64_t left = cl;
    while (left > 0 && webapi_deadline_left() > 0) {
        int n = mg_read(conn, buf, left < (int64_t)sizeof buf ? (size_t)left : sizeof buf);
        if (n <= 0) return;
        left -= n;
    }
    if (left == 0) webapi_cur.body_consumed = 1;
}

/*
 * Before a problem: a small body not read yet (e.g. a QR text refused with
 * 401 or 429) is read and dropped, so that the answer is not lost to a
 * reset (closing a socket with unread data sends RST) and the connection
 * may stay open. A large, chunked or expected (100-continue) body is not.
 */
static void webapi_settle_body(struct mg_connection *conn)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (!ri || !webapi_cur.had_body || webapi_cur.body_consumed) return;
    if (ri->content_length <= 0 || ri->content_length > (long long)WEBAPI_SMALL_BODY) return;
    if (mg_get_header(conn, "Transfer-Encoding") || mg_get_header(conn, "Expect")) return;
    webapi_drain(conn, ri->content_length);
}

/* ---- answers ---- */

/* Whether a comma-separated header value holds token (case-insensitive). */
static int webapi_has_token(const char *value, const char *token)
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

/* CivetWeb's keep-alive rule, and never with a request body left unread. */
static int webapi_keep_alive(struct mg_connection *conn, const struct mg_request_info *ri)
{
    const char *opt = mg_get_option(mg_get_context(conn), "enable_keep_alive");
    if (!opt || strcasecmp(opt, "yes") != 0) return 0;
    if (webapi_cur.had_body && !webapi_cur.body_consumed) return 0;
    const char *c = mg_get_header(conn, "Connection");
    if (c) return webapi_has_token(c, "keep-alive");
    return ri->http_version && strcmp(ri->http_version, "1.1") == 0;
}

static void webapi_http_date(char out[32])
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

static void webapi_write_all(struct mg_connection *conn, const char *p, size_t len)
{
    while (len > 0) {
        size_t n = len > (1u << 30) ? (1u << 30) : len;
        int w = mg_write(conn, p, n);
        if (w <= 0) return;
        p += w;
        len -= (size_t)w;
    }
}

/*
 * Sends an answer: status line, Date, Connection, nosniff, Content-Type
 * and Content-Length (not for a 304), the extra header lines (each ending
 * with CRLF, may be NULL), then the body unless the request is a HEAD or
 * the status a 304. Returns status.
 */
static int webapi_send(struct mg_connection *conn, int status, const char *ctype, const char *extra,
                       const void *body, size_t len)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (!ri) return status;
    int keep = webapi_keep_alive(conn, ri);
    if (!keep) mg_disable_connection_keep_alive(conn);
    char date[32], head[WEBAPI_HEAD_MAX], entity[160] = "";
    webapi_http_date(date);
    if (status != 304) /* a 304 describes no body of its own */
        snprintf(entity, sizeof entity, "Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, len);
    int n =
        snprintf(head, sizeof head,
                 "HTTP/%s %d %s\r\nDate: %s\r\nConnection: %s\r\nX-Content-Type-Options: nosniff\r\n%s%s\r\n",
                 (ri->http_version && strcmp(ri->http_version, "1.0") == 0) ? "1.0" : "1.1", status,
                 mg_get_response_code_text(conn, status), date, keep ? "keep-alive" : "close", entity,
                 extra ? extra : "");
    if (n < 0 || (size_t)n >= sizeof head) return status;
    int head_only = ri->request_method && strcmp(ri->request_method, "HEAD") == 0;
    if (head_only || !body || len == 0 || status == 304) {
        webapi_write_all(conn, head, (size_t)n);
        return status;
    }
    char stackbuf[16384];
    char *all = (size_t)n + len <= sizeof stackbuf ? stackbuf : malloc((size_t)n + len);
    if (!all) {
        webapi_write_all(conn, head, (size_t)n);
        webapi_write_all(conn, body, len);
        return status;
    }
    memcpy(all, head, (size_t)n);
    memcpy(all + n, body, len);
    webapi_write_all(conn, all, (size_t)n + len);
    if (all != stackbuf) free(all);
    return status;
}

/* A problem with one extra header line (e.g. "Retry-After: 3\r\n"), written here (see the file comment). */
static int webapi_problem_with(struct mg_connection *conn, int status, const char *slug, const char *title,
                               const char *detail, const char *header)
{
    webapi_settle_body(conn);
    char type[80];
    snprintf(type, sizeof type, "/problems/%s", slug);
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (o && cJSON_AddStringToObject(o, "type", type) && cJSON_AddStringToObject(o, "title", title) &&
        cJSON_AddNumberToObject(o, "status", status) && cJSON_AddStringToObject(o, "detail", detail))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char extra[256];
    snprintf(extra, sizeof extra, "Cache-Control: no-store\r\n%s", header ? header : "");
    webapi_send(conn, status, "application/problem+json", extra, text, text ? strlen(text) : 0);
    free(text);
    return status;
}

/* A problem without extra headers: feedsrv_problem, which says "Connection: close" after a request body. */
static int webapi_problem(struct mg_connection *conn, int status, const char *slug, const char *title,
                          const char *detail)
{
    webapi_settle_body(conn);
    if (webapi_cur.had_body) mg_disable_connection_keep_alive(conn);
    feedsrv_problem(conn, status, slug, title, detail, NULL);
    return status;
}

static int webapi_unavailable(struct mg_connection *conn, const char *slug, const char *detail)
{
    return webapi_problem_with(conn, 503, slug, "Service Unavailable", detail,
                               "Retry-After: " WEBAPI_RETRY_UNAVAILABLE "\r\n");
}

static int webapi_no_trust_list(struct mg_connection *conn)
{
    return webapi_unavailable(conn, "no-trust-list",
                              "this verifier holds no trust list yet; it is syncing, try again later");
}

static int webapi_send_json(struct mg_connection *conn, int status, const char *cache, cJSON *j)
{
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!text) return webapi_problem(conn, 500, "internal-error", "Internal Server Error", "out of memory");
    webapi_send(conn, status, "application/json; charset=utf-8", cache, text, strlen(text));
    free(text);
    return status;
}

/* ---- callers and limits ---- */

static int64_t webapi_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static report_profile webapi_report_profile(keystore_profile p)
{
    switch (p) {
    case KEYSTORE_SOCIAL:
        return REPORT_FULL;
    case KEYSTORE_EMPLOYER:
        return REPORT_EMPLOYER;
    default:
        return REPORT_IDENTITY;
    }
}

/* Identifies the caller; 0, or the status of the problem sent (401). */
static int webapi_identify(webapi *w, struct mg_connection *conn, webapi_caller *c)
{
    memset(c, 0, sizeof *c);
    const char *key = mg_get_header(conn, "X-API-Key");
    if (key) {
        keystore_check_result k =
            w->cfg.keys ? keystore_check(w->cfg.keys, key, strlen(key), &c->rec) : KEYSTORE_UNKNOWN;
        if (k == KEYSTORE_ERROR)
            return webapi_unavailable(conn, "unavailable",
                                      "the key store could not be read; try again later");
        if (k != KEYSTORE_VALID)
            return webapi_problem_with(conn, 401, "unauthorized", "Unauthorized",
                                       k == KEYSTORE_REVOKED ? "this API key has been revoked"
                                                             : "this API key is not known here",
                                       "WWW-Authenticate: X-API-Key\r\n");
        c->keyed = 1;
        c->profile = webapi_report_profile(c->rec.profile);
        c->profile_name = keystore_profile_name(c->rec.profile);
        c->rate = c->rec.rate;
        c->burst = c->rec.rate;
        c->bucket[0] = 'k';
        memcpy(c->bucket + 1, c->rec.id, KEYSTORE_ID_LEN);
        c->bucket_len = 1 + KEYSTORE_ID_LEN;
        snprintf(webapi_cur.org, sizeof webapi_cur.org, "%s", c->rec.org);
        snprintf(webapi_cur.key_id, sizeof webapi_cur.key_id, "%s", c->rec.id);
        webapi_cur.keyed = 1;
    } else {
        const struct mg_request_info *ri = mg_get_request_info(conn);
        uint8_t addr[CLIENTADDR_LEN];
        if (clientaddr_resolve(addr, ri->remote_addr, mg_get_header(conn, "X-Forwarded-For"),
                               w->cfg.trusted_proxies, w->cfg.n_trusted_proxies) != 0)
            memset(addr, 0, sizeof addr); /* cannot happen with a TCP peer; one shared bucket if it does */
        c->profile = REPORT_ANONYMOUS;
        c->profile_name = "anonymous";
        c->rate = w->cfg.anonymous_rate;
        c->burst = w->cfg.anonymous_rate < 1 ? 1 : w->cfg.anonymous_rate;
        c->bucket_len = clientaddr_bucket(c->bucket, addr);
    }
    if (c->burst < 1) c->burst = 1;
    webapi_cur.identified = 1;
    webapi_cur.profile = c->profile_name;
    return 0;
}

/* Takes one token for the caller; 0, or 429 sent. */
static int webapi_limit(webapi *w, struct mg_connection *conn, const webapi_caller *c)
{
    unsigned retry = 0;
    if (c->rate <= 0) return 0;
    if (ratelimit_take(w->cfg.rl, c->bucket, c->bucket_len, c->rate, c->burst, webapi_monotonic_ms(),
                       &retry) != 1)
        return 0;
    metrics_rate_limited(w->cfg.m);
    char header[48], detail[160];
    snprintf(header, sizeof header, "Retry-After: %u\r\n", retry);
    snprintf(detail, sizeof detail, "%s rate limit is reached; try again in %u s",
             c->keyed ? "this API key's" : "the anonymous", retry);
    return webapi_problem_with(conn, 429, "rate-limited", "Too Many Requests", detail, header);
}

/* ---- bodies ---- */

typedef enum {
    WEBAPI_BODY_OK,
    WEBAPI_BODY_TOO_LARGE,
    WEBAPI_BODY_INCOMPLETE,
    WEBAPI_BODY_NOMEM,
} webapi_body;

/*
 * Reads the whole body, at most max bytes, into *out (malloc'd,
 * NUL-terminated, *len without the NUL). A declared length over max is
 * refused before reading (the body is drained when a little over, so the
 * client reads the 413); a chunked body is refused once it passes max.
 */
static webapi_body webapi_read_body(struct mg_connection *conn, size_t max, uint8_t **out, size_t *len)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    *out = NULL;
    *len = 0;
    int chunked = mg_get_header(conn, "Transfer-Encoding") != NULL;
    long long cl = ri->content_length;
    if (!chunked && cl <= 0) {
        *out = calloc(1, 1);
        webapi_cur.body_consumed = 1;
        return *out ? WEBAPI_BODY_OK : WEBAPI_BODY_NOMEM;
    }
    if (!chunked && (unsigned long long)cl > max) {
        const char *expect = mg_get_header(conn, "Expect");
        if (!expect && (unsigned long long)cl - max <= WEBAPI_DRAIN_MAX) webapi_drain(conn, cl);
        return WEBAPI_BODY_TOO_LARGE;
    }
    size_t cap = chunked ? (max < 65536 ? max + 1 : 65536) : (size_t)cl;
    uint8_t *buf = malloc(cap + 1);
    if (!buf) return WEBAPI_BODY_NOMEM;
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            if (!chunked || cap > max) break;
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            uint8_t *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                return WEBAPI_BODY_NOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        if (webapi_deadline_left() <= 0) {
            free(buf);
            return WEBAPI_BODY_INCOMPLETE;
        }
        int r = mg_read(conn, buf + n, cap - n);
        if (r < 0 || (r == 0 && !chunked)) {
            free(buf);
            return WEBAPI_BODY_INCOMPLETE;
        }
        if (r == 0) break; /* the end of a chunked body */
        n += (size_t)r;
    }
    if (n > max) { /* a chunked body past the limit: drop what follows, a little, so the 413 arrives */
        free(buf);
        char sink[8192];
        size_t dropped = 0;
        while (dropped <= WEBAPI_DRAIN_MAX && webapi_deadline_left() > 0) {
            int r = mg_read(conn, sink, sizeof sink);
            if (r < 0) break;
            if (r == 0) {
                webapi_cur.body_consumed = 1;
                break;
            }
            dropped += (size_t)r;
        }
        return WEBAPI_BODY_TOO_LARGE;
    }
    buf[n] = '\0';
    webapi_cur.body_consumed = 1;
    *out = buf;
    *len = n;
    return WEBAPI_BODY_OK;
}

static int webapi_body_problem(struct mg_connection *conn, webapi_body b, size_t max)
{
    char detail[160];
    switch (b) {
    case WEBAPI_BODY_TOO_LARGE:
        snprintf(detail, sizeof detail, "the body is larger than this service accepts here (%zu bytes)", max);
        return webapi_problem(conn, 413, "body-too-large", "Content Too Large", detail);
    case WEBAPI_BODY_INCOMPLETE:
        return webapi_problem(conn, 400, "incomplete-body", "Bad Request",
                              "the body ended before its announced length, or took too long to arrive");
    default:
        return webapi_problem(conn, 500, "internal-error", "Internal Server Error", "out of memory");
    }
}

/* Drops the line ends a text body or form field may end with (never spaces: they are Base45). */
static size_t webapi_trim_eol(const uint8_t *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    return n;
}

/* Parses a JSON body that must be an object; NULL with the problem sent. */
static cJSON *webapi_parse_json(struct mg_connection *conn, const uint8_t *body, size_t len, int *status)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts((const char *)body, len, &end, 0);
    if (j && end) {
        while (end < (const char *)body + len &&
               (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
            end++;
        if (end != (const char *)body + len) {
            cJSON_Delete(j);
            j = NULL;
        }
    }
    if (!j) {
        *status =
            webapi_problem(conn, 400, "malformed-json", "Bad Request", "the body is not well-formed JSON");
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        *status =
            webapi_problem(conn, 400, "invalid-request", "Bad Request", "the body must be a JSON object");
        return NULL;
    }
    return j;
}

/* ---- verification ---- */

/* Counts a result and keeps what the access log may say of it. */
static void webapi_note(webapi *w, const verify_result *res)
{
    metrics_verdict(w->cfg.m, res->verdict, 1);
    webapi_cur.verdicts[res->verdict]++;
    webapi_cur.has_verdict = 1;
    webapi_cur.verdict = res->verdict;
    if (!res->has_claims || !w->cfg.keys || !webapi_cur.att) return;
    keystore_log_hash(w->cfg.keys, webapi_cur.att[webapi_cur.n_att], res->claims.cti, CLAIMS_CTI_LEN);
    webapi_cur.n_att++;
}

static void webapi_ctx(webapi *w, verify_ctx *ctx, const trust_list *tl)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->tl = tl;
    ctx->now = cli_now();
    ctx->status_fn = replica_status;
    ctx->status_arg = w->cfg.r;
    ctx->max_staleness = w->cfg.max_staleness;
}

/*
 * Reads the QR code of an image; 0 with *text (malloc'd), or the status of
 * the problem sent. At most WEBAPI_MAX_IMAGE_DECODES images are read at
 * once, which bounds their memory (a flood of large images gets 503s, and
 * texts are still answered).
 */
static int webapi_image_text(webapi *w, struct mg_connection *conn, const uint8_t *data, size_t len,
                             char **text, size_t *tlen)
{
    *text = NULL;
    if (atomic_fetch_add(&w->image_decodes, 1) >= WEBAPI_MAX_IMAGE_DECODES) {
        atomic_fetch_sub(&w->image_decodes, 1);
        return webapi_problem_with(
            conn, 503, "unavailable", "Service Unavailable",
            "too many images are being read at this moment; try again, or send the QR text",
            "Retry-After: 1\r\n");
    }
    *text = malloc(QRTEXT_MAX_TEXT + 1);
    api_err e = *text ? image_read_qr(*text, QRTEXT_MAX_TEXT + 1, tlen, data, len) : API_ERR_NOMEM;
    atomic_fetch_sub(&w->image_decodes, 1);
    if (e == API_OK) return 0;
    free(*text);
    *text = NULL;
    switch (e) {
    case API_ERR_NO_QR:
        return webapi_problem(conn, 422, "no-qr-code", "Unprocessable Content",
                              "no QR code was found in the image: take a sharper, closer photo of the code");
    case API_ERR_TOO_LARGE:
        return webapi_problem(conn, 413, "image-too-large", "Content Too Large",
                              "the image has more pixels than this service decodes");
    case API_ERR_NOMEM:
        return webapi_problem(conn, 500, "internal-error", "Internal Server Error", "out of memory");
    default:
        return webapi_problem(conn, 422, "unreadable-image", "Unprocessable Content",
                              "the image is not a PNG or JPEG file that can be read");
    }
}

/*
 * The QR text of a single verification, from the body of the given kind:
 * *text is malloc'd. 0, or the status of the problem sent.
 */
static int webapi_body_text(webapi *w, struct mg_connection *conn, httpbody_type kind, const char *boundary,
                            const uint8_t *body, size_t len, char **text, size_t *tlen)
{
    *text = NULL;
    *tlen = 0;
    if (kind == HTTPBODY_PNG || kind == HTTPBODY_JPEG)
        return webapi_image_text(w, conn, body, len, text, tlen);
    if (kind == HTTPBODY_MULTIPART) {
        httpbody_part part;
        api_err e = httpbody_multipart_find(&part, body, len, boundary);
        if (e == API_ERR_NOT_FOUND)
            return webapi_problem(conn, 400, "invalid-request", "Bad Request",
                                  "the form holds no image (PNG or JPEG) and no field named payload");
        if (e != API_OK)
            return webapi_problem(conn, 400, "malformed-multipart", "Bad Request",
                                  "the body is not well-formed multipart/form-data with the boundary given");
        if (part.is_image) return webapi_image_text(w, conn, part.data, part.len, text, tlen);
        body = part.data;
        len = webapi_trim_eol(part.data, part.len);
    } else if (kind == HTTPBODY_TEXT) {
        len = webapi_trim_eol(body, len);
    } else { /* JSON */
        int status = 0;
        cJSON *j = webapi_parse_json(conn, body, len, &status);
        if (!j) return status;
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "payload");
        if (!cJSON_IsString(p) || !p->valuestring) {
            cJSON_Delete(j);
            return webapi_problem(
                conn, 400, "invalid-request", "Bad Request",
                "expected {\"payload\": \"API1:...\"}: a member payload holding the QR text");
        }
        *text = strdup(p->valuestring);
        *tlen = *text ? strlen(*text) : 0;
        cJSON_Delete(j);
        return *text ? 0
                     : webapi_problem(conn, 500, "internal-error", "Internal Server Error", "out of memory");
    }
    *text = malloc(len + 1);
    if (!*text) return webapi_problem(conn, 500, "internal-error", "Internal Server Error", "out of memory");
    memcpy(*text, body, len);
    (*text)[len] = '\0';
    *tlen = len;
    return 0;
}

static int webapi_verify_single(webapi *w, struct mg_connection *conn, const webapi_caller *c,
                                httpbody_type kind, const char *boundary, const uint8_t *body, size_t len)
{
    char *text;
    size_t tlen;
    int status = webapi_body_text(w, conn, kind, boundary, body, len, &text, &tlen);
    if (status) return status;
    fedview_trust *t = fedview_trust_get(w->cfg.fv);
    if (!t) {
        free(text);
        return webapi_no_trust_list(conn);
    }
    verify_ctx ctx;
    webapi_ctx(w, &ctx, &t->tl);
    verify_result res;
    verify_qrtext(&res, &ctx, text, tlen);
    free(text);
    webapi_cur.att = webapi_cur.att_one;
    webapi_note(w, &res);
    cJSON *j = report_json(&res, &ctx, c->profile);
    fedview_trust_put(t);
    return webapi_send_json(conn, 200, "Cache-Control: no-store\r\n", j);
}

static int webapi_verify_batch(webapi *w, struct mg_connection *conn, const webapi_caller *c,
                               const uint8_t *body, size_t len)
{
    int status = 0;
    cJSON *j = webapi_parse_json(conn, body, len, &status);
    if (!j) return status;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "payloads");
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(j);
        return webapi_problem(
            conn, 400, "invalid-request", "Bad Request",
            "expected {\"payloads\": [\"API1:...\", ...]}: a member payloads holding QR texts");
    }
    int n = cJSON_GetArraySize(list);
    if (n > WEBAPI_MAX_BATCH) {
        cJSON_Delete(j);
        char detail[96];
        snprintf(detail, sizeof detail, "a batch holds at most %d payloads; this one holds %d",
                 WEBAPI_MAX_BATCH, n);
        return webapi_problem(conn, 413, "batch-too-large", "Content Too Large", detail);
    }
    int i = 0;
    for (const cJSON *p = list->child; p; p = p->next, i++) {
        if (!cJSON_IsString(p) || !p->valuestring) {
            cJSON_Delete(j);
            char detail[96];
            snprintf(detail, sizeof detail, "payloads[%d] is not a string", i);
            return webapi_problem(conn, 400, "invalid-request", "Bad Request", detail);
        }
    }
    if (n > 1 && c->rate > 0) /* a batch of n costs n requests: one was taken already */
        ratelimit_debit(w->cfg.rl, c->bucket, c->bucket_len, c->rate, c->burst, (double)(n - 1),
                        webapi_monotonic_ms());
    fedview_trust *t = fedview_trust_get(w->cfg.fv);
    if (!t) {
        cJSON_Delete(j);
        return webapi_no_trust_list(conn);
    }
    webapi_cur.batch = 1;
    webapi_cur.att = n > 0 ? calloc((size_t)n, sizeof *webapi_cur.att) : NULL;
    verify_ctx ctx;
    webapi_ctx(w, &ctx, &t->tl);
    cJSON *out = cJSON_CreateObject();
    cJSON *results = out ? cJSON_AddArrayToObject(out, "results") : NULL;
    verify_result *res = malloc(sizeof *res);
    int failed = !results || !res;
    for (const cJSON *p = list->child; p && !failed; p = p->next) {
        verify_qrtext(res, &ctx, p->valuestring, strlen(p->valuestring));
        webapi_note(w, res);
        cJSON *r = report_json(res, &ctx, c->profile);
        if (!r || !cJSON_AddItemToArray(results, r)) {
            cJSON_Delete(r);
            failed = 1;
        }
    }
    free(res);
    fedview_trust_put(t);
    cJSON_Delete(j);
    if (failed) {
        cJSON_Delete(out);
        return webapi_problem(conn, 500, "internal-error", "Internal Server Error", "out of memory");
    }
    return webapi_send_json(conn, 200, "Cache-Control: no-store\r\n", out);
}

static int webapi_verify(webapi *w, struct mg_connection *conn, const webapi_caller *c, int batch)
{
    char boundary[HTTPBODY_BOUNDARY_MAX + 1];
    httpbody_type kind = httpbody_media_type(mg_get_header(conn, "Content-Type"), boundary);
    int image = kind == HTTPBODY_PNG || kind == HTTPBODY_JPEG || kind == HTTPBODY_MULTIPART;
    if (kind == HTTPBODY_NONE || kind == HTTPBODY_OTHER || (batch && kind != HTTPBODY_JSON))
        return webapi_problem(conn, 415, "unsupported-media-type", "Unsupported Media Type",
                              batch
                                  ? "a batch is sent as application/json: {\"payloads\": [...]}"
                                  : "send application/json ({\"payload\": \"API1:...\"}), text/plain (the QR "
                                    "text), image/png, image/jpeg or multipart/form-data");
    size_t max = image   ? w->cfg.max_image
                 : batch ? w->cfg.max_body * WEBAPI_BATCH_BODY_FACTOR
                         : w->cfg.max_body;
    /* image bodies are large: together they may hold at most WEBAPI_IMAGE_BODIES x --max-image bytes */
    long long reserved = 0;
    if (image) {
        long long cl = mg_get_request_info(conn)->content_length;
        if (mg_get_header(conn, "Transfer-Encoding"))
            reserved = (long long)max; /* its length is not known */
        else if (cl > 0 && cl <= (long long)max)
            reserved = cl; /* none, or too large: refused unread (413) */
        long long budget = (long long)max * WEBAPI_IMAGE_BODIES;
        if (atomic_fetch_add(&w->image_bytes, reserved) + reserved > budget) {
            atomic_fetch_sub(&w->image_bytes, reserved);
            return webapi_problem_with(
                conn, 503, "unavailable", "Service Unavailable",
                "too many images are being received at this moment; try again, or send the "
                "QR text",
                "Retry-After: 1\r\n");
        }
    }
    uint8_t *body;
    size_t len;
    int status;
    webapi_body b = webapi_read_body(conn, max, &body, &len);
    if (b != WEBAPI_BODY_OK) {
        status = webapi_body_problem(conn, b, max);
    } else {
        status = batch ? webapi_verify_batch(w, conn, c, body, len)
                       : webapi_verify_single(w, conn, c, kind, boundary, body, len);
        free(body);
    }
    atomic_fetch_sub(&w->image_bytes, reserved);
    return status;
}

/* ---- documents ---- */

/* 304 when If-None-Match names etag (or is *). */
static int webapi_not_modified(struct mg_connection *conn, const char *etag)
{
    const char *inm = mg_get_header(conn, "If-None-Match");
    if (!inm) return 0;
    if (strcmp(inm, "*") == 0) return 1;
    size_t el = strlen(etag);
    for (const char *p = inm; (p = strstr(p, etag)) != NULL; p += el) {
        char before = p == inm ? ',' : p[-1], after = p[el];
        if ((before == ',' || before == ' ' || before == '/') &&
            (after == '\0' || after == ',' || after == ' '))
            return 1;
    }
    return 0;
}

static int webapi_send_doc(struct mg_connection *conn, const fedview_doc *d)
{
    char extra[160];
    snprintf(extra, sizeof extra, "Cache-Control: no-cache\r\nETag: %s\r\n", d->etag);
    if (webapi_not_modified(conn, d->etag)) return webapi_send(conn, 304, "application/json", extra, NULL, 0);
    return webapi_send(conn, 200, "application/json; charset=utf-8", extra, d->body, d->len);
}

static int webapi_trust_list(webapi *w, struct mg_connection *conn)
{
    fedview_trust *t = fedview_trust_get(w->cfg.fv);
    if (!t) return webapi_no_trust_list(conn);
    int status = webapi_send_doc(conn, t->json);
    fedview_trust_put(t);
    return status;
}

static int webapi_bundle(webapi *w, struct mg_connection *conn)
{
    api_err e;
    fedview_doc *d = fedview_bundle_get(w->cfg.fv, cli_now(), &e);
    if (!d) {
        if (e == API_ERR_NOT_FOUND) return webapi_no_trust_list(conn);
        return webapi_unavailable(conn, "unavailable", "the replica could not be read; try again later");
    }
    int status = webapi_send_doc(conn, d);
    fedview_doc_put(d);
    return status;
}

/* ---- health and metrics ---- */

static int webapi_first_id(const trust_list *tl, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(tl->entries[j].id, tl->entries[i].id) == 0) return 0;
    return 1;
}

static int webapi_healthz(webapi *w, struct mg_connection *conn)
{
    fedview_trust *t = fedview_trust_get(w->cfg.fv);
    if (!t) return webapi_no_trust_list(conn);
    int64_t now = cli_now();
    cJSON *j = cJSON_CreateObject();
    cJSON *iss = NULL;
    char when[21];
    if (j && cJSON_AddStringToObject(j, "status", "ok") &&
        cJSON_AddNumberToObject(j, "trust_list_seq", (double)t->tl.seq)) {
        time_format_utc(when, t->tl.exp);
        cJSON_AddStringToObject(j, "trust_list_expires_at", when);
        iss = cJSON_AddObjectToObject(j, "issuers");
    }
    for (size_t i = 0; iss && i < t->tl.n; i++) {
        if (!webapi_first_id(&t->tl, i)) continue;
        uint64_t seq;
        int64_t signed_at;
        cJSON *o = cJSON_AddObjectToObject(iss, t->tl.entries[i].id);
        if (!o) break;
        if (replica_issuer_state(w->cfg.r, t->tl.entries[i].id, &seq, &signed_at) == API_OK &&
            signed_at > 0) {
            time_format_utc(when, signed_at);
            cJSON_AddStringToObject(o, "status_as_of", when);
            cJSON_AddBoolToObject(o, "fresh", now - signed_at <= w->cfg.max_staleness);
        } else {
            cJSON_AddNullToObject(o, "status_as_of");
            cJSON_AddBoolToObject(o, "fresh", 0);
        }
    }
    fedview_trust_put(t);
    return webapi_send_json(conn, 200, "Cache-Control: no-store\r\n", j);
}

static int webapi_metrics(webapi *w, struct mg_connection *conn)
{
    metrics_replica rep;
    memset(&rep, 0, sizeof rep);
    replica_counters counters;
    if (replica_get_counters(w->cfg.r, &counters) == API_OK) {
        rep.forks = counters.forks;
        rep.rollbacks = counters.rollbacks;
    }
    fedview_trust *t = fedview_trust_get(w->cfg.fv);
    metrics_issuer *issuers = NULL;
    if (t) {
        rep.has_trust_list = 1;
        rep.trust_seq = t->tl.seq;
        issuers = calloc(t->tl.n ? t->tl.n : 1, sizeof *issuers);
        int64_t now = cli_now();
        for (size_t i = 0; issuers && i < t->tl.n; i++) {
            if (!webapi_first_id(&t->tl, i)) continue;
            uint64_t seq;
            int64_t signed_at;
            metrics_issuer *mi = &issuers[rep.n_issuers++];
            mi->iss = t->tl.entries[i].id;
            if (replica_issuer_state(w->cfg.r, mi->iss, &seq, &signed_at) == API_OK && signed_at > 0) {
                mi->held = 1;
                mi->age = now - signed_at;
            }
        }
        rep.issuers = issuers;
    }
    size_t len;
    char *text = metrics_render(w->cfg.m, &rep, &len);
    free(issuers);
    fedview_trust_put(t);
    if (!text) return webapi_problem(conn, 500, "internal-error", "Internal Server Error", "out of memory");
    webapi_send(conn, 200, "text/plain; version=0.0.4; charset=utf-8", "Cache-Control: no-store\r\n", text,
                len);
    free(text);
    return 200;
}

/* ---- handlers ---- */

static int webapi_handle(struct mg_connection *conn, void *cbdata)
{
    webapi *w = cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (!w || !ri) return 0;
    metrics_route route = webapi_route_of(webapi_path(ri), 0);
    if (route != METRICS_ROUTE_VERIFY && route != METRICS_ROUTE_BATCH && route != METRICS_ROUTE_TRUST_LIST &&
        route != METRICS_ROUTE_BUNDLE && route != METRICS_ROUTE_HEALTHZ && route != METRICS_ROUTE_METRICS)
        return webapi_problem(conn, 404, "not-found", "Not Found",
                              "there is no such resource (see api-verifier(1), \"HTTP API\")");
    if (!webapi_method_ok(route, ri->request_method)) {
        char allow[48], detail[64];
        int post = route == METRICS_ROUTE_VERIFY || route == METRICS_ROUTE_BATCH;
        snprintf(allow, sizeof allow, "Allow: %s\r\n", webapi_allowed(route));
        snprintf(detail, sizeof detail, "only %s allowed here", post ? "POST is" : "GET and HEAD are");
        return webapi_problem_with(conn, 405, "method-not-allowed", "Method Not Allowed", detail, allow);
    }
    if (route == METRICS_ROUTE_HEALTHZ) return webapi_healthz(w, conn);
    if (route == METRICS_ROUTE_METRICS) return webapi_metrics(w, conn);
    webapi_caller c;
    int status = webapi_identify(w, conn, &c);
    if (status) return status;
    status = webapi_limit(w, conn, &c);
    if (status) return status;
    switch (route) {
    case METRICS_ROUTE_VERIFY:
        return webapi_verify(w, conn, &c, 0);
    case METRICS_ROUTE_BATCH:
        return webapi_verify(w, conn, &c, 1);
    case METRICS_ROUTE_TRUST_LIST:
        return webapi_trust_list(w, conn);
    default:
        return webapi_bundle(w, conn);
    }
}

void webapi_register(webapi *w, struct mg_context *ctx)
{
    if (!w || !ctx) return;
    mg_set_request_handler(ctx, "/api", webapi_handle, w);
    mg_set_request_handler(ctx, "/healthz", webapi_handle, w);
    mg_set_request_handler(ctx, "/metrics", webapi_handle, w);
}

void webapi_unregister(struct mg_context *ctx)
{
    if (!ctx) return;
    mg_set_request_handler(ctx, "/api", NULL, NULL);
    mg_set_request_handler(ctx, "/healthz", NULL, NULL);
    mg_set_request_handler(ctx, "/metrics", NULL, NULL);
}

/* ---- callbacks: every request of the server ---- */

static void webapi_req_reset(void)
{
    if (webapi_cur.att && webapi_cur.att != webapi_cur.att_one) free(webapi_cur.att);
    memset(&webapi_cur, 0, sizeof webapi_cur);
}

static int webapi_on_begin(struct mg_connection *conn)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    webapi *w = mg_get_user_data(mg_get_context(conn));
    webapi_req_reset();
    webapi_cur.active = 1;
    clock_gettime(CLOCK_MONOTONIC, &webapi_cur.t0);
    webapi_cur.arrived = (int64_t)time(NULL);
    webapi_cur.route = ri ? webapi_route_of(webapi_path(ri), w && w->cfg.web_pages) : METRICS_ROUTE_OTHER;
    webapi_cur.had_body = ri && (ri->content_length > 0 || mg_get_header(conn, "Transfer-Encoding") != NULL);
    webapi_cur.timeout_ms = w ? w->cfg.body_timeout_ms : 10000;
    return 0; /* CivetWeb goes on to the handlers */
}

static void webapi_on_end(const struct mg_connection *conn, int status)
{
    webapi *w = mg_get_user_data(mg_get_context(conn));
    if (!webapi_cur.active || !w) return;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs =
        (double)(t1.tv_sec - webapi_cur.t0.tv_sec) + (double)(t1.tv_nsec - webapi_cur.t0.tv_nsec) / 1e9;
    metrics_request(w->cfg.m, webapi_cur.route, status, secs);
    if (w->cfg.log) {
        const struct mg_request_info *ri = mg_get_request_info(conn);
        accesslog_entry e;
        memset(&e, 0, sizeof e);
        e.time = webapi_cur.arrived;
        e.method = ri ? ri->request_method : NULL;
        e.route = metrics_route_name(webapi_cur.route);
        e.status = status;
        e.org = webapi_cur.keyed ? webapi_cur.org : NULL;
        e.key_id = webapi_cur.keyed ? webapi_cur.key_id : NULL;
        e.profile = webapi_cur.identified ? webapi_cur.profile : NULL;
        e.has_verdict = webapi_cur.has_verdict && !webapi_cur.batch;
        e.verdict = webapi_cur.verdict;
        e.verdicts = webapi_cur.batch ? webapi_cur.verdicts : NULL;
        e.att = (const uint8_t(*)[ACCESSLOG_HASH_LEN])webapi_cur.att;
        e.n_att = webapi_cur.n_att;
        e.latency_ms = secs * 1000.0;
        accesslog_write(w->cfg.log, &e);
    }
    webapi_req_reset();
}

/* CivetWeb's own errors (no handler, static files, bad requests) as problems; never its text, which may name
 * files. */
static int webapi_on_http_error(struct mg_connection *conn, int status, const char *msg)
{
    (void)msg;
    if (status < 400) return 1;
    const char *slug = "error", *title = mg_get_response_code_text(conn, status);
    const char *detail = "the request could not be served";
    switch (status) {
    case 400:
        slug = "bad-request";
        detail = "the request is not well-formed HTTP";
        break;
    case 404:
        slug = "not-found";
        detail = "there is no such resource";
        break;
    case 405:
        slug = "method-not-allowed";
        detail = "this method is not allowed here";
        break;
    case 413:
        slug = "request-too-large";
        detail = "the request is larger than this service accepts";
        break;
    default:
        if (status >= 500) slug = "internal-error";
        break;
    }
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (ri && (ri->content_length > 0 || mg_get_header(conn, "Transfer-Encoding")))
        mg_disable_connection_keep_alive(conn);
    feedsrv_problem(conn, status, slug, title ? title : "Error", detail, NULL);
    return 0;
}

void webapi_callbacks(struct mg_callbacks *cb)
{
    cb->begin_request = webapi_on_begin;
    cb->end_request = webapi_on_end;
    cb->http_error = webapi_on_http_error;
}
