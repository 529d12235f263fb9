/*
 * test_replica.c: the verifier's replica (replica.h) against the test
 * kit's in-memory network (testkit_net): issuers' feeds built with fixed
 * keys (testkit_feed, whose model of every status the replica is checked
 * against), a trust list signed by the fixed root, hosts that can be down,
 * a byte that can be flipped, and replicas serving each other as mirrors.
 *
 * Covers the first sync (snapshot + segments) and incremental syncs, the
 * status reaching replica_status with the as_of that the verification
 * judges freshness on, mirrors, every refusal (forged, tampered, rolled
 * back, forked, future, compromised, retired, oversized, overshooting, a
 * source URL too long), the trust-list rules (rollback, next root, new
 * epoch), the segment lookup of a mirror, the layout on disk (records
 * written by hand are read, records written are as documented), and crash
 * consistency: a child killed during a large sync leaves the state of a
 * checkpoint boundary (CRASH_ROUNDS kills, more with SOAK=1). Last, the
 * syncer over real sockets on 127.0.0.1, served from the same testkit_net:
 * a source that trickles its answers (all of them, or only its segments)
 * is dropped at the timeout and the next source serves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <lmdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/bytes.h"
#include "qr/feed.h"
#include "verifier/replica.h"
#include "verifier/syncer.h"
#include "tests/unit/testkit.h"
#include "qr/trust.h"

#define FEED75 "http://feed-75.test"
#define FEED13 "http://feed-13.test"
#define DAY    86400

static int64_t T0; /* 2026-10-01T12:00:00Z */

/* ---- an issuer's feed and the federation ---- */

/* A few events of every kind on idx base..base+9 (one segment's worth when cut). */
static void feed_some(testkit_feed *f, uint32_t base, int64_t t)
{
    testkit_feed_event(f, base + 0, FEED_EVENT_STATUS, STATUS_REVOKED, t);
    testkit_feed_event(f, base + 1, FEED_EVENT_STATUS, STATUS_SUSPENDED, t + 1);
    testkit_feed_event(f, base + 2, FEED_EVENT_STATUS, STATUS_SUPERSEDED, t + 2);
    testkit_feed_event(f, base + 3, FEED_EVENT_EXTENSION, T0 + 90 * DAY, t + 3);
    testkit_feed_event(f, base + 4, FEED_EVENT_STATUS, STATUS_SUSPENDED, t + 4);
    testkit_feed_event(f, base + 4, FEED_EVENT_STATUS, STATUS_VALID, t + 5);
    testkit_feed_event(f, base + 5, FEED_EVENT_STATUS, STATUS_SUSPENDED, t + 6);
    testkit_feed_event(f, base + 5, FEED_EVENT_EXTENSION, T0 + 60 * DAY, t + 7);
    testkit_feed_event(f, base + 3, FEED_EVENT_EXTENSION, T0 + 120 * DAY, t + 8);
    testkit_feed_event(f, base + 3, FEED_EVENT_EXTENSION, T0 + 100 * DAY, t + 9); /* earlier: ignored */
}

typedef struct {
    testkit_key root, k75, k13;
    trust_list tl;
    uint8_t *cose;
    size_t len;
} tfed;

static void tfed_sign(tfed *fe)
{
    free(fe->cose);
    fe->cose = NULL;
    assert_int_equal(trust_sign(&fe->cose, &fe->len, &fe->tl, fe->root.sk), API_OK);
}

/* Root 0x01; FR-75 (0x02) and FR-13 (0x03) active, feeds on FEED75 and FEED13, epoch 1, seq 7. */
static void tfed_init(tfed *fe)
{
    memset(fe, 0, sizeof *fe);
    testkit_root(&fe->root);
    testkit_fr75(&fe->k75);
    testkit_fr13(&fe->k13);
    assert_int_equal(testkit_trust_list(&fe->tl), 0);
    snprintf(fe->tl.entries[0].feed, TRUST_FEED_MAX, "%s", FEED75);
    snprintf(fe->tl.entries[1].feed, TRUST_FEED_MAX, "%s", FEED13);
    tfed_sign(fe);
}

static void tfed_add(tfed *fe, const trust_entry *e)
{
    trust_entry *n = realloc(fe->tl.entries, (fe->tl.n + 1) * sizeof *n);
    assert_non_null(n);
    fe->tl.entries = n;
    fe->tl.entries[fe->tl.n++] = *e;
}

static void tfed_free(tfed *fe)
{
    trust_free(&fe->tl);
    free(fe->cose);
}

static replica *open_with_trust(const char *dir, const tfed *fe)
{
    replica *r;
    char err[256];
    assert_int_equal(replica_open(&r, dir), API_OK);
    assert_int_equal(replica_offer_trust(r, fe->cose, fe->len, fe->root.pk, err, sizeof err), API_OK);
    return r;
}

static api_err sync_at(replica *r, testkit_net *n, int64_t now, replica_sync_report *rep,
                       const char *const *mirrors, size_t n_mirrors)
{
    char *buf = NULL;
    size_t blen = 0;
    FILE *log = open_memstream(&buf, &blen);
    assert_non_null(log);
    api_err e = replica_sync(r, mirrors, n_mirrors, testkit_net_fetch, n, now, log, rep);
    fclose(log);
    if (getenv("REPLICA_TEST_LOG")) fputs(buf, stderr);
    free(buf);
    return e;
}

static const replica_issuer_report *report_of(const replica_sync_report *rep, const char *iss)
{
    for (size_t i = 0; i < rep->n; i++)
        if (strcmp(rep->issuers[i].iss, iss) == 0) return &rep->issuers[i];
    fail_msg("no report for %s", iss);
    return NULL;
}

static void status_of(replica *r, const char *iss, uint32_t idx, verify_status *st)
{
    trust_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.id, sizeof e.id, "%s", iss);
    assert_int_equal(replica_status(r, &e, idx, st), 0);
}

/* Every idx of [from, to) has the model's status and extension. */
static void assert_model(replica *r, const testkit_feed *f, uint32_t from, uint32_t to)
{
    for (uint32_t idx = from; idx < to; idx++) {
        verify_status st;
        status_of(r, f->iss, idx, &st);
        assert_int_equal(st.held, 1);
        if (st.status != feed_bits_get(f->bits, idx) || st.extended_until != f->ext[idx])
            fail_msg("%s idx %u: status %u ext %" PRId64 ", expected %u %" PRId64, f->iss, idx, st.status,
                     st.extended_until, feed_bits_get(f->bits, idx), f->ext[idx]);
    }
}

static uint64_t held_seq(replica *r, const char *iss)
{
    uint64_t seq;
    int64_t at;
    assert_int_equal(replica_issuer_state(r, iss, &seq, &at), API_OK);
    return seq;
}

/* A fixture: the federation, FR-75 with 3 segments of 10 events, FR-13 with 1, both published. */
typedef struct {
    char dir[TESTKIT_DIR_MAX];
    tfed fe;
    testkit_net net;
    testkit_feed f75, f13;
} fixture;

static int fixture_setup(void **state)
{
    fixture *x = calloc(1, sizeof *x);
    if (!x) return -1;
    T0 = testkit_time("2026-10-01T12:00:00Z");
    if (testkit_tmpdir(x->dir, "api-replica") != 0) {
        free(x);
        return -1;
    }
    tfed_init(&x->fe);
    testkit_net_init(&x->net);
    testkit_feed_init(&x->f75, "FR-75", 1, &x->fe.k75);
    testkit_feed_init(&x->f13, "FR-13", 1, &x->fe.k13);
    for (uint32_t s = 0; s < 3; s++) {
        feed_some(&x->f75, 100 + 10 * s, T0 - 3600 + 10 * s);
        testkit_feed_cut(&x->f75);
    }
    feed_some(&x->f13, 500, T0 - 3600);
    testkit_feed_cut(&x->f13);
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0);
    testkit_feed_publish(&x->f13, &x->net, FEED13, T0);
    *state = x;
    return 0;
}

static int fixture_teardown(void **state)
{
    fixture *x = *state;
    int rc = testkit_tmpdir_remove(x->dir);
    tfed_free(&x->fe);
    testkit_net_free(&x->net);
    testkit_feed_free(&x->f75);
    testkit_feed_free(&x->f13);
    free(x);
    return rc;
}

/* ---- tests ---- */

static void test_first_sync_snapshot_and_segments(void **state)
{
    fixture *x = *state;
    /* a snapshot after the second segment: the replica starts there and fetches only the third */
    testkit_feed g;
    testkit_feed_init(&g, "FR-75", 1, &x->fe.k75);
    for (uint32_t s = 0; s < 2; s++) {
        feed_some(&g, 100 + 10 * s, T0 - 3600 + 10 * s);
        testkit_feed_cut(&g);
    }
    testkit_feed_publish_snapshot(&g, &x->net, FEED75, T0 - 60);
    testkit_feed_free(&g);
    char url[320];
    testkit_segment_url(url, sizeof url, FEED75, "FR-75", 1);
    testkit_net_remove(&x->net, url); /* proves the snapshot was used */

    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    assert_int_equal(rep.n, 2);
    const replica_issuer_report *p = report_of(&rep, "FR-75");
    assert_int_equal(p->reached, 1);
    assert_string_equal(p->source, FEED75);
    assert_int_equal(p->seq_before, 0);
    assert_int_equal(p->seq_after, 30);
    assert_true(p->checkpoint_signed_at == T0);
    assert_int_equal(report_of(&rep, "FR-13")->seq_after, 10);
    assert_model(r, &x->f75, 90, 140);
    assert_model(r, &x->f13, 490, 520);
    /* the snapshot held is served byte for byte */
    uint8_t *data;
    size_t len;
    uint64_t containing;
    assert_int_equal(replica_feed_get(r, FEED_OBJ_SNAPSHOT, "FR-75", 0, &data, &len, &containing), API_OK);
    testkit_feed_url(url, sizeof url, FEED75, "FR-75", "snapshot");
    assert_int_equal(len, testkit_net_find(&x->net, url)->len);
    assert_memory_equal(data, testkit_net_find(&x->net, url)->body, len);
    free(data);
    /* FR-13 had no snapshot: replayed from segment 1, so it has none to serve */
    assert_int_equal(replica_feed_get(r, FEED_OBJ_SNAPSHOT, "FR-13", 0, &data, &len, &containing),
                     API_ERR_NOT_FOUND);
    replica_close(r);
}

