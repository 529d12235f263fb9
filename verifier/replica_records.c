/*
 * replica.c: the verifier's LMDB replica of the federation (replica.h): the
 * signed trust list it accepted and, for every issuer, the signed feed it
 * holds and the status that results.
 *
 * It owns the replica's LMDB environment and the rules for what may enter
 * it: trust-list rollback and root rotation, which key may sign an
 * issuer's feed objects, rollback and fork detection, the hash chain. It
 * must not touch the network itself (the caller hands it a fetch
 * function), must not hold state outside LMDB that readers depend on, and
 * must never leave a batch half applied: each issuer's batch from one
 * source is one write transaction, committed only when every object in it
 * verified and chained.
 *
 * Choices. A trust list verifies with the pinned root, the next_root of the
 * list held, or the root that verified the list held (so a rotated root
 * stays trusted once the announcing list is replaced). A sync takes, per
 * source, the checkpoint, then opens the write transaction and fetches the
 * snapshot (nothing held yet) and the segments inside it: memory stays one
 * segment, an aborted batch leaves nothing, and the price is that another
 * writer (a trust-list offer) waits for the batch. A segment's events are
 * applied in idx order, each idx's events in the issuer's order: the same
 * result as the feed's order, with fewer pages touched. A fork seen again
 * (same held and offered heads) keeps its evidence and is not counted
 * twice. Readers (replica_status, replica_feed_get, replica_export) use one
 * read-only transaction each and share nothing but the environment.
 *
 * Layout: one environment in the folder (MDB_NOTLS), six named databases.
 * Integers are big-endian so that keys sort; "iss" is the issuer id (its
 * bytes, [A-Z0-9-], no NUL), "iss\0" that id followed by one zero byte,
 * which keeps one issuer's keys together and apart from a longer id.
 *
 *   meta       "trust"       the signed trust list, byte for byte
 *              "trust_root"  the 32-byte root key that verified it
 *              "trust_seq"   u64, its seq
 *              "forks"       u64, forks detected
 *              "rollbacks"   u64, older trust lists and checkpoints refused
 *   issuers    iss -> version (1) | epoch u64 | seq u64 (last event applied)
 *              | head [32] (chain head at seq) | flags (1: a checkpoint is
 *              held, 2: a snapshot is held) | checkpoint seq u64 |
 *              checkpoint signed_at i64 | snapshot seq u64 | the checkpoint
 *              COSE bytes (the rest). seq equals the checkpoint's seq except
 *              after a batch cut by the batch bound (REPLICA_BATCH_*), where
 *              it is ahead of it until the next sync reaches a checkpoint.
 *   status     iss\0 idx u32 -> status (1) | extension end i64; only for
 *              entries with a non-zero status or an extension (absent =
 *              valid, never extended).
 *   segments   iss\0 first_seq u64 -> event count u32 | segment COSE bytes
 *   snapshots  iss -> the snapshot COSE bytes the replica started from
 *   forks      iss\0 n u64 -> version (1) | detected_at i64 | held seq u64 |
 *              held head [32] | offered seq u64 | offered head [32] |
 *              held checkpoint length u32 | its bytes | offered checkpoint
 *              length u32 | its bytes | source URL (the rest)
 */
#include "verifier/replica.h"

#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/fs.h"
#include "http/httpc.h"

#define REPLICA_REC_VERSION         1
#define REPLICA_HELD_FIXED          74
#define REPLICA_HELD_HAS_CHECKPOINT 1
#define REPLICA_HELD_HAS_SNAPSHOT   2
#define REPLICA_STATUS_LEN          9
#define REPLICA_FORK_FIXED          89
#define REPLICA_KEY_MAX             (TRUST_ID_MAX + 1 + 8)
#define REPLICA_URL_MAX             (TRUST_FEED_MAX + TRUST_ID_MAX + 64)

/* At most this much of one issuer's feed per source and sync: the rest comes next time. */
#define REPLICA_BATCH_SEGMENTS 200
#define REPLICA_BATCH_BYTES    (64u << 20)

struct replica {
    MDB_env *env;
    MDB_dbi meta, issuers, status, segments, snapshots, forks;
    /* the staleness policy: atomic so that replica_set_policy may run while readers do */
    _Atomic int64_t max_staleness;
    _Atomic int64_t now; /* 0: the system clock */
};

/* What the replica holds of one issuer's feed (the "issuers" record). */
typedef struct {
    int exists;
    uint64_t epoch;
    uint64_t seq;
    uint8_t head[FEED_HEAD_LEN];
    unsigned flags;
    uint64_t cp_seq;
    int64_t cp_signed_at;
    uint64_t snap_seq;
    size_t cp_len;
    uint8_t cp[FEED_MAX_CHECKPOINT_COSE];
} held_feed;

/* ---- encodings ---- */

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

/* An issuer id usable as a key: 1..TRUST_ID_MAX-1 bytes, no NUL. */
static int iss_ok(const char *iss)
{
    if (!iss) return 0;
    size_t n = strnlen(iss, TRUST_ID_MAX);
    return n > 0 && n < TRUST_ID_MAX;
}

/* iss\0 (the prefix of an issuer's keys); returns its length. */
static size_t key_prefix(uint8_t *k, const char *iss)
{
    size_t n = strlen(iss);
    memcpy(k, iss, n);
    k[n] = 0;
    return n + 1;
}

static size_t key_u32(uint8_t *k, const char *iss, uint32_t v)
{
    size_t n = key_prefix(k, iss);
    put_u32(k + n, v);
    return n + 4;
}

static size_t key_u64(uint8_t *k, const char *iss, uint64_t v)
{
    size_t n = key_prefix(k, iss);
    put_u64(k + n, v);
    return n + 8;
}

static int key_has_prefix(const MDB_val *k, const uint8_t *prefix, size_t plen)
{
    return k->mv_size >= plen && memcmp(k->mv_data, prefix, plen) == 0;
}

static api_err db_err(int rc)
{
    if (rc == 0) return API_OK;
    if (rc == MDB_MAP_FULL) return API_ERR_FULL;
    return API_ERR_DB;
}

/* ---- meta counters ---- */

static int meta_get_u64(replica *r, MDB_txn *txn, const char *name, uint64_t *value)
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v;
    int rc = mdb_get(txn, r->meta, &k, &v);
    *value = 0;
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != 0) return rc;
    if (v.mv_size != 8) return MDB_CORRUPTED;
    *value = get_u64(v.mv_data);
    return 0;
}

static int meta_put(replica *r, MDB_txn *txn, const char *name, const void *data, size_t len)
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v = {len, (void *)(uintptr_t)data};
    return mdb_put(txn, r->meta, &k, &v, 0);
}

static int meta_put_u64(replica *r, MDB_txn *txn, const char *name, uint64_t value)
{
    uint8_t buf[8];
    put_u64(buf, value);
    return meta_put(r, txn, name, buf, sizeof buf);
}

static int meta_add(replica *r, MDB_txn *txn, const char *name, uint64_t delta)
{
    uint64_t v;
    int rc = meta_get_u64(r, txn, name, &v);
    return rc ? rc : meta_put_u64(r, txn, name, v + delta);
}

/* ---- the issuers record ---- */

