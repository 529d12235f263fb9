/*
 * adminapi.h: the issuance API of `api-issuer serve --admin-listen`, for
 * the préfecture's systems (docs/issuer-openapi.yaml), on a listener of its
 * own and never on the public feed's:
 *
 *   POST /api/v1/attestations                  issue one (holder object, + replaces)
 *   POST /api/v1/attestations/batch            issue up to 1,000, one result each
 *   GET  /api/v1/attestations?status=&expiring-within=&limit=&cursor=
 *   GET  /api/v1/attestations/{id}             status, validity, extensions, history
 *   GET  /api/v1/attestations/{id}.png|.svg|.pdf   the files, while they are kept
 *   POST /api/v1/attestations/{id}/revoke|suspend|resume|supersede|extend
 *   POST /api/v1/renew-pending
 *
 * Every request carries "Authorization: Bearer TOKEN" of a client of
 * issuer/clients.h (read may GET, issue may also create, manage may also
 * change statuses); every POST may carry an Idempotency-Key
 * (issuer/idempotency.h); every request is written to the audit log
 * (issuer/audit.h). Errors are RFC 9457 problems.
 */
#ifndef API_ISSUER_ADMINAPI_H
#define API_ISSUER_ADMINAPI_H

#include <stdint.h>

#include "http/httpd.h"
#include "issuer/audit.h"
#include "issuer/clients.h"
#include "issuer/idempotency.h"
#include "issuer/issuer.h"
#include "issuer/registry.h"
#include "qr/render.h"

#define ADMINAPI_BODY_MAX       (64u * 1024)       /* one holder object, or a status change */
#define ADMINAPI_BATCH_BODY_MAX (8u * 1024 * 1024) /* a batch */
#define ADMINAPI_BATCH_MAX      1000               /* holder objects in a batch */
#define ADMINAPI_LIST_DEFAULT   100                /* attestations in a page of the list */
#define ADMINAPI_LIST_MAX       1000
#define ADMINAPI_KEEP_FILES_S   (24 * 3600) /* how long the files of an attestation are kept, by default */

typedef struct adminapi adminapi;

typedef struct {
    const char *dir; /* ISS: its files/ and idempotency/ folders are the API's */
    const issuer_config *cfg;
    const issuer_key *key;
    registry *reg;
    clients *clients;
    audit *audit;            /* NULL: no audit log */
    const char *holder_base; /* NULL: no holder_url */
    const char *formats;     /* the files written: png, svg, pdf */
    render_opts render;
    int64_t keep_files; /* seconds */
} adminapi_config;

/* Makes the API (creating ISS/files/ and the idempotency store) and adds its routes to h. */
api_err adminapi_new(adminapi **out, httpd *h, const adminapi_config *cfg);

/* On the main thread, now and then: deletes the files and idempotency records past their time. */
void adminapi_sweep(adminapi *a, int64_t now);

/* After the server is freed. */
void adminapi_free(adminapi *a);

#endif
