/*
 * adminapi.c: the issuance API (adminapi.h) on the server layer
 * (http/httpd.h), over the same functions as the command line: issuing
 * through issuance.c, status changes through statuschange.c, the registry
 * for reading. One prefix route, /api/v1/, and a dispatcher on the path.
 *
 * A request goes: the path and method (404, 405); the bearer token
 * (clients.h: 401, 429); the client's role (403); the body, bounded and
 * checked by jsonscan before cJSON sees it (413, 422); for a POST with an
 * Idempotency-Key, the store of first answers (idempotency.h: the same
 * answer again, 422 for another request under the same key); the action;
 * the answer; one line of the audit log. Answers that may be replayed are
 * built as text first (status, media type, body) and kept before they are
 * sent.
 *
 * Concurrency: the registry serialises its write transactions (LMDB); the
 * signing key is read-only once unlocked; the PDF renderer is not
 * thread-safe, so PDF contexts come from a small pool, one per request at
 * a time. Files are written under ISS/files/ (0700) and deleted by
 * adminapi_sweep after keep_files seconds.
 *
 * This file must not log holder data: the audit log gets the client, the
 * action, the id and the status; stderr gets ids and reasons only.
 */
#include "issuer/adminapi.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/fs.h"
#include "common/jsonscan.h"
#include "common/time.h"
#include "issuer/holder.h"
#include "issuer/issuance.h"
#include "issuer/statuschange.h"
#include "qr/qrtext.h"
#include "qr/status.h"

#define ADMINAPI_PREFIX   "/api/v1/"
#define ADMINAPI_PDF_POOL 16
#define ADMINAPI_ID_LEN   (2 * CLAIMS_CTI_LEN)

struct adminapi {
    adminapi_config cfg;
    char files[4096]; /* ISS/files */
    idempotency *idem;
    httpd_budget budget;
    pthread_mutex_t pool_lock;
    pdf_ctx *pool[ADMINAPI_PDF_POOL];
    size_t pooled;
    int pdf; /* PDF files asked for */
    int64_t last_sweep_files, last_sweep_idem;
};

/* An answer built before it is sent (and kept, for an Idempotency-Key). */
typedef struct {
    int status;
    char *body; /* malloc'd JSON text */
    size_t len;
    const char *retry_after; /* a header for 503s; not kept */
} adminapi_answer;

/* What the audit log says of one request. */
typedef struct {
    const char *action;
    char id[ADMINAPI_ID_LEN + 1];
    client_info who;
    int known; /* who is set */
} adminapi_call;

/* ---- PDF contexts ---- */

static pdf_ctx *adminapi_pdf_take(adminapi *a)
{
    if (!a->pdf) return NULL;
    pdf_ctx *ctx = NULL;
    pthread_mutex_lock(&a->pool_lock);
    if (a->pooled) ctx = a->pool[--a->pooled];
    pthread_mutex_unlock(&a->pool_lock);
    if (!ctx && pdf_ctx_new(&ctx) != API_OK) ctx = NULL;
    return ctx;
}

static void adminapi_pdf_give(adminapi *a, pdf_ctx *ctx)
{
    if (!ctx) return;
    pthread_mutex_lock(&a->pool_lock);
    if (a->pooled < ADMINAPI_PDF_POOL) {
        a->pool[a->pooled++] = ctx;
        ctx = NULL;
    }
    pthread_mutex_unlock(&a->pool_lock);
    pdf_ctx_free(ctx);
}

/* ---- answers ---- */

static void adminapi_answer_json(adminapi_answer *ans, int status, cJSON *body)
{
    ans->status = status;
    ans->body = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (!ans->body) {
        ans->status = 500;
        ans->body =
            strdup("{\"type\":\"/problems/internal\",\"title\":\"Internal Server Error\",\"status\":500,"
                   "\"detail\":\"out of memory\"}");
    }
    ans->len = ans->body ? strlen(ans->body) : 0;
}

/* A problem as text, the members httpd_problem writes. */
static void adminapi_answer_problem(adminapi_answer *ans, int status, const char *slug, const char *title,
                                    const char *detail)
{
    char type[96];
    snprintf(type, sizeof type, "/problems/%s", slug);
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddStringToObject(o, "type", type);
        cJSON_AddStringToObject(o, "title", title);
        cJSON_AddNumberToObject(o, "status", status);
        cJSON_AddStringToObject(o, "detail", detail);
    }
    adminapi_answer_json(ans, status, o);
}

static void adminapi_invalid(adminapi_answer *ans, const char *detail)
{
    adminapi_answer_problem(ans, 422, "invalid-body", "Unprocessable Content", detail);
}

static int adminapi_send(httpd_req *r, const adminapi_answer *ans)
{
    int problem = ans->status >= 400;
    httpd_header h[] = {{"Cache-Control", "no-store"},
                        {ans->retry_after ? "Retry-After" : NULL, ans->retry_after},
                        {NULL, NULL}};
    return httpd_send(r, ans->status, problem ? "application/problem+json" : "application/json", h, ans->body,
                      ans->len);
}

/* ---- reading ---- */

static const char *adminapi_date(char out[11], int64_t t)
{
    time_paris_date(out, t);
    return out;
}

/* The attestation as the list shows it: id, status, dates. */
static cJSON *adminapi_entry_json(const registry_entry *e)
{
    char id[ADMINAPI_ID_LEN + 1], d[11];
    claims_cti_hex(id, e->cti);
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "status", status_name(e->status));
    cJSON_AddStringToObject(o, "valid_from", adminapi_date(d, e->nbf));
    cJSON_AddStringToObject(o, "valid_until", adminapi_date(d, e->exp));
    cJSON_AddStringToObject(o, "effective_until", adminapi_date(d, registry_effective_exp(e)));
    cJSON_AddBoolToObject(o, "extended", e->extended_until > e->exp);
    return o;
}

