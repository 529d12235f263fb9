/*
 * registry.c: LMDB storage of the issuer's registry.
 *
 * Databases (integers big-endian, so keys sort by value):
 *   meta      "index_counter", "event_seq", "published_seq" (u64),
 *             "head" (32 bytes), "checkpoint", "snapshot" (signed bytes)
 *   att       cti (12 bytes) -> entry record (REGISTRY_RECORD_LEN bytes:
 *             version, idx, iat, nbf, exp, status, extended_until,
 *             reason, changed_at)
 *   idx       status index (u32) -> cti
 *   events    seq (u64) -> idx (u32), kind (u8), value (i64), time (i64)
 *   segments  first seq (u64) -> last seq (u64) + the signed segment
 *   recovered status index (u32) -> status (u8), extended_until (i64):
 *             what a restore learned from the published feed about
 *             attestations issued after the backup (no id known here);
 *             they enter every snapshot like the others
 * Records have a fixed layout with a version byte, so any tool can read
 * them and a later version can extend them. Every LMDB return code is
 * checked; a write is one transaction, so a crash leaves all or nothing.
 * A status change and its event are written together; a feed cut writes
 * its segments, chain head, snapshot and checkpoint together.
 */
#include "issuer/registry.h"

#include <errno.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/fs.h"
#include "qr/status.h"

#define REGISTRY_RECORD_VERSION 1
#define REGISTRY_RECORD_LEN     47
#define REGISTRY_EVENT_LEN      21

struct registry {
    MDB_env *env;
    MDB_dbi meta;
    MDB_dbi att;
    MDB_dbi idx;
    MDB_dbi events;
    MDB_dbi segments;
    MDB_dbi recovered;
};

static void registry_pack(uint8_t rec[REGISTRY_RECORD_LEN], const registry_entry *e)
{
    rec[0] = REGISTRY_RECORD_VERSION;
    bytes_put_be32(rec + 1, e->idx);
    bytes_put_be64s(rec + 5, e->iat);
    bytes_put_be64s(rec + 13, e->nbf);
    bytes_put_be64s(rec + 21, e->exp);
    rec[29] = (uint8_t)e->status;
    bytes_put_be64s(rec + 30, e->extended_until);
    rec[38] = (uint8_t)e->reason;
    bytes_put_be64s(rec + 39, e->changed_at);
}

static int registry_unpack(registry_entry *e, const MDB_val *v)
{
    const uint8_t *rec = v->mv_data;
    if (v->mv_size < REGISTRY_RECORD_LEN || rec[0] != REGISTRY_RECORD_VERSION) return -1;
    e->idx = bytes_get_be32(rec + 1);
    e->iat = bytes_get_be64s(rec + 5);
    e->nbf = bytes_get_be64s(rec + 13);
    e->exp = bytes_get_be64s(rec + 21);
    e->status = rec[29];
    e->extended_until = bytes_get_be64s(rec + 30);
    e->reason = rec[38];
    e->changed_at = bytes_get_be64s(rec + 39);
    return 0;
}

int64_t registry_effective_exp(const registry_entry *e)
{
    return e->extended_until > e->exp ? e->extended_until : e->exp;
}

api_err registry_open(registry **out, const char *dir)
{
    *out = NULL;
    char path[4096];
    if (fs_join(path, sizeof path, dir, "registry") != 0) return API_ERR_ARG;
    api_err e = fs_mkdirs(path, 0700);
    if (e != API_OK) return e;
    registry *reg = calloc(1, sizeof *reg);
    if (!reg) return API_ERR_NOMEM;
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&reg->env);
    if (rc == 0) rc = mdb_env_set_maxdbs(reg->env, 8);
    if (rc == 0) rc = mdb_env_set_mapsize(reg->env, (size_t)REGISTRY_MAP_SIZE);
    if (rc == 0) rc = mdb_env_open(reg->env, path, MDB_NOTLS, 0600);
    if (rc == 0) {
        int dead = 0;
        rc = mdb_reader_check(reg->env, &dead);
    }
    if (rc == 0) rc = mdb_txn_begin(reg->env, NULL, 0, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &reg->meta);
    if (rc == 0) rc = mdb_dbi_open(txn, "att", MDB_CREATE, &reg->att);
    if (rc == 0) rc = mdb_dbi_open(txn, "idx", MDB_CREATE, &reg->idx);
    if (rc == 0) rc = mdb_dbi_open(txn, "events", MDB_CREATE, &reg->events);
    if (rc == 0) rc = mdb_dbi_open(txn, "segments", MDB_CREATE, &reg->segments);
    if (rc == 0) rc = mdb_dbi_open(txn, "recovered", MDB_CREATE, &reg->recovered);
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn) mdb_txn_abort(txn);
    if (rc != 0) {
        fprintf(stderr, "registry: %s\n", mdb_strerror(rc));
        registry_close(reg);
        return API_ERR_DB;
    }
    *out = reg;
    return API_OK;
}

void registry_close(registry *reg)
{
    if (!reg) return;
    if (reg->env) mdb_env_close(reg->env);
    free(reg);
}

/* Clears stale reader slots left by killed processes (mdb_reader_check). */
static void registry_reader_check(registry *reg)
{
    int dead = 0;
    mdb_reader_check(reg->env, &dead);
}

static int registry_get_counter(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t *value)
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) {
        *value = 0;
        return 0;
    }
    if (rc != 0) return rc;
    if (v.mv_size != 8) return MDB_CORRUPTED;
    *value = bytes_get_be64(v.mv_data);
    return 0;
}

