/*
 * webapi.h: the HTTP API of `api-verifier serve`, on a CivetWeb server:
 *
 *   POST /api/v1/verify          one attestation: JSON {"payload": "API1:..."},
 *                                the QR text (text/plain), or a document
 *                                (image/png, image/jpeg, application/pdf,
 *                                multipart/form-data)
 *   POST /api/v1/verify/batch    {"payloads": [...]} (at most 1,000), or a
 *                                document (a PDF of several attestations)
 *                                -> {"results": [...]}, a document's each
 *                                with its "page"
 *   GET  /api/v1/trust-list      the trust list held, as JSON, with its signed bytes
 *   GET  /api/v1/bundle          the offline bundle (docs/federation.md)
 *   GET  /healthz                {"status": "ok", ...}; 503 without a trust list, and with
 *                                --stale-after while an issuer's status is older (a "stale" problem)
 *   GET  /metrics                Prometheus text exposition
 *
 * Callers may send X-API-Key (keystore.h): the key's profile decides what
 * answers echo, and its rate limit applies; without a key, the anonymous
 * profile and the per-address rate limit apply (the address is the one
 * the server layer resolved: the peer, or what a trusted proxy says).
 * Every error is an RFC 9457 problem (application/problem+json, type
 * "/problems/<slug>"); a QR text that does not verify is not an error but
 * a 200 with its verdict.
 *
 * webapi_observer gives the server an observer that counts every request
 * of the server (mirror paths, web pages and the gate's refusals included)
 * in the metrics and writes its access-log line.
 */
#ifndef API_WEBAPI_H
#define API_WEBAPI_H

#include <stddef.h>
#include <stdint.h>

#include "verifier/service/accesslog.h"
#include "verifier/service/fedview.h"
#include "http/httpd.h"
#include "verifier/service/keystore.h"
#include "verifier/service/metrics.h"
#include "common/ratelimit.h"
#include "verifier/receiptkey.h"
#include "verifier/replica.h"
#include "verifier/verify.h"

#define WEBAPI_MAX_BATCH         1000
#define WEBAPI_DEFAULT_MAX_BODY  (256u * 1024)
#define WEBAPI_DEFAULT_MAX_IMAGE (8u * 1024 * 1024)
/* A batch body may be 4 x --max-body: 1,000 texts of the usual size fit in 1 MiB. */
#define WEBAPI_BATCH_BODY_FACTOR      4
#define WEBAPI_DEFAULT_ANONYMOUS_RATE 20
#define WEBAPI_MAX_PDF_RENDERS        2 /* PDF files drawn at once: each renderer may take 1 GiB */

typedef struct {
    replica *r;
    fedview *fv;
    keystore *keys; /* NULL: no key is valid */
    const receiptkey
        *receipts;  /* the verifier's receipt key (receipt=true, /api/v1/receipt-keys); NULL: none */
    accesslog *log; /* NULL: no access log */
    ratelimit *rl;
    metrics *m;
    int64_t max_staleness;    /* seconds (--max-staleness) */
    int64_t stale_after;      /* seconds (--stale-after): /healthz is 503 past it; 0: never */
    size_t max_body;          /* bytes of a JSON or text body */
    size_t max_image;         /* bytes of an image or multipart body */
    double anonymous_rate;    /* requests a second per address, 0: no limit */
    int web_pages;            /* the server serves web pages (a document root) */
    const char *pdf_renderer; /* api-pdfrender (verifier/pdfread.h); NULL: PDF bodies are refused (503) */
    int render_timeout_ms;    /* for one PDF, all its pages; 0: DOCUMENT_DEFAULT_TIMEOUT_MS */
} webapi_config;

typedef struct webapi webapi;

/* Copies the configuration (the objects it points to must outlive the webapi). */
api_err webapi_new(webapi **out, const webapi_config *cfg);
void webapi_free(webapi *w);

/* Adds the API's routes to a server not started yet (httpd_route's error, or API_OK). */
api_err webapi_register(webapi *w, httpd *h);

/* The observer that counts and logs every request of the server (httpd_config.observer). */
void webapi_observer(webapi *w, httpd_observer *o);

/* --stale-after changed while the service runs (SIGHUP): seconds, 0 for never. */
void webapi_set_stale_after(webapi *w, int64_t seconds);

/* ---- for the routes of other files (watchapi.h) ---- */

/* Who called: keyed, with the key's record, or anonymous. */
typedef struct {
    int keyed;
    keystore_record rec;
} webapi_who;

/*
 * Identifies the caller (a wrong or revoked X-API-Key is 401, as on every
 * keyed route) and takes its rate token (429): 0 with *who set, or the
 * status of the problem sent. The access log names the caller as for the
 * API's own routes.
 */
int webapi_admit(webapi *w, httpd_req *r, webapi_who *who);

/* A verification context over tl at the current time, with the replica and the service's staleness. */
void webapi_verify_ctx(webapi *w, verify_ctx *ctx, const trust_list *tl);

#endif
