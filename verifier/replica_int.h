/*
 * replica_int.h: what the files of the replica share behind replica.h, and
 * nothing else includes: the environment, the layout of its databases, the
 * records' encoders and decoders (replica_records.c), the rules of the trust
 * list the other files apply (replica_trust.c), and the one outcome of a
 * sync step (replica_sync.c).
 *
 *   replica_records.c  the environment, the databases, every record
 *   replica_trust.c    trust-list offers, rollback, root rotation, feed signers
 *   replica_sync.c     the sync of issuers' feeds from sources
 *   replica_read.c     status, objects for mirrors, export, counters
 *
 * Transactions, one rule for every function of these files: a function that
 * is given a transaction (an MDB_txn * parameter) never commits nor aborts
 * it; whoever began a transaction ends it, on every path, and a write
 * transaction is committed only when every write in it succeeded.
 *
 * Return codes: a function that works on a transaction returns 0 or the
 * LMDB (or errno) code that stopped it, and its caller propagates it;
 * replica_db_err turns it into an api_err at the public boundary.
 */
#ifndef API_REPLICA_INT_H
#define API_REPLICA_INT_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "qr/cose.h"
#include "qr/feed.h"
#include "qr/trust.h"
#include "verifier/replica.h"

struct replica {
    MDB_env *env;
    MDB_dbi meta, issuers, status, segments, snapshots, forks;
    MDB_dbi watches, watch_targets; /* replica_watch.c */
    int64_t sync_now;               /* the time of the sync running (learned_at of its changes) */
    int64_t watch_soon;             /* seconds before the effective end that ending_soon is told */
};

/*
 * The layout: one environment in the replica's folder (MDB_NOTLS), six
 * named databases. Integers are big-endian (common/bytes.h) so that keys
 * sort; "iss" is the issuer id (its bytes, [A-Z0-9-], no NUL), "iss\0"
 * that id followed by one zero byte, which keeps one issuer's keys
 * together and apart from a longer id. A record that starts with a version
 * byte has version REPLICA_REC_VERSION. This layout is on disk: a replica
 * written by an earlier build must still open and read.
 *
 *   meta       "trust"       the signed trust list, byte for byte
 *              "trust_root"  the 32-byte root key that verified it
 *              "trust_seq"   u64, its seq
 *              "forks"       u64, forks detected
 *              "rollbacks"   u64, older trust lists and checkpoints refused
 *   issuers    iss -> the held feed (REPLICA_HELD_*, below)
 *   status     iss\0 idx u32 -> status (REPLICA_STATUS_*, below); only for
 *              entries with a non-zero status or an extension (absent =
 *              valid, never extended)
 *   segments   iss\0 first_seq u64 -> event count u32 | segment COSE bytes
 *   snapshots  iss -> the snapshot COSE bytes the replica started from
 *   forks      iss\0 n u64 -> fork evidence (REPLICA_FORK_*, below); n
 *              counts from 1
 *   watches, watch_targets   followed attestations and their changes: the
 *              layout is replica_watch.c's (added later: a replica without
 *              them gets them empty)
 */
#define REPLICA_REC_VERSION     1
#define REPLICA_MAX_DBS         12 /* named databases the environment can hold: 8 above */

#define REPLICA_META_TRUST      "trust"
#define REPLICA_META_TRUST_ROOT "trust_root"
#define REPLICA_META_TRUST_SEQ  "trust_seq"
#define REPLICA_META_FORKS      "forks"
#define REPLICA_META_ROLLBACKS  "rollbacks"

/*
 * issuers: version u8 | epoch u64 | seq u64 (last event applied) | head
 * [32] (chain head at seq) | flags u8 | checkpoint seq u64 | checkpoint
 * signed_at i64 | snapshot seq u64 | the checkpoint COSE bytes (the rest).
 * seq equals the checkpoint's seq except after a batch cut by the batch
 * bound (replica_sync.c), where it is ahead of it until the next sync
 * reaches a checkpoint.
 */
enum {
    REPLICA_HELD_VERSION = 0,
    REPLICA_HELD_EPOCH = REPLICA_HELD_VERSION + 1,
    REPLICA_HELD_SEQ = REPLICA_HELD_EPOCH + 8,
    REPLICA_HELD_HEAD = REPLICA_HELD_SEQ + 8,
    REPLICA_HELD_FLAGS = REPLICA_HELD_HEAD + FEED_HEAD_LEN,
    REPLICA_HELD_CP_SEQ = REPLICA_HELD_FLAGS + 1,
    REPLICA_HELD_CP_SIGNED_AT = REPLICA_HELD_CP_SEQ + 8,
    REPLICA_HELD_SNAP_SEQ = REPLICA_HELD_CP_SIGNED_AT + 8,
    REPLICA_HELD_CHECKPOINT = REPLICA_HELD_SNAP_SEQ + 8, /* = the fixed part's length, 74 */
};
#define REPLICA_HELD_HAS_CHECKPOINT 1 /* flags: a checkpoint is held */
#define REPLICA_HELD_HAS_SNAPSHOT   2 /* flags: the feed started from a snapshot, held */

