/*
 * watch.h: attestations followed by social agencies, kept in the replica
 * (replica.h) so that what a sync learns of them is written in the same
 * LMDB transaction as the status it applies (docs/privacy.md, "Followed
 * attestations"; the routes are verifier/service/watchapi.h).
 *
 * A watch is (issuer, status index, a keyed hash of the cti, the printed
 * and the effective end, the status last known, the agency's key id):
 * nothing that names a person. Its id is a number the replica counts,
 * shown as 16 hexadecimal digits; a key sees only its own watches.
 *
 * A change is what an agency is told: the watch, its kind, the effective
 * end after it, and when the replica learned it. Changes of one key are
 * numbered in the order they were learned (one counter for the replica:
 * numbers of one key grow, with gaps); a reader keeps the number of the
 * last change it read (its cursor) and asks for the ones after it.
 *
 *   extended     an extension moved the effective end later (from the feed)
 *   revoked, superseded, suspended, resumed   a status event (from the feed)
 *   ending_soon  the effective end is less than the ending-soon delay away
 *   ended        the effective end has passed
 *
 * The feed's changes are derived by the sync, in the transaction that
 * applies the events, so that a crash loses none and reports none twice;
 * ending_soon and ended by watch_tick (once each per effective end: an
 * extension arms them again). A watch whose attestation was revoked or
 * superseded, or ended, is purged WATCH_RETENTION_DAYS later; a change is
 * purged WATCH_RETENTION_DAYS after it was learned.
 */
#ifndef API_WATCH_H
#define API_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "qr/claims.h"
#include "verifier/replica.h"

#define WATCH_KEY_MAX                  16      /* bytes of an agency's key id */
#define WATCH_HASH_LEN                 16      /* bytes of the keyed hash of a cti */
#define WATCH_DEFAULT_MAX_PER_KEY      1000000 /* --max-watch */
#define WATCH_DEFAULT_ENDING_SOON_DAYS 14      /* --ending-soon-days */
#define WATCH_MAX_ENDING_SOON_DAYS     90
#define WATCH_RETENTION_DAYS           90 /* after the end, a revocation or a supersession */
#define WATCH_ID_TEXT                  17 /* 16 hexadecimal digits and the NUL */

typedef enum {
    WATCH_EXTENDED = 0,
    WATCH_REVOKED,
    WATCH_SUSPENDED,
    WATCH_RESUMED,
    WATCH_SUPERSEDED,
    WATCH_ENDING_SOON,
    WATCH_ENDED,
    WATCH_KIND_COUNT
} watch_kind;

/* "extended", "revoked", ...: the codes of the API. */
const char *watch_kind_code(watch_kind k);

/* flags of a watch */
#define WATCH_SOON_SENT  1u /* ending_soon told for the effective end held */
#define WATCH_ENDED_SENT 2u /* ended told for the effective end held */
#define WATCH_FINAL      4u /* seen revoked or superseded by watch_tick: purged later */

typedef struct {
    uint64_t id;
    char key_id[WATCH_KEY_MAX + 1];
    char iss[CLAIMS_ISS_MAX];
    uint32_t idx;
    uint8_t cti_hash[WATCH_HASH_LEN];
    int64_t printed_end;   /* the attestation's exp */
    int64_t effective_end; /* exp, or the latest extension held */
    unsigned status;       /* STATUS_* held now */
    unsigned flags;        /* WATCH_* above */
    int64_t created_at;
    int64_t mark; /* the end the flags were told for; with WATCH_FINAL, when it was seen final */
} watch_record;

typedef struct {
    uint64_t seq; /* the change's number: a cursor */
    uint64_t watch_id;
    watch_kind kind;
    int64_t effective_until;
    int64_t learned_at;
} watch_change;

/* What to follow: read from a verified attestation. */
typedef struct {
    const char *iss;
    uint32_t idx;
    const uint8_t *cti; /* CLAIMS_CTI_LEN bytes */
    int64_t printed_end;
    int64_t effective_end;
    unsigned status;
} watch_target;

/* The id as text (16 hexadecimal digits), and back: 0, or -1 for a text that is not one. */
void watch_id_format(char out[WATCH_ID_TEXT], uint64_t id);
int watch_id_parse(uint64_t *id, const char *text);

/*
 * How long before the effective end ending_soon is told (days, 0..
 * WATCH_MAX_ENDING_SOON_DAYS; the default until set). Set before the
 * replica is used by other threads.
 */
void watch_set_ending_soon(replica *r, int days);

/* What watch_add did for one target. */
typedef struct {
    api_err err; /* API_OK; API_ERR_FULL: the key follows max_per_key already; API_ERR_ARG: skipped */
    uint64_t id; /* the watch */
    int created; /* 1: a new watch; 0: key_id followed it already */
} watch_added;

/*
 * Follows each of the n targets for key_id at now, in one transaction: a
 * target with iss NULL is skipped (API_ERR_ARG in its out). A target key_id
 * follows already gives that watch (created 0). Past max_per_key watches of
 * key_id a target gets API_ERR_FULL and nothing. Returns API_OK (each out
 * says), API_ERR_TOO_LARGE when the store itself is full (nothing
 * written), API_ERR_DB, API_ERR_NOMEM or API_ERR_ARG.
 */
api_err watch_add(replica *r, const char *key_id, const watch_target *t, size_t n, int64_t now,
                  uint64_t max_per_key, watch_added *out);

/* The watch id of key_id: API_ERR_NOT_FOUND when there is none (or it is another key's). */
api_err watch_get(replica *r, const char *key_id, uint64_t id, watch_record *out);

/* Stops following: API_ERR_NOT_FOUND as watch_get. Its changes already learned stay readable. */
api_err watch_delete(replica *r, const char *key_id, uint64_t id);

/* Watches of key_id with an id after `after`, in id order, at most cap: *n, and *more when others follow. */
api_err watch_list(replica *r, const char *key_id, uint64_t after, watch_record *out, size_t cap, size_t *n,
                   int *more);

/* How many attestations key_id follows. */
api_err watch_count(replica *r, const char *key_id, uint64_t *n);

/*
 * Changes of key_id numbered after since, in order, at most cap: *n;
 * *cursor is the number of the last one given (since when none).
 */
api_err watch_changes(replica *r, const char *key_id, uint64_t since, watch_change *out, size_t cap,
                      size_t *n, uint64_t *cursor);

/*
 * The changes time brings at now (ending_soon, ended) and the purge of
 * watches kept past their retention, in transactions of a bounded size.
 * *told (may be NULL) gets the number of changes written.
 */
api_err watch_tick(replica *r, int64_t now, size_t *told);

#endif
