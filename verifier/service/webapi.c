/*
 * webapi.c: the verification API of `api-verifier serve` (see webapi.h):
 * its routes on the server layer (httpd.h), callers and their profiles,
 * rate limits, the verification itself (verify.h, with the replica as
 * status source and the service's staleness), the answers (report.h), the
 * trust list and the bundle (fedview.h), health and metrics, and what the
 * service counts and logs of every request.
 *
 * A request to the API goes: the server's gate and route (404, 405, and
 * malformed HTTP refused), then the caller (a wrong or revoked X-API-Key
 * is 401), the caller's rate limit (429 with Retry-After), the media type
 * (415), the body, read whole but never past its limit, its deadline or
 * its kind's memory budget (413, 400, 503), a JSON body checked by
 * jsonscan before cJSON sees it (nesting and member counts: 400 or 413,
 * nothing built), then the answer. The checks that cost nothing come
 * first, so a flood of bad requests costs little; nothing is verified
 * before the body is complete.
 *
 * Fast path. A verification takes the cached trust list (a reference,
 * fedview.h), checks the key against the key store's copy in memory,
 * takes a token under one set's mutex, runs verify_qrtext (one LMDB read
 * transaction, in replica_status) and renders report_json: no LMDB write,
 * no decoding of the trust list, no file access.
 *
 * Per request state (route, caller, verdicts, hashes of attestation ids)
 * lives in a thread-local variable: the server runs a request on one
 * worker thread, and its observer (webapi_observer) starts that state
 * before routing and, after the answer, writes the access-log line and
 * counts the metrics, for every request of the server, whatever answered.
 *
 * Documents. A PDF body (application/pdf, or a PDF part of a form) is
 * read by document.h: drawn by the renderer in a confined child process
 * under --render-timeout, at most WEBAPI_MAX_PDF_RENDERS at once (a flood
 * of PDF files gets 503s while texts and images are still answered). A
 * single verification answers the one attestation of the document; a
 * batch answers one report per attestation, each with its "page". A PDF
 * that crashes, hangs or bombs the renderer is a 422 unreadable-document,
 * and only its own request knows of it.
 *
 * Problem slugs of this file: unauthorized, rate-limited,
 * unsupported-media-type, body-too-large, batch-too-large, malformed-json,
 * json-too-deep, invalid-request, malformed-multipart, incomplete-body,
 * no-qr-code, unreadable-image, image-too-large, unreadable-document,
 * encrypted-document, too-many-pages, several-attestations, no-trust-list,
 * unavailable, internal-error (the server layer adds its own, httpd.h).
 *
 * This file must not log anything a client sent (no path, no header, no
 * text; the access log gets fixed names and keyed hashes), must not keep a
 * request's body or answer after the request, and must not write to the
 * replica.
 */
#include "verifier/service/webapi.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/time.h"
#include "common/cli.h"
#include "http/httpbody.h"
#include "verifier/document.h"
#include "verifier/image.h"
#include "common/bytes.h"
#include "common/jsonscan.h"
#include "qr/qrtext.h"
#include "verifier/receiptpdf.h"
#include "verifier/report.h"
#include "verifier/verify.h"

#define WEBAPI_RETRY_UNAVAILABLE "5"
#define WEBAPI_MAX_IMAGE_DECODES 4  /* images read at once: each may take 50 MB (IMAGE_MAX_PIXELS of gray) */
#define WEBAPI_IMAGE_BODIES      4  /* image bodies held at once: at most this many times --max-image bytes */
#define WEBAPI_TEXT_BODIES       64 /* JSON and text bodies held at once: at most this many batch bodies */
/* The deepest JSON the API reads is {"payloads": ["..."]}: depth 2. */
#define WEBAPI_JSON_DEPTH   4
#define WEBAPI_JSON_MEMBERS 64 /* entries of an array or object in a single verification's body */

struct webapi {
    webapi_config cfg;
    httpd *server;
    _Atomic int image_decodes;   /* images being read now */
    _Atomic int pdf_renders;     /* PDF files being drawn now */
    httpd_budget images;         /* bytes held by image and form bodies */
    httpd_budget texts;          /* bytes held by JSON and text bodies */
    _Atomic int64_t stale_after; /* cfg.stale_after, changed by SIGHUP (webapi_set_stale_after) */
};

/* Who is calling, as far as an API route is concerned. */
typedef struct {
    int keyed;
    keystore_record rec;
    report_profile profile;
    const char *profile_name;
    unsigned langs;     /* the explanation's languages (REPORT_LANG_*): webapi_langs */
    int receipt;        /* receipt=true: each report gets a signed receipt (webapi_report) */
    double rate, burst; /* the bucket's */
    uint8_t bucket[1 + KEYSTORE_ID_LEN > 9 ? 1 + KEYSTORE_ID_LEN : 9];
    size_t bucket_len;
} webapi_caller;

/* The state of the request this thread is serving. */
typedef struct {
    int active;
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
    atomic_init(&w->pdf_renders, 0);
    atomic_init(&w->stale_after, cfg->stale_after);
    atomic_init(&w->images.used, 0);
    atomic_init(&w->texts.used, 0);
    w->images.cap = (long long)cfg->max_image * WEBAPI_IMAGE_BODIES;
    w->texts.cap = (long long)cfg->max_body * WEBAPI_BATCH_BODY_FACTOR * WEBAPI_TEXT_BODIES;
    *out = w;
    return API_OK;
}

void webapi_free(webapi *w)
{
    free(w);
}

/* ---- routes, as the metrics and the access log name them ---- */

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
        {"/api/v1/receipt-keys", METRICS_ROUTE_RECEIPT_KEYS},
        {"/api/v1/receipt.pdf", METRICS_ROUTE_RECEIPT_PDF},
        {"/healthz", METRICS_ROUTE_HEALTHZ},
        {"/metrics", METRICS_ROUTE_METRICS},
    };
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcmp(path, exact[i].path) == 0) return exact[i].route;
    if (strncmp(path, "/trust/v1/", 10) == 0 || strncmp(path, "/feed/v1/", 9) == 0)
        return METRICS_ROUTE_MIRROR;
    if (web_pages && path[0] == '/' && strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0 &&
        strcmp(path, "/healthz") != 0 && strcmp(path, "/metrics") != 0)
        return METRICS_ROUTE_WEB;
    return METRICS_ROUTE_OTHER;
}

