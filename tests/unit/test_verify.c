/*
 * test_verify.c: verify_qrtext end to end: every verdict, the boundaries of
 * validity in Paris time, the fixed order of verify.h, the status source,
 * the tampering acceptance test (no single-character or single-bit change
 * of a real QR text is ever `valid`), and malformed input with its exact
 * reason code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "common/time.h"
#include "qr/b45.h"
#include "qr/cbc.h"
#include "qr/cbw.h"
#include "qr/qrtext.h"
#include "tests/unit/testkit.h"
#include "verifier/verify.h"

/* ---- fixtures ---- */

/* The first occurrence of needle[0..m) in hay[0..n), or NULL (memmem is a GNU extension). */
static uint8_t *find_bytes(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(hay + i, needle, m) == 0) return (uint8_t *)(uintptr_t)(hay + i);
    return NULL;
}

typedef struct {
    int rc;
    verify_status st;
    int calls;
    char seen_id[TRUST_ID_MAX];
    uint32_t seen_idx;
} fake_status;

static int fake_status_fn(void *arg, const trust_entry *entry, uint32_t idx, verify_status *out)
{
    fake_status *f = arg;
    f->calls++;
    strcpy(f->seen_id, entry->id);
    f->seen_idx = idx;
    *out = f->st;
    return f->rc;
}

static char g_text[TESTKIT_QR_MAX];
static size_t g_text_len;
static uint8_t g_cose[TESTKIT_COSE_MAX];
static size_t g_cose_len;
static trust_list g_tl;

static int setup(void **state)
{
    (void)state;
    g_text_len = sizeof g_text;
    if (testkit_default_qr(g_text, &g_text_len) != API_OK) return -1;
    g_cose_len = sizeof g_cose;
    if (testkit_default_cose(g_cose, &g_cose_len) != API_OK) return -1;
    return testkit_trust_list(&g_tl);
}

static int teardown(void **state)
{
    (void)state;
    trust_free(&g_tl);
    return 0;
}

static void run(verify_result *r, const trust_list *tl, int64_t now, fake_status *fs, const char *text,
                size_t len)
{
    verify_ctx ctx = {.tl = tl, .now = now, .status_fn = fs ? fake_status_fn : NULL, .status_arg = fs};
    verify_qrtext(r, &ctx, text, len);
}

static verdict verdict_at(const char *when)
{
    verify_result r;
    run(&r, &g_tl, testkit_time(when), NULL, g_text, g_text_len);
    return r.verdict;
}

static void assert_verdict(const verify_result *r, verdict v, const char *reason)
{
    const char *got = reason_code(r->reason);
    if (r->verdict != v)
        fail_msg("verdict %s (reason %s), expected %s", verdict_code(r->verdict), got ? got : "-",
                 verdict_code(v));
    if (reason == NULL)
        assert_null(got);
    else if (!got || strcmp(got, reason) != 0)
        fail_msg("reason %s, expected %s (verdict %s)", got ? got : "(null)", reason, verdict_code(v));
}

/* ---- verdicts ---- */