static int held_get(replica *r, MDB_txn *txn, const char *iss, held_feed *h)
{
    memset(h, 0, offsetof(held_feed, cp));
    MDB_val k = {strlen(iss), (void *)(uintptr_t)iss}, v;
    int rc = mdb_get(txn, r->issuers, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != 0) return rc;
    const uint8_t *p = v.mv_data;
    if (v.mv_size < REPLICA_HELD_FIXED || v.mv_size - REPLICA_HELD_FIXED > FEED_MAX_CHECKPOINT_COSE ||
        p[0] != REPLICA_REC_VERSION)
        return MDB_CORRUPTED;
    h->exists = 1;
    h->epoch = get_u64(p + 1);
    h->seq = get_u64(p + 9);
    memcpy(h->head, p + 17, FEED_HEAD_LEN);
    h->flags = p[49];
    h->cp_seq = get_u64(p + 50);
    h->cp_signed_at = (int64_t)get_u64(p + 58);
    h->snap_seq = get_u64(p + 66);
    h->cp_len = v.mv_size - REPLICA_HELD_FIXED;
    memcpy(h->cp, p + REPLICA_HELD_FIXED, h->cp_len);
    return 0;
}

static int held_put(replica *r, MDB_txn *txn, const char *iss, const held_feed *h)
{
    MDB_val k = {strlen(iss), (void *)(uintptr_t)iss}, v = {REPLICA_HELD_FIXED + h->cp_len, NULL};
    int rc = mdb_put(txn, r->issuers, &k, &v, MDB_RESERVE);
    if (rc != 0) return rc;
    uint8_t *p = v.mv_data;
    p[0] = REPLICA_REC_VERSION;
    put_u64(p + 1, h->epoch);
    put_u64(p + 9, h->seq);
    memcpy(p + 17, h->head, FEED_HEAD_LEN);
    p[49] = (uint8_t)h->flags;
    put_u64(p + 50, h->cp_seq);
    put_u64(p + 58, (uint64_t)h->cp_signed_at);
    put_u64(p + 66, h->snap_seq);
    memcpy(p + REPLICA_HELD_FIXED, h->cp, h->cp_len);
    return 0;
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
        if (rc == MDB_NOTFOUND || (rc == 0 && !key_has_prefix(&k, prefix, plen))) {
            rc = 0;
            break;
        }
        if (rc == 0) rc = mdb_cursor_del(cur, 0);
        if (rc != 0) break;
    }
    mdb_cursor_close(cur);
    return rc;
}

/* Forgets all of an issuer's feed: record, status, segments, snapshot (fork evidence stays). */
static int issuer_drop(replica *r, MDB_txn *txn, const char *iss)
{
    uint8_t prefix[REPLICA_KEY_MAX];
    size_t plen = key_prefix(prefix, iss);
    MDB_val k = {strlen(iss), (void *)(uintptr_t)iss};
    int rc = mdb_del(txn, r->issuers, &k, NULL);
    if (rc == MDB_NOTFOUND) rc = 0;
    if (rc == 0) {
        rc = mdb_del(txn, r->snapshots, &k, NULL);
        if (rc == MDB_NOTFOUND) rc = 0;
    }
    if (rc == 0) rc = del_prefix(txn, r->status, prefix, plen);
    if (rc == 0) rc = del_prefix(txn, r->segments, prefix, plen);
    return rc;
}

/* ---- status entries ---- */

static int status_read(replica *r, MDB_txn *txn, MDB_val *key, unsigned *st, int64_t *ext)
{
    MDB_val v;
    int rc = mdb_get(txn, r->status, key, &v);
    *st = 0;
    *ext = 0;
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != 0) return rc;
    if (v.mv_size != REPLICA_STATUS_LEN) return MDB_CORRUPTED;
    const uint8_t *p = v.mv_data;
    *st = p[0] & 3u;
    *ext = (int64_t)get_u64(p + 1);
    return 0;
}

static int status_write(replica *r, MDB_txn *txn, MDB_val *key, unsigned st, int64_t ext)
{
    if (st == STATUS_VALID && ext == 0) {
        int rc = mdb_del(txn, r->status, key, NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    uint8_t val[REPLICA_STATUS_LEN];
    val[0] = (uint8_t)st;
    put_u64(val + 1, (uint64_t)ext);
    MDB_val v = {sizeof val, val};
    return mdb_put(txn, r->status, key, &v, 0);
}

/*
 * One event: a status event sets the status, an extension event moves the
 * end of validity later (never earlier). The transitions (finality of
 * revoked and superseded) are the issuer's to enforce; the replica applies
 * what was signed, in the issuer's order for each idx, so that a replica
 * started from a snapshot and one that replayed the segments hold the same
 * state. cur is a cursor on the status database (one search per event).
 */
static int status_apply(MDB_cursor *cur, const char *iss, const feed_event *ev)
{
    uint8_t kb[REPLICA_KEY_MAX];
    MDB_val key = {key_u32(kb, iss, ev->idx), kb}, v;
    unsigned st = 0;
    int64_t ext = 0;
    int rc = mdb_cursor_get(cur, &key, &v, MDB_SET_KEY);
    int found = rc == 0;
    if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    if (found) {
        if (v.mv_size != REPLICA_STATUS_LEN) return MDB_CORRUPTED;
        st = ((const uint8_t *)v.mv_data)[0] & 3u;
        ext = (int64_t)get_u64((const uint8_t *)v.mv_data + 1);
    }
    if (ev->kind == FEED_EVENT_STATUS)
        st = (unsigned)ev->value & 3u;
    else if (ev->value > ext)
        ext = ev->value;
    if (st == STATUS_VALID && ext == 0) return found ? mdb_cursor_del(cur, 0) : 0;
    uint8_t val[REPLICA_STATUS_LEN];
    val[0] = (uint8_t)st;
    put_u64(val + 1, (uint64_t)ext);
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

/*
 * Applies a segment's events. Events of different indices commute, so they
 * are applied in key order (each idx's events still in the issuer's order):
 * the same result as the issuer's order, with far fewer pages touched.
 */
static int status_apply_segment(replica *r, MDB_txn *txn, const char *iss, const feed_segment *s)
{
    const feed_event **order = malloc(s->n * sizeof *order);
    if (!order) return ENOMEM;
    for (size_t i = 0; i < s->n; i++) order[i] = &s->events[i];
    qsort(order, s->n, sizeof *order, event_order);
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, r->status, &cur);
    for (size_t i = 0; rc == 0 && i < s->n; i++) rc = status_apply(cur, iss, order[i]);
    if (cur) mdb_cursor_close(cur);
    free(order);
    return rc;
}

/* Replaces the issuer's status by the snapshot's and keeps its bytes. */
static int snapshot_apply(replica *r, MDB_txn *txn, const char *iss, const feed_snapshot *s,
                          const uint8_t *cose, size_t cose_len)
{
    uint8_t prefix[REPLICA_KEY_MAX], kb[REPLICA_KEY_MAX];
    size_t plen = key_prefix(prefix, iss);
    int rc = del_prefix(txn, r->status, prefix, plen);
    size_t e = 0;
    for (uint32_t i = 0; rc == 0 && i < FEED_LIST_BYTES; i++) {
        if (s->bits[i] == 0) continue;
        for (uint32_t j = 0; rc == 0 && j < 4; j++) {
            uint32_t idx = i * 4 + j;
            unsigned st = feed_bits_get(s->bits, idx);
            if (st == 0) continue;
            /* extensions of lower indices with a valid status come first, in order */
            for (; rc == 0 && e < s->n_ext && s->ext[e].idx < idx; e++) {
                MDB_val k = {key_u32(kb, iss, s->ext[e].idx), kb};
                rc = status_write(r, txn, &k, feed_bits_get(s->bits, s->ext[e].idx), s->ext[e].until);
            }
            if (rc != 0) break;
            int64_t ext = 0;
            if (e < s->n_ext && s->ext[e].idx == idx) ext = s->ext[e++].until;
            MDB_val k = {key_u32(kb, iss, idx), kb};
            rc = status_write(r, txn, &k, st, ext);
        }
    }
    for (; rc == 0 && e < s->n_ext; e++) {
        MDB_val k = {key_u32(kb, iss, s->ext[e].idx), kb};
        rc = status_write(r, txn, &k, feed_bits_get(s->bits, s->ext[e].idx), s->ext[e].until);
    }
    if (rc != 0) return rc;
    MDB_val k = {strlen(iss), (void *)(uintptr_t)iss}, v = {cose_len, NULL};
    rc = mdb_put(txn, r->snapshots, &k, &v, MDB_RESERVE);
    if (rc == 0) memcpy(v.mv_data, cose, cose_len);
    return rc;
}

static int segment_store(replica *r, MDB_txn *txn, const char *iss, uint64_t first, uint32_t n,
                         const uint8_t *cose, size_t cose_len)
{
    uint8_t kb[REPLICA_KEY_MAX];
    MDB_val k = {key_u64(kb, iss, first), kb}, v = {4 + cose_len, NULL};
    int rc = mdb_put(txn, r->segments, &k, &v, MDB_RESERVE);
    if (rc != 0) return rc;
    put_u32(v.mv_data, n);
    memcpy((uint8_t *)v.mv_data + 4, cose, cose_len);
    return 0;
}

/* ---- open, close ---- */

api_err replica_open(replica **out, const char *dir)
{
    *out = NULL;
    api_err e = fs_mkdirs(dir, 0700);
    if (e != API_OK) return e;
    replica *r = calloc(1, sizeof *r);
    if (!r) return API_ERR_NOMEM;
    atomic_init(&r->max_staleness, REPLICA_DEFAULT_MAX_STALENESS);
    atomic_init(&r->now, 0);
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&r->env);
    if (rc == 0) rc = mdb_env_set_maxdbs(r->env, 8);
    if (rc == 0) rc = mdb_env_set_mapsize(r->env, (size_t)REPLICA_MAP_SIZE);
    if (rc == 0) rc = mdb_env_set_maxreaders(r->env, 1022);
    if (rc == 0) rc = mdb_env_open(r->env, dir, MDB_NOTLS, 0600);
    if (rc == 0) {
        int dead = 0;
        rc = mdb_reader_check(r->env, &dead);
    }
    if (rc == 0) rc = mdb_txn_begin(r->env, NULL, 0, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &r->meta);
    if (rc == 0) rc = mdb_dbi_open(txn, "issuers", MDB_CREATE, &r->issuers);
    if (rc == 0) rc = mdb_dbi_open(txn, "status", MDB_CREATE, &r->status);
    if (rc == 0) rc = mdb_dbi_open(txn, "segments", MDB_CREATE, &r->segments);
    if (rc == 0) rc = mdb_dbi_open(txn, "snapshots", MDB_CREATE, &r->snapshots);
    if (rc == 0) rc = mdb_dbi_open(txn, "forks", MDB_CREATE, &r->forks);
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn) mdb_txn_abort(txn);
    if (rc != 0) {
        fprintf(stderr, "replica: %s: %s\n", dir, mdb_strerror(rc));
        replica_close(r);
        return db_err(rc);
    }
    *out = r;
    return API_OK;
}