static int adminapi_history_one(void *arg, const feed_event *ev)
{
    cJSON *list = arg;
    char when[21];
    time_format_utc(when, ev->time);
    cJSON *o = cJSON_CreateObject();
    if (!o) return 1;
    cJSON_AddNumberToObject(o, "seq", (double)ev->seq);
    cJSON_AddStringToObject(o, "at", when);
    if (ev->kind == FEED_EVENT_EXTENSION) {
        char d[11];
        cJSON_AddStringToObject(o, "event", "extension");
        cJSON_AddStringToObject(o, "until", adminapi_date(d, ev->value));
    } else {
        cJSON_AddStringToObject(o, "event", "status");
        cJSON_AddStringToObject(o, "status",
                                ev->value >= 0 && ev->value < STATUS_COUNT ? status_name((unsigned)ev->value)
                                                                           : "unknown");
    }
    cJSON_AddItemToArray(list, o);
    return 0;
}

/* The attestation with its index, issue time and history (and given_back, when not NULL), into ans. */
static void adminapi_attestation(adminapi *a, adminapi_answer *ans, int status,
                                 const uint8_t cti[CLAIMS_CTI_LEN], const char *given_back)
{
    registry_entry e;
    api_err err = registry_get(a->cfg.reg, cti, &e);
    if (err == API_ERR_NOT_FOUND) {
        adminapi_answer_problem(ans, 404, "not-found", "Not Found",
                                "no attestation with that id in this registry");
        return;
    }
    cJSON *o = err == API_OK ? adminapi_entry_json(&e) : NULL;
    cJSON *history = o ? cJSON_AddArrayToObject(o, "history") : NULL;
    if (!history || registry_history(a->cfg.reg, e.idx, adminapi_history_one, history) != API_OK) {
        cJSON_Delete(o);
        adminapi_answer_problem(ans, 503, "unavailable", "Service Unavailable",
                                "the registry could not be read");
        ans->retry_after = "1";
        return;
    }
    char when[21];
    time_format_utc(when, e.iat);
    cJSON_AddNumberToObject(o, "index", e.idx);
    cJSON_AddStringToObject(o, "issued_at", when);
    if (given_back) cJSON_AddStringToObject(o, "given_back", given_back);
    adminapi_answer_json(ans, status, o);
}

/* ---- issuing ---- */

static int adminapi_want(const adminapi *a, const char *format)
{
    return issuance_want(a->cfg.formats, format);
}

/* The 201 body of one attestation. */
static cJSON *adminapi_created_json(const adminapi *a, const issuance_result *res, const char *replaced)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "id", res->id);
    cJSON_AddStringToObject(o, "qr_text", res->qr);
    if (res->card[0]) cJSON_AddStringToObject(o, "card_text", res->card);
    if (a->cfg.holder_base && res->card[0]) {
        char link[3 * ISSUANCE_QR_MAX + 600];
        if (issuance_holder_link(link, sizeof link, a->cfg.holder_base, res->card) == 0)
            cJSON_AddStringToObject(o, "holder_url", link);
        sodium_memzero(link, sizeof link);
    }
    cJSON *files = cJSON_AddObjectToObject(o, "files");
    static const char *const formats[] = {"png", "svg", "pdf"};
    for (size_t i = 0; files && i < 3; i++) {
        if (!adminapi_want(a, formats[i])) continue;
        char link[96];
        snprintf(link, sizeof link, ADMINAPI_PREFIX "attestations/%s.%s", res->id, formats[i]);
        cJSON_AddStringToObject(files, formats[i], link);
    }
    if (replaced) cJSON_AddStringToObject(o, "replaced", replaced);
    return o;
}

/* An issuance_out for ISS/files, with a PDF context from the pool (give it back after). */
static issuance_out adminapi_out(adminapi *a, pdf_ctx *pdf)
{
    issuance_out out = {.out = a->files,
                        .formats = a->cfg.formats,
                        .render = a->cfg.render,
                        .holder_base = a->cfg.holder_base,
                        .pdf = pdf,
                        .pdf_files = pdf != NULL,
                        .issuer_name = a->cfg.cfg->name,
                        .verify_base = a->cfg.cfg->verify_base};
    return out;
}

/*
 * One holder object (a cJSON item of a body already checked) into c: 0, or
 * -1 with err "field: message". The object is printed back to text for the
 * holder parser, the one parser of holder data; the text is wiped after.
 */
static int adminapi_holder(api_claims *c, const cJSON *item, char *err, size_t cap)
{
    if (!cJSON_IsObject(item)) {
        snprintf(err, cap, "json: expected a holder object");
        return -1;
    }
    char *text = cJSON_PrintUnformatted(item);
    if (!text) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    size_t len = strlen(text);
    api_err e = holder_from_json(c, err, cap, text, len);
    sodium_memzero(text, len);
    free(text);
    return e == API_OK ? 0 : -1;
}

/* Whether the text can be given to cJSON (jsonscan): 0, or -1 with ans set. */
static int adminapi_scan(adminapi_answer *ans, const uint8_t *body, size_t len, size_t members)
{
    size_t at = 0;
    jsonscan_result jr = jsonscan_check((const char *)body, len, 4, members, &at);
    if (jr == JSONSCAN_OK) return 0;
    char detail[128];
    snprintf(detail, sizeof detail, "json: %s at byte %zu", jsonscan_strerror(jr), at);
    adminapi_invalid(ans, detail);
    return -1;
}

/*
 * The body as a JSON object of at most members members (adminapi_scan,
 * then cJSON), for the caller to cJSON_Delete; or NULL with ans set (the
 * detail expected when it is JSON but not an object).
 */
static cJSON *adminapi_object(adminapi_answer *ans, const uint8_t *body, size_t len, size_t members,
                              const char *expected)
{
    if (adminapi_scan(ans, body, len, members) != 0) return NULL;
    cJSON *root = cJSON_ParseWithLength((const char *)body, len);
    if (cJSON_IsObject(root)) return root;
    cJSON_Delete(root);
    adminapi_invalid(ans, expected);
    return NULL;
}

