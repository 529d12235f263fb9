/*
 * replica_read.c: what the replica tells its readers: the status of an
 * attestation for the verification (replica_status), the signed objects
 * for a mirror (replica_feed_get) and for the offline bundle
 * (replica_export, replica_trust_signed), and the counters and versions
 * for reports and caches.
 *
 * It reports facts and decides nothing: replica_status says whether the
 * issuer's feed is held, the status and extension held for the index, and
 * as_of, the signed_at of the checkpoint they come from; whether that is
 * fresh enough is the verification's to decide (verifier/verify.c, from
 * verify_ctx.max_staleness and now). It must not write: each reader is one
 * read-only transaction, begun and ended here, sharing nothing with the
 * others but the environment, so readers run beside a sync.
 */
#include <stdlib.h>
#include <string.h>

#include "verifier/replica_int.h"

/* A reader's api_err for an LMDB code: found, not found, or the database failed. */
static api_err read_err(int rc)
{
    return rc == 0 ? API_OK : rc == MDB_NOTFOUND ? API_ERR_NOT_FOUND : API_ERR_DB;
}

/* A malloc'd copy of src[0..n) for the caller. */
static api_err copy_out(uint8_t **data, size_t *len, const void *src, size_t n)
{
    *data = malloc(n ? n : 1);
    if (!*data) return API_ERR_NOMEM;
    if (n) memcpy(*data, src, n);
    *len = n;
    return API_OK;
}

int replica_status(void *arg, const trust_entry *entry, uint32_t idx, verify_status *out)
{
    replica *r = arg;
    memset(out, 0, sizeof *out);
    if (!replica_iss_ok(entry->id)) return -1;
    MDB_txn *txn;
    if (mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0) return -1;
    replica_held_state h;
    int rc = replica_held_peek(r, txn, entry->id, &h, NULL);
    if (rc == 0 && (h.flags & REPLICA_HELD_HAS_CHECKPOINT)) {
        out->held = 1;
        out->as_of = h.cp_signed_at;
        rc = replica_status_get(r, txn, entry->id, idx, &out->status, &out->extended_until);
    }
    mdb_txn_abort(txn);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : -1;
}

/* The held checkpoint of iss (only once one is held: a feed cut by the batch bound has none yet). */
static api_err feed_get_checkpoint(replica *r, MDB_txn *txn, const char *iss, uint8_t **data, size_t *len)
{
    replica_held_state h;
    MDB_val cp;
    int rc = replica_held_peek(r, txn, iss, &h, &cp);
    if (rc != 0) return read_err(rc);
    if (!(h.flags & REPLICA_HELD_HAS_CHECKPOINT)) return API_ERR_NOT_FOUND;
    return copy_out(data, len, cp.mv_data, cp.mv_size);
}