void replica_close(replica *r)
{
    if (!r) return;
    if (r->env) mdb_env_close(r->env);
    free(r);
}

/* ---- trust list ---- */

/* Decodes held trust-list bytes (verified when they were accepted). */
static api_err trust_decode_held(trust_list *tl, const uint8_t *cose, size_t len)
{
    cose_sign1 msg;
    memset(tl, 0, sizeof *tl);
    if (cose_sign1_parse(&msg, cose, len, COSE_TYP_TRUST_LIST) != API_OK) return API_ERR_DB;
    api_err e = trust_decode(tl, msg.payload, msg.payload_len);
    return e == API_OK || e == API_ERR_NOMEM ? e : API_ERR_DB;
}

api_err replica_trust(replica *r, trust_list *tl)
{
    memset(tl, 0, sizeof *tl);
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) return API_ERR_DB;
    MDB_val k = {5, "trust"}, v;
    rc = mdb_get(txn, r->meta, &k, &v);
    api_err e;
    if (rc == MDB_NOTFOUND)
        e = API_ERR_NOT_FOUND;
    else if (rc != 0)
        e = API_ERR_DB;
    else
        e = trust_decode_held(tl, v.mv_data, v.mv_size);
    mdb_txn_abort(txn);
    return e;
}

/*
 * The feed epoch of an issuer id: the highest epoch of its entries (epochs
 * only grow; entries of one id share one feed).
 */
static uint64_t trust_id_epoch(const trust_list *tl, const char *id)
{
    uint64_t epoch = 0;
    for (size_t i = 0; i < tl->n; i++)
        if (strcmp(tl->entries[i].id, id) == 0 && tl->entries[i].epoch > epoch) epoch = tl->entries[i].epoch;
    return epoch;
}

/* The feed URL of an issuer id: its active entry's, else any entry's; "" if none. */
static const char *trust_id_feed(const trust_list *tl, const char *id)
{
    const char *any = "";
    for (size_t i = 0; i < tl->n; i++) {
        const trust_entry *t = &tl->entries[i];
        if (strcmp(t->id, id) != 0 || !t->feed[0]) continue;
        if (t->state == TRUST_ACTIVE) return t->feed;
        if (!any[0]) any = t->feed;
    }
    return any;
}

static int trust_id_first(const trust_list *tl, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(tl->entries[j].id, tl->entries[i].id) == 0) return 0;
    return 1;
}

/* Drops the held feed of every issuer whose epoch in tl is newer than the one held. */
static int trust_drop_old_epochs(replica *r, MDB_txn *txn, const trust_list *tl)
{
    for (size_t i = 0; i < tl->n; i++) {
        const char *id = tl->entries[i].id;
        if (!trust_id_first(tl, i)) continue;
        held_feed *h = malloc(sizeof *h);
        if (!h) return ENOMEM;
        int rc = held_get(r, txn, id, h);
        int drop = rc == 0 && h->exists && trust_id_epoch(tl, id) > h->epoch;
        free(h);
        if (rc == 0 && drop) rc = issuer_drop(r, txn, id);
        if (rc != 0) return rc;
    }
    return 0;
}

/*
 * Verifies cose with the pinned root, else with the next_root announced by
 * the held list, else with the key that verified the held list (a root
 * reached through an announced rotation stays trusted after the list that
 * announced it is replaced). *used gets the key that worked.
 */
static api_err trust_verify_any(trust_list *tl, char *err, size_t errcap, const uint8_t *cose, size_t len,
                                const uint8_t root_pk[COSE_PK_LEN], const trust_list *held,
                                const uint8_t *held_root, uint8_t used[COSE_PK_LEN])
{
    api_err e = trust_verify(tl, err, errcap, cose, len, root_pk);
    if (e == API_OK) {
        memcpy(used, root_pk, COSE_PK_LEN);
        return e;
    }
    if (e == API_ERR_NOMEM) return e;
    char other[64];
    if (held && held->has_next_root &&
        trust_verify(tl, other, sizeof other, cose, len, held->next_root) == API_OK) {
        memcpy(used, held->next_root, COSE_PK_LEN);
        return API_OK;
    }
    if (held_root && memcmp(held_root, root_pk, COSE_PK_LEN) != 0 &&
        trust_verify(tl, other, sizeof other, cose, len, held_root) == API_OK) {
        memcpy(used, held_root, COSE_PK_LEN);
        return API_OK;
    }
    return e;
}