static void adminapi_issue_failed(adminapi_answer *ans, api_err e, const char *why)
{
    if (e == API_ERR_FULL)
        adminapi_answer_problem(ans, 409, "status-list-full", "Conflict",
                                "the status list of this issuer is full (2^21 attestations)");
    else if (e == API_ERR_NOT_FOUND)
        adminapi_invalid(ans, "replaces: no attestation with that id in this registry");
    else if (e == API_ERR_FORBIDDEN) {
        char detail[300];
        snprintf(detail, sizeof detail, "replaces: %s", strncmp(why, "--replaces: ", 12) ? why : why + 12);
        adminapi_answer_problem(ans, 409, "forbidden-transition", "Conflict", detail);
    } else {
        adminapi_answer_problem(ans, 503, "unavailable", "Service Unavailable",
                                "the attestation could not be registered");
        ans->retry_after = "1";
    }
}

static void adminapi_create(adminapi *a, adminapi_answer *ans, adminapi_call *call, const uint8_t *body,
                            size_t len)
{
    cJSON *root = adminapi_object(ans, body, len, 64, "json: expected a holder object");
    if (!root) return;
    uint8_t replaces[CLAIMS_CTI_LEN];
    char replaced[ADMINAPI_ID_LEN + 1] = "";
    cJSON *rep = cJSON_DetachItemFromObjectCaseSensitive(root, "replaces");
    int bad_replaces = rep && !cJSON_IsNull(rep) &&
                       (!cJSON_IsString(rep) || claims_cti_parse(replaces, rep->valuestring) != 0);
    if (rep && cJSON_IsString(rep) && !bad_replaces) claims_cti_hex(replaced, replaces);
    cJSON_Delete(rep);
    if (bad_replaces) {
        cJSON_Delete(root);
        adminapi_invalid(ans, "replaces: expected the 24 hexadecimal characters of an id");
        return;
    }
    api_claims c;
    char err[512];
    int rc = adminapi_holder(&c, root, err, sizeof err);
    cJSON_Delete(root);
    if (rc != 0) {
        adminapi_invalid(ans, err);
        return;
    }
    pdf_ctx *pdf = adminapi_pdf_take(a);
    if (a->pdf && !pdf) {
        sodium_memzero(&c, sizeof c);
        adminapi_answer_problem(ans, 503, "unavailable", "Service Unavailable", "cannot prepare the PDF");
        ans->retry_after = "1";
        return;
    }
    rc = issuance_printable(pdf, &c, a->cfg.cfg->name, a->cfg.cfg->verify_base, err, sizeof err);
    if (rc != 0) {
        adminapi_pdf_give(a, pdf);
        sodium_memzero(&c, sizeof c);
        if (rc == -1)
            adminapi_invalid(ans, err);
        else
            adminapi_answer_problem(ans, 500, "internal", "Internal Server Error",
                                    rc == -2 ? err : "out of memory");
        return;
    }
    registry_entry entry;
    char why[256] = "";
    int64_t now = cli_now();
    api_err e = issuance_register(a->cfg.reg, a->cfg.key, &c, &entry, 1, replaced[0] ? replaces : NULL, now,
                                  why, sizeof why);
    if (e != API_OK) {
        adminapi_pdf_give(a, pdf);
        sodium_memzero(&c, sizeof c);
        adminapi_issue_failed(ans, e, why);
        return;
    }
    issuance_result *res = sodium_malloc(sizeof *res);
    issuance_out out = adminapi_out(a, pdf);
    rc = res ? issuance_sign_write(res, &out, &c, &entry, a->cfg.cfg, a->cfg.key, now) : -1;
    adminapi_pdf_give(a, pdf);
    sodium_memzero(&c, sizeof c);
    claims_cti_hex(call->id, entry.cti);
    if (rc != 0) {
        adminapi_answer_problem(ans, 500, "issue-failed", "Internal Server Error",
                                "the attestation was registered but could not be signed or written");
    } else {
        adminapi_answer_json(ans, 201, adminapi_created_json(a, res, replaced[0] ? replaced : NULL));
    }
    if (res) sodium_free(res);
}

