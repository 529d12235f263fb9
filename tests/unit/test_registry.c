/*
 * test_registry.c: what the issuer's registry refuses and how it says so:
 * a status change or an extension the rules forbid is API_ERR_FORBIDDEN
 * (an operational code of its own, no longer API_ERR_ARG, which stays for
 * a bad argument) with the rule's sentence, an unknown id
 * API_ERR_NOT_FOUND; a refusal changes nothing (no event is recorded).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <sodium.h>
#include <stdlib.h>

#include "common/signer.h"
#include "common/time.h"
#include "issuer/registry.h"
#include "qr/status.h"
#include "tests/unit/testkit.h"

typedef struct {
    char dir[TESTKIT_DIR_MAX];
    registry *reg;
    registry_entry e;
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    if (testkit_tmpdir(f.dir, "api-registry") != 0 || registry_open(&f.reg, f.dir) != API_OK) return -1;
    uint8_t seed[IDXPERM_SEED_LEN] = {1};
    f.e.iat = time_paris_start_of_day(2026, 9, 14);
    f.e.nbf = time_paris_start_of_day(2026, 9, 15);
    f.e.exp = time_paris_end_of_day(2026, 12, 15);
    char why[128] = "";
    if (registry_allocate(f.reg, seed, &f.e, 1, NULL, why, sizeof why) != API_OK) return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    registry_close(f->reg);
    return testkit_tmpdir_remove(f->dir);
}

static uint64_t events(registry *reg)
{
    uint64_t last = 0, published = 0;
    assert_int_equal(registry_feed_counts(reg, &last, &published), API_OK);
    return last;
}

static void test_forbidden(void **state)
{
    fixture *f = *state;
    int64_t now = f->e.iat + 3600;
    char why[128];
    /* the first revocation is a change; the second is forbidden, and says why */
    assert_int_equal(
        registry_set_status(f->reg, f->e.cti, STATUS_REVOKED, REGISTRY_REASON_FRAUD, now, why, sizeof why),
        API_OK);
    uint64_t before = events(f->reg);
    why[0] = '\0';
    assert_int_equal(
        registry_set_status(f->reg, f->e.cti, STATUS_REVOKED, REGISTRY_REASON_FRAUD, now, why, sizeof why),
        API_ERR_FORBIDDEN);
    assert_string_equal(why, "the attestation is already revoked or superseded: that is final");
    assert_int_equal(
        registry_set_status(f->reg, f->e.cti, STATUS_VALID, REGISTRY_REASON_NONE, now, why, sizeof why),
        API_ERR_FORBIDDEN);
    /* an extension of a revoked attestation, and a replacement of it */
    assert_int_equal(registry_extend(f->reg, f->e.cti, f->e.exp + 86400, now, why, sizeof why),
                     API_ERR_FORBIDDEN);
    assert_string_equal(why, "only valid or suspended attestations can be extended");
    uint8_t seed[IDXPERM_SEED_LEN] = {2};
    registry_entry next = f->e;
    assert_int_equal(registry_allocate(f->reg, seed, &next, 1, f->e.cti, why, sizeof why), API_ERR_FORBIDDEN);
    assert_int_equal(events(f->reg), before); /* nothing was recorded */
    /* an unknown id is not found, a bad argument stays a bad argument */
    uint8_t unknown[CLAIMS_CTI_LEN] = {0};
    assert_int_equal(
        registry_set_status(f->reg, unknown, STATUS_SUSPENDED, REGISTRY_REASON_NONE, now, why, sizeof why),
        API_ERR_NOT_FOUND);
    registry_entry two[2] = {f->e, f->e};
    assert_int_equal(registry_allocate(f->reg, seed, two, 2, f->e.cti, why, sizeof why), API_ERR_ARG);
}

static void test_extension_rules(void **state)
{
    fixture *f = *state;
    uint8_t seed[IDXPERM_SEED_LEN] = {3};
    registry_entry e = f->e;
    char why[128];
    assert_int_equal(registry_allocate(f->reg, seed, &e, 1, NULL, why, sizeof why), API_OK);
    int64_t now = e.iat + 3600;
    assert_int_equal(registry_extend(f->reg, e.cti, e.exp, now, why, sizeof why), API_ERR_FORBIDDEN);
    assert_string_equal(why, "an extension must end later than the current end");
    assert_int_equal(registry_extend(f->reg, e.cti, time_paris_end_of_day(2027, 3, 16), now, why, sizeof why),
                     API_ERR_FORBIDDEN);
    assert_string_equal(why, "an extension is at most three months after the current end");
    assert_int_equal(registry_extend(f->reg, e.cti, time_paris_end_of_day(2027, 3, 15), now, why, sizeof why),
                     API_OK);
}

