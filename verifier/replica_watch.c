/*
 * replica_watch.c: the attestations social agencies follow, and the
 * changes they are told (watch.h), in two databases of the replica's
 * environment, so that the sync writes a change in the transaction that
 * applies the event it comes from (replica_watch_event, called by
 * replica_records.c for each status entry that changed).
 *
 * Layout (integers big-endian; "key\0" is the agency's key id and a zero
 * byte; a record that starts with a version byte has version
 * WATCH_REC_VERSION):
 *
 *   watches        'w' id u64            -> the watch (WATCH_REC_*, below)
 *                  'k' key\0 id u64      -> (empty): a key's watches, in id order
 *                  'n' key\0             -> u64: how many watches the key holds
 *                  'c' key\0 seq u64     -> the change (WATCH_CHANGE_*, below)
 *                  'd' due i64 id u64    -> (empty): when watch_tick next acts on id
 *                  'm' name              -> "secret" (32 bytes, the cti hash's key),
 *                                           "next_id", "next_change" (u64)
 *   watch_targets  iss\0 idx u32         -> id u64 | printed end i64 | key, one
 *                                           duplicate per watch (MDB_DUPSORT): the
 *                                           sync's one lookup, all it reads
 *
 * Choices. A sync compares each event with the status entry it replaces
 * (a revoked or superseded one tells nothing more) and only appends the
 * changes: it rewrites no watch, so that following a million attestations
 * costs a sync little more than one lookup per event and the tail of each
 * key's changes. What a watch knows of time (ending_soon, ended told for
 * which end; seen final) is watch_tick's to bring up to date. The due
 * index holds, for each watch, an entry at or before its next action:
 * watch_tick walks it from the oldest up to now, decides from the status
 * held, and puts the watch's next entry (an extension only moves the
 * action later, so an entry is never late; a final status is due at once).
 * Readers are given the replica's current status and end. A tick costs
 * what it does, and one look at each key's oldest change (changes are kept
 * WATCH_RETENTION_DAYS after they were learned). A change's number comes
 * from one counter, so numbers grow in the order changes were learned.
 *
 * It follows the transaction rule of replica_int.h: a function given a
 * transaction never ends it; the public functions begin and end theirs.
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "qr/status.h"
#include "verifier/replica_int.h"
#include "verifier/watch.h"

#define WATCH_REC_VERSION 1
#define WATCH_SECRET_LEN  32
#define WATCH_DAY         86400
#define WATCH_TICK_BATCH  10000 /* watches acted on per transaction of a tick */

/* the watch: version u8 | status u8 | flags u8 | idx u32 | printed_end i64 | effective_end i64 |
 * created_at i64 | mark i64 | cti hash [16] | key length u8 | key | iss (the rest). status and
 * effective_end are those at the follow (readers are given the replica's current ones); mark is the
 * effective end that WATCH_SOON_SENT and WATCH_ENDED_SENT were told for, or, with WATCH_FINAL, when
 * watch_tick saw the attestation revoked or superseded. */
enum {
    WATCH_REC_VERSION_AT = 0,
    WATCH_REC_STATUS = 1,
    WATCH_REC_FLAGS = 2,
    WATCH_REC_IDX = 3,
    WATCH_REC_PRINTED = 7,
    WATCH_REC_EFFECTIVE = 15,
    WATCH_REC_CREATED = 23,
    WATCH_REC_MARK = 31,
    WATCH_REC_HASH = 39,
    WATCH_REC_KEY_LEN = WATCH_REC_HASH + WATCH_HASH_LEN,
    WATCH_REC_KEY = WATCH_REC_KEY_LEN + 1,
};

/* the change: watch id u64 | kind u8 | effective_until i64 | learned_at i64 */
enum {
    WATCH_CHANGE_ID = 0,
    WATCH_CHANGE_KIND = 8,
    WATCH_CHANGE_UNTIL = 9,
    WATCH_CHANGE_LEARNED = 17,
    WATCH_CHANGE_LEN = 25,
};

#define WATCH_KMAX (1 + WATCH_KEY_MAX + 1 + 8)

static const char *const watch_codes[WATCH_KIND_COUNT] = {
    "extended", "revoked", "suspended", "resumed", "superseded", "ending_soon", "ended",
};

const char *watch_kind_code(watch_kind k)
{
    return (unsigned)k < WATCH_KIND_COUNT ? watch_codes[k] : "unknown";
}

void watch_id_format(char out[WATCH_ID_TEXT], uint64_t id)
{
    snprintf(out, WATCH_ID_TEXT, "%016" PRIx64, id);
}

int watch_id_parse(uint64_t *id, const char *text)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; text[i]; i++) {
        char c = text[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return -1;
        if (i >= 16) return -1;
        v = v << 4 | d;
    }
    if (i != 16 || v == 0) return -1;
    *id = v;
    return 0;
}