static void adminapi_batch(adminapi *a, adminapi_answer *ans, const uint8_t *body, size_t len)
{
    if (adminapi_scan(ans, body, len, ADMINAPI_BATCH_MAX) != 0) {
        size_t at = 0;
        if (jsonscan_check((const char *)body, len, 4, ADMINAPI_BATCH_MAX, &at) ==
            JSONSCAN_TOO_MANY_MEMBERS) {
            free(ans->body);
            adminapi_invalid(ans, "json: at most 1000 holder objects in a batch");
        }
        return;
    }
    cJSON *root = cJSON_ParseWithLength((const char *)body, len);
    if (!cJSON_IsArray(root) || cJSON_GetArraySize(root) == 0) {
        cJSON_Delete(root);
        adminapi_invalid(ans, "json: expected an array of 1 to 1000 holder objects");
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(root);
    api_claims *claims = sodium_allocarray(n, sizeof *claims);
    registry_entry *entries = calloc(n, sizeof *entries);
    size_t *row = calloc(n, sizeof *row); /* the input index of each good object */
    char **errors = calloc(n, sizeof *errors);
    cJSON *results = cJSON_CreateArray();
    pdf_ctx *pdf = adminapi_pdf_take(a);
    if (!claims || !entries || !row || !errors || !results || (a->pdf && !pdf)) {
        adminapi_answer_problem(ans, 503, "unavailable", "Service Unavailable", "out of memory");
        ans->retry_after = "1";
        goto done;
    }
    size_t good = 0, i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        char err[512];
        int rc = adminapi_holder(&claims[good], item, err, sizeof err);
        if (rc == 0) {
            rc = issuance_printable(pdf, &claims[good], a->cfg.cfg->name, a->cfg.cfg->verify_base, err,
                                    sizeof err);
            if (rc != 0) sodium_memzero(&claims[good], sizeof claims[good]);
        }
        if (rc == 0)
            row[good++] = i;
        else
            errors[i] = strdup(err);
        i++;
    }
    int64_t now = cli_now();
    char why[256] = "";
    api_err e =
        good ? issuance_register(a->cfg.reg, a->cfg.key, claims, entries, good, NULL, now, why, sizeof why)
             : API_OK;
    if (e != API_OK) {
        adminapi_issue_failed(ans, e, why);
        goto done;
    }
    issuance_result *res = sodium_malloc(sizeof *res);
    issuance_out out = adminapi_out(a, pdf);
    size_t created = 0, next = 0;
    for (i = 0; i < n; i++) {
        cJSON *o;
        if (next < good && row[next] == i) {
            int rc = res ? issuance_sign_write(res, &out, &claims[next], &entries[next], a->cfg.cfg,
                                               a->cfg.key, now)
                         : -1;
            if (rc == 0) {
                o = adminapi_created_json(a, res, NULL);
                if (o) cJSON_AddNumberToObject(o, "status", 201);
                created++;
            } else {
                char id[ADMINAPI_ID_LEN + 1];
                claims_cti_hex(id, entries[next].cti);
                o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "id", id);
                cJSON_AddNumberToObject(o, "status", 500);
                cJSON_AddStringToObject(o, "error", "registered but could not be signed or written");
            }
            next++;
        } else {
            o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "status", 422);
            cJSON_AddStringToObject(o, "error", errors[i] ? errors[i] : "out of memory");
        }
        if (o) cJSON_AddNumberToObject(o, "index", (double)i);
        cJSON_AddItemToArray(results, o);
    }
    if (res) sodium_free(res);
    cJSON *top = cJSON_CreateObject();
    if (top) {
        cJSON_AddNumberToObject(top, "created", (double)created);
        cJSON_AddNumberToObject(top, "rejected", (double)(n - good));
        cJSON_AddNumberToObject(top, "failed", (double)(good - created));
        cJSON_AddItemToObject(top, "results", results);
        results = NULL;
    }
    adminapi_answer_json(ans, 200, top);
done:
    adminapi_pdf_give(a, pdf);
    cJSON_Delete(results);
    cJSON_Delete(root);
    if (claims) sodium_free(claims);
    free(entries);
    free(row);
    for (i = 0; errors && i < n; i++) free(errors[i]);
    free(errors);
}

/* ---- status changes ---- */

/* The members a change's body must have: its one word, or none. */
static void adminapi_change(adminapi *a, adminapi_answer *ans, statuschange_action act,
                            const uint8_t cti[CLAIMS_CTI_LEN], const uint8_t *body, size_t len)
{
    static const char *const member[STATUSCHANGE_COUNT] = {
        [STATUSCHANGE_REVOKE] = "reason",
        [STATUSCHANGE_SUPERSEDE] = "decision",
        [STATUSCHANGE_EXTEND] = "until",
    };
    const char *want = member[act];
    cJSON *root = NULL;
    int blank = 1;
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n", body[i])) blank = 0;
    if (!blank && !(root = adminapi_object(ans, body, len, 8, "json: expected an object"))) return;
    const char *value = NULL;
    char detail[200];
    const cJSON *m;
    cJSON_ArrayForEach(m, root)
    {
        if (!want || strcmp(m->string, want) || value) {
            snprintf(detail, sizeof detail, "%.64s: not a member of this request", m->string);
            cJSON_Delete(root);
            adminapi_invalid(ans, detail);
            return;
        }
        if (!cJSON_IsString(m)) {
            snprintf(detail, sizeof detail, "%s: expected a string", want);
            cJSON_Delete(root);
            adminapi_invalid(ans, detail);
            return;
        }
        value = m->valuestring;
    }
    unsigned reason = REGISTRY_REASON_NONE;
    int64_t until = 0;
    const char *words = statuschange_reason_words(act);
    if (want && !value) {
        snprintf(detail, sizeof detail, "%s: required", want);
    } else if (words && statuschange_reason_parse(act, value, &reason) != 0) {
        snprintf(detail, sizeof detail, "%s: expected %s", want, words);
        value = NULL;
    } else if (act == STATUSCHANGE_EXTEND) {
        int y, mo, d;
        if (time_parse_date(&y, &mo, &d, value) != 0) {
            snprintf(detail, sizeof detail, "until: expected a date YYYY-MM-DD");
            value = NULL;
        } else {
            until = time_paris_end_of_day(y, mo, d);
        }
    }
    int invalid = want && !value;
    cJSON_Delete(root);
    if (invalid) {
        adminapi_invalid(ans, detail);
        return;
    }
    char why[256] = "", done[64] = "";
    api_err e = statuschange_apply(a->cfg.reg, cti, act, reason, until, cli_now(), why, sizeof why, done,
                                   sizeof done);
    if (e == API_ERR_NOT_FOUND)
        adminapi_answer_problem(ans, 404, "not-found", "Not Found",
                                "no attestation with that id in this registry");
    else if (e != API_OK && cli_code_for(e) == CLI_USAGE)
        adminapi_answer_problem(ans, 409, "forbidden-transition", "Conflict", why[0] ? why : api_strerror(e));
    else if (e != API_OK) {
        adminapi_answer_problem(ans, 503, "unavailable", "Service Unavailable",
                                "the registry could not be written");
        ans->retry_after = "1";
    } else
        adminapi_attestation(a, ans, 200, cti, NULL);
}

/* ---- giving an attestation back after a restore ---- */