api_err replica_offer_trust(replica *r, const uint8_t *cose, size_t len, const uint8_t root_pk[COSE_PK_LEN],
                            char *err, size_t errcap)
{
    char dummy[8];
    if (!err) {
        err = dummy;
        errcap = sizeof dummy;
    }
    err[0] = '\0';
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, 0, &txn);
    if (rc != 0) {
        snprintf(err, errcap, "database: %s", mdb_strerror(rc));
        return API_ERR_DB;
    }
    trust_list held, tl;
    memset(&held, 0, sizeof held);
    memset(&tl, 0, sizeof tl);
    int have_held = 0;
    const uint8_t *held_root = NULL;
    MDB_val k = {5, "trust"}, v, held_bytes = {0, NULL};
    api_err e = API_OK;
    rc = mdb_get(txn, r->meta, &k, &held_bytes);
    if (rc == 0) {
        e = trust_decode_held(&held, held_bytes.mv_data, held_bytes.mv_size);
        have_held = e == API_OK;
        MDB_val rk = {10, "trust_root"};
        rc = mdb_get(txn, r->meta, &rk, &v);
        if (rc == 0 && v.mv_size == COSE_PK_LEN) held_root = v.mv_data;
        if (rc == MDB_NOTFOUND) rc = 0;
    } else if (rc == MDB_NOTFOUND) {
        rc = 0;
    }
    if (rc != 0 || e != API_OK) {
        snprintf(err, errcap, "database: the held trust list cannot be read");
        e = API_ERR_DB;
        goto done;
    }
    uint8_t used[COSE_PK_LEN];
    e = trust_verify_any(&tl, err, errcap, cose, len, root_pk, have_held ? &held : NULL, held_root, used);
    if (e != API_OK) goto done;
    if (have_held && tl.seq <= held.seq) {
        if (tl.seq == held.seq && held_bytes.mv_size == len && memcmp(held_bytes.mv_data, cose, len) == 0)
            goto done; /* the list held: nothing to do */
        if (tl.seq == held.seq)
            snprintf(err, errcap, "rollback: another list with the held seq %" PRIu64, held.seq);
        else
            snprintf(err, errcap, "rollback: seq %" PRIu64 " is older than the held %" PRIu64, tl.seq,
                     held.seq);
        e = API_ERR_TRUST_LIST;
        rc = meta_add(r, txn, "rollbacks", 1);
        if (rc == 0) rc = mdb_txn_commit(txn);
        txn = NULL;
        if (rc != 0) e = db_err(rc);
        goto done;
    }
    rc = trust_drop_old_epochs(r, txn, &tl);
    if (rc == 0) rc = meta_put(r, txn, "trust", cose, len);
    if (rc == 0) rc = meta_put(r, txn, "trust_root", used, COSE_PK_LEN);
    if (rc == 0) rc = meta_put_u64(r, txn, "trust_seq", tl.seq);
    if (rc == 0) rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc != 0) {
        snprintf(err, errcap, "database: %s", mdb_strerror(rc));
        e = db_err(rc);
    }
done:
    if (txn) mdb_txn_abort(txn);
    trust_free(&held);
    trust_free(&tl);
    return e;
}

/* ---- which key may sign an issuer's feed objects ---- */

/*
 * Checks msg's signature with a key allowed to sign iss's feed objects: the
 * trust-list entry with msg's kid, of that issuer id, not compromised, and
 * when retired only for an object whose latest time is before retired_at.
 * Returns 0, or -1 with why set.
 */
static int feed_signer_ok(const trust_list *tl, const cose_sign1 *msg, const char *iss, int64_t latest,
                          char *why, size_t whycap)
{
    const trust_entry *t = trust_find_kid(tl, msg->kid);
    if (!t) {
        snprintf(why, whycap, "signed by a key not in the trust list");
        return -1;
    }
    if (strcmp(t->id, iss) != 0) {
        snprintf(why, whycap, "signed by a key of %s, not of %s", t->id, iss);
        return -1;
    }
    if (t->state == TRUST_COMPROMISED) {
        snprintf(why, whycap, "signed by a compromised key");
        return -1;
    }
    if (t->state == TRUST_RETIRED && latest >= t->retired_at) {
        snprintf(why, whycap, "signed by a key retired before it");
        return -1;
    }
    if (t->state != TRUST_ACTIVE && t->state != TRUST_RETIRED) {
        snprintf(why, whycap, "signed by a key in an unknown state");
        return -1;
    }
    if (cose_sign1_verify(msg, t->pub) != API_OK) {
        snprintf(why, whycap, "the signature does not verify");
        return -1;
    }
    return 0;
}

/* ---- sync ---- */

enum { SRC_OK, SRC_FAIL, SRC_ROLLBACK, SRC_FORK, SRC_DB };

typedef struct {
    replica *r;
    replica_fetch_fn fetch;
    void *arg;
    int64_t now;
    FILE *log;
    const trust_list *tl;
    const char *iss;
    uint64_t epoch;
    api_err db; /* the database error that stopped the sync */
} sync_ctx;

static void hex8(char out[17], const uint8_t *p)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[16] = '\0';
}

/*
 * GET base + /feed/v1/{iss}/{what}: API_OK with a 200 body of at most max
 * bytes, API_ERR_NOT_FOUND for a 404, API_ERR_IO otherwise (why says).
 */
static api_err sync_fetch(sync_ctx *c, const char *base, const char *what, size_t max, uint8_t **body,
                          size_t *len, char *why, size_t whycap)
{
    char path[TRUST_ID_MAX + 64], url[REPLICA_URL_MAX];
    *body = NULL;
    *len = 0;
    snprintf(path, sizeof path, "/feed/v1/%s/%s", c->iss, what);
    if (httpc_join(url, sizeof url, base, path) != 0) {
        snprintf(why, whycap, "%s: URL too long", what);
        return API_ERR_IO;
    }
    int status = 0;
    api_err e = c->fetch(c->arg, url, body, len, &status);
    if (e != API_OK) {
        free(*body);
        *body = NULL;
        snprintf(why, whycap, "%s: unreachable (%s)", what, api_err_code(e));
        return API_ERR_IO;
    }
    if (status != 200 || *len > max || (!*body && *len)) {
        if (status != 200)
            snprintf(why, whycap, "%s: HTTP %d", what, status);
        else
            snprintf(why, whycap, "%s: larger than %zu bytes", what, max);
        free(*body);
        *body = NULL;
        *len = 0;
        return status == 404 ? API_ERR_NOT_FOUND : API_ERR_IO;
    }
    return API_OK;
}

/* Checks a parsed feed object's iss, epoch, signed_at and signer. */
static int sync_check_state(sync_ctx *c, const feed_checkpoint *at, const cose_sign1 *msg, const char *what,
                            char *why, size_t whycap)
{
    char sig[128];
    if (strcmp(at->iss, c->iss) != 0) {
        snprintf(why, whycap, "%s: of issuer %s", what, at->iss);
        return -1;
    }
    if (at->epoch != c->epoch) {
        snprintf(why, whycap, "%s: epoch %" PRIu64 ", the trust list says %" PRIu64, what, at->epoch,
                 c->epoch);
        return -1;
    }
    if (at->signed_at > c->now + REPLICA_MAX_CLOCK_SKEW) {
        snprintf(why, whycap, "%s: signed in the future (%" PRId64 "s ahead)", what, at->signed_at - c->now);
        return -1;
    }
    if (feed_signer_ok(c->tl, msg, c->iss, at->signed_at, sig, sizeof sig) != 0) {
        snprintf(why, whycap, "%s: %s", what, sig);
        return -1;
    }
    return 0;
}

