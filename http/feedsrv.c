/*
 * feedsrv.c: the routes of a status feed and of the trust list, on the
 * server layer (httpd.h), over a store given as a callback (see feedsrv.h).
 *
 * A request goes: the server's gate (a decoded path without dot segments,
 * so "/feed/v1/FR-75/./checkpoint" is a 404 and not an alias; methods,
 * GET and HEAD only); then the strict path grammar (feedsrv_route); then
 * one call to the store; then either the object (200, or 304 when
 * If-None-Match names its ETag) or an RFC 9457 problem. Objects carry
 * their Content-Length and an ETag that is the quoted SHA-256 of their
 * bytes, so mirrors serving the same bytes give the same ETag. All four
 * kinds get an ETag and 304s: segments are immutable (cached for a year),
 * the others "no-cache" (revalidate every time). The path was
 * percent-decoded by the gate (so "%46R-75" is "FR-75").
 *
 * Problems name nothing of the request but what the grammar has already
 * checked (an issuer id, a decimal number). Problem types are
 * "/problems/<slug>" with the slugs: not-found, method-not-allowed,
 * unknown-issuer, segment-not-found, segment-not-at-boundary, unavailable.
 *
 * A store answer of "not found" is told apart as follows: a segment inside
 * another is segment-not-at-boundary (with containing_segment and a Link to
 * it); otherwise, for a segment or a snapshot, the issuer's checkpoint is
 * looked up too, and its absence makes the issuer unknown.
 *
 * This file must not read or write files, log request data, or decide
 * anything about signatures: it serves bytes the store already holds.
 */
#include "http/feedsrv.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEEDSRV_PATH_MAX 128 /* longer than any valid path */
#define FEEDSRV_ETAG_LEN (2 + 2 * crypto_hash_sha256_BYTES)

static const char feedsrv_prefix_trust[] = "/trust/v1/";
static const char feedsrv_prefix_feed[] = "/feed/v1/";

/* ---- path grammar ---- */

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

int feedsrv_route(const char *path, feed_obj *kind, char iss[CLAIMS_ISS_MAX], uint64_t *first)
{
    if (!path || !kind || !iss || !first) return -1;
    if (strnlen(path, FEEDSRV_PATH_MAX + 1) > FEEDSRV_PATH_MAX) return -1;
    iss[0] = '\0';
    *first = 0;
    if (strcmp(path, "/trust/v1/trust-list.cose") == 0) {
        *kind = FEED_OBJ_TRUST_LIST;
        return 0;
    }
    if (strncmp(path, feedsrv_prefix_feed, sizeof feedsrv_prefix_feed - 1) != 0) return -1;
    const char *p = path + sizeof feedsrv_prefix_feed - 1;
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : 0;
    if (!claims_iss_valid(p, n)) return -1;
    const char *rest = slash + 1;

    feed_obj k;
    uint64_t seq = 0;
    if (strcmp(rest, "checkpoint") == 0)
        k = FEED_OBJ_CHECKPOINT;
    else if (strcmp(rest, "snapshot") == 0)
        k = FEED_OBJ_SNAPSHOT;
    else if (strncmp(rest, "segments/", 9) == 0 && feedsrv_parse_seq(rest + 9, &seq) == 0)
        k = FEED_OBJ_SEGMENT;
    else
        return -1;
    memcpy(iss, p, n);
    iss[n] = '\0';
    *kind = k;
    *first = seq;
    return 0;
}

/* ---- the handler ---- */

static int feedsrv_send_object(httpd_req *r, feed_obj kind, const uint8_t *data, size_t len)
{
    uint8_t hash[crypto_hash_sha256_BYTES];
    char etag[FEEDSRV_ETAG_LEN + 1];
    crypto_hash_sha256(hash, data ? data : (const uint8_t *)"", data ? len : 0);
    etag[0] = '"';
    sodium_bin2hex(etag + 1, sizeof etag - 1, hash, sizeof hash);
    etag[FEEDSRV_ETAG_LEN - 1] = '"';
    etag[FEEDSRV_ETAG_LEN] = '\0';

    const char *cache = kind == FEED_OBJ_SEGMENT ? "public, max-age=31536000, immutable" : "no-cache";
    httpd_header h[] = {{"ETag", etag}, {"Cache-Control", cache}, {NULL, NULL}};
    if (httpd_not_modified(r, etag)) return httpd_send(r, 304, NULL, h, NULL, 0);
    return httpd_send(r, 200, "application/cose", h, data, len);
}

