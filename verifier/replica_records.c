/*
 * replica_records.c: the replica's LMDB environment and its databases
 * (the layout is in replica_int.h; the two of followed attestations are
 * replica_watch.c's): opening them, and the encoding and decoding of every
 * record, at the named offsets of that layout, with the big-endian
 * integers of common/bytes.h.
 *
 * It owns the bytes on disk and nothing of their meaning: which trust list
 * may be held (replica_trust.c), which feed object may enter
 * (replica_sync.c) and what a reader is told (replica_read.c) are decided
 * elsewhere. It must not begin, commit or abort a transaction except in
 * replica_open (the rule of replica_int.h: every function here is given
 * one), must not check a signature, and must not change the layout: a
 * replica written by an earlier build must still open and read.
 *
 * Choices. A segment's events are applied in idx order, each idx's events
 * in the issuer's order: the same result as the feed's order (events of
 * different indices commute), with far fewer pages touched. A status entry
 * that is valid and never extended is deleted rather than stored, so the
 * status database holds only what differs from the default.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/fs.h"
#include "qr/claims.h"
#include "qr/status.h"
#include "verifier/replica_int.h"
#include "verifier/watch.h"

_Static_assert(REPLICA_HELD_CHECKPOINT == 74, "the issuers record's fixed part is on disk");
_Static_assert(REPLICA_STATUS_LEN == 9, "the status record is on disk");
_Static_assert(REPLICA_FORK_HELD_CP == 89, "the fork record's fixed part is on disk");
_Static_assert(TRUST_ID_MAX == CLAIMS_ISS_MAX, "one issuer id length for keys");

#define REPLICA_STATUS_MASK ((1u << STATUS_BITS) - 1)

/* ---- open, close ---- */

api_err replica_open(replica **out, const char *dir)
{
    *out = NULL;
    api_err e = fs_mkdirs(dir, 0700);
    if (e != API_OK) return e;
    replica *r = calloc(1, sizeof *r);
    if (!r) return API_ERR_NOMEM;
    int rc = mdb_env_create(&r->env);
    /*
     * 8 named databases are used: 12 leaves room. Not more: LMDB allocates
     * each read transaction (one per verification) with room for every
     * database, and past 14 that allocation crosses glibc's 1 KiB line,
     * above which each one first sweeps the allocator's small free lists.
     */
    _Static_assert(REPLICA_MAX_DBS <= 14, "a read transaction would cross 1 KiB");
    if (rc == 0) rc = mdb_env_set_maxdbs(r->env, REPLICA_MAX_DBS);
    if (rc == 0) rc = mdb_env_set_mapsize(r->env, (size_t)REPLICA_MAP_SIZE);
    if (rc == 0) rc = mdb_env_set_maxreaders(r->env, 1022);
    if (rc == 0) rc = mdb_env_open(r->env, dir, MDB_NOTLS, 0600);
    if (rc == 0) {
        int dead = 0;
        rc = mdb_reader_check(r->env, &dead);
    }
    MDB_txn *txn;
    if (rc == 0) rc = mdb_txn_begin(r->env, NULL, 0, &txn);
    if (rc == 0) {
        rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &r->meta);
        if (rc == 0) rc = mdb_dbi_open(txn, "issuers", MDB_CREATE, &r->issuers);
        if (rc == 0) rc = mdb_dbi_open(txn, "status", MDB_CREATE, &r->status);
        if (rc == 0) rc = mdb_dbi_open(txn, "segments", MDB_CREATE, &r->segments);
        if (rc == 0) rc = mdb_dbi_open(txn, "snapshots", MDB_CREATE, &r->snapshots);
        if (rc == 0) rc = mdb_dbi_open(txn, "forks", MDB_CREATE, &r->forks);
        if (rc == 0) rc = mdb_dbi_open(txn, "watches", MDB_CREATE, &r->watches);
        if (rc == 0) rc = mdb_dbi_open(txn, "watch_targets", MDB_CREATE | MDB_DUPSORT, &r->watch_targets);
        if (rc == 0)
            rc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
    }
    if (rc != 0) {
        fprintf(stderr, "replica: %s: %s\n", dir, mdb_strerror(rc));
        replica_close(r);
        return replica_db_err(rc);
    }
    r->watch_soon = (int64_t)WATCH_DEFAULT_ENDING_SOON_DAYS * 86400;
    *out = r;
    return API_OK;
}

