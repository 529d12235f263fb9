/*
 * replica.h: a verifier's LMDB replica of the federation: the signed trust
 * list it accepted, and for every issuer the signed feed it holds (the
 * latest checkpoint, the snapshot it started from, the segments since) and
 * the status that results (docs/federation.md, "Verifier").
 *
 * Everything held was signed by the root or by an issuer key of the trust
 * list, and is kept byte for byte, so the replica can be re-served as a
 * mirror (feedsrv.h). A sync applies each issuer's batch in one LMDB
 * transaction: after a crash the replica holds the state before or after
 * the batch, never between. Rollbacks and forks are refused, reported and
 * counted; the previous state is kept.
 *
 * The replica reports facts: the status held and the signed_at of the
 * checkpoint it comes from. Whether that is fresh enough is decided by the
 * verification alone (verify_ctx.max_staleness, verify.h).
 *
 * Its files, behind this header (replica_int.h is their private one):
 * replica_records.c (the databases and their records), replica_trust.c
 * (the trust list), replica_sync.c (the sync of the feeds), replica_read.c
 * (what readers are told).
 */
#ifndef API_REPLICA_H
#define API_REPLICA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "qr/feed.h"
#include "qr/trust.h"
#include "verifier/verify.h"

#define REPLICA_MAP_SIZE       (8ull << 30)
#define REPLICA_MAX_CLOCK_SKEW 300 /* a checkpoint signed more than this in the future is refused */
#define REPLICA_MAX_SOURCES    16

/* The verification's default bound on staleness (verify.h), by the name its callers still use. */
#define REPLICA_DEFAULT_MAX_STALENESS VERIFY_DEFAULT_MAX_STALENESS

typedef struct replica replica;

/* Opens (creating) the replica in folder dir (LMDB, MDB_NOTLS, reader-table clean-up). */
api_err replica_open(replica **r, const char *dir);
void replica_close(replica *r);

/*
 * Offers a signed trust list. It is accepted when it verifies with the
 * pinned root key, or with the next_root announced by the list held; and
 * when its seq is greater than the held one (equal seq with identical bytes
 * is a no-op success). An older list is API_ERR_TRUST_LIST with err saying
 * "rollback". A new feed epoch for an issuer discards that issuer's held
 * feed (it will be fetched again from the new epoch).
 */
api_err replica_offer_trust(replica *r, const uint8_t *cose, size_t len, const uint8_t root_pk[COSE_PK_LEN],
                            char *err, size_t errcap);

/* The held trust list, decoded (the caller trust_free()s it); API_ERR_NOT_FOUND if none. */
api_err replica_trust(replica *r, trust_list *tl);

/*
 * Fetches url into *body (malloc'd), *len, and the HTTP status; API_ERR_IO
 * when unreachable. The sync asks for a path of the feed protocol at a
 * source; syncer_get (syncer.h) joins the two into the url given here.
 */
typedef api_err (*replica_fetch_fn)(void *arg, const char *url, uint8_t **body, size_t *len, int *status);

/* What one sync did for one issuer id. */
typedef struct {
    char iss[CLAIMS_ISS_MAX];
    int reached;      /* a source answered with a valid, consistent feed */
    char source[256]; /* the base URL that served it */
    uint64_t seq_before, seq_after;
    int64_t checkpoint_signed_at;
    int fork;        /* a fork was detected (and refused) */
    int rollback;    /* an older checkpoint was offered (and refused) */
    char error[256]; /* the last problem met, for the report */
} replica_issuer_report;

typedef struct {
    size_t n;
    replica_issuer_report issuers[TRUST_MAX_ENTRIES > 256 ? 256 : TRUST_MAX_ENTRIES];
} replica_sync_report;

/*
 * Syncs every issuer id of the held trust list (its feed URL first, then
 * each mirror base URL in order) at time now. For each issuer: fetch the
 * checkpoint; check signature (a non-compromised key of that issuer id in
 * the trust list), iss, epoch, not in the future, not older than held;
 * fetch the snapshot when nothing is held yet, then the segments from the
 * held seq + 1 up to the checkpoint, checking signatures, consecutive
 * sequence numbers and the hash chain up to the checkpoint's head; apply
 * all of it in one transaction. A source that fails is skipped for the
 * next one. log (may be NULL) gets one line per issuer and source. Returns
 * API_OK when every issuer was reached, API_ERR_IO otherwise (rep says
 * which were not).
 */
api_err replica_sync(replica *r, const char *const *mirrors, size_t n_mirrors, replica_fetch_fn fetch,
                     void *arg, int64_t now, FILE *log, replica_sync_report *rep);

/*
 * A verify_status_fn over the replica (arg = the replica): whether the
 * issuer's feed is held (a checkpoint of it), as_of (that checkpoint's
 * signed_at), and the status and extension held for idx: facts only,
 * freshness is the verification's to decide (verify_status_fresh).
 */
int replica_status(void *arg, const trust_entry *entry, uint32_t idx, verify_status *out);

/* A feedsrv_get_fn over the replica (arg = the replica), to act as a mirror. */
api_err replica_feed_get(void *arg, feed_obj kind, const char *iss, uint64_t first, uint8_t **data,
                         size_t *len, uint64_t *containing);

/* Counters for metrics and reports. */
typedef struct {
    uint64_t forks;     /* forks detected since the replica was created */
    uint64_t rollbacks; /* older trust lists or checkpoints refused */
    uint64_t trust_seq; /* seq of the held trust list */
} replica_counters;

api_err replica_get_counters(replica *r, replica_counters *c);

/* Per-issuer state for reports: checkpoint seq and signed_at, 0 if none held. */
api_err replica_issuer_state(replica *r, const char *iss, uint64_t *seq, int64_t *signed_at);

/*
 * A number that changes whenever anything is committed to the replica (by
 * this process or another): LMDB's last transaction id. Costs no
 * transaction, so a service may call it on every request to know when to
 * refresh what it derived from the replica. During a commit it may run
 * ahead, for a moment, of what a read sees: compare it with the version a
 * read returned (replica_trust_signed, replica_export), never keep it as
 * the version of what was read.
 */
uint64_t replica_version(replica *r);

/*
 * The held trust list's signed bytes (malloc'd) and the version of the
 * replica they were read at (see replica_version). API_ERR_NOT_FOUND when
 * none is held (*version is still set).
 */
api_err replica_trust_signed(replica *r, uint8_t **cose, size_t *len, uint64_t *version);

/*
 * What replica_export hands out, object by object: kind, the issuer id
 * (NULL for the trust list), and the signed bytes, valid only during the
 * call (data NULL, len 0: no snapshot is held). A nonzero return stops the
 * walk.
 */
typedef int (*replica_export_fn)(void *arg, feed_obj kind, const char *iss, const uint8_t *data, size_t len);

/*
 * Walks, in one read transaction (a consistent view), what the offline
 * bundle needs (docs/federation.md, "The offline bundle"): the signed
 * trust list; then, for every issuer id of that list whose feed is held,
 * in the list's order: its snapshot (or NULL), each segment after the
 * snapshot up to the held checkpoint, in order, and that checkpoint; so
 * that the chain from the snapshot's head through the segments reaches the
 * checkpoint's head. *version (may be NULL) gets the version of the
 * replica that was read (see replica_version). API_ERR_NOT_FOUND when no
 * trust list is held, API_ERR_ARG when fn stopped the walk.
 */
api_err replica_export(replica *r, replica_export_fn fn, void *arg, uint64_t *version);

#endif