static int registry_put_counter(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t value)
{
    uint8_t buf[8];
    bytes_put_be64(buf, value);
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v = {sizeof buf, buf};
    return mdb_put(txn, dbi, &k, &v, 0);
}

/* Stores one entry with a fresh cti and the next index. */
static int registry_allocate_one(registry *reg, MDB_txn *txn, const uint8_t seed[IDXPERM_SEED_LEN],
                                 uint64_t *counter, registry_entry *e)
{
    /* An index the registry already holds (an attestation given back by registry_adopt) or one a
     * restore kept without its id is skipped: an index is never given twice. */
    uint8_t idxkey[4];
    MDB_val ik = {sizeof idxkey, idxkey}, k = {CLAIMS_CTI_LEN, e->cti}, v;
    int rc;
    do {
        if (*counter >= IDXPERM_SIZE) return MDB_MAP_FULL;
        e->idx = idxperm_map(seed, (uint32_t)(*counter)++);
        bytes_put_be32(idxkey, e->idx);
        rc = mdb_get(txn, reg->idx, &ik, &v);
        if (rc == MDB_NOTFOUND) rc = mdb_get(txn, reg->recovered, &ik, &v);
        if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    } while (rc == 0);
    e->status = 0;
    e->extended_until = 0;
    e->reason = REGISTRY_REASON_NONE;
    e->changed_at = 0;
    for (int tries = 0;; tries++) {
        randombytes_buf(e->cti, CLAIMS_CTI_LEN);
        rc = mdb_get(txn, reg->att, &k, &v);
        if (rc == MDB_NOTFOUND) break;
        if (rc != 0) return rc;
        if (tries > 8) return MDB_KEYEXIST; /* 96 random bits: never in practice */
    }
    uint8_t rec[REGISTRY_RECORD_LEN];
    registry_pack(rec, e);
    v.mv_size = sizeof rec;
    v.mv_data = rec;
    rc = mdb_put(txn, reg->att, &k, &v, MDB_NOOVERWRITE);
    if (rc != 0) return rc;
    MDB_val cv = {CLAIMS_CTI_LEN, e->cti};
    return mdb_put(txn, reg->idx, &ik, &cv, MDB_NOOVERWRITE);
}

/* Reads the entry of cti in txn: 0, MDB_NOTFOUND or another LMDB code. */
static int registry_read(registry *reg, MDB_txn *txn, const uint8_t cti[CLAIMS_CTI_LEN], registry_entry *out)
{
    MDB_val k = {CLAIMS_CTI_LEN, (void *)(uintptr_t)cti}, v;
    int rc = mdb_get(txn, reg->att, &k, &v);
    if (rc != 0) return rc;
    if (registry_unpack(out, &v) != 0) return MDB_CORRUPTED;
    memcpy(out->cti, cti, CLAIMS_CTI_LEN);
    return 0;
}

static int registry_write(registry *reg, MDB_txn *txn, const registry_entry *e)
{
    uint8_t rec[REGISTRY_RECORD_LEN];
    registry_pack(rec, e);
    MDB_val k = {CLAIMS_CTI_LEN, (void *)(uintptr_t)e->cti}, v = {sizeof rec, rec};
    return mdb_put(txn, reg->att, &k, &v, 0);
}

/* Appends one event to the log, with the next sequence number. */
static int registry_append_event(registry *reg, MDB_txn *txn, uint32_t idx, unsigned kind, int64_t value,
                                 int64_t time)
{
    uint64_t seq;
    int rc = registry_get_counter(txn, reg->meta, "event_seq", &seq);
    if (rc != 0) return rc;
    seq++;
    uint8_t key[8], val[REGISTRY_EVENT_LEN];
    bytes_put_be64(key, seq);
    bytes_put_be32(val, idx);
    val[4] = (uint8_t)kind;
    bytes_put_be64s(val + 5, value);
    bytes_put_be64s(val + 13, time);
    MDB_val k = {sizeof key, key}, v = {sizeof val, val};
    rc = mdb_put(txn, reg->events, &k, &v, MDB_NOOVERWRITE | MDB_APPEND);
    if (rc == 0) rc = registry_put_counter(txn, reg->meta, "event_seq", seq);
    return rc;
}

/* The status change itself, inside a write transaction. */
static int registry_change(registry *reg, MDB_txn *txn, registry_entry *e, unsigned status, unsigned reason,
                           int64_t now)
{
    e->status = status;
    e->reason = reason;
    e->changed_at = now;
    int rc = registry_write(reg, txn, e);
    if (rc == 0) rc = registry_append_event(reg, txn, e->idx, FEED_EVENT_STATUS, status, now);
    return rc;
}

/* Commits txn, or aborts it; the api_err of rc (0 = API_OK). */
static api_err registry_finish(MDB_txn *txn, int rc)
{
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc == 0) return API_OK;
    if (rc == MDB_NOTFOUND) return API_ERR_NOT_FOUND;
    if (rc == MDB_MAP_FULL) return API_ERR_FULL;
    if (rc == ENOSPC || rc == EFBIG || rc == EDQUOT)
        fprintf(stderr, "registry: the disk is full (%s): nothing of this change was written\n",
                mdb_strerror(rc));
    else if (rc == EIO) /* LMDB's word for a write cut short, as on a disk that filled during it */
        fprintf(stderr, "registry: the disk could not take the write (full, or failing): nothing of this "
                        "change was written\n");
    else
        fprintf(stderr, "registry: %s\n", mdb_strerror(rc));
    return API_ERR_DB;
}