/*
 * A restore (registry_restart_feed): the registry takes the published
 * state, except what its own unpublished events changed; an index it does
 * not hold keeps its published status in the next snapshot; the allocator
 * moves past every published index and the margin; the feed starts again
 * at seq 0.
 */
/* Publishes the registry's feed (epoch 1, a throwaway key) and parses the snapshot it signed into *snap. */
static void publish_snapshot(registry *reg, int64_t now, feed_snapshot *snap)
{
    uint8_t sk[SIGNER_SK_LEN], pk[SIGNER_PK_LEN];
    crypto_sign_keypair(pk, sk);
    api_signer by;
    signer_init_key(&by, sk);
    size_t cut;
    assert_int_equal(registry_feed_publish(reg, "FR-75", 1, &by, now, &cut), API_OK);
    sodium_memzero(sk, sizeof sk);
    registry_feed_source src = {.reg = reg, .iss = "FR-75"};
    uint8_t *cose;
    size_t len;
    uint64_t containing;
    assert_int_equal(registry_feed_get(&src, FEED_OBJ_SNAPSHOT, "FR-75", 0, &cose, &len, &containing),
                     API_OK);
    cose_sign1 msg;
    assert_int_equal(feed_snapshot_parse(snap, &msg, cose, len), API_OK);
    free(cose);
}

static void test_restart_feed(void **state)
{
    fixture *f = *state;
    uint8_t seed[IDXPERM_SEED_LEN] = {1};
    int64_t now = f->e.iat + 3600;
    char why[128];
    assert_int_equal(registry_set_status(f->reg, f->e.cti, STATUS_SUSPENDED, 0, now, why, sizeof why),
                     API_OK);
    uint8_t *bits = calloc(1, FEED_LIST_BYTES), *touched = calloc(1, FEED_LIST_SIZE / 8);
    int64_t *ext = calloc(FEED_LIST_SIZE, sizeof *ext);
    assert_non_null(bits);
    assert_non_null(touched);
    assert_non_null(ext);
    uint32_t orphan = idxperm_map(seed, 500); /* issued after the backup, by counter 500 */
    feed_bits_set(bits, f->e.idx, STATUS_REVOKED);
    feed_bits_set(bits, orphan, STATUS_SUSPENDED);
    ext[orphan] = f->e.exp + 86400;
    touched[f->e.idx / 8] |= (uint8_t)(1u << (f->e.idx % 8));
    touched[orphan / 8] |= (uint8_t)(1u << (orphan % 8));
    /* the backup's own event 1 (suspended) was never published (the feed is at seq 0): it stays */
    registry_published pub = {.bits = bits, .ext = ext, .touched = touched, .protect = 1, .protect_after = 0};
    registry_recovery rec;
    assert_int_equal(registry_restart_feed(f->reg, &pub, seed, 100, now, &rec), API_OK);
    assert_int_equal(rec.changed, 0);
    assert_int_equal(rec.orphans, 1);
    assert_true(rec.counter_before == 1 && rec.counter_after == 501 + 100);
    assert_int_equal(events(f->reg), 0);
    /* published further: the revocation wins */
    pub.protect = 0;
    assert_int_equal(registry_restart_feed(f->reg, &pub, seed, 100, now, &rec), API_OK);
    assert_int_equal(rec.changed, 1);
    assert_true(rec.counter_after == 601 + 100); /* a second restore moves it again */
    feed_snapshot snap;
    publish_snapshot(f->reg, now, &snap);
    assert_true(snap.at.seq == 0 && snap.at.epoch == 1);
    assert_int_equal(feed_bits_get(snap.bits, f->e.idx), STATUS_REVOKED);
    assert_int_equal(feed_bits_get(snap.bits, orphan), STATUS_SUSPENDED);
    assert_int_equal(snap.n_ext, 1);
    assert_true(snap.ext[0].idx == orphan && snap.ext[0].until == f->e.exp + 86400);
    feed_snapshot_free(&snap);
    /* the next attestation gets a fresh index */
    registry_entry next = f->e;
    assert_int_equal(registry_allocate(f->reg, seed, &next, 1, NULL, why, sizeof why), API_OK);
    assert_int_equal(next.idx, idxperm_map(seed, 701));
    free(bits);
    free(touched);
    free(ext);
}