/* {"qr_text": "API1:..."}: the attestation given back to the registry (issuance_adopt). */
static void adminapi_adopt(adminapi *a, adminapi_answer *ans, const uint8_t *body, size_t len)
{
    cJSON *root = adminapi_object(ans, body, len, 8, "json: expected an object {\"qr_text\": \"API1:...\"}");
    if (!root) return;
    char detail[160] = "";
    const cJSON *m, *qr = NULL;
    cJSON_ArrayForEach(m, root)
    {
        if (!strcmp(m->string, "qr_text") && !qr)
            qr = m;
        else if (!detail[0])
            snprintf(detail, sizeof detail, "%.64s: not a member of this request", m->string);
    }
    if (!detail[0] && !qr) snprintf(detail, sizeof detail, "qr_text: required");
    if (!detail[0] && (!cJSON_IsString(qr) || strlen(qr->valuestring) > QRTEXT_MAX_TEXT))
        snprintf(detail, sizeof detail, "qr_text: expected the QR text of an attestation (a string)");
    if (detail[0]) {
        cJSON_Delete(root);
        adminapi_invalid(ans, detail);
        return;
    }
    uint8_t cti[CLAIMS_CTI_LEN];
    registry_adoption how;
    char why[200] = "";
    api_err e = issuance_adopt(a->cfg.reg, a->cfg.dir, a->cfg.cfg, qr->valuestring, cli_now(), cti, &how, why,
                               sizeof why);
    sodium_memzero(qr->valuestring, strlen(qr->valuestring));
    cJSON_Delete(root);
    if (e == API_ERR_ARG)
        adminapi_answer_problem(ans, 422, "invalid-qr-text", "Unprocessable Content", why);
    else if (e == API_ERR_EXISTS)
        adminapi_answer_problem(ans, 409, "conflict", "Conflict", why);
    else if (e != API_OK) {
        adminapi_answer_problem(ans, 503, "unavailable", "Service Unavailable",
                                "the registry could not be written");
        ans->retry_after = "1";
    } else
        adminapi_attestation(a, ans, 200, cti,
                             how == REGISTRY_ADOPT_ALREADY     ? "already"
                             : how == REGISTRY_ADOPT_RECOVERED ? "published-status"
                                                               : "never-changed");
}

/* A duration of the body of renew-pending, or its default: 0, or -1 with detail set. */
static int adminapi_duration(time_duration *d, const cJSON *root, const char *name, const char *dflt,
                             char *detail, size_t cap)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, name);
    const char *v = m ? (cJSON_IsString(m) ? m->valuestring : "") : dflt;
    if (time_parse_duration(d, v) != 0 || d->unit == 'h' || d->unit == 's') {
        snprintf(detail, cap, "%s: expected a duration such as 15d, 2w or 3m", name);
        return -1;
    }
    return 0;
}

static void adminapi_renew(adminapi *a, adminapi_answer *ans, const uint8_t *body, size_t len)
{
    cJSON *root = NULL;
    int blank = 1;
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n", body[i])) blank = 0;
    if (!blank && !(root = adminapi_object(ans, body, len, 8, "json: expected an object"))) return;
    char detail[160] = "";
    const cJSON *m;
    cJSON_ArrayForEach(m, root) if (strcmp(m->string, "expiring_within") && strcmp(m->string, "by"))
        snprintf(detail, sizeof detail, "%.64s: not a member of this request", m->string);
    time_duration within = {15, 'd'}, by = {3, 'm'};
    if (!detail[0] && adminapi_duration(&within, root, "expiring_within", "15d", detail, sizeof detail) == 0)
        adminapi_duration(&by, root, "by", "3m", detail, sizeof detail);
    cJSON_Delete(root);
    if (!detail[0] && !statuschange_renew_by_valid(by))
        snprintf(detail, sizeof detail, "by: at most three months at a time (CESEDA R. 431-15-1)");
    if (detail[0]) {
        adminapi_invalid(ans, detail);
        return;
    }
    char *log = NULL;
    size_t loglen = 0, renewed = 0;
    FILE *f = open_memstream(&log, &loglen);
    api_err e = f ? registry_renew_pending(a->cfg.reg, cli_now(), within, by, &renewed, f) : API_ERR_NOMEM;
    if (f) fclose(f);
    if (e != API_OK) {
        free(log);
        adminapi_answer_problem(ans, 503, "unavailable", "Service Unavailable",
                                "renewal failed, nothing was changed");
        ans->retry_after = "1";
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *list = o ? cJSON_AddArrayToObject(o, "attestations") : NULL;
    if (o) cJSON_AddNumberToObject(o, "renewed", (double)renewed);
    /* The registry's lines: "<id>  extended until YYYY-MM-DD". */
    for (char *line = log, *nl; list && line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        char id[ADMINAPI_ID_LEN + 1], until[11];
        if (sscanf(line, "%24s extended until %10s", id, until) != 2) continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "id", id);
        cJSON_AddStringToObject(x, "effective_until", until);
        cJSON_AddItemToArray(list, x);
    }
    free(log);
    adminapi_answer_json(ans, 200, o);
}

/* ---- the list ---- */

typedef struct {
    int status;      /* -1: any */
    int64_t horizon; /* 0: any */
    size_t limit, n;
    cJSON *items;
    int more;
    char last[ADMINAPI_ID_LEN + 1];
} adminapi_list;

static int adminapi_list_one(void *arg, const registry_entry *e)
{
    adminapi_list *l = arg;
    if (l->status >= 0 && (int)e->status != l->status) return 0;
    if (l->horizon && (registry_effective_exp(e) > l->horizon || !status_extendable(e->status))) return 0;
    if (l->n == l->limit) {
        l->more = 1;
        return 1;
    }
    cJSON_AddItemToArray(l->items, adminapi_entry_json(e));
    claims_cti_hex(l->last, e->cti);
    l->n++;
    return 0;
}