void watch_set_ending_soon(replica *r, int days)
{
    r->watch_soon = (int64_t)days * WATCH_DAY;
}

static int watch_key_ok(const char *key_id)
{
    size_t n = key_id ? strnlen(key_id, WATCH_KEY_MAX + 1) : 0;
    return n > 0 && n <= WATCH_KEY_MAX;
}

/* ---- keys ---- */

/* tag key\0 [u64]: the key's length */
static size_t key_of(uint8_t k[WATCH_KMAX], char tag, const char *key_id, int with_u64, uint64_t v)
{
    size_t n = strlen(key_id);
    k[0] = (uint8_t)tag;
    memcpy(k + 1, key_id, n);
    k[1 + n] = 0;
    if (!with_u64) return n + 2;
    bytes_put_be64(k + n + 2, v);
    return n + 10;
}

static size_t key_w(uint8_t k[9], uint64_t id)
{
    k[0] = 'w';
    bytes_put_be64(k + 1, id);
    return 9;
}

static size_t key_d(uint8_t k[17], int64_t due, uint64_t id)
{
    k[0] = 'd';
    bytes_put_be64(k + 1, (uint64_t)due ^ (1ull << 63)); /* sorts signed times */
    bytes_put_be64(k + 9, id);
    return 17;
}

static int64_t due_of_key(const uint8_t *k)
{
    return (int64_t)(bytes_get_be64(k + 1) ^ (1ull << 63));
}

static int put_empty(MDB_txn *txn, MDB_dbi dbi, const uint8_t *k, size_t klen)
{
    MDB_val key = {klen, (void *)(uintptr_t)k}, v = {0, ""};
    return mdb_put(txn, dbi, &key, &v, 0);
}

static int del_one(MDB_txn *txn, MDB_dbi dbi, const uint8_t *k, size_t klen, MDB_val *v)
{
    MDB_val key = {klen, (void *)(uintptr_t)k};
    int rc = mdb_del(txn, dbi, &key, v);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- meta: counters and the secret ---- */

static int meta_get_u64(replica *r, MDB_txn *txn, const char *name, uint64_t *v)
{
    uint8_t k[32];
    size_t n = strlen(name);
    k[0] = 'm';
    memcpy(k + 1, name, n);
    MDB_val key = {n + 1, k}, val;
    *v = 0;
    int rc = mdb_get(txn, r->watches, &key, &val);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != 0) return rc;
    if (val.mv_size != 8) return MDB_CORRUPTED;
    *v = bytes_get_be64(val.mv_data);
    return 0;
}

static int meta_put(replica *r, MDB_txn *txn, const char *name, const void *data, size_t len)
{
    uint8_t k[32];
    size_t n = strlen(name);
    k[0] = 'm';
    memcpy(k + 1, name, n);
    MDB_val key = {n + 1, k}, val = {len, (void *)(uintptr_t)data};
    return mdb_put(txn, r->watches, &key, &val, 0);
}

/* The next number of a counter (1, 2, ...). */
static int meta_next(replica *r, MDB_txn *txn, const char *name, uint64_t *v)
{
    int rc = meta_get_u64(r, txn, name, v);
    if (rc != 0) return rc;
    (*v)++;
    uint8_t b[8];
    bytes_put_be64(b, *v);
    return meta_put(r, txn, name, b, 8);
}

/* The keyed hash of a cti (the key made at the first watch). */
static int cti_hash(replica *r, MDB_txn *txn, const uint8_t *cti, uint8_t out[WATCH_HASH_LEN])
{
    uint8_t k[8] = "msecret";
    MDB_val key = {7, k}, val;
    uint8_t secret[WATCH_SECRET_LEN];
    int rc = mdb_get(txn, r->watches, &key, &val);
    if (rc == 0 && val.mv_size == WATCH_SECRET_LEN) {
        memcpy(secret, val.mv_data, WATCH_SECRET_LEN);
    } else if (rc == MDB_NOTFOUND) {
        randombytes_buf(secret, sizeof secret);
        rc = meta_put(r, txn, "secret", secret, sizeof secret);
        if (rc != 0) return rc;
    } else {
        return rc ? rc : MDB_CORRUPTED;
    }
    crypto_generichash(out, WATCH_HASH_LEN, cti, CLAIMS_CTI_LEN, secret, sizeof secret);
    sodium_memzero(secret, sizeof secret);
    return 0;
}

/* ---- the watch record ---- */