static void test_valid(void **state)
{
    (void)state;
    verify_result r;
    run(&r, &g_tl, testkit_time("2026-10-01T12:00:00Z"), NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    assert_int_equal(r.has_claims, 1);
    api_claims c;
    testkit_claims(&c);
    assert_string_equal(r.claims.fn, "DIALLO");
    assert_string_equal(r.claims.gn, "Aminata");
    assert_string_equal(r.claims.tit, c.tit);
    assert_true(r.claims.nbf == c.nbf);
    assert_true(r.claims.exp == c.exp);
    assert_int_equal(r.has_issuer, 1);
    assert_string_equal(r.issuer.id, "FR-75");
    assert_int_equal(r.status_checked, 0);
    assert_true(r.effective_exp == c.exp);
    assert_int_equal(r.extended, 0);
    assert_string_equal(r.cti_hex, TESTKIT_CTI_HEX);
    /* the uncompressed form verifies the same */
    char raw[TESTKIT_QR_MAX];
    size_t rl = testkit_qr_raw(raw, sizeof raw, g_cose, g_cose_len);
    run(&r, &g_tl, testkit_time("2026-10-01T12:00:00Z"), NULL, raw, rl);
    assert_verdict(&r, VERDICT_VALID, NULL);
    /* zlib at another level: valid, or refused as zlib (the format leaves it open), never anything else */
    rl = testkit_qr_zlib(raw, sizeof raw, g_cose, g_cose_len, 1);
    run(&r, &g_tl, testkit_time("2026-10-01T12:00:00Z"), NULL, raw, rl);
    if (r.verdict != VERDICT_VALID) assert_verdict(&r, VERDICT_MALFORMED, "zlib");
}

static void test_dates(void **state)
{
    (void)state;
    api_claims c;
    testkit_claims(&c);
    /* 2026-09-15 00:00 Paris is 2026-09-14T22:00:00Z (CEST); 2026-12-15 23:59:59 Paris is 22:59:59Z (CET) */
    assert_true(c.nbf == testkit_time("2026-09-14T22:00:00Z"));
    assert_true(c.exp == testkit_time("2026-12-15T22:59:59Z"));
    assert_int_equal(verdict_at("2026-09-14T21:00:00Z"), VERDICT_NOT_YET_VALID);
    assert_int_equal(verdict_at("2026-09-14T21:59:59Z"), VERDICT_NOT_YET_VALID);
    assert_int_equal(verdict_at("2026-09-14T22:00:00Z"), VERDICT_VALID); /* nbf itself */
    assert_int_equal(verdict_at("2026-09-15T00:00:00+02:00"), VERDICT_VALID);
    assert_int_equal(verdict_at("2026-12-15T22:59:59Z"), VERDICT_VALID); /* exp itself */
    assert_int_equal(verdict_at("2026-12-15T23:59:59+01:00"), VERDICT_VALID);
    assert_int_equal(verdict_at("2026-12-15T23:00:00Z"), VERDICT_EXPIRED);
    assert_int_equal(verdict_at("2026-12-16T00:00:00+01:00"), VERDICT_EXPIRED);
    assert_int_equal(verdict_at("2027-06-01T00:00:00Z"), VERDICT_EXPIRED);
    assert_int_equal(verdict_at("2020-01-01T00:00:00Z"), VERDICT_NOT_YET_VALID);
    verify_result r;
    run(&r, &g_tl, c.nbf - 1, NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_NOT_YET_VALID, "not_yet_valid");
    assert_int_equal(r.has_claims, 1);
    run(&r, &g_tl, c.exp + 1, NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_EXPIRED, "expired");
    run(&r, &g_tl, c.nbf, NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    run(&r, &g_tl, c.exp, NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
}

static void test_unknown_issuer(void **state)
{
    (void)state;
    trust_list only13, empty;
    testkit_key k13;
    testkit_fr13(&k13);
    trust_entry e;
    testkit_entry(&e, "FR-13", &k13, TRUST_ACTIVE, 0);
    assert_int_equal(testkit_trust_list_with(&only13, &e, 1), 0);
    assert_int_equal(testkit_trust_list_with(&empty, NULL, 0), 0);
    verify_result r;
    run(&r, &only13, testkit_time("2026-10-01T12:00:00Z"), NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_UNKNOWN_ISSUER, "unknown_kid");
    assert_int_equal(r.has_claims, 0);
    assert_int_equal(r.has_issuer, 0);
    run(&r, &empty, testkit_time("2026-10-01T12:00:00Z"), NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_UNKNOWN_ISSUER, "unknown_kid");
    /* an FR-75 entry with another key (after a rotation) does not know the old kid */
    testkit_key other;
    testkit_key_from_seed(&other, 0x22);
    testkit_entry(&only13.entries[0], "FR-75", &other, TRUST_ACTIVE, 0);
    run(&r, &only13, testkit_time("2026-10-01T12:00:00Z"), NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_UNKNOWN_ISSUER, "unknown_kid");
    trust_free(&only13);
    trust_free(&empty);
}

static void test_untrusted_issuer(void **state)
{
    (void)state;
    testkit_key k75, k13;
    testkit_fr75(&k75);
    testkit_fr13(&k13);
    int64_t now = testkit_time("2026-10-01T12:00:00Z");
    api_claims c;
    testkit_claims(&c);
    verify_result r;
    trust_list tl;
    trust_entry e[2];

    /* compromised: nothing signed by the key verifies */
    testkit_entry(&e[0], "FR-75", &k75, TRUST_COMPROMISED, 0);
    testkit_entry(&e[1], "FR-13", &k13, TRUST_ACTIVE, 0);
    assert_int_equal(testkit_trust_list_with(&tl, e, 2), 0);
    run(&r, &tl, now, NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_UNTRUSTED_ISSUER, "key_compromised");
    assert_int_equal(r.has_issuer, 1);
    assert_int_equal(r.has_claims, 0);
    trust_free(&tl);

    /* iss FR-75 signed with FR-13's key */
    char text[TESTKIT_QR_MAX];
    size_t tl_len = sizeof text;
    assert_int_equal(testkit_sign_qr(text, &tl_len, &c, k13.sk), API_OK);
    run(&r, &g_tl, now, NULL, text, tl_len);
    assert_verdict(&r, VERDICT_UNTRUSTED_ISSUER, "issuer_mismatch");
    assert_string_equal(r.issuer.id, "FR-13");
    /* and the other way round */
    api_claims c13 = c;
    strcpy(c13.iss, "FR-13");
    tl_len = sizeof text;
    assert_int_equal(testkit_sign_qr(text, &tl_len, &c13, k75.sk), API_OK);
    run(&r, &g_tl, now, NULL, text, tl_len);
    assert_verdict(&r, VERDICT_UNTRUSTED_ISSUER, "issuer_mismatch");
    /* FR-13 signing as itself is fine */
    tl_len = sizeof text;
    assert_int_equal(testkit_sign_qr(text, &tl_len, &c13, k13.sk), API_OK);
    run(&r, &g_tl, now, NULL, text, tl_len);
    assert_verdict(&r, VERDICT_VALID, NULL);

    /* retired key: iat (2026-09-14T08:00:00Z) after retired_at is refused, before it verifies */
    const struct {
        const char *retired_at;
        verdict v;
    } cases[] = {
        {"2026-09-01T00:00:00Z", VERDICT_UNTRUSTED_ISSUER},
        {"2026-09-14T07:59:59Z", VERDICT_UNTRUSTED_ISSUER},
        {"2026-09-14T08:00:00Z", VERDICT_UNTRUSTED_ISSUER}, /* iat == retired_at: not before it */
        {"2026-09-14T08:00:01Z", VERDICT_VALID},
        {"2026-10-01T00:00:00Z", VERDICT_VALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        testkit_entry(&e[0], "FR-75", &k75, TRUST_RETIRED, testkit_time(cases[i].retired_at));
        assert_int_equal(testkit_trust_list_with(&tl, e, 2), 0);
        run(&r, &tl, now, NULL, g_text, g_text_len);
        assert_verdict(&r, cases[i].v, cases[i].v == VERDICT_VALID ? NULL : "issued_after_retirement");
        trust_free(&tl);
    }
}

static void test_invalid_signature(void **state)
{
    (void)state;
    testkit_key k75, k13;
    testkit_fr75(&k75);
    testkit_fr13(&k13);
    int64_t now = testkit_time("2026-10-01T12:00:00Z");
    verify_result r;
    /* FR-13 signs a header that names FR-75's kid */
    uint8_t payload[2048];
    size_t pl = sizeof payload;
    api_claims c;
    testkit_claims(&c);
    assert_int_equal(testkit_payload(payload, &pl, &c), API_OK);
    uint8_t prot[128], cose[TESTKIT_COSE_MAX];
    size_t prl = testkit_protected(prot, sizeof prot, 1, -8, k75.kid, COSE_TYP_ATTESTATION, 0);
    size_t cl = testkit_cose_signed_with_protected(cose, sizeof cose, prot, prl, payload, pl, k13.sk);
    char text[TESTKIT_QR_MAX];
    size_t tl = sizeof text;
    assert_int_equal(qrtext_encode(text, &tl, cose, cl), API_OK);
    run(&r, &g_tl, now, NULL, text, tl);
    assert_verdict(&r, VERDICT_INVALID_SIGNATURE, "signature");
    assert_int_equal(r.has_claims, 0);
    assert_int_equal(r.has_issuer, 1);
    /* a changed name, re-encoded */
    memcpy(cose, g_cose, g_cose_len);
    uint8_t *hit = find_bytes(cose, g_cose_len, "DIALLO", 6);
    assert_non_null(hit);
    hit[0] = 'B';
    tl = sizeof text;
    assert_int_equal(qrtext_encode(text, &tl, cose, g_cose_len), API_OK);
    run(&r, &g_tl, now, NULL, text, tl);
    assert_verdict(&r, VERDICT_INVALID_SIGNATURE, "signature");
    /* a zero signature */
    memcpy(cose, g_cose, g_cose_len);
    memset(cose + g_cose_len - 64, 0, 64);
    tl = sizeof text;
    assert_int_equal(qrtext_encode(text, &tl, cose, g_cose_len), API_OK);
    run(&r, &g_tl, now, NULL, text, tl);
    assert_verdict(&r, VERDICT_INVALID_SIGNATURE, "signature");
    /* -19 is accepted as well */
    prl = testkit_protected(prot, sizeof prot, 1, COSE_ALG_ED25519, k75.kid, COSE_TYP_ATTESTATION, 0);
    cl = testkit_cose_signed_with_protected(cose, sizeof cose, prot, prl, payload, pl, k75.sk);
    tl = sizeof text;
    assert_int_equal(qrtext_encode(text, &tl, cose, cl), API_OK);
    run(&r, &g_tl, now, NULL, text, tl);
    assert_verdict(&r, VERDICT_VALID, NULL);
}

static void test_trust_list_expired(void **state)
{
    (void)state;
    trust_list tl;
    assert_int_equal(testkit_trust_list(&tl), 0);
    tl.exp = testkit_time("2026-09-30T00:00:00Z");
    verify_result r;
    run(&r, &tl, testkit_time("2026-10-01T12:00:00Z"), NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_STATUS_UNKNOWN, "trust_list_expired");
    assert_int_equal(r.has_claims, 1);
    /* the dates come first: expired stays expired */
    run(&r, &tl, testkit_time("2027-01-01T12:00:00Z"), NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_EXPIRED, "expired");
    /* exactly at the list's exp it is still current */
    run(&r, &tl, tl.exp, NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    trust_free(&tl);
}

/*
 * The verification with fs as status source and a staleness bound: the
 * status held is fresh when now - as_of <= max_staleness (verify_status_fresh).
 */
static void run_status(verify_result *r, int64_t now, int64_t max_staleness, fake_status *fs,
                       const char *text, size_t len)
{
    verify_ctx ctx = {.tl = &g_tl,
                      .now = now,
                      .status_fn = fake_status_fn,
                      .status_arg = fs,
                      .max_staleness = max_staleness};
    verify_qrtext(r, &ctx, text, len);
}

static void test_status_source(void **state)
{
    (void)state;
    int64_t now = testkit_time("2026-10-01T12:00:00Z");
    int64_t as_of = now - 30;
    const int64_t day = VERIFY_DEFAULT_MAX_STALENESS;
    const int64_t year = 366 * 86400; /* a bound as_of meets at every time checked below (fresh) */
    api_claims c;
    testkit_claims(&c);
    verify_result r;
    fake_status fs;

    /* held, fresh (30 s old, a day allowed), valid */
    memset(&fs, 0, sizeof fs);
    fs.st = (verify_status){.held = 1, .as_of = as_of, .status = STATUS_VALID};
    run_status(&r, now, day, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    assert_int_equal(fs.calls, 1);
    assert_string_equal(fs.seen_id, "FR-75");
    assert_int_equal(fs.seen_idx, TESTKIT_STATUS_IDX);
    assert_int_equal(r.status_checked, 1);
    assert_true(r.status_as_of == as_of);
    assert_int_equal(r.status, STATUS_VALID);

    const struct {
        unsigned status;
        verdict v;
        const char *reason;
    } st[] = {
        {STATUS_REVOKED, VERDICT_REVOKED, "revoked"},
        {STATUS_SUSPENDED, VERDICT_SUSPENDED, "suspended"},
        {STATUS_SUPERSEDED, VERDICT_SUPERSEDED, "superseded"},
    };
    for (size_t i = 0; i < 3; i++) {
        fs.st.status = st[i].status;
        run_status(&r, now, day, &fs, g_text, g_text_len);
        assert_verdict(&r, st[i].v, st[i].reason);
        assert_int_equal(r.status, st[i].status);
    }
    /* the order of verify.h: revoked and superseded before the dates, suspended after them */
    fs.st.status = STATUS_REVOKED;
    run_status(&r, testkit_time("2027-02-01T00:00:00Z"), year, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_REVOKED, "revoked");
    run_status(&r, testkit_time("2026-09-01T00:00:00Z"), year, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_REVOKED, "revoked");
    fs.st.status = STATUS_SUPERSEDED;
    run_status(&r, testkit_time("2027-02-01T00:00:00Z"), year, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_SUPERSEDED, "superseded");
    fs.st.status = STATUS_SUSPENDED;
    run_status(&r, testkit_time("2027-02-01T00:00:00Z"), year, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_EXPIRED, "expired");
    run_status(&r, testkit_time("2026-09-01T00:00:00Z"), year, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_NOT_YET_VALID, "not_yet_valid");
    /* suspended before staleness: two days old, a day allowed */
    fs.st.as_of = now - 2 * 86400;
    run_status(&r, now, day, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_SUSPENDED, "suspended");

    /* extended: valid after the printed exp (as_of three months old, still within the bound) */
    int64_t ext = time_paris_end_of_day(2027, 2, 15); /* before the trust list's exp (2027-03-01) */
    memset(&fs, 0, sizeof fs);
    fs.st = (verify_status){.held = 1, .as_of = as_of, .status = STATUS_VALID, .extended_until = ext};
    run_status(&r, testkit_time("2027-01-10T12:00:00Z"), year, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    assert_true(r.effective_exp == ext);
    assert_int_equal(r.extended, 1);
    run_status(&r, ext, year, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    run_status(&r, ext + 1, year, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_EXPIRED, "expired");
    assert_int_equal(r.extended, 1);
    /* before the printed exp the extension is reported too */
    run_status(&r, now, year, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    assert_true(r.effective_exp == ext);
    /* an "extension" earlier than exp shortens nothing */
    fs.st.extended_until = c.exp - 86400;
    run_status(&r, c.exp - 3600, year, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_VALID, NULL);
    assert_true(r.effective_exp == c.exp);
    assert_int_equal(r.extended, 0);
    /* an extension of an expired key's status is ignored when the status is not held */
    fs.st.held = 0;
    fs.st.extended_until = ext;
    run_status(&r, testkit_time("2027-01-10T12:00:00Z"), year, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_EXPIRED, "expired");
    assert_int_equal(r.extended, 0);

    /* stale: status_unknown (a day and 30 s old, a day allowed) */
    memset(&fs, 0, sizeof fs);
    fs.st = (verify_status){.held = 1, .as_of = as_of - 86400, .status = STATUS_VALID};
    run_status(&r, now, day, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_STATUS_UNKNOWN, "status_stale");
    assert_int_equal(r.has_claims, 1);
    /* stale but revoked is still revoked */
    fs.st.status = STATUS_REVOKED;
    run_status(&r, now, day, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_REVOKED, "revoked");
    /* not held */
    memset(&fs, 0, sizeof fs);
    fs.st.held = 0;
    fs.st.status = STATUS_REVOKED; /* ignored: nothing is held */
    run_status(&r, now, day, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_STATUS_UNKNOWN, "no_status");
    assert_int_equal(r.status_checked, 0);
    /* the source fails */
    memset(&fs, 0, sizeof fs);
    fs.rc = -1;
    run_status(&r, now, day, &fs, g_text, g_text_len);
    assert_verdict(&r, VERDICT_STATUS_UNKNOWN, "status_error");
    /* the status source is not asked before the signature verifies */
    memset(&fs, 0, sizeof fs);
    fs.st.held = 1;
    fs.st.as_of = as_of;
    char bad[TESTKIT_QR_MAX];
    memcpy(bad, g_text, g_text_len);
    bad[g_text_len - 1] = bad[g_text_len - 1] == '0' ? '1' : '0';
    run_status(&r, now, day, &fs, bad, g_text_len);
    assert_int_equal(fs.calls, 0);
    assert_true(r.verdict != VERDICT_VALID);
}

static void test_order(void **state)
{
    (void)state;
    /* unknown kid (3) before the signature (5): a garbage signature from an unknown key */
    testkit_key stranger, k75;
    testkit_key_from_seed(&stranger, 0x66);
    testkit_fr75(&k75);
    int64_t now = testkit_time("2026-10-01T12:00:00Z");
    uint8_t prot[128], cose[TESTKIT_COSE_MAX], sig[64];
    memset(sig, 0x5a, sizeof sig);
    size_t prl = testkit_protected(prot, sizeof prot, 1, -8, stranger.kid, COSE_TYP_ATTESTATION, 0);
    size_t cl = testkit_cose_raw(cose, sizeof cose, 18, 4, prot, prl, (const uint8_t *)"\xa0", 1,
                                 (const uint8_t *)"\x01", 1, sig, 64);
    char text[TESTKIT_QR_MAX];
    size_t tl = testkit_qr_raw(text, sizeof text, cose, cl);
    verify_result r;
    run(&r, &g_tl, now, NULL, text, tl);
    assert_verdict(&r, VERDICT_UNKNOWN_ISSUER, "unknown_kid");
    /* signature (5) before claims (6): bad claims under a bad signature */
    prl = testkit_protected(prot, sizeof prot, 1, -8, k75.kid, COSE_TYP_ATTESTATION, 0);
    cl = testkit_cose_raw(cose, sizeof cose, 18, 4, prot, prl, (const uint8_t *)"\xa0", 1,
                          (const uint8_t *)"\x01", 1, sig, 64);
    tl = testkit_qr_raw(text, sizeof text, cose, cl);
    run(&r, &g_tl, now, NULL, text, tl);
    assert_verdict(&r, VERDICT_INVALID_SIGNATURE, "signature");
    /* compromised (4) before the signature (5) */
    trust_list comp;
    trust_entry e;
    testkit_entry(&e, "FR-75", &k75, TRUST_COMPROMISED, 0);
    assert_int_equal(testkit_trust_list_with(&comp, &e, 1), 0);
    run(&r, &comp, now, NULL, text, tl);
    assert_verdict(&r, VERDICT_UNTRUSTED_ISSUER, "key_compromised");
    trust_free(&comp);
    /* typ and alg (2) before the kid lookup (3) */
    prl = testkit_protected(prot, sizeof prot, 1, -7, stranger.kid, COSE_TYP_ATTESTATION, 0);
    cl = testkit_cose_raw(cose, sizeof cose, 18, 4, prot, prl, (const uint8_t *)"\xa0", 1,
                          (const uint8_t *)"\x01", 1, sig, 64);
    tl = testkit_qr_raw(text, sizeof text, cose, cl);
    run(&r, &g_tl, now, NULL, text, tl);
    assert_verdict(&r, VERDICT_MALFORMED, "alg");
    /* issuer mismatch (7) before retirement (8) and dates (10) */
    testkit_key k13;
    testkit_fr13(&k13);
    api_claims c;
    testkit_claims(&c);
    tl = sizeof text;
    assert_int_equal(testkit_sign_qr(text, &tl, &c, k13.sk), API_OK);
    run(&r, &g_tl, testkit_time("2030-01-01T00:00:00Z"), NULL, text, tl);
    assert_verdict(&r, VERDICT_UNTRUSTED_ISSUER, "issuer_mismatch");
    /* retirement (8) before dates (10) */
    trust_entry two[2];
    testkit_entry(&two[0], "FR-75", &k75, TRUST_RETIRED, testkit_time("2026-09-01T00:00:00Z"));
    testkit_entry(&two[1], "FR-13", &k13, TRUST_ACTIVE, 0);
    trust_list ret;
    assert_int_equal(testkit_trust_list_with(&ret, two, 2), 0);
    run(&r, &ret, testkit_time("2030-01-01T00:00:00Z"), NULL, g_text, g_text_len);
    assert_verdict(&r, VERDICT_UNTRUSTED_ISSUER, "issued_after_retirement");
    trust_free(&ret);
}

static void test_codes(void **state)
{
    (void)state;
    static const char *const codes[VERDICT_COUNT] = {
        "valid",          "expired",          "not_yet_valid",  "revoked",
        "suspended",      "superseded",       "status_unknown", "invalid_signature",
        "unknown_issuer", "untrusted_issuer", "malformed",
    };
    for (unsigned i = 0; i < VERDICT_COUNT; i++) {
        assert_string_equal(verdict_code((verdict)i), codes[i]);
    }
    assert_string_equal(verdict_code(VERDICT_COUNT), "unknown");
    verify_result r;
    verify_malformed(&r, API_ERR_TOO_LARGE);
    assert_verdict(&r, VERDICT_MALFORMED, "too_large");
    assert_int_equal(r.has_claims, 0);
}

/* ---- tampering: the acceptance test ---- */

static void test_tamper_every_character(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    int64_t now = testkit_time("2026-10-01T12:00:00Z");
    size_t counts[VERDICT_COUNT] = {0};
    size_t total = 0;
    const char *reasons[16];
    size_t reason_counts[16] = {0}, nreasons = 0;
    char t[TESTKIT_QR_MAX];
    for (size_t pos = 0; pos < g_text_len; pos++) {
        char subs[64];
        size_t ns = 0;
        for (const char *a = alphabet; *a; a++)
            if (*a != g_text[pos]) subs[ns++] = *a;
        subs[ns++] = (char)('a' + pos % 26); /* a lowercase letter */
        for (size_t k = 0; k < ns; k++) {
            memcpy(t, g_text, g_text_len);
            t[pos] = subs[k];
            verify_result r;
            run(&r, &g_tl, now, NULL, t, g_text_len);
            counts[r.verdict]++;
            total++;
            if (r.verdict == VERDICT_MALFORMED) {
                size_t ri = 0;
                while (ri < nreasons && strcmp(reasons[ri], reason_code(r.reason)) != 0) ri++;
                if (ri == nreasons && nreasons < 16) reasons[nreasons++] = reason_code(r.reason);
                if (ri < 16) reason_counts[ri]++;
            }
            if (r.verdict != VERDICT_MALFORMED && r.verdict != VERDICT_INVALID_SIGNATURE)
                fail_msg("position %zu, '%c' -> '%c': verdict %s (%s)", pos, g_text[pos], subs[k],
                         verdict_code(r.verdict), reason_code(r.reason) ? reason_code(r.reason) : "-");
        }
    }
    print_message("character changes: %zu over %zu positions\n", total, g_text_len);
    for (unsigned v = 0; v < VERDICT_COUNT; v++)
        if (counts[v]) print_message("  %-18s %zu\n", verdict_code((verdict)v), counts[v]);
    for (size_t i = 0; i < nreasons; i++)
        print_message("    malformed (%s) %zu\n", reasons[i], reason_counts[i]);
    assert_int_equal(counts[VERDICT_VALID], 0);
    assert_int_equal(counts[VERDICT_MALFORMED] + counts[VERDICT_INVALID_SIGNATURE], total);
}

static void test_tamper_every_cose_bit(void **state)
{
    (void)state;
    int64_t now = testkit_time("2026-10-01T12:00:00Z");
    testkit_key k75;
    testkit_fr75(&k75);
    const uint8_t *kid_at = find_bytes(g_cose, g_cose_len, k75.kid, COSE_KID_LEN);
    assert_non_null(kid_at);
    size_t kid_off = (size_t)(kid_at - g_cose);
    size_t counts[VERDICT_COUNT] = {0};
    size_t reasons_cbor = 0, reasons_not_cose = 0, reasons_typ = 0, reasons_alg = 0, reasons_other = 0;
    uint8_t cose[TESTKIT_COSE_MAX];
    char text[TESTKIT_QR_MAX];
    for (size_t i = 0; i < g_cose_len; i++)
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(cose, g_cose, g_cose_len);
            cose[i] ^= (uint8_t)(1u << bit);
            size_t tl = sizeof text;
            api_err e = qrtext_encode(text, &tl, cose, g_cose_len);
            assert_int_equal(e, API_OK);
            verify_result r;
            run(&r, &g_tl, now, NULL, text, tl);
            counts[r.verdict]++;
            int in_kid = i >= kid_off && i < kid_off + COSE_KID_LEN;
            if (r.verdict == VERDICT_UNKNOWN_ISSUER && in_kid) continue;
            if (r.verdict != VERDICT_MALFORMED && r.verdict != VERDICT_INVALID_SIGNATURE)
                fail_msg("byte %zu bit %u: verdict %s (%s)", i, bit, verdict_code(r.verdict),
                         reason_code(r.reason) ? reason_code(r.reason) : "-");
            if (r.verdict == VERDICT_MALFORMED) {
                if (strcmp(reason_code(r.reason), "cbor") == 0)
                    reasons_cbor++;
                else if (strcmp(reason_code(r.reason), "not_cose_sign1") == 0)
                    reasons_not_cose++;
                else if (strcmp(reason_code(r.reason), "typ") == 0)
                    reasons_typ++;
                else if (strcmp(reason_code(r.reason), "alg") == 0)
                    reasons_alg++;
                else
                    reasons_other++;
            }
        }
    print_message("COSE bit flips: %zu (%zu bytes), kid at bytes %zu..%zu\n", g_cose_len * 8, g_cose_len,
                  kid_off, kid_off + COSE_KID_LEN - 1);
    for (unsigned v = 0; v < VERDICT_COUNT; v++)
        if (counts[v]) print_message("  %-18s %zu\n", verdict_code((verdict)v), counts[v]);
    print_message("  malformed reasons: cbor %zu, not_cose_sign1 %zu, typ %zu, alg %zu, other %zu\n",
                  reasons_cbor, reasons_not_cose, reasons_typ, reasons_alg, reasons_other);
    assert_int_equal(counts[VERDICT_VALID], 0);
    assert_int_equal(counts[VERDICT_UNKNOWN_ISSUER], COSE_KID_LEN * 8);
    assert_int_equal(reasons_other, 0);
}

/* ---- malformed input ---- */

static void expect_malformed(const char *what, const char *text, size_t len, const char *reason)
{
    verify_result r;
    run(&r, &g_tl, testkit_time("2026-10-01T12:00:00Z"), NULL, text, len);
    if (r.verdict != VERDICT_MALFORMED || !reason_code(r.reason) ||
        strcmp(reason_code(r.reason), reason) != 0)
        fail_msg("%s: verdict %s reason %s, expected malformed (%s)", what, verdict_code(r.verdict),
                 reason_code(r.reason) ? reason_code(r.reason) : "-", reason);
    assert_int_equal(r.has_claims, 0);
}

/* COSE bytes -> uncompressed and compressed QR texts, both checked */
static void expect_malformed_cose(const char *what, const uint8_t *cose, size_t len, const char *reason)
{
    static char text[4 * TESTKIT_COSE_MAX];
    size_t tl = testkit_qr_raw(text, sizeof text, cose, len);
    assert_true(tl > 0);
    if (cose[0] == 0xd2) expect_malformed(what, text, tl, reason); /* raw form needs the tag byte */
    tl = testkit_qr_zlib(text, sizeof text, cose, len, 9);
    assert_true(tl > 0);
    expect_malformed(what, text, tl, reason);
}

/* a signed payload (any bytes) from FR-75, so that it reaches claims decoding */
static void expect_malformed_payload(const char *what, const uint8_t *payload, size_t len, const char *reason)
{
    testkit_key k75;
    testkit_fr75(&k75);
    char text[TESTKIT_QR_MAX];
    size_t tl = sizeof text;
    assert_int_equal(testkit_sign_payload_qr(text, &tl, COSE_TYP_ATTESTATION, payload, len, k75.sk), API_OK);
    expect_malformed(what, text, tl, reason);
}

static void test_malformed_text(void **state)
{
    (void)state;
    expect_malformed("empty", "", 0, "prefix");
    static char big[100 * 1024];
    memset(big, 'A', sizeof big);
    expect_malformed("100 KB of A", big, sizeof big, "too_large");
    memcpy(big, "API1:", 5);
    expect_malformed("100 KB after API1:", big, sizeof big, "too_large");
    expect_malformed("over QRTEXT_MAX_TEXT", big, QRTEXT_MAX_TEXT + 1, "too_large");

    /* every prefix length of the real text */
    for (size_t n = 0; n < g_text_len; n++) {
        const char *want;
        uint8_t raw[TESTKIT_COSE_MAX];
        size_t rl = sizeof raw;
        if (n < 5)
            want = "prefix";
        else if (n == 5 || b45_decode(raw, &rl, g_text + 5, n - 5) != 0)
            want = "base45";
        else
            want = "zlib";
        char what[64];
        snprintf(what, sizeof what, "prefix of %zu characters", n);
        expect_malformed(what, g_text, n, want);
    }
    /* wrong prefixes */
    char t[TESTKIT_QR_MAX];
    const char *prefixes[] = {"api1:", "API2:", "HC1:", "API1;", " API1"};
    for (size_t i = 0; i < 5; i++) {
        size_t pl = strlen(prefixes[i]);
        memcpy(t, prefixes[i], pl);
        memcpy(t + pl, g_text + 5, g_text_len - 5);
        expect_malformed(prefixes[i], t, pl + g_text_len - 5, "prefix");
    }
    expect_malformed("API1", "API1", 4, "prefix");
    /* bad Base45 */
    memcpy(t, g_text, g_text_len);
    t[20] = 'q';
    expect_malformed("lowercase", t, g_text_len, "base45");
    t[20] = '#';
    expect_malformed("outside the alphabet", t, g_text_len, "base45");
    expect_malformed("GGW", "API1:GGW", 8, "base45");
    expect_malformed("final pair ZZ", "API1:ZZ", 7, "base45");
    expect_malformed("NUL inside", "API1:\0BB", 8, "base45");
    /* bytes that are neither COSE nor zlib */
    char tx[64];
    size_t tl = testkit_qr_raw(tx, sizeof tx, (const uint8_t *)"\x01\x02\x03", 3);
    expect_malformed("not zlib", tx, tl, "zlib");
}

static void test_malformed_zlib(void **state)
{
    (void)state;
    /* a zlib bomb: 1 MB of zeros */
    size_t big = 1024 * 1024;
    uint8_t *zeros = calloc(1, big);
    assert_non_null(zeros);
    zeros[0] = 0xd2;
    static char text[TESTKIT_QR_MAX];
    size_t tl = testkit_qr_zlib(text, sizeof text, zeros, big, 9);
    free(zeros);
    assert_true(tl > 0 && tl < QRTEXT_MAX_TEXT);
    expect_malformed("zlib bomb", text, tl, "zlib");
    /* a COSE of QRTEXT_MAX_COSE + 1 bytes, compressed: over the bound */
    static uint8_t over[QRTEXT_MAX_COSE + 1];
    memset(over, 0x41, sizeof over);
    over[0] = 0xd2;
    tl = testkit_qr_zlib(text, sizeof text, over, sizeof over, 9);
    expect_malformed("zlib over 4096", text, tl, "zlib");
    /* the same uncompressed: too large */
    tl = testkit_qr_raw(text, sizeof text, over, sizeof over);
    expect_malformed("raw COSE over 4096", text, tl, "too_large");
    /* a trailing byte after the real stream, and a flipped Adler-32 */
    uint8_t z[TESTKIT_COSE_MAX];
    uLongf zl = sizeof z;
    assert_int_equal(compress2(z, &zl, g_cose, (uLong)g_cose_len, 9), Z_OK);
    z[zl] = 0x00;
    tl = testkit_qr_raw(text, sizeof text, z, zl + 1);
    expect_malformed("zlib trailing byte", text, tl, "zlib");
    z[zl - 1] ^= 0x01;
    tl = testkit_qr_raw(text, sizeof text, z, zl);
    expect_malformed("zlib adler", text, tl, "zlib");
}

static void test_malformed_cbor_and_cose(void **state)
{
    (void)state;
    testkit_key k75;
    testkit_fr75(&k75);
    uint8_t prot[128], cose[TESTKIT_COSE_MAX], sig[64];
    memset(sig, 0x33, sizeof sig);
    size_t prl = testkit_protected(prot, sizeof prot, 1, -8, k75.kid, COSE_TYP_ATTESTATION, 0);
    size_t n;

    /* deep nesting in the payload position (instead of a bstr) */
    n = 0;
    cose[n++] = 0xd2;
    cose[n++] = 0x84;
    cose[n++] = 0x58;
    cose[n++] = (uint8_t)prl;
    memcpy(cose + n, prot, prl);
    n += prl;
    cose[n++] = 0xa0;
    size_t at = n;
    memset(cose + n, 0x81, 200);
    n += 200;
    cose[n++] = 0x00;
    cose[n++] = 0x58;
    cose[n++] = 0x40;
    memcpy(cose + n, sig, 64);
    n += 64;
    expect_malformed_cose("deep nesting in the payload position", cose, n, "cbor");
    /* a header claiming 2^37 items there */
    n = at;
    memcpy(cose + n, "\x9b\x00\x00\x00\x20\x00\x00\x00\x00", 9);
    n += 9;
    expect_malformed_cose("2^37 items in the payload position", cose, n, "cbor");
    /* ... and as the whole message */
    expect_malformed_cose("2^37 items", (const uint8_t *)"\xd2\x9b\x00\x00\x00\x20\x00\x00\x00\x00", 10,
                          "cbor");
    expect_malformed_cose("2^37-byte payload",
                          (const uint8_t *)"\xd2\x84\x40\xa0\x5b\x00\x00\x00\x20\x00\x00\x00\x00", 13,
                          "cbor");
    /* duplicate keys in the unprotected map */
    n = testkit_cose_raw(cose, sizeof cose, 18, 4, prot, prl, (const uint8_t *)"\xa2\x01\x27\x01\x27", 5,
                         (const uint8_t *)"\xa0", 1, sig, 64);
    expect_malformed_cose("duplicate keys (unprotected)", cose, n, "cbor");
    /* duplicate keys in the protected header: the header is not a valid COSE header */
    n = testkit_cose_raw(cose, sizeof cose, 18, 4, (const uint8_t *)"\xa2\x01\x27\x01\x27", 5,
                         (const uint8_t *)"\xa0", 1, (const uint8_t *)"\xa0", 1, sig, 64);
    expect_malformed_cose("duplicate keys (protected)", cose, n, "not_cose_sign1");
    /* indefinite lengths */
    expect_malformed_cose("indefinite array", (const uint8_t *)"\xd2\x9f\x40\xa0\x40\x40\xff", 7, "cbor");
    n = testkit_cose_raw(cose, sizeof cose, 18, 4, prot, prl, (const uint8_t *)"\xbf\xff", 2,
                         (const uint8_t *)"\xa0", 1, sig, 64);
    expect_malformed_cose("indefinite map", cose, n, "cbor");
    /* non-shortest head, trailing byte, float */
    n = testkit_cose_raw(cose, sizeof cose, 18, 4, prot, prl, (const uint8_t *)"\xa0", 1,
                         (const uint8_t *)"\xa0", 1, sig, 64);
    cose[n] = 0x00;
    expect_malformed_cose("trailing byte", cose, n + 1, "cbor");
    expect_malformed_cose("float", (const uint8_t *)"\xd2\xf9\x3c\x00", 4, "cbor");
    expect_malformed_cose("tag 18 in two bytes", (const uint8_t *)"\xd8\x12\x80", 3, "cbor");
    /* wrong shapes and types */
    n = testkit_cose_raw(cose, sizeof cose, -1, 4, prot, prl, (const uint8_t *)"\xa0", 1,
                         (const uint8_t *)"\xa0", 1, sig, 64);
    expect_malformed_cose("untagged", cose, n, "not_cose_sign1");
    n = testkit_cose_raw(cose, sizeof cose, 17, 4, prot, prl, (const uint8_t *)"\xa0", 1,
                         (const uint8_t *)"\xa0", 1, sig, 64);
    expect_malformed_cose("tag 17", cose, n, "not_cose_sign1");
    n = testkit_cose_raw(cose, sizeof cose, 18, 3, prot, prl, (const uint8_t *)"\xa0", 1,
                         (const uint8_t *)"\xa0", 1, sig, 64);
    expect_malformed_cose("array of 3", cose, n, "not_cose_sign1");
    n = testkit_cose_raw(cose, sizeof cose, 18, 4, prot, prl, (const uint8_t *)"\xa1\x04\x40", 3,
                         (const uint8_t *)"\xa0", 1, sig, 64);
    expect_malformed_cose("unprotected not {}", cose, n, "not_cose_sign1");
    n = testkit_cose_raw(cose, sizeof cose, 18, 4, prot, prl, (const uint8_t *)"\x80", 1,
                         (const uint8_t *)"\xa0", 1, sig, 64);
    expect_malformed_cose("unprotected an array", cose, n, "not_cose_sign1");
    n = testkit_cose_raw(cose, sizeof cose, 18, 4, prot, prl, (const uint8_t *)"\xa0", 1,
                         (const uint8_t *)"\xa0", 1, sig, 63);
    expect_malformed_cose("signature of 63 bytes", cose, n, "not_cose_sign1");
    expect_malformed_cose("a map", (const uint8_t *)"\xd2\xa0", 2, "not_cose_sign1");
    /* wrong typ: a trust list, a checkpoint */
    uint8_t payload[2048];
    size_t pl = sizeof payload;
    api_claims c;
    testkit_claims(&c);
    assert_int_equal(testkit_payload(payload, &pl, &c), API_OK);
    char text[TESTKIT_QR_MAX];
    size_t tl = sizeof text;
    assert_int_equal(testkit_sign_payload_qr(text, &tl, COSE_TYP_TRUST_LIST, payload, pl, k75.sk), API_OK);
    expect_malformed("trust-list typ", text, tl, "typ");
    tl = sizeof text;
    assert_int_equal(testkit_sign_payload_qr(text, &tl, COSE_TYP_CHECKPOINT, payload, pl, k75.sk), API_OK);
    expect_malformed("checkpoint typ", text, tl, "typ");
    size_t prl2 = testkit_protected(prot, sizeof prot, 1, -8, k75.kid, NULL, 0);
    n = testkit_cose_signed_with_protected(cose, sizeof cose, prot, prl2, payload, pl, k75.sk);
    expect_malformed_cose("no typ", cose, n, "typ");
    /* unknown algorithm, missing algorithm */
    prl2 = testkit_protected(prot, sizeof prot, 1, -7, k75.kid, COSE_TYP_ATTESTATION, 0);
    n = testkit_cose_signed_with_protected(cose, sizeof cose, prot, prl2, payload, pl, k75.sk);
    expect_malformed_cose("alg -7", cose, n, "alg");
    prl2 = testkit_protected(prot, sizeof prot, 0, 0, k75.kid, COSE_TYP_ATTESTATION, 0);
    n = testkit_cose_signed_with_protected(cose, sizeof cose, prot, prl2, payload, pl, k75.sk);
    expect_malformed_cose("no alg", cose, n, "alg");
}

/* The claims map of the testkit with one top-level key's value replaced by raw CBOR (or left out). */
static size_t claims_with(uint8_t *out, size_t cap, int64_t key, const char *raw, size_t raw_len)
{
    api_claims c;
    testkit_claims(&c);
    uint8_t ok[2048];
    size_t okl = sizeof ok;
    assert_int_equal(claims_encode(ok, &okl, &c), API_OK);
    cbor_item_t *m;
    assert_int_equal(cbc_load(&m, ok, okl, CBC_MAX_DEPTH), API_OK);
    struct cbor_pair *p = cbor_map_handle(m);
    size_t np = cbor_map_size(m);
    cbw w;
    cbw_init(&w, out, cap);
    cbw_map(&w, raw ? np : np - 1);
    for (size_t i = 0; i < np; i++) {
        int64_t k;
        assert_int_equal(cbc_get_int64(&k, p[i].key), 0);
        if (k == key && !raw) continue;
        cbw_int(&w, k);
        if (k == key) {
            cbw_raw(&w, (const uint8_t *)raw, raw_len);
        } else {
            unsigned char *v = NULL;
            size_t vs = 0, vl = cbor_serialize_alloc(p[i].value, &v, &vs);
            cbw_raw(&w, v, vl);
            free(v);
        }
    }
    cbor_decref(&m);
    size_t len;
    assert_int_equal(cbw_finish(&w, &len), API_OK);
    return len;
}

static void test_malformed_claims(void **state)
{
    (void)state;
    uint8_t p[2048];
    size_t n;
    expect_malformed_payload("claims not a map", (const uint8_t *)"\x01", 1, "claims");
    expect_malformed_payload("claims an empty map", (const uint8_t *)"\xa0", 1, "claims");
    expect_malformed_payload("claims an array", (const uint8_t *)"\x82\x01\x02", 3, "claims");
    n = claims_with(p, sizeof p, 1, NULL, 0);
    expect_malformed_payload("no iss", p, n, "claims");
    n = claims_with(p, sizeof p, 1, "\x05", 1);
    expect_malformed_payload("iss an integer", p, n, "claims");
    n = claims_with(p, sizeof p, 4,
                    "\x64"
                    "soon",
                    5);
    expect_malformed_payload("exp as text", p, n, "claims");
    n = claims_with(p, sizeof p, 4, "\xc1\x1a\x6a\x00\x00\x00", 6);
    expect_malformed_payload("exp as a tagged date", p, n, "claims");
    n = claims_with(p, sizeof p, 7, "\x4b\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b", 12);
    expect_malformed_payload("cti of 11 bytes", p, n, "claims");
    n = claims_with(p, sizeof p, 65535, "\xa1\x6bstatus_list\xa2\x63idx\x1a\x00\x20\x00\x00\x63uri\x61/", 29);
    expect_malformed_payload("idx 2^21", p, n, "claims");
    n = claims_with(p, sizeof p, -65537, "\xa0", 1);
    expect_malformed_payload("empty attestation claims", p, n, "claims");
    n = claims_with(p, sizeof p, -65537, NULL, 0);
    expect_malformed_payload("no attestation claims", p, n, "claims");
    /* a valid map whose values break the rules */
    api_claims c;
    testkit_claims(&c);
    c.exp = c.nbf - 1;
    testkit_key k75;
    testkit_fr75(&k75);
    char text[TESTKIT_QR_MAX];
    size_t tl = sizeof text;
    assert_int_equal(testkit_sign_qr(text, &tl, &c, k75.sk), API_ERR_CLAIMS); /* the encoder refuses */
    n = claims_with(p, sizeof p, 4, "\x1a\x68\xc6\x00\x00", 5);               /* exp 2025-09-14, before nbf */
    expect_malformed_payload("exp before nbf", p, n, "claims");
    n = claims_with(p, sizeof p, 6, "\x20", 1);
    expect_malformed_payload("iat negative", p, n, "claims");
    /* an unknown extra claim is fine */
    uint8_t ok[2048];
    size_t okl = sizeof ok;
    testkit_claims(&c);
    assert_int_equal(claims_encode(ok, &okl, &c), API_OK);
    ok[0] = 0xa8;
    memcpy(ok + okl, "\x08\xa0", 2); /* 8 (cnf): {} */
    tl = sizeof text;
    assert_int_equal(testkit_sign_payload_qr(text, &tl, COSE_TYP_ATTESTATION, ok, okl + 2, k75.sk), API_OK);
    verify_result r;
    run(&r, &g_tl, testkit_time("2026-10-01T12:00:00Z"), NULL, text, tl);
    assert_verdict(&r, VERDICT_VALID, NULL);
}

/*
 * Known failure (the claims.c early return, see test_claims.c): a signed
 * payload that is not canonical CBOR reaches step 6 of verify.h, whose only
 * reason is "claims"; verify_qrtext reports "cbor" instead.
 */
static void test_malformed_claims_not_canonical(void **state)
{
    (void)state;
    api_claims c;
    testkit_claims(&c);
    uint8_t ok[2048];
    size_t okl = sizeof ok;
    assert_int_equal(claims_encode(ok, &okl, &c), API_OK);
    /* duplicate key: 4 (exp) rewritten as 1 (iss) */
    uint8_t dup[2048];
    memcpy(dup, ok, okl);
    uint8_t *hit = find_bytes(dup, okl, "\x04\x1a", 2);
    assert_non_null(hit);
    hit[0] = 0x01;
    expect_malformed_payload("duplicate keys in the claims", dup, okl, "claims");
    /* indefinite-length map */
    uint8_t indef[2048];
    indef[0] = 0xbf;
    memcpy(indef + 1, ok + 1, okl - 1);
    indef[okl] = 0xff;
    expect_malformed_payload("indefinite claims map", indef, okl + 1, "claims");
    /* trailing byte */
    ok[okl] = 0x00;
    expect_malformed_payload("trailing byte after the claims", ok, okl + 1, "claims");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_unknown_issuer),
        cmocka_unit_test(test_untrusted_issuer),
        cmocka_unit_test(test_invalid_signature),
        cmocka_unit_test(test_trust_list_expired),
        cmocka_unit_test(test_status_source),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_tamper_every_character),
        cmocka_unit_test(test_tamper_every_cose_bit),
        cmocka_unit_test(test_malformed_text),
        cmocka_unit_test(test_malformed_zlib),
        cmocka_unit_test(test_malformed_cbor_and_cose),
        cmocka_unit_test(test_malformed_claims),
        cmocka_unit_test(test_malformed_claims_not_canonical),
    };
    return cmocka_run_group_tests_name("verify", tests, setup, teardown);
}
