/*
 * watchapi.c: the routes by which a social agency follows attestations
 * (see watchapi.h), over the watches of the replica (verifier/watch.h).
 *
 * A request goes: the caller admitted by webapi_admit (401 for a wrong
 * key, 429 for its rate), then the profile (401 without a key, 403 for a
 * key that is not social), then the route. A POST verifies each payload
 * as POST /api/v1/verify does (same context, same report, the full
 * profile) and follows those found valid or suspended, all of one request
 * in one write transaction. These routes are the only ones of the service
 * that write to the replica besides the sync: LMDB serialises the two
 * writers, so a POST may wait for a sync's batch to commit.
 *
 * Long polling. A changes request that finds nothing and asks to wait is
 * parked on a condition variable: watchapi_notify (after each sync or
 * tick of this process) wakes it, and it wakes by itself every second to
 * see whether another process committed (replica_version), so it costs no
 * work while it waits. It holds its worker thread, so at most max_parked
 * requests are parked at once; past that bound a request is answered at
 * once with what there is (nothing), and the caller asks again.
 *
 * This file logs nothing; it keeps no payload after its request: only the
 * watches (issuer, status index, keyed hash of the cti, the dates) are
 * written, by watch.h.
 */
#include "verifier/service/watchapi.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cli.h"
#include "common/jsonscan.h"
#include "common/time.h"
#include "http/httpbody.h"
#include "qr/status.h"
#include "verifier/report.h"
#include "verifier/verify.h"
#include "verifier/watch.h"

#define WATCHAPI_BODY_FACTOR 4 /* a list of payloads may be 4 x --max-body, as a batch */
#define WATCHAPI_BODIES      16
#define WATCHAPI_MAX_LIST    1000
#define WATCHAPI_JSON_DEPTH  4

struct watchapi {
    watchapi_config cfg;
    httpd *server; /* to see it draining */
    httpd_budget texts;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t gen; /* counts watchapi_notify calls */
    int stopping;
    int parked;
};

api_err watchapi_new(watchapi **out, const watchapi_config *cfg)
{
    *out = NULL;
    if (!cfg || !cfg->r || !cfg->fv || !cfg->api || cfg->max_body == 0) return API_ERR_ARG;
    watchapi *wa = calloc(1, sizeof *wa);
    if (!wa) return API_ERR_NOMEM;
    wa->cfg = *cfg;
    if (wa->cfg.max_parked < 1) wa->cfg.max_parked = 1;
    atomic_init(&wa->texts.used, 0);
    wa->texts.cap = (long long)cfg->max_body * WATCHAPI_BODY_FACTOR * WATCHAPI_BODIES;
    pthread_condattr_t ca;
    int ok = pthread_condattr_init(&ca) == 0;
    if (ok) ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0;
    if (ok) ok = pthread_cond_init(&wa->cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!ok || pthread_mutex_init(&wa->mu, NULL) != 0) {
        free(wa);
        return API_ERR_NOMEM;
    }
    *out = wa;
    return API_OK;
}

void watchapi_free(watchapi *wa)
{
    if (!wa) return;
    pthread_cond_destroy(&wa->cv);
    pthread_mutex_destroy(&wa->mu);
    free(wa);
}

void watchapi_notify(watchapi *wa)
{
    if (!wa) return;
    pthread_mutex_lock(&wa->mu);
    wa->gen++;
    pthread_cond_broadcast(&wa->cv);
    pthread_mutex_unlock(&wa->mu);
}

void watchapi_stop(watchapi *wa)
{
    if (!wa) return;
    pthread_mutex_lock(&wa->mu);
    wa->stopping = 1;
    wa->gen++;
    pthread_cond_broadcast(&wa->cv);
    pthread_mutex_unlock(&wa->mu);
}

/* ---- answers ---- */

static const httpd_header watchapi_no_store[] = {{"Cache-Control", "no-store"}, {NULL, NULL}};

static int watchapi_send(httpd_req *r, int status, cJSON *j)
{
    return httpd_send_json(r, status, watchapi_no_store, j);
}

static int watchapi_problem(httpd_req *r, int status, const char *slug, const char *title, const char *detail)
{
    return httpd_problem(r, status, slug, title, detail, NULL, NULL);
}