void replica_close(replica *r)
{
    if (!r) return;
    if (r->env) mdb_env_close(r->env);
    free(r);
}

/* ---- keys, errors ---- */

int replica_iss_ok(const char *iss)
{
    return iss && claims_iss_valid(iss, strnlen(iss, CLAIMS_ISS_MAX));
}

api_err replica_db_err(int rc)
{
    if (rc == 0) return API_OK;
    if (rc == MDB_MAP_FULL) return API_ERR_FULL;
    if (rc == ENOMEM) return API_ERR_NOMEM;
    return API_ERR_DB;
}

size_t replica_key_prefix(uint8_t k[REPLICA_KEY_MAX], const char *iss)
{
    size_t n = strlen(iss);
    memcpy(k, iss, n);
    k[n] = 0;
    return n + 1;
}

size_t replica_key_u32(uint8_t k[REPLICA_KEY_MAX], const char *iss, uint32_t v)
{
    size_t n = replica_key_prefix(k, iss);
    bytes_put_be32(k + n, v);
    return n + 4;
}

size_t replica_key_u64(uint8_t k[REPLICA_KEY_MAX], const char *iss, uint64_t v)
{
    size_t n = replica_key_prefix(k, iss);
    bytes_put_be64(k + n, v);
    return n + 8;
}

int replica_key_has_prefix(const MDB_val *k, const uint8_t *prefix, size_t plen)
{
    return k->mv_size >= plen && memcmp(k->mv_data, prefix, plen) == 0;
}

/* The key of iss in the databases keyed by the issuer id alone (issuers, snapshots). */
static MDB_val key_iss(const char *iss)
{
    MDB_val k = {strlen(iss), (void *)(uintptr_t)iss};
    return k;
}

/* Deletes every key of dbi that starts with prefix. */
static int del_prefix(MDB_txn *txn, MDB_dbi dbi, const uint8_t *prefix, size_t plen)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0) return rc;
    for (;;) {
        MDB_val k = {plen, (void *)(uintptr_t)prefix}, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc == MDB_NOTFOUND || (rc == 0 && !replica_key_has_prefix(&k, prefix, plen))) {
            rc = 0;
            break;
        }
        if (rc == 0) rc = mdb_cursor_del(cur, 0);
        if (rc != 0) break;
    }
    mdb_cursor_close(cur);
    return rc;
}

/* mdb_del that takes an absent key as done. */
static int del_key(MDB_txn *txn, MDB_dbi dbi, MDB_val *k)
{
    int rc = mdb_del(txn, dbi, k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- meta ---- */

int replica_meta_get(replica *r, MDB_txn *txn, const char *name, MDB_val *v)
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name};
    return mdb_get(txn, r->meta, &k, v);
}

int replica_meta_get_u64(replica *r, MDB_txn *txn, const char *name, uint64_t *value)
{
    MDB_val v;
    int rc = replica_meta_get(r, txn, name, &v);
    *value = 0;
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != 0) return rc;
    if (v.mv_size != 8) return MDB_CORRUPTED;
    *value = bytes_get_be64(v.mv_data);
    return 0;
}

int replica_meta_put(replica *r, MDB_txn *txn, const char *name, const void *data, size_t len)
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v = {len, (void *)(uintptr_t)data};
    return mdb_put(txn, r->meta, &k, &v, 0);
}

int replica_meta_put_u64(replica *r, MDB_txn *txn, const char *name, uint64_t value)
{
    uint8_t buf[8];
    bytes_put_be64(buf, value);
    return replica_meta_put(r, txn, name, buf, sizeof buf);
}

int replica_meta_add(replica *r, MDB_txn *txn, const char *name, uint64_t delta)
{
    uint64_t v;
    int rc = replica_meta_get_u64(r, txn, name, &v);
    return rc ? rc : replica_meta_put_u64(r, txn, name, v + delta);
}

/* ---- issuers: the held feed ---- */