static int adminapi_list_get(adminapi *a, httpd_req *r, adminapi_answer *ans)
{
    adminapi_list l = {.status = -1, .limit = ADMINAPI_LIST_DEFAULT};
    char v[64];
    int has = httpd_query_get(r, "status", v, sizeof v);
    unsigned s;
    if (has < 0 || (has > 0 && status_parse(&s, v) != 0)) {
        adminapi_answer_problem(ans, 400, "invalid-parameter", "Bad Request",
                                "status: expected valid, revoked, suspended or superseded");
        return 0;
    }
    if (has > 0) l.status = (int)s;
    has = httpd_query_get(r, "expiring-within", v, sizeof v);
    time_duration d;
    if (has < 0 || (has > 0 && (time_parse_duration(&d, v) != 0 || d.unit == 'h' || d.unit == 's'))) {
        adminapi_answer_problem(ans, 400, "invalid-parameter", "Bad Request",
                                "expiring-within: expected a duration such as 15d, 2w or 3m");
        return 0;
    }
    if (has > 0) l.horizon = time_add_duration(cli_now(), d);
    has = httpd_query_get(r, "limit", v, sizeof v);
    if (has != 0) {
        char *end;
        long n = has > 0 ? strtol(v, &end, 10) : 0;
        if (has < 0 || !v[0] || *end || n < 1 || n > ADMINAPI_LIST_MAX) {
            adminapi_answer_problem(ans, 400, "invalid-parameter", "Bad Request",
                                    "limit: expected 1 to 1000");
            return 0;
        }
        l.limit = (size_t)n;
    }
    uint8_t after[CLAIMS_CTI_LEN];
    has = httpd_query_get(r, "cursor", v, sizeof v);
    if (has < 0 || (has > 0 && claims_cti_parse(after, v) != 0)) {
        adminapi_answer_problem(ans, 400, "invalid-parameter", "Bad Request",
                                "cursor: expected the next_cursor of the previous page");
        return 0;
    }
    cJSON *o = cJSON_CreateObject();
    l.items = o ? cJSON_AddArrayToObject(o, "attestations") : NULL;
    if (!l.items ||
        registry_foreach_after(a->cfg.reg, has > 0 ? after : NULL, adminapi_list_one, &l) != API_OK) {
        cJSON_Delete(o);
        adminapi_answer_problem(ans, 503, "unavailable", "Service Unavailable",
                                "the registry could not be read");
        ans->retry_after = "1";
        return 0;
    }
    if (l.more)
        cJSON_AddStringToObject(o, "next_cursor", l.last);
    else
        cJSON_AddNullToObject(o, "next_cursor");
    adminapi_answer_json(ans, 200, o);
    return 0;
}

/* ---- files ---- */

static int adminapi_file(adminapi *a, httpd_req *r, const char *id, const char *ext)
{
    static const struct {
        const char *ext, *ctype;
    } types[] = {{"png", "image/png"}, {"svg", "image/svg+xml"}, {"pdf", "application/pdf"}};
    const char *ctype = NULL;
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(ext, types[i].ext)) ctype = types[i].ctype;
    char name[64], path[4200];
    snprintf(name, sizeof name, "%s.%s", id, ext);
    uint8_t *data = NULL;
    size_t len = 0;
    if (!ctype || fs_join(path, sizeof path, a->files, name) != 0 ||
        fs_read_file(&data, &len, path, 64u << 20) != API_OK) {
        char detail[160];
        snprintf(detail, sizeof detail, "no such file is kept: files are kept %lld hours after issue",
                 (long long)(a->cfg.keep_files / 3600));
        return httpd_problem(r, 404, "not-found", "Not Found", detail, NULL, NULL);
    }
    httpd_header h[] = {{"Cache-Control", "no-store"}, {NULL, NULL}};
    int status = httpd_send(r, 200, ctype, h, data, len);
    sodium_memzero(data, len);
    free(data);
    return status;
}

/* ---- the dispatcher ---- */

/* adminapi_route_parse, but id and rest may be left set for ROUTE_NONE. */
static adminapi_route adminapi_route_shape(const char *path, uint8_t cti[CLAIMS_CTI_LEN],
                                           char id[ADMINAPI_ID_LEN + 1], const char **rest)
{
    if (strnlen(path, HTTPD_PATH_MAX + 1) > HTTPD_PATH_MAX) return ROUTE_NONE;
    static const char coll[] = ADMINAPI_PREFIX "attestations";
    if (!strcmp(path, coll)) return ROUTE_COLLECTION;
    if (!strcmp(path, ADMINAPI_PREFIX "attestations/batch")) return ROUTE_BATCH;
    if (!strcmp(path, ADMINAPI_PREFIX "renew-pending")) return ROUTE_RENEW;
    if (!strcmp(path, ADMINAPI_PREFIX "attestations/adopt")) return ROUTE_ADOPT;
    if (strncmp(path, coll, sizeof coll - 1) || path[sizeof coll - 1] != '/') return ROUTE_NONE;
    const char *p = path + sizeof coll;
    if (strnlen(p, ADMINAPI_ID_LEN) < ADMINAPI_ID_LEN) return ROUTE_NONE;
    for (size_t i = 0; i < ADMINAPI_ID_LEN; i++)
        if (!strchr("0123456789abcdefABCDEF", p[i])) return ROUTE_NONE;
    memcpy(id, p, ADMINAPI_ID_LEN);
    id[ADMINAPI_ID_LEN] = '\0';
    if (claims_cti_parse(cti, id) != 0) return ROUTE_NONE;
    claims_cti_hex(id, cti); /* lower case, as the registry writes it */
    *rest = p + ADMINAPI_ID_LEN;
    if (!**rest) return ROUTE_ONE;
    if (**rest == '.') {
        (*rest)++;
        return ROUTE_FILE;
    }
    if (**rest == '/') {
        statuschange_action act;
        (*rest)++;
        return statuschange_action_parse(&act, *rest) == 0 ? ROUTE_CHANGE : ROUTE_NONE;
    }
    return ROUTE_NONE;
}

adminapi_route adminapi_route_parse(const char *path, uint8_t cti[CLAIMS_CTI_LEN],
                                    char id[ADMINAPI_ID_LEN + 1], const char **rest)
{
    *rest = "";
    id[0] = '\0';
    adminapi_route route = path ? adminapi_route_shape(path, cti, id, rest) : ROUTE_NONE;
    if (route == ROUTE_NONE || route == ROUTE_COLLECTION || route == ROUTE_BATCH || route == ROUTE_RENEW ||
        route == ROUTE_ADOPT) {
        *rest = ""; /* nothing of a path that is not an attestation's is kept (the audit log writes id) */
        id[0] = '\0';
    }
    return route;
}

