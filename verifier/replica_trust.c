/*
 * replica_trust.c: the trust list the replica holds, and the rules that
 * come from it: which list may replace the held one (replica_offer_trust),
 * and, for the sync, each issuer id's epoch and feed URL and which key may
 * sign its feed objects.
 *
 * It owns the decision to take or refuse a trust list and nothing else: it
 * must not fetch a list (the caller hands it the bytes), must not touch an
 * issuer's feed except to drop one of an older epoch, and writes nothing
 * when it refuses a list but the count of a rollback.
 *
 * Choices. A list verifies with the pinned root, the next_root announced
 * by the list held, or the root that verified the list held (so a rotated
 * root stays trusted once the announcing list is replaced). A list is
 * taken only with a greater seq; the held list offered again is a no-op
 * success, any other list with a seq not greater is a rollback, refused
 * and counted. A new feed epoch for an issuer id drops the feed held for
 * it, in the same transaction as the new list.
 */
#include <inttypes.h>
#include <string.h>

#include "verifier/replica_int.h"

api_err replica_trust_decode_held(trust_list *tl, const uint8_t *cose, size_t len)
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
    if (mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0) return API_ERR_DB;
    MDB_val v;
    int rc = replica_meta_get(r, txn, REPLICA_META_TRUST, &v);
    api_err e = rc == MDB_NOTFOUND ? API_ERR_NOT_FOUND
                : rc != 0          ? API_ERR_DB
                                   : replica_trust_decode_held(tl, v.mv_data, v.mv_size);
    mdb_txn_abort(txn);
    return e;
}

uint64_t replica_trust_epoch(const trust_list *tl, const char *id)
{
    uint64_t epoch = 0;
    for (size_t i = 0; i < tl->n; i++)
        if (strcmp(tl->entries[i].id, id) == 0 && tl->entries[i].epoch > epoch) epoch = tl->entries[i].epoch;
    return epoch;
}

const char *replica_trust_feed(const trust_list *tl, const char *id)
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

int replica_trust_id_first(const trust_list *tl, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(tl->entries[j].id, tl->entries[i].id) == 0) return 0;
    return 1;
}