/*
 * registry_adopt: an orphan index takes its kept status and leaves the
 * recovered database (the snapshot still holds it once, now by id); an
 * index the feed never named is valid; the same again changes nothing; a
 * conflict of id or index is API_ERR_EXISTS; the allocator skips every
 * index held, adopted or kept.
 */
static void test_adopt(void **state)
{
    fixture *f = *state;
    uint8_t seed[IDXPERM_SEED_LEN] = {1};
    int64_t now = f->e.iat + 3600;
    char why[128] = "";
    uint8_t *bits = calloc(1, FEED_LIST_BYTES), *touched = calloc(1, FEED_LIST_SIZE / 8);
    int64_t *ext = calloc(FEED_LIST_SIZE, sizeof *ext);
    assert_true(bits && touched && ext);
    uint32_t orphan = idxperm_map(seed, 1); /* issued after the backup, suspended and extended */
    feed_bits_set(bits, orphan, STATUS_SUSPENDED);
    ext[orphan] = f->e.exp + 86400;
    touched[orphan / 8] |= (uint8_t)(1u << (orphan % 8));
    registry_published pub = {.bits = bits, .ext = ext, .touched = touched};
    registry_recovery rec;
    /* margin 0: the allocator stops right past the orphan, next to an index the feed never named */
    assert_int_equal(registry_restart_feed(f->reg, &pub, seed, 0, now, &rec), API_OK);
    assert_int_equal(rec.orphans, 1);
    assert_true(rec.counter_after == 2);

    registry_entry a = f->e, b = f->e, got;
    registry_adoption how;
    a.cti[0] ^= 0x55;
    a.idx = orphan;
    assert_int_equal(registry_adopt(f->reg, &a, now, &how, why, sizeof why), API_OK);
    assert_int_equal(how, REGISTRY_ADOPT_RECOVERED);
    assert_int_equal(registry_get(f->reg, a.cti, &got), API_OK);
    assert_true(got.idx == orphan && got.status == STATUS_SUSPENDED &&
                got.extended_until == f->e.exp + 86400);
    assert_true(got.iat == a.iat && got.nbf == a.nbf && got.exp == a.exp && got.changed_at == now);
    assert_int_equal(registry_adopt(f->reg, &a, now, &how, why, sizeof why), API_OK);
    assert_int_equal(how, REGISTRY_ADOPT_ALREADY);

    b.cti[0] ^= 0xaa;
    b.idx = idxperm_map(seed, 2); /* issued after the backup, never changed: the allocator's next index */
    assert_int_equal(registry_adopt(f->reg, &b, now, &how, why, sizeof why), API_OK);
    assert_int_equal(how, REGISTRY_ADOPT_NEW);
    assert_int_equal(registry_get(f->reg, b.cti, &got), API_OK);
    assert_true(got.status == STATUS_VALID && got.extended_until == 0 && got.changed_at == 0);
    /* the adopted one's status changes by id like any other */
    assert_int_equal(
        registry_set_status(f->reg, b.cti, STATUS_REVOKED, REGISTRY_REASON_ERROR, now, why, sizeof why),
        API_OK);

    /* conflicts: the same id with another index, another id with a held index */
    registry_entry c = a;
    c.idx = idxperm_map(seed, 900);
    assert_int_equal(registry_adopt(f->reg, &c, now, &how, why, sizeof why), API_ERR_EXISTS);
    assert_non_null(strstr(why, "another status index"));
    c = a;
    c.cti[1] ^= 0x01;
    assert_int_equal(registry_adopt(f->reg, &c, now, &how, why, sizeof why), API_ERR_EXISTS);
    assert_non_null(strstr(why, "belongs to another attestation"));

    /* the allocator (at counter 2) skips the adopted index and gives the next */
    registry_entry next = f->e;
    assert_int_equal(registry_allocate(f->reg, seed, &next, 1, NULL, why, sizeof why), API_OK);
    assert_int_equal(next.idx, idxperm_map(seed, 3));

    /* the snapshot holds the adopted orphan once, with its status and extension */
    feed_snapshot snap;
    publish_snapshot(f->reg, now, &snap);
    assert_int_equal(feed_bits_get(snap.bits, orphan), STATUS_SUSPENDED);
    assert_int_equal(feed_bits_get(snap.bits, b.idx), STATUS_REVOKED);
    assert_int_equal(snap.n_ext, 1);
    assert_true(snap.ext[0].idx == orphan && snap.ext[0].until == f->e.exp + 86400);
    feed_snapshot_free(&snap);
    free(bits);
    free(touched);
    free(ext);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_forbidden, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extension_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_feed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adopt, setup, teardown),
    };
    return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