/* Stores fork evidence unless the same fork is already on record; counts a new one. */
static int fork_record(sync_ctx *c, MDB_txn *txn, const held_feed *h, const feed_checkpoint *cp,
                       const uint8_t *cpb, size_t cpl, const char *source, int *is_new)
{
    replica *r = c->r;
    uint8_t prefix[REPLICA_KEY_MAX], kb[REPLICA_KEY_MAX];
    size_t plen = key_prefix(prefix, c->iss);
    MDB_cursor *cur;
    *is_new = 0;
    int rc = mdb_cursor_open(txn, r->forks, &cur);
    if (rc != 0) return rc;
    uint64_t n = 0;
    MDB_val k = {plen, prefix}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && key_has_prefix(&k, prefix, plen);
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *p = v.mv_data;
        n++;
        if (v.mv_size < REPLICA_FORK_FIXED) continue;
        if (get_u64(p + 9) == h->seq && memcmp(p + 17, h->head, FEED_HEAD_LEN) == 0 &&
            get_u64(p + 49) == cp->seq && memcmp(p + 57, cp->head, FEED_HEAD_LEN) == 0) {
            mdb_cursor_close(cur);
            return 0;
        }
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    size_t slen = strlen(source);
    size_t held_len = (h->flags & REPLICA_HELD_HAS_CHECKPOINT) ? h->cp_len : 0;
    MDB_val fk = {key_u64(kb, c->iss, n + 1), kb},
            fv = {REPLICA_FORK_FIXED + 4 + held_len + 4 + cpl + slen, NULL};
    rc = mdb_put(txn, r->forks, &fk, &fv, MDB_RESERVE);
    if (rc != 0) return rc;
    uint8_t *p = fv.mv_data;
    p[0] = REPLICA_REC_VERSION;
    put_u64(p + 1, (uint64_t)c->now);
    put_u64(p + 9, h->seq);
    memcpy(p + 17, h->head, FEED_HEAD_LEN);
    put_u64(p + 49, cp->seq);
    memcpy(p + 57, cp->head, FEED_HEAD_LEN);
    p += REPLICA_FORK_FIXED;
    put_u32(p, (uint32_t)held_len);
    memcpy(p + 4, h->cp, held_len);
    p += 4 + held_len;
    put_u32(p, (uint32_t)cpl);
    memcpy(p + 4, cpb, cpl);
    memcpy(p + 4 + cpl, source, slen);
    *is_new = 1;
    return meta_add(r, txn, "forks", 1);
}

/* Records a fork in its own transaction (the batch, if any, was aborted) and says so loudly. */
static int sync_fork(sync_ctx *c, MDB_txn *txn, const held_feed *h, const feed_checkpoint *cp,
                     const uint8_t *cpb, size_t cpl, const char *source, const char *what, char *why,
                     size_t whycap)
{
    int is_new = 0;
    int rc = fork_record(c, txn, h, cp, cpb, cpl, source, &is_new);
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc != 0) {
        c->db = db_err(rc);
        return SRC_DB;
    }
    char a[17], b[17];
    hex8(a, h->head);
    hex8(b, cp->head);
    snprintf(why, whycap, "fork: %s", what);
    if (c->log)
        fprintf(c->log,
                "FORK detected for %s from %s: %s; held seq %" PRIu64 " head %s..., offered seq %" PRIu64
                " head %s...; state kept, evidence %s\n",
                c->iss, source, what, h->seq, a, cp->seq, b, is_new ? "stored" : "already on record");
    return SRC_FORK;
}

/* Fetches the snapshot (when nothing is held yet) and applies it; *have = 0 when the source has none. */
static int sync_snapshot(sync_ctx *c, MDB_txn *txn, const char *base, const feed_checkpoint *cp, held_feed *h,
                         int *have, char *why, size_t whycap)
{
    uint8_t *body;
    size_t len;
    *have = 0;
    api_err e = sync_fetch(c, base, "snapshot", FEED_MAX_SNAPSHOT_COSE, &body, &len, why, whycap);
    if (e == API_ERR_NOT_FOUND) return SRC_OK; /* replay from the first segment */
    if (e != API_OK) return SRC_FAIL;
    feed_snapshot s;
    cose_sign1 msg;
    int out = SRC_FAIL;
    e = feed_snapshot_parse(&s, &msg, body, len);
    if (e != API_OK) {
        snprintf(why, whycap, "snapshot: %s", api_strerror(e));
        goto done;
    }
    if (sync_check_state(c, &s.at, &msg, "snapshot", why, whycap) != 0) goto done;
    if (s.at.seq > cp->seq || (s.at.seq == cp->seq && memcmp(s.at.head, cp->head, FEED_HEAD_LEN) != 0)) {
        snprintf(why, whycap, "snapshot: seq %" PRIu64 " not consistent with the checkpoint's %" PRIu64,
                 s.at.seq, cp->seq);
        goto done;
    }
    int rc = snapshot_apply(c->r, txn, c->iss, &s, body, len);
    if (rc != 0) {
        c->db = db_err(rc);
        out = SRC_DB;
        goto done;
    }
    h->seq = s.at.seq;
    memcpy(h->head, s.at.head, FEED_HEAD_LEN);
    h->snap_seq = s.at.seq;
    h->flags |= REPLICA_HELD_HAS_SNAPSHOT;
    *have = 1;
    out = SRC_OK;
done:
    feed_snapshot_free(&s);
    free(body);
    return out;
}

/* Fetches, checks, chains and applies the segment that starts at h->seq + 1. */
static int sync_segment(sync_ctx *c, MDB_txn *txn, const char *base, uint64_t cp_seq, held_feed *h,
                        size_t *bytes, char *why, size_t whycap)
{
    char what[48];
    uint64_t first = h->seq + 1;
    snprintf(what, sizeof what, "segments/%" PRIu64, first);
    uint8_t *body;
    size_t len;
    if (sync_fetch(c, base, what, FEED_MAX_SEGMENT_COSE, &body, &len, why, whycap) != API_OK) return SRC_FAIL;
    feed_segment s;
    cose_sign1 msg;
    int out = SRC_FAIL;
    char sig[128];
    api_err e = feed_segment_parse(&s, &msg, body, len);
    if (e != API_OK) {
        snprintf(why, whycap, "%s: %s", what, api_strerror(e));
        goto done;
    }
    uint64_t last = s.first + s.n - 1;
    int64_t latest = INT64_MIN;
    for (size_t i = 0; i < s.n; i++)
        if (s.events[i].time > latest) latest = s.events[i].time;
    if (strcmp(s.iss, c->iss) != 0 || s.epoch != c->epoch) {
        snprintf(why, whycap, "%s: of issuer %s epoch %" PRIu64, what, s.iss, s.epoch);
        goto done;
    }
    if (s.first != first || last < s.first) {
        snprintf(why, whycap, "%s: starts at %" PRIu64, what, s.first);
        goto done;
    }
    if (last > cp_seq) {
        snprintf(why, whycap, "%s: goes past the checkpoint (%" PRIu64 " > %" PRIu64 ")", what, last, cp_seq);
        goto done;
    }
    if (feed_signer_ok(c->tl, &msg, c->iss, latest, sig, sizeof sig) != 0) {
        snprintf(why, whycap, "%s: %s", what, sig);
        goto done;
    }
    int rc = status_apply_segment(c->r, txn, c->iss, &s);
    if (rc == 0) rc = segment_store(c->r, txn, c->iss, s.first, (uint32_t)s.n, body, len);
    if (rc != 0) {
        c->db = db_err(rc);
        out = SRC_DB;
        goto done;
    }
    feed_chain(h->head, h->head, msg.payload, msg.payload_len);
    h->seq = last;
    *bytes += len;
    out = SRC_OK;
done:
    feed_segment_free(&s);
    free(body);
    return out;
}