static int rec_decode(const MDB_val *v, uint64_t id, watch_record *w)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size < WATCH_REC_KEY || p[WATCH_REC_VERSION_AT] != WATCH_REC_VERSION) return MDB_CORRUPTED;
    size_t klen = p[WATCH_REC_KEY_LEN];
    if (klen == 0 || klen > WATCH_KEY_MAX || v->mv_size < WATCH_REC_KEY + klen + 1 ||
        v->mv_size - WATCH_REC_KEY - klen >= CLAIMS_ISS_MAX)
        return MDB_CORRUPTED;
    memset(w, 0, sizeof *w);
    w->id = id;
    w->status = p[WATCH_REC_STATUS];
    w->flags = p[WATCH_REC_FLAGS];
    w->idx = bytes_get_be32(p + WATCH_REC_IDX);
    w->printed_end = bytes_get_be64s(p + WATCH_REC_PRINTED);
    w->effective_end = bytes_get_be64s(p + WATCH_REC_EFFECTIVE);
    w->created_at = bytes_get_be64s(p + WATCH_REC_CREATED);
    w->mark = bytes_get_be64s(p + WATCH_REC_MARK);
    memcpy(w->cti_hash, p + WATCH_REC_HASH, WATCH_HASH_LEN);
    memcpy(w->key_id, p + WATCH_REC_KEY, klen);
    memcpy(w->iss, p + WATCH_REC_KEY + klen, v->mv_size - WATCH_REC_KEY - klen);
    return 0;
}

static int rec_put(replica *r, MDB_txn *txn, const watch_record *w)
{
    size_t klen = strlen(w->key_id), ilen = strlen(w->iss);
    uint8_t k[9];
    MDB_val key = {key_w(k, w->id), k}, v = {WATCH_REC_KEY + klen + ilen, NULL};
    int rc = mdb_put(txn, r->watches, &key, &v, MDB_RESERVE);
    if (rc != 0) return rc;
    uint8_t *p = v.mv_data;
    p[WATCH_REC_VERSION_AT] = WATCH_REC_VERSION;
    p[WATCH_REC_STATUS] = (uint8_t)w->status;
    p[WATCH_REC_FLAGS] = (uint8_t)w->flags;
    bytes_put_be32(p + WATCH_REC_IDX, w->idx);
    bytes_put_be64s(p + WATCH_REC_PRINTED, w->printed_end);
    bytes_put_be64s(p + WATCH_REC_EFFECTIVE, w->effective_end);
    bytes_put_be64s(p + WATCH_REC_CREATED, w->created_at);
    bytes_put_be64s(p + WATCH_REC_MARK, w->mark);
    memcpy(p + WATCH_REC_HASH, w->cti_hash, WATCH_HASH_LEN);
    p[WATCH_REC_KEY_LEN] = (uint8_t)klen;
    memcpy(p + WATCH_REC_KEY, w->key_id, klen);
    memcpy(p + WATCH_REC_KEY + klen, w->iss, ilen);
    return 0;
}

static int rec_get(replica *r, MDB_txn *txn, uint64_t id, watch_record *w)
{
    uint8_t k[9];
    MDB_val key = {key_w(k, id), k}, v;
    int rc = mdb_get(txn, r->watches, &key, &v);
    return rc != 0 ? rc : rec_decode(&v, id, w);
}

/* A due entry: watch_tick looks at id at `due` (it decides then what, if anything, to do). */
static int due_put(replica *r, MDB_txn *txn, uint64_t id, int64_t due)
{
    uint8_t k[17];
    return put_empty(txn, r->watches, k, key_d(k, due, id));
}

/* The end held for w: its printed end, or the extension held when later. */
static int64_t end_of(const watch_record *w, int64_t ext)
{
    return ext > w->printed_end ? ext : w->printed_end;
}

/* w with what the replica holds now: its status and effective end. */
static int rec_current(replica *r, MDB_txn *txn, watch_record *w)
{
    unsigned st;
    int64_t ext;
    int rc = replica_status_get(r, txn, w->iss, w->idx, &st, &ext);
    if (rc != 0) return rc;
    w->status = st;
    w->effective_end = end_of(w, ext);
    return 0;
}

/* ---- changes ---- */

/* The next change number: from the batch's counter when there is one (written back at its end). */
static int change_next(replica *r, MDB_txn *txn, replica_watch_batch *b, uint64_t *seq)
{
    if (!b) return meta_next(r, txn, "next_change", seq);
    if (!b->counted) {
        int rc = meta_get_u64(r, txn, "next_change", &b->next_change);
        if (rc != 0) return rc;
        b->counted = 1;
    }
    *seq = ++b->next_change;
    b->dirty = 1;
    return 0;
}