/* status: status u8 (its low STATUS_BITS bits) | extension end i64 (0: never extended). */
enum {
    REPLICA_STATUS_VALUE = 0,
    REPLICA_STATUS_EXT = REPLICA_STATUS_VALUE + 1,
    REPLICA_STATUS_LEN = REPLICA_STATUS_EXT + 8,
};

/* segments: event count u32 | the segment COSE bytes (the rest). */
enum {
    REPLICA_SEGMENT_COUNT = 0,
    REPLICA_SEGMENT_COSE = REPLICA_SEGMENT_COUNT + 4,
};

/*
 * forks: version u8 | detected_at i64 | held seq u64 | held head [32] |
 * offered seq u64 | offered head [32] | held checkpoint length u32 | its
 * bytes | offered checkpoint length u32 | its bytes | source URL (the rest).
 */
enum {
    REPLICA_FORK_VERSION = 0,
    REPLICA_FORK_DETECTED_AT = REPLICA_FORK_VERSION + 1,
    REPLICA_FORK_HELD_SEQ = REPLICA_FORK_DETECTED_AT + 8,
    REPLICA_FORK_HELD_HEAD = REPLICA_FORK_HELD_SEQ + 8,
    REPLICA_FORK_OFFERED_SEQ = REPLICA_FORK_HELD_HEAD + FEED_HEAD_LEN,
    REPLICA_FORK_OFFERED_HEAD = REPLICA_FORK_OFFERED_SEQ + 8,
    REPLICA_FORK_HELD_CP = REPLICA_FORK_OFFERED_HEAD + FEED_HEAD_LEN, /* = the fixed part's length, 89 */
    REPLICA_FORK_LEN_BYTES = 4, /* each checkpoint's length, before its bytes */
};

/* The longest key: iss\0 and a u64. */
#define REPLICA_KEY_MAX (CLAIMS_ISS_MAX + 1 + 8)

/* ---- replica_records.c: keys, errors ---- */

/* Whether iss is an issuer id (claims_iss_valid), usable as a key. */
int replica_iss_ok(const char *iss);

/* The api_err of an LMDB (or errno) code: API_OK, API_ERR_FULL for a full map, API_ERR_NOMEM, API_ERR_DB. */
api_err replica_db_err(int rc);

/* k = iss\0 (the prefix of an issuer's keys); returns its length. */
size_t replica_key_prefix(uint8_t k[REPLICA_KEY_MAX], const char *iss);

/* k = iss\0 and v as u32 or u64; returns the key's length. */
size_t replica_key_u32(uint8_t k[REPLICA_KEY_MAX], const char *iss, uint32_t v);
size_t replica_key_u64(uint8_t k[REPLICA_KEY_MAX], const char *iss, uint64_t v);

/* Whether key k starts with prefix[0..plen). */
int replica_key_has_prefix(const MDB_val *k, const uint8_t *prefix, size_t plen);

/* ---- replica_records.c: meta ---- */

/* The value of name in meta: 0 with *v set, MDB_NOTFOUND, or another LMDB code. */
int replica_meta_get(replica *r, MDB_txn *txn, const char *name, MDB_val *v);

/* A u64 counter of meta (0 when absent). */
int replica_meta_get_u64(replica *r, MDB_txn *txn, const char *name, uint64_t *value);
int replica_meta_put(replica *r, MDB_txn *txn, const char *name, const void *data, size_t len);
int replica_meta_put_u64(replica *r, MDB_txn *txn, const char *name, uint64_t value);
int replica_meta_add(replica *r, MDB_txn *txn, const char *name, uint64_t delta);

/* ---- replica_records.c: the held feed of one issuer ---- */

/* The fixed part of the issuers record. */
typedef struct {
    uint64_t epoch;
    uint64_t seq;
    uint8_t head[FEED_HEAD_LEN];
    unsigned flags; /* REPLICA_HELD_HAS_* */
    uint64_t cp_seq;
    int64_t cp_signed_at;
    uint64_t snap_seq;
} replica_held_state;