int replica_trust_feed_signer_ok(const trust_list *tl, const cose_sign1 *msg, const char *iss, int64_t latest,
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

/* ---- an offer ---- */

/* What an offered list comes to, and so what its transaction writes. */
typedef enum {
    OFFER_KEEP,     /* nothing to write: the list held again, or a list refused */
    OFFER_ROLLBACK, /* refused as older: count it */
    OFFER_TAKE,     /* the new list: store it */
} offer_outcome;

/* The list held and the root that verified it, as read in the offer's transaction. */
typedef struct {
    trust_list tl;
    int have;            /* a list is held (tl decoded) */
    MDB_val bytes;       /* its signed bytes, in the map */
    const uint8_t *root; /* the root that verified it, in the map; NULL if not recorded */
} offer_held;

static int offer_read_held(replica *r, MDB_txn *txn, offer_held *h)
{
    memset(h, 0, sizeof *h);
    int rc = replica_meta_get(r, txn, REPLICA_META_TRUST, &h->bytes);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != 0) return rc;
    if (replica_trust_decode_held(&h->tl, h->bytes.mv_data, h->bytes.mv_size) != API_OK) return MDB_CORRUPTED;
    h->have = 1;
    MDB_val v;
    rc = replica_meta_get(r, txn, REPLICA_META_TRUST_ROOT, &v);
    if (rc == 0 && v.mv_size == COSE_PK_LEN) h->root = v.mv_data;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * Verifies cose with the pinned root, else with the next_root announced by
 * the held list, else with the key that verified the held list. *used gets
 * the key that worked.
 */
static api_err offer_verify(trust_list *tl, char *err, size_t errcap, const uint8_t *cose, size_t len,
                            const uint8_t root_pk[COSE_PK_LEN], const offer_held *held,
                            uint8_t used[COSE_PK_LEN])
{
    api_err e = trust_verify(tl, err, errcap, cose, len, root_pk);
    if (e == API_OK) {
        memcpy(used, root_pk, COSE_PK_LEN);
        return e;
    }
    if (e == API_ERR_NOMEM) return e;
    char other[64];
    if (held->have && held->tl.has_next_root &&
        trust_verify(tl, other, sizeof other, cose, len, held->tl.next_root) == API_OK) {
        memcpy(used, held->tl.next_root, COSE_PK_LEN);
        return API_OK;
    }
    if (held->have && held->root && memcmp(held->root, root_pk, COSE_PK_LEN) != 0 &&
        trust_verify(tl, other, sizeof other, cose, len, held->root) == API_OK) {
        memcpy(used, held->root, COSE_PK_LEN);
        return API_OK;
    }
    return e;
}

/* Judges an offer against the list held (nothing written): what to do, and what to report in *e. */
static offer_outcome offer_judge(replica *r, MDB_txn *txn, trust_list *tl, uint8_t used[COSE_PK_LEN],
                                 const uint8_t *cose, size_t len, const uint8_t root_pk[COSE_PK_LEN],
                                 api_err *e, char *err, size_t errcap)
{
    offer_held held;
    int rc = offer_read_held(r, txn, &held);
    offer_outcome out = OFFER_KEEP;
    if (rc != 0) {
        snprintf(err, errcap, "database: the held trust list cannot be read");
        *e = API_ERR_DB;
    } else if ((*e = offer_verify(tl, err, errcap, cose, len, root_pk, &held, used)) != API_OK) {
        /* refused: err says why */
    } else if (!held.have || tl->seq > held.tl.seq) {
        out = OFFER_TAKE;
    } else if (tl->seq == held.tl.seq && held.bytes.mv_size == len &&
               memcmp(held.bytes.mv_data, cose, len) == 0) {
        /* the list held: nothing to do */
    } else {
        if (tl->seq == held.tl.seq)
            snprintf(err, errcap, "rollback: another list with the held seq %" PRIu64, held.tl.seq);
        else
            snprintf(err, errcap, "rollback: seq %" PRIu64 " is older than the held %" PRIu64, tl->seq,
                     held.tl.seq);
        *e = API_ERR_TRUST_LIST;
        out = OFFER_ROLLBACK;
    }
    trust_free(&held.tl);
    return out;
}

/* Drops the held feed of every issuer whose epoch in tl is newer than the one held. */
static int offer_drop_old_epochs(replica *r, MDB_txn *txn, const trust_list *tl)
{
    for (size_t i = 0; i < tl->n; i++) {
        const char *id = tl->entries[i].id;
        if (!replica_trust_id_first(tl, i)) continue;
        replica_held_state h;
        int rc = replica_held_peek(r, txn, id, &h, NULL);
        if (rc == MDB_NOTFOUND) continue;
        if (rc == 0 && replica_trust_epoch(tl, id) > h.epoch) rc = replica_issuer_drop(r, txn, id);
        if (rc != 0) return rc;
    }
    return 0;
}

/* Stores the new list, the root that verified it and its seq; drops the feeds of older epochs. */
static int offer_take(replica *r, MDB_txn *txn, const uint8_t *cose, size_t len, const trust_list *tl,
                      const uint8_t used[COSE_PK_LEN])
{
    int rc = offer_drop_old_epochs(r, txn, tl);
    if (rc == 0) rc = replica_meta_put(r, txn, REPLICA_META_TRUST, cose, len);
    if (rc == 0) rc = replica_meta_put(r, txn, REPLICA_META_TRUST_ROOT, used, COSE_PK_LEN);
    if (rc == 0) rc = replica_meta_put_u64(r, txn, REPLICA_META_TRUST_SEQ, tl->seq);
    return rc;
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
    trust_list tl;
    memset(&tl, 0, sizeof tl);
    uint8_t used[COSE_PK_LEN];
    api_err e;
    offer_outcome out = offer_judge(r, txn, &tl, used, cose, len, root_pk, &e, err, errcap);
    if (out == OFFER_ROLLBACK) rc = replica_meta_add(r, txn, REPLICA_META_ROLLBACKS, 1);
    if (out == OFFER_TAKE) rc = offer_take(r, txn, cose, len, &tl, used);
    if (out == OFFER_KEEP || rc != 0)
        mdb_txn_abort(txn);
    else
        rc = mdb_txn_commit(txn);
    if (rc != 0) {
        if (out == OFFER_TAKE) snprintf(err, errcap, "database: %s", mdb_strerror(rc));
        e = replica_db_err(rc);
    }
    trust_free(&tl);
    return e;
}
