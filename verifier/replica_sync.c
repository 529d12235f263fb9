/*
 * replica_sync.c: the sync of every issuer's feed into the replica
 * (replica_sync in replica.h): for each issuer id of the held trust list,
 * each source in turn (its feed URL, then the mirrors) until one serves a
 * feed that verifies and chains; rollbacks and forks refused, counted and
 * kept as evidence.
 *
 * It owns the order of the checks and the batch's transaction. It must not
 * reach the network itself nor build a URL: it knows the paths of the feed
 * protocol, and asks verifier/syncer.c (syncer_get) to fetch a path from a
 * source through the caller's fetch function. It must never leave a batch
 * half applied: each issuer's batch from one source is one write
 * transaction, committed only when every object in it verified and
 * chained.
 *
 * Each step returns one replica_step (replica_int.h), and its caller reads
 * nothing else to decide; why a source failed is text beside it, for the
 * report and the log.
 *
 * Choices. A sync takes, per source, the checkpoint, then opens the write
 * transaction and fetches the snapshot (nothing held yet) and the segments
 * inside it: memory stays one segment, an aborted batch leaves nothing,
 * and the price is that another writer (a trust-list offer) waits for the
 * batch. A batch stops at REPLICA_BATCH_SEGMENTS segments or
 * REPLICA_BATCH_BYTES bytes; the held seq is then ahead of the held
 * checkpoint until the next sync reaches one. A fork seen again (same held
 * and offered heads) keeps its evidence and is not counted twice.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "verifier/replica_int.h"
#include "verifier/syncer.h"

/* At most this much of one issuer's feed per source and sync: the rest comes next time. */
#define REPLICA_BATCH_SEGMENTS 200
#define REPLICA_BATCH_BYTES    (64u << 20)

/*
 * Compaction: segments the held snapshot covers are kept this many events
 * back from it, for peers that lag behind and sync from this replica as a
 * mirror; older ones are dropped.
 */
#define REPLICA_KEEP_COVERED_EVENTS 100000u

/* How a fork's why starts; the log line quotes what follows. */
#define SYNC_FORK_WHY "fork: "

typedef struct {
    replica *r;
    replica_fetch_fn fetch;
    void *arg;
    int64_t now;
    FILE *log;
    const trust_list *tl;
    const char *iss;
    uint64_t epoch;
} sync_ctx;

/* The checkpoint a source offers, fetched and checked before any transaction. */
typedef struct {
    const char *base; /* the source */
    uint8_t *bytes;   /* the checkpoint's COSE bytes (malloc'd) */
    size_t len;
    feed_checkpoint cp;
    int newer_epoch; /* signed in an epoch the trust list does not record yet: a fork */
} sync_offer;

/* ---- outcomes ---- */

/* The step of an LMDB (or errno) code that stopped a write. */
static replica_step step_of_rc(int rc)
{
    api_err e = replica_db_err(rc);
    return e == API_ERR_FULL    ? REPLICA_STEP_STORE_FULL
           : e == API_ERR_NOMEM ? REPLICA_STEP_NO_MEMORY
                                : REPLICA_STEP_STORE_FAILED;
}

/* Whether the source served: the feed advanced or was already current. */
static int step_reached(replica_step s)
{
    return s == REPLICA_STEP_OK || s == REPLICA_STEP_CURRENT;
}

/* Why the whole sync must stop (API_OK: it goes on to the next source or issuer). */
static api_err step_stop_err(replica_step s)
{
    switch (s) {
    case REPLICA_STEP_STORE_FULL:
        return API_ERR_FULL;
    case REPLICA_STEP_NO_MEMORY:
        return API_ERR_NOMEM;
    case REPLICA_STEP_STORE_FAILED:
        return API_ERR_DB;
    default:
        return API_OK;
    }
}

/* ---- fetching and checking one object ---- */

/*
 * GET /feed/v1/{iss}/{what} from the source at base: API_OK with a 200
 * body of at most max bytes, API_ERR_NOT_FOUND for a 404, API_ERR_IO
 * otherwise (why says).
 */
