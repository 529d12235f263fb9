/*
 * test_keystore.c: the API keys of the service: a key is shown once and
 * only its keyed hash is stored; checks tell valid, unknown and revoked
 * keys apart; a second handle on the same folder (the `keys` command while
 * `serve` runs) sees additions and revocations at its next check; the
 * secrets survive a reopen; organisations are checked; the access log's
 * hashes are keyed; many threads may check while keys change; an export
 * imported into another store checks the same keys there (a running
 * handle on an empty store takes the new salt), carries revocations and
 * never undoes one, refuses a store with keys of another salt, and every
 * malformed export is refused with nothing changed.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/b64url.h"
#include "tests/unit/testkit.h"
#include "verifier/service/keystore.h"

typedef struct {
    char dir[TESTKIT_DIR_MAX];
    keystore *ks;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    if (testkit_tmpdir(f->dir, "api-keystore") != 0) return -1;
    if (keystore_open(&f->ks, f->dir) != API_OK) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    keystore_close(f->ks);
    testkit_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static keystore_check_result check(keystore *ks, const char *key, keystore_record *rec)
{
    return keystore_check(ks, key, strlen(key), rec);
}

static void test_add_and_check(void **state)
{
    fixture *f = *state;
    char key[KEYSTORE_TEXT_LEN + 1];
    keystore_record rec, got;
    assert_int_equal(keystore_add(f->ks, key, &rec, "CAF 93", KEYSTORE_SOCIAL, 0, 1790000000), API_OK);
    assert_int_equal(strlen(key), KEYSTORE_TEXT_LEN);
    assert_memory_equal(key, "apik_", 5);
    uint8_t raw[32];
    assert_int_equal(b64url_decode_exact(raw, sizeof raw, key + 5, strlen(key + 5)), 0);
    assert_memory_equal(rec.id, key + 5, KEYSTORE_ID_LEN);
    assert_int_equal(strlen(rec.id), KEYSTORE_ID_LEN);
    assert_string_equal(rec.org, "CAF 93");
    assert_int_equal(rec.profile, KEYSTORE_SOCIAL);
    assert_int_equal(rec.rate, 0);
    assert_int_equal(rec.created, 1790000000);
    assert_int_equal(rec.revoked, 0);

    assert_int_equal(check(f->ks, key, &got), KEYSTORE_VALID);
    assert_string_equal(got.id, rec.id);
    assert_string_equal(got.org, "CAF 93");
    assert_int_equal(got.profile, KEYSTORE_SOCIAL);

    char key2[KEYSTORE_TEXT_LEN + 1];
    assert_int_equal(keystore_add(f->ks, key2, &rec, "Boulangerie Dupont", KEYSTORE_EMPLOYER, 7, 1790000001),
                     API_OK);
    assert_string_not_equal(key, key2);
    assert_int_equal(check(f->ks, key2, &got), KEYSTORE_VALID);
    assert_int_equal(got.profile, KEYSTORE_EMPLOYER);
    assert_int_equal(got.rate, 7);
}

static void test_wrong_keys(void **state)
{
    fixture *f = *state;
    char key[KEYSTORE_TEXT_LEN + 1], bad[KEYSTORE_TEXT_LEN + 2];
    keystore_record rec;
    assert_int_equal(keystore_add(f->ks, key, &rec, "Banque", KEYSTORE_BANK, 0, 1), API_OK);
    /* each character changed in turn, past the prefix: never valid */
    for (size_t i = 5; i < KEYSTORE_TEXT_LEN; i++) {
        memcpy(bad, key, sizeof key);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        assert_int_equal(check(f->ks, bad, NULL), KEYSTORE_UNKNOWN);
    }
    memcpy(bad, key, sizeof key);
    bad[0] = 'b';
    assert_int_equal(check(f->ks, bad, NULL), KEYSTORE_UNKNOWN);
    snprintf(bad, sizeof bad, "%s=", key); /* one character too many */
    assert_int_equal(check(f->ks, bad, NULL), KEYSTORE_UNKNOWN);
    assert_int_equal(keystore_check(f->ks, key, KEYSTORE_TEXT_LEN - 1, NULL), KEYSTORE_UNKNOWN);
    memcpy(bad, key, sizeof key);
    bad[20] = ' '; /* white space inside: the base64url decoder would skip it */
    assert_int_equal(check(f->ks, bad, NULL), KEYSTORE_UNKNOWN);
    assert_int_equal(check(f->ks, "", NULL), KEYSTORE_UNKNOWN);
    assert_int_equal(check(f->ks, "apik_", NULL), KEYSTORE_UNKNOWN);
    assert_int_equal(keystore_check(f->ks, NULL, 0, NULL), KEYSTORE_UNKNOWN);
    /* a well-formed key of the right shape that was never made */
    char fake[KEYSTORE_TEXT_LEN + 1] = "apik_";
    uint8_t raw[32];
    randombytes_buf(raw, sizeof raw);
    assert_int_equal(b64url_encode(fake + 5, sizeof fake - 5, raw, sizeof raw), 0);
    assert_int_equal(check(f->ks, fake, NULL), KEYSTORE_UNKNOWN);
    /* the same id with another secret: the hash decides */
    memcpy(fake + 5, key + 5, KEYSTORE_ID_LEN);
    assert_int_equal(check(f->ks, fake, NULL), KEYSTORE_UNKNOWN);
}