int replica_held_peek(replica *r, MDB_txn *txn, const char *iss, replica_held_state *h, MDB_val *cp)
{
    memset(h, 0, sizeof *h);
    MDB_val k = key_iss(iss), v;
    int rc = mdb_get(txn, r->issuers, &k, &v);
    if (rc != 0) return rc;
    const uint8_t *p = v.mv_data;
    if (v.mv_size < REPLICA_HELD_CHECKPOINT ||
        v.mv_size - REPLICA_HELD_CHECKPOINT > FEED_MAX_CHECKPOINT_COSE ||
        p[REPLICA_HELD_VERSION] != REPLICA_REC_VERSION)
        return MDB_CORRUPTED;
    h->epoch = bytes_get_be64(p + REPLICA_HELD_EPOCH);
    h->seq = bytes_get_be64(p + REPLICA_HELD_SEQ);
    memcpy(h->head, p + REPLICA_HELD_HEAD, FEED_HEAD_LEN);
    h->flags = p[REPLICA_HELD_FLAGS];
    h->cp_seq = bytes_get_be64(p + REPLICA_HELD_CP_SEQ);
    h->cp_signed_at = bytes_get_be64s(p + REPLICA_HELD_CP_SIGNED_AT);
    h->snap_seq = bytes_get_be64(p + REPLICA_HELD_SNAP_SEQ);
    if (cp) {
        cp->mv_size = v.mv_size - REPLICA_HELD_CHECKPOINT;
        cp->mv_data = (uint8_t *)v.mv_data + REPLICA_HELD_CHECKPOINT;
    }
    return 0;
}

int replica_held_get(replica *r, MDB_txn *txn, const char *iss, replica_held *h)
{
    MDB_val cp;
    h->exists = 0;
    h->cp_len = 0;
    int rc = replica_held_peek(r, txn, iss, &h->s, &cp);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != 0) return rc;
    h->exists = 1;
    h->cp_len = cp.mv_size;
    memcpy(h->cp, cp.mv_data, cp.mv_size);
    return 0;
}

int replica_held_put(replica *r, MDB_txn *txn, const char *iss, const replica_held *h)
{
    MDB_val k = key_iss(iss), v = {REPLICA_HELD_CHECKPOINT + h->cp_len, NULL};
    int rc = mdb_put(txn, r->issuers, &k, &v, MDB_RESERVE);
    if (rc != 0) return rc;
    uint8_t *p = v.mv_data;
    p[REPLICA_HELD_VERSION] = REPLICA_REC_VERSION;
    bytes_put_be64(p + REPLICA_HELD_EPOCH, h->s.epoch);
    bytes_put_be64(p + REPLICA_HELD_SEQ, h->s.seq);
    memcpy(p + REPLICA_HELD_HEAD, h->s.head, FEED_HEAD_LEN);
    p[REPLICA_HELD_FLAGS] = (uint8_t)h->s.flags;
    bytes_put_be64(p + REPLICA_HELD_CP_SEQ, h->s.cp_seq);
    bytes_put_be64s(p + REPLICA_HELD_CP_SIGNED_AT, h->s.cp_signed_at);
    bytes_put_be64(p + REPLICA_HELD_SNAP_SEQ, h->s.snap_seq);
    memcpy(p + REPLICA_HELD_CHECKPOINT, h->cp, h->cp_len);
    return 0;
}

int replica_issuer_drop(replica *r, MDB_txn *txn, const char *iss)
{
    uint8_t prefix[REPLICA_KEY_MAX];
    size_t plen = replica_key_prefix(prefix, iss);
    MDB_val k = key_iss(iss);
    int rc = del_key(txn, r->issuers, &k);
    if (rc == 0) rc = del_key(txn, r->snapshots, &k);
    if (rc == 0) rc = del_prefix(txn, r->status, prefix, plen);
    if (rc == 0) rc = del_prefix(txn, r->segments, prefix, plen);
    return rc;
}

/* ---- status ---- */

static int status_decode(const MDB_val *v, unsigned *st, int64_t *ext)
{
    if (v->mv_size != REPLICA_STATUS_LEN) return MDB_CORRUPTED;
    const uint8_t *p = v->mv_data;
    *st = p[REPLICA_STATUS_VALUE] & REPLICA_STATUS_MASK;
    *ext = bytes_get_be64s(p + REPLICA_STATUS_EXT);
    return 0;
}

