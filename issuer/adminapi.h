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

/* The routes, by the shape of their path. */
typedef enum {
    ROUTE_NONE,       /* not a path of the API: 404 */
    ROUTE_COLLECTION, /* /api/v1/attestations: GET the list, POST issue */
    ROUTE_BATCH,      /* /api/v1/attestations/batch */
    ROUTE_RENEW,      /* /api/v1/renew-pending */
    ROUTE_ONE,        /* /api/v1/attestations/{id} */
    ROUTE_FILE,       /* /api/v1/attestations/{id}.{ext}: *rest is ext (not checked here) */
    ROUTE_CHANGE,     /* /api/v1/attestations/{id}/{action}: *rest is an action of statuschange.h */
    ROUTE_ADOPT,      /* /api/v1/attestations/adopt: an attestation given back after a restore */
} adminapi_route;

/*
 * The strict path grammar of the API (path: decoded by the server's gate,
 * NUL-terminated): the route, and for the routes of one attestation its id
 * (24 hexadecimal characters, either case; id gets them in lower case, cti
 * the bytes) and *rest, what follows the id inside path. Anything else,
 * longer than HTTPD_PATH_MAX included, is ROUTE_NONE.
 */
adminapi_route adminapi_route_parse(const char *path, uint8_t cti[CLAIMS_CTI_LEN],
                                    char id[2 * CLAIMS_CTI_LEN + 1], const char **rest);

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