static api_err sync_fetch(sync_ctx *c, const char *base, const char *what, size_t max, uint8_t **body,
                          size_t *len, char *why, size_t whycap)
{
    char path[CLAIMS_ISS_MAX + 64];
    *body = NULL;
    *len = 0;
    snprintf(path, sizeof path, "/feed/v1/%s/%s", c->iss, what);
    syncer_answer a;
    if (syncer_get(&a, c->fetch, c->arg, base, path) != 0) {
        snprintf(why, whycap, "%s: URL too long", what);
        return API_ERR_IO;
    }
    if (a.err != API_OK) {
        snprintf(why, whycap, "%s: unreachable (%s)", what, api_err_code(a.err));
        return API_ERR_IO;
    }
    if (a.status != 200 || a.len > max || (!a.body && a.len)) {
        if (a.status != 200)
            snprintf(why, whycap, "%s: HTTP %d", what, a.status);
        else
            snprintf(why, whycap, "%s: larger than %zu bytes", what, max);
        free(a.body);
        return a.status == 404 ? API_ERR_NOT_FOUND : API_ERR_IO;
    }
    *body = a.body;
    *len = a.len;
    return API_OK;
}

/*
 * Checks a parsed feed object's iss, epoch, signed_at and signer: 0, or -1
 * with why set; 1 for an object the issuer signed in an epoch newer than
 * the trust list's: another history than the one the federation records
 * (a fork, why says).
 */
static int sync_check_state(sync_ctx *c, const feed_checkpoint *at, const cose_sign1 *msg, const char *what,
                            char *why, size_t whycap)
{
    char sig[128];
    if (strcmp(at->iss, c->iss) != 0) {
        snprintf(why, whycap, "%s: of issuer %s", what, at->iss);
        return -1;
    }
    if (at->epoch < c->epoch) {
        snprintf(why, whycap, "%s: epoch %" PRIu64 ", the trust list says %" PRIu64, what, at->epoch,
                 c->epoch);
        return -1;
    }
    if (at->signed_at > c->now + REPLICA_MAX_CLOCK_SKEW) {
        snprintf(why, whycap, "%s: signed in the future (%" PRId64 "s ahead)", what, at->signed_at - c->now);
        return -1;
    }
    if (replica_trust_feed_signer_ok(c->tl, msg, c->iss, at->signed_at, sig, sizeof sig) != 0) {
        snprintf(why, whycap, "%s: %s", what, sig);
        return -1;
    }
    if (at->epoch > c->epoch) {
        snprintf(why, whycap,
                 SYNC_FORK_WHY "%s: a feed of epoch %" PRIu64
                               " signed by the issuer, the trust list records epoch %" PRIu64
                               " (an issuer restored without the federation's new epoch?)",
                 what, at->epoch, c->epoch);
        return 1;
    }
    return 0;
}

/* Fetches and checks the checkpoint the source at base offers. */
static replica_step sync_offer_fetch(sync_ctx *c, const char *base, sync_offer *o, char *why, size_t whycap)
{
    static const uint8_t zero[FEED_HEAD_LEN];
    memset(o, 0, sizeof *o);
    o->base = base;
    if (sync_fetch(c, base, "checkpoint", FEED_MAX_CHECKPOINT_COSE, &o->bytes, &o->len, why, whycap) !=
        API_OK)
        return REPLICA_STEP_SOURCE_FAILED;
    cose_sign1 msg;
    api_err e = feed_checkpoint_parse(&o->cp, &msg, o->bytes, o->len);
    if (e != API_OK) {
        snprintf(why, whycap, "checkpoint: %s", api_strerror(e));
        return REPLICA_STEP_SOURCE_FAILED;
    }
    int state = sync_check_state(c, &o->cp, &msg, "checkpoint", why, whycap);
    if (state > 0) {
        o->newer_epoch = 1;
        return REPLICA_STEP_REFUSED_FORK;
    }
    if (state != 0) return REPLICA_STEP_SOURCE_FAILED;
    if (o->cp.seq == 0 && memcmp(o->cp.head, zero, FEED_HEAD_LEN) != 0) {
        snprintf(why, whycap, "checkpoint: seq 0 with a non-empty chain head");
        return REPLICA_STEP_SOURCE_FAILED;
    }
    return REPLICA_STEP_OK;
}

/* ---- the batch, in the transaction of the offer ---- */