static int change_put(replica *r, MDB_txn *txn, replica_watch_batch *b, const watch_record *w,
                      watch_kind kind, int64_t until, int64_t learned_at)
{
    uint64_t seq;
    int rc = change_next(r, txn, b, &seq);
    if (rc != 0) return rc;
    uint8_t k[WATCH_KMAX], v[WATCH_CHANGE_LEN];
    bytes_put_be64(v + WATCH_CHANGE_ID, w->id);
    v[WATCH_CHANGE_KIND] = (uint8_t)kind;
    bytes_put_be64s(v + WATCH_CHANGE_UNTIL, until);
    bytes_put_be64s(v + WATCH_CHANGE_LEARNED, learned_at);
    MDB_val key = {key_of(k, 'c', w->key_id, 1, seq), k}, val = {sizeof v, v};
    return mdb_put(txn, r->watches, &key, &val, 0);
}

/* What the status st says to a watch that knew old: a kind, or -1 for nothing to tell. */
static int kind_of_status(unsigned old, unsigned st)
{
    if (st == old) return -1;
    switch (st) {
    case STATUS_REVOKED:
        return WATCH_REVOKED;
    case STATUS_SUPERSEDED:
        return WATCH_SUPERSEDED;
    case STATUS_SUSPENDED:
        return WATCH_SUSPENDED;
    default:
        return WATCH_RESUMED;
    }
}

static int status_final(unsigned st)
{
    return st == STATUS_REVOKED || st == STATUS_SUPERSEDED;
}

/*
 * The status entry of w went from (st0, ext0) to (st, ext): the changes
 * to tell, written; nothing of w itself is rewritten (watch_tick brings it
 * up to date), so that a sync touches only the tail of each key's changes.
 * A final status is due to watch_tick at once.
 */
static int rec_tell(replica *r, MDB_txn *txn, replica_watch_batch *b, const watch_record *w, unsigned st0,
                    int64_t ext0, unsigned st, int64_t ext, int64_t now)
{
    int64_t end0 = end_of(w, ext0), end = end_of(w, ext);
    int rc = 0;
    if (end > end0) rc = change_put(r, txn, b, w, WATCH_EXTENDED, end, now);
    int kind = kind_of_status(st0, st);
    if (rc == 0 && kind >= 0) rc = change_put(r, txn, b, w, (watch_kind)kind, end, now);
    if (rc == 0 && kind >= 0 && status_final(st)) rc = due_put(r, txn, w->id, now);
    return rc;
}

static size_t target_key(uint8_t k[REPLICA_KEY_MAX], const char *iss, uint32_t idx)
{
    return replica_key_u32(k, iss, idx);
}

/* A watch_targets value: id u64 | printed end i64 | key id (the rest): what a sync needs to tell. */
#define WATCH_TARGET_MIN 17
static size_t target_value(uint8_t v[16 + WATCH_KEY_MAX], const watch_record *w)
{
    size_t klen = strlen(w->key_id);
    bytes_put_be64(v, w->id);
    bytes_put_be64s(v + 8, w->printed_end);
    memcpy(v + 16, w->key_id, klen);
    return 16 + klen;
}

/* The watch of a watch_targets value, as far as a sync needs it; -1 for a value that is not one. */
static int target_decode(const MDB_val *v, watch_record *w)
{
    if (v->mv_size < WATCH_TARGET_MIN || v->mv_size > 16 + WATCH_KEY_MAX) return -1;
    const uint8_t *p = v->mv_data;
    memset(w, 0, sizeof *w);
    w->id = bytes_get_be64(p);
    w->printed_end = bytes_get_be64s(p + 8);
    memcpy(w->key_id, p + 16, v->mv_size - 16);
    return 0;
}

int replica_watch_batch_begin(replica *r, MDB_txn *txn, replica_watch_batch *b)
{
    memset(b, 0, sizeof *b);
    MDB_stat ws;
    int rc = mdb_stat(txn, r->watch_targets, &ws);
    if (rc == 0 && ws.ms_entries > 0) rc = mdb_cursor_open(txn, r->watch_targets, &b->targets);
    return rc;
}

int replica_watch_batch_end(replica *r, MDB_txn *txn, replica_watch_batch *b, int rc)
{
    if (rc == 0 && b->dirty) {
        uint8_t v[8];
        bytes_put_be64(v, b->next_change);
        rc = meta_put(r, txn, "next_change", v, sizeof v);
    }
    if (b->targets) mdb_cursor_close(b->targets);
    memset(b, 0, sizeof *b);
    return rc;
}

int replica_watch_event(replica *r, MDB_txn *txn, replica_watch_batch *b, const char *iss, uint32_t idx,
                        unsigned st0, int64_t ext0, unsigned st, int64_t ext)
{
    if (!b->targets) return 0;       /* nobody follows anything */
    if (status_final(st0)) return 0; /* nothing more is told of a revoked or superseded attestation */
    uint8_t k[REPLICA_KEY_MAX];
    MDB_val key = {target_key(k, iss, idx), k}, v;
    watch_record w[16]; /* the keys that follow one attestation: a few agencies */
    size_t n = 0;
    int rc;
    for (rc = mdb_cursor_get(b->targets, &key, &v, MDB_SET_KEY); rc == 0 && n < 16;
         rc = mdb_cursor_get(b->targets, &key, &v, MDB_NEXT_DUP))
        if (target_decode(&v, &w[n]) == 0) n++;
    if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = rec_tell(r, txn, b, &w[i], st0, ext0, st, ext, r->sync_now)) != 0) return rc;
    return 0;
}