/* The whole issuers record, with a copy of the checkpoint (as a sync rewrites it). */
typedef struct {
    int exists; /* 0: nothing is held, the rest is zero */
    replica_held_state s;
    size_t cp_len;
    uint8_t cp[FEED_MAX_CHECKPOINT_COSE];
} replica_held;

/*
 * Reads the issuers record of iss into *h, without copying: *cp (may be
 * NULL) points at the checkpoint bytes in the map, valid until txn ends or
 * writes. MDB_NOTFOUND when nothing is held, MDB_CORRUPTED for a record of
 * another version or size.
 */
int replica_held_peek(replica *r, MDB_txn *txn, const char *iss, replica_held_state *h, MDB_val *cp);

/* Reads the issuers record of iss into *h (h->exists = 0 when none). */
int replica_held_get(replica *r, MDB_txn *txn, const char *iss, replica_held *h);
int replica_held_put(replica *r, MDB_txn *txn, const char *iss, const replica_held *h);

/* Forgets all of an issuer's feed: record, status, segments, snapshot (fork evidence stays). */
int replica_issuer_drop(replica *r, MDB_txn *txn, const char *iss);

/* ---- replica_records.c: status, segments, snapshots ---- */

/* The status entry of (iss, idx): valid and 0 when absent. */
int replica_status_get(replica *r, MDB_txn *txn, const char *iss, uint32_t idx, unsigned *st, int64_t *ext);

/* Applies a segment's events to the status entries of iss. */
int replica_status_apply_segment(replica *r, MDB_txn *txn, const char *iss, const feed_segment *s);

/* Replaces the status entries of iss by the snapshot's and keeps its bytes. */
int replica_snapshot_put(replica *r, MDB_txn *txn, const char *iss, const feed_snapshot *s,
                         const uint8_t *cose, size_t cose_len);

/*
 * Keeps a newer snapshot's bytes as the held one, status entries
 * untouched: the compaction of replica_sync.c, for a snapshot that
 * replica_snapshot_matches found equal to them.
 */
int replica_snapshot_keep(replica *r, MDB_txn *txn, const char *iss, const uint8_t *cose, size_t cose_len);

/* *same: whether the status entries of iss are exactly the snapshot's list and live extensions. */
int replica_snapshot_matches(replica *r, MDB_txn *txn, const char *iss, const feed_snapshot *s, int *same);

/* Deletes the held segments of iss whose last event is at or before last, oldest first; *dropped counts them.
 */
int replica_segments_drop_upto(replica *r, MDB_txn *txn, const char *iss, uint64_t last, size_t *dropped);

/* The held snapshot's bytes of iss (in the map); MDB_NOTFOUND when none. */
int replica_snapshot_get(replica *r, MDB_txn *txn, const char *iss, MDB_val *cose);

/* Keeps a segment's bytes, n events from first. */
int replica_segment_put(replica *r, MDB_txn *txn, const char *iss, uint64_t first, uint32_t n,
                        const uint8_t *cose, size_t cose_len);

/* One held segment, as a walk or a lookup finds it: cose points into the map. */
typedef struct {
    uint64_t first;
    uint32_t n;
    const uint8_t *cose;
    size_t cose_len;
} replica_segment;

/*
 * The segment of iss that starts at first: 0 with *seg set; MDB_NOTFOUND
 * with *containing = the first seq of the held segment that holds seq
 * first (0 when none does).
 */
int replica_segment_find(replica *r, MDB_txn *txn, const char *iss, uint64_t first, replica_segment *seg,
                         uint64_t *containing);

/*
 * Calls fn for each held segment of iss that starts at from or later, in
 * order, until fn returns nonzero (why it stopped is fn's to keep in arg).
 * Returns 0, or the LMDB code that stopped the walk.
 */
int replica_segment_walk(replica *r, MDB_txn *txn, const char *iss, uint64_t from,
                         int (*fn)(void *arg, const replica_segment *seg), void *arg);

/* ---- replica_records.c: fork evidence ---- */

/* What a fork record keeps: both sides of the fork and where the offer came from. */
typedef struct {
    int64_t detected_at;
    uint64_t held_seq;
    const uint8_t *held_head;
    const uint8_t *held_cp; /* the held checkpoint (held_cp_len 0: none held) */
    size_t held_cp_len;
    uint64_t offered_seq;
    const uint8_t *offered_head;
    const uint8_t *offered_cp;
    size_t offered_cp_len;
    const char *source;
} replica_fork;

/*
 * Stores the evidence of a fork of iss unless the same fork (same held and
 * offered seq and head) is on record; counts a new one in meta "forks".
 * *is_new says which.
 */