/* Fetches the snapshot and applies it into txn; OK too when the source has none (h unchanged). */
static replica_step sync_snapshot(sync_ctx *c, MDB_txn *txn, const sync_offer *o, replica_held *h, char *why,
                                  size_t whycap)
{
    uint8_t *body;
    size_t len;
    api_err e = sync_fetch(c, o->base, "snapshot", FEED_MAX_SNAPSHOT_COSE, &body, &len, why, whycap);
    if (e == API_ERR_NOT_FOUND) return REPLICA_STEP_OK; /* replay from the first segment */
    if (e != API_OK) return REPLICA_STEP_SOURCE_FAILED;
    const feed_checkpoint *cp = &o->cp;
    feed_snapshot s;
    cose_sign1 msg;
    replica_step step = REPLICA_STEP_SOURCE_FAILED;
    e = feed_snapshot_parse(&s, &msg, body, len);
    if (e != API_OK) {
        snprintf(why, whycap, "snapshot: %s", api_strerror(e));
    } else if (sync_check_state(c, &s.at, &msg, "snapshot", why, whycap) != 0) {
        /* why says */
    } else if (s.at.seq > cp->seq ||
               (s.at.seq == cp->seq && memcmp(s.at.head, cp->head, FEED_HEAD_LEN) != 0)) {
        snprintf(why, whycap, "snapshot: seq %" PRIu64 " not consistent with the checkpoint's %" PRIu64,
                 s.at.seq, cp->seq);
    } else {
        int rc = replica_snapshot_put(c->r, txn, c->iss, &s, body, len);
        if (rc != 0) {
            step = step_of_rc(rc);
        } else {
            h->s.seq = s.at.seq;
            memcpy(h->s.head, s.at.head, FEED_HEAD_LEN);
            h->s.snap_seq = s.at.seq;
            h->s.flags |= REPLICA_HELD_HAS_SNAPSHOT;
            step = REPLICA_STEP_OK;
        }
    }
    feed_snapshot_free(&s);
    free(body);
    return step;
}

/* Fetches, checks, chains and applies into txn the segment that starts at h's seq + 1; counts its bytes. */
static replica_step sync_segment(sync_ctx *c, MDB_txn *txn, const sync_offer *o, replica_held *h,
                                 size_t *bytes, char *why, size_t whycap)
{
    char what[48];
    uint64_t first = h->s.seq + 1, cp_seq = o->cp.seq;
    snprintf(what, sizeof what, "segments/%" PRIu64, first);
    uint8_t *body;
    size_t len;
    if (sync_fetch(c, o->base, what, FEED_MAX_SEGMENT_COSE, &body, &len, why, whycap) != API_OK)
        return REPLICA_STEP_SOURCE_FAILED;
    feed_segment s;
    cose_sign1 msg;
    replica_step step = REPLICA_STEP_SOURCE_FAILED;
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
    if (replica_trust_feed_signer_ok(c->tl, &msg, c->iss, latest, sig, sizeof sig) != 0) {
        snprintf(why, whycap, "%s: %s", what, sig);
        goto done;
    }
    int rc = replica_status_apply_segment(c->r, txn, c->iss, &s);
    if (rc == 0) rc = replica_segment_put(c->r, txn, c->iss, s.first, (uint32_t)s.n, body, len);
    if (rc != 0) {
        step = step_of_rc(rc);
        goto done;
    }
    feed_chain(h->s.head, h->s.head, msg.payload, msg.payload_len);
    h->s.seq = last;
    *bytes += len;
    step = REPLICA_STEP_OK;
done:
    feed_segment_free(&s);
    free(body);
    return step;
}

/*
 * Compaction, at the end of a batch that reached the checkpoint: the
 * source's snapshot at that very seq and head, signed like the rest and
 * equal to the status entries held, becomes the held snapshot (what a
 * mirror serves and the offline bundle starts from), and segments it
 * covers are dropped beyond REPLICA_KEEP_COVERED_EVENTS. A source without
 * such a snapshot changes nothing: the older one stays. Only a store
 * failure is an outcome; *kept and *dropped say what was done.
 */