static void registry_say(char *err, size_t cap, const char *msg)
{
    if (err && cap) snprintf(err, cap, "%s", msg);
}

api_err registry_allocate(registry *reg, const uint8_t seed[IDXPERM_SEED_LEN], registry_entry *entries,
                          size_t n, const uint8_t *replaces, char *err, size_t errcap)
{
    if (replaces && n != 1) return API_ERR_ARG;
    MDB_txn *txn;
    int rc = mdb_txn_begin(reg->env, NULL, 0, &txn);
    if (rc != 0) return API_ERR_DB;
    if (replaces) {
        registry_entry old;
        rc = registry_read(reg, txn, replaces, &old);
        if (rc == MDB_NOTFOUND) {
            registry_say(err, errcap, "--replaces: no attestation with that id in this registry");
            mdb_txn_abort(txn);
            return API_ERR_NOT_FOUND;
        }
        const char *why = rc == 0 ? status_transition_error(old.status, STATUS_SUPERSEDED) : NULL;
        if (why) {
            registry_say(err, errcap, why);
            mdb_txn_abort(txn);
            return API_ERR_FORBIDDEN;
        }
        if (rc == 0)
            rc = registry_change(reg, txn, &old, STATUS_SUPERSEDED, REGISTRY_REASON_REPLACED, entries[0].iat);
    }
    uint64_t counter;
    if (rc == 0) rc = registry_get_counter(txn, reg->meta, "index_counter", &counter);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = registry_allocate_one(reg, txn, seed, &counter, &entries[i]);
    if (rc == 0) rc = registry_put_counter(txn, reg->meta, "index_counter", counter);
    return registry_finish(txn, rc);
}

api_err registry_adopt(registry *reg, const registry_entry *in, int64_t now, registry_adoption *how,
                       char *err, size_t errcap)
{
    *how = REGISTRY_ADOPT_NEW;
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, 0, &txn) != 0) return API_ERR_DB;
    registry_entry e;
    int rc = registry_read(reg, txn, in->cti, &e);
    if (rc == 0) {
        mdb_txn_abort(txn);
        if (e.idx != in->idx) {
            registry_say(err, errcap, "the registry holds this id with another status index");
            return API_ERR_EXISTS;
        }
        *how = REGISTRY_ADOPT_ALREADY;
        return API_OK;
    }
    if (rc != MDB_NOTFOUND) return registry_finish(txn, rc);
    uint8_t idxkey[4];
    bytes_put_be32(idxkey, in->idx);
    MDB_val ik = {sizeof idxkey, idxkey}, v;
    rc = mdb_get(txn, reg->idx, &ik, &v);
    if (rc == 0) {
        mdb_txn_abort(txn);
        registry_say(err, errcap, "its status index belongs to another attestation of this registry");
        return API_ERR_EXISTS;
    }
    if (rc != MDB_NOTFOUND) return registry_finish(txn, rc);
    e = *in;
    e.status = 0;
    e.extended_until = 0;
    e.reason = REGISTRY_REASON_NONE;
    e.changed_at = 0;
    rc = mdb_get(txn, reg->recovered, &ik, &v);
    if (rc == 0) { /* what the published feed said of it: kept, and no longer an index without an id */
        if (v.mv_size != 9) return registry_finish(txn, MDB_CORRUPTED);
        const uint8_t *p = v.mv_data;
        e.status = p[0] & 3u;
        e.extended_until = bytes_get_be64s(p + 1);
        e.changed_at = now;
        *how = REGISTRY_ADOPT_RECOVERED;
        rc = mdb_del(txn, reg->recovered, &ik, NULL);
    } else if (rc == MDB_NOTFOUND) {
        rc = 0;
    }
    uint8_t rec[REGISTRY_RECORD_LEN];
    registry_pack(rec, &e);
    MDB_val k = {CLAIMS_CTI_LEN, e.cti}, rv = {sizeof rec, rec}, cv = {CLAIMS_CTI_LEN, e.cti};
    if (rc == 0) rc = mdb_put(txn, reg->att, &k, &rv, MDB_NOOVERWRITE);
    if (rc == 0) rc = mdb_put(txn, reg->idx, &ik, &cv, MDB_NOOVERWRITE);
    return registry_finish(txn, rc);
}

api_err registry_set_status(registry *reg, const uint8_t cti[CLAIMS_CTI_LEN], unsigned status,
                            unsigned reason, int64_t now, char *err, size_t errcap)
{
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, 0, &txn) != 0) return API_ERR_DB;
    registry_entry e;
    int rc = registry_read(reg, txn, cti, &e);
    if (rc == 0) {
        const char *why = status_transition_error(e.status, status);
        if (why) {
            registry_say(err, errcap, why);
            mdb_txn_abort(txn);
            return API_ERR_FORBIDDEN;
        }
        rc = registry_change(reg, txn, &e, status, reason, now);
    }
    if (rc == MDB_NOTFOUND) registry_say(err, errcap, "no attestation with that id in this registry");
    return registry_finish(txn, rc);
}