static void test_incremental_sync(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(r, "FR-75"), 30);
    /* nothing new: the fresher checkpoint is kept */
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0 + 60);
    size_t before = x->net.fetches;
    assert_int_equal(sync_at(r, &x->net, T0 + 70, &rep, NULL, 0), API_OK);
    assert_int_equal(x->net.fetches - before, 2); /* one checkpoint per issuer, nothing else */
    assert_true(report_of(&rep, "FR-75")->checkpoint_signed_at == T0 + 60);
    /* two more segments */
    for (uint32_t s = 3; s < 5; s++) {
        feed_some(&x->f75, 100 + 10 * s, T0 + 100 + s);
        testkit_feed_cut(&x->f75);
    }
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0 + 120);
    before = x->net.fetches;
    assert_int_equal(sync_at(r, &x->net, T0 + 130, &rep, NULL, 0), API_OK);
    /* 2 checkpoints, 2 segments, and the snapshot at the new seq, kept in place of the older one (compaction)
     */
    assert_int_equal(x->net.fetches - before, 5);
    const replica_issuer_report *p = report_of(&rep, "FR-75");
    assert_int_equal(p->seq_before, 30);
    assert_int_equal(p->seq_after, 50);
    assert_model(r, &x->f75, 90, 160);
    replica_close(r);
}

/* Counts what replica_export hands out for FR-75. */
typedef struct {
    size_t snapshots, segments;
} export_count;

static int count_export(void *arg, feed_obj kind, const char *iss, const uint8_t *data, size_t len)
{
    export_count *n = arg;
    (void)len;
    if (!iss || strcmp(iss, "FR-75") != 0) return 0;
    if (kind == FEED_OBJ_SNAPSHOT && data) n->snapshots++;
    if (kind == FEED_OBJ_SEGMENT) n->segments++;
    return 0;
}

/*
 * Compaction: once the feed moved, the source's snapshot at the new seq
 * (equal to what the segments did) becomes the held one; the bundle then
 * starts from it with no segment before it, and the mirror serves it.
 */
static void test_compaction_keeps_newest_snapshot(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    for (uint32_t s = 3; s < 6; s++) {
        feed_some(&x->f75, 100 + 10 * s, T0 + 100 + s);
        testkit_feed_cut(&x->f75);
    }
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0 + 120);
    testkit_feed_publish_snapshot(&x->f75, &x->net, FEED75, T0 + 120);
    assert_int_equal(sync_at(r, &x->net, T0 + 130, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(r, "FR-75"), 60);
    assert_model(r, &x->f75, 90, 170);
    char url[320];
    testkit_feed_url(url, sizeof url, FEED75, "FR-75", "snapshot");
    uint8_t *data;
    size_t len;
    uint64_t containing;
    assert_int_equal(replica_feed_get(r, FEED_OBJ_SNAPSHOT, "FR-75", 0, &data, &len, &containing), API_OK);
    assert_int_equal(len, testkit_net_find(&x->net, url)->len);
    assert_memory_equal(data, testkit_net_find(&x->net, url)->body, len);
    free(data);
    export_count n = {0, 0};
    assert_int_equal(replica_export(r, count_export, &n, NULL), API_OK);
    assert_int_equal(n.snapshots, 1);
    assert_int_equal(n.segments, 0);
    /* the covered segments stay for peers that lag (within REPLICA_KEEP_COVERED_EVENTS) */
    assert_int_equal(replica_feed_get(r, FEED_OBJ_SEGMENT, "FR-75", 31, &data, &len, &containing), API_OK);
    free(data);
    replica_close(r);
}

/*
 * An issuer restored from a backup publishes a new epoch before the
 * federation records it: signed by its key, so a history the trust list
 * does not know: a fork, with its evidence, counted once; the state held
 * is kept. An older epoch stays a failed source.
 */
static void test_newer_epoch_is_a_fork(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(r, "FR-75"), 30);
    testkit_feed g;
    testkit_feed_init(&g, "FR-75", 2, &x->fe.k75);
    feed_some(&g, 600, T0 + 30);
    testkit_feed_cut(&g);
    testkit_feed_publish(&g, &x->net, FEED75, T0 + 40);
    testkit_feed_publish_snapshot(&g, &x->net, FEED75, T0 + 40);
    assert_int_equal(sync_at(r, &x->net, T0 + 50, &rep, NULL, 0), API_ERR_IO);
    const replica_issuer_report *p = report_of(&rep, "FR-75");
    assert_int_equal(p->fork, 1);
    assert_non_null(strstr(p->error, "epoch 2"));
    replica_counters c;
    assert_int_equal(replica_get_counters(r, &c), API_OK);
    assert_true(c.forks == 1);
    assert_int_equal(held_seq(r, "FR-75"), 30);
    assert_model(r, &x->f75, 90, 140);
    /* seen again: not counted twice */
    assert_int_equal(sync_at(r, &x->net, T0 + 60, &rep, NULL, 0), API_ERR_IO);
    assert_int_equal(replica_get_counters(r, &c), API_OK);
    assert_true(c.forks == 1);
    testkit_feed_free(&g);
    replica_close(r);
}

static void test_status_values_reach_replica_status(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    verify_status st;
    status_of(r, "FR-75", 100, &st);
    assert_int_equal(st.held, 1);
    assert_int_equal(verify_status_fresh(&st, T0 + 60, VERIFY_DEFAULT_MAX_STALENESS), 1);
    assert_true(st.as_of == T0);
    assert_int_equal(st.status, STATUS_REVOKED);
    status_of(r, "FR-75", 101, &st);
    assert_int_equal(st.status, STATUS_SUSPENDED);
    status_of(r, "FR-75", 102, &st);
    assert_int_equal(st.status, STATUS_SUPERSEDED);
    status_of(r, "FR-75", 103, &st);
    assert_int_equal(st.status, STATUS_VALID);
    assert_true(st.extended_until == T0 + 120 * DAY); /* the later of the extensions */
    status_of(r, "FR-75", 104, &st);
    assert_int_equal(st.status, STATUS_VALID); /* suspended, then valid again */
    assert_true(st.extended_until == 0);
    status_of(r, "FR-75", 105, &st);
    assert_int_equal(st.status, STATUS_SUSPENDED);
    assert_true(st.extended_until == T0 + 60 * DAY);
    status_of(r, "FR-75", 99999, &st);
    assert_int_equal(st.held, 1);
    assert_int_equal(st.status, STATUS_VALID);
    assert_true(st.extended_until == 0);
    /* an issuer with no feed held */
    status_of(r, "FR-33", 100, &st);
    assert_int_equal(st.held, 0);
    /* a later revocation of the suspended one, and an un-suspension */
    testkit_feed_event(&x->f75, 101, FEED_EVENT_STATUS, STATUS_REVOKED, T0 + 100);
    testkit_feed_event(&x->f75, 105, FEED_EVENT_STATUS, STATUS_VALID, T0 + 101);
    testkit_feed_cut(&x->f75);
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0 + 120);
    assert_int_equal(sync_at(r, &x->net, T0 + 130, &rep, NULL, 0), API_OK);
    status_of(r, "FR-75", 101, &st);
    assert_int_equal(st.status, STATUS_REVOKED);
    status_of(r, "FR-75", 105, &st);
    assert_int_equal(st.status, STATUS_VALID);
    assert_true(st.extended_until == T0 + 60 * DAY);
    assert_true(st.as_of == T0 + 120);
    replica_close(r);
}

/* The replica reports as_of; whether that is fresh is the verification's to say (verify_status_fresh). */
static void test_staleness(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    verify_status st;
    status_of(r, "FR-75", 100, &st);
    assert_true(st.as_of == T0);
    assert_int_equal(verify_status_fresh(&st, T0 + 24 * 3600, VERIFY_DEFAULT_MAX_STALENESS), 1);
    status_of(r, "FR-75", 100, &st);
    assert_int_equal(verify_status_fresh(&st, T0 + 24 * 3600 + 1, VERIFY_DEFAULT_MAX_STALENESS), 0);
    assert_int_equal(st.held, 1);
    assert_int_equal(st.status, STATUS_REVOKED);
    status_of(r, "FR-75", 100, &st);
    assert_int_equal(verify_status_fresh(&st, T0 + 3601, 3600), 0);
    /* a new checkpoint makes it fresh again */
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0 + 3600);
    assert_int_equal(sync_at(r, &x->net, T0 + 3601, &rep, NULL, 0), API_OK);
    status_of(r, "FR-75", 100, &st);
    assert_int_equal(verify_status_fresh(&st, T0 + 3601, 3600), 1);
    assert_true(st.as_of == T0 + 3600);
    replica_close(r);

    /* at the system's time: a checkpoint two days old is stale by the default bound */
    char dir2[TESTKIT_DIR_MAX];
    assert_int_equal(testkit_tmpdir(dir2, "api-replica"), 0);
    int64_t now = (int64_t)time(NULL);
    testkit_net n2;
    testkit_net_init(&n2);
    testkit_feed_publish(&x->f75, &n2, FEED75, now - 2 * DAY);
    testkit_feed_publish(&x->f13, &n2, FEED13, now - 60);
    r = open_with_trust(dir2, &x->fe);
    assert_int_equal(sync_at(r, &n2, now, &rep, NULL, 0), API_OK);
    status_of(r, "FR-75", 100, &st);
    assert_int_equal(verify_status_fresh(&st, now, VERIFY_DEFAULT_MAX_STALENESS), 0);
    status_of(r, "FR-13", 500, &st);
    assert_int_equal(verify_status_fresh(&st, now, VERIFY_DEFAULT_MAX_STALENESS), 1);
    replica_close(r);
    testkit_net_free(&n2);
    assert_int_equal(testkit_tmpdir_remove(dir2), 0);
}