static void status_encode(uint8_t p[REPLICA_STATUS_LEN], unsigned st, int64_t ext)
{
    p[REPLICA_STATUS_VALUE] = (uint8_t)st;
    bytes_put_be64s(p + REPLICA_STATUS_EXT, ext);
}

int replica_status_get(replica *r, MDB_txn *txn, const char *iss, uint32_t idx, unsigned *st, int64_t *ext)
{
    uint8_t kb[REPLICA_KEY_MAX];
    MDB_val k = {replica_key_u32(kb, iss, idx), kb}, v;
    *st = STATUS_VALID;
    *ext = 0;
    int rc = mdb_get(txn, r->status, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    return rc != 0 ? rc : status_decode(&v, st, ext);
}

/* Writes the status entry of (iss, idx); a valid, never extended one is deleted. */
static int status_put(replica *r, MDB_txn *txn, const char *iss, uint32_t idx, unsigned st, int64_t ext)
{
    uint8_t kb[REPLICA_KEY_MAX];
    MDB_val k = {replica_key_u32(kb, iss, idx), kb};
    if (st == STATUS_VALID && ext == 0) return del_key(txn, r->status, &k);
    uint8_t val[REPLICA_STATUS_LEN];
    status_encode(val, st, ext);
    MDB_val v = {sizeof val, val};
    return mdb_put(txn, r->status, &k, &v, 0);
}

/*
 * One event: a status event sets the status, an extension event moves the
 * end of validity later (never earlier). The transitions (finality of
 * revoked and superseded) are the issuer's to enforce; the replica applies
 * what was signed, in the issuer's order for each idx, so that a replica
 * started from a snapshot and one that replayed the segments hold the same
 * state. cur is a cursor on the status database (one search per event).
 */
static int status_apply(replica *r, MDB_txn *txn, MDB_cursor *cur, const char *iss, const feed_event *ev,
                        replica_watch_batch *watched)
{
    uint8_t kb[REPLICA_KEY_MAX];
    MDB_val key = {replica_key_u32(kb, iss, ev->idx), kb}, v;
    unsigned st = STATUS_VALID;
    int64_t ext = 0;
    int rc = mdb_cursor_get(cur, &key, &v, MDB_SET_KEY);
    int found = rc == 0;
    if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    if (found && (rc = status_decode(&v, &st, &ext)) != 0) return rc;
    unsigned st0 = st;
    int64_t ext0 = ext;
    if (ev->kind == FEED_EVENT_STATUS)
        st = (unsigned)ev->value & REPLICA_STATUS_MASK;
    else if (ev->value > ext)
        ext = ev->value;
    if (st == st0 && ext == ext0) return 0;
    if ((rc = replica_watch_event(r, txn, watched, iss, ev->idx, st0, ext0, st, ext)) != 0) return rc;
    if (st == STATUS_VALID && ext == 0) return found ? mdb_cursor_del(cur, 0) : 0;
    uint8_t val[REPLICA_STATUS_LEN];
    status_encode(val, st, ext);
    MDB_val nv = {sizeof val, val};
    key.mv_data = kb; /* MDB_SET_KEY pointed it into the page */
    return mdb_cursor_put(cur, &key, &nv, found ? MDB_CURRENT : 0);
}

/* Orders a segment's events by idx, keeping the issuer's order within one idx. */
static int event_order(const void *a, const void *b)
{
    const feed_event *x = *(const feed_event *const *)a, *y = *(const feed_event *const *)b;
    if (x->idx != y->idx) return x->idx < y->idx ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int replica_status_apply_segment(replica *r, MDB_txn *txn, const char *iss, const feed_segment *s)
{
    const feed_event **order = malloc(s->n * sizeof *order);
    if (!order) return ENOMEM;
    for (size_t i = 0; i < s->n; i++) order[i] = &s->events[i];
    qsort(order, s->n, sizeof *order, event_order);
    replica_watch_batch watched;
    MDB_cursor *cur;
    int rc = replica_watch_batch_begin(r, txn, &watched);
    if (rc == 0) rc = mdb_cursor_open(txn, r->status, &cur);
    if (rc == 0) {
        for (size_t i = 0; rc == 0 && i < s->n; i++) rc = status_apply(r, txn, cur, iss, order[i], &watched);
        mdb_cursor_close(cur);
    }
    rc = replica_watch_batch_end(r, txn, &watched, rc);
    free(order);
    return rc;
}

/* ---- snapshots ---- */

int replica_snapshot_put(replica *r, MDB_txn *txn, const char *iss, const feed_snapshot *s,
                         const uint8_t *cose, size_t cose_len)
{
    uint8_t prefix[REPLICA_KEY_MAX];
    size_t plen = replica_key_prefix(prefix, iss), n_prior;
    replica_watch_prior *prior;
    int rc = replica_watch_prior_get(r, txn, iss, &prior, &n_prior);
    if (rc == 0) rc = del_prefix(txn, r->status, prefix, plen);
    size_t e = 0;
    for (uint32_t i = 0; rc == 0 && i < FEED_LIST_BYTES; i++) {
        if (s->bits[i] == 0) continue;
        for (uint32_t j = 0; rc == 0 && j < 4; j++) {
            uint32_t idx = i * 4 + j;
            unsigned st = feed_bits_get(s->bits, idx);
            if (st == 0) continue;
            /* extensions of lower indices with a valid status come first, in order */
            for (; rc == 0 && e < s->n_ext && s->ext[e].idx < idx; e++)
                rc = status_put(r, txn, iss, s->ext[e].idx, feed_bits_get(s->bits, s->ext[e].idx),
                                s->ext[e].until);
            if (rc != 0) break;
            int64_t ext = 0;
            if (e < s->n_ext && s->ext[e].idx == idx) ext = s->ext[e++].until;
            rc = status_put(r, txn, iss, idx, st, ext);
        }
    }
    for (; rc == 0 && e < s->n_ext; e++)
        rc = status_put(r, txn, iss, s->ext[e].idx, feed_bits_get(s->bits, s->ext[e].idx), s->ext[e].until);
    MDB_val k = key_iss(iss), v = {cose_len, NULL};
    if (rc == 0) rc = mdb_put(txn, r->snapshots, &k, &v, MDB_RESERVE);
    if (rc == 0) {
        memcpy(v.mv_data, cose, cose_len);
        rc = replica_watch_prior_tell(r, txn, iss, prior, n_prior);
    }
    free(prior);
    return rc;
}

int replica_snapshot_keep(replica *r, MDB_txn *txn, const char *iss, const uint8_t *cose, size_t cose_len)
{
    MDB_val k = key_iss(iss), v = {cose_len, NULL};
    int rc = mdb_put(txn, r->snapshots, &k, &v, MDB_RESERVE);
    if (rc == 0) memcpy(v.mv_data, cose, cose_len);
    return rc;
}

/* The extension the snapshot lists for idx (0: none); its table is sorted by idx. */
static int64_t snapshot_ext_of(const feed_snapshot *s, uint32_t idx)
{
    size_t lo = 0, hi = s->n_ext;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->ext[mid].idx == idx) return s->ext[mid].until;
        if (s->ext[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int replica_snapshot_matches(replica *r, MDB_txn *txn, const char *iss, const feed_snapshot *s, int *same)
{
    *same = 0;
    uint8_t *bits = calloc(1, FEED_LIST_BYTES);
    if (!bits) return ENOMEM;
    uint8_t prefix[REPLICA_KEY_MAX];
    size_t plen = replica_key_prefix(prefix, iss), live_ext = 0;
    int differ = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, r->status, &cur);
    if (rc != 0) {
        free(bits);
        return rc;
    }
    MDB_val k = {plen, prefix}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && !differ;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!replica_key_has_prefix(&k, prefix, plen)) break;
        unsigned st;
        int64_t ext;
        if (k.mv_size != plen + 4 || (rc = status_decode(&v, &st, &ext)) != 0) {
            rc = rc ? rc : MDB_CORRUPTED;
            break;
        }
        uint32_t idx = bytes_get_be32((const uint8_t *)k.mv_data + plen);
        if (idx >= FEED_LIST_SIZE) {
            rc = MDB_CORRUPTED;
            break;
        }
        feed_bits_set(bits, idx, st);
        if (ext > 0 && status_extendable(st)) { /* the snapshot lists the live extensions only */
            live_ext++;
            differ = snapshot_ext_of(s, idx) != ext;
        }
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) rc = 0;
    if (rc == 0) *same = !differ && live_ext == s->n_ext && memcmp(bits, s->bits, FEED_LIST_BYTES) == 0;
    free(bits);
    return rc;
}

int replica_snapshot_get(replica *r, MDB_txn *txn, const char *iss, MDB_val *cose)
{
    MDB_val k = key_iss(iss);
    return mdb_get(txn, r->snapshots, &k, cose);
}

/* ---- segments ---- */

int replica_segment_put(replica *r, MDB_txn *txn, const char *iss, uint64_t first, uint32_t n,
                        const uint8_t *cose, size_t cose_len)
{
    uint8_t kb[REPLICA_KEY_MAX];
    MDB_val k = {replica_key_u64(kb, iss, first), kb}, v = {REPLICA_SEGMENT_COSE + cose_len, NULL};
    int rc = mdb_put(txn, r->segments, &k, &v, MDB_RESERVE);
    if (rc != 0) return rc;
    uint8_t *p = v.mv_data;
    bytes_put_be32(p + REPLICA_SEGMENT_COUNT, n);
    memcpy(p + REPLICA_SEGMENT_COSE, cose, cose_len);
    return 0;
}

/*
 * Decodes the segment record (k, v) of the issuer whose key prefix is
 * prefix: 0, MDB_NOTFOUND when the key is not one of that issuer's
 * segments, MDB_CORRUPTED for a record too short.
 */
static int segment_decode(const MDB_val *k, const MDB_val *v, const uint8_t *prefix, size_t plen,
                          replica_segment *seg)
{
    if (k->mv_size != plen + 8 || !replica_key_has_prefix(k, prefix, plen)) return MDB_NOTFOUND;
    if (v->mv_size < REPLICA_SEGMENT_COSE) return MDB_CORRUPTED;
    const uint8_t *p = v->mv_data;
    seg->first = bytes_get_be64((const uint8_t *)k->mv_data + plen);
    seg->n = bytes_get_be32(p + REPLICA_SEGMENT_COUNT);
    seg->cose = p + REPLICA_SEGMENT_COSE;
    seg->cose_len = v->mv_size - REPLICA_SEGMENT_COSE;
    return 0;
}

int replica_segment_find(replica *r, MDB_txn *txn, const char *iss, uint64_t first, replica_segment *seg,
                         uint64_t *containing)
{
    uint8_t kb[REPLICA_KEY_MAX], prefix[REPLICA_KEY_MAX];
    size_t plen = replica_key_prefix(prefix, iss);
    MDB_val k = {replica_key_u64(kb, iss, first), kb}, v;
    *containing = 0;
    int rc = mdb_get(txn, r->segments, &k, &v);
    if (rc == 0) return segment_decode(&k, &v, prefix, plen, seg) == 0 ? 0 : MDB_CORRUPTED;
    if (rc != MDB_NOTFOUND) return rc;
    /* the one before the key first would have: it holds seq first when it reaches that far */
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, r->segments, &cur);
    if (rc != 0) return rc;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == 0)
        rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    replica_segment before;
    if (rc == 0 && segment_decode(&k, &v, prefix, plen, &before) == 0 && first > before.first &&
        first - before.first < before.n)
        *containing = before.first;
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? MDB_NOTFOUND : rc;
}