/* The latest end of validity an extension of e may give (three months after its effective end). */
static int64_t registry_extension_limit(const registry_entry *e)
{
    char ymd[11];
    int y, m, d;
    time_paris_date(ymd, registry_effective_exp(e));
    if (time_parse_date(&y, &m, &d, ymd) != 0 || time_date_add_months(&y, &m, &d, 3) != 0) return 0;
    return time_paris_end_of_day(y, m, d);
}

/* Checks and applies one extension inside a write transaction; why it is refused in *why. */
static int registry_extend_one(registry *reg, MDB_txn *txn, registry_entry *e, int64_t new_exp, int64_t now,
                               const char **why)
{
    *why = NULL;
    if (!status_extendable(e->status))
        *why = "only valid or suspended attestations can be extended";
    else if (new_exp <= registry_effective_exp(e))
        *why = "an extension must end later than the current end";
    else if (new_exp > registry_extension_limit(e))
        *why = "an extension is at most three months after the current end";
    if (*why) return 0;
    e->extended_until = new_exp;
    e->changed_at = now;
    int rc = registry_write(reg, txn, e);
    if (rc == 0) rc = registry_append_event(reg, txn, e->idx, FEED_EVENT_EXTENSION, new_exp, now);
    return rc;
}

api_err registry_extend(registry *reg, const uint8_t cti[CLAIMS_CTI_LEN], int64_t new_exp, int64_t now,
                        char *err, size_t errcap)
{
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, 0, &txn) != 0) return API_ERR_DB;
    registry_entry e;
    const char *why = NULL;
    int rc = registry_read(reg, txn, cti, &e);
    if (rc == 0) rc = registry_extend_one(reg, txn, &e, new_exp, now, &why);
    if (rc == MDB_NOTFOUND) registry_say(err, errcap, "no attestation with that id in this registry");
    if (why) {
        registry_say(err, errcap, why);
        mdb_txn_abort(txn);
        return API_ERR_FORBIDDEN;
    }
    return registry_finish(txn, rc);
}

/*
 * Calls fn for every attestation of txn, in id order, until fn returns
 * nonzero: 0, or an LMDB code (MDB_CORRUPTED for a record that does not
 * read). The caller began txn and ends it.
 */
static int registry_scan(registry *reg, MDB_txn *txn, registry_visit_fn fn, void *arg)
{
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, reg->att, &cur);
    MDB_val k, v;
    int op = MDB_FIRST;
    while (rc == 0 && (rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        registry_entry e;
        if (k.mv_size != CLAIMS_CTI_LEN || registry_unpack(&e, &v) != 0) {
            rc = MDB_CORRUPTED;
            break;
        }
        memcpy(e.cti, k.mv_data, CLAIMS_CTI_LEN);
        if (fn(arg, &e)) break;
    }
    if (rc == MDB_NOTFOUND) rc = 0;
    if (cur) mdb_cursor_close(cur); /* read-only transactions do not free their cursors */
    return rc;
}

/* The attestations due for renewal: extendable, their effective end within [floor, horizon]. */
typedef struct {
    int64_t floor, horizon;
    registry_entry *todo;
    size_t n, cap;
    int rc; /* ENOMEM when the list could not grow */
} registry_due;

static int registry_collect_due(void *arg, const registry_entry *e)
{
    registry_due *d = arg;
    int64_t end = registry_effective_exp(e);
    if (!status_extendable(e->status) || end > d->horizon || end < d->floor) return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        registry_entry *grown = realloc(d->todo, cap * sizeof *grown);
        if (!grown) {
            d->rc = ENOMEM;
            return 1;
        }
        d->todo = grown;
        d->cap = cap;
    }
    d->todo[d->n++] = *e;
    return 0;
}

api_err registry_renew_pending(registry *reg, int64_t now, time_duration within, time_duration by,
                               size_t *renewed, FILE *log)
{
    *renewed = 0;
    int64_t horizon = time_add_duration(now, within);
    int64_t floor = now - (horizon - now);
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, 0, &txn) != 0) return API_ERR_DB;
    /* Collect first, then write: writing through LMDB while iterating the same database is avoided. */
    registry_due due = {floor, horizon, NULL, 0, 0, 0};
    int rc = registry_scan(reg, txn, registry_collect_due, &due);
    if (rc == 0) rc = due.rc;
    registry_entry *todo = due.todo;
    size_t n = due.n;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        registry_entry *e = &todo[i];
        int64_t target = time_add_duration(registry_effective_exp(e), by);
        char ymd[11];
        int y, m, d;
        time_paris_date(ymd, target);
        if (time_parse_date(&y, &m, &d, ymd) != 0) continue;
        int64_t new_exp = time_paris_end_of_day(y, m, d);
        int64_t limit = registry_extension_limit(e);
        if (new_exp > limit) new_exp = limit; /* never more than three months at once */
        const char *why;
        rc = registry_extend_one(reg, txn, e, new_exp, now, &why);
        if (rc == 0 && !why) {
            (*renewed)++;
            if (log) {
                char id[2 * CLAIMS_CTI_LEN + 1];
                claims_cti_hex(id, e->cti);
                time_paris_date(ymd, new_exp);
                fprintf(log, "%s  extended until %s\n", id, ymd);
            }
        }
    }
    free(todo);
    if (rc == ENOMEM) {
        mdb_txn_abort(txn);
        return API_ERR_NOMEM;
    }
    return registry_finish(txn, rc);
}

api_err registry_foreach(registry *reg, registry_visit_fn fn, void *arg)
{
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    int rc = registry_scan(reg, txn, fn, arg);
    mdb_txn_abort(txn);
    return rc == 0 ? API_OK : API_ERR_DB;
}