int replica_watch_prior_get(replica *r, MDB_txn *txn, const char *iss, replica_watch_prior **out, size_t *n)
{
    uint8_t prefix[REPLICA_KEY_MAX];
    size_t plen = replica_key_prefix(prefix, iss), cap = 0;
    *out = NULL;
    *n = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, r->watch_targets, &cur);
    if (rc != 0) return rc;
    MDB_val key = {plen, prefix}, v;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
         rc == 0 && replica_key_has_prefix(&key, prefix, plen);
         rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT_NODUP)) {
        if (key.mv_size != plen + 4) continue;
        if (*n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            replica_watch_prior *p = realloc(*out, ncap * sizeof *p);
            if (!p) {
                rc = ENOMEM;
                break;
            }
            *out = p;
            cap = ncap;
        }
        replica_watch_prior *p = &(*out)[*n];
        p->idx = bytes_get_be32((const uint8_t *)key.mv_data + plen);
        int rc2 = replica_status_get(r, txn, iss, p->idx, &p->st, &p->ext);
        if (rc2 != 0) {
            rc = rc2;
            break;
        }
        (*n)++;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) rc = 0;
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int replica_watch_prior_tell(replica *r, MDB_txn *txn, const char *iss, const replica_watch_prior *prior,
                             size_t n)
{
    if (n == 0) return 0;
    replica_watch_batch b;
    int rc = replica_watch_batch_begin(r, txn, &b);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        unsigned st;
        int64_t ext;
        rc = replica_status_get(r, txn, iss, prior[i].idx, &st, &ext);
        if (rc == 0 && (st != prior[i].st || ext != prior[i].ext))
            rc = replica_watch_event(r, txn, &b, iss, prior[i].idx, prior[i].st, prior[i].ext, st, ext);
    }
    return replica_watch_batch_end(r, txn, &b, rc);
}

/* ---- the public side ---- */

/* Ends txn: commits when rc is 0, aborts otherwise; the api_err of it all. */
static api_err txn_end(MDB_txn *txn, int rc)
{
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    return replica_db_err(rc);
}

