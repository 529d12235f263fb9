/*
 * feedsrv.h: the HTTP face of a status feed, shared by the issuer (who
 * writes the feed) and by every verifier (who mirrors it), so that the
 * paths and headers are byte for byte the same everywhere
 * (docs/federation.md, "HTTP"):
 *
 *   GET /trust/v1/trust-list.cose               the signed trust list
 *   GET /feed/v1/{iss}/checkpoint               the latest signed checkpoint
 *   GET /feed/v1/{iss}/segments/{first_seq}     an immutable signed segment
 *   GET /feed/v1/{iss}/snapshot                 the latest signed snapshot
 *
 * The data come from a store given as callbacks. Errors are RFC 9457
 * application/problem+json.
 */
#ifndef API_FEEDSRV_H
#define API_FEEDSRV_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "http/httpd.h"
#include "qr/feed.h"
#include "qr/claims.h"

/*
 * Looks up an object; on API_OK sets *data (malloc'd, the caller's to
 * free) and *len. For FEED_OBJ_SEGMENT: API_ERR_NOT_FOUND with
 * *containing set to the first_seq of the segment that contains `first`
 * when `first` is inside one, or *containing = 0 when no segment holds
 * it. iss is NULL for the trust list. API_ERR_NOT_FOUND also for an
 * issuer the store does not hold.
 */
typedef api_err (*feedsrv_get_fn)(void *arg, feed_obj kind, const char *iss, uint64_t first, uint8_t **data,
                                  size_t *len, uint64_t *containing);

/* A store: its lookup and the lookup's argument. */
typedef struct {
    feedsrv_get_fn get;
    void *arg;
} feedsrv_store;

/*
 * Adds the routes of /trust/v1/ and /feed/v1/ to a server not started
 * yet; store must outlive it. Segments are served with an ETag (the
 * SHA-256 of the bytes, quoted hex), "Cache-Control: public,
 * max-age=31536000, immutable" and 304 for If-None-Match; checkpoints,
 * snapshots and the trust list with "Cache-Control: no-cache" and an ETag.
 * Content-Type: application/cose for all. GET and HEAD only (405
 * otherwise, with Allow). API_OK, or httpd_route's error.
 */
api_err feedsrv_register(httpd *h, const feedsrv_store *store);

/*
 * The strict path grammar: "/trust/v1/trust-list.cose", or
 * "/feed/v1/{iss}/checkpoint", ".../snapshot", ".../segments/{first_seq}"
 * with iss an issuer id (claims_iss_valid: 2..31 characters of [A-Z0-9-])
 * and first_seq a decimal 1..2^63 without sign or leading zero. Fills
 * kind, iss ("" for the trust list) and first (0 unless a segment). 0, or
 * -1 for any other path.
 */
int feedsrv_route(const char *path, feed_obj *kind, char iss[CLAIMS_ISS_MAX], uint64_t *first);

#endif