api_err registry_foreach_after(registry *reg, const uint8_t *after, registry_visit_fn fn, void *arg)
{
    if (!after) return registry_foreach(reg, fn, arg);
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, reg->att, &cur);
    MDB_val k = {CLAIMS_CTI_LEN, (void *)(uintptr_t)after}, v;
    int op = MDB_SET_RANGE;
    while (rc == 0 && (rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        registry_entry e;
        if (k.mv_size != CLAIMS_CTI_LEN || registry_unpack(&e, &v) != 0) {
            rc = MDB_CORRUPTED;
            break;
        }
        memcpy(e.cti, k.mv_data, CLAIMS_CTI_LEN);
        if (!memcmp(e.cti, after, CLAIMS_CTI_LEN)) continue; /* strictly after */
        if (fn(arg, &e)) break;
    }
    if (rc == MDB_NOTFOUND) rc = 0;
    if (cur) mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return rc == 0 ? API_OK : API_ERR_DB;
}

api_err registry_get(registry *reg, const uint8_t cti[CLAIMS_CTI_LEN], registry_entry *out)
{
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    int rc = registry_read(reg, txn, cti, out);
    mdb_txn_abort(txn);
    if (rc == MDB_NOTFOUND) return API_ERR_NOT_FOUND;
    return rc == 0 ? API_OK : API_ERR_DB;
}

api_err registry_history(registry *reg, uint32_t idx, registry_event_fn fn, void *arg)
{
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, reg->events, &cur);
    MDB_val k, v;
    int op = MDB_FIRST;
    while (rc == 0 && (rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        if (k.mv_size != 8 || v.mv_size != REGISTRY_EVENT_LEN) {
            rc = MDB_CORRUPTED;
            break;
        }
        const uint8_t *p = v.mv_data;
        if (bytes_get_be32(p) != idx) continue;
        feed_event ev = {.seq = bytes_get_be64(k.mv_data),
                         .idx = idx,
                         .kind = p[4],
                         .value = bytes_get_be64s(p + 5),
                         .time = bytes_get_be64s(p + 13)};
        if (fn(arg, &ev)) break;
    }
    if (rc == MDB_NOTFOUND) rc = 0;
    if (cur) mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return rc == 0 ? API_OK : API_ERR_DB;
}

api_err registry_count(registry *reg, uint64_t *count)
{
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    MDB_stat st;
    int rc = mdb_stat(txn, reg->att, &st);
    mdb_txn_abort(txn);
    if (rc != 0) return API_ERR_DB;
    *count = st.ms_entries;
    return API_OK;
}

/* ---- the published feed ---- */

static int registry_get_blob(MDB_txn *txn, MDB_dbi dbi, const char *name, MDB_val *out)
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name};
    return mdb_get(txn, dbi, &k, out);
}

static int registry_put_blob(MDB_txn *txn, MDB_dbi dbi, const char *name, const void *data, size_t len)
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name}, v = {len, (void *)(uintptr_t)data};
    return mdb_put(txn, dbi, &k, &v, 0);
}

api_err registry_feed_counts(registry *reg, uint64_t *last_event, uint64_t *published)
{
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    int rc = registry_get_counter(txn, reg->meta, "event_seq", last_event);
    if (rc == 0) rc = registry_get_counter(txn, reg->meta, "published_seq", published);
    mdb_txn_abort(txn);
    return rc == 0 ? API_OK : API_ERR_DB;
}

/* Reads events first..last into s (which must hold room for them). */
static int registry_read_events(registry *reg, MDB_txn *txn, uint64_t first, uint64_t last, feed_segment *s)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, reg->events, &cur);
    if (rc != 0) return rc;
    uint8_t key[8];
    bytes_put_be64(key, first);
    MDB_val k = {sizeof key, key}, v;
    s->n = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint64_t seq = bytes_get_be64(k.mv_data);
        if (seq > last) break;
        if (k.mv_size != 8 || v.mv_size != REGISTRY_EVENT_LEN || seq != first + s->n) {
            rc = MDB_CORRUPTED;
            break;
        }
        const uint8_t *p = v.mv_data;
        feed_event *ev = &s->events[s->n++];
        ev->seq = seq;
        ev->idx = bytes_get_be32(p);
        ev->kind = p[4];
        ev->value = bytes_get_be64s(p + 5);
        ev->time = bytes_get_be64s(p + 13);
        if (seq == last) break;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) rc = 0;
    if (rc == 0 && s->n != last - first + 1) rc = MDB_CORRUPTED;
    return rc;
}