static void test_mirror_second_replica(void **state)
{
    fixture *x = *state;
    testkit_feed_publish_snapshot(&x->f75, &x->net, FEED75, T0 - 10); /* A starts FR-75 from a snapshot */
    replica *a = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(a, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    for (uint32_t s = 3; s < 6; s++) {
        feed_some(&x->f75, 100 + 10 * s, T0 + 100 + s);
        testkit_feed_cut(&x->f75);
    }
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0 + 120);
    assert_int_equal(sync_at(a, &x->net, T0 + 130, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(a, "FR-75"), 60);

    /* B knows only A: the issuers are down; the trust list also comes from A */
    testkit_net n2;
    testkit_net_init(&n2);
    testkit_net_down(&n2, FEED75);
    testkit_net_down(&n2, FEED13);
    testkit_net_mirror(&n2, "http://mirror-a.test", a);
    uint8_t *tl;
    size_t tl_len;
    int status;
    assert_int_equal(
        testkit_net_fetch(&n2, "http://mirror-a.test/trust/v1/trust-list.cose", &tl, &tl_len, &status),
        API_OK);
    assert_int_equal(status, 200);
    assert_int_equal(tl_len, x->fe.len);
    assert_memory_equal(tl, x->fe.cose, tl_len);
    char dir2[TESTKIT_DIR_MAX];
    assert_int_equal(testkit_tmpdir(dir2, "api-replica"), 0);
    replica *b;
    char err[256];
    assert_int_equal(replica_open(&b, dir2), API_OK);
    assert_int_equal(replica_offer_trust(b, tl, tl_len, x->fe.root.pk, err, sizeof err), API_OK);
    free(tl);
    const char *mirrors[] = {"http://mirror-a.test"};
    assert_int_equal(sync_at(b, &n2, T0 + 140, &rep, mirrors, 1), API_OK);
    assert_string_equal(report_of(&rep, "FR-75")->source, "http://mirror-a.test");
    assert_string_equal(report_of(&rep, "FR-13")->source, "http://mirror-a.test");
    assert_int_equal(held_seq(b, "FR-75"), 60);
    assert_int_equal(held_seq(b, "FR-13"), 10);
    assert_model(b, &x->f75, 90, 170);
    assert_model(b, &x->f13, 490, 520);
    /* B re-serves the same bytes as A (it can be a mirror in turn) */
    const feed_obj kinds[] = {FEED_OBJ_CHECKPOINT, FEED_OBJ_SNAPSHOT, FEED_OBJ_SEGMENT};
    for (size_t i = 0; i < 3; i++) {
        uint8_t *da, *db;
        size_t la, lb;
        uint64_t ca, cb;
        assert_int_equal(replica_feed_get(a, kinds[i], "FR-75", 31, &da, &la, &ca), API_OK);
        assert_int_equal(replica_feed_get(b, kinds[i], "FR-75", 31, &db, &lb, &cb), API_OK);
        assert_int_equal(la, lb);
        assert_memory_equal(da, db, la);
        free(da);
        free(db);
    }
    replica_close(b);
    replica_close(a);
    testkit_net_free(&n2);
    assert_int_equal(testkit_tmpdir_remove(dir2), 0);
}

static void test_forged_segment_refused(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    /* a segment signed by a key not in the trust list, chained and checkpointed by that key too */
    testkit_key forger;
    testkit_key_from_seed(&forger, 0x09);
    feed_some(&x->f75, 300, T0 + 100);
    testkit_feed_cut_with(&x->f75, forger.sk);
    testkit_feed_publish_from(&x->f75, &x->net, FEED75, T0 + 120, 3);
    assert_int_equal(sync_at(r, &x->net, T0 + 130, &rep, NULL, 0), API_ERR_IO);
    const replica_issuer_report *p = report_of(&rep, "FR-75");
    assert_int_equal(p->reached, 0);
    assert_non_null(strstr(p->error, "not in the trust list"));
    assert_int_equal(held_seq(r, "FR-75"), 30);
    verify_status st;
    status_of(r, "FR-75", 300, &st);
    assert_int_equal(st.status, STATUS_VALID);
    /* signed by the key of another issuer of the list */
    testkit_feed g;
    testkit_feed_init(&g, "FR-75", 1, &x->fe.k75);
    for (uint32_t s = 0; s < 3; s++) {
        feed_some(&g, 100 + 10 * s, T0 - 3600 + 10 * s);
        testkit_feed_cut(&g);
    }
    feed_some(&g, 300, T0 + 100);
    testkit_feed_cut_with(&g, x->fe.k13.sk);
    testkit_feed_publish_from(&g, &x->net, FEED75, T0 + 120, 3);
    assert_int_equal(sync_at(r, &x->net, T0 + 130, &rep, NULL, 0), API_ERR_IO);
    assert_non_null(strstr(report_of(&rep, "FR-75")->error, "key of FR-13"));
    assert_int_equal(held_seq(r, "FR-75"), 30);
    /* a checkpoint signed by FR-13's key for FR-75 */
    uint8_t *cose;
    size_t len;
    char url[320];
    testkit_feed_checkpoint_with(&g, &cose, &len, T0 + 200, x->fe.k13.sk, NULL);
    testkit_feed_url(url, sizeof url, FEED75, "FR-75", "checkpoint");
    testkit_net_put(&x->net, url, cose, len);
    free(cose);
    assert_int_equal(sync_at(r, &x->net, T0 + 210, &rep, NULL, 0), API_ERR_IO);
    assert_non_null(strstr(report_of(&rep, "FR-75")->error, "checkpoint"));
    testkit_feed_free(&g);
    replica_close(r);
}

static void test_tampered_segment_refused(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    char url[320];
    testkit_segment_url(url, sizeof url, FEED75, "FR-75", 11);
    size_t len = testkit_net_find(&x->net, url)->len;
    replica_sync_report rep;
    const size_t positions[] = {len / 2, len - 70, len - 1, 40};
    for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
        testkit_net_tamper(&x->net, url, positions[i]);
        assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_ERR_IO);
        assert_int_equal(report_of(&rep, "FR-75")->reached, 0);
        assert_int_equal(held_seq(r, "FR-75"), 0); /* nothing of the batch kept, not even segment 1 */
        uint8_t *data;
        size_t dlen;
        uint64_t containing;
        assert_int_equal(replica_feed_get(r, FEED_OBJ_SEGMENT, "FR-75", 1, &data, &dlen, &containing),
                         API_ERR_NOT_FOUND);
    }
    verify_status st;
    status_of(r, "FR-75", 100, &st);
    assert_int_equal(st.held, 0);
    testkit_net_tamper(&x->net, NULL, 0);
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(r, "FR-75"), 30);
    replica_close(r);
}

static void test_rollback_checkpoint_refused(void **state)
{
    fixture *x = *state;
    char url[320];
    testkit_feed_url(url, sizeof url, FEED75, "FR-75", "checkpoint");
    const testkit_net_obj *o = testkit_net_find(&x->net, url);
    uint8_t *old = malloc(o->len);
    size_t old_len = o->len;
    memcpy(old, o->body, old_len);
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    testkit_feed_event(&x->f75, 100, FEED_EVENT_STATUS, STATUS_REVOKED, T0 + 20); /* no change, a new seq */
    testkit_feed_event(&x->f75, 400, FEED_EVENT_STATUS, STATUS_REVOKED, T0 + 20);
    testkit_feed_cut(&x->f75);
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0 + 60);
    assert_int_equal(sync_at(r, &x->net, T0 + 70, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(r, "FR-75"), 32);
    /* the old checkpoint replayed: lower seq */
    testkit_net_put(&x->net, url, old, old_len);
    assert_int_equal(sync_at(r, &x->net, T0 + 80, &rep, NULL, 0), API_ERR_IO);
    const replica_issuer_report *p = report_of(&rep, "FR-75");
    assert_int_equal(p->rollback, 1);
    assert_int_equal(p->reached, 0);
    replica_counters c;
    assert_int_equal(replica_get_counters(r, &c), API_OK);
    assert_true(c.rollbacks == 1);
    assert_int_equal(held_seq(r, "FR-75"), 32);
    verify_status st;
    status_of(r, "FR-75", 400, &st);
    assert_int_equal(st.status, STATUS_REVOKED);
    assert_true(st.as_of == T0 + 60);
    /* same seq, signed earlier than the one held */
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0 + 59);
    assert_int_equal(sync_at(r, &x->net, T0 + 90, &rep, NULL, 0), API_ERR_IO);
    assert_int_equal(report_of(&rep, "FR-75")->rollback, 1);
    assert_int_equal(replica_get_counters(r, &c), API_OK);
    assert_true(c.rollbacks == 2);
    /* a mirror with the good one: not a failure of the issuer */
    testkit_net n2;
    testkit_net_init(&n2);
    testkit_net_put(&n2, url, old, old_len);
    testkit_feed_publish(&x->f75, &n2, "http://mirror.test", T0 + 100);
    testkit_feed_publish(&x->f13, &n2, FEED13, T0 + 100);
    const char *mirrors[] = {"http://mirror.test"};
    assert_int_equal(sync_at(r, &n2, T0 + 110, &rep, mirrors, 1), API_OK);
    p = report_of(&rep, "FR-75");
    assert_int_equal(p->rollback, 1);
    assert_int_equal(p->reached, 1);
    assert_string_equal(p->source, "http://mirror.test");
    assert_true(p->checkpoint_signed_at == T0 + 100);
    testkit_net_free(&n2);
    free(old);
    replica_close(r);
}

/*
 * Reads fork evidence straight from LMDB, by the layout of replica_int.h
 * written out here: after the fixed part (89 bytes: version, detected_at,
 * held seq and head, offered seq and head), the held checkpoint then the
 * offered one, each after its big-endian u32 length. Returns the count, and
 * both checkpoints of the last.
 */
static size_t fork_evidence(const char *dir, const char *iss, uint8_t **offered, size_t *offered_len,
                            uint8_t **held, size_t *held_len)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "forks", 0, &dbi), 0);
    assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
    uint8_t prefix[40];
    size_t plen = strlen(iss) + 1;
    memcpy(prefix, iss, plen);
    MDB_val k = {plen, prefix}, v;
    size_t n = 0;
    *offered = *held = NULL;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && memcmp(k.mv_data, prefix, plen) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *p = v.mv_data;
        size_t hl = bytes_get_be32(p + 89);
        const uint8_t *q = p + 93 + hl;
        size_t ol = bytes_get_be32(q);
        assert_true(93 + hl + 4 + ol <= v.mv_size);
        free(*offered);
        free(*held);
        *held = malloc(hl + 1);
        *offered = malloc(ol + 1);
        memcpy(*held, p + 93, hl);
        memcpy(*offered, q + 4, ol);
        *held_len = hl;
        *offered_len = ol;
        n++;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return n;
}

