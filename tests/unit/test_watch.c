/*
 * test_watch.c: followed attestations in the replica (verifier/watch.h):
 * following (new, again, another key, the per-key bound, a skipped
 * target), reading (one, a key's list in pages, another key's is not
 * found), stopping; the changes a sync derives from the feed, in the
 * transaction that applies it (each kind, only for followed indices, in
 * order, after a cursor, never twice when the same feed is offered
 * again), the first sync from a snapshot, and the changes time brings
 * (ending_soon and ended once each, armed again by an extension, purges
 * after the retention); watch ids as text, well-formed or not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qr/feed.h"
#include "qr/status.h"
#include "qr/trust.h"
#include "tests/unit/testkit.h"
#include "verifier/replica.h"
#include "verifier/watch.h"

#define FEED75 "http://feed-75.test"
#define DAY    86400

static int64_t T0; /* 2026-10-01T12:00:00Z */

typedef struct {
    char dir[TESTKIT_DIR_MAX];
    testkit_key root, k75;
    trust_list tl;
    uint8_t *tl_cose;
    size_t tl_len;
    testkit_net net;
    testkit_feed f;
    replica *r;
} fixture;

static int fixture_setup(void **state)
{
    fixture *x = calloc(1, sizeof *x);
    if (!x) return -1;
    T0 = testkit_time("2026-10-01T12:00:00Z");
    if (testkit_tmpdir(x->dir, "api-watch") != 0) {
        free(x);
        return -1;
    }
    testkit_root(&x->root);
    testkit_fr75(&x->k75);
    if (testkit_trust_list(&x->tl) != 0) return -1;
    snprintf(x->tl.entries[0].feed, TRUST_FEED_MAX, "%s", FEED75);
    if (trust_sign(&x->tl_cose, &x->tl_len, &x->tl, x->root.sk) != API_OK) return -1;
    testkit_net_init(&x->net);
    testkit_feed_init(&x->f, "FR-75", 1, &x->k75);
    char err[256];
    if (replica_open(&x->r, x->dir) != API_OK ||
        replica_offer_trust(x->r, x->tl_cose, x->tl_len, x->root.pk, err, sizeof err) != API_OK)
        return -1;
    *state = x;
    return 0;
}

static int fixture_teardown(void **state)
{
    fixture *x = *state;
    replica_close(x->r);
    testkit_feed_free(&x->f);
    testkit_net_free(&x->net);
    trust_free(&x->tl);
    free(x->tl_cose);
    testkit_tmpdir_remove(x->dir);
    free(x);
    return 0;
}

/* Cuts the queued events, publishes the feed (checkpoint signed at now) and syncs at now. */
static void publish_and_sync(fixture *x, int64_t now)
{
    if (x->f.n_pend) testkit_feed_cut(&x->f);
    testkit_feed_publish(&x->f, &x->net, FEED75, now);
    replica_sync_report rep;
    replica_sync(x->r, NULL, 0, testkit_net_fetch, &x->net, now, NULL, &rep); /* FR-13 serves nothing here */
    int reached = 0;
    for (size_t i = 0; i < rep.n; i++)
        if (strcmp(rep.issuers[i].iss, "FR-75") == 0) reached = rep.issuers[i].reached;
    assert_int_equal(reached, 1);
}

/* A target of FR-75 at idx, printed end `end`, its cti made from idx. */
static watch_target target(uint32_t idx, int64_t end, uint8_t cti[CLAIMS_CTI_LEN])
{
    memset(cti, 0, CLAIMS_CTI_LEN);
    cti[0] = (uint8_t)idx;
    cti[1] = (uint8_t)(idx >> 8);
    cti[2] = 0x5a;
    watch_target t = {.iss = "FR-75",
                      .idx = idx,
                      .cti = cti,
                      .printed_end = end,
                      .effective_end = end,
                      .status = STATUS_VALID};
    return t;
}