static int watchapi_oom(httpd_req *r)
{
    return watchapi_problem(r, 500, "internal-error", "Internal Server Error", "out of memory");
}

static int watchapi_store_problem(httpd_req *r, api_err e)
{
    if (e == API_ERR_TOO_LARGE)
        return watchapi_problem(r, 507, "insufficient-storage", "Insufficient Storage",
                                "this verifier's store of followed attestations is full; ask its operator");
    if (e == API_ERR_NOMEM) return watchapi_oom(r);
    return httpd_problem(r, 503, "unavailable", "Service Unavailable",
                         "the store of followed attestations could not be read; try again later",
                         (const httpd_header[]){{"Retry-After", "5"}, {NULL, NULL}}, NULL);
}

/* ---- callers ---- */

/* Admits a social key: 0 with *who set, or the status of the problem sent. */
static int watchapi_admit(watchapi *wa, httpd_req *r, webapi_who *who)
{
    int status = webapi_admit(wa->cfg.api, r, who);
    if (status) return status;
    if (!who->keyed)
        return httpd_problem(r, 401, "unauthorized", "Unauthorized",
                             "following attestations needs an API key of a social agency (X-API-Key)",
                             (const httpd_header[]){{"WWW-Authenticate", "X-API-Key"}, {NULL, NULL}}, NULL);
    if (who->rec.profile != KEYSTORE_SOCIAL)
        return watchapi_problem(r, 403, "forbidden", "Forbidden",
                                "only an API key of profile social may follow attestations");
    return 0;
}

/* ---- query parameters ---- */

/* An unsigned decimal parameter in [lo, hi] (def when absent): 0, or the 400 sent. */
static int watchapi_query_u64(httpd_req *r, const char *name, uint64_t lo, uint64_t hi, uint64_t def,
                              uint64_t *out)
{
    char text[24];
    int got = httpd_query_get(r, name, text, sizeof text);
    *out = def;
    if (got == 0) return 0;
    uint64_t v = 0;
    int ok = got == 1 && text[0] != '\0';
    for (size_t i = 0; ok && text[i]; i++) {
        if (text[i] < '0' || text[i] > '9' || v > (UINT64_MAX - 9) / 10) {
            ok = 0;
            break;
        }
        v = v * 10 + (uint64_t)(text[i] - '0');
    }
    if (!ok || v < lo || v > hi) {
        char detail[160];
        snprintf(detail, sizeof detail, "%s: expected a whole number from %" PRIu64 " to %" PRIu64, name, lo,
                 hi);
        return watchapi_problem(r, 400, "invalid-parameter", "Bad Request", detail);
    }
    *out = v;
    return 0;
}

/* ---- JSON of watches and changes ---- */