static int feedsrv_unavailable(httpd_req *r)
{
    httpd_header h[] = {{"Retry-After", "5"}, {NULL, NULL}};
    return httpd_problem(r, 503, "unavailable", "Service Unavailable",
                         "the feed store could not answer; try again later", h, NULL);
}

static int feedsrv_unknown_issuer(httpd_req *r, const char *iss)
{
    char detail[96];
    snprintf(detail, sizeof detail, "no feed is held for the issuer %s", iss);
    return httpd_problem(r, 404, "unknown-issuer", "Unknown issuer", detail, NULL, NULL);
}

/* After a "not found" for a segment or a snapshot: is the issuer known at all? 1, 0, or -1 (store error). */
static int feedsrv_issuer_known(const feedsrv_store *b, const char *iss)
{
    uint8_t *data = NULL;
    size_t len = 0;
    uint64_t containing = 0;
    api_err e = b->get(b->arg, FEED_OBJ_CHECKPOINT, iss, 0, &data, &len, &containing);
    if (e == API_OK) {
        free(data);
        return 1;
    }
    return e == API_ERR_NOT_FOUND ? 0 : -1;
}

static int feedsrv_not_found(httpd_req *r, const feedsrv_store *b, feed_obj kind, const char *iss,
                             uint64_t first, uint64_t containing)
{
    char detail[256];
    if (kind == FEED_OBJ_TRUST_LIST)
        return httpd_problem(r, 404, "not-found", "Not Found", "no trust list is held here", NULL, NULL);
    if (kind == FEED_OBJ_SEGMENT && containing > 0 && containing < first) {
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
        httpd_header h[] = {{"Link", link}, {NULL, NULL}};
        return httpd_problem(r, 404, "segment-not-at-boundary", "Not a segment boundary", detail, h, extra);
    }
    if (kind == FEED_OBJ_CHECKPOINT) return feedsrv_unknown_issuer(r, iss);
    int known = feedsrv_issuer_known(b, iss);
    if (known < 0) return feedsrv_unavailable(r);
    if (!known) return feedsrv_unknown_issuer(r, iss);
    if (kind == FEED_OBJ_SEGMENT) {
        snprintf(detail, sizeof detail, "no segment of %s holds event %llu", iss, (unsigned long long)first);
        return httpd_problem(r, 404, "segment-not-found", "Segment not found", detail, NULL, NULL);
    }
    snprintf(detail, sizeof detail, "%s has no snapshot yet", iss);
    return httpd_problem(r, 404, "not-found", "Not Found", detail, NULL, NULL);
}

static int feedsrv_handle(httpd_req *r, void *arg)
{
    const feedsrv_store *b = arg;
    feed_obj kind;
    char iss[CLAIMS_ISS_MAX];
    uint64_t first;
    if (feedsrv_route(httpd_path(r), &kind, iss, &first) != 0)
        return httpd_problem(r, 404, "not-found", "Not Found",
                             "there is no such resource (see docs/federation.md, \"HTTP\")", NULL, NULL);
    uint8_t *data = NULL;
    size_t len = 0;
    uint64_t containing = 0;
    api_err e =
        b->get(b->arg, kind, kind == FEED_OBJ_TRUST_LIST ? NULL : iss, first, &data, &len, &containing);
    if (e == API_OK && (data || len == 0)) {
        int status = feedsrv_send_object(r, kind, data, len);
        free(data);
        return status;
    }
    if (e == API_OK) free(data);
    if (e == API_ERR_NOT_FOUND) return feedsrv_not_found(r, b, kind, iss, first, containing);
    return feedsrv_unavailable(r);
}

/* ---- registration ---- */

api_err feedsrv_register(httpd *h, const feedsrv_store *store)
{
    if (!h || !store || !store->get) return API_ERR_ARG;
    if (sodium_init() < 0) return API_ERR_CRYPTO;
    api_err e = httpd_route(h, feedsrv_prefix_trust, HTTPD_PREFIX, "GET", feedsrv_handle, (void *)store);
    if (e == API_OK)
        e = httpd_route(h, feedsrv_prefix_feed, HTTPD_PREFIX, "GET", feedsrv_handle, (void *)store);
    return e;
}