static uint64_t follow(fixture *x, const char *key, uint32_t idx, int64_t end, int *created)
{
    uint8_t cti[CLAIMS_CTI_LEN];
    watch_target t = target(idx, end, cti);
    watch_added a;
    assert_int_equal(watch_add(x->r, key, &t, 1, T0, WATCH_DEFAULT_MAX_PER_KEY, &a), API_OK);
    assert_int_equal(a.err, API_OK);
    if (created) *created = a.created;
    return a.id;
}

/* Every change of key after since, as "KIND@idx-of-watch" lines in out. */
static size_t changes(fixture *x, const char *key, uint64_t since, watch_change *out, size_t cap,
                      uint64_t *cursor)
{
    size_t n;
    assert_int_equal(watch_changes(x->r, key, since, out, cap, &n, cursor), API_OK);
    return n;
}

static void test_follow_get_list_delete(void **state)
{
    fixture *x = *state;
    int created;
    uint64_t a = follow(x, "key1", 7, T0 + 30 * DAY, &created);
    assert_int_equal(created, 1);
    assert_int_equal(follow(x, "key1", 7, T0 + 30 * DAY, &created), a);
    assert_int_equal(created, 0);
    uint64_t b = follow(x, "key2", 7, T0 + 30 * DAY, &created);
    assert_int_equal(created, 1);
    assert_true(a != b);
    /* the same index with another cti is another attestation */
    uint8_t cti[CLAIMS_CTI_LEN];
    watch_target t = target(7, T0 + 30 * DAY, cti);
    cti[5] = 1;
    watch_added ad;
    assert_int_equal(watch_add(x->r, "key1", &t, 1, T0, 10, &ad), API_OK);
    assert_int_equal(ad.created, 1);

    watch_record w;
    assert_int_equal(watch_get(x->r, "key1", a, &w), API_OK);
    assert_string_equal(w.iss, "FR-75");
    assert_int_equal(w.idx, 7);
    assert_int_equal(w.effective_end, T0 + 30 * DAY);
    assert_int_equal(w.status, STATUS_VALID);
    assert_int_equal(watch_get(x->r, "key2", a, &w), API_ERR_NOT_FOUND);
    assert_int_equal(watch_get(x->r, "key1", 999, &w), API_ERR_NOT_FOUND);

    for (uint32_t i = 0; i < 5; i++) follow(x, "key1", 100 + i, T0 + 30 * DAY, NULL);
    uint64_t n;
    assert_int_equal(watch_count(x->r, "key1", &n), API_OK);
    assert_int_equal(n, 7);
    watch_record page[3];
    size_t got, total = 0;
    int more;
    uint64_t after = 0;
    do {
        assert_int_equal(watch_list(x->r, "key1", after, page, 3, &got, &more), API_OK);
        for (size_t i = 0; i < got; i++) {
            assert_string_equal(page[i].key_id, "key1");
            assert_true(page[i].id > after);
            after = page[i].id;
        }
        total += got;
    } while (more);
    assert_int_equal(total, 7);

    assert_int_equal(watch_delete(x->r, "key2", a), API_ERR_NOT_FOUND);
    assert_int_equal(watch_delete(x->r, "key1", a), API_OK);
    assert_int_equal(watch_get(x->r, "key1", a, &w), API_ERR_NOT_FOUND);
    assert_int_equal(watch_delete(x->r, "key1", a), API_ERR_NOT_FOUND);
    assert_int_equal(watch_count(x->r, "key1", &n), API_OK);
    assert_int_equal(n, 6);
    assert_int_equal(watch_get(x->r, "key2", b, &w), API_OK);
}

