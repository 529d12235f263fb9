/*
 * metrics.h: the service's counters and their Prometheus text exposition
 * (GET /metrics): requests by route and status, verdicts by result, a
 * latency histogram by route, rate-limited requests, documents read by
 * kind and the PDF renderer's time by outcome; and, given by the
 * caller when rendering, the replica's figures (trust-list seq, sync age of
 * each issuer, forks detected, rollbacks refused) and the server's (the
 * connections refused and dropped, bodies cut, requests the HTTP gate
 * refused).
 *
 * Counting is lock-free (atomics), so any thread may count at any time.
 */
#ifndef API_METRICS_H
#define API_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "http/httpd.h"
#include "verifier/verify.h"

/* The service's routes, as metrics and the access log name them. */
typedef enum {
    METRICS_ROUTE_VERIFY = 0,   /* POST /api/v1/verify */
    METRICS_ROUTE_BATCH,        /* POST /api/v1/verify/batch */
    METRICS_ROUTE_TRUST_LIST,   /* GET /api/v1/trust-list */
    METRICS_ROUTE_BUNDLE,       /* GET /api/v1/bundle */
    METRICS_ROUTE_RECEIPT_KEYS, /* GET /api/v1/receipt-keys */
    METRICS_ROUTE_RECEIPT_PDF,  /* POST /api/v1/receipt.pdf */
    METRICS_ROUTE_HEALTHZ,      /* GET /healthz */
    METRICS_ROUTE_METRICS,      /* GET /metrics */
    METRICS_ROUTE_MIRROR,       /* /trust/v1/..., /feed/v1/... */
    METRICS_ROUTE_WEB,          /* the web pages (--web-root) */
    METRICS_ROUTE_OTHER,        /* anything else (404s) */
    METRICS_ROUTE_COUNT
} metrics_route;

#define METRICS_BUCKETS 14

typedef struct metrics metrics;

metrics *metrics_new(void);
void metrics_free(metrics *m);

/* "verify", "verify_batch", "trust_list", "bundle", "healthz", "metrics", "mirror", "web", "other". */
const char *metrics_route_name(metrics_route r);

void metrics_request(metrics *m, metrics_route r, int status, double seconds);
void metrics_verdict(metrics *m, verdict v, unsigned n);
void metrics_rate_limited(metrics *m);

/* The kinds of documents the API reads (api_verifier_documents_total). */
typedef enum { METRICS_DOC_PNG = 0, METRICS_DOC_JPEG, METRICS_DOC_PDF, METRICS_DOC_COUNT } metrics_doc;

/* What drawing a PDF came to (api_verifier_pdf_render_seconds, by outcome). */
typedef enum {
    METRICS_RENDER_OK = 0,  /* drawn (its codes may still be missing) */
    METRICS_RENDER_REFUSED, /* encrypted, too many pages, a page or the file too large */
    METRICS_RENDER_FAILED,  /* damaged, or the renderer crashed or ran out of a limit */
    METRICS_RENDER_TIMEOUT, /* killed at --render-timeout */
    METRICS_RENDER_COUNT
} metrics_render_outcome;

#define METRICS_RENDER_BUCKETS 11

/* One document read (its bytes were a PNG, a JPEG or a PDF). */
void metrics_document(metrics *m, metrics_doc kind);

/* The wall-clock time the renderer took for one PDF (both passes), and how it ended. */
void metrics_render_time(metrics *m, metrics_render_outcome outcome, double seconds);

/* One issuer's sync age for the exposition. */
typedef struct {
    const char *iss;
    int held;    /* a checkpoint is held */
    int64_t age; /* seconds since its signed_at */
} metrics_issuer;

typedef struct {
    int has_trust_list;
    uint64_t trust_seq;
    uint64_t forks;
    uint64_t rollbacks;
    const metrics_issuer *issuers;
    size_t n_issuers;
    const httpd_stats *http; /* the server's connection and gate counters, or NULL */
} metrics_replica;

/* The text exposition (format 0.0.4), malloc'd, *len its length; NULL when out of memory. */
char *metrics_render(metrics *m, const metrics_replica *rep, size_t *len);

#endif