/* A watch of key_id that follows t already: *id, or 0. */
static int find_existing(replica *r, MDB_txn *txn, const char *key_id, const watch_target *t,
                         const uint8_t hash[WATCH_HASH_LEN], uint64_t *id)
{
    uint8_t k[REPLICA_KEY_MAX];
    MDB_val key = {target_key(k, t->iss, t->idx), k}, v;
    MDB_cursor *cur;
    *id = 0;
    int rc = mdb_cursor_open(txn, r->watch_targets, &cur);
    if (rc != 0) return rc;
    for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_KEY); rc == 0;
         rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT_DUP)) {
        watch_record w;
        if (target_decode(&v, &w) != 0) continue;
        int rc2 = rec_get(r, txn, w.id, &w);
        if (rc2 == MDB_NOTFOUND) continue;
        if (rc2 != 0) {
            rc = rc2;
            break;
        }
        if (strcmp(w.key_id, key_id) == 0 && memcmp(w.cti_hash, hash, WATCH_HASH_LEN) == 0) {
            *id = w.id;
            break;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

static int count_add(replica *r, MDB_txn *txn, const char *key_id, int delta, uint64_t *now_n)
{
    uint8_t k[WATCH_KMAX];
    MDB_val key = {key_of(k, 'n', key_id, 0, 0), k}, v;
    uint64_t n = 0;
    int rc = mdb_get(txn, r->watches, &key, &v);
    if (rc == 0 && v.mv_size == 8)
        n = bytes_get_be64(v.mv_data);
    else if (rc != MDB_NOTFOUND)
        return rc ? rc : MDB_CORRUPTED;
    if (delta < 0 && n > 0) n--;
    if (delta > 0) n++;
    if (now_n) *now_n = n;
    if (delta == 0) return 0;
    uint8_t b[8];
    bytes_put_be64(b, n);
    MDB_val nv = {8, b};
    return mdb_put(txn, r->watches, &key, &nv, 0);
}

/* One target into txn: *out says what was done; the LMDB code that stopped it otherwise. */
static int add_one(replica *r, MDB_txn *txn, const char *key_id, const watch_target *t, int64_t now,
                   uint64_t max_per_key, watch_added *out)
{
    uint8_t hash[WATCH_HASH_LEN];
    uint64_t n = 0;
    memset(out, 0, sizeof *out);
    if (!t->iss || !replica_iss_ok(t->iss) || !t->cti) {
        out->err = API_ERR_ARG;
        return 0;
    }
    int rc = cti_hash(r, txn, t->cti, hash);
    if (rc == 0) rc = find_existing(r, txn, key_id, t, hash, &out->id);
    if (rc != 0 || out->id) return rc;
    rc = count_add(r, txn, key_id, 0, &n);
    if (rc != 0) return rc;
    if (n >= max_per_key) {
        out->err = API_ERR_FULL;
        return 0;
    }
    watch_record w;
    memset(&w, 0, sizeof w);
    rc = meta_next(r, txn, "next_id", &w.id);
    if (rc != 0) return rc;
    snprintf(w.key_id, sizeof w.key_id, "%s", key_id);
    snprintf(w.iss, sizeof w.iss, "%s", t->iss);
    w.idx = t->idx;
    memcpy(w.cti_hash, hash, WATCH_HASH_LEN);
    w.printed_end = t->printed_end;
    w.effective_end = t->effective_end > t->printed_end ? t->effective_end : t->printed_end;
    w.status = t->status;
    w.created_at = now;
    w.mark = w.effective_end;
    rc = due_put(r, txn, w.id, w.effective_end - r->watch_soon);
    if (rc == 0) rc = rec_put(r, txn, &w);
    if (rc == 0) {
        uint8_t k[WATCH_KMAX];
        rc = put_empty(txn, r->watches, k, key_of(k, 'k', key_id, 1, w.id));
    }
    if (rc == 0) rc = count_add(r, txn, key_id, 1, NULL);
    if (rc == 0) {
        uint8_t tk[REPLICA_KEY_MAX], tv[16 + WATCH_KEY_MAX];
        MDB_val key = {target_key(tk, t->iss, t->idx), tk}, v = {target_value(tv, &w), tv};
        rc = mdb_put(txn, r->watch_targets, &key, &v, 0);
    }
    if (rc == 0) {
        out->id = w.id;
        out->created = 1;
    }
    return rc;
}

api_err watch_add(replica *r, const char *key_id, const watch_target *t, size_t n, int64_t now,
                  uint64_t max_per_key, watch_added *out)
{
    if (!watch_key_ok(key_id) || (n && (!t || !out))) return API_ERR_ARG;
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, 0, &txn);
    if (rc != 0) return replica_db_err(rc);
    for (size_t i = 0; rc == 0 && i < n; i++) rc = add_one(r, txn, key_id, &t[i], now, max_per_key, &out[i]);
    api_err e = txn_end(txn, rc);
    if (e != API_OK)
        for (size_t i = 0; i < n; i++) memset(&out[i], 0, sizeof out[i]);
    return e == API_ERR_FULL ? API_ERR_TOO_LARGE : e;
}

api_err watch_get(replica *r, const char *key_id, uint64_t id, watch_record *out)
{
    if (!watch_key_ok(key_id)) return API_ERR_ARG;
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) return replica_db_err(rc);
    rc = rec_get(r, txn, id, out);
    if (rc == 0) rc = rec_current(r, txn, out);
    mdb_txn_abort(txn);
    if (rc == MDB_NOTFOUND || (rc == 0 && strcmp(out->key_id, key_id) != 0)) return API_ERR_NOT_FOUND;
    return replica_db_err(rc);
}

/* Deletes watch w and every index entry of it. */
static int rec_drop(replica *r, MDB_txn *txn, const watch_record *w)
{
    uint8_t k[WATCH_KMAX > REPLICA_KEY_MAX ? WATCH_KMAX : REPLICA_KEY_MAX];
    int rc = del_one(txn, r->watches, k, key_w(k, w->id), NULL);
    if (rc == 0) rc = del_one(txn, r->watches, k, key_of(k, 'k', w->key_id, 1, w->id), NULL);
    if (rc == 0) {
        uint8_t tv[16 + WATCH_KEY_MAX];
        MDB_val v = {target_value(tv, w), tv};
        rc = del_one(txn, r->watch_targets, k, target_key(k, w->iss, w->idx), &v);
    }
    if (rc == 0) rc = count_add(r, txn, w->key_id, -1, NULL);
    return rc;
}

api_err watch_delete(replica *r, const char *key_id, uint64_t id)
{
    if (!watch_key_ok(key_id)) return API_ERR_ARG;
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, 0, &txn);
    if (rc != 0) return replica_db_err(rc);
    watch_record w;
    rc = rec_get(r, txn, id, &w);
    if (rc == 0 && strcmp(w.key_id, key_id) != 0) rc = MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return API_ERR_NOT_FOUND;
    }
    if (rc == 0) rc = rec_drop(r, txn, &w);
    return txn_end(txn, rc);
}