/* Milliseconds since the epoch, the clock of the clients' rates and expiries. */
static int64_t adminapi_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The bearer token: CLIENTS_OK with who, else the problem sent. */
static int adminapi_authenticate(adminapi *a, httpd_req *r, adminapi_call *call, int *status)
{
    const char *auth = httpd_header_get(r, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7)) {
        httpd_header h[] = {{"WWW-Authenticate", "Bearer realm=\"api-issuer\""}, {NULL, NULL}};
        *status = httpd_problem(r, 401, "unauthorized", "Unauthorized",
                                "this API needs a client's token: Authorization: Bearer TOKEN", h, NULL);
        return -1;
    }
    const char *token = auth + 7;
    while (*token == ' ') token++;
    clients_result cr =
        clients_authenticate(a->cfg.clients, token, strnlen(token, 256), adminapi_now_ms(), &call->who);
    if (cr == CLIENTS_OK) {
        call->known = 1;
        return 0;
    }
    if (cr == CLIENTS_RATE) {
        call->known = 1;
        char after[16];
        snprintf(after, sizeof after, "%u", call->who.retry_after ? call->who.retry_after : 1);
        httpd_header h[] = {{"Retry-After", after}, {NULL, NULL}};
        *status =
            httpd_problem(r, 429, "rate-limited", "Too Many Requests",
                          "this client sent more requests than its rate allows; try again later", h, NULL);
        return -1;
    }
    if (cr == CLIENTS_ERROR) {
        httpd_header h[] = {{"Retry-After", "1"}, {NULL, NULL}};
        *status = httpd_problem(r, 503, "unavailable", "Service Unavailable",
                                "the client store could not be read", h, NULL);
        return -1;
    }
    httpd_header h[] = {{"WWW-Authenticate", "Bearer realm=\"api-issuer\", error=\"invalid_token\""},
                        {NULL, NULL}};
    *status =
        httpd_problem(r, 401, "unauthorized", "Unauthorized",
                      cr == CLIENTS_EXPIRED ? "the token has expired" : "the token is not known", h, NULL);
    return -1;
}

static int adminapi_method_not_allowed(httpd_req *r, const char *allow)
{
    httpd_header h[] = {{"Allow", allow}, {NULL, NULL}};
    return httpd_problem(r, 405, "method-not-allowed", "Method Not Allowed",
                         "this resource does not take that method", h, NULL);
}

/* A POST: the body, the idempotency key, the action, the answer kept. */
static int adminapi_post(adminapi *a, httpd_req *r, adminapi_call *call, adminapi_route route,
                         const uint8_t cti[CLAIMS_CTI_LEN], const char *rest)
{
    size_t max = route == ROUTE_BATCH ? ADMINAPI_BATCH_BODY_MAX : ADMINAPI_BODY_MAX;
    uint8_t *body = NULL;
    size_t len = 0;
    httpd_body br = httpd_read_body(r, max, &a->budget, &body, &len);
    if (br != HTTPD_BODY_OK) {
        free(body);
        if (br == HTTPD_BODY_TOO_LARGE) {
            char detail[96];
            snprintf(detail, sizeof detail, "the body is larger than %zu bytes", max);
            return httpd_problem(r, 413, "body-too-large", "Content Too Large", detail, NULL, NULL);
        }
        if (br == HTTPD_BODY_INCOMPLETE)
            return httpd_problem(r, 400, "incomplete-body", "Bad Request", "the body did not arrive whole",
                                 NULL, NULL);
        httpd_header h[] = {{"Retry-After", "1"}, {NULL, NULL}};
        return httpd_problem(r, 503, "busy", "Service Unavailable", "too many bodies at once; try again", h,
                             NULL);
    }
    adminapi_answer ans = {0};
    const char *key = httpd_header_get(r, "Idempotency-Key");
    idempotency_slot slot;
    int held = 0;
    if (key && !idempotency_key_valid(key)) {
        adminapi_answer_problem(&ans, 400, "invalid-idempotency-key", "Bad Request",
                                "Idempotency-Key: 1 to 255 printable ASCII characters");
        goto send;
    }
    if (key) {
        int status = 0;
        char *stored = NULL;
        size_t slen = 0;
        idempotency_result ir = idempotency_begin(a->idem, &slot, call->who.name, key, httpd_method(r),
                                                  httpd_path(r), body, len, &status, &stored, &slen);
        if (ir == IDEMPOTENCY_REPLAY) {
            ans.status = status;
            ans.body = stored;
            ans.len = slen;
            call->action = "replay";
            goto send;
        }
        if (ir == IDEMPOTENCY_MISMATCH) {
            adminapi_answer_problem(&ans, 422, "idempotency-key-reused", "Unprocessable Content",
                                    "this Idempotency-Key was used with another request");
            goto send;
        }
        if (ir == IDEMPOTENCY_INTERRUPTED) {
            adminapi_answer_problem(&ans, 409, "idempotency-interrupted", "Conflict",
                                    "a request with this Idempotency-Key was interrupted before its answer "
                                    "was kept: it may have taken effect; check, then use a new key");
            goto send;
        }
        if (ir != IDEMPOTENCY_NEW) {
            adminapi_answer_problem(&ans, 503, "unavailable", "Service Unavailable",
                                    "the idempotency store could not be used");
            ans.retry_after = "1";
            goto send;
        }
        held = 1;
    }
    if (route == ROUTE_COLLECTION)
        adminapi_create(a, &ans, call, body, len);
    else if (route == ROUTE_BATCH)
        adminapi_batch(a, &ans, body, len);
    else if (route == ROUTE_RENEW)
        adminapi_renew(a, &ans, body, len);
    else if (route == ROUTE_ADOPT)
        adminapi_adopt(a, &ans, body, len);
    else {
        statuschange_action act = STATUSCHANGE_COUNT;
        statuschange_action_parse(&act, rest);
        adminapi_change(a, &ans, act, cti, body, len);
    }
    if (held) {
        if (ans.status >= 500 || !ans.body)
            idempotency_abandon(a->idem, &slot);
        else if (idempotency_finish(a->idem, &slot, ans.status, ans.body, ans.len) != API_OK)
            cli_warn("cannot keep an answer for its Idempotency-Key");
    }
send:
    sodium_memzero(body, len);
    free(body);
    int status = adminapi_send(r, &ans);
    if (ans.body) {
        sodium_memzero(ans.body, ans.len);
        free(ans.body);
    }
    return status;
}