static replica_step sync_compact(sync_ctx *c, MDB_txn *txn, const sync_offer *o, replica_held *h, int *kept,
                                 size_t *dropped)
{
    *kept = 0;
    *dropped = 0;
    uint8_t *body;
    size_t len;
    char why[256];
    if (sync_fetch(c, o->base, "snapshot", FEED_MAX_SNAPSHOT_COSE, &body, &len, why, sizeof why) != API_OK)
        return REPLICA_STEP_OK;
    feed_snapshot s;
    cose_sign1 msg;
    int rc = 0;
    if (feed_snapshot_parse(&s, &msg, body, len) == API_OK) {
        int same = 0, at_held = 0;
        if (sync_check_state(c, &s.at, &msg, "snapshot", why, sizeof why) == 0 && s.at.seq == h->s.seq &&
            memcmp(s.at.head, h->s.head, FEED_HEAD_LEN) == 0) {
            at_held = 1; /* else a snapshot of another seq (a mirror's older one): nothing to say */
            rc = replica_snapshot_matches(c->r, txn, c->iss, &s, &same);
        }
        if (rc == 0 && same) rc = replica_snapshot_keep(c->r, txn, c->iss, body, len);
        if (rc == 0 && same) {
            h->s.snap_seq = s.at.seq;
            h->s.flags |= REPLICA_HELD_HAS_SNAPSHOT;
            *kept = 1;
            if (s.at.seq > REPLICA_KEEP_COVERED_EVENTS)
                rc = replica_segments_drop_upto(c->r, txn, c->iss, s.at.seq - REPLICA_KEEP_COVERED_EVENTS,
                                                dropped);
        } else if (rc == 0 && at_held && c->log) {
            fprintf(c->log,
                    "%s: %s: snapshot at %" PRIu64 " not kept: it does not state what the segments did\n",
                    c->iss, o->base, s.at.seq);
        }
        feed_snapshot_free(&s);
    }
    free(body);
    return rc == 0 ? REPLICA_STEP_OK : step_of_rc(rc);
}

/*
 * The batch of one source, into txn: the snapshot when nothing is held yet,
 * then the segments from the held seq up to the checkpoint (at most
 * REPLICA_BATCH_* of them), which must reach the checkpoint's head when
 * they reach its seq. Advances h; a chain that does not is a fork.
 */
static replica_step sync_batch(sync_ctx *c, MDB_txn *txn, const sync_offer *o, replica_held *h, char *why,
                               size_t whycap)
{
    const feed_checkpoint *cp = &o->cp;
    uint64_t seq_before = h->s.seq;
    int held_chain = h->s.seq > 0;
    int from_snapshot = !h->exists || (h->s.seq == 0 && !(h->s.flags & REPLICA_HELD_HAS_SNAPSHOT));
    replica_step step = from_snapshot ? sync_snapshot(c, txn, o, h, why, whycap) : REPLICA_STEP_OK;
    int took_snapshot = from_snapshot && (h->s.flags & REPLICA_HELD_HAS_SNAPSHOT);
    size_t n_seg = 0, bytes = 0;
    while (step == REPLICA_STEP_OK && h->s.seq < cp->seq && n_seg < REPLICA_BATCH_SEGMENTS &&
           bytes < REPLICA_BATCH_BYTES) {
        step = sync_segment(c, txn, o, h, &bytes, why, whycap);
        if (step == REPLICA_STEP_OK) n_seg++;
    }
    if (step != REPLICA_STEP_OK) return step;
    if (h->s.seq == cp->seq && memcmp(h->s.head, cp->head, FEED_HEAD_LEN) != 0) {
        if (!held_chain) {
            snprintf(why, whycap, "the segments do not chain to the checkpoint's head");
            return REPLICA_STEP_SOURCE_FAILED;
        }
        snprintf(why, whycap, SYNC_FORK_WHY "the held chain does not extend to the checkpoint");
        return REPLICA_STEP_REFUSED_FORK;
    }
    int compacted = 0;
    size_t dropped = 0;
    /* Compaction, unless the batch began with the snapshot (fetched just now, or absent). */
    if (!from_snapshot && h->s.seq == cp->seq && h->s.seq > h->s.snap_seq) {
        step = sync_compact(c, txn, o, h, &compacted, &dropped);
        if (step != REPLICA_STEP_OK) return step;
    }
    if (c->log) {
        char snap[96] = "";
        if (took_snapshot) snprintf(snap, sizeof snap, "snapshot at %" PRIu64 ", ", h->s.snap_seq);
        if (compacted)
            snprintf(snap, sizeof snap, "snapshot kept at %" PRIu64 ", %zu old segment%s dropped, ",
                     h->s.snap_seq, dropped, dropped == 1 ? "" : "s");
        fprintf(c->log, "%s: %s -> seq %" PRIu64 " -> %" PRIu64 " (%s%zu segment%s%s)\n", c->iss, o->base,
                seq_before, h->s.seq, snap, n_seg, n_seg == 1 ? "" : "s",
                h->s.seq < cp->seq ? "; batch bound reached, the rest at the next sync" : "");
    }
    return REPLICA_STEP_OK;
}