static void test_revoke(void **state)
{
    fixture *f = *state;
    char key[KEYSTORE_TEXT_LEN + 1];
    keystore_record rec, got;
    assert_int_equal(keystore_add(f->ks, key, &rec, "Bailleur", KEYSTORE_LANDLORD, 3, 100), API_OK);
    assert_int_equal(check(f->ks, key, NULL), KEYSTORE_VALID);
    assert_int_equal(keystore_revoke(f->ks, rec.id, 200, &got), API_OK);
    assert_int_equal(got.revoked, 200);
    assert_int_equal(check(f->ks, key, NULL), KEYSTORE_REVOKED);
    assert_int_equal(keystore_revoke(f->ks, rec.id, 300, &got), API_ERR_EXISTS);
    assert_int_equal(got.revoked, 200);
    char prefixed[32];
    snprintf(prefixed, sizeof prefixed, "apik_%s", rec.id);
    assert_int_equal(keystore_revoke(f->ks, prefixed, 300, NULL), API_ERR_EXISTS);
    assert_int_equal(keystore_revoke(f->ks, "nosuchid", 300, NULL), API_ERR_NOT_FOUND);
    assert_int_equal(keystore_revoke(f->ks, "short", 300, NULL), API_ERR_NOT_FOUND);
    assert_int_equal(keystore_revoke(f->ks, NULL, 300, NULL), API_ERR_ARG);
}