/* Counts a refused older checkpoint (rollback) in its own small transaction. */
static int sync_rollback(sync_ctx *c, MDB_txn *txn, const char *source, char *why)
{
    int rc = meta_add(c->r, txn, "rollbacks", 1);
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc != 0) {
        c->db = db_err(rc);
        return SRC_DB;
    }
    if (c->log) fprintf(c->log, "%s: ROLLBACK refused from %s: %s\n", c->iss, source, why);
    return SRC_ROLLBACK;
}

/*
 * The batch of one source, into txn: the snapshot when nothing is held yet,
 * then the segments from the held seq up to the checkpoint (at most
 * REPLICA_BATCH_* of them). Advances h; what says what it did.
 */
static int sync_batch(sync_ctx *c, MDB_txn *txn, const char *base, const feed_checkpoint *cp, held_feed *h,
                      char *what, size_t whatcap, char *why, size_t whycap)
{
    int have_snapshot = 0, out;
    if (!h->exists || (h->seq == 0 && !(h->flags & REPLICA_HELD_HAS_SNAPSHOT))) {
        out = sync_snapshot(c, txn, base, cp, h, &have_snapshot, why, whycap);
        if (out != SRC_OK) return out;
    }
    size_t n_seg = 0, bytes = 0;
    while (h->seq < cp->seq && n_seg < REPLICA_BATCH_SEGMENTS && bytes < REPLICA_BATCH_BYTES) {
        out = sync_segment(c, txn, base, cp->seq, h, &bytes, why, whycap);
        if (out != SRC_OK) return out;
        n_seg++;
    }
    char snap[48] = "";
    if (have_snapshot) snprintf(snap, sizeof snap, "snapshot at %" PRIu64 ", ", h->snap_seq);
    snprintf(what, whatcap, "%s%zu segment%s%s", snap, n_seg, n_seg == 1 ? "" : "s",
             h->seq < cp->seq ? "; batch bound reached, the rest at the next sync" : "");
    return SRC_OK;
}

/*
 * One source for one issuer: the checkpoint, then (in one write
 * transaction) the snapshot if nothing is held, the segments up to the
 * checkpoint, the checkpoint itself. Commits only a verified, chained batch.
 */
static int sync_source(sync_ctx *c, const char *base, replica_issuer_report *rp, char *why, size_t whycap)
{
    replica *r = c->r;
    uint8_t *cpb;
    size_t cpl;
    feed_checkpoint cp;
    cose_sign1 msg;
    held_feed *h = NULL;
    MDB_txn *txn = NULL;
    int out = SRC_FAIL;
    if (sync_fetch(c, base, "checkpoint", FEED_MAX_CHECKPOINT_COSE, &cpb, &cpl, why, whycap) != API_OK)
        return SRC_FAIL;
    api_err e = feed_checkpoint_parse(&cp, &msg, cpb, cpl);
    if (e != API_OK) {
        snprintf(why, whycap, "checkpoint: %s", api_strerror(e));
        goto done;
    }
    if (sync_check_state(c, &cp, &msg, "checkpoint", why, whycap) != 0) goto done;
    static const uint8_t zero[FEED_HEAD_LEN];
    if (cp.seq == 0 && memcmp(cp.head, zero, FEED_HEAD_LEN) != 0) {
        snprintf(why, whycap, "checkpoint: seq 0 with a non-empty chain head");
        goto done;
    }
    h = malloc(sizeof *h);
    if (!h) {
        c->db = API_ERR_NOMEM;
        out = SRC_DB;
        goto done;
    }
    int rc = mdb_txn_begin(r->env, NULL, 0, &txn);
    uint64_t trust_seq = 0;
    if (rc == 0) rc = meta_get_u64(r, txn, "trust_seq", &trust_seq);
    if (rc == 0) rc = held_get(r, txn, c->iss, h);
    if (rc != 0) {
        c->db = db_err(rc);
        out = SRC_DB;
        goto done;
    }
    if (trust_seq != c->tl->seq) {
        snprintf(why, whycap, "the trust list changed during the sync");
        goto done;
    }
    if (h->exists && h->epoch != cp.epoch) {
        snprintf(why, whycap, "the held feed is of epoch %" PRIu64 ", not %" PRIu64, h->epoch, cp.epoch);
        goto done;
    }
    int has_cp = (h->flags & REPLICA_HELD_HAS_CHECKPOINT) != 0;
    if (cp.seq < h->seq || (has_cp && cp.signed_at < h->cp_signed_at)) {
        snprintf(why, whycap,
                 "checkpoint seq %" PRIu64 " signed at %" PRId64 " is older than the held seq %" PRIu64
                 " signed at %" PRId64,
                 cp.seq, cp.signed_at, h->seq, has_cp ? h->cp_signed_at : 0);
        rp->rollback = 1;
        out = sync_rollback(c, txn, base, why);
        txn = NULL;
        goto done;
    }
    uint64_t seq_before = h->seq;
    if (cp.seq == h->seq && memcmp(cp.head, h->head, FEED_HEAD_LEN) != 0) {
        out = sync_fork(c, txn, h, &cp, cpb, cpl, base, "same seq, another chain head", why, whycap);
        txn = NULL;
        goto done;
    }
    if (cp.seq > h->seq) {
        int held_chain = h->seq > 0;
        char what[128];
        out = sync_batch(c, txn, base, &cp, h, what, sizeof what, why, whycap);
        if (out != SRC_OK) goto done;
        out = SRC_FAIL;
        if (h->seq == cp.seq && memcmp(h->head, cp.head, FEED_HEAD_LEN) != 0) {
            if (!held_chain) {
                snprintf(why, whycap, "the segments do not chain to the checkpoint's head");
                goto done;
            }
            /* the held chain does not extend to this checkpoint: keep the state, keep the evidence */
            mdb_txn_abort(txn);
            txn = NULL;
            rc = mdb_txn_begin(r->env, NULL, 0, &txn);
            if (rc == 0) rc = held_get(r, txn, c->iss, h);
            if (rc != 0) {
                c->db = db_err(rc);
                out = SRC_DB;
                goto done;
            }
            out = sync_fork(c, txn, h, &cp, cpb, cpl, base,
                            "the held chain does not extend to the checkpoint", why, whycap);
            txn = NULL;
            goto done;
        }
        if (c->log)
            fprintf(c->log, "%s: %s -> seq %" PRIu64 " -> %" PRIu64 " (%s)\n", c->iss, base, seq_before,
                    h->seq, what);
    }
    h->exists = 1;
    h->epoch = cp.epoch;
    if (h->seq == cp.seq && (!has_cp || h->cp_seq != cp.seq || cp.signed_at > h->cp_signed_at ||
                             h->cp_len != cpl || memcmp(h->cp, cpb, cpl) != 0)) {
        h->flags |= REPLICA_HELD_HAS_CHECKPOINT;
        h->cp_seq = cp.seq;
        h->cp_signed_at = cp.signed_at;
        h->cp_len = cpl;
        memcpy(h->cp, cpb, cpl);
    }
    if (seq_before == cp.seq && c->log)
        fprintf(c->log, "%s: %s -> seq %" PRIu64 " (unchanged, checkpoint signed at %" PRId64 ")\n", c->iss,
                base, cp.seq, h->cp_signed_at);
    rc = held_put(r, txn, c->iss, h);
    if (rc == 0) rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc != 0) {
        c->db = db_err(rc);
        out = SRC_DB;
        goto done;
    }
    out = SRC_OK;