static cJSON *watchapi_watch_json(const watch_record *w)
{
    cJSON *j = cJSON_CreateObject();
    char id[WATCH_ID_TEXT], day[11], when[21];
    if (!j) return NULL;
    watch_id_format(id, w->id);
    cJSON_AddStringToObject(j, "watch_id", id);
    cJSON_AddStringToObject(j, "issuer", w->iss);
    cJSON_AddNumberToObject(j, "status_index", w->idx);
    cJSON_AddStringToObject(j, "status", status_name(w->status));
    time_paris_date(day, w->printed_end);
    cJSON_AddStringToObject(j, "printed_until", day);
    time_paris_date(day, w->effective_end);
    cJSON_AddStringToObject(j, "effective_until", day);
    cJSON_AddBoolToObject(j, "ended", (w->flags & WATCH_ENDED_SENT) != 0);
    time_format_utc(when, w->created_at);
    if (!cJSON_AddStringToObject(j, "followed_since", when)) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static cJSON *watchapi_change_json(const watch_change *c)
{
    cJSON *j = cJSON_CreateObject();
    char id[WATCH_ID_TEXT], day[11], when[21];
    if (!j) return NULL;
    watch_id_format(id, c->watch_id);
    time_paris_date(day, c->effective_until);
    time_format_utc(when, c->learned_at);
    if (!cJSON_AddStringToObject(j, "watch_id", id) ||
        !cJSON_AddStringToObject(j, "kind", watch_kind_code(c->kind)) ||
        !cJSON_AddStringToObject(j, "effective_until", day) ||
        !cJSON_AddStringToObject(j, "learned_at", when)) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* ---- POST /api/v1/watch ---- */

/* The body's payloads: one (payload) or a list (payloads); NULL with the problem sent. */
static cJSON *watchapi_body(watchapi *wa, httpd_req *r, int *status, const cJSON **one, const cJSON **list)
{
    char boundary[HTTPBODY_BOUNDARY_MAX + 1];
    if (httpbody_media_type(httpd_header_get(r, "Content-Type"), boundary) != HTTPBODY_JSON) {
        *status =
            watchapi_problem(r, 415, "unsupported-media-type", "Unsupported Media Type",
                             "send application/json: {\"payload\": \"API1:...\"} or {\"payloads\": [...]}");
        return NULL;
    }
    size_t max = wa->cfg.max_body * WATCHAPI_BODY_FACTOR;
    uint8_t *body;
    size_t len;
    httpd_body b = httpd_read_body(r, max, &wa->texts, &body, &len);
    if (b != HTTPD_BODY_OK) {
        char detail[128];
        snprintf(detail, sizeof detail, "the body is larger than this service accepts here (%zu bytes)", max);
        *status = b == HTTPD_BODY_TOO_LARGE
                      ? watchapi_problem(r, 413, "body-too-large", "Content Too Large", detail)
                  : b == HTTPD_BODY_NOMEM ? watchapi_oom(r)
                                          : watchapi_problem(r, 400, "incomplete-body", "Bad Request",
                                                             "the body ended before its announced length, or "
                                                             "took too long to arrive");
        return NULL;
    }
    size_t at = 0;
    jsonscan_result s = jsonscan_check((const char *)body, len, WATCHAPI_JSON_DEPTH, WATCHAPI_MAX_LIST, &at);
    cJSON *j = s == JSONSCAN_OK ? cJSON_ParseWithLength((const char *)body, len) : NULL;
    free(body);
    if (s == JSONSCAN_TOO_MANY_MEMBERS) {
        *status = watchapi_problem(r, 413, "batch-too-large", "Content Too Large",
                                   "a list holds at most 1000 payloads; this one holds more");
        return NULL;
    }
    if (!j) {
        *status = watchapi_problem(r, 400, "malformed-json", "Bad Request",
                                   s == JSONSCAN_TOO_DEEP ? "the JSON body nests deeper than this API reads"
                                                          : "the body is not well-formed JSON");
        return NULL;
    }
    *one = cJSON_GetObjectItemCaseSensitive(j, "payload");
    *list = cJSON_GetObjectItemCaseSensitive(j, "payloads");
    int ok =
        cJSON_IsObject(j) && ((*one && cJSON_IsString(*one) && !*list) || (!*one && cJSON_IsArray(*list)));
    for (const cJSON *p = ok && *list ? (*list)->child : NULL; p && ok; p = p->next) ok = cJSON_IsString(p);
    if (!ok) {
        cJSON_Delete(j);
        *status =
            watchapi_problem(r, 400, "invalid-request", "Bad Request",
                             "expected {\"payload\": \"API1:...\"} or {\"payloads\": [\"API1:...\", ...]}");
        return NULL;
    }
    return j;
}

/* What a verification says to follow, when it may be followed (valid or suspended): 1, else 0. */
static int watchapi_target(const verify_result *res, watch_target *t)
{
    memset(t, 0, sizeof *t);
    if (!res->has_claims || (res->verdict != VERDICT_VALID && res->verdict != VERDICT_SUSPENDED)) return 0;
    t->iss = res->claims.iss;
    t->idx = res->claims.status_idx;
    t->cti = res->claims.cti;
    t->printed_end = res->claims.exp;
    t->effective_end = res->effective_exp;
    t->status = res->status_checked ? res->status : STATUS_VALID;
    return 1;
}

/* One result of a POST: its HTTP-like status, watch_id and report. */
static cJSON *watchapi_result(int status, const watch_added *a, cJSON *report)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) {
        cJSON_Delete(report);
        return NULL;
    }
    if (status == 200 || status == 201) {
        char id[WATCH_ID_TEXT];
        watch_id_format(id, a->id);
        cJSON_AddStringToObject(j, "watch_id", id);
    } else {
        cJSON_AddNullToObject(j, "watch_id");
    }
    cJSON_AddNumberToObject(j, "status", status);
    cJSON_AddBoolToObject(j, "followed", status == 200 || status == 201);
    if (!cJSON_AddItemToObject(j, "report", report)) {
        cJSON_Delete(report);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static int watchapi_item_status(int followable, const watch_added *a)
{
    if (!followable) return 422;
    if (a->err == API_ERR_FULL) return 429;
    return a->created ? 201 : 200;
}

static int watchapi_post(watchapi *wa, httpd_req *r, const webapi_who *who)
{
    int status = 0;
    const cJSON *one = NULL, *list = NULL;
    cJSON *j = watchapi_body(wa, r, &status, &one, &list);
    if (!j) return status;
    size_t n = one ? 1 : (size_t)cJSON_GetArraySize(list);
    fedview_trust *t = fedview_trust_get(wa->cfg.fv);
    if (!t) {
        cJSON_Delete(j);
        return httpd_problem(r, 503, "no-trust-list", "Service Unavailable",
                             "this verifier holds no trust list yet; it is syncing, try again later",
                             (const httpd_header[]){{"Retry-After", "5"}, {NULL, NULL}}, NULL);
    }
    verify_ctx ctx;
    webapi_verify_ctx(wa->cfg.api, &ctx, &t->tl);
    verify_result *res = malloc((n ? n : 1) * sizeof *res);
    watch_target *targets = calloc(n ? n : 1, sizeof *targets);
    watch_added *added = calloc(n ? n : 1, sizeof *added);
    int *followable = calloc(n ? n : 1, sizeof *followable);
    api_err e = res && targets && added && followable ? API_OK : API_ERR_NOMEM;
    size_t i = 0;
    for (const cJSON *p = one ? one : list->child; e == API_OK && p && i < n; p = one ? NULL : p->next, i++) {
        verify_qrtext(&res[i], &ctx, p->valuestring, strlen(p->valuestring));
        followable[i] = watchapi_target(&res[i], &targets[i]);
    }
    if (e == API_OK) e = watch_add(wa->cfg.r, who->rec.id, targets, n, ctx.now, wa->cfg.max_watch, added);
    cJSON *out = NULL;
    int any_new = 0;
    if (e == API_OK && one) {
        int st = watchapi_item_status(followable[0], &added[0]);
        cJSON *report = report_json(&res[0], &ctx, REPORT_FULL);
        if (st == 422 || st == 429) {
            cJSON *members = cJSON_CreateObject();
            if (members && report)
                cJSON_AddItemToObject(members, "report", report);
            else
                cJSON_Delete(report);
            status = st == 422
                         ? httpd_problem(r, 422, "not-followable", "Unprocessable Content",
                                         "only a valid or suspended attestation can be followed; the report "
                                         "says what this one is",
                                         NULL, members)
                         : httpd_problem(r, 429, "too-many-watches", "Too Many Requests",
                                         "this API key follows as many attestations as this verifier allows "
                                         "(--max-watch); stop following some first",
                                         NULL, members);
        } else {
            out = watchapi_result(st, &added[0], report);
            status = out ? watchapi_send(r, st, out) : watchapi_oom(r);
        }
    } else if (e == API_OK) {
        out = cJSON_CreateObject();
        cJSON *results = out ? cJSON_AddArrayToObject(out, "results") : NULL;
        int failed = !results;
        for (i = 0; i < n && !failed; i++) {
            int st = watchapi_item_status(followable[i], &added[i]);
            any_new |= st == 201;
            cJSON *item = watchapi_result(st, &added[i], report_json(&res[i], &ctx, REPORT_FULL));
            if (!item || !cJSON_AddItemToArray(results, item)) {
                cJSON_Delete(item);
                failed = 1;
            }
        }
        if (failed) {
            cJSON_Delete(out);
            status = watchapi_oom(r);
        } else {
            status = watchapi_send(r, any_new ? 201 : 200, out);
        }
    } else {
        status = watchapi_store_problem(r, e);
    }
    free(res);
    free(targets);
    free(added);
    free(followable);
    fedview_trust_put(t);
    cJSON_Delete(j);
    return status;
}

/* ---- GET /api/v1/watch, GET and DELETE /api/v1/watch/{id} ---- */

static int watchapi_list(watchapi *wa, httpd_req *r, const webapi_who *who)
{
    uint64_t limit, after = 0;
    char text[WATCH_ID_TEXT + 1];
    int got = httpd_query_get(r, "after", text, sizeof text);
    if (got != 0 && (got != 1 || watch_id_parse(&after, text) != 0))
        return watchapi_problem(r, 400, "invalid-parameter", "Bad Request",
                                "after: expected a watch_id (16 hexadecimal digits)");
    int status = watchapi_query_u64(r, "limit", 1, WATCHAPI_MAX_LIMIT, WATCHAPI_DEFAULT_LIMIT, &limit);
    if (status) return status;
    watch_record *recs = malloc((size_t)limit * sizeof *recs);
    if (!recs) return watchapi_oom(r);
    size_t n;
    int more;
    uint64_t count = 0;
    api_err e = watch_list(wa->cfg.r, who->rec.id, after, recs, (size_t)limit, &n, &more);
    if (e == API_OK) e = watch_count(wa->cfg.r, who->rec.id, &count);
    if (e != API_OK) {
        free(recs);
        return watchapi_store_problem(r, e);
    }
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = out ? cJSON_AddArrayToObject(out, "watches") : NULL;
    int failed = !arr;
    for (size_t i = 0; i < n && !failed; i++) {
        cJSON *one = watchapi_watch_json(&recs[i]);
        if (!one || !cJSON_AddItemToArray(arr, one)) {
            cJSON_Delete(one);
            failed = 1;
        }
    }
    if (!failed) {
        cJSON_AddNumberToObject(out, "total", (double)count);
        if (more && n > 0) {
            char id[WATCH_ID_TEXT];
            watch_id_format(id, recs[n - 1].id);
            cJSON_AddStringToObject(out, "next", id);
        } else {
            cJSON_AddNullToObject(out, "next");
        }
    }
    free(recs);
    if (failed) {
        cJSON_Delete(out);
        return watchapi_oom(r);
    }
    return watchapi_send(r, 200, out);
}

static int watchapi_one(watchapi *wa, httpd_req *r, const webapi_who *who)
{
    const char *path = httpd_path(r);
    const char *text = path + strlen("/api/v1/watch/");
    uint64_t id;
    if (watch_id_parse(&id, text) != 0)
        return watchapi_problem(r, 404, "not-found", "Not Found", "no watch of this API key has this id");
    int del = strcmp(httpd_method(r), "DELETE") == 0;
    watch_record w;
    api_err e = del ? watch_delete(wa->cfg.r, who->rec.id, id) : watch_get(wa->cfg.r, who->rec.id, id, &w);
    if (e == API_ERR_NOT_FOUND)
        return watchapi_problem(r, 404, "not-found", "Not Found", "no watch of this API key has this id");
    if (e != API_OK) return watchapi_store_problem(r, e);
    if (del) return httpd_send(r, 204, NULL, watchapi_no_store, NULL, 0);
    cJSON *j = watchapi_watch_json(&w);
    return j ? watchapi_send(r, 200, j) : watchapi_oom(r);
}

/* ---- GET /api/v1/changes ---- */

/* Parks until a notify, a second, or the deadline (monotonic ms); 0 when the service stops. */
static int watchapi_park(watchapi *wa, uint64_t *gen_seen, int64_t deadline_ms)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    int64_t until = deadline_ms < now_ms + 1000 ? deadline_ms : now_ms + 1000;
    struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000};
    pthread_mutex_lock(&wa->mu);
    while (!wa->stopping && wa->gen == *gen_seen) {
        int rc = pthread_cond_timedwait(&wa->cv, &wa->mu, &ts);
        if (rc == ETIMEDOUT) break;
    }
    *gen_seen = wa->gen;
    int go_on = !wa->stopping;
    pthread_mutex_unlock(&wa->mu);
    return go_on;
}