/* ---- judging an offer, and what its transaction keeps ---- */

/*
 * Reads the held feed into h and judges the offered checkpoint against it,
 * writing nothing: OK (newer: a batch to fetch), CURRENT (at the held
 * seq), a refusal, or a source failure.
 */
static replica_step sync_judge(sync_ctx *c, MDB_txn *txn, const sync_offer *o, replica_held *h, char *why,
                               size_t whycap)
{
    const feed_checkpoint *cp = &o->cp;
    uint64_t trust_seq;
    int rc = replica_meta_get_u64(c->r, txn, REPLICA_META_TRUST_SEQ, &trust_seq);
    if (rc == 0) rc = replica_held_get(c->r, txn, c->iss, h);
    if (rc != 0) return step_of_rc(rc);
    if (trust_seq != c->tl->seq) {
        snprintf(why, whycap, "the trust list changed during the sync");
        return REPLICA_STEP_SOURCE_FAILED;
    }
    if (h->exists && h->s.epoch != cp->epoch) {
        snprintf(why, whycap, "the held feed is of epoch %" PRIu64 ", not %" PRIu64, h->s.epoch, cp->epoch);
        return REPLICA_STEP_SOURCE_FAILED;
    }
    int has_cp = (h->s.flags & REPLICA_HELD_HAS_CHECKPOINT) != 0;
    if (cp->seq < h->s.seq || (has_cp && cp->signed_at < h->s.cp_signed_at)) {
        snprintf(why, whycap,
                 "checkpoint seq %" PRIu64 " signed at %" PRId64 " is older than the held seq %" PRIu64
                 " signed at %" PRId64,
                 cp->seq, cp->signed_at, h->s.seq, has_cp ? h->s.cp_signed_at : 0);
        return REPLICA_STEP_REFUSED_ROLLBACK;
    }
    if (cp->seq == h->s.seq && memcmp(cp->head, h->s.head, FEED_HEAD_LEN) != 0) {
        snprintf(why, whycap, SYNC_FORK_WHY "same seq, another chain head");
        return REPLICA_STEP_REFUSED_FORK;
    }
    /* Holding nothing, even a checkpoint at seq 0 is a batch: its snapshot may hold a whole state (a feed
       epoch that a restored issuer started, docs/federation.md). */
    return h->exists && cp->seq == h->s.seq ? REPLICA_STEP_CURRENT : REPLICA_STEP_OK;
}

/* Takes the offered checkpoint into h when the feed reached it, and writes h (the batch's last write). */
static int sync_keep_checkpoint(sync_ctx *c, MDB_txn *txn, const sync_offer *o, replica_held *h,
                                replica_step step)
{
    const feed_checkpoint *cp = &o->cp;
    int has_cp = (h->s.flags & REPLICA_HELD_HAS_CHECKPOINT) != 0;
    h->exists = 1;
    h->s.epoch = cp->epoch;
    if (h->s.seq == cp->seq && (!has_cp || h->s.cp_seq != cp->seq || cp->signed_at > h->s.cp_signed_at ||
                                h->cp_len != o->len || memcmp(h->cp, o->bytes, o->len) != 0)) {
        h->s.flags |= REPLICA_HELD_HAS_CHECKPOINT;
        h->s.cp_seq = cp->seq;
        h->s.cp_signed_at = cp->signed_at;
        h->cp_len = o->len;
        memcpy(h->cp, o->bytes, o->len);
    }
    if (step == REPLICA_STEP_CURRENT && c->log)
        fprintf(c->log, "%s: %s -> seq %" PRIu64 " (unchanged, checkpoint signed at %" PRId64 ")\n", c->iss,
                o->base, cp->seq, h->s.cp_signed_at);
    return replica_held_put(c->r, txn, c->iss, h);
}