/* ---- answers ---- */

static int webapi_problem(httpd_req *r, int status, const char *slug, const char *title, const char *detail)
{
    return httpd_problem(r, status, slug, title, detail, NULL, NULL);
}

/* A problem with one extra header (e.g. Retry-After). */
static int webapi_problem_with(httpd_req *r, int status, const char *slug, const char *title,
                               const char *detail, const char *name, const char *value)
{
    httpd_header h[] = {{name, value}, {NULL, NULL}};
    return httpd_problem(r, status, slug, title, detail, h, NULL);
}

static int webapi_unavailable(httpd_req *r, const char *slug, const char *detail)
{
    return webapi_problem_with(r, 503, slug, "Service Unavailable", detail, "Retry-After",
                               WEBAPI_RETRY_UNAVAILABLE);
}

static int webapi_no_trust_list(httpd_req *r)
{
    return webapi_unavailable(r, "no-trust-list",
                              "this verifier holds no trust list yet; it is syncing, try again later");
}

static const httpd_header webapi_no_store[] = {{"Cache-Control", "no-store"}, {NULL, NULL}};

static int webapi_send_json(httpd_req *r, int status, cJSON *j)
{
    return httpd_send_json(r, status, webapi_no_store, j);
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
static int webapi_identify(webapi *w, httpd_req *r, webapi_caller *c)
{
    memset(c, 0, sizeof *c);
    const char *key = httpd_header_get(r, "X-API-Key");
    if (key) {
        keystore_check_result k =
            w->cfg.keys ? keystore_check(w->cfg.keys, key, strlen(key), &c->rec) : KEYSTORE_UNKNOWN;
        if (k == KEYSTORE_ERROR)
            return webapi_unavailable(r, "unavailable", "the key store could not be read; try again later");
        if (k != KEYSTORE_VALID)
            return webapi_problem_with(r, 401, "unauthorized", "Unauthorized",
                                       k == KEYSTORE_REVOKED ? "this API key has been revoked"
                                                             : "this API key is not known here",
                                       "WWW-Authenticate", "X-API-Key");
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
        c->profile = REPORT_ANONYMOUS;
        c->profile_name = "anonymous";
        c->rate = w->cfg.anonymous_rate;
        c->burst = w->cfg.anonymous_rate < 1 ? 1 : w->cfg.anonymous_rate;
        c->bucket_len = clientaddr_bucket(c->bucket, httpd_client(r));
    }
    if (c->burst < 1) c->burst = 1;
    webapi_cur.identified = 1;
    webapi_cur.profile = c->profile_name;
    return 0;
}

/* Takes one token for the caller; 0, or 429 sent. */
static int webapi_limit(webapi *w, httpd_req *r, const webapi_caller *c)
{
    unsigned retry = 0;
    if (c->rate <= 0) return 0;
    if (ratelimit_take(w->cfg.rl, c->bucket, c->bucket_len, c->rate, c->burst, webapi_monotonic_ms(),
                       &retry) != 1)
        return 0;
    metrics_rate_limited(w->cfg.m);
    char value[24], detail[160];
    snprintf(value, sizeof value, "%u", retry);
    snprintf(detail, sizeof detail, "%s rate limit is reached; try again in %u s",
             c->keyed ? "this API key's" : "the anonymous", retry);
    return webapi_problem_with(r, 429, "rate-limited", "Too Many Requests", detail, "Retry-After", value);
}

/* ---- bodies ---- */

static int webapi_body_problem(httpd_req *r, httpd_body b, size_t max)
{
    char detail[160];
    switch (b) {
    case HTTPD_BODY_TOO_LARGE:
        snprintf(detail, sizeof detail, "the body is larger than this service accepts here (%zu bytes)", max);
        return webapi_problem(r, 413, "body-too-large", "Content Too Large", detail);
    case HTTPD_BODY_INCOMPLETE:
        return webapi_problem(r, 400, "incomplete-body", "Bad Request",
                              "the body ended before its announced length, or took too long to arrive");
    case HTTPD_BODY_BUSY:
        return webapi_problem_with(r, 503, "unavailable", "Service Unavailable",
                                   "too many large bodies are being received at this moment; try again, or "
                                   "send the QR text",
                                   "Retry-After", "1");
    default:
        return webapi_problem(r, 500, "internal-error", "Internal Server Error", "out of memory");
    }
}

/* Drops the line ends a text body or form field may end with (never spaces: they are Base45). */
static size_t webapi_trim_eol(const uint8_t *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    return n;
}

/*
 * Parses a JSON body that must be an object, once jsonscan has found it
 * well-formed, shallow and small enough; NULL with the problem sent.
 * max_members bounds every array and object (a batch's payloads).
 */
static cJSON *webapi_parse_json(httpd_req *r, const uint8_t *body, size_t len, int batch, int *status)
{
    size_t at = 0;
    size_t max_members = batch ? WEBAPI_MAX_BATCH : WEBAPI_JSON_MEMBERS;
    jsonscan_result s = jsonscan_check((const char *)body, len, WEBAPI_JSON_DEPTH, max_members, &at);
    if (s == JSONSCAN_TOO_DEEP) {
        char detail[128];
        snprintf(detail, sizeof detail, "the JSON body nests deeper than this API reads (%d levels)",
                 WEBAPI_JSON_DEPTH);
        *status = webapi_problem(r, 400, "json-too-deep", "Bad Request", detail);
        return NULL;
    }
    if (s == JSONSCAN_TOO_MANY_MEMBERS) {
        char detail[128];
        if (batch) {
            snprintf(detail, sizeof detail, "a batch holds at most %d payloads; this one holds more",
                     WEBAPI_MAX_BATCH);
            *status = webapi_problem(r, 413, "batch-too-large", "Content Too Large", detail);
        } else {
            snprintf(detail, sizeof detail, "an array or object of the body holds more than %d entries",
                     WEBAPI_JSON_MEMBERS);
            *status = webapi_problem(r, 400, "invalid-request", "Bad Request", detail);
        }
        return NULL;
    }
    cJSON *j = s == JSONSCAN_OK ? cJSON_ParseWithLength((const char *)body, len) : NULL;
    if (!j) {
        *status = webapi_problem(r, 400, "malformed-json", "Bad Request", "the body is not well-formed JSON");
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        *status = webapi_problem(r, 400, "invalid-request", "Bad Request", "the body must be a JSON object");
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

/* The kind of a document, as the metrics count it. */
static metrics_doc webapi_metrics_doc(document_kind k)
{
    return k == DOCUMENT_PNG ? METRICS_DOC_PNG : k == DOCUMENT_JPEG ? METRICS_DOC_JPEG : METRICS_DOC_PDF;
}

/*
 * Reads the QR code of an image; 0 with *text (malloc'd), or the status of
 * the problem sent. At most WEBAPI_MAX_IMAGE_DECODES images are read at
 * once, which bounds their memory (a flood of large images gets 503s, and
 * texts are still answered).
 */
static int webapi_image_text(webapi *w, httpd_req *r, const uint8_t *data, size_t len, char **text,
                             size_t *tlen)
{
    *text = NULL;
    if (atomic_fetch_add(&w->image_decodes, 1) >= WEBAPI_MAX_IMAGE_DECODES) {
        atomic_fetch_sub(&w->image_decodes, 1);
        return webapi_problem_with(
            r, 503, "unavailable", "Service Unavailable",
            "too many images are being read at this moment; try again, or send the QR text", "Retry-After",
            "1");
    }
    *text = malloc(QRTEXT_MAX_TEXT + 1);
    api_err e = *text ? image_read_qr(*text, QRTEXT_MAX_TEXT + 1, tlen, data, len) : API_ERR_NOMEM;
    atomic_fetch_sub(&w->image_decodes, 1);
    document_kind kind = document_kind_of(data, len);
    if (kind == DOCUMENT_PNG || kind == DOCUMENT_JPEG) metrics_document(w->cfg.m, webapi_metrics_doc(kind));
    if (e == API_OK) return 0;
    free(*text);
    *text = NULL;
    switch (e) {
    case API_ERR_NO_QR:
        return webapi_problem(r, 422, "no-qr-code", "Unprocessable Content",
                              "no QR code was found in the image: take a sharper, closer photo of the code");
    case API_ERR_TOO_LARGE:
        return webapi_problem(r, 413, "image-too-large", "Content Too Large",
                              "the image has more pixels than this service decodes");
    case API_ERR_NOMEM:
        return webapi_problem(r, 500, "internal-error", "Internal Server Error", "out of memory");
    default:
        return webapi_problem(r, 422, "unreadable-image", "Unprocessable Content",
                              "the image is not a PNG or JPEG file that can be read");
    }
}

/* ---- documents ---- */

static metrics_render_outcome webapi_metrics_render(const document *doc)
{
    switch (doc->pdf) {
    case PDFREAD_OK:
        return METRICS_RENDER_OK;
    case PDFREAD_TIMEOUT:
        return METRICS_RENDER_TIMEOUT;
    case PDFREAD_ENCRYPTED:
    case PDFREAD_TOO_MANY_PAGES:
    case PDFREAD_PAGE_TOO_LARGE:
    case PDFREAD_TOO_LARGE:
        return METRICS_RENDER_REFUSED;
    default:
        return METRICS_RENDER_FAILED;
    }
}

/* The problem for a document that could not be read (doc->status is not DOCUMENT_OK). */
static int webapi_document_problem(httpd_req *r, const document *doc)
{
    char detail[256];
    document_describe(detail, sizeof detail, doc);
    int pdf = doc->kind == DOCUMENT_PDF;
    switch (doc->status) {
    case DOCUMENT_NO_CODE:
        return webapi_problem(
            r, 422, "no-qr-code", "Unprocessable Content",
            pdf ? "no QR code was found on the pages of the PDF"
                : "no QR code was found in the image: take a sharper, closer photo of the code");
    case DOCUMENT_ENCRYPTED:
        return webapi_problem(r, 422, "encrypted-document", "Unprocessable Content", detail);
    case DOCUMENT_TOO_MANY_PAGES:
        return webapi_problem(r, 422, "too-many-pages", "Unprocessable Content", detail);
    case DOCUMENT_TOO_LARGE:
        if (pdf) return webapi_problem(r, 422, "unreadable-document", "Unprocessable Content", detail);
        return webapi_problem(r, 413, "image-too-large", "Content Too Large",
                              "the image has more pixels than this service decodes");
    case DOCUMENT_NO_RENDERER:
        return webapi_unavailable(r, "unavailable", "PDF files cannot be read by this service at the moment");
    case DOCUMENT_NOMEM:
        return webapi_problem(r, 500, "internal-error", "Internal Server Error", "out of memory");
    case DOCUMENT_NOT_SUPPORTED:
        return webapi_problem(r, 422, pdf ? "unreadable-document" : "unreadable-image",
                              "Unprocessable Content", "the body is not a PNG, JPEG or PDF file");
    default:
        if (pdf) return webapi_problem(r, 422, "unreadable-document", "Unprocessable Content", detail);
        return webapi_problem(r, 422, "unreadable-image", "Unprocessable Content",
                              "the image is not a PNG or JPEG file that can be read");
    }
}

/*
 * Reads a document (a photo or a PDF) into doc; 0, or the status of the
 * problem sent (doc is then freed). At most WEBAPI_MAX_PDF_RENDERS PDF
 * files are drawn and WEBAPI_MAX_IMAGE_DECODES images decoded at once.
 */
static int webapi_read_document(webapi *w, httpd_req *r, const uint8_t *data, size_t len, document *doc)
{
    memset(doc, 0, sizeof *doc);
    document_kind kind = document_kind_of(data, len);
    if (kind == DOCUMENT_UNKNOWN) {
        doc->status = DOCUMENT_NOT_SUPPORTED;
        return webapi_document_problem(r, doc);
    }
    _Atomic int *slots = kind == DOCUMENT_PDF ? &w->pdf_renders : &w->image_decodes;
    int max = kind == DOCUMENT_PDF ? WEBAPI_MAX_PDF_RENDERS : WEBAPI_MAX_IMAGE_DECODES;
    if (atomic_fetch_add(slots, 1) >= max) {
        atomic_fetch_sub(slots, 1);
        return webapi_problem_with(r, 503, "unavailable", "Service Unavailable",
                                   kind == DOCUMENT_PDF
                                       ? "too many PDF files are being read at this moment; try again, or "
                                         "send the QR text"
                                       : "too many images are being read at this moment; try again, or send "
                                         "the QR text",
                                   "Retry-After", "1");
    }
    document_config dc = {.renderer = w->cfg.pdf_renderer, .timeout_ms = w->cfg.render_timeout_ms};
    document_status st = document_read(doc, &dc, data, len);
    atomic_fetch_sub(slots, 1);
    metrics_document(w->cfg.m, webapi_metrics_doc(kind));
    if (kind == DOCUMENT_PDF && st != DOCUMENT_NO_RENDERER)
        metrics_render_time(w->cfg.m, webapi_metrics_render(doc), doc->info.seconds);
    if (st == DOCUMENT_OK) return 0;
    int status = webapi_document_problem(r, doc);
    document_free(doc);
    return status;
}

/* The attestations of a document, verified; 0 with *res (malloc'd), or the status of the problem sent. */
static int webapi_document_results(webapi *w, httpd_req *r, const uint8_t *data, size_t len,
                                   const verify_ctx *ctx, document_result **res, size_t *n)
{
    document doc;
    int status = webapi_read_document(w, r, data, len, &doc);
    if (status) return status;
    api_err e = document_verify(res, n, &doc, ctx);
    document_free(&doc);
    if (e == API_ERR_NOT_FOUND)
        return webapi_problem(r, 422, "no-qr-code", "Unprocessable Content", "no QR code was found");
    if (e != API_OK)
        return webapi_problem(r, 500, "internal-error", "Internal Server Error", "out of memory");
    return 0;
}

/* A single verification of a PDF: its one attestation's report. */
/*
 * The report of one result for the caller's profile and languages and,
 * with receipt=true, its signed receipt in the member `receipt`, made
 * from that very report (receipt_of_report): never more than the caller
 * was shown. The receipt is given, not kept. NULL when out of memory.
 */
static cJSON *webapi_report(webapi *w, const webapi_caller *c, const verify_result *res,
                            const verify_ctx *ctx)
{
    cJSON *j = report_json_lang(res, ctx, c->profile, c->langs);
    if (!j || !c->receipt || !w->cfg.receipts) return j;
    api_receipt rc;
    char text[RECEIPT_TEXT_MAX];
    size_t len = sizeof text;
    if (receipt_of_report(&rc, j, receiptkey_org(w->cfg.receipts), c->keyed ? c->rec.org : "anonymous",
                          c->profile_name) != API_OK ||
        receiptkey_sign(w->cfg.receipts, text, &len, &rc) != API_OK || len >= sizeof text ||
        !cJSON_AddStringToObject(j, "receipt", text)) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static int webapi_verify_pdf(webapi *w, httpd_req *r, const webapi_caller *c, const uint8_t *data, size_t len)
{
    fedview_trust *t = fedview_trust_get(w->cfg.fv);
    if (!t) return webapi_no_trust_list(r);
    verify_ctx ctx;
    webapi_ctx(w, &ctx, &t->tl);
    document_result *res = NULL;
    size_t n = 0;
    int status = webapi_document_results(w, r, data, len, &ctx, &res, &n);
    if (status == 0 && n > 1) {
        char detail[200];
        snprintf(detail, sizeof detail,
                 "the document holds %zu attestations: send it to /api/v1/verify/batch for a report on each",
                 n);
        status = webapi_problem(r, 422, "several-attestations", "Unprocessable Content", detail);
    }
    if (status) {
        free(res);
        fedview_trust_put(t);
        return status;
    }
    webapi_cur.att = webapi_cur.att_one;
    webapi_note(w, &res[0].res);
    cJSON *j = webapi_report(w, c, &res[0].res, &ctx);
    free(res);
    fedview_trust_put(t);
    return webapi_send_json(r, 200, j);
}

/* A batch of the attestations of a document: one report each, with its page. */
static int webapi_batch_document(webapi *w, httpd_req *r, const webapi_caller *c, const uint8_t *data,
                                 size_t len)
{
    fedview_trust *t = fedview_trust_get(w->cfg.fv);
    if (!t) return webapi_no_trust_list(r);
    verify_ctx ctx;
    webapi_ctx(w, &ctx, &t->tl);
    document_result *res = NULL;
    size_t n = 0;
    int status = webapi_document_results(w, r, data, len, &ctx, &res, &n);
    if (status) {
        fedview_trust_put(t);
        return status;
    }
    if (n > 1 && c->rate > 0) /* a batch of n costs n requests: one was taken already */
        ratelimit_debit(w->cfg.rl, c->bucket, c->bucket_len, c->rate, c->burst, (double)(n - 1),
                        webapi_monotonic_ms());
    webapi_cur.batch = 1;
    webapi_cur.att = calloc(n, sizeof *webapi_cur.att);
    cJSON *out = cJSON_CreateObject();
    cJSON *results = out ? cJSON_AddArrayToObject(out, "results") : NULL;
    int failed = !results;
    for (size_t i = 0; i < n && !failed; i++) {
        webapi_note(w, &res[i].res);
        cJSON *one = webapi_report(w, c, &res[i].res, &ctx);
        if (!one || !cJSON_AddNumberToObject(one, "page", res[i].page) ||
            !cJSON_AddItemToArray(results, one)) {
            cJSON_Delete(one);
            failed = 1;
        }
    }
    free(res);
    fedview_trust_put(t);
    if (failed) {
        cJSON_Delete(out);
        return webapi_problem(r, 500, "internal-error", "Internal Server Error", "out of memory");
    }
    return webapi_send_json(r, 200, out);
}

/*
 * The QR text of a single verification, from the body of the given kind:
 * *text is malloc'd. 0, or the status of the problem sent.
 */
static int webapi_body_text(webapi *w, httpd_req *r, httpbody_type kind, const char *boundary,
                            const uint8_t *body, size_t len, char **text, size_t *tlen)
{
    *text = NULL;
    *tlen = 0;
    if (kind == HTTPBODY_PNG || kind == HTTPBODY_JPEG) return webapi_image_text(w, r, body, len, text, tlen);
    if (kind == HTTPBODY_MULTIPART) {
        httpbody_part part;
        api_err e = httpbody_multipart_find(&part, body, len, boundary);
        if (e == API_ERR_NOT_FOUND)
            return webapi_problem(r, 400, "invalid-request", "Bad Request",
                                  "the form holds no image (PNG or JPEG), no PDF and no field named payload");
        if (e != API_OK)
            return webapi_problem(r, 400, "malformed-multipart", "Bad Request",
                                  "the body is not well-formed multipart/form-data with the boundary given");
        if (part.is_image) return webapi_image_text(w, r, part.data, part.len, text, tlen);
        body = part.data;
        len = webapi_trim_eol(part.data, part.len);
    } else if (kind == HTTPBODY_TEXT) {
        len = webapi_trim_eol(body, len);
    } else { /* JSON */
        int status = 0;
        cJSON *j = webapi_parse_json(r, body, len, 0, &status);
        if (!j) return status;
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "payload");
        if (!cJSON_IsString(p) || !p->valuestring) {
            cJSON_Delete(j);
            return webapi_problem(
                r, 400, "invalid-request", "Bad Request",
                "expected {\"payload\": \"API1:...\"}: a member payload holding the QR text");
        }
        *text = strdup(p->valuestring);
        *tlen = *text ? strlen(*text) : 0;
        cJSON_Delete(j);
        return *text ? 0 : webapi_problem(r, 500, "internal-error", "Internal Server Error", "out of memory");
    }
    *text = malloc(len + 1);
    if (!*text) return webapi_problem(r, 500, "internal-error", "Internal Server Error", "out of memory");
    memcpy(*text, body, len);
    (*text)[len] = '\0';
    *tlen = len;
    return 0;
}

static int webapi_verify_single(webapi *w, httpd_req *r, const webapi_caller *c, httpbody_type kind,
                                const char *boundary, const uint8_t *body, size_t len)
{
    if (kind == HTTPBODY_PDF) return webapi_verify_pdf(w, r, c, body, len);
    if (kind == HTTPBODY_MULTIPART) {
        httpbody_part part;
        if (httpbody_multipart_find(&part, body, len, boundary) == API_OK && part.is_pdf)
            return webapi_verify_pdf(w, r, c, part.data, part.len);
    }
    char *text;
    size_t tlen;
    int status = webapi_body_text(w, r, kind, boundary, body, len, &text, &tlen);
    if (status) return status;
    fedview_trust *t = fedview_trust_get(w->cfg.fv);
    if (!t) {
        free(text);
        return webapi_no_trust_list(r);
    }
    verify_ctx ctx;
    webapi_ctx(w, &ctx, &t->tl);
    verify_result res;
    verify_qrtext(&res, &ctx, text, tlen);
    free(text);
    webapi_cur.att = webapi_cur.att_one;
    webapi_note(w, &res);
    cJSON *j = webapi_report(w, c, &res, &ctx);
    fedview_trust_put(t);
    return webapi_send_json(r, 200, j);
}

static int webapi_verify_batch(webapi *w, httpd_req *r, const webapi_caller *c, const uint8_t *body,
                               size_t len)
{
    int status = 0;
    cJSON *j = webapi_parse_json(r, body, len, 1, &status);
    if (!j) return status;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "payloads");
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(j);
        return webapi_problem(
            r, 400, "invalid-request", "Bad Request",
            "expected {\"payloads\": [\"API1:...\", ...]}: a member payloads holding QR texts");
    }
    int n = cJSON_GetArraySize(list);
    if (n > WEBAPI_MAX_BATCH) {
        cJSON_Delete(j);
        char detail[96];
        snprintf(detail, sizeof detail, "a batch holds at most %d payloads; this one holds %d",
                 WEBAPI_MAX_BATCH, n);
        return webapi_problem(r, 413, "batch-too-large", "Content Too Large", detail);
    }
    int i = 0;
    for (const cJSON *p = list->child; p; p = p->next, i++) {
        if (!cJSON_IsString(p) || !p->valuestring) {
            cJSON_Delete(j);
            char detail[96];
            snprintf(detail, sizeof detail, "payloads[%d] is not a string", i);
            return webapi_problem(r, 400, "invalid-request", "Bad Request", detail);
        }
    }
    if (n > 1 && c->rate > 0) /* a batch of n costs n requests: one was taken already */
        ratelimit_debit(w->cfg.rl, c->bucket, c->bucket_len, c->rate, c->burst, (double)(n - 1),
                        webapi_monotonic_ms());
    fedview_trust *t = fedview_trust_get(w->cfg.fv);
    if (!t) {
        cJSON_Delete(j);
        return webapi_no_trust_list(r);
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
        cJSON *one = webapi_report(w, c, res, &ctx);
        if (!one || !cJSON_AddItemToArray(results, one)) {
            cJSON_Delete(one);
            failed = 1;
        }
    }
    free(res);
    fedview_trust_put(t);
    cJSON_Delete(j);
    if (failed) {
        cJSON_Delete(out);
        return webapi_problem(r, 500, "internal-error", "Internal Server Error", "out of memory");
    }
    return webapi_send_json(r, 200, out);
}

/* A batch sent as a document (a PDF, a photo, or a form holding one). */
static int webapi_batch_body(webapi *w, httpd_req *r, const webapi_caller *c, httpbody_type kind,
                             const char *boundary, const uint8_t *body, size_t len)
{
    if (kind != HTTPBODY_MULTIPART) return webapi_batch_document(w, r, c, body, len);
    httpbody_part part;
    api_err e = httpbody_multipart_find(&part, body, len, boundary);
    if (e == API_OK && (part.is_pdf || part.is_image))
        return webapi_batch_document(w, r, c, part.data, part.len);
    if (e == API_OK || e == API_ERR_NOT_FOUND)
        return webapi_problem(r, 400, "invalid-request", "Bad Request",
                              "a batch form holds a document: a PDF, PNG or JPEG file");
    return webapi_problem(r, 400, "malformed-multipart", "Bad Request",
                          "the body is not well-formed multipart/form-data with the boundary given");
}

/*
 * The languages of the reports' explanations (docs/openapi.yaml, "Compact
 * answers"): `explain=false` none, `lang=fr|en` one; without either, a
 * keyed caller's Accept-Language may choose one, and a request without a
 * key gets both, as it always did. 0, or 400 sent for a bad value.
 */
static int webapi_langs(httpd_req *r, webapi_caller *c)
{
    static const char *const names[] = {"fr", "en"};
    static const unsigned sets[] = {REPORT_LANG_FR, REPORT_LANG_EN};
    char v[8];
    c->langs = REPORT_LANG_FR | REPORT_LANG_EN;
    int has = httpd_query_get(r, "explain", v, sizeof v);
    if (has && (has < 0 || (strcmp(v, "false") != 0 && strcmp(v, "true") != 0)))
        return webapi_problem(r, 400, "invalid-parameter", "Bad Request", "explain must be true or false");
    if (has > 0 && strcmp(v, "false") == 0) {
        c->langs = REPORT_LANG_NONE;
        return 0;
    }
    has = httpd_query_get(r, "lang", v, sizeof v);
    if (has) {
        for (int i = 0; has > 0 && i < 2; i++)
            if (strcmp(v, names[i]) == 0) {
                c->langs = sets[i];
                return 0;
            }
        return webapi_problem(r, 400, "invalid-parameter", "Bad Request", "lang must be fr or en");
    }
    if (c->keyed) {
        int i = httpd_pick_language(httpd_header_get(r, "Accept-Language"), names, 2);
        if (i >= 0) c->langs = sets[i];
    }
    return 0;
}

/* receipt=true|false (docs/openapi.yaml): 0, or 400 (a bad value) or 503 (no receipt key) sent. */
static int webapi_receipt_param(webapi *w, httpd_req *r, webapi_caller *c)
{
    char v[8];
    int has = httpd_query_get(r, "receipt", v, sizeof v);
    c->receipt = has > 0 && strcmp(v, "true") == 0;
    if (has && (has < 0 || (strcmp(v, "false") != 0 && strcmp(v, "true") != 0)))
        return webapi_problem(r, 400, "invalid-parameter", "Bad Request", "receipt must be true or false");
    if (c->receipt && !w->cfg.receipts)
        return webapi_unavailable(r, "unavailable",
                                  "this service has no receipt key; ask without receipt=true");
    return 0;
}

static int webapi_verify(webapi *w, httpd_req *r, webapi_caller *c, int batch)
{
    int status = webapi_langs(r, c);
    if (status) return status;
    status = webapi_receipt_param(w, r, c);
    if (status) return status;
    char boundary[HTTPBODY_BOUNDARY_MAX + 1];
    httpbody_type kind = httpbody_media_type(httpd_header_get(r, "Content-Type"), boundary);
    int image =
        kind == HTTPBODY_PNG || kind == HTTPBODY_JPEG || kind == HTTPBODY_MULTIPART || kind == HTTPBODY_PDF;
    if (kind == HTTPBODY_NONE || kind == HTTPBODY_OTHER || (batch && kind == HTTPBODY_TEXT))
        return webapi_problem(r, 415, "unsupported-media-type", "Unsupported Media Type",
                              batch
                                  ? "a batch is sent as application/json: {\"payloads\": [...]}, or as a "
                                    "document: application/pdf, image/png, image/jpeg or multipart/form-data"
                                  : "send application/json ({\"payload\": \"API1:...\"}), text/plain (the QR "
                                    "text), image/png, image/jpeg, application/pdf or multipart/form-data");
    size_t max = image   ? w->cfg.max_image
                 : batch ? w->cfg.max_body * WEBAPI_BATCH_BODY_FACTOR
                         : w->cfg.max_body;
    uint8_t *body;
    size_t len;
    httpd_body b = httpd_read_body(r, max, image ? &w->images : &w->texts, &body, &len);
    if (b != HTTPD_BODY_OK) return webapi_body_problem(r, b, max);
    status = !batch                  ? webapi_verify_single(w, r, c, kind, boundary, body, len)
             : kind == HTTPBODY_JSON ? webapi_verify_batch(w, r, c, body, len)
                                     : webapi_batch_body(w, r, c, kind, boundary, body, len);
    free(body);
    return status;
}

/* ---- documents ---- */

static int webapi_send_doc(httpd_req *r, const fedview_doc *d)
{
    httpd_header h[] = {{"Cache-Control", "no-cache"}, {"ETag", d->etag}, {NULL, NULL}};
    if (httpd_not_modified(r, d->etag)) return httpd_send(r, 304, NULL, h, NULL, 0);
    return httpd_send(r, 200, "application/json; charset=utf-8", h, d->body, d->len);
}

static int webapi_trust_list(webapi *w, httpd_req *r)
{
    fedview_trust *t = fedview_trust_get(w->cfg.fv);
    if (!t) return webapi_no_trust_list(r);
    int status = webapi_send_doc(r, t->json);
    fedview_trust_put(t);
    return status;
}

/* The receipt keys the verifier signs with, current and retired (receiptkey.h): public, for anyone. */
static int webapi_receipt_keys(webapi *w, httpd_req *r)
{
    if (!w->cfg.receipts)
        return webapi_problem(r, 404, "not-found", "Not Found", "this service signs no receipts");
    size_t len;
    const char *doc = receiptkey_document(w->cfg.receipts, &len);
    fedview_doc d = {0};
    d.body = (char *)(uintptr_t)doc;
    d.len = len;
    snprintf(d.etag, sizeof d.etag, "%s", receiptkey_etag(w->cfg.receipts));
    return webapi_send_doc(r, &d);
}

static int webapi_bundle(webapi *w, httpd_req *r)
{
    api_err e;
    fedview_doc *d = fedview_bundle_get(w->cfg.fv, cli_now(), &e);
    if (!d) {
        if (e == API_ERR_NOT_FOUND) return webapi_no_trust_list(r);
        return webapi_unavailable(r, "unavailable", "the replica could not be read; try again later");
    }
    int status = webapi_send_doc(r, d);
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

/*
 * Health: 200 with the trust list and each issuer's freshness; with
 * --stale-after, a 503 "stale" problem carrying the same members while an
 * issuer's newest status (or no status at all) is older than that, so that
 * monitoring, and a load balancer that reads it, know this replica lags.
 */
static int webapi_healthz(webapi *w, httpd_req *r)
{
    fedview_trust *t = fedview_trust_get(w->cfg.fv);
    if (!t) return webapi_no_trust_list(r);
    int64_t now = cli_now(), stale_after = atomic_load(&w->stale_after);
    cJSON *j = cJSON_CreateObject();
    cJSON *iss = NULL, *stale = stale_after > 0 ? cJSON_CreateArray() : NULL;
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
        int64_t signed_at = 0;
        cJSON *o = cJSON_AddObjectToObject(iss, t->tl.entries[i].id);
        if (!o) break;
        if (replica_issuer_state(w->cfg.r, t->tl.entries[i].id, &seq, &signed_at) == API_OK &&
            signed_at > 0) {
            time_format_utc(when, signed_at);
            cJSON_AddStringToObject(o, "status_as_of", when);
            verify_status st = {.held = 1, .as_of = signed_at};
            cJSON_AddBoolToObject(o, "fresh", verify_status_fresh(&st, now, w->cfg.max_staleness));
        } else {
            signed_at = 0;
            cJSON_AddNullToObject(o, "status_as_of");
            cJSON_AddBoolToObject(o, "fresh", 0);
        }
        if (stale && now - signed_at > stale_after)
            cJSON_AddItemToArray(stale, cJSON_CreateString(t->tl.entries[i].id));
    }
    fedview_trust_put(t);
    int n_stale = stale ? cJSON_GetArraySize(stale) : 0;
    if (n_stale == 0) {
        cJSON_Delete(stale);
        return webapi_send_json(r, 200, j);
    }
    /* stale: the same members, as a problem (status and title are the problem's own) */
    char detail[160];
    snprintf(detail, sizeof detail,
             "the status data of %d issuer%s are older than %lld s (--stale-after): this replica cannot "
             "reach their feeds",
             n_stale, n_stale > 1 ? "s" : "", (long long)stale_after);
    cJSON_DeleteItemFromObjectCaseSensitive(j, "status");
    cJSON_AddNumberToObject(j, "stale_after_seconds", (double)stale_after);
    cJSON_AddItemToObject(j, "stale_issuers", stale);
    httpd_header h[] = {{"Retry-After", WEBAPI_RETRY_UNAVAILABLE}, {NULL, NULL}};
    return httpd_problem(r, 503, "stale", "Service Unavailable", detail, h, j);
}

static int webapi_metrics(webapi *w, httpd_req *r)
{
    metrics_replica rep;
    memset(&rep, 0, sizeof rep);
    httpd_stats hs;
    httpd_stats_get(w->server, &hs);
    rep.http = &hs;
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
    if (!text) return webapi_problem(r, 500, "internal-error", "Internal Server Error", "out of memory");
    httpd_send(r, 200, "text/plain; version=0.0.4; charset=utf-8", webapi_no_store, text, len);
    free(text);
    return 200;
}

/* ---- a receipt as a page ---- */

/*
 * POST /api/v1/receipt.pdf: a receipt's text (text/plain, or JSON
 * {"receipt": "APR1:..."}) drawn as the one-page proof of verification
 * (receiptpdf.h). Only a receipt this service signed, with a key of its
 * receipt-keys document (current or retired), is drawn: the page would
 * otherwise lend the service's name to someone else's words. A POST, never
 * a GET: the receipt holds names, which must not land in URLs or logs. The
 * page is made, sent and forgotten.
 */
static int webapi_receipt_pdf(webapi *w, httpd_req *r)
{
    if (!w->cfg.receipts)
        return webapi_problem(r, 404, "not-found", "Not Found", "this service signs no receipts");
    char boundary[HTTPBODY_BOUNDARY_MAX + 1];
    httpbody_type kind = httpbody_media_type(httpd_header_get(r, "Content-Type"), boundary);
    if (kind != HTTPBODY_TEXT && kind != HTTPBODY_JSON)
        return webapi_problem(
            r, 415, "unsupported-media-type", "Unsupported Media Type",
            "send the receipt's text as text/plain, or application/json: {\"receipt\": \"APR1:...\"}");
    uint8_t *body;
    size_t len;
    httpd_body b = httpd_read_body(r, w->cfg.max_body, &w->texts, &body, &len);
    if (b != HTTPD_BODY_OK) return webapi_body_problem(r, b, w->cfg.max_body);
    int status = 0;
    cJSON *j = NULL;
    const char *text = (const char *)body;
    if (kind == HTTPBODY_JSON) {
        j = webapi_parse_json(r, body, len, 0, &status);
        const cJSON *m = j ? cJSON_GetObjectItemCaseSensitive(j, "receipt") : NULL;
        if (j && !cJSON_IsString(m))
            status =
                webapi_problem(r, 400, "invalid-request", "Bad Request",
                               "expected {\"receipt\": \"APR1:...\"}: a member receipt holding its text");
        if (!status) {
            text = m->valuestring;
            len = strlen(text);
        }
    } else {
        len = webapi_trim_eol(body, len);
    }
    size_t n = 0;
    const receipt_key *keys = receiptkey_keys(w->cfg.receipts, &n);
    api_receipt rc;
    memset(&rc, 0, sizeof rc);
    const receipt_key *key = NULL;
    if (!status) {
        receipt_check chk = receipt_verify(&rc, &key, NULL, text, len, keys, n);
        if (chk != RECEIPT_VALID) {
            char detail[200];
            snprintf(detail, sizeof detail,
                     "this is not a receipt signed by this service (%s): only its own receipts are drawn",
                     receipt_check_code(chk));
            status = webapi_problem(r, 422, "invalid-receipt", "Unprocessable Content", detail);
        }
    }
    uint8_t *pdf = NULL;
    size_t pdf_len = 0;
    if (!status) {
        char kid[2 * COSE_KID_LEN + 1];
        bytes_to_hex(kid, key->kid, COSE_KID_LEN);
        const char *field = NULL;
        api_err e = receiptpdf_render(&pdf, &pdf_len, &rc, text, len, kid, &field);
        if (e == API_ERR_ARG && field) {
            char detail[160];
            snprintf(detail, sizeof detail,
                     "the receipt's %s holds a character no font of this service can draw", field);
            status = webapi_problem(r, 422, "unprintable-receipt", "Unprocessable Content", detail);
        } else if (e != API_OK) {
            status = webapi_problem(r, 500, "internal-error", "Internal Server Error",
                                    "the page could not be drawn");
        }
    }
    if (!status) {
        char ymd[11], disposition[96];
        time_paris_date(ymd, rc.checked_at);
        snprintf(disposition, sizeof disposition, "attachment; filename=\"preuve-verification-%s.pdf\"", ymd);
        httpd_header h[] = {
            {"Cache-Control", "no-store"}, {"Content-Disposition", disposition}, {NULL, NULL}};
        status = httpd_send(r, 200, "application/pdf", h, pdf, pdf_len);
    }
    free(pdf);
    cJSON_Delete(j);
    free(body);
    return status;
}

/* ---- handlers ---- */

typedef enum {
    WEBAPI_VERIFY,
    WEBAPI_BATCH,
    WEBAPI_TRUST_LIST,
    WEBAPI_BUNDLE,
    WEBAPI_RECEIPT_KEYS,
    WEBAPI_RECEIPT_PDF
} webapi_op;

/* The routes that know their caller: identify, limit, then the operation. */
static int webapi_called(httpd_req *r, webapi *w, webapi_op op)
{
    webapi_caller c;
    int status = webapi_identify(w, r, &c);
    if (status) return status;
    status = webapi_limit(w, r, &c);
    if (status) return status;
    switch (op) {
    case WEBAPI_VERIFY:
        return webapi_verify(w, r, &c, 0);
    case WEBAPI_BATCH:
        return webapi_verify(w, r, &c, 1);
    case WEBAPI_TRUST_LIST:
        return webapi_trust_list(w, r);
    case WEBAPI_RECEIPT_KEYS:
        return webapi_receipt_keys(w, r);
    case WEBAPI_RECEIPT_PDF:
        return webapi_receipt_pdf(w, r);
    default:
        return webapi_bundle(w, r);
    }
}

static int webapi_h_verify(httpd_req *r, void *arg)
{
    return webapi_called(r, arg, WEBAPI_VERIFY);
}

static int webapi_h_batch(httpd_req *r, void *arg)
{
    return webapi_called(r, arg, WEBAPI_BATCH);
}

static int webapi_h_trust_list(httpd_req *r, void *arg)
{
    return webapi_called(r, arg, WEBAPI_TRUST_LIST);
}

static int webapi_h_receipt_keys(httpd_req *r, void *arg)
{
    return webapi_called(r, arg, WEBAPI_RECEIPT_KEYS);
}

static int webapi_h_receipt_pdf(httpd_req *r, void *arg)
{
    return webapi_called(r, arg, WEBAPI_RECEIPT_PDF);
}

static int webapi_h_bundle(httpd_req *r, void *arg)
{
    return webapi_called(r, arg, WEBAPI_BUNDLE);
}

static int webapi_h_healthz(httpd_req *r, void *arg)
{
    return webapi_healthz(arg, r);
}

static int webapi_h_metrics(httpd_req *r, void *arg)
{
    return webapi_metrics(arg, r);
}

api_err webapi_register(webapi *w, httpd *h)
{
    if (!w || !h) return API_ERR_ARG;
    w->server = h;
    static const struct {
        const char *path;
        unsigned flags;
        const char *methods;
        httpd_handler fn;
    } routes[] = {
        {"/api/v1/verify", HTTPD_BODY, "POST", webapi_h_verify},
        {"/api/v1/verify/batch", HTTPD_BODY, "POST", webapi_h_batch},
        {"/api/v1/trust-list", 0, "GET", webapi_h_trust_list},
        {"/api/v1/bundle", 0, "GET", webapi_h_bundle},
        {"/api/v1/receipt-keys", 0, "GET", webapi_h_receipt_keys},
        {"/api/v1/receipt.pdf", HTTPD_BODY, "POST", webapi_h_receipt_pdf},
        {"/healthz", 0, "GET", webapi_h_healthz},
        {"/metrics", 0, "GET", webapi_h_metrics},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        api_err e = httpd_route(h, routes[i].path, routes[i].flags, routes[i].methods, routes[i].fn, w);
        if (e != API_OK) return e;
    }
    return API_OK;
}

/* ---- every request of the server: metrics and the access log ---- */

static void webapi_req_reset(void)
{
    if (webapi_cur.att && webapi_cur.att != webapi_cur.att_one) free(webapi_cur.att);
    memset(&webapi_cur, 0, sizeof webapi_cur);
}

static void webapi_on_begin(httpd_req *r, void *arg)
{
    webapi *w = arg;
    webapi_req_reset();
    webapi_cur.active = 1;
    webapi_cur.arrived = (int64_t)time(NULL);
    webapi_cur.route = webapi_route_of(httpd_path(r), w && w->cfg.web_pages);
}

static void webapi_on_end(httpd_req *r, int status, double secs, void *arg)
{
    webapi *w = arg;
    if (!webapi_cur.active || !w) return;
    /* the path is known once the gate decoded it: the route is named again */
    webapi_cur.route = webapi_route_of(httpd_path(r), w->cfg.web_pages);
    metrics_request(w->cfg.m, webapi_cur.route, status, secs);
    if (w->cfg.log) {
        accesslog_entry e;
        memset(&e, 0, sizeof e);
        e.time = webapi_cur.arrived;
        e.method = httpd_method(r);
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

void webapi_set_stale_after(webapi *w, int64_t seconds)
{
    atomic_store(&w->stale_after, seconds);
}

void webapi_observer(webapi *w, httpd_observer *o)
{
    o->begin = webapi_on_begin;
    o->end = webapi_on_end;
    o->arg = w;
}

/* ---- for the routes of other files ---- */

int webapi_admit(webapi *w, httpd_req *r, webapi_who *who)
{
    webapi_caller c;
    memset(who, 0, sizeof *who);
    int status = webapi_identify(w, r, &c);
    if (status == 0) status = webapi_limit(w, r, &c);
    if (status) return status;
    who->keyed = c.keyed;
    who->rec = c.rec;
    return 0;
}

void webapi_verify_ctx(webapi *w, verify_ctx *ctx, const trust_list *tl)
{
    webapi_ctx(w, ctx, tl);
}