static int registry_ext_cmp(const void *a, const void *b)
{
    const feed_extension *x = a, *y = b;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The snapshot being built from the registry's entries, and the first failure (ENOMEM, MDB_CORRUPTED). */
typedef struct {
    feed_snapshot *snap;
    size_t cap;
    int rc;
} registry_snap;

static int registry_snap_add(void *arg, const registry_entry *e)
{
    registry_snap *b = arg;
    feed_snapshot *snap = b->snap;
    if (e->idx >= FEED_LIST_SIZE) {
        b->rc = MDB_CORRUPTED;
        return 1;
    }
    if (e->status) feed_bits_set(snap->bits, e->idx, e->status);
    /* Extensions of revoked or superseded attestations change no verdict: left out, so the table
       holds the live ones only. */
    if (e->extended_until > 0 && status_extendable(e->status)) {
        if (snap->n_ext == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 256;
            feed_extension *grown = realloc(snap->ext, cap * sizeof *grown);
            if (!grown) {
                b->rc = ENOMEM;
                return 1;
            }
            snap->ext = grown;
            b->cap = cap;
        }
        snap->ext[snap->n_ext].idx = e->idx;
        snap->ext[snap->n_ext++].until = e->extended_until;
    }
    return 0;
}

/*
 * Calls fn for every entry of the recovered database, as an entry without
 * an id; 0 or an LMDB code.
 */
static int registry_scan_recovered(registry *reg, MDB_txn *txn, registry_visit_fn fn, void *arg)
{
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, reg->recovered, &cur);
    MDB_val k, v;
    int op = MDB_FIRST;
    while (rc == 0 && (rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        if (k.mv_size != 4 || v.mv_size != 9) {
            rc = MDB_CORRUPTED;
            break;
        }
        registry_entry e;
        memset(&e, 0, sizeof e);
        e.idx = bytes_get_be32(k.mv_data);
        e.status = ((const uint8_t *)v.mv_data)[0];
        e.extended_until = bytes_get_be64s((const uint8_t *)v.mv_data + 1);
        if (fn(arg, &e)) break;
    }
    if (rc == MDB_NOTFOUND) rc = 0;
    if (cur) mdb_cursor_close(cur);
    return rc;
}

/* The whole status list and extension table, from the registry's entries. */
static int registry_build_snapshot(registry *reg, MDB_txn *txn, feed_snapshot *snap)
{
    snap->bits = calloc(1, FEED_LIST_BYTES);
    if (!snap->bits) return ENOMEM;
    registry_snap b = {snap, 0, 0};
    int rc = registry_scan(reg, txn, registry_snap_add, &b);
    if (rc == 0) rc = b.rc;
    if (rc == 0) rc = registry_scan_recovered(reg, txn, registry_snap_add, &b);
    if (rc == 0) rc = b.rc;
    /* Entries are in cti order; the format wants extensions by index. */
    if (rc == 0 && snap->n_ext > 1) qsort(snap->ext, snap->n_ext, sizeof *snap->ext, registry_ext_cmp);
    return rc;
}

/* Cuts the events published+1..last into segments; advances *published and head. */
static int registry_cut(registry *reg, MDB_txn *txn, const char *iss, uint64_t epoch, const api_signer *by,
                        uint64_t last, uint64_t *published, uint8_t head[FEED_HEAD_LEN], size_t *cut)
{
    feed_segment s;
    memset(&s, 0, sizeof s);
    snprintf(s.iss, sizeof s.iss, "%s", iss);
    s.epoch = epoch;
    s.events = malloc(FEED_SEGMENT_MAX_EVENTS * sizeof *s.events);
    if (!s.events) return ENOMEM;
    int rc = 0;
    while (rc == 0 && *published < last) {
        uint64_t first = *published + 1;
        uint64_t end =
            last - first + 1 > FEED_SEGMENT_MAX_EVENTS ? first + FEED_SEGMENT_MAX_EVENTS - 1 : last;
        s.first = first;
        rc = registry_read_events(reg, txn, first, end, &s);
        if (rc != 0) break;
        uint8_t *cose = NULL, next[FEED_HEAD_LEN];
        size_t cose_len;
        if (feed_segment_sign_with(&cose, &cose_len, next, &s, head, by) != API_OK) {
            rc = EINVAL;
            break;
        }
        uint8_t key[8];
        bytes_put_be64(key, first);
        MDB_val k = {sizeof key, key}, v = {8 + cose_len, NULL};
        rc = mdb_put(txn, reg->segments, &k, &v, MDB_RESERVE | MDB_NOOVERWRITE);
        if (rc == 0) {
            bytes_put_be64(v.mv_data, end);
            memcpy((uint8_t *)v.mv_data + 8, cose, cose_len);
            memcpy(head, next, FEED_HEAD_LEN);
            *published = end;
            (*cut)++;
        }
        free(cose);
    }
    free(s.events);
    return rc;
}

api_err registry_feed_publish(registry *reg, const char *iss, uint64_t epoch, const api_signer *by,
                              int64_t now, size_t *cut)
{
    *cut = 0;
    registry_reader_check(reg);
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, 0, &txn) != 0) return API_ERR_DB;
    uint64_t last = 0, published = 0;
    uint8_t head[FEED_HEAD_LEN] = {0};
    MDB_val hv, sv;
    int rc = registry_get_counter(txn, reg->meta, "event_seq", &last);
    if (rc == 0) rc = registry_get_counter(txn, reg->meta, "published_seq", &published);
    if (rc == 0) {
        rc = registry_get_blob(txn, reg->meta, "head", &hv);
        if (rc == 0 && hv.mv_size == FEED_HEAD_LEN)
            memcpy(head, hv.mv_data, FEED_HEAD_LEN);
        else if (rc == 0)
            rc = MDB_CORRUPTED;
        else if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    if (rc == 0) rc = registry_cut(reg, txn, iss, epoch, by, last, &published, head, cut);
    feed_checkpoint at;
    memset(&at, 0, sizeof at);
    snprintf(at.iss, sizeof at.iss, "%s", iss);
    at.epoch = epoch;
    at.seq = published;
    memcpy(at.head, head, FEED_HEAD_LEN);
    at.signed_at = now;
    int need_snapshot = *cut > 0;
    if (rc == 0 && !need_snapshot) {
        rc = registry_get_blob(txn, reg->meta, "snapshot", &sv);
        if (rc == MDB_NOTFOUND) need_snapshot = 1, rc = 0;
    }
    uint8_t *cose = NULL;
    size_t cose_len;
    if (rc == 0 && need_snapshot) {
        feed_snapshot snap;
        memset(&snap, 0, sizeof snap);
        snap.at = at;
        rc = registry_build_snapshot(reg, txn, &snap);
        if (rc == 0 && feed_snapshot_sign_with(&cose, &cose_len, &snap, by) != API_OK) rc = EINVAL;
        if (rc == 0) rc = registry_put_blob(txn, reg->meta, "snapshot", cose, cose_len);
        free(cose);
        cose = NULL;
        feed_snapshot_free(&snap);
    }
    if (rc == 0 && feed_checkpoint_sign_with(&cose, &cose_len, &at, by) != API_OK) rc = EINVAL;
    if (rc == 0) rc = registry_put_blob(txn, reg->meta, "checkpoint", cose, cose_len);
    free(cose);
    if (rc == 0) rc = registry_put_blob(txn, reg->meta, "head", head, FEED_HEAD_LEN);
    if (rc == 0) rc = registry_put_counter(txn, reg->meta, "published_seq", published);
    if (rc == ENOMEM) {
        mdb_txn_abort(txn);
        return API_ERR_NOMEM;
    }
    if (rc == EINVAL) {
        mdb_txn_abort(txn);
        return API_ERR_CRYPTO;
    }
    return registry_finish(txn, rc);
}