int replica_segment_walk(replica *r, MDB_txn *txn, const char *iss, uint64_t from,
                         int (*fn)(void *arg, const replica_segment *seg), void *arg)
{
    uint8_t kb[REPLICA_KEY_MAX], prefix[REPLICA_KEY_MAX];
    size_t plen = replica_key_prefix(prefix, iss);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, r->segments, &cur);
    if (rc != 0) return rc;
    MDB_val k = {replica_key_u64(kb, iss, from), kb}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        replica_segment seg;
        rc = segment_decode(&k, &v, prefix, plen, &seg);
        if (rc != 0 || fn(arg, &seg) != 0) break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int replica_segments_drop_upto(replica *r, MDB_txn *txn, const char *iss, uint64_t last, size_t *dropped)
{
    uint8_t prefix[REPLICA_KEY_MAX];
    size_t plen = replica_key_prefix(prefix, iss);
    *dropped = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, r->segments, &cur);
    if (rc != 0) return rc;
    for (;;) {
        MDB_val k = {plen, prefix}, v; /* the oldest segment left */
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc != 0) break;
        replica_segment seg;
        if (segment_decode(&k, &v, prefix, plen, &seg) != 0 || seg.n == 0 || seg.first + seg.n - 1 > last)
            break;
        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) break;
        (*dropped)++;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- forks ---- */