api_err replica_feed_get(void *arg, feed_obj kind, const char *iss, uint64_t first, uint8_t **data,
                         size_t *len, uint64_t *containing)
{
    replica *r = arg;
    *data = NULL;
    *len = 0;
    uint64_t spare;
    if (!containing) containing = &spare;
    *containing = 0;
    if (kind != FEED_OBJ_TRUST_LIST && !replica_iss_ok(iss)) return API_ERR_NOT_FOUND;
    MDB_txn *txn;
    if (mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    api_err e = API_ERR_NOT_FOUND;
    MDB_val v;
    replica_segment seg;
    int rc;
    switch (kind) {
    case FEED_OBJ_TRUST_LIST:
        rc = replica_meta_get(r, txn, REPLICA_META_TRUST, &v);
        e = rc == 0 ? copy_out(data, len, v.mv_data, v.mv_size) : read_err(rc);
        break;
    case FEED_OBJ_SNAPSHOT:
        rc = replica_snapshot_get(r, txn, iss, &v);
        e = rc == 0 ? copy_out(data, len, v.mv_data, v.mv_size) : read_err(rc);
        break;
    case FEED_OBJ_CHECKPOINT:
        e = feed_get_checkpoint(r, txn, iss, data, len);
        break;
    case FEED_OBJ_SEGMENT:
        rc = replica_segment_find(r, txn, iss, first, &seg, containing);
        e = rc == 0 ? copy_out(data, len, seg.cose, seg.cose_len) : read_err(rc);
        break;
    }
    mdb_txn_abort(txn);
    return e;
}

api_err replica_get_counters(replica *r, replica_counters *c)
{
    memset(c, 0, sizeof *c);
    MDB_txn *txn;
    if (mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    int rc = replica_meta_get_u64(r, txn, REPLICA_META_FORKS, &c->forks);
    if (rc == 0) rc = replica_meta_get_u64(r, txn, REPLICA_META_ROLLBACKS, &c->rollbacks);
    if (rc == 0) rc = replica_meta_get_u64(r, txn, REPLICA_META_TRUST_SEQ, &c->trust_seq);
    mdb_txn_abort(txn);
    return replica_db_err(rc);
}

api_err replica_issuer_state(replica *r, const char *iss, uint64_t *seq, int64_t *signed_at)
{
    *seq = 0;
    *signed_at = 0;
    if (!replica_iss_ok(iss)) return API_ERR_ARG;
    MDB_txn *txn;
    int rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) return replica_db_err(rc);
    replica_held_state h;
    rc = replica_held_peek(r, txn, iss, &h, NULL);
    mdb_txn_abort(txn);
    if (rc == MDB_NOTFOUND) return API_OK;
    if (rc == 0) {
        *seq = h.seq;
        if (h.flags & REPLICA_HELD_HAS_CHECKPOINT) *signed_at = h.cp_signed_at;
    }
    return replica_db_err(rc);
}

uint64_t replica_version(replica *r)
{
    MDB_envinfo info;
    if (!r || mdb_env_info(r->env, &info) != 0) return 0;
    return (uint64_t)info.me_last_txnid;
}

api_err replica_trust_signed(replica *r, uint8_t **cose, size_t *len, uint64_t *version)
{
    *cose = NULL;
    *len = 0;
    *version = 0;
    MDB_txn *txn;
    if (mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    *version = (uint64_t)mdb_txn_id(txn);
    MDB_val v;
    int rc = replica_meta_get(r, txn, REPLICA_META_TRUST, &v);
    api_err e = rc == 0 ? copy_out(cose, len, v.mv_data, v.mv_size) : read_err(rc);
    mdb_txn_abort(txn);
    return e;
}

/* ---- export ---- */

/* One issuer's walk of replica_export: the segments up to the checkpoint held. */
typedef struct {
    replica_export_fn fn;
    void *arg;
    const char *iss;
    uint64_t cp_seq;
    int stopped; /* fn stopped the walk */
} export_walk;

static int export_segment(void *arg, const replica_segment *seg)
{
    export_walk *w = arg;
    if (seg->n == 0 || seg->first + seg->n - 1 > w->cp_seq)
        return 1; /* past the checkpoint held: not in the bundle */
    w->stopped = w->fn(w->arg, FEED_OBJ_SEGMENT, w->iss, seg->cose, seg->cose_len) != 0;
    return w->stopped;
}

/* One issuer's snapshot (or none), segments and checkpoint; 0 or an LMDB code, *stopped when fn stopped. */
static int export_issuer(replica *r, MDB_txn *txn, const char *iss, replica_export_fn fn, void *arg,
                         int *stopped)
{
    replica_held_state h;
    MDB_val cp, snap;
    int rc = replica_held_peek(r, txn, iss, &h, &cp);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != 0) return rc;
    if (!(h.flags & REPLICA_HELD_HAS_CHECKPOINT)) return 0;
    rc = (h.flags & REPLICA_HELD_HAS_SNAPSHOT) ? replica_snapshot_get(r, txn, iss, &snap) : MDB_NOTFOUND;
    if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    int have_snapshot = rc == 0;
    *stopped = fn(arg, FEED_OBJ_SNAPSHOT, iss, have_snapshot ? snap.mv_data : NULL,
                  have_snapshot ? snap.mv_size : 0) != 0;
    if (*stopped) return 0;
    export_walk w = {fn, arg, iss, h.cp_seq, 0};
    rc = replica_segment_walk(r, txn, iss, (have_snapshot ? h.snap_seq : 0) + 1, export_segment, &w);
    if (rc != 0) return rc;
    *stopped = w.stopped || fn(arg, FEED_OBJ_CHECKPOINT, iss, cp.mv_data, cp.mv_size) != 0;
    return 0;
}

api_err replica_export(replica *r, replica_export_fn fn, void *arg, uint64_t *version)
{
    if (version) *version = 0;
    if (!r || !fn) return API_ERR_ARG;
    MDB_txn *txn;
    if (mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    if (version) *version = (uint64_t)mdb_txn_id(txn);
    MDB_val v;
    api_err e = read_err(replica_meta_get(r, txn, REPLICA_META_TRUST, &v));
    trust_list tl;
    memset(&tl, 0, sizeof tl);
    if (e == API_OK) e = replica_trust_decode_held(&tl, v.mv_data, v.mv_size);
    if (e == API_OK && fn(arg, FEED_OBJ_TRUST_LIST, NULL, v.mv_data, v.mv_size) != 0) e = API_ERR_ARG;
    for (size_t i = 0; e == API_OK && i < tl.n; i++) {
        if (!replica_trust_id_first(&tl, i) || !replica_iss_ok(tl.entries[i].id)) continue;
        int stopped = 0;
        int rc = export_issuer(r, txn, tl.entries[i].id, fn, arg, &stopped);
        if (rc != 0)
            e = API_ERR_DB;
        else if (stopped)
            e = API_ERR_ARG;
    }
    mdb_txn_abort(txn);
    trust_free(&tl);
    return e;
}