static void test_fork_detected(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    char url[320];
    testkit_feed_url(url, sizeof url, FEED75, "FR-75", "checkpoint");
    uint8_t *held_cp = malloc(testkit_net_find(&x->net, url)->len);
    size_t held_cp_len = testkit_net_find(&x->net, url)->len;
    memcpy(held_cp, testkit_net_find(&x->net, url)->body, held_cp_len);

    /* the issuer rewrites history: other events at seqs 1..30, then 31..40 */
    testkit_feed g;
    testkit_feed_init(&g, "FR-75", 1, &x->fe.k75);
    for (uint32_t s = 0; s < 4; s++) {
        feed_some(&g, 700 + 10 * s, T0 + 10 * s);
        testkit_feed_cut(&g);
    }
    testkit_feed_publish(&g, &x->net, FEED75, T0 + 100);
    assert_int_equal(sync_at(r, &x->net, T0 + 110, &rep, NULL, 0), API_ERR_IO);
    const replica_issuer_report *p = report_of(&rep, "FR-75");
    assert_int_equal(p->fork, 1);
    assert_int_equal(p->reached, 0);
    assert_int_equal(p->seq_after, 30);
    replica_counters c;
    assert_int_equal(replica_get_counters(r, &c), API_OK);
    assert_true(c.forks == 1);
    assert_model(r, &x->f75, 90, 140); /* the old state */
    verify_status st;
    status_of(r, "FR-75", 700, &st);
    assert_int_equal(st.status, STATUS_VALID);
    assert_true(st.as_of == T0);
    /* the held checkpoint is still the one served */
    uint8_t *data;
    size_t len;
    uint64_t containing;
    assert_int_equal(replica_feed_get(r, FEED_OBJ_CHECKPOINT, "FR-75", 0, &data, &len, &containing), API_OK);
    assert_int_equal(len, held_cp_len);
    assert_memory_equal(data, held_cp, len);
    free(data);
    /* the same fork seen again is not counted twice; a same-seq fork is a new one */
    assert_int_equal(sync_at(r, &x->net, T0 + 120, &rep, NULL, 0), API_ERR_IO);
    assert_int_equal(report_of(&rep, "FR-75")->fork, 1);
    assert_int_equal(replica_get_counters(r, &c), API_OK);
    assert_true(c.forks == 1);
    testkit_feed h;
    testkit_feed_init(&h, "FR-75", 1, &x->fe.k75);
    for (uint32_t s = 0; s < 3; s++) {
        feed_some(&h, 800 + 10 * s, T0 + 10 * s);
        testkit_feed_cut(&h);
    }
    testkit_feed_publish(&h, &x->net, FEED75, T0 + 130);
    assert_int_equal(sync_at(r, &x->net, T0 + 140, &rep, NULL, 0), API_ERR_IO);
    assert_int_equal(report_of(&rep, "FR-75")->fork, 1);
    assert_int_equal(replica_get_counters(r, &c), API_OK);
    assert_true(c.forks == 2);
    assert_int_equal(held_seq(r, "FR-75"), 30);
    replica_close(r);

    /* the evidence: both checkpoints, byte for byte */
    uint8_t *offered, *held;
    size_t offered_len, held_len;
    assert_int_equal(fork_evidence(x->dir, "FR-75", &offered, &offered_len, &held, &held_len), 2);
    assert_int_equal(held_len, held_cp_len);
    assert_memory_equal(held, held_cp, held_len);
    assert_int_equal(offered_len, testkit_net_find(&x->net, url)->len);
    assert_memory_equal(offered, testkit_net_find(&x->net, url)->body, offered_len);
    free(offered);
    free(held);
    assert_int_equal(fork_evidence(x->dir, "FR-13", &offered, &offered_len, &held, &held_len), 0);
    assert_null(offered);
    assert_null(held);
    free(held_cp);
    testkit_feed_free(&g);
    testkit_feed_free(&h);
}

static void test_future_checkpoint_refused(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0 + REPLICA_MAX_CLOCK_SKEW + 1);
    assert_int_equal(sync_at(r, &x->net, T0, &rep, NULL, 0), API_ERR_IO);
    const replica_issuer_report *p = report_of(&rep, "FR-75");
    assert_int_equal(p->reached, 0);
    assert_non_null(strstr(p->error, "future"));
    assert_int_equal(held_seq(r, "FR-75"), 0);
    assert_int_equal(report_of(&rep, "FR-13")->reached, 1);
    /* within the allowed skew: accepted */
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0 + REPLICA_MAX_CLOCK_SKEW);
    assert_int_equal(sync_at(r, &x->net, T0, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(r, "FR-75"), 30);
    replica_close(r);
}

static void test_trust_list_rollback_refused(void **state)
{
    fixture *x = *state;
    replica *r;
    char err[256];
    assert_int_equal(replica_open(&r, x->dir), API_OK);
    trust_list tl;
    assert_int_equal(replica_trust(r, &tl), API_ERR_NOT_FOUND);
    x->fe.tl.seq = 8;
    tfed_sign(&x->fe);
    assert_int_equal(replica_offer_trust(r, x->fe.cose, x->fe.len, x->fe.root.pk, err, sizeof err), API_OK);
    /* the same list again: a no-op */
    assert_int_equal(replica_offer_trust(r, x->fe.cose, x->fe.len, x->fe.root.pk, err, sizeof err), API_OK);
    /* an older one */
    x->fe.tl.seq = 7;
    tfed_sign(&x->fe);
    assert_int_equal(replica_offer_trust(r, x->fe.cose, x->fe.len, x->fe.root.pk, err, sizeof err),
                     API_ERR_TRUST_LIST);
    assert_non_null(strstr(err, "rollback"));
    /* another list with the same seq */
    x->fe.tl.seq = 8;
    x->fe.tl.iat += 1;
    tfed_sign(&x->fe);
    assert_int_equal(replica_offer_trust(r, x->fe.cose, x->fe.len, x->fe.root.pk, err, sizeof err),
                     API_ERR_TRUST_LIST);
    assert_non_null(strstr(err, "rollback"));
    replica_counters c;
    assert_int_equal(replica_get_counters(r, &c), API_OK);
    assert_true(c.rollbacks == 2);
    assert_true(c.trust_seq == 8);
    /* a list signed by another key */
    testkit_key other;
    testkit_key_from_seed(&other, 0x21);
    uint8_t *cose;
    size_t len;
    x->fe.tl.seq = 9;
    assert_int_equal(trust_sign(&cose, &len, &x->fe.tl, other.sk), API_OK);
    assert_int_equal(replica_offer_trust(r, cose, len, x->fe.root.pk, err, sizeof err), API_ERR_TRUST_LIST);
    free(cose);
    /* a newer one: accepted, held byte for byte */
    tfed_sign(&x->fe);
    assert_int_equal(replica_offer_trust(r, x->fe.cose, x->fe.len, x->fe.root.pk, err, sizeof err), API_OK);
    assert_int_equal(replica_trust(r, &tl), API_OK);
    assert_true(tl.seq == 9);
    assert_int_equal(tl.n, 2);
    trust_free(&tl);
    uint8_t *data;
    uint64_t containing;
    assert_int_equal(replica_feed_get(r, FEED_OBJ_TRUST_LIST, NULL, 0, &data, &len, &containing), API_OK);
    assert_int_equal(len, x->fe.len);
    assert_memory_equal(data, x->fe.cose, len);
    free(data);
    assert_int_equal(replica_get_counters(r, &c), API_OK);
    assert_true(c.trust_seq == 9);
    replica_close(r);
}

static void test_trust_list_next_root(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    char err[256];
    testkit_key root2;
    testkit_key_from_seed(&root2, 0x11);
    /* signed by the next root before it is announced: refused */
    uint8_t *cose;
    size_t len;
    x->fe.tl.seq = 8;
    assert_int_equal(trust_sign(&cose, &len, &x->fe.tl, root2.sk), API_OK);
    assert_int_equal(replica_offer_trust(r, cose, len, x->fe.root.pk, err, sizeof err), API_ERR_TRUST_LIST);
    free(cose);
    /* announced */
    x->fe.tl.has_next_root = 1;
    memcpy(x->fe.tl.next_root, root2.pk, COSE_PK_LEN);
    tfed_sign(&x->fe);
    assert_int_equal(replica_offer_trust(r, x->fe.cose, x->fe.len, x->fe.root.pk, err, sizeof err), API_OK);
    /* then signed by it: accepted with the old pinned root */
    x->fe.tl.seq = 9;
    x->fe.tl.has_next_root = 0;
    assert_int_equal(trust_sign(&cose, &len, &x->fe.tl, root2.sk), API_OK);
    assert_int_equal(replica_offer_trust(r, cose, len, x->fe.root.pk, err, sizeof err), API_OK);
    free(cose);
    /* and the one after, which no longer announces it, too (the root that verified the held list) */
    x->fe.tl.seq = 10;
    assert_int_equal(trust_sign(&cose, &len, &x->fe.tl, root2.sk), API_OK);
    assert_int_equal(replica_offer_trust(r, cose, len, x->fe.root.pk, err, sizeof err), API_OK);
    free(cose);
    replica_counters c;
    assert_int_equal(replica_get_counters(r, &c), API_OK);
    assert_true(c.trust_seq == 10);
    assert_true(c.rollbacks == 0);
    replica_close(r);
}

static void test_compromised_key_refused(void **state)
{
    fixture *x = *state;
    /* FR-75 has a second key, compromised; the feed signed by it is refused, the good one accepted */
    testkit_key bad;
    testkit_key_from_seed(&bad, 0x31);
    trust_entry e;
    testkit_entry(&e, "FR-75", &bad, TRUST_COMPROMISED, 0);
    snprintf(e.feed, sizeof e.feed, "%s", FEED75);
    tfed_add(&x->fe, &e);
    tfed_sign(&x->fe);
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    /* checkpoint signed by the compromised key */
    uint8_t *cose;
    size_t len;
    char url[320];
    testkit_feed_url(url, sizeof url, FEED75, "FR-75", "checkpoint");
    testkit_feed_checkpoint_with(&x->f75, &cose, &len, T0, bad.sk, NULL);
    testkit_net_put(&x->net, url, cose, len);
    free(cose);
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_ERR_IO);
    assert_non_null(strstr(report_of(&rep, "FR-75")->error, "compromised"));
    assert_int_equal(held_seq(r, "FR-75"), 0);
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0);
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    /* a segment signed by the compromised key, in a feed checkpointed by the good key */
    feed_some(&x->f75, 300, T0 + 20);
    testkit_feed_cut_with(&x->f75, bad.sk);
    testkit_feed_publish_from(&x->f75, &x->net, FEED75, T0 + 30, 3);
    assert_int_equal(sync_at(r, &x->net, T0 + 40, &rep, NULL, 0), API_ERR_IO);
    assert_non_null(strstr(report_of(&rep, "FR-75")->error, "compromised"));
    assert_int_equal(held_seq(r, "FR-75"), 30);
    replica_close(r);
}