done:
    if (txn) mdb_txn_abort(txn);
    free(h);
    free(cpb);
    return out;
}

static api_err held_summary(replica *r, const char *iss, uint64_t *seq, int64_t *signed_at)
{
    *seq = 0;
    *signed_at = 0;
    if (!iss_ok(iss)) return API_ERR_ARG;
    held_feed *h = malloc(sizeof *h);
    if (!h) return API_ERR_NOMEM;
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
    if (rc == 0) {
        rc = held_get(r, txn, iss, h);
        mdb_txn_abort(txn);
    }
    if (rc == 0 && h->exists) {
        *seq = h->seq;
        if (h->flags & REPLICA_HELD_HAS_CHECKPOINT) *signed_at = h->cp_signed_at;
    }
    free(h);
    return db_err(rc);
}

/* Every source of one issuer in order, until one yields a consistent feed. */
static int sync_issuer(sync_ctx *c, const char *feed, const char *const *mirrors, size_t n_mirrors,
                       replica_issuer_report *rp)
{
    int64_t signed_at;
    snprintf(rp->iss, sizeof rp->iss, "%s", c->iss);
    if (held_summary(c->r, c->iss, &rp->seq_before, &signed_at) != API_OK) {
        c->db = API_ERR_DB;
        return SRC_DB;
    }
    const char *sources[REPLICA_MAX_SOURCES];
    size_t n = 0;
    sources[n++] = feed;
    for (size_t i = 0; i < n_mirrors && n < REPLICA_MAX_SOURCES; i++)
        if (mirrors[i] && mirrors[i][0]) sources[n++] = mirrors[i];
    int out = SRC_FAIL;
    for (size_t i = 0; i < n && !rp->reached; i++) {
        char why[256] = "";
        out = sync_source(c, sources[i], rp, why, sizeof why);
        if (out == SRC_DB) return out;
        if (out == SRC_OK) {
            rp->reached = 1;
            snprintf(rp->source, sizeof rp->source, "%s", sources[i]);
            break;
        }
        if (out == SRC_FORK) rp->fork = 1;
        snprintf(rp->error, sizeof rp->error, "%.100s: %.150s", sources[i], why);
        if (c->log && out == SRC_FAIL) fprintf(c->log, "%s: %s: %s\n", c->iss, sources[i], why);
    }
    if (held_summary(c->r, c->iss, &rp->seq_after, &rp->checkpoint_signed_at) != API_OK) {
        c->db = API_ERR_DB;
        return SRC_DB;
    }
    if (!rp->reached && c->log) fprintf(c->log, "%s: not reached from any source\n", c->iss);
    return rp->reached ? SRC_OK : out;
}

api_err replica_sync(replica *r, const char *const *mirrors, size_t n_mirrors, replica_fetch_fn fetch,
                     void *arg, int64_t now, FILE *log, replica_sync_report *rep)
{
    replica_sync_report *local = NULL;
    if (!rep) {
        local = malloc(sizeof *local);
        if (!local) return API_ERR_NOMEM;
        rep = local;
    }
    memset(rep, 0, sizeof *rep);
    trust_list tl;
    api_err e = replica_trust(r, &tl);
    if (e != API_OK) {
        free(local);
        return e;
    }
    sync_ctx c = {.r = r, .fetch = fetch, .arg = arg, .now = now, .log = log, .tl = &tl, .db = API_OK};
    const size_t cap = sizeof rep->issuers / sizeof rep->issuers[0];
    for (size_t i = 0; i < tl.n; i++) {
        const char *id = tl.entries[i].id;
        const char *feed = trust_id_feed(&tl, id);
        if (!trust_id_first(&tl, i) || !feed[0]) continue;
        replica_issuer_report spare;
        memset(&spare, 0, sizeof spare);
        replica_issuer_report *rp = rep->n < cap ? &rep->issuers[rep->n++] : &spare;
        memset(rp, 0, sizeof *rp);
        c.iss = id;
        c.epoch = trust_id_epoch(&tl, id);
        int out = sync_issuer(&c, feed, mirrors, n_mirrors, rp);
        if (out == SRC_DB) {
            e = c.db != API_OK ? c.db : API_ERR_DB;
            if (log) fprintf(log, "%s: stopped: %s\n", id, api_strerror(e));
            break;
        }
        if (!rp->reached) e = API_ERR_IO;
    }
    trust_free(&tl);
    free(local);
    return e;
}

/* ---- reads ---- */

void replica_set_policy(replica *r, int64_t max_staleness, int64_t now)
{
    atomic_store_explicit(&r->max_staleness, max_staleness, memory_order_relaxed);
    atomic_store_explicit(&r->now, now, memory_order_relaxed);
}

int replica_status(void *arg, const trust_entry *entry, uint32_t idx, verify_status *out)
{
    replica *r = arg;
    memset(out, 0, sizeof *out);
    if (!iss_ok(entry->id)) return -1;
    MDB_txn *txn;
    if (mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0) return -1;
    const char *iss = entry->id;
    MDB_val k = {strlen(iss), (void *)(uintptr_t)iss}, v;
    int rc = mdb_get(txn, r->issuers, &k, &v);
    if (rc == MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return 0;
    }
    const uint8_t *p = v.mv_data;
    if (rc != 0 || v.mv_size < REPLICA_HELD_FIXED || p[0] != REPLICA_REC_VERSION) {
        mdb_txn_abort(txn);
        return -1;
    }
    if (!(p[49] & REPLICA_HELD_HAS_CHECKPOINT)) {
        mdb_txn_abort(txn);
        return 0;
    }
    int64_t now = atomic_load_explicit(&r->now, memory_order_relaxed);
    int64_t max_staleness = atomic_load_explicit(&r->max_staleness, memory_order_relaxed);
    if (now <= 0) now = (int64_t)time(NULL);
    out->held = 1;
    out->as_of = (int64_t)get_u64(p + 58);
    out->fresh = now - out->as_of <= max_staleness;
    uint8_t kb[REPLICA_KEY_MAX];
    MDB_val sk = {key_u32(kb, iss, idx), kb};
    rc = status_read(r, txn, &sk, &out->status, &out->extended_until);
    mdb_txn_abort(txn);
    return rc == 0 ? 0 : -1;
}

static api_err copy_out(uint8_t **data, size_t *len, const void *src, size_t n)
{
    *data = malloc(n ? n : 1);
    if (!*data) return API_ERR_NOMEM;
    if (n) memcpy(*data, src, n);
    *len = n;
    return API_OK;
}

/* The segment of iss that starts at first, or the first_seq of the one holding it (*containing). */
static api_err feed_get_segment(replica *r, MDB_txn *txn, const char *iss, uint64_t first, uint8_t **data,
                                size_t *len, uint64_t *containing)
{
    uint8_t kb[REPLICA_KEY_MAX], prefix[REPLICA_KEY_MAX];
    size_t plen = key_prefix(prefix, iss);
    MDB_val k = {key_u64(kb, iss, first), kb}, v;
    int rc = mdb_get(txn, r->segments, &k, &v);
    if (rc == 0) {
        if (v.mv_size < 4) return API_ERR_DB;
        return copy_out(data, len, (uint8_t *)v.mv_data + 4, v.mv_size - 4);
    }
    if (rc != MDB_NOTFOUND) return API_ERR_DB;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, r->segments, &cur) != 0) return API_ERR_DB;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == 0)
        rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (rc == 0 && k.mv_size == plen + 8 && key_has_prefix(&k, prefix, plen) && v.mv_size >= 4) {
        uint64_t f = get_u64((const uint8_t *)k.mv_data + plen);
        uint32_t n = get_u32(v.mv_data);
        if (first > f && first - f < n) *containing = f;
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? API_ERR_NOT_FOUND : API_ERR_DB;
}