static void test_second_handle_sees_changes(void **state)
{
    fixture *f = *state;
    keystore *cli;
    assert_int_equal(keystore_open(&cli, f->dir), API_OK);
    char key[KEYSTORE_TEXT_LEN + 1];
    keystore_record rec;
    /* the service has checked (and cached) before the key exists */
    assert_int_equal(check(f->ks, "apik_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL),
                     KEYSTORE_UNKNOWN);
    assert_int_equal(keystore_add(cli, key, &rec, "France Travail", KEYSTORE_SOCIAL, 20, 5), API_OK);
    assert_int_equal(check(f->ks, key, NULL), KEYSTORE_VALID);
    assert_int_equal(keystore_revoke(cli, rec.id, 6, NULL), API_OK);
    assert_int_equal(check(f->ks, key, NULL), KEYSTORE_REVOKED);
    keystore_close(cli);
}

static void test_reopen_and_secrets(void **state)
{
    fixture *f = *state;
    char key[KEYSTORE_TEXT_LEN + 1];
    keystore_record rec;
    assert_int_equal(keystore_add(f->ks, key, &rec, "Agence révoquée", KEYSTORE_BANK, 0, 9), API_OK);
    const uint8_t cti[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint8_t h1[KEYSTORE_LOG_HASH_LEN], h2[KEYSTORE_LOG_HASH_LEN], plain[KEYSTORE_LOG_HASH_LEN];
    keystore_log_hash(f->ks, h1, cti, sizeof cti);
    keystore_close(f->ks);
    assert_int_equal(keystore_open(&f->ks, f->dir), API_OK);
    keystore_log_hash(f->ks, h2, cti, sizeof cti);
    assert_memory_equal(h1, h2, sizeof h1); /* the same log key after a restart */
    crypto_generichash(plain, sizeof plain, cti, sizeof cti, NULL, 0);
    assert_memory_not_equal(h1, plain, sizeof h1); /* keyed: nobody can test ids against the log */
    keystore_record got;
    assert_int_equal(check(f->ks, key, &got), KEYSTORE_VALID);
    assert_string_equal(got.org, "Agence révoquée");

    /* another store: another log key and another salt */
    char dir2[TESTKIT_DIR_MAX];
    assert_int_equal(testkit_tmpdir(dir2, "api-keystore"), 0);
    keystore *other;
    assert_int_equal(keystore_open(&other, dir2), API_OK);
    keystore_log_hash(other, h2, cti, sizeof cti);
    assert_memory_not_equal(h1, h2, sizeof h1);
    assert_int_equal(check(other, key, NULL), KEYSTORE_UNKNOWN);
    keystore_close(other);
    assert_int_equal(testkit_tmpdir_remove(dir2), 0);

    /* the files are private, and hold neither the key text nor its secret bytes */
    char path[TESTKIT_DIR_MAX + 16];
    struct stat st;
    assert_int_equal(stat(f->dir, &st), 0);
    snprintf(path, sizeof path, "%s/data.mdb", f->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    uint8_t *db = malloc((size_t)st.st_size);
    assert_non_null(db);
    assert_int_equal(fread(db, 1, (size_t)st.st_size, fp), (size_t)st.st_size);
    fclose(fp);
    uint8_t raw[32];
    assert_int_equal(b64url_decode_exact(raw, sizeof raw, key + 5, strlen(key + 5)), 0);
    for (size_t i = 0; i + sizeof raw <= (size_t)st.st_size; i++) {
        if (memcmp(db + i, raw, sizeof raw) == 0) fail_msg("the secret bytes are in the store");
        if (i + 43 <= (size_t)st.st_size && memcmp(db + i, key + 5, 43) == 0)
            fail_msg("the key text is in the store");
    }
    free(db);
}

static void test_organisations(void **state)
{
    fixture *f = *state;
    char key[KEYSTORE_TEXT_LEN + 1];
    char long_org[KEYSTORE_ORG_MAX + 1];
    memset(long_org, 'a', sizeof long_org - 1);
    long_org[KEYSTORE_ORG_MAX] = '\0';
    assert_int_equal(keystore_add(f->ks, key, NULL, "", KEYSTORE_BANK, 0, 1), API_ERR_ARG);
    assert_string_equal(key, "");
    assert_int_equal(keystore_add(f->ks, key, NULL, NULL, KEYSTORE_BANK, 0, 1), API_ERR_ARG);
    assert_int_equal(keystore_add(f->ks, key, NULL, long_org, KEYSTORE_BANK, 0, 1), API_ERR_ARG);
    long_org[KEYSTORE_ORG_MAX - 1] = '\0'; /* 127 bytes: the most */
    assert_int_equal(keystore_add(f->ks, key, NULL, long_org, KEYSTORE_BANK, 0, 1), API_OK);
    assert_int_equal(keystore_add(f->ks, key, NULL, "tab\there", KEYSTORE_BANK, 0, 1), API_ERR_ARG);
    assert_int_equal(keystore_add(f->ks, key, NULL, "line\nbreak", KEYSTORE_BANK, 0, 1), API_ERR_ARG);
    assert_int_equal(keystore_add(f->ks, key, NULL, "bad \xff utf-8", KEYSTORE_BANK, 0, 1), API_ERR_ARG);
    assert_int_equal(keystore_add(f->ks, key, NULL, "overlong \xc0\xaf", KEYSTORE_BANK, 0, 1), API_ERR_ARG);
    assert_int_equal(keystore_add(f->ks, key, NULL, "surrogate \xed\xa0\x80", KEYSTORE_BANK, 0, 1),
                     API_ERR_ARG);
    assert_int_equal(keystore_add(f->ks, key, NULL, "cut \xc3", KEYSTORE_BANK, 0, 1), API_ERR_ARG);
    assert_int_equal(keystore_add(f->ks, key, NULL, "C1 \xc2\x85", KEYSTORE_BANK, 0, 1), API_ERR_ARG);
    assert_int_equal(keystore_add(f->ks, key, NULL, "Préfecture \"quote\" \\ 🙂", KEYSTORE_BANK, 0, 1),
                     API_OK);
    assert_int_equal(keystore_add(f->ks, key, NULL, "ok", KEYSTORE_PROFILE_COUNT, 0, 1), API_ERR_ARG);
    assert_int_equal(keystore_add(f->ks, key, NULL, "ok", KEYSTORE_BANK, KEYSTORE_MAX_RATE + 1, 1),
                     API_ERR_ARG);
    assert_int_equal(keystore_add(f->ks, key, NULL, "ok", KEYSTORE_BANK, KEYSTORE_MAX_RATE, 1), API_OK);
}

static void test_list_and_profiles(void **state)
{
    fixture *f = *state;
    keystore_record *recs;
    size_t n;
    assert_int_equal(keystore_list(f->ks, &recs, &n), API_OK);
    assert_int_equal(n, 0);
    free(recs);
    char key[KEYSTORE_TEXT_LEN + 1];
    keystore_record rec;
    for (int i = 0; i < 20; i++)
        assert_int_equal(
            keystore_add(f->ks, key, &rec, "org", (keystore_profile)(i % 4), (uint32_t)i, 1000 + i), API_OK);
    assert_int_equal(keystore_revoke(f->ks, rec.id, 2000, NULL), API_OK);
    assert_int_equal(keystore_list(f->ks, &recs, &n), API_OK);
    assert_int_equal(n, 20);
    size_t revoked = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) assert_true(strcmp(recs[i - 1].id, recs[i].id) < 0);
        revoked += recs[i].revoked == 2000;
    }
    assert_int_equal(revoked, 1);
    free(recs);
    static const char *const names[] = {"social", "employer", "bank", "landlord"};
    for (int i = 0; i < 4; i++) {
        keystore_profile p;
        assert_int_equal(keystore_profile_parse(&p, names[i]), 0);
        assert_int_equal(p, i);
        assert_string_equal(keystore_profile_name(p), names[i]);
    }
    keystore_profile p;
    assert_int_equal(keystore_profile_parse(&p, "police"), -1);
    assert_int_equal(keystore_profile_parse(&p, NULL), -1);
    assert_string_equal(keystore_profile_name(KEYSTORE_PROFILE_COUNT), "unknown");
}

/* ---- threads: checks while another handle adds and revokes ---- */

typedef struct {
    keystore *ks;
    const char *key;
    int valid, revoked, other;
    keystore_check_result last;
    atomic_int checks; /* done so far */
} checker_arg;

static atomic_int checkers_stop;

/* Checks until told to stop, at least 1,000 times; the last answer is kept. */
static void *checker(void *p)
{
    checker_arg *a = p;
    for (int i = 0; i < 1000 || !atomic_load(&checkers_stop); i++) {
        keystore_check_result r = check(a->ks, a->key, NULL);
        if (r == KEYSTORE_VALID)
            a->valid++;
        else if (r == KEYSTORE_REVOKED)
            a->revoked++;
        else
            a->other++;
        a->last = r;
        atomic_fetch_add(&a->checks, 1);
    }
    return NULL;
}

/*
 * Each checker finished a check that began after the revocation: when the
 * count was read, at most one check was under way, so the second one
 * after it began later (after[i] is that count + 2).
 */
typedef struct {
    checker_arg *args;
    const int *after;
} checked_since;

static int each_checked_since(void *p)
{
    const checked_since *c = p;
    for (int i = 0; i < 6; i++)
        if (atomic_load(&c->args[i].checks) < c->after[i]) return 0;
    return 1;
}

static void test_threads(void **state)
{
    fixture *f = *state;
    char key[KEYSTORE_TEXT_LEN + 1], spare[KEYSTORE_TEXT_LEN + 1];
    keystore_record rec;
    assert_int_equal(keystore_add(f->ks, key, &rec, "shared", KEYSTORE_SOCIAL, 0, 1), API_OK);
    keystore *writer;
    assert_int_equal(keystore_open(&writer, f->dir), API_OK);
    pthread_t t[6];
    checker_arg args[6];
    for (int i = 0; i < 6; i++) {
        memset(&args[i], 0, sizeof args[i]);
        atomic_init(&args[i].checks, 0);
        args[i].ks = f->ks;
        args[i].key = key;
        assert_int_equal(pthread_create(&t[i], NULL, checker, &args[i]), 0);
    }
    for (int i = 0; i < 30; i++)
        assert_int_equal(keystore_add(writer, spare, NULL, "churn", KEYSTORE_BANK, 0, 2), API_OK);
    assert_int_equal(keystore_revoke(writer, rec.id, 3, NULL), API_OK);
    int after[6];
    for (int i = 0; i < 6; i++) after[i] = atomic_load(&args[i].checks) + 2;
    checked_since since = {args, after};
    (void)testkit_wait_until(each_checked_since, &since, TESTKIT_BOUND_MS); /* the asserts below say if not */
    atomic_store(&checkers_stop, 1);
    int valid = 0, revoked = 0, other = 0;
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        valid += args[i].valid;
        revoked += args[i].revoked;
        other += args[i].other;
        assert_int_equal(args[i].last, KEYSTORE_REVOKED); /* each thread saw the revocation */
    }
    print_message("valid %d, revoked %d, other %d\n", valid, revoked, other);
    assert_int_equal(other, 0);
    assert_true(revoked > 0);
    assert_int_equal(check(f->ks, key, NULL), KEYSTORE_REVOKED);
    keystore_close(writer);
}

