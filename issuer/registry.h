/*
 * registry.h: the issuer's registry of issued attestations, in LMDB under
 * ISS/registry/ (docs/federation.md describes it with the feed).
 *
 * It holds, per attestation id (cti): the status-list index, the printed
 * validity, the status and its private reason, the extensions; the event
 * log; and the published feed (segments, checkpoint, snapshot). It holds
 * no personal data: names and numbers stay on the paper and in the QR
 * code. It is shared by concurrent processes (MDB_NOTLS, reader-table
 * clean-up at open and on every feed cut): `serve` publishes while the
 * commands change statuses.
 */
#ifndef API_REGISTRY_H
#define API_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/time.h"
#include "qr/claims.h"
#include "qr/cose.h"
#include "common/err.h"
#include "qr/feed.h"
#include "issuer/idxperm.h"

#define REGISTRY_MAP_SIZE (16ull << 30) /* 16 GiB of address space, sparse on disk */

typedef struct registry registry;

/* Private reasons: they stay here, the public feed carries none. */
typedef enum {
    REGISTRY_REASON_NONE = 0,
    REGISTRY_REASON_ERROR = 1,     /* revoked: issued in error */
    REGISTRY_REASON_FRAUD = 2,     /* revoked: fraud */
    REGISTRY_REASON_WITHDRAWN = 3, /* revoked: application withdrawn */
    REGISTRY_REASON_ISSUED = 4,    /* superseded: permit issued */
    REGISTRY_REASON_REFUSED = 5,   /* superseded: permit refused */
    REGISTRY_REASON_REPLACED = 6,  /* superseded: a new API replaces it */
} registry_reason;

typedef struct {
    uint8_t cti[CLAIMS_CTI_LEN];
    uint32_t idx;
    int64_t iat;
    int64_t nbf;
    int64_t exp;
    unsigned status;        /* 0 valid, 1 revoked, 2 suspended, 3 superseded */
    int64_t extended_until; /* 0 if never extended */
    unsigned reason;        /* registry_reason of the last status change */
    int64_t changed_at;     /* time of the last status change or extension, 0 if none */
} registry_entry;

/* The end of validity that counts: the extension when later than exp. */
int64_t registry_effective_exp(const registry_entry *e);

/* Opens (creating if needed) the registry of the issuer folder dir. */
api_err registry_open(registry **reg, const char *dir);
void registry_close(registry *reg);

/*
 * Gives each of the n entries a fresh random cti and the next status-list
 * indices (idxperm of a counter, from seed), and stores them, all in one
 * transaction: either every entry is registered or none (an index the
 * registry holds already, or keeps from a restore, is skipped). The caller
 * sets iat, nbf and exp. API_ERR_FULL when the list's 2^21 indices are used.
 * With replaces not NULL (one entry only), that attestation is superseded
 * (reason "replaced") in the same transaction: API_ERR_NOT_FOUND for an
 * unknown id, API_ERR_FORBIDDEN when the status rules refuse it, err
 * saying why.
 */
api_err registry_allocate(registry *reg, const uint8_t seed[IDXPERM_SEED_LEN], registry_entry *entries,
                          size_t n, const uint8_t *replaces, char *err, size_t errcap);

/*
 * Changes a status (STATUS_* of qr/status.h) and appends one event, in one
 * transaction. Allowed: valid <-> suspended; valid or suspended -> revoked
 * or superseded (final). Anything else is API_ERR_FORBIDDEN with err
 * saying why; an unknown id is API_ERR_NOT_FOUND.
 */
api_err registry_set_status(registry *reg, const uint8_t cti[CLAIMS_CTI_LEN], unsigned status,
                            unsigned reason, int64_t now, char *err, size_t errcap);

/*
 * Extends validity to new_exp (an end of day, Europe/Paris) and appends
 * one event. Only for valid or suspended attestations; only later than the
 * current effective end; at most three calendar months after it. Anything
 * else is API_ERR_FORBIDDEN with err saying why.
 */
api_err registry_extend(registry *reg, const uint8_t cti[CLAIMS_CTI_LEN], int64_t new_exp, int64_t now,
                        char *err, size_t errcap);

/*
 * Automatic renewal: every valid or suspended attestation whose effective
 * end falls between now - within and now + within is extended by `by`
 * (from its effective end, calendar months in Paris time, at most three
 * months), all in one transaction. Revoked and superseded ones are never
 * touched. *renewed counts them; log (may be NULL) gets one line each
 * (id and new end only).
 */
api_err registry_renew_pending(registry *reg, int64_t now, time_duration within, time_duration by,
                               size_t *renewed, FILE *log);

/* Calls fn for every attestation, in id order, in one read transaction; stops when fn returns nonzero. */
typedef int (*registry_visit_fn)(void *arg, const registry_entry *e);
api_err registry_foreach(registry *reg, registry_visit_fn fn, void *arg);