api_err replica_feed_get(void *arg, feedsrv_kind kind, const char *iss, uint64_t first, uint8_t **data,
                         size_t *len, uint64_t *containing)
{
    replica *r = arg;
    *data = NULL;
    *len = 0;
    if (containing) *containing = 0;
    uint64_t spare;
    if (!containing) containing = &spare;
    if (kind != FEEDSRV_TRUST_LIST && !iss_ok(iss)) return API_ERR_NOT_FOUND;
    MDB_txn *txn;
    if (mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    api_err e = API_ERR_NOT_FOUND;
    MDB_val k, v;
    int rc;
    switch (kind) {
    case FEEDSRV_TRUST_LIST:
        k.mv_size = 5;
        k.mv_data = "trust";
        rc = mdb_get(txn, r->meta, &k, &v);
        e = rc == 0              ? copy_out(data, len, v.mv_data, v.mv_size)
            : rc == MDB_NOTFOUND ? API_ERR_NOT_FOUND
                                 : API_ERR_DB;
        break;
    case FEEDSRV_SNAPSHOT:
        k.mv_size = strlen(iss);
        k.mv_data = (void *)(uintptr_t)iss;
        rc = mdb_get(txn, r->snapshots, &k, &v);
        e = rc == 0              ? copy_out(data, len, v.mv_data, v.mv_size)
            : rc == MDB_NOTFOUND ? API_ERR_NOT_FOUND
                                 : API_ERR_DB;
        break;
    case FEEDSRV_CHECKPOINT:
        k.mv_size = strlen(iss);
        k.mv_data = (void *)(uintptr_t)iss;
        rc = mdb_get(txn, r->issuers, &k, &v);
        if (rc == MDB_NOTFOUND) break;
        if (rc != 0 || v.mv_size < REPLICA_HELD_FIXED ||
            ((const uint8_t *)v.mv_data)[0] != REPLICA_REC_VERSION) {
            e = API_ERR_DB;
            break;
        }
        if (((const uint8_t *)v.mv_data)[49] & REPLICA_HELD_HAS_CHECKPOINT)
            e = copy_out(data, len, (const uint8_t *)v.mv_data + REPLICA_HELD_FIXED,
                         v.mv_size - REPLICA_HELD_FIXED);
        break;
    case FEEDSRV_SEGMENT:
        e = feed_get_segment(r, txn, iss, first, data, len, containing);
        break;
    }
    mdb_txn_abort(txn);
    return e;
}

api_err replica_get_counters(replica *r, replica_counters *c)
{
    memset(c, 0, sizeof *c);
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) return API_ERR_DB;
    rc = meta_get_u64(r, txn, "forks", &c->forks);
    if (rc == 0) rc = meta_get_u64(r, txn, "rollbacks", &c->rollbacks);
    if (rc == 0) rc = meta_get_u64(r, txn, "trust_seq", &c->trust_seq);
    mdb_txn_abort(txn);
    return db_err(rc);
}

api_err replica_issuer_state(replica *r, const char *iss, uint64_t *seq, int64_t *signed_at)
{
    return held_summary(r, iss, seq, signed_at);
}

uint64_t replica_version(replica *r)
{
    MDB_envinfo info;
    if (!r || mdb_env_info(r->env, &info) != 0) return 0;
    return (uint64_t)info.me_last_txnid;
}

/* One issuer's snapshot, segments and checkpoint for replica_export; 0, a callback's stop (1), or an LMDB code. */
static int export_issuer(replica *r, MDB_txn *txn, const char *iss, held_feed *h, replica_export_fn fn, void *arg)
{
    int rc = held_get(r, txn, iss, h);
    if (rc != 0) return rc;
    if (!h->exists || !(h->flags & REPLICA_HELD_HAS_CHECKPOINT)) return 0;
    MDB_val k = {strlen(iss), (void *)(uintptr_t)iss}, v;
    rc = (h->flags & REPLICA_HELD_HAS_SNAPSHOT) ? mdb_get(txn, r->snapshots, &k, &v) : MDB_NOTFOUND;
    if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    uint64_t after = rc == 0 ? h->snap_seq : 0;
    if (fn(arg, FEEDSRV_SNAPSHOT, iss, rc == 0 ? v.mv_data : NULL, rc == 0 ? v.mv_size : 0) != 0) return 1;

    uint8_t prefix[REPLICA_KEY_MAX], kb[REPLICA_KEY_MAX];
    size_t plen = key_prefix(prefix, iss);
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, r->segments, &cur);
    if (rc != 0) return rc;
    k.mv_size = key_u64(kb, iss, after + 1);
    k.mv_data = kb;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != plen + 8 || !key_has_prefix(&k, prefix, plen)) break;
        if (v.mv_size < 4) {
            rc = MDB_CORRUPTED;
            break;
        }
        uint64_t first = get_u64((const uint8_t *)k.mv_data + plen);
        uint32_t n = get_u32(v.mv_data);
        if (n == 0 || first + n - 1 > h->cp_seq) break; /* past the checkpoint held: not in the bundle */
        if (fn(arg, FEEDSRV_SEGMENT, iss, (const uint8_t *)v.mv_data + 4, v.mv_size - 4) != 0) {
            rc = 1;
            break;
        }
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    return fn(arg, FEEDSRV_CHECKPOINT, iss, h->cp, h->cp_len) != 0 ? 1 : 0;
}

api_err replica_trust_signed(replica *r, uint8_t **cose, size_t *len, uint64_t *version)
{
    *cose = NULL;
    *len = 0;
    *version = 0;
    MDB_txn *txn;
    if (mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    *version = (uint64_t)mdb_txn_id(txn);
    MDB_val k = {5, "trust"}, v;
    int rc = mdb_get(txn, r->meta, &k, &v);
    api_err e = rc == 0 ? copy_out(cose, len, v.mv_data, v.mv_size) : rc == MDB_NOTFOUND ? API_ERR_NOT_FOUND : API_ERR_DB;
    mdb_txn_abort(txn);
    return e;
}

api_err replica_export(replica *r, replica_export_fn fn, void *arg, uint64_t *version)
{
    if (version) *version = 0;
    if (!r || !fn) return API_ERR_ARG;
    held_feed *h = malloc(sizeof *h);
    if (!h) return API_ERR_NOMEM;
    MDB_txn *txn;
    if (mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0) {
        free(h);
        return API_ERR_DB;
    }
    if (version) *version = (uint64_t)mdb_txn_id(txn);
    MDB_val k = {5, "trust"}, v;
    int rc = mdb_get(txn, r->meta, &k, &v);
    api_err e = rc == MDB_NOTFOUND ? API_ERR_NOT_FOUND : rc != 0 ? API_ERR_DB : API_OK;
    trust_list tl;
    memset(&tl, 0, sizeof tl);
    if (e == API_OK) e = trust_decode_held(&tl, v.mv_data, v.mv_size);
    if (e == API_OK && fn(arg, FEEDSRV_TRUST_LIST, NULL, v.mv_data, v.mv_size) != 0) e = API_ERR_ARG;
    for (size_t i = 0; e == API_OK && i < tl.n; i++) {
        if (!trust_id_first(&tl, i) || !iss_ok(tl.entries[i].id)) continue;
        rc = export_issuer(r, txn, tl.entries[i].id, h, fn, arg);
        if (rc == 1) e = API_ERR_ARG;
        else if (rc != 0) e = API_ERR_DB;
    }
    mdb_txn_abort(txn);
    trust_free(&tl);
    free(h);
    return e;
}