/* Stores the evidence of a fork between h and the offer, unless on record already (*is_new says). */
static int sync_keep_fork(sync_ctx *c, MDB_txn *txn, const sync_offer *o, const replica_held *h, int *is_new)
{
    replica_fork f = {
        .detected_at = c->now,
        .held_seq = h->s.seq,
        .held_head = h->s.head,
        .held_cp = h->cp,
        .held_cp_len = (h->s.flags & REPLICA_HELD_HAS_CHECKPOINT) ? h->cp_len : 0,
        .offered_seq = o->cp.seq,
        .offered_head = o->cp.head,
        .offered_cp = o->bytes,
        .offered_cp_len = o->len,
        .source = o->base,
    };
    return replica_fork_put(c->r, txn, c->iss, &f, is_new);
}

/* Says loudly, once the refusal is committed, what was refused. */
static void sync_log_refusal(sync_ctx *c, const sync_offer *o, const replica_held *h, replica_step step,
                             int fork_new, const char *why)
{
    if (!c->log) return;
    if (step == REPLICA_STEP_REFUSED_ROLLBACK) {
        fprintf(c->log, "%s: ROLLBACK refused from %s: %s\n", c->iss, o->base, why);
        return;
    }
    char a[17], b[17];
    bytes_to_hex(a, h->s.head, 8);
    bytes_to_hex(b, o->cp.head, 8);
    fprintf(c->log,
            "FORK detected for %s from %s: %s; held seq %" PRIu64 " head %s..., offered seq %" PRIu64
            " head %s...; state kept, evidence %s\n",
            c->iss, o->base, why + strlen(SYNC_FORK_WHY), h->s.seq, a, o->cp.seq, b,
            fork_new ? "stored" : "already on record");
}

/*
 * The transactions of one offer. The first is the batch: judged, fetched
 * and applied, then committed with the new checkpoint; or, for a refusal,
 * committed with only its count or evidence; or aborted. A fork found at
 * the end of a batch aborts the batch and keeps its evidence in a second
 * transaction, against the held state read again.
 */
static replica_step sync_offer_apply(sync_ctx *c, const sync_offer *o, replica_held *h, char *why,
                                     size_t whycap)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(c->r->env, NULL, 0, &txn);
    if (rc != 0) return step_of_rc(rc);
    replica_step step;
    if (o->newer_epoch) {
        rc = replica_held_get(c->r, txn, c->iss, h);
        step = REPLICA_STEP_REFUSED_FORK;
    } else {
        step = sync_judge(c, txn, o, h, why, whycap);
    }
    if (step == REPLICA_STEP_OK) {
        step = sync_batch(c, txn, o, h, why, whycap);
        if (step == REPLICA_STEP_REFUSED_FORK) {
            mdb_txn_abort(txn);
            rc = mdb_txn_begin(c->r->env, NULL, 0, &txn);
            if (rc != 0) return step_of_rc(rc);
            rc = replica_held_get(c->r, txn, c->iss, h);
        }
    }
    int fork_new = 0, keep = 1;
    if (rc == 0) {
        switch (step) {
        case REPLICA_STEP_OK:
        case REPLICA_STEP_CURRENT:
            rc = sync_keep_checkpoint(c, txn, o, h, step);
            break;
        case REPLICA_STEP_REFUSED_ROLLBACK:
            rc = replica_meta_add(c->r, txn, REPLICA_META_ROLLBACKS, 1);
            break;
        case REPLICA_STEP_REFUSED_FORK:
            rc = sync_keep_fork(c, txn, o, h, &fork_new);
            break;
        default:
            keep = 0;
            break;
        }
    }
    if (rc == 0 && keep)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc != 0 && c->log) {
        const char *disk = rc == ENOSPC || rc == EFBIG || rc == EDQUOT ? "the disk is full: "
                           : rc == EIO ? "the disk could not take the write (full, or failing): "
                                       : "";
        fprintf(c->log, "%s: %s%s: nothing of this batch was written\n", c->iss, disk, mdb_strerror(rc));
    }
    if (rc != 0) return step_of_rc(rc);
    if (step == REPLICA_STEP_REFUSED_ROLLBACK || step == REPLICA_STEP_REFUSED_FORK)
        sync_log_refusal(c, o, h, step, fork_new, why);
    return step;
}