static void test_retired_key(void **state)
{
    fixture *x = *state;
    /* FR-75's key retired at T0 + 100, a new key active */
    testkit_key k2;
    testkit_key_from_seed(&k2, 0x32);
    x->fe.tl.entries[0].state = TRUST_RETIRED;
    x->fe.tl.entries[0].retired_at = T0 + 100;
    trust_entry e;
    testkit_entry(&e, "FR-75", &k2, TRUST_ACTIVE, 0);
    snprintf(e.feed, sizeof e.feed, "%s", FEED75);
    tfed_add(&x->fe, &e);
    tfed_sign(&x->fe);
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    /* old segments (events before retirement) by the old key, checkpoint by the new key */
    uint8_t *cose;
    size_t len;
    char url[320];
    testkit_feed_url(url, sizeof url, FEED75, "FR-75", "checkpoint");
    testkit_feed_checkpoint_with(&x->f75, &cose, &len, T0 + 200, k2.sk, NULL);
    testkit_net_put(&x->net, url, cose, len);
    free(cose);
    assert_int_equal(sync_at(r, &x->net, T0 + 210, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(r, "FR-75"), 30);
    /* a checkpoint by the retired key after retirement: refused */
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0 + 300);
    assert_int_equal(sync_at(r, &x->net, T0 + 310, &rep, NULL, 0), API_ERR_IO);
    assert_non_null(strstr(report_of(&rep, "FR-75")->error, "retired"));
    /* a segment by the retired key with an event after retirement: refused */
    testkit_feed_event(&x->f75, 300, FEED_EVENT_STATUS, STATUS_REVOKED, T0 + 50);
    testkit_feed_event(&x->f75, 301, FEED_EVENT_STATUS, STATUS_REVOKED, T0 + 150);
    testkit_feed_cut(&x->f75);
    testkit_feed_publish_from(&x->f75, &x->net, FEED75, T0 + 320, 3);
    testkit_feed_checkpoint_with(&x->f75, &cose, &len, T0 + 320, k2.sk, NULL);
    testkit_net_put(&x->net, url, cose, len);
    free(cose);
    assert_int_equal(sync_at(r, &x->net, T0 + 330, &rep, NULL, 0), API_ERR_IO);
    assert_non_null(strstr(report_of(&rep, "FR-75")->error, "retired"));
    assert_int_equal(held_seq(r, "FR-75"), 30);
    replica_close(r);
}

static void test_new_epoch_drops_feed(void **state)
{
    fixture *x = *state;
    testkit_feed_publish_snapshot(&x->f75, &x->net, FEED75, T0 - 10);
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(r, "FR-75"), 30);
    /* a new list, same epochs: nothing dropped */
    char err[256];
    x->fe.tl.seq = 8;
    tfed_sign(&x->fe);
    assert_int_equal(replica_offer_trust(r, x->fe.cose, x->fe.len, x->fe.root.pk, err, sizeof err), API_OK);
    assert_int_equal(held_seq(r, "FR-75"), 30);
    /* FR-75 restored from a backup: epoch 2 */
    x->fe.tl.seq = 9;
    x->fe.tl.entries[0].epoch = 2;
    tfed_sign(&x->fe);
    assert_int_equal(replica_offer_trust(r, x->fe.cose, x->fe.len, x->fe.root.pk, err, sizeof err), API_OK);
    uint64_t seq;
    int64_t at;
    assert_int_equal(replica_issuer_state(r, "FR-75", &seq, &at), API_OK);
    assert_int_equal(seq, 0);
    assert_true(at == 0);
    assert_int_equal(held_seq(r, "FR-13"), 10);
    verify_status st;
    status_of(r, "FR-75", 100, &st);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.status, STATUS_VALID);
    uint8_t *data;
    size_t len;
    uint64_t containing;
    assert_int_equal(replica_feed_get(r, FEED_OBJ_CHECKPOINT, "FR-75", 0, &data, &len, &containing),
                     API_ERR_NOT_FOUND);
    assert_int_equal(replica_feed_get(r, FEED_OBJ_SNAPSHOT, "FR-75", 0, &data, &len, &containing),
                     API_ERR_NOT_FOUND);
    assert_int_equal(replica_feed_get(r, FEED_OBJ_SEGMENT, "FR-75", 1, &data, &len, &containing),
                     API_ERR_NOT_FOUND);
    assert_int_equal(containing, 0);
    /* the old epoch's feed is now refused; the new epoch's is fetched from the start */
    assert_int_equal(sync_at(r, &x->net, T0 + 20, &rep, NULL, 0), API_ERR_IO);
    assert_non_null(strstr(report_of(&rep, "FR-75")->error, "epoch"));
    testkit_feed g;
    testkit_feed_init(&g, "FR-75", 2, &x->fe.k75);
    feed_some(&g, 600, T0 + 30);
    testkit_feed_cut(&g);
    char url[320];
    testkit_feed_url(url, sizeof url, FEED75, "FR-75", "snapshot");
    testkit_net_remove(&x->net, url);
    testkit_feed_publish(&g, &x->net, FEED75, T0 + 40);
    assert_int_equal(sync_at(r, &x->net, T0 + 50, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(r, "FR-75"), 10);
    assert_model(r, &g, 90, 140); /* nothing of the old epoch is left */
    assert_model(r, &g, 590, 620);
    testkit_feed_free(&g);
    replica_close(r);
}

/* ---- the layout on disk (replica_int.h), read and written by hand ---- */

/* Opens the replica's environment in dir directly, as another build of the replica would. */
static MDB_env *raw_open(const char *dir)
{
    MDB_env *env;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
    assert_int_equal(mdb_env_set_mapsize(env, 64u << 20), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_NOTLS, 0600), 0);
    return env;
}

static void raw_put(MDB_txn *txn, const char *db, const void *key, size_t klen, const void *val, size_t vlen)
{
    MDB_dbi dbi;
    assert_int_equal(mdb_dbi_open(txn, db, MDB_CREATE, &dbi), 0);
    MDB_val k = {klen, (void *)(uintptr_t)key}, v = {vlen, (void *)(uintptr_t)val};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
}