static int adminapi_handle(httpd_req *r, void *arg)
{
    adminapi *a = arg;
    adminapi_call call = {.action = "unknown"};
    uint8_t cti[CLAIMS_CTI_LEN];
    const char *rest = "";
    adminapi_route route = adminapi_route_parse(httpd_path(r), cti, call.id, &rest);
    const char *method = httpd_method(r);
    int post = !strcmp(method, "POST"), get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int status;
    static const char *const names[] = {
        [ROUTE_COLLECTION] = "list", [ROUTE_BATCH] = "batch", [ROUTE_RENEW] = "renew-pending",
        [ROUTE_ADOPT] = "adopt",     [ROUTE_ONE] = "get",     [ROUTE_FILE] = "file"};
    if (route == ROUTE_NONE) {
        status = httpd_problem(r, 404, "not-found", "Not Found",
                               "there is no such resource (see docs/issuer-openapi.yaml)", NULL, NULL);
        goto audit;
    }
    call.action = route == ROUTE_CHANGE ? rest : route == ROUTE_COLLECTION && post ? "issue" : names[route];
    int wants_post =
        route == ROUTE_BATCH || route == ROUTE_RENEW || route == ROUTE_CHANGE || route == ROUTE_ADOPT;
    int wants_get = route == ROUTE_COLLECTION || route == ROUTE_ONE || route == ROUTE_FILE;
    if ((post && !wants_post && route != ROUTE_COLLECTION) || (get && !wants_get) || (!post && !get)) {
        status = adminapi_method_not_allowed(r, route == ROUTE_COLLECTION ? "GET, HEAD, POST"
                                                : wants_post              ? "POST"
                                                                          : "GET, HEAD");
        goto audit;
    }
    if (adminapi_authenticate(a, r, &call, &status) != 0) goto audit;
    client_role need = !post                                               ? CLIENT_ROLE_READ
                       : route == ROUTE_COLLECTION || route == ROUTE_BATCH ? CLIENT_ROLE_ISSUE
                                                                           : CLIENT_ROLE_MANAGE;
    if (call.who.role < need) {
        char detail[128];
        snprintf(detail, sizeof detail, "the role %s does not allow this; it needs %s",
                 clients_role_name(call.who.role), clients_role_name(need));
        status = httpd_problem(r, 403, "forbidden", "Forbidden", detail, NULL, NULL);
        goto audit;
    }
    if (post) {
        status = adminapi_post(a, r, &call, route, cti, rest);
    } else if (route == ROUTE_FILE) {
        status = adminapi_file(a, r, call.id, rest);
    } else {
        adminapi_answer ans = {0};
        if (route == ROUTE_ONE)
            adminapi_attestation(a, &ans, 200, cti, NULL);
        else
            adminapi_list_get(a, r, &ans);
        status = adminapi_send(r, &ans);
        free(ans.body);
    }
audit:
    audit_write(a->cfg.audit, cli_now(), call.known ? call.who.name : NULL, call.action,
                call.id[0] ? call.id : NULL, status);
    return status;
}

/* ---- life ---- */

api_err adminapi_new(adminapi **out, httpd *h, const adminapi_config *cfg)
{
    *out = NULL;
    adminapi *a = calloc(1, sizeof *a);
    if (!a) return API_ERR_NOMEM;
    a->cfg = *cfg;
    a->pdf = issuance_want(cfg->formats, "pdf");
    a->budget.cap = 64ll << 20;
    pthread_mutex_init(&a->pool_lock, NULL);
    api_err e = fs_join(a->files, sizeof a->files, cfg->dir, "files") == 0 ? API_OK : API_ERR_ARG;
    if (e == API_OK) e = fs_mkdirs(a->files, 0700);
    if (e == API_OK) e = idempotency_open(&a->idem, cfg->dir);
    if (e == API_OK)
        e = httpd_route(h, ADMINAPI_PREFIX, HTTPD_PREFIX | HTTPD_BODY, "GET,POST,PUT,DELETE,PATCH",
                        adminapi_handle, a);
    if (e != API_OK) {
        adminapi_free(a);
        return e;
    }
    *out = a;
    return API_OK;
}

/* Deletes the files of ISS/files older than keep seconds. */
static void adminapi_sweep_files(adminapi *a, int64_t now)
{
    DIR *d = opendir(a->files);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[4200];
        struct stat sb;
        if (fs_join(path, sizeof path, a->files, de->d_name) != 0 || lstat(path, &sb) != 0) continue;
        if (S_ISREG(sb.st_mode) && now - (int64_t)sb.st_mtime >= a->cfg.keep_files) unlink(path);
    }
    closedir(d);
}

void adminapi_sweep(adminapi *a, int64_t now)
{
    if (!a) return;
    if (now != a->last_sweep_files) {
        adminapi_sweep_files(a, now);
        a->last_sweep_files = now;
    }
    if (now - a->last_sweep_idem >= 60) {
        idempotency_sweep(a->idem, now, IDEMPOTENCY_KEEP_S);
        a->last_sweep_idem = now;
    }
}

void adminapi_free(adminapi *a)
{
    if (!a) return;
    idempotency_close(a->idem);
    while (a->pooled) pdf_ctx_free(a->pool[--a->pooled]);
    pthread_mutex_destroy(&a->pool_lock);
    free(a);
}