/* The same, for the attestations whose id sorts after `after` (NULL: from the first): pages of a list. */
api_err registry_foreach_after(registry *reg, const uint8_t *after, registry_visit_fn fn, void *arg);

/* The entry of cti: API_OK, API_ERR_NOT_FOUND, or API_ERR_DB. */
api_err registry_get(registry *reg, const uint8_t cti[CLAIMS_CTI_LEN], registry_entry *out);

/*
 * Calls fn for every event of the status index idx (its status changes
 * and extensions), oldest first, in one read transaction; stops when fn
 * returns nonzero. It reads the whole event log: for one attestation's
 * history, not for lists.
 */
typedef int (*registry_event_fn)(void *arg, const feed_event *ev);
api_err registry_history(registry *reg, uint32_t idx, registry_event_fn fn, void *arg);

/* Feed state: last event recorded, last event published in a segment. */
api_err registry_feed_counts(registry *reg, uint64_t *last_event, uint64_t *published);

/*
 * Publishes: cuts every pending event into signed segments of at most
 * FEED_SEGMENT_MAX_EVENTS, advances the chain, signs a snapshot of the
 * whole status list when anything was cut, and signs a new checkpoint
 * (always: the heartbeat), all in one transaction, so the feed never shows
 * a state the registry does not hold. *cut counts the segments made.
 */
api_err registry_feed_publish(registry *reg, const char *iss, uint64_t epoch, const api_signer *by,
                              int64_t now, size_t *cut);

/* A feedsrv_get_fn over the published feed; arg is a registry_feed_source. */
typedef struct {
    registry *reg;
    char iss[CLAIMS_ISS_MAX];
} registry_feed_source;

api_err registry_feed_get(void *arg, feed_obj kind, const char *iss, uint64_t first, uint8_t **data,
                          size_t *len, uint64_t *containing);

/* Number of attestations registered. */
api_err registry_count(registry *reg, uint64_t *count);

/* ---- backup and restore (issuer/cmd_backup.c) ---- */

/* What registry_adopt did. */
typedef enum {
    REGISTRY_ADOPT_NEW,       /* registered, valid: the feed never named its index */
    REGISTRY_ADOPT_RECOVERED, /* registered with the status and extension a restore kept for its index */
    REGISTRY_ADOPT_ALREADY,   /* the registry held it already: nothing written */
} registry_adoption;

/*
 * Gives the registry back an attestation it signed but does not hold (one
 * issued after the backup a restore came from), from its claims: in->cti,
 * idx, iat, nbf and exp (the caller has checked the signature). Its status
 * and extension are those a restore kept for its index (that index then
 * leaves the "recovered" database), or valid when the feed never named
 * it; nothing is published, since nothing changed. API_ERR_EXISTS (err
 * says why) when the id is held with another index or the index belongs
 * to another id.
 */
api_err registry_adopt(registry *reg, const registry_entry *in, int64_t now, registry_adoption *how,
                       char *err, size_t errcap);

/*
 * Writes a consistent, compacted copy of the registry's LMDB file to fd
 * (one read transaction: commands and serve may write meanwhile).
 * API_ERR_FULL when the disk is full, API_ERR_IO otherwise (err says).
 */
api_err registry_backup_copy(registry *reg, int fd, char *err, size_t errcap);

/*
 * The state a restore recovered from the published feed: the status list
 * and the end of validity of every index (bits NULL: nothing recovered),
 * and the indices the feed ever named (for the allocator, may be NULL).
 * With protect set, the registry's own events after protect_after (never
 * published) win over the feed for the indices they name.
 */
typedef struct {
    const uint8_t *bits;    /* FEED_LIST_BYTES */
    const int64_t *ext;     /* FEED_LIST_SIZE entries, 0: never extended */
    const uint8_t *touched; /* FEED_LIST_SIZE bits */
    int protect;
    uint64_t protect_after;
} registry_published;

typedef struct {
    size_t changed;                         /* attestations brought to the published state */
    size_t orphans;                         /* indices kept without an id (issued after the backup) */
    uint64_t counter_before, counter_after; /* the index allocator */
} registry_recovery;

/*
 * After a restore, in one transaction: brings the registry to the
 * published state pub (indices it does not hold are kept in the
 * "recovered" database and enter every snapshot), moves the index
 * allocator past every index the feed named and margin further, and
 * empties the feed (events, segments, checkpoint, snapshot) for a new
 * epoch that starts at seq 0.
 */
api_err registry_restart_feed(registry *reg, const registry_published *pub,
                              const uint8_t seed[IDXPERM_SEED_LEN], uint32_t margin, int64_t now,
                              registry_recovery *out);

#endif