/* A second, empty store in its own folder. */
typedef struct {
    char dir[TESTKIT_DIR_MAX];
    keystore *ks;
} other_store;

static void other_open(other_store *o)
{
    assert_int_equal(testkit_tmpdir(o->dir, "api-keystore"), 0);
    assert_int_equal(keystore_open(&o->ks, o->dir), API_OK);
}

static void other_close(other_store *o)
{
    keystore_close(o->ks);
    assert_int_equal(testkit_tmpdir_remove(o->dir), 0);
}

static void import_ok(keystore *ks, const char *text, keystore_import_report *rep)
{
    char err[256];
    api_err e = keystore_import(ks, text, strlen(text), rep, err, sizeof err);
    if (e != API_OK) print_message("import: %s (%s)\n", api_strerror(e), err);
    assert_int_equal(e, API_OK);
}

static void test_export_import(void **state)
{
    fixture *f = *state;
    char k1[KEYSTORE_TEXT_LEN + 1], k2[KEYSTORE_TEXT_LEN + 1], k3[KEYSTORE_TEXT_LEN + 1];
    keystore_record r1, r2, got;
    assert_int_equal(keystore_add(f->ks, k1, &r1, "CAF 93", KEYSTORE_SOCIAL, 0, 1790000000), API_OK);
    assert_int_equal(keystore_add(f->ks, k2, &r2, "Banque « Ouest »", KEYSTORE_BANK, 50, 1790000001), API_OK);
    const uint8_t cti[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
    uint8_t h1[KEYSTORE_LOG_HASH_LEN], h2[KEYSTORE_LOG_HASH_LEN];
    keystore_log_hash(f->ks, h1, cti, sizeof cti);

    char *text;
    size_t len;
    assert_int_equal(keystore_export(f->ks, &text, &len), API_OK);
    assert_int_equal(strlen(text), len);
    assert_int_equal(text[len - 1], '\n');
    assert_null(strstr(text, k1)); /* never a key, nor its secret part */
    assert_null(strstr(text, k1 + 5));
    assert_non_null(strstr(text, r1.id));

    /* a new replica: an empty store, and a second handle already open on it (the running service) */
    other_store b;
    other_open(&b);
    keystore *running;
    assert_int_equal(keystore_open(&running, b.dir), API_OK);
    assert_int_equal(check(running, k1, NULL), KEYSTORE_UNKNOWN);
    keystore_import_report rep;
    import_ok(b.ks, text, &rep);
    assert_int_equal(rep.added, 2);
    assert_int_equal(rep.secrets_taken, 1);
    assert_int_equal(check(b.ks, k1, &got), KEYSTORE_VALID);
    assert_int_equal(check(running, k1, &got), KEYSTORE_VALID); /* the running handle took the salt */
    assert_string_equal(got.org, "CAF 93");
    assert_int_equal(got.profile, KEYSTORE_SOCIAL);
    assert_int_equal(got.created, 1790000000);
    assert_int_equal(check(running, k2, &got), KEYSTORE_VALID);
    assert_string_equal(got.org, "Banque « Ouest »");
    assert_int_equal(got.rate, 50);
    keystore_log_hash(running, h2, cti, sizeof cti);
    assert_memory_equal(h1, h2, sizeof h1); /* the same access-log hashes on every replica */

    /* the same file again: nothing changes */
    import_ok(b.ks, text, &rep);
    assert_int_equal(rep.added + rep.revoked + rep.updated, 0);
    assert_int_equal(rep.unchanged, 2);
    assert_int_equal(rep.secrets_taken, 0);
    sodium_memzero(text, len);
    free(text);

    /* a key made later and a revocation on the first replica reach the second by the next export */
    assert_int_equal(keystore_add(f->ks, k3, NULL, "Bailleur", KEYSTORE_LANDLORD, 5, 1790000002), API_OK);
    assert_int_equal(keystore_revoke(f->ks, r1.id, 1790000100, NULL), API_OK);
    assert_int_equal(keystore_export(f->ks, &text, &len), API_OK);
    import_ok(b.ks, text, &rep);
    assert_int_equal(rep.added, 1);
    assert_int_equal(rep.revoked, 1);
    assert_int_equal(rep.unchanged, 1);
    assert_int_equal(check(running, k1, NULL), KEYSTORE_REVOKED);
    assert_int_equal(check(running, k3, NULL), KEYSTORE_VALID);
    sodium_memzero(text, len);
    free(text);

    /* a revocation made on the second is never undone by an older export of the first */
    assert_int_equal(keystore_revoke(b.ks, r2.id, 1790000200, NULL), API_OK);
    assert_int_equal(keystore_export(f->ks, &text, &len), API_OK);
    import_ok(b.ks, text, &rep);
    assert_int_equal(check(running, k2, NULL), KEYSTORE_REVOKED);
    keystore_close(running);

    /* a store with keys of its own (another salt) refuses the file, unchanged */
    other_store c;
    other_open(&c);
    char kc[KEYSTORE_TEXT_LEN + 1];
    assert_int_equal(keystore_add(c.ks, kc, NULL, "Autre", KEYSTORE_EMPLOYER, 1, 1), API_OK);
    char err[256];
    assert_int_equal(keystore_import(c.ks, text, len, &rep, err, sizeof err), API_ERR_EXISTS);
    assert_non_null(strstr(err, "salt"));
    assert_int_equal(check(c.ks, kc, NULL), KEYSTORE_VALID);
    assert_int_equal(check(c.ks, k3, NULL), KEYSTORE_UNKNOWN);
    other_close(&c);
    sodium_memzero(text, len);
    free(text);
    other_close(&b);
}

/* Malformed exports: each refused (API_ERR_ARG with a reason), the store unchanged. */
static void test_import_malformed(void **state)
{
    fixture *f = *state;
    char key[KEYSTORE_TEXT_LEN + 1];
    keystore_record rec;
    assert_int_equal(keystore_add(f->ks, key, &rec, "CAF 13", KEYSTORE_SOCIAL, 0, 1), API_OK);
    char *good;
    size_t len;
    assert_int_equal(keystore_export(f->ks, &good, &len), API_OK);
    const char *salt = strstr(good, "\"salt\"");
    assert_non_null(salt);

    other_store b;
    other_open(&b);
    char mine[KEYSTORE_TEXT_LEN + 1];
    assert_int_equal(keystore_add(b.ks, mine, NULL, "Mine", KEYSTORE_BANK, 0, 1), API_OK);
    /* b takes f's salt first, so that only the form of each text below is at stake */
    other_store e;
    other_open(&e);
    keystore_import_report rep;
    import_ok(e.ks, good, &rep);

    char id[KEYSTORE_ID_LEN + 1];
    memcpy(id, rec.id, sizeof id);
    char s_salt[64], s_log[64];
    assert_int_equal(sscanf(strstr(good, "\"salt\""), "\"salt\":\t\"%63[^\"]\"", s_salt), 1);
    assert_int_equal(sscanf(strstr(good, "\"log_key\""), "\"log_key\":\t\"%63[^\"]\"", s_log), 1);
    char hash[64];
    assert_int_equal(sscanf(strstr(good, "\"hash\""), "\"hash\":\t\"%63[^\"]\"", hash), 1);
    char head[256];
    snprintf(head, sizeof head,
             "{\"format\": \"api-verifier-keys\", \"version\": 1, \"salt\": \"%s\", \"log_key\": \"%s\"",
             s_salt, s_log);
    char one[512];
    snprintf(one, sizeof one,
             "\"id\": \"%s\", \"org\": \"O\", \"profile\": \"bank\", \"created\": 1, \"revoked\": 0, "
             "\"hash\": \"%s\"",
             id, hash);
    static char cases[24][2048];
    int n = 0;
    snprintf(cases[n++], sizeof cases[0], "%s", "");
    snprintf(cases[n++], sizeof cases[0], "%s", "[]");
    snprintf(cases[n++], sizeof cases[0], "%s", "{\"format\": \"api-verifier-keys\""); /* cut short */
    snprintf(cases[n++], sizeof cases[0], "%s", "{\"format\": \"other\", \"version\": 1}");
    snprintf(cases[n++], sizeof cases[0], "%s, \"keys\": []}",
             "{\"format\": \"api-verifier-keys\", \"version\": 2, \"salt\": \"AA\", \"log_key\": \"AA\"");
    snprintf(cases[n++], sizeof cases[0],
             "{\"format\": \"api-verifier-keys\", \"version\": 1, \"salt\": \"AAAA\", \"log_key\": \"%s\", "
             "\"keys\": []}",
             s_log);
    snprintf(cases[n++], sizeof cases[0],
             "{\"format\": \"api-verifier-keys\", \"version\": 1, \"salt\": \"%s\", \"keys\": []}", s_salt);
    snprintf(cases[n++], sizeof cases[0], "%s}", head); /* no keys */
    snprintf(cases[n++], sizeof cases[0], "%s, \"keys\": {}}", head);
    snprintf(cases[n++], sizeof cases[0], "%s, \"keys\": [1]}", head);
    snprintf(cases[n++], sizeof cases[0], "%s, \"keys\": [{%s}]}", head, one); /* no rate */
    snprintf(cases[n++], sizeof cases[0], "%s, \"keys\": [{%s, \"rate\": -1}]}", head, one);
    snprintf(cases[n++], sizeof cases[0], "%s, \"keys\": [{%s, \"rate\": 1000001}]}", head, one);
    snprintf(cases[n++], sizeof cases[0], "%s, \"keys\": [{%s, \"rate\": 1.5}]}", head, one);
    snprintf(cases[n++], sizeof cases[0], "%s, \"keys\": [{%s, \"rate\": 1}, {%s, \"rate\": 1}]}", head, one,
             one); /* twice */
    snprintf(cases[n++], sizeof cases[0],
             "%s, \"keys\": [{\"id\": \"short\", \"org\": \"O\", \"profile\": \"bank\", \"rate\": 1, "
             "\"created\": 1, \"revoked\": 0, \"hash\": \"%s\"}]}",
             head, hash);
    snprintf(cases[n++], sizeof cases[0],
             "%s, \"keys\": [{\"id\": \"%s\", \"org\": \"\", \"profile\": \"bank\", \"rate\": 1, "
             "\"created\": 1, \"revoked\": 0, \"hash\": \"%s\"}]}",
             head, id, hash);
    snprintf(cases[n++], sizeof cases[0],
             "%s, \"keys\": [{\"id\": \"%s\", \"org\": \"a\\nb\", \"profile\": \"bank\", \"rate\": 1, "
             "\"created\": 1, \"revoked\": 0, \"hash\": \"%s\"}]}",
             head, id, hash);
    snprintf(cases[n++], sizeof cases[0],
             "%s, \"keys\": [{\"id\": \"%s\", \"org\": \"O\", \"profile\": \"admin\", \"rate\": 1, "
             "\"created\": 1, \"revoked\": 0, \"hash\": \"%s\"}]}",
             head, id, hash);
    snprintf(cases[n++], sizeof cases[0],
             "%s, \"keys\": [{\"id\": \"%s\", \"org\": \"O\", \"profile\": \"bank\", \"rate\": 1, "
             "\"created\": 1, \"revoked\": 0, \"hash\": \"AAAA\"}]}",
             head, id);
    snprintf(cases[n++], sizeof cases[0],
             "%s, \"keys\": [{\"id\": \"%s\", \"org\": \"O\", \"profile\": \"bank\", \"rate\": 1, "
             "\"created\": 1, \"revoked\": \"no\", \"hash\": \"%s\"}]}",
             head, id, hash);
    snprintf(cases[n++], sizeof cases[0], "%s, \"keys\": [[[[1]]]]}", head); /* too deep */
    snprintf(cases[n++], sizeof cases[0], "%s, \"keys\": []} x", head);      /* trailing bytes */
    for (int i = 0; i < n; i++) {
        char err[256] = "";
        api_err got = keystore_import(b.ks, cases[i], strlen(cases[i]), &rep, err, sizeof err);
        if (got != API_ERR_ARG) print_message("case %d: %s\n", i, cases[i]);
        assert_int_equal(got, API_ERR_ARG);
        assert_true(err[0] != '\0');
        assert_int_equal(rep.added + rep.revoked + rep.updated + rep.unchanged, 0);
    }
    /* nothing changed: b's own key still checks; e (f's salt) has f's key and nothing more */
    assert_int_equal(check(b.ks, mine, NULL), KEYSTORE_VALID);
    assert_int_equal(check(e.ks, key, NULL), KEYSTORE_VALID);
    /* a record of the file with the id of a held key but another hash is a conflict, not a merge */
    char conflict[1024];
    snprintf(conflict, sizeof conflict,
             "%s, \"keys\": [{\"id\": \"%s\", \"org\": \"O\", \"profile\": \"bank\", \"rate\": 1, "
             "\"created\": 1, \"revoked\": 0, \"hash\": \"%s\"}]}",
             head, id, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    char err[256];
    assert_int_equal(keystore_import(e.ks, conflict, strlen(conflict), &rep, err, sizeof err),
                     API_ERR_EXISTS);
    assert_int_equal(check(e.ks, key, NULL), KEYSTORE_VALID);
    other_close(&e);
    other_close(&b);
    sodium_memzero(good, len);
    free(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_and_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_handle_sees_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_and_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_organisations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_and_profiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_malformed, setup, teardown),
    };
    return cmocka_run_group_tests_name("keystore", tests, NULL, NULL);
}
