/*
 * fedview.h: what the service derives from its replica and shares between
 * request threads: the decoded trust list with its JSON view (GET
 * /api/v1/trust-list), and the offline bundle (GET /api/v1/bundle, the
 * format of docs/federation.md, "The offline bundle").
 *
 * Both are made once and handed out with a reference count, so a request
 * never decodes the trust list nor builds the bundle again while the
 * replica is unchanged: each call compares replica_version() (no LMDB
 * transaction) with the version the cached object was read at, and
 * rebuilds only when the replica changed. Safe to share between threads.
 */
#ifndef API_FEDVIEW_H
#define API_FEDVIEW_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "verifier/replica.h"
#include "qr/trust.h"

#define FEDVIEW_ETAG_LEN 34 /* a quoted hex BLAKE2b-128 of the body */

/* A JSON body shared between threads. */
typedef struct {
    char *body;
    size_t len;
    char etag[FEDVIEW_ETAG_LEN + 1];
    uint64_t version; /* the replica's version it was read at (replica.h) */
    _Atomic unsigned refs;
} fedview_doc;

/* The trust list held, decoded, with its signed bytes and its JSON view. */
typedef struct {
    trust_list tl;
    uint8_t *signed_bytes;
    size_t signed_len;
    fedview_doc *json;
    _Atomic unsigned refs;
} fedview_trust;

typedef struct fedview fedview;

/* root_pk: the root key the service was started with (the bundle's root_public_key). */
api_err fedview_new(fedview **out, replica *r, const uint8_t root_pk[COSE_PK_LEN]);
void fedview_free(fedview *f);

/* The trust list held now (refreshed when the replica changed), or NULL when none is held. Give it back with
 * fedview_trust_put. */
fedview_trust *fedview_trust_get(fedview *f);
void fedview_trust_put(fedview_trust *t);

/*
 * The bundle of the replica as it is now, generated_at now, made again only
 * when the replica changed. NULL with *err: API_ERR_NOT_FOUND when no trust
 * list is held, API_ERR_DB or API_ERR_NOMEM. Give it back with
 * fedview_doc_put.
 */
fedview_doc *fedview_bundle_get(fedview *f, int64_t now, api_err *err);
void fedview_doc_put(fedview_doc *d);

#endif