static api_err registry_copy_out(const MDB_val *v, size_t skip, uint8_t **data, size_t *len)
{
    if (v->mv_size < skip) return API_ERR_DB;
    *len = v->mv_size - skip;
    *data = malloc(*len ? *len : 1);
    if (!*data) return API_ERR_NOMEM;
    memcpy(*data, (const uint8_t *)v->mv_data + skip, *len);
    return API_OK;
}

api_err registry_feed_get(void *arg, feed_obj kind, const char *iss, uint64_t first, uint8_t **data,
                          size_t *len, uint64_t *containing)
{
    registry_feed_source *src = arg;
    *containing = 0;
    if (kind == FEED_OBJ_TRUST_LIST || !iss || strcmp(iss, src->iss) != 0) return API_ERR_NOT_FOUND;
    MDB_txn *txn;
    if (mdb_txn_begin(src->reg->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    api_err e = API_ERR_NOT_FOUND;
    MDB_val v;
    if (kind == FEED_OBJ_CHECKPOINT || kind == FEED_OBJ_SNAPSHOT) {
        if (registry_get_blob(txn, src->reg->meta, kind == FEED_OBJ_CHECKPOINT ? "checkpoint" : "snapshot",
                              &v) == 0)
            e = registry_copy_out(&v, 0, data, len);
    } else {
        MDB_cursor *cur;
        if (mdb_cursor_open(txn, src->reg->segments, &cur) == 0) {
            uint8_t key[8];
            bytes_put_be64(key, first);
            MDB_val k = {sizeof key, key};
            int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
            if (rc == 0 && bytes_get_be64(k.mv_data) == first) {
                e = registry_copy_out(&v, 8, data, len);
            } else {
                rc = mdb_cursor_get(cur, &k, &v, rc == 0 ? MDB_PREV : MDB_LAST);
                if (rc == 0 && v.mv_size >= 8 && bytes_get_be64(v.mv_data) >= first)
                    *containing = bytes_get_be64(k.mv_data);
            }
            mdb_cursor_close(cur);
        }
    }
    mdb_txn_abort(txn);
    return e;
}

/* ---- backup and restore (issuer/cmd_backup.c) ---- */

api_err registry_backup_copy(registry *reg, int fd, char *err, size_t errcap)
{
    registry_reader_check(reg);
    int rc = mdb_env_copyfd2(reg->env, fd, MDB_CP_COMPACT);
    if (rc == 0) return API_OK;
    registry_say(err, errcap, mdb_strerror(rc));
    return rc == ENOSPC || rc == EFBIG || rc == EDQUOT ? API_ERR_FULL : API_ERR_IO;
}

/* Marks in keep every index named by an event of the log after seq (the backup's own, never published). */
static int registry_mark_unpublished(registry *reg, MDB_txn *txn, uint64_t after, uint8_t *keep)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, reg->events, &cur);
    if (rc != 0) return rc;
    uint8_t key[8];
    bytes_put_be64(key, after + 1);
    MDB_val k = {sizeof key, key}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (v.mv_size != REGISTRY_EVENT_LEN) {
            rc = MDB_CORRUPTED;
            break;
        }
        uint32_t idx = bytes_get_be32(v.mv_data) & (FEED_LIST_SIZE - 1);
        keep[idx / 8] |= (uint8_t)(1u << (idx % 8));
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int registry_bit(const uint8_t *set, uint32_t idx)
{
    return (set[idx / 8] >> (idx % 8)) & 1;
}

/*
 * Brings every attestation of the registry to the published state (pub),
 * except those the backup's unpublished events changed; marks in known
 * the indices the registry holds.
 */
static int registry_take_published(registry *reg, MDB_txn *txn, const registry_published *pub,
                                   const uint8_t *keep, uint8_t *known, int64_t now, size_t *changed)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, reg->att, &cur);
    MDB_val k, v;
    int op = MDB_FIRST;
    while (rc == 0 && (rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        op = MDB_NEXT;
        registry_entry e;
        if (k.mv_size != CLAIMS_CTI_LEN || registry_unpack(&e, &v) != 0 || e.idx >= FEED_LIST_SIZE) {
            rc = MDB_CORRUPTED;
            break;
        }
        known[e.idx / 8] |= (uint8_t)(1u << (e.idx % 8));
        if (!pub->bits || registry_bit(keep, e.idx)) continue;
        unsigned st = feed_bits_get(pub->bits, e.idx);
        int64_t ext = pub->ext[e.idx] > e.extended_until ? pub->ext[e.idx] : e.extended_until;
        if (st == e.status && ext == e.extended_until) continue;
        if (st != e.status)
            e.reason = REGISTRY_REASON_NONE; /* the reason of a change after the backup stays unknown */
        e.status = st;
        e.extended_until = ext;
        e.changed_at = now;
        uint8_t rec[REGISTRY_RECORD_LEN];
        registry_pack(rec, &e);
        MDB_val nv = {sizeof rec, rec};
        rc = mdb_cursor_put(cur, &k, &nv, MDB_CURRENT);
        (*changed)++;
    }
    if (rc == MDB_NOTFOUND) rc = 0;
    if (cur) mdb_cursor_close(cur);
    return rc;
}