static int64_t watchapi_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int watchapi_changes(watchapi *wa, httpd_req *r, const webapi_who *who)
{
    uint64_t since, limit, wait;
    int status = watchapi_query_u64(r, "since", 0, UINT64_MAX - 1, 0, &since);
    if (!status)
        status = watchapi_query_u64(r, "limit", 1, WATCHAPI_MAX_LIMIT, WATCHAPI_DEFAULT_LIMIT, &limit);
    if (!status) status = watchapi_query_u64(r, "wait", 0, WATCHAPI_MAX_WAIT, 0, &wait);
    if (status) return status;
    watch_change *ch = malloc((size_t)limit * sizeof *ch);
    if (!ch) return watchapi_oom(r);
    size_t n = 0;
    uint64_t cursor = since;
    api_err e = watch_changes(wa->cfg.r, who->rec.id, since, ch, (size_t)limit, &n, &cursor);
    if (e == API_OK && n == 0 && wait > 0) {
        int parked = 0;
        pthread_mutex_lock(&wa->mu);
        uint64_t gen_seen = wa->gen;
        if (!wa->stopping && wa->parked < wa->cfg.max_parked) {
            wa->parked++;
            parked = 1;
        }
        pthread_mutex_unlock(&wa->mu);
        int64_t deadline = watchapi_monotonic_ms() + (int64_t)wait * 1000;
        uint64_t version = replica_version(wa->cfg.r);
        while (parked && e == API_OK && n == 0 && watchapi_monotonic_ms() < deadline &&
               !httpd_draining(wa->server)) {
            uint64_t gen_before = gen_seen;
            if (!watchapi_park(wa, &gen_seen, deadline)) break;
            uint64_t v = replica_version(wa->cfg.r);
            if (gen_seen == gen_before && v == version) continue;
            version = v;
            e = watch_changes(wa->cfg.r, who->rec.id, since, ch, (size_t)limit, &n, &cursor);
        }
        if (parked) {
            pthread_mutex_lock(&wa->mu);
            wa->parked--;
            pthread_mutex_unlock(&wa->mu);
        }
    }
    if (e != API_OK) {
        free(ch);
        return watchapi_store_problem(r, e);
    }
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = out ? cJSON_AddArrayToObject(out, "changes") : NULL;
    int failed = !arr;
    for (size_t i = 0; i < n && !failed; i++) {
        cJSON *one = watchapi_change_json(&ch[i]);
        if (!one || !cJSON_AddItemToArray(arr, one)) {
            cJSON_Delete(one);
            failed = 1;
        }
    }
    free(ch);
    char cur[24];
    snprintf(cur, sizeof cur, "%" PRIu64, cursor);
    if (failed || !cJSON_AddStringToObject(out, "cursor", cur)) {
        cJSON_Delete(out);
        return watchapi_oom(r);
    }
    return watchapi_send(r, 200, out);
}