/* The value of key in db (a copy, malloc'd), or NULL. */
static uint8_t *raw_get(const char *dir, const char *db, const void *key, size_t klen, size_t *vlen)
{
    MDB_env *env = raw_open(dir);
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
    MDB_val k = {klen, (void *)(uintptr_t)key}, v;
    uint8_t *out = NULL;
    if (mdb_get(txn, dbi, &k, &v) == 0) {
        out = malloc(v.mv_size + 1);
        assert_non_null(out);
        memcpy(out, v.mv_data, v.mv_size);
        *vlen = v.mv_size;
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return out;
}

/* "iss\0" and a big-endian u32 or u64: the keys of status, segments and forks. */
static size_t raw_key(uint8_t *k, const char *iss, uint64_t v, int width)
{
    size_t n = strlen(iss) + 1;
    memcpy(k, iss, n);
    if (width == 4)
        bytes_put_be32(k + n, (uint32_t)v);
    else
        bytes_put_be64(k + n, v);
    return n + (size_t)width;
}

/* A replica whose records an earlier build wrote, byte by byte as replica_int.h lays them out, still reads.
 */
static void test_layout_written_before(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_close(r);
    uint8_t *cp;
    size_t cp_len;
    testkit_feed_checkpoint(&x->f75, &cp, &cp_len, T0);

    MDB_env *env = raw_open(x->dir);
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    /* issuers: version | epoch | seq | head | flags | checkpoint seq | signed_at | snapshot seq | checkpoint
     */
    uint8_t held[74 + FEED_MAX_CHECKPOINT_COSE];
    memset(held, 0, sizeof held);
    held[0] = 1;
    bytes_put_be64(held + 1, 1);
    bytes_put_be64(held + 9, 30);
    memcpy(held + 17, x->f75.head, FEED_HEAD_LEN);
    held[49] = 1;
    bytes_put_be64(held + 50, 30);
    bytes_put_be64(held + 58, (uint64_t)T0);
    bytes_put_be64(held + 66, 0);
    memcpy(held + 74, cp, cp_len);
    raw_put(txn, "issuers", "FR-75", 5, held, 74 + cp_len);
    /* status: status | extension end */
    uint8_t k[64], v[9];
    v[0] = STATUS_REVOKED;
    bytes_put_be64(v + 1, 0);
    raw_put(txn, "status", k, raw_key(k, "FR-75", 100, 4), v, 9);
    v[0] = STATUS_SUSPENDED;
    bytes_put_be64(v + 1, (uint64_t)(T0 + 60 * DAY));
    raw_put(txn, "status", k, raw_key(k, "FR-75", 105, 4), v, 9);
    /* segments: event count | COSE bytes */
    uint8_t *seg = malloc(4 + x->f75.segs[0].len);
    assert_non_null(seg);
    bytes_put_be32(seg, 10);
    memcpy(seg + 4, x->f75.segs[0].cose, x->f75.segs[0].len);
    raw_put(txn, "segments", k, raw_key(k, "FR-75", 1, 8), seg, 4 + x->f75.segs[0].len);
    free(seg);
    uint8_t n[8];
    bytes_put_be64(n, 2);
    raw_put(txn, "meta", "forks", 5, n, 8);
    bytes_put_be64(n, 3);
    raw_put(txn, "meta", "rollbacks", 9, n, 8);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    assert_int_equal(replica_open(&r, x->dir), API_OK);
    verify_status st;
    status_of(r, "FR-75", 100, &st);
    assert_int_equal(st.held, 1);
    assert_true(st.as_of == T0);
    assert_int_equal(st.status, STATUS_REVOKED);
    assert_true(st.extended_until == 0);
    status_of(r, "FR-75", 105, &st);
    assert_int_equal(st.status, STATUS_SUSPENDED);
    assert_true(st.extended_until == T0 + 60 * DAY);
    status_of(r, "FR-75", 101, &st);
    assert_int_equal(st.status, STATUS_VALID);
    assert_true(st.extended_until == 0);
    uint64_t seq;
    int64_t at;
    assert_int_equal(replica_issuer_state(r, "FR-75", &seq, &at), API_OK);
    assert_int_equal(seq, 30);
    assert_true(at == T0);
    uint8_t *data;
    size_t len;
    uint64_t containing;
    assert_int_equal(replica_feed_get(r, FEED_OBJ_CHECKPOINT, "FR-75", 0, &data, &len, &containing), API_OK);
    assert_int_equal(len, cp_len);
    assert_memory_equal(data, cp, len);
    free(data);
    assert_int_equal(replica_feed_get(r, FEED_OBJ_SEGMENT, "FR-75", 1, &data, &len, &containing), API_OK);
    assert_int_equal(len, x->f75.segs[0].len);
    assert_memory_equal(data, x->f75.segs[0].cose, len);
    free(data);
    assert_int_equal(replica_feed_get(r, FEED_OBJ_SEGMENT, "FR-75", 7, &data, &len, &containing),
                     API_ERR_NOT_FOUND);
    assert_int_equal(containing, 1);
    replica_counters c;
    assert_int_equal(replica_get_counters(r, &c), API_OK);
    assert_true(c.forks == 2 && c.rollbacks == 3 && c.trust_seq == x->fe.tl.seq);
    /* and a sync goes on from there (the source has nothing newer) */
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    assert_int_equal(report_of(&rep, "FR-75")->seq_before, 30);
    assert_int_equal(held_seq(r, "FR-75"), 30);
    replica_close(r);
    free(cp);
}

/* What a sync writes is the layout of replica_int.h, byte for byte. */
static void test_layout_written_now(void **state)
{
    fixture *x = *state;
    testkit_feed_publish_snapshot(&x->f75, &x->net, FEED75, T0 - 10);
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    replica_close(r);
    char url[320];
    testkit_feed_url(url, sizeof url, FEED75, "FR-75", "checkpoint");
    const testkit_net_obj *cp = testkit_net_find(&x->net, url);

    size_t len;
    uint8_t *p = raw_get(x->dir, "issuers", "FR-75", 5, &len);
    assert_non_null(p);
    assert_int_equal(len, 74 + cp->len);
    assert_int_equal(p[0], 1);                /* version */
    assert_true(bytes_get_be64(p + 1) == 1);  /* epoch */
    assert_true(bytes_get_be64(p + 9) == 30); /* seq */
    assert_memory_equal(p + 17, x->f75.head, FEED_HEAD_LEN);
    assert_int_equal(p[49], 1 | 2);                      /* a checkpoint and a snapshot held */
    assert_true(bytes_get_be64(p + 50) == 30);           /* checkpoint seq */
    assert_true(bytes_get_be64(p + 58) == (uint64_t)T0); /* its signed_at */
    assert_true(bytes_get_be64(p + 66) == 30);           /* snapshot seq */
    assert_memory_equal(p + 74, cp->body, cp->len);
    free(p);
    /* FR-13 replayed its one segment: no snapshot, the segment kept with its count */
    p = raw_get(x->dir, "issuers", "FR-13", 5, &len);
    assert_non_null(p);
    assert_int_equal(p[49], 1);
    free(p);
    uint8_t k[64];
    p = raw_get(x->dir, "segments", k, raw_key(k, "FR-13", 1, 8), &len);
    assert_non_null(p);
    assert_int_equal(len, 4 + x->f13.segs[0].len);
    assert_int_equal(p[0] | p[1] | p[2], 0);
    assert_int_equal(p[3], 10);
    assert_memory_equal(p + 4, x->f13.segs[0].cose, x->f13.segs[0].len);
    free(p);
    /* status: revoked 100, extended 103 (valid), nothing for 104 (valid again, never extended) */
    p = raw_get(x->dir, "status", k, raw_key(k, "FR-75", 100, 4), &len);
    assert_non_null(p);
    assert_int_equal(len, 9);
    assert_int_equal(p[0], STATUS_REVOKED);
    assert_true(bytes_get_be64(p + 1) == 0);
    free(p);
    p = raw_get(x->dir, "status", k, raw_key(k, "FR-75", 103, 4), &len);
    assert_non_null(p);
    assert_int_equal(p[0], STATUS_VALID);
    assert_true(bytes_get_be64(p + 1) == (uint64_t)(T0 + 120 * DAY));
    free(p);
    assert_null(raw_get(x->dir, "status", k, raw_key(k, "FR-75", 104, 4), &len));
    p = raw_get(x->dir, "meta", "trust_seq", 9, &len);
    assert_non_null(p);
    assert_int_equal(len, 8);
    assert_true(bytes_get_be64(p) == x->fe.tl.seq);
    free(p);
    p = raw_get(x->dir, "snapshots", "FR-75", 5, &len);
    assert_non_null(p);
    testkit_feed_url(url, sizeof url, FEED75, "FR-75", "snapshot");
    assert_int_equal(len, testkit_net_find(&x->net, url)->len);
    free(p);
}

/* A source whose URL would be too long is a failed source (the syncer builds URLs, and refuses this one). */
static void test_source_url_too_long(void **state)
{
    fixture *x = *state;
    char mirror[400];
    snprintf(mirror, sizeof mirror, "http://%0*d.test", 380, 0);
    testkit_net_down(&x->net, FEED75);
    const char *mirrors[] = {mirror};
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    size_t before = x->net.fetches;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, mirrors, 1), API_ERR_IO);
    const replica_issuer_report *p = report_of(&rep, "FR-75");
    assert_int_equal(p->reached, 0);
    assert_non_null(strstr(p->error, "checkpoint: URL too long"));
    assert_int_equal(report_of(&rep, "FR-13")->reached, 1);
    assert_int_equal(x->net.fetches - before,
                     1 + 3); /* FR-75's feed (down); FR-13's checkpoint, snapshot, segment */
    syncer_answer a;
    assert_int_equal(syncer_get(&a, testkit_net_fetch, &x->net, mirror, "/feed/v1/FR-75/checkpoint"), -1);
    assert_null(a.body);
    replica_close(r);
}

static void test_segment_not_at_boundary(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    uint8_t *data;
    size_t len;
    uint64_t containing = 99;
    for (uint64_t first = 1; first <= 30; first++) {
        api_err e = replica_feed_get(r, FEED_OBJ_SEGMENT, "FR-75", first, &data, &len, &containing);
        if ((first - 1) % 10 == 0) {
            assert_int_equal(e, API_OK);
            const testkit_segment *s = &x->f75.segs[(first - 1) / 10];
            assert_int_equal(len, s->len);
            assert_memory_equal(data, s->cose, len);
            free(data);
        } else {
            assert_int_equal(e, API_ERR_NOT_FOUND);
            assert_int_equal(containing, (first - 1) / 10 * 10 + 1);
        }
    }
    const struct {
        const char *iss;
        uint64_t first;
    } none[] = {{"FR-75", 0},  {"FR-75", 31}, {"FR-75", 1000}, {"FR-7", 5},
                {"FR-750", 5}, {"FR-13", 11}, {"FR-00", 3},    {"", 1}};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        containing = 99;
        assert_int_equal(
            replica_feed_get(r, FEED_OBJ_SEGMENT, none[i].iss, none[i].first, &data, &len, &containing),
            API_ERR_NOT_FOUND);
        assert_int_equal(containing, 0);
    }
    containing = 99;
    assert_int_equal(replica_feed_get(r, FEED_OBJ_SEGMENT, "FR-13", 7, &data, &len, &containing),
                     API_ERR_NOT_FOUND);
    assert_int_equal(containing, 1);
    assert_int_equal(replica_feed_get(r, FEED_OBJ_CHECKPOINT, "FR-99", 0, &data, &len, &containing),
                     API_ERR_NOT_FOUND);
    replica_close(r);
}

static void test_unreachable_issuer_with_mirror(void **state)
{
    fixture *x = *state;
    testkit_net_down(&x->net, FEED75);
    testkit_feed_publish(&x->f75, &x->net, "http://mirror-1.test/base/", T0);
    const char *mirrors[] = {"http://mirror-0.test", "http://mirror-1.test/base/"};
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, mirrors, 2), API_OK);
    const replica_issuer_report *p = report_of(&rep, "FR-75");
    assert_int_equal(p->reached, 1);
    assert_string_equal(p->source, "http://mirror-1.test/base/");
    assert_int_equal(p->seq_after, 30);
    assert_string_equal(report_of(&rep, "FR-13")->source, FEED13);
    assert_model(r, &x->f75, 90, 140);
    replica_close(r);
}

static void test_unreached_issuer_is_io(void **state)
{
    fixture *x = *state;
    testkit_net_down(&x->net, FEED13);
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    const char *mirrors[] = {"http://mirror-0.test"};
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, mirrors, 1), API_ERR_IO);
    assert_int_equal(report_of(&rep, "FR-75")->reached, 1);
    const replica_issuer_report *p = report_of(&rep, "FR-13");
    assert_int_equal(p->reached, 0);
    assert_int_equal(p->source[0], '\0');
    assert_true(p->error[0] != '\0');
    assert_int_equal(held_seq(r, "FR-75"), 30);
    /* no trust list: nothing to sync */
    char dir2[TESTKIT_DIR_MAX];
    assert_int_equal(testkit_tmpdir(dir2, "api-replica"), 0);
    replica *r2;
    assert_int_equal(replica_open(&r2, dir2), API_OK);
    assert_int_equal(replica_sync(r2, NULL, 0, testkit_net_fetch, &x->net, T0, NULL, &rep),
                     API_ERR_NOT_FOUND);
    replica_close(r2);
    assert_int_equal(testkit_tmpdir_remove(dir2), 0);
    replica_close(r);
}

static void test_bad_sources(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    char url[320];
    /* an oversized checkpoint body */
    uint8_t *big = calloc(1, FEED_MAX_CHECKPOINT_COSE + 1);
    testkit_feed_url(url, sizeof url, FEED75, "FR-75", "checkpoint");
    testkit_net_put(&x->net, url, big, FEED_MAX_CHECKPOINT_COSE + 1);
    free(big);
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_ERR_IO);
    assert_non_null(strstr(report_of(&rep, "FR-75")->error, "larger"));
    /* a checkpoint of another issuer */
    testkit_feed g;
    testkit_feed_init(&g, "FR-13", 1, &x->fe.k13);
    uint8_t *cose;
    size_t len;
    testkit_feed_checkpoint(&g, &cose, &len, T0);
    testkit_net_put(&x->net, url, cose, len);
    free(cose);
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_ERR_IO);
    assert_non_null(strstr(report_of(&rep, "FR-75")->error, "issuer FR-13"));
    testkit_feed_free(&g);
    /* a segment that goes past the checkpoint: the checkpoint says 15, segment 11 runs to 20 */
    feed_checkpoint c;
    memset(&c, 0, sizeof c);
    strcpy(c.iss, "FR-75");
    c.epoch = 1;
    c.seq = 15;
    c.signed_at = T0;
    assert_int_equal(feed_checkpoint_sign(&cose, &len, &c, x->fe.k75.sk), API_OK);
    testkit_net_put(&x->net, url, cose, len);
    free(cose);
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_ERR_IO);
    assert_non_null(strstr(report_of(&rep, "FR-75")->error, "past the checkpoint"));
    assert_int_equal(held_seq(r, "FR-75"), 0);
    /* a missing segment */
    testkit_feed_publish(&x->f75, &x->net, FEED75, T0);
    testkit_segment_url(url, sizeof url, FEED75, "FR-75", 21);
    testkit_net_remove(&x->net, url);
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_ERR_IO);
    assert_non_null(strstr(report_of(&rep, "FR-75")->error, "HTTP 404"));
    assert_int_equal(held_seq(r, "FR-75"), 0);
    /* a snapshot inconsistent with the checkpoint (same seq, another head) */
    testkit_feed h;
    testkit_feed_init(&h, "FR-75", 1, &x->fe.k75);
    for (uint32_t s = 0; s < 3; s++) {
        feed_some(&h, 800 + 10 * s, T0 + s);
        testkit_feed_cut(&h);
    }
    testkit_feed_publish_snapshot(&h, &x->net, FEED75, T0);
    testkit_feed_free(&h);
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_ERR_IO);
    assert_non_null(strstr(report_of(&rep, "FR-75")->error, "snapshot"));
    /* a good snapshot: synced without segment 21 */
    testkit_feed_publish_snapshot(&x->f75, &x->net, FEED75, T0);
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(r, "FR-75"), 30);
    replica_close(r);
}