static void test_bounds_and_arguments(void **state)
{
    fixture *x = *state;
    uint8_t c1[CLAIMS_CTI_LEN], c2[CLAIMS_CTI_LEN], c3[CLAIMS_CTI_LEN];
    watch_target t[3] = {target(1, T0 + DAY, c1), target(2, T0 + DAY, c2), target(3, T0 + DAY, c3)};
    t[1].iss = NULL; /* skipped */
    watch_added a[3];
    assert_int_equal(watch_add(x->r, "k", t, 3, T0, 1, a), API_OK);
    assert_int_equal(a[0].err, API_OK);
    assert_int_equal(a[0].created, 1);
    assert_int_equal(a[1].err, API_ERR_ARG);
    assert_int_equal(a[2].err, API_ERR_FULL);
    assert_int_equal(a[2].id, 0);
    /* already followed: still answered past the bound */
    assert_int_equal(watch_add(x->r, "k", t, 1, T0, 1, a), API_OK);
    assert_int_equal(a[0].err, API_OK);
    assert_int_equal(a[0].created, 0);
    /* key ids: empty or too long */
    assert_int_equal(watch_add(x->r, "", t, 1, T0, 1, a), API_ERR_ARG);
    assert_int_equal(watch_add(x->r, "12345678901234567", t, 1, T0, 1, a), API_ERR_ARG);
    t[0].iss = "fr 75";
    assert_int_equal(watch_add(x->r, "k", t, 1, T0, 10, a), API_OK);
    assert_int_equal(a[0].err, API_ERR_ARG);
}

static void test_ids_as_text(void **state)
{
    (void)state;
    char text[WATCH_ID_TEXT];
    uint64_t id;
    watch_id_format(text, 0x1234abcdULL);
    assert_string_equal(text, "000000001234abcd");
    assert_int_equal(watch_id_parse(&id, text), 0);
    assert_int_equal(id, 0x1234abcdULL);
    const char *bad[] = {"",
                         "0",
                         "000000001234ABCD",
                         "000000001234abc",
                         "000000001234abcde",
                         "0000000000000000",
                         "00000000 1234abc",
                         "-00000001234abcd",
                         "zzzzzzzzzzzzzzzz",
                         "0x000001234abcde"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (watch_id_parse(&id, bad[i]) == 0) fail_msg("'%s' parsed", bad[i]);
    for (int k = 0; k < WATCH_KIND_COUNT; k++)
        assert_string_not_equal(watch_kind_code((watch_kind)k), "unknown");
    assert_string_equal(watch_kind_code(WATCH_KIND_COUNT), "unknown");
}

static void test_changes_from_the_feed(void **state)
{
    fixture *x = *state;
    int64_t end = T0 + 30 * DAY;
    /* the replica holds the feed first, with an event on an index nobody follows */
    testkit_feed_event(&x->f, 1, FEED_EVENT_STATUS, STATUS_REVOKED, T0 - 60);
    publish_and_sync(x, T0);
    uint64_t w_ext = follow(x, "caf", 10, end, NULL), w_rev = follow(x, "caf", 11, end, NULL),
             w_sus = follow(x, "caf", 12, end, NULL), w_sup = follow(x, "caf", 13, end, NULL);
    uint64_t w_other = follow(x, "cpam", 10, end, NULL);
    watch_change ch[32];
    uint64_t cursor;
    assert_int_equal(changes(x, "caf", 0, ch, 32, &cursor), 0);
    assert_int_equal(cursor, 0);

    testkit_feed_event(&x->f, 10, FEED_EVENT_EXTENSION, end + 60 * DAY, T0 + 10);
    testkit_feed_event(&x->f, 10, FEED_EVENT_EXTENSION, end + 30 * DAY, T0 + 11); /* earlier: nothing */
    testkit_feed_event(&x->f, 11, FEED_EVENT_STATUS, STATUS_REVOKED, T0 + 12);
    testkit_feed_event(&x->f, 12, FEED_EVENT_STATUS, STATUS_SUSPENDED, T0 + 13);
    testkit_feed_event(&x->f, 12, FEED_EVENT_STATUS, STATUS_SUSPENDED, T0 + 14); /* the same: nothing */
    testkit_feed_event(&x->f, 12, FEED_EVENT_STATUS, STATUS_VALID, T0 + 15);
    testkit_feed_event(&x->f, 13, FEED_EVENT_STATUS, STATUS_SUPERSEDED, T0 + 16);
    testkit_feed_event(&x->f, 14, FEED_EVENT_STATUS, STATUS_REVOKED, T0 + 17); /* nobody follows 14 */
    publish_and_sync(x, T0 + 100);

    size_t n = changes(x, "caf", 0, ch, 32, &cursor);
    assert_int_equal(n, 5);
    /* within one segment, events are applied in index order */
    struct {
        uint64_t id;
        watch_kind kind;
        int64_t until;
    } want[] = {
        {w_ext, WATCH_EXTENDED, end + 60 * DAY}, {w_rev, WATCH_REVOKED, end},
        {w_sus, WATCH_SUSPENDED, end},           {w_sus, WATCH_RESUMED, end},
        {w_sup, WATCH_SUPERSEDED, end},
    };
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ch[i].watch_id, want[i].id);
        assert_int_equal(ch[i].kind, want[i].kind);
        assert_int_equal(ch[i].effective_until, want[i].until);
        assert_int_equal(ch[i].learned_at, T0 + 100);
        if (i) assert_true(ch[i].seq > ch[i - 1].seq);
    }
    assert_int_equal(cursor, ch[4].seq);
    /* after a cursor, by pages */
    assert_int_equal(changes(x, "caf", ch[1].seq, ch, 2, &cursor), 2);
    assert_int_equal(ch[0].kind, WATCH_SUSPENDED);
    assert_int_equal(changes(x, "caf", cursor, ch, 32, &cursor), 1);
    assert_int_equal(ch[0].kind, WATCH_SUPERSEDED);
    /* the other key: its own watch only */
    assert_int_equal(changes(x, "cpam", 0, ch, 32, &cursor), 1);
    assert_int_equal(ch[0].watch_id, w_other);
    assert_int_equal(ch[0].kind, WATCH_EXTENDED);
    /* the watch follows the status */
    watch_record w;
    assert_int_equal(watch_get(x->r, "caf", w_rev, &w), API_OK);
    assert_int_equal(w.status, STATUS_REVOKED);
    size_t told;
    assert_int_equal(watch_tick(x->r, T0 + 150, &told), API_OK); /* notes it final */
    assert_int_equal(told, 0);
    assert_int_equal(watch_get(x->r, "caf", w_rev, &w), API_OK);
    assert_true(w.flags & WATCH_FINAL);
    assert_int_equal(watch_get(x->r, "caf", w_ext, &w), API_OK);
    assert_int_equal(w.effective_end, end + 60 * DAY);
    /* the same feed again: nothing more */
    publish_and_sync(x, T0 + 200);
    assert_int_equal(changes(x, "caf", 0, ch, 32, &cursor), 5);
    /* a revoked one is final: nothing more is told of it */
    testkit_feed_event(&x->f, 11, FEED_EVENT_EXTENSION, end + 90 * DAY, T0 + 300);
    publish_and_sync(x, T0 + 400);
    assert_int_equal(changes(x, "caf", 0, ch, 32, &cursor), 5);
}