/* Keeps the published state of the indices the registry does not hold (issued after the backup). */
static int registry_keep_orphans(registry *reg, MDB_txn *txn, const registry_published *pub,
                                 const uint8_t *known, size_t *orphans)
{
    int rc = mdb_drop(txn, reg->recovered, 0);
    for (uint32_t idx = 0; rc == 0 && pub->bits && idx < FEED_LIST_SIZE; idx++) {
        unsigned st = feed_bits_get(pub->bits, idx);
        if (registry_bit(known, idx) || (st == 0 && pub->ext[idx] == 0)) continue;
        uint8_t key[4], val[9];
        bytes_put_be32(key, idx);
        val[0] = (uint8_t)st;
        bytes_put_be64s(val + 1, pub->ext[idx]);
        MDB_val k = {sizeof key, key}, v = {sizeof val, val};
        rc = mdb_put(txn, reg->recovered, &k, &v, 0);
        (*orphans)++;
    }
    return rc;
}

/* Moves the index counter past every index the feed named, then by margin more. */
static int registry_move_counter(registry *reg, MDB_txn *txn, const registry_published *pub,
                                 const uint8_t seed[IDXPERM_SEED_LEN], uint32_t margin,
                                 registry_recovery *out)
{
    uint64_t counter;
    int rc = registry_get_counter(txn, reg->meta, "index_counter", &counter);
    if (rc != 0) return rc;
    out->counter_before = counter;
    for (uint32_t idx = 0; pub->touched && idx < FEED_LIST_SIZE; idx++) {
        if (!registry_bit(pub->touched, idx)) continue;
        uint64_t c = (uint64_t)idxperm_unmap(seed, idx) + 1;
        if (c > counter) counter = c;
    }
    counter += margin;
    if (counter > IDXPERM_SIZE) counter = IDXPERM_SIZE;
    out->counter_after = counter;
    return registry_put_counter(txn, reg->meta, "index_counter", counter);
}

/* Empties the feed: no event, no segment, no checkpoint or snapshot; a new epoch starts at seq 0. */
static int registry_empty_feed(registry *reg, MDB_txn *txn)
{
    static const char *const blobs[] = {"head", "checkpoint", "snapshot"};
    int rc = mdb_drop(txn, reg->events, 0);
    if (rc == 0) rc = mdb_drop(txn, reg->segments, 0);
    for (size_t i = 0; rc == 0 && i < sizeof blobs / sizeof blobs[0]; i++) {
        MDB_val k = {strlen(blobs[i]), (void *)(uintptr_t)blobs[i]};
        rc = mdb_del(txn, reg->meta, &k, NULL);
        if (rc == MDB_NOTFOUND) rc = 0;
    }
    if (rc == 0) rc = registry_put_counter(txn, reg->meta, "event_seq", 0);
    if (rc == 0) rc = registry_put_counter(txn, reg->meta, "published_seq", 0);
    return rc;
}

api_err registry_restart_feed(registry *reg, const registry_published *pub,
                              const uint8_t seed[IDXPERM_SEED_LEN], uint32_t margin, int64_t now,
                              registry_recovery *out)
{
    memset(out, 0, sizeof *out);
    uint8_t *keep = calloc(2, FEED_LIST_SIZE / 8);
    if (!keep) return API_ERR_NOMEM;
    uint8_t *known = keep + FEED_LIST_SIZE / 8;
    MDB_txn *txn;
    if (mdb_txn_begin(reg->env, NULL, 0, &txn) != 0) {
        free(keep);
        return API_ERR_DB;
    }
    int rc = 0;
    if (pub->bits && pub->protect) rc = registry_mark_unpublished(reg, txn, pub->protect_after, keep);
    if (rc == 0) rc = registry_take_published(reg, txn, pub, keep, known, now, &out->changed);
    if (rc == 0) rc = registry_keep_orphans(reg, txn, pub, known, &out->orphans);
    if (rc == 0) rc = registry_move_counter(reg, txn, pub, seed, margin, out);
    if (rc == 0) rc = registry_empty_feed(reg, txn);
    free(keep);
    return registry_finish(txn, rc);
}