/* ---- handlers ---- */

static int watchapi_h_watch(httpd_req *r, void *arg)
{
    watchapi *wa = arg;
    webapi_who who;
    int status = watchapi_admit(wa, r, &who);
    if (status) return status;
    return strcmp(httpd_method(r), "POST") == 0 ? watchapi_post(wa, r, &who) : watchapi_list(wa, r, &who);
}

static int watchapi_h_one(httpd_req *r, void *arg)
{
    watchapi *wa = arg;
    webapi_who who;
    int status = watchapi_admit(wa, r, &who);
    return status ? status : watchapi_one(wa, r, &who);
}

static int watchapi_h_changes(httpd_req *r, void *arg)
{
    watchapi *wa = arg;
    webapi_who who;
    int status = watchapi_admit(wa, r, &who);
    return status ? status : watchapi_changes(wa, r, &who);
}

api_err watchapi_register(watchapi *wa, httpd *h)
{
    if (!wa || !h) return API_ERR_ARG;
    wa->server = h;
    api_err e = httpd_route(h, "/api/v1/watch", HTTPD_BODY, "GET,POST", watchapi_h_watch, wa);
    if (e == API_OK) e = httpd_route(h, "/api/v1/watch/", HTTPD_PREFIX, "GET,DELETE", watchapi_h_one, wa);
    if (e == API_OK) e = httpd_route(h, "/api/v1/changes", 0, "GET", watchapi_h_changes, wa);
    return e;
}