int replica_fork_put(replica *r, MDB_txn *txn, const char *iss, const replica_fork *f, int *is_new);

/* ---- replica_watch.c: followed attestations, for the sync ---- */

/*
 * A batch of status changes in one transaction (a segment's events, or the
 * changes a snapshot made): the cursor on watch_targets its lookups share,
 * and the change counter, read at the first change and written back once by
 * replica_watch_batch_end rather than at every change.
 */
typedef struct {
    MDB_cursor *targets;  /* NULL when nobody follows anything: no lookup at all */
    uint64_t next_change; /* the last change number given, when counted */
    int counted;          /* next_change was read from the database */
    int dirty;            /* and moved since */
} replica_watch_batch;

/* Begins a batch in txn (*b set up; b->targets stays NULL when nobody follows anything). */
int replica_watch_batch_begin(replica *r, MDB_txn *txn, replica_watch_batch *b);

/* Ends it: with rc 0, writes the counter back; closes the cursor in any case. The rc of it all. */
int replica_watch_batch_end(replica *r, MDB_txn *txn, replica_watch_batch *b, int rc);

/*
 * The status of (iss, idx) went from (st0, ext0) to (st, ext) in txn: the
 * changes of the watches that follow it are written in txn (learned at
 * r->sync_now). One lookup when nobody follows it, on the batch's cursor
 * (kept open over a segment's events in index order, so that a lookup
 * mostly stays on the page of the last one). Nothing when b->targets is NULL.
 */
int replica_watch_event(replica *r, MDB_txn *txn, replica_watch_batch *b, const char *iss, uint32_t idx,
                        unsigned st0, int64_t ext0, unsigned st, int64_t ext);

/* The status held for each followed index of iss, before a snapshot replaces them. */
typedef struct {
    uint32_t idx;
    unsigned st;
    int64_t ext;
} replica_watch_prior;

/* *out (malloc'd, *n entries; NULL when none): the followed indices of iss and their status now. */
int replica_watch_prior_get(replica *r, MDB_txn *txn, const char *iss, replica_watch_prior **out, size_t *n);

/* After the snapshot: the changes from each prior status to the one held now. */
int replica_watch_prior_tell(replica *r, MDB_txn *txn, const char *iss, const replica_watch_prior *prior,
                             size_t n);

/* ---- replica_trust.c: the trust list's rules, for the other files ---- */

/* Decodes held trust-list bytes (verified when they were accepted): API_ERR_DB when they do not decode. */
api_err replica_trust_decode_held(trust_list *tl, const uint8_t *cose, size_t len);

/* The feed epoch of an issuer id: the highest epoch of its entries. */
uint64_t replica_trust_epoch(const trust_list *tl, const char *id);

/* The feed URL of an issuer id: its active entry's, else any entry's; "" if none. */
const char *replica_trust_feed(const trust_list *tl, const char *id);

/* Whether entry i is the first of its issuer id (ids are walked once each). */
int replica_trust_id_first(const trust_list *tl, size_t i);

/*
 * Checks msg's signature with a key allowed to sign iss's feed objects: the
 * trust-list entry with msg's kid, of that issuer id, not compromised, and
 * when retired only for an object whose latest time is before retired_at.
 * Returns 0, or -1 with why set.
 */
int replica_trust_feed_signer_ok(const trust_list *tl, const cose_sign1 *msg, const char *iss, int64_t latest,
                                 char *why, size_t whycap);

/* ---- replica_sync.c: the one outcome of a sync step ---- */

/*
 * What one step of a sync (one source for one issuer, or a part of it)
 * came to: the only thing its caller reads. Why a source failed or was
 * refused is text for the report, beside it.
 */
typedef enum {
    REPLICA_STEP_OK,               /* done: the feed advanced, or the part succeeded */
    REPLICA_STEP_CURRENT,          /* nothing new: the held feed is at the source's checkpoint */
    REPLICA_STEP_SOURCE_FAILED,    /* unreachable, or served what does not verify or chain: next source */
    REPLICA_STEP_REFUSED_ROLLBACK, /* an older checkpoint: refused and counted, the state kept */
    REPLICA_STEP_REFUSED_FORK,     /* another history: refused, the evidence kept, the state kept */
    REPLICA_STEP_STORE_FULL,       /* the map is full: the sync stops */
    REPLICA_STEP_NO_MEMORY,        /* out of memory: the sync stops */
    REPLICA_STEP_STORE_FAILED,     /* the database failed: the sync stops */
} replica_step;

#endif