static void test_first_sync_from_a_snapshot(void **state)
{
    fixture *x = *state;
    int64_t end = T0 + 30 * DAY;
    /* followed before the replica holds anything of FR-75 */
    uint64_t w = follow(x, "caf", 20, end, NULL);
    follow(x, "caf", 21, end, NULL);
    testkit_feed_event(&x->f, 20, FEED_EVENT_STATUS, STATUS_SUSPENDED, T0 - 100);
    testkit_feed_cut(&x->f);
    testkit_feed_publish_snapshot(&x->f, &x->net, FEED75, T0);
    publish_and_sync(x, T0 + 10);
    watch_change ch[8];
    uint64_t cursor;
    assert_int_equal(changes(x, "caf", 0, ch, 8, &cursor), 1);
    assert_int_equal(ch[0].watch_id, w);
    assert_int_equal(ch[0].kind, WATCH_SUSPENDED);
}

static void test_time_ending_soon_ended_purge(void **state)
{
    fixture *x = *state;
    int64_t end = T0 + 30 * DAY;
    uint64_t a = follow(x, "caf", 30, end, NULL), b = follow(x, "caf", 31, end, NULL);
    watch_change ch[16];
    uint64_t cursor;
    size_t told;
    assert_int_equal(watch_tick(x->r, T0, &told), API_OK);
    assert_int_equal(told, 0);
    /* 10 days before the end (the default delay is 14): ending_soon, once */
    assert_int_equal(watch_tick(x->r, end - 10 * DAY, &told), API_OK);
    assert_int_equal(told, 2);
    assert_int_equal(watch_tick(x->r, end - 9 * DAY, &told), API_OK);
    assert_int_equal(told, 0);
    assert_int_equal(changes(x, "caf", 0, ch, 16, &cursor), 2);
    assert_int_equal(ch[0].kind, WATCH_ENDING_SOON);
    assert_int_equal(ch[1].kind, WATCH_ENDING_SOON);
    /* a extended: armed again for its new end; b ends */
    testkit_feed_event(&x->f, 30, FEED_EVENT_EXTENSION, end + 60 * DAY, end - 5 * DAY);
    publish_and_sync(x, end - 5 * DAY);
    assert_int_equal(watch_tick(x->r, end + 1, &told), API_OK);
    assert_int_equal(told, 1);
    assert_int_equal(watch_tick(x->r, end + 2, &told), API_OK);
    assert_int_equal(told, 0);
    size_t n = changes(x, "caf", 0, ch, 16, &cursor);
    assert_int_equal(n, 4);
    assert_int_equal(ch[2].watch_id, a);
    assert_int_equal(ch[2].kind, WATCH_EXTENDED);
    assert_int_equal(ch[3].watch_id, b);
    assert_int_equal(ch[3].kind, WATCH_ENDED);
    /* time jumps past a's new end: ended (ending_soon is not told late) */
    assert_int_equal(watch_tick(x->r, end + 61 * DAY, &told), API_OK);
    assert_int_equal(told, 1);
    n = changes(x, "caf", 0, ch, 16, &cursor);
    assert_int_equal(ch[n - 1].watch_id, a);
    assert_int_equal(ch[n - 1].kind, WATCH_ENDED);
    watch_record w;
    assert_int_equal(watch_get(x->r, "caf", a, &w), API_OK);
    assert_true(w.flags & WATCH_ENDED_SENT);
    /* 90 days after b's end: b purged, a still kept; changes learned 90 days ago purged */
    assert_int_equal(watch_tick(x->r, end + 91 * DAY, &told), API_OK);
    assert_int_equal(watch_get(x->r, "caf", b, &w), API_ERR_NOT_FOUND);
    assert_int_equal(watch_get(x->r, "caf", a, &w), API_OK);
    assert_int_equal(watch_tick(x->r, end + 200 * DAY, &told), API_OK);
    assert_int_equal(watch_get(x->r, "caf", a, &w), API_ERR_NOT_FOUND);
    assert_int_equal(changes(x, "caf", 0, ch, 16, &cursor), 0);
    uint64_t count;
    assert_int_equal(watch_count(x->r, "caf", &count), API_OK);
    assert_int_equal(count, 0);
}

static void test_survives_reopening(void **state)
{
    fixture *x = *state;
    uint64_t a = follow(x, "caf", 40, T0 + 30 * DAY, NULL);
    testkit_feed_event(&x->f, 40, FEED_EVENT_STATUS, STATUS_SUSPENDED, T0);
    publish_and_sync(x, T0 + 5);
    replica_close(x->r);
    assert_int_equal(replica_open(&x->r, x->dir), API_OK);
    watch_change ch[4];
    uint64_t cursor;
    assert_int_equal(changes(x, "caf", 0, ch, 4, &cursor), 1);
    assert_int_equal(ch[0].watch_id, a);
    int created;
    assert_int_equal(follow(x, "caf", 40, T0 + 30 * DAY, &created), a);
    assert_int_equal(created, 0);
    uint64_t b = follow(x, "caf", 41, T0 + 30 * DAY, NULL);
    assert_true(b > a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_follow_get_list_delete, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_bounds_and_arguments, fixture_setup, fixture_teardown),
        cmocka_unit_test(test_ids_as_text),
        cmocka_unit_test_setup_teardown(test_changes_from_the_feed, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_first_sync_from_a_snapshot, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_time_ending_soon_ended_purge, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_survives_reopening, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