/* One source for one issuer: its checkpoint, then the offer's transactions. */
static replica_step sync_source(sync_ctx *c, const char *base, char *why, size_t whycap)
{
    sync_offer o;
    replica_step step = sync_offer_fetch(c, base, &o, why, whycap);
    if (step == REPLICA_STEP_OK || (step == REPLICA_STEP_REFUSED_FORK && o.newer_epoch)) {
        replica_held *h = malloc(sizeof *h);
        step = h ? sync_offer_apply(c, &o, h, why, whycap) : REPLICA_STEP_NO_MEMORY;
        free(h);
    }
    free(o.bytes);
    return step;
}

/* ---- issuers ---- */

/* Every source of one issuer in order, until one serves; the step of the last source tried. */
static replica_step sync_issuer(sync_ctx *c, const char *feed, const char *const *mirrors, size_t n_mirrors,
                                replica_issuer_report *rp)
{
    int64_t signed_at;
    snprintf(rp->iss, sizeof rp->iss, "%s", c->iss);
    if (replica_issuer_state(c->r, c->iss, &rp->seq_before, &signed_at) != API_OK)
        return REPLICA_STEP_STORE_FAILED;
    const char *sources[REPLICA_MAX_SOURCES];
    size_t n = 0;
    sources[n++] = feed;
    for (size_t i = 0; i < n_mirrors && n < REPLICA_MAX_SOURCES; i++)
        if (mirrors[i] && mirrors[i][0]) sources[n++] = mirrors[i];
    replica_step step = REPLICA_STEP_SOURCE_FAILED;
    for (size_t i = 0; i < n; i++) {
        char why[256] = "";
        step = sync_source(c, sources[i], why, sizeof why);
        if (step_stop_err(step) != API_OK) return step;
        if (step_reached(step)) {
            rp->reached = 1;
            snprintf(rp->source, sizeof rp->source, "%s", sources[i]);
            break;
        }
        if (step == REPLICA_STEP_REFUSED_FORK) rp->fork = 1;
        if (step == REPLICA_STEP_REFUSED_ROLLBACK) rp->rollback = 1;
        snprintf(rp->error, sizeof rp->error, "%.100s: %.150s", sources[i], why);
        if (c->log && step == REPLICA_STEP_SOURCE_FAILED)
            fprintf(c->log, "%s: %s: %s\n", c->iss, sources[i], why);
    }
    if (replica_issuer_state(c->r, c->iss, &rp->seq_after, &rp->checkpoint_signed_at) != API_OK)
        return REPLICA_STEP_STORE_FAILED;
    if (!step_reached(step) && c->log) fprintf(c->log, "%s: not reached from any source\n", c->iss);
    return step;
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
    r->sync_now = now;
    sync_ctx c = {.r = r, .fetch = fetch, .arg = arg, .now = now, .log = log, .tl = &tl};
    const size_t cap = sizeof rep->issuers / sizeof rep->issuers[0];
    for (size_t i = 0; i < tl.n; i++) {
        const char *id = tl.entries[i].id;
        const char *feed = replica_trust_feed(&tl, id);
        if (!replica_trust_id_first(&tl, i) || !feed[0]) continue;
        replica_issuer_report spare;
        /* cppcheck-suppress uninitvar ; spare is written by the memset through rp just below */
        replica_issuer_report *rp = rep->n < cap ? &rep->issuers[rep->n++] : &spare;
        memset(rp, 0, sizeof *rp);
        c.iss = id;
        c.epoch = replica_trust_epoch(&tl, id);
        replica_step step = sync_issuer(&c, feed, mirrors, n_mirrors, rp);
        api_err stop = step_stop_err(step);
        if (stop != API_OK) {
            e = stop;
            if (log) fprintf(log, "%s: stopped: %s\n", id, api_strerror(e));
            break;
        }
        if (!step_reached(step)) e = API_ERR_IO;
    }
    trust_free(&tl);
    free(local);
    return e;
}