api_err watch_list(replica *r, const char *key_id, uint64_t after, watch_record *out, size_t cap, size_t *n,
                   int *more)
{
    *n = 0;
    *more = 0;
    if (!watch_key_ok(key_id) || after == UINT64_MAX) return API_ERR_ARG;
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) return replica_db_err(rc);
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, r->watches, &cur);
    if (rc == 0) {
        uint8_t k[WATCH_KMAX];
        size_t plen = key_of(k, 'k', key_id, 0, 0);
        MDB_val key = {key_of(k, 'k', key_id, 1, after + 1), k}, v;
        for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
             rc == 0 && replica_key_has_prefix(&key, k, plen) && key.mv_size == plen + 8;
             rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
            if (*n == cap) {
                *more = 1;
                break;
            }
            uint64_t id = bytes_get_be64((const uint8_t *)key.mv_data + plen);
            rc = rec_get(r, txn, id, &out[*n]);
            if (rc == 0) rc = rec_current(r, txn, &out[*n]);
            if (rc != 0) break;
            (*n)++;
        }
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    return replica_db_err(rc == MDB_NOTFOUND ? 0 : rc);
}

api_err watch_count(replica *r, const char *key_id, uint64_t *n)
{
    *n = 0;
    if (!watch_key_ok(key_id)) return API_ERR_ARG;
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) return replica_db_err(rc);
    rc = count_add(r, txn, key_id, 0, n);
    mdb_txn_abort(txn);
    return replica_db_err(rc);
}

api_err watch_changes(replica *r, const char *key_id, uint64_t since, watch_change *out, size_t cap,
                      size_t *n, uint64_t *cursor)
{
    *n = 0;
    *cursor = since;
    if (!watch_key_ok(key_id) || since == UINT64_MAX) return API_ERR_ARG;
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) return replica_db_err(rc);
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn, r->watches, &cur);
    if (rc == 0) {
        uint8_t k[WATCH_KMAX];
        size_t plen = key_of(k, 'c', key_id, 0, 0);
        MDB_val key = {key_of(k, 'c', key_id, 1, since + 1), k}, v;
        for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
             rc == 0 && *n < cap && replica_key_has_prefix(&key, k, plen) && key.mv_size == plen + 8;
             rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
            if (v.mv_size != WATCH_CHANGE_LEN) {
                rc = MDB_CORRUPTED;
                break;
            }
            const uint8_t *p = v.mv_data;
            watch_change *c = &out[(*n)++];
            c->seq = bytes_get_be64((const uint8_t *)key.mv_data + plen);
            c->watch_id = bytes_get_be64(p + WATCH_CHANGE_ID);
            c->kind =
                p[WATCH_CHANGE_KIND] < WATCH_KIND_COUNT ? (watch_kind)p[WATCH_CHANGE_KIND] : WATCH_ENDED;
            c->effective_until = bytes_get_be64s(p + WATCH_CHANGE_UNTIL);
            c->learned_at = bytes_get_be64s(p + WATCH_CHANGE_LEARNED);
            *cursor = c->seq;
        }
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    return replica_db_err(rc == MDB_NOTFOUND ? 0 : rc);
}