static void test_batch_bound(void **state)
{
    fixture *x = *state;
    testkit_feed g;
    testkit_feed_init(&g, "FR-13", 1, &x->fe.k13);
    for (uint32_t s = 0; s < 205; s++) {
        testkit_feed_event(&g, s, FEED_EVENT_STATUS, STATUS_SUSPENDED, T0 - 1000 + s);
        testkit_feed_cut(&g);
    }
    testkit_feed_publish(&g, &x->net, FEED13, T0);
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(r, "FR-13"), 200);
    verify_status st;
    status_of(r, "FR-13", 10, &st);
    assert_int_equal(st.held, 0); /* no checkpoint vouches for seq 200 yet */
    uint8_t *data;
    size_t len;
    uint64_t containing;
    assert_int_equal(replica_feed_get(r, FEED_OBJ_SEGMENT, "FR-13", 200, &data, &len, &containing), API_OK);
    free(data);
    assert_int_equal(sync_at(r, &x->net, T0 + 20, &rep, NULL, 0), API_OK);
    assert_int_equal(held_seq(r, "FR-13"), 205);
    assert_model(r, &g, 0, 210);
    testkit_feed_free(&g);
    replica_close(r);
}

typedef struct {
    replica *r;
    const testkit_feed *f;
    int bad;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *a = p;
    trust_entry e;
    memset(&e, 0, sizeof e);
    strcpy(e.id, "FR-75");
    for (int round = 0; round < 2000; round++)
        for (uint32_t idx = 95; idx < 135; idx++) {
            verify_status st;
            if (replica_status(a->r, &e, idx, &st) != 0 || !st.held)
                a->bad++;
            else if (st.status != feed_bits_get(a->f->bits, idx) || st.extended_until != a->f->ext[idx])
                a->bad++;
        }
    return NULL;
}

static void test_concurrent_readers(void **state)
{
    fixture *x = *state;
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_sync_report rep;
    assert_int_equal(sync_at(r, &x->net, T0 + 10, &rep, NULL, 0), API_OK);
    pthread_t t[8];
    reader_arg a[8];
    for (int i = 0; i < 8; i++) {
        a[i] = (reader_arg){r, &x->f75, 0};
        assert_int_equal(pthread_create(&t[i], NULL, reader, &a[i]), 0);
    }
    /* a sync writing meanwhile (FR-13 only changes) */
    feed_some(&x->f13, 510, T0 + 5);
    testkit_feed_cut(&x->f13);
    testkit_feed_publish(&x->f13, &x->net, FEED13, T0 + 20);
    assert_int_equal(sync_at(r, &x->net, T0 + 30, &rep, NULL, 0), API_OK);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(a[i].bad, 0);
    }
    replica_close(r);
}

/* ---- crash consistency ---- */

#define CRASH_SEGMENTS    30
#define CRASH_EVENTS      10000
#define CRASH_CHECKPOINTS 3 /* at 10, 20 and 30 segments */
#define CRASH_IDX         131072u
#define CRASH_ROUNDS      20  /* kills of a child during its sync */
#define CRASH_ROUNDS_SOAK 200 /* with SOAK=1 (make soak) */

typedef struct {
    uint8_t st[CRASH_IDX];
    int64_t ext[CRASH_IDX];
} crash_model;

/* Events that follow the transitions of the design (finals stay final, extensions only lengthen). */
static void crash_build(testkit_feed *f, crash_model *at /* [CRASH_CHECKPOINTS + 1] */, uint8_t **cps,
                        size_t *cp_lens)
{
    uint64_t rng = 0x5eed;
    crash_model *m = calloc(1, sizeof *m);
    assert_non_null(m);
    at[0] = *m;
    for (int s = 0; s < CRASH_SEGMENTS; s++) {
        for (int i = 0; i < CRASH_EVENTS; i++) {
            uint32_t idx;
            int tries = 0;
            do idx = (uint32_t)(testkit_rand(&rng) % CRASH_IDX);
            while ((m->st[idx] == STATUS_REVOKED || m->st[idx] == STATUS_SUPERSEDED) && ++tries < 20);
            int64_t t = T0 - 30 * DAY + s * 3600 + i / 10;
            unsigned roll = (unsigned)(testkit_rand(&rng) % 100);
            if (m->st[idx] == STATUS_REVOKED || m->st[idx] == STATUS_SUPERSEDED) {
                /* a final one: extensions are not allowed, repeat the final status */
                testkit_feed_event(f, idx, FEED_EVENT_STATUS, m->st[idx], t);
            } else if (roll < 45) {
                int64_t until =
                    (m->ext[idx] ? m->ext[idx] : T0) + 1 + (int64_t)(testkit_rand(&rng) % (90 * DAY));
                m->ext[idx] = until;
                testkit_feed_event(f, idx, FEED_EVENT_EXTENSION, until, t);
            } else {
                unsigned st = m->st[idx] == STATUS_SUSPENDED ? (roll < 75   ? STATUS_VALID
                                                                : roll < 88 ? STATUS_REVOKED
                                                                            : STATUS_SUPERSEDED)
                                                             : (roll < 80   ? STATUS_SUSPENDED
                                                                : roll < 90 ? STATUS_REVOKED
                                                                            : STATUS_SUPERSEDED);
                m->st[idx] = (uint8_t)st;
                testkit_feed_event(f, idx, FEED_EVENT_STATUS, st, t);
            }
        }
        testkit_feed_cut(f);
        if ((s + 1) % (CRASH_SEGMENTS / CRASH_CHECKPOINTS) == 0) {
            int k = (s + 1) / (CRASH_SEGMENTS / CRASH_CHECKPOINTS);
            at[k] = *m;
            testkit_feed_checkpoint(f, &cps[k - 1], &cp_lens[k - 1], T0 + k);
        }
    }
    free(m);
}

/* The child: opens the replica and syncs through the three checkpoints, then exits. */
static void crash_child(const char *dir, testkit_net *net, uint8_t **cps, size_t *cp_lens)
{
    replica *r;
    if (replica_open(&r, dir) != API_OK) _exit(2);
    char url[320];
    testkit_feed_url(url, sizeof url, FEED75, "FR-75", "checkpoint");
    for (int k = 0; k < CRASH_CHECKPOINTS; k++) {
        testkit_net_put(net, url, cps[k], cp_lens[k]);
        replica_sync_report rep;
        replica_sync(r, NULL, 0, testkit_net_fetch, net, T0 + 10, NULL, &rep); /* FR-13 is down: API_ERR_IO */
        if (rep.n != 2 || !rep.issuers[0].reached) _exit(3);
    }
    replica_close(r);
    _exit(0);
}

static void crash_check(const char *dir, const crash_model *at, size_t *seen)
{
    replica *r;
    assert_int_equal(replica_open(&r, dir), API_OK);
    uint64_t seq;
    int64_t signed_at;
    assert_int_equal(replica_issuer_state(r, "FR-75", &seq, &signed_at), API_OK);
    assert_true(seq % ((uint64_t)CRASH_EVENTS * CRASH_SEGMENTS / CRASH_CHECKPOINTS) == 0);
    int k = (int)(seq / ((uint64_t)CRASH_EVENTS * CRASH_SEGMENTS / CRASH_CHECKPOINTS));
    assert_true(k <= CRASH_CHECKPOINTS);
    if (seen) seen[k]++;
    if (k > 0) assert_true(signed_at == T0 + k);
    const crash_model *m = &at[k];
    trust_entry e;
    memset(&e, 0, sizeof e);
    strcpy(e.id, "FR-75");
    for (uint32_t idx = 0; idx < CRASH_IDX; idx++) {
        verify_status st;
        assert_int_equal(replica_status(r, &e, idx, &st), 0);
        assert_int_equal(st.held, k > 0);
        if (st.status != m->st[idx] || st.extended_until != m->ext[idx])
            fail_msg("after a crash at seq %" PRIu64 ": idx %u has %u/%" PRId64 ", expected %u/%" PRId64, seq,
                     idx, st.status, st.extended_until, m->st[idx], m->ext[idx]);
    }
    replica_close(r);
}

