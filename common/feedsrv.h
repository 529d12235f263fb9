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

#include "err.h"

struct mg_context;
struct mg_connection;

typedef enum {
    FEEDSRV_CHECKPOINT,
    FEEDSRV_SEGMENT,
    FEEDSRV_SNAPSHOT,
    FEEDSRV_TRUST_LIST,
} feedsrv_kind;

/*
 * Looks up an object; on API_OK sets *data (malloc'd, the caller's to
 * free) and *len. For FEEDSRV_SEGMENT: API_ERR_NOT_FOUND with
 * *containing set to the first_seq of the segment that contains `first`
 * when `first` is inside one, or *containing = 0 when no segment holds
 * it. iss is NULL for the trust list. API_ERR_NOT_FOUND also for an
 * issuer the store does not hold.
 */
typedef api_err (*feedsrv_get_fn)(void *arg, feedsrv_kind kind, const char *iss, uint64_t first, uint8_t **data,
                                  size_t *len, uint64_t *containing);

/*
 * Registers the handlers on a running CivetWeb context. The store must
 * outlive the context. Segments are served with an ETag (the SHA-256 of
 * the bytes, quoted hex), "Cache-Control: public, max-age=31536000,
 * immutable" and 304 for If-None-Match; checkpoints and snapshots with
 * "Cache-Control: no-cache" and an ETag; the trust list with
 * "Cache-Control: no-cache". Content-Type: application/cose for all.
 * GET and HEAD only (405 otherwise, with Allow).
 */
void feedsrv_register(struct mg_context *ctx, feedsrv_get_fn get, void *arg);

/*
 * Removes the handlers of feedsrv_register from ctx (waiting for requests
 * in progress, as mg_set_request_handler does) and frees what it
 * allocated. Call it before mg_stop(ctx); a context stopped without it
 * keeps a few bytes allocated (still reachable) until the process exits.
 */
void feedsrv_unregister(struct mg_context *ctx);

/*
 * The strict path grammar: "/trust/v1/trust-list.cose", or
 * "/feed/v1/{iss}/checkpoint", ".../snapshot", ".../segments/{first_seq}"
 * with iss 2..31 characters of [A-Z0-9-] and first_seq a decimal 1..2^63
 * without sign or leading zero. Fills kind, iss ("" for the trust list)
 * and first (0 unless a segment). 0, or -1 for any other path.
 */
#define FEEDSRV_ISS_MAX 31
int feedsrv_route(const char *path, feedsrv_kind *kind, char iss[FEEDSRV_ISS_MAX + 1], uint64_t *first);

/*
 * Sends an RFC 9457 problem (application/problem+json) with the given
 * status, a type of "/problems/" + slug (a relative URI reference, stable,
 * documented in docs/federation.md), title and detail; extra is either
 * NULL or a JSON object text whose members are added (e.g.
 * "{\"containing_segment\": 12}").
 */
void feedsrv_problem(struct mg_connection *conn, int status, const char *slug, const char *title,
                     const char *detail, const char *extra);

#endif