/* Deletes key_id's changes learned before `before` (they are in seq order, so learned order). */
static int changes_purge(replica *r, MDB_txn *txn, const char *key_id, int64_t before)
{
    uint8_t k[WATCH_KMAX];
    size_t plen = key_of(k, 'c', key_id, 0, 0);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, r->watches, &cur);
    if (rc != 0) return rc;
    for (;;) {
        MDB_val key = {plen, k}, v;
        rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
        if (rc != 0 || !replica_key_has_prefix(&key, k, plen) || v.mv_size != WATCH_CHANGE_LEN ||
            bytes_get_be64s((const uint8_t *)v.mv_data + WATCH_CHANGE_LEARNED) >= before)
            break;
        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * What watch_tick does for watch w at now, from the status held: a final
 * status noted (then the purge 90 days later); ending_soon, ended, told
 * once each for the effective end held (an extension arms them again);
 * the purge 90 days after the end. *next gets when to look again (0: w
 * was dropped).
 */
static int tick_watch(replica *r, MDB_txn *txn, watch_record *w, int64_t now, size_t *told, int64_t *next)
{
    const int64_t keep = (int64_t)WATCH_RETENTION_DAYS * WATCH_DAY;
    unsigned flags0 = w->flags;
    int64_t mark0 = w->mark;
    int rc = rec_current(r, txn, w);
    if (rc != 0) return rc;
    *next = 0;
    if (status_final(w->status) && !(w->flags & WATCH_FINAL)) {
        w->flags |= WATCH_FINAL;
        w->mark = now;
    }
    if (w->flags & WATCH_FINAL) {
        if (now >= w->mark + keep) return rec_drop(r, txn, w);
        *next = w->mark + keep;
    } else {
        if (w->mark != w->effective_end) { /* extended since: armed again */
            w->flags &= ~(WATCH_SOON_SENT | WATCH_ENDED_SENT);
            w->mark = w->effective_end;
        }
        int64_t end = w->effective_end;
        if (!(w->flags & WATCH_ENDED_SENT) && now > end) {
            rc = change_put(r, txn, NULL, w, WATCH_ENDED, end, now);
            w->flags |= WATCH_SOON_SENT | WATCH_ENDED_SENT;
            if (told) (*told)++;
        } else if (!(w->flags & WATCH_SOON_SENT) && now >= end - r->watch_soon) {
            rc = change_put(r, txn, NULL, w, WATCH_ENDING_SOON, end, now);
            w->flags |= WATCH_SOON_SENT;
            if (told) (*told)++;
        }
        if (rc != 0) return rc;
        if (w->flags & WATCH_ENDED_SENT) {
            if (now >= end + keep) return rec_drop(r, txn, w);
            *next = end + keep;
        } else {
            *next = (w->flags & WATCH_SOON_SENT) ? end + 1 : end - r->watch_soon;
        }
    }
    if (w->flags != flags0 || w->mark != mark0) rc = rec_put(r, txn, w);
    return rc;
}

/* One transaction of a tick: at most WATCH_TICK_BATCH due entries; *done when none is left. */
static int tick_batch(replica *r, MDB_txn *txn, int64_t now, size_t *told, int *done)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, r->watches, &cur);
    if (rc != 0) return rc;
    *done = 0;
    for (size_t i = 0; i < WATCH_TICK_BATCH; i++) {
        uint8_t d[1] = {'d'};
        MDB_val key = {1, d}, v;
        rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
        if (rc == MDB_NOTFOUND || (rc == 0 && (key.mv_size != 17 || ((uint8_t *)key.mv_data)[0] != 'd'))) {
            rc = 0;
            *done = 1;
            break;
        }
        if (rc != 0) break;
        int64_t due = due_of_key(key.mv_data);
        uint64_t id = bytes_get_be64((const uint8_t *)key.mv_data + 9);
        if (due > now) {
            *done = 1;
            break;
        }
        rc = mdb_cursor_del(cur, 0); /* this entry is done: the watch gets its next one below */
        if (rc != 0) break;
        watch_record w;
        rc = rec_get(r, txn, id, &w);
        if (rc == MDB_NOTFOUND) { /* a watch stopped or purged: its entry is dropped */
            rc = 0;
            continue;
        }
        int64_t next = 0;
        if (rc == 0) rc = tick_watch(r, txn, &w, now, told, &next);
        if (rc == 0 && next != 0) rc = due_put(r, txn, id, next > now ? next : now + 1);
        if (rc != 0) break;
    }
    mdb_cursor_close(cur);
    return rc;
}

/* Every key's changes learned before `before` (the keys are those of the 'n' counts). */
static int changes_purge_all(replica *r, MDB_txn *txn, int64_t before)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, r->watches, &cur);
    if (rc != 0) return rc;
    uint8_t from[WATCH_KMAX] = {'n'};
    size_t flen = 1;
    for (;;) {
        MDB_val key = {flen, from}, v;
        rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
        if (rc != 0 || ((const uint8_t *)key.mv_data)[0] != 'n' || key.mv_size < 3 ||
            key.mv_size > WATCH_KEY_MAX + 2) {
            rc = rc == MDB_NOTFOUND ? 0 : rc;
            break;
        }
        char key_id[WATCH_KEY_MAX + 1];
        memcpy(key_id, (const uint8_t *)key.mv_data + 1, key.mv_size - 2);
        key_id[key.mv_size - 2] = 0;
        /* the next count after this one: this key and a byte past its terminating zero */
        memcpy(from, key.mv_data, key.mv_size);
        from[key.mv_size] = 0;
        flen = key.mv_size + 1;
        rc = changes_purge(r, txn, key_id, before);
        if (rc != 0) break;
    }
    mdb_cursor_close(cur);
    return rc;
}

api_err watch_tick(replica *r, int64_t now, size_t *told)
{
    if (told) *told = 0;
    for (;;) {
        MDB_txn *txn;
        int rc = mdb_txn_begin(r->env, NULL, 0, &txn);
        if (rc != 0) return replica_db_err(rc);
        int done = 0;
        rc = tick_batch(r, txn, now, told, &done);
        if (rc == 0 && done) rc = changes_purge_all(r, txn, now - (int64_t)WATCH_RETENTION_DAYS * WATCH_DAY);
        api_err e = txn_end(txn, rc);
        if (e != API_OK || done) return e;
    }
}