/* Whether the fork record v is the fork f (same held and offered seq and head). */
static int fork_same(const MDB_val *v, const replica_fork *f)
{
    const uint8_t *p = v->mv_data;
    return v->mv_size >= REPLICA_FORK_HELD_CP && bytes_get_be64(p + REPLICA_FORK_HELD_SEQ) == f->held_seq &&
           memcmp(p + REPLICA_FORK_HELD_HEAD, f->held_head, FEED_HEAD_LEN) == 0 &&
           bytes_get_be64(p + REPLICA_FORK_OFFERED_SEQ) == f->offered_seq &&
           memcmp(p + REPLICA_FORK_OFFERED_HEAD, f->offered_head, FEED_HEAD_LEN) == 0;
}

/* Counts the fork records of iss; *found when one of them is f. */
static int fork_count(replica *r, MDB_txn *txn, const char *iss, const replica_fork *f, uint64_t *n,
                      int *found)
{
    uint8_t prefix[REPLICA_KEY_MAX];
    size_t plen = replica_key_prefix(prefix, iss);
    MDB_cursor *cur;
    *n = 0;
    *found = 0;
    int rc = mdb_cursor_open(txn, r->forks, &cur);
    if (rc != 0) return rc;
    MDB_val k = {plen, prefix}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && replica_key_has_prefix(&k, prefix, plen) && !*found;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        (*n)++;
        *found = fork_same(&v, f);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Writes n as a u32 length, then the n bytes of data; returns the byte after them. */
static uint8_t *put_sized(uint8_t *p, const void *data, size_t n)
{
    bytes_put_be32(p, (uint32_t)n);
    if (n) memcpy(p + REPLICA_FORK_LEN_BYTES, data, n);
    return p + REPLICA_FORK_LEN_BYTES + n;
}

int replica_fork_put(replica *r, MDB_txn *txn, const char *iss, const replica_fork *f, int *is_new)
{
    uint64_t n;
    int found;
    *is_new = 0;
    int rc = fork_count(r, txn, iss, f, &n, &found);
    if (rc != 0 || found) return rc;
    size_t slen = strlen(f->source);
    uint8_t kb[REPLICA_KEY_MAX];
    MDB_val k = {replica_key_u64(kb, iss, n + 1), kb},
            v = {REPLICA_FORK_HELD_CP + REPLICA_FORK_LEN_BYTES + f->held_cp_len + REPLICA_FORK_LEN_BYTES +
                     f->offered_cp_len + slen,
                 NULL};
    rc = mdb_put(txn, r->forks, &k, &v, MDB_RESERVE);
    if (rc != 0) return rc;
    uint8_t *p = v.mv_data;
    p[REPLICA_FORK_VERSION] = REPLICA_REC_VERSION;
    bytes_put_be64s(p + REPLICA_FORK_DETECTED_AT, f->detected_at);
    bytes_put_be64(p + REPLICA_FORK_HELD_SEQ, f->held_seq);
    memcpy(p + REPLICA_FORK_HELD_HEAD, f->held_head, FEED_HEAD_LEN);
    bytes_put_be64(p + REPLICA_FORK_OFFERED_SEQ, f->offered_seq);
    memcpy(p + REPLICA_FORK_OFFERED_HEAD, f->offered_head, FEED_HEAD_LEN);
    p = put_sized(p + REPLICA_FORK_HELD_CP, f->held_cp, f->held_cp_len);
    p = put_sized(p, f->offered_cp, f->offered_cp_len);
    memcpy(p, f->source, slen);
    *is_new = 1;
    return replica_meta_add(r, txn, REPLICA_META_FORKS, 1);
}