static void test_crash_consistency(void **state)
{
    fixture *x = *state;
    testkit_feed f;
    testkit_feed_init(&f, "FR-75", 1, &x->fe.k75);
    crash_model *at = calloc(CRASH_CHECKPOINTS + 1, sizeof *at);
    assert_non_null(at);
    uint8_t *cps[CRASH_CHECKPOINTS];
    size_t cp_lens[CRASH_CHECKPOINTS];
    crash_build(&f, at, cps, cp_lens);
    testkit_net net;
    testkit_net_init(&net);
    testkit_feed_publish(&f, &net, FEED75, T0); /* segments; the checkpoint is set by the child */
    testkit_net_down(&net, FEED13);
    /* the trust list, once, then how long a whole run takes */
    replica *r = open_with_trust(x->dir, &x->fe);
    replica_close(r);
    char dir[TESTKIT_DIR_MAX];
    assert_int_equal(testkit_tmpdir(dir, "api-replica"), 0);
    int64_t t = testkit_now_ms();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        r = open_with_trust(dir, &x->fe);
        replica_close(r);
        crash_child(dir, &net, cps, cp_lens);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int64_t full = testkit_now_ms() - t; /* ms; the kills are spread over it */
    assert_int_equal(testkit_tmpdir_remove(dir), 0);
    size_t seen[CRASH_CHECKPOINTS + 1] = {0};
    uint64_t rng = 0xc0ffee;
    const int rounds = testkit_soak() ? CRASH_ROUNDS_SOAK : CRASH_ROUNDS;
    for (int i = 0; i < rounds; i++) {
        assert_int_equal(testkit_tmpdir(dir, "api-replica"), 0);
        r = open_with_trust(dir, &x->fe);
        replica_close(r);
        /* spread over a run and a tenth past it, so that a sync that completed is among the states seen */
        int64_t span = full + full / 10;
        int64_t delay = span * i / rounds + (int64_t)(testkit_rand(&rng) % (uint64_t)(span / rounds + 1));
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) crash_child(dir, &net, cps, cp_lens);
        usleep((useconds_t)(delay * 1000));
        kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        crash_check(dir, at, seen);
        /* a later sync completes */
        r = open_with_trust(dir, &x->fe);
        char url[320];
        testkit_feed_url(url, sizeof url, FEED75, "FR-75", "checkpoint");
        testkit_net_put(&net, url, cps[CRASH_CHECKPOINTS - 1], cp_lens[CRASH_CHECKPOINTS - 1]);
        replica_sync_report rep;
        assert_int_equal(sync_at(r, &net, T0 + 20, &rep, NULL, 0), API_ERR_IO);
        assert_int_equal(report_of(&rep, "FR-75")->reached, 1);
        assert_int_equal(held_seq(r, "FR-75"), (uint64_t)CRASH_SEGMENTS * CRASH_EVENTS);
        replica_close(r);
        if (i % 5 == 0) crash_check(dir, at, NULL);
        assert_int_equal(testkit_tmpdir_remove(dir), 0);
    }
    print_message("crash test: %d kills over a run of %" PRId64
                  " ms; states seen after a kill: %zu %zu %zu %zu\n",
                  rounds, full, seen[0], seen[1], seen[2], seen[3]);
    for (int k = 0; k < CRASH_CHECKPOINTS; k++) free(cps[k]);
    free(at);
    testkit_net_free(&net);
    testkit_feed_free(&f);
}

/* ---- the syncer over real sockets: a stalled source is dropped, the next one serves ---- */

/*
 * A server on 127.0.0.1 in a thread, one connection at a time. It serves
 * the objects of a testkit_net published under its own base URL (200 with a
 * length, or 404), except the paths that contain `trickle` ("" for all):
 * those get a head and a body sent one byte every 200 ms, until the client
 * is gone or stop is asked.
 */
typedef struct {
    int lfd, port;
    char base[64];
    const testkit_net *net;
    const char *trickle; /* NULL: serve everything */
    int stop_pipe[2];
    pthread_t th;
    size_t requests;
    size_t trickled;
} httpsrv;

/*
 * A trickled answer: a byte every TRICKLE_STEP_MS, 20.8 s for the whole.
 * A sync that waited one out would exceed the bound the test sets on a
 * sync whose stalls were each cut at its 1 s timeout.
 */
#define TRICKLE_STEP_MS       200
#define STALLED_SYNC_BOUND_MS (2 * TESTKIT_BOUND_MS)
static const char trickled_answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n"
                                      "0123456789012345678901234567890123456789012345678901234567890123";
_Static_assert((sizeof trickled_answer - 1) * TRICKLE_STEP_MS > STALLED_SYNC_BOUND_MS,
               "a trickled answer waited out must exceed the bound on the sync");

static int httpsrv_stopped(httpsrv *s, int wait_ms)
{
    struct pollfd pf = {s->stop_pipe[0], POLLIN, 0};
    return poll(&pf, 1, wait_ms) != 0;
}

static void httpsrv_send(int c, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t w = send(c, b, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        b += w;
        n -= (size_t)w;
    }
}

static void httpsrv_answer(httpsrv *s, int c)
{
    char req[4096], path[1024], url[1200];
    size_t n = 0;
    req[0] = '\0';
    while (n < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
        struct pollfd pf = {c, POLLIN, 0};
        if (poll(&pf, 1, 5000) != 1) return;
        ssize_t r = recv(c, req + n, sizeof req - 1 - n, 0);
        if (r <= 0) return;
        n += (size_t)r;
        req[n] = '\0';
    }
    if (sscanf(req, "GET %1023s HTTP/1.1", path) != 1) return;
    s->requests++;
    if (s->trickle && strstr(path, s->trickle)) {
        s->trickled++;
        for (size_t i = 0; i < sizeof trickled_answer - 1 && !httpsrv_stopped(s, TRICKLE_STEP_MS); i++)
            if (send(c, trickled_answer + i, 1, MSG_NOSIGNAL) != 1) return;
        return;
    }
    snprintf(url, sizeof url, "%s%s", s->base, path);
    const testkit_net_obj *o = testkit_net_find(s->net, url);
    char head[128];
    int hl = snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                      o ? "200 OK" : "404 Not Found", o ? o->len : 0);
    httpsrv_send(c, head, (size_t)hl);
    if (o) httpsrv_send(c, o->body, o->len);
}

static void *httpsrv_run(void *p)
{
    httpsrv *s = p;
    for (;;) {
        struct pollfd pf[2] = {{s->stop_pipe[0], POLLIN, 0}, {s->lfd, POLLIN, 0}};
        int r = poll(pf, 2, 60000);
        if (r == 0 || pf[0].revents) break;
        if (r < 0 || !(pf[1].revents & POLLIN)) continue;
        int c = accept(s->lfd, NULL, NULL);
        if (c < 0) continue;
        httpsrv_answer(s, c);
        close(c);
    }
    return NULL;
}

/* Binds 127.0.0.1 on a port the OS picks: base is known, nothing served yet. */
static void httpsrv_bind(httpsrv *s, const testkit_net *net, const char *trickle)
{
    memset(s, 0, sizeof *s);
    s->net = net;
    s->trickle = trickle;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->lfd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(s->lfd, 8), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &sl), 0);
    s->port = ntohs(sa.sin_port);
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
    assert_int_equal(pipe(s->stop_pipe), 0);
}

/* Serves from now on: the testkit_net must not change until httpsrv_stop. */
static void httpsrv_start(httpsrv *s)
{
    assert_int_equal(pthread_create(&s->th, NULL, httpsrv_run, s), 0);
}

static void httpsrv_stop(httpsrv *s)
{
    assert_int_equal(write(s->stop_pipe[1], "x", 1), 1);
    pthread_join(s->th, NULL);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    close(s->lfd);
}

/*
 * Both issuers' feed URLs point at `stalled` (first source); the mirror
 * `good` (second) serves everything. Runs one sync with a 1 s timeout and
 * checks it succeeded from the mirror, within a bound that a sync stuck on
 * the stalled source would exceed.
 */
static void sync_past_stalled_source(fixture *x, const char *trickle)
{
    httpsrv stalled, good;
    httpsrv_bind(&stalled, &x->net, trickle);
    httpsrv_bind(&good, &x->net, NULL);
    for (size_t i = 0; i < x->fe.tl.n; i++)
        snprintf(x->fe.tl.entries[i].feed, TRUST_FEED_MAX, "%s", stalled.base);
    tfed_sign(&x->fe);
    testkit_feed_publish(&x->f75, &x->net, stalled.base, T0);
    testkit_feed_publish(&x->f13, &x->net, stalled.base, T0);
    testkit_feed_publish(&x->f75, &x->net, good.base, T0);
    testkit_feed_publish(&x->f13, &x->net, good.base, T0);
    httpsrv_start(&stalled);
    httpsrv_start(&good);

    replica *r = open_with_trust(x->dir, &x->fe);
    syncer_config cfg;
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.root_pk, x->fe.root.pk, sizeof cfg.root_pk);
    const char *mirrors[] = {good.base};
    cfg.mirrors = mirrors;
    cfg.n_mirrors = 1;
    cfg.timeout_ms = 1000;
    syncer_result *res = malloc(sizeof *res);
    assert_non_null(res);
    char *buf = NULL;
    size_t blen = 0;
    FILE *log = open_memstream(&buf, &blen);
    assert_non_null(log);
    int64_t t0 = testkit_now_ms();
    api_err e = syncer_run(r, &cfg, T0 + 10, log, res);
    int64_t took = testkit_now_ms() - t0;
    fclose(log);
    if (getenv("REPLICA_TEST_LOG")) fprintf(stderr, "%s(%lld ms)\n", buf, (long long)took);
    httpsrv_stop(&stalled);
    httpsrv_stop(&good);

    assert_int_equal(e, API_OK);
    /* two stalls cut at 1 s and the rest, each far within TESTKIT_BOUND_MS; not a figure of speed */
    assert_true(took < STALLED_SYNC_BOUND_MS);
    const char *iss[] = {"FR-75", "FR-13"};
    for (size_t i = 0; i < 2; i++) {
        const replica_issuer_report *p = report_of(&res->feeds, iss[i]);
        assert_int_equal(p->reached, 1);
        assert_string_equal(p->source, good.base);
    }
    assert_true(stalled.trickled >= 2); /* each issuer met the stall first */
    assert_non_null(strstr(buf, "unreachable (io)"));
    assert_int_equal(held_seq(r, "FR-75"), x->f75.seq);
    assert_int_equal(held_seq(r, "FR-13"), x->f13.seq);
    assert_model(r, &x->f75, 90, 140);
    assert_model(r, &x->f13, 490, 520);
    free(buf);
    free(res);
    replica_close(r);
}

static void test_syncer_source_trickles(void **state)
{
    sync_past_stalled_source(*state, ""); /* every answer of the issuers' feeds, from the first byte */
}

static void test_syncer_source_stalls_mid_batch(void **state)
{
    sync_past_stalled_source(*state, "/segments/"); /* checkpoints served, segments trickled */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_sync_snapshot_and_segments, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_incremental_sync, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_status_values_reach_replica_status, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_staleness, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_mirror_second_replica, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_forged_segment_refused, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tampered_segment_refused, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_rollback_checkpoint_refused, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fork_detected, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_future_checkpoint_refused, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trust_list_rollback_refused, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trust_list_next_root, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_compromised_key_refused, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_retired_key, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_new_epoch_drops_feed, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_compaction_keeps_newest_snapshot, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_newer_epoch_is_a_fork, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_layout_written_before, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_layout_written_now, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_source_url_too_long, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_segment_not_at_boundary, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_issuer_with_mirror, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unreached_issuer_is_io, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_bad_sources, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_batch_bound, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_readers, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_crash_consistency, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_syncer_source_trickles, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_syncer_source_stalls_mid_batch, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests_name("replica", tests, NULL, NULL);
}
