/*
 * test_receiptkey.c: the verifier's side of receipts (verifier/receiptkey.h,
 * verifier/receipttext.h): a receipt made from each profile's report holds
 * exactly what that report shows; the key file made plain (mode 0600),
 * opened again, refused when its document lists another key or when the
 * organisation differs; a rotation that keeps the old key retired; the
 * receipt-keys reader's refusals (every rule of the document); the
 * trust list's receipt signers as a key set (and a list without them
 * encoded as before); a receipt read back from a PNG by the document
 * reader; the words of a check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "qr/render.h"
#include "tests/unit/testkit.h"
#include "verifier/document.h"
#include "verifier/receiptkey.h"
#include "verifier/receipttext.h"
#include "verifier/report.h"

static int fake_status_fn(void *arg, const trust_entry *entry, uint32_t idx, verify_status *out)
{
    (void)arg;
    (void)entry;
    (void)idx;
    memset(out, 0, sizeof *out);
    out->held = 1;
    out->as_of = testkit_time("2026-10-01T11:45:00Z");
    out->status = STATUS_VALID;
    return 0;
}

/* The testkit attestation verified at 2026-10-01T12:00:00Z with a fresh status, as profile p's report. */
static cJSON *report_of(report_profile p, const char *text_override)
{
    static trust_list tl;
    static int ready;
    if (!ready) {
        assert_int_equal(testkit_trust_list(&tl), 0);
        ready = 1;
    }
    char text[TESTKIT_QR_MAX];
    size_t len = sizeof text;
    if (text_override) {
        snprintf(text, sizeof text, "%s", text_override);
        len = strlen(text);
    } else {
        assert_int_equal(testkit_default_qr(text, &len), API_OK);
    }
    verify_ctx ctx = {.tl = &tl,
                      .now = testkit_time("2026-10-01T12:00:00Z"),
                      .status_fn = fake_status_fn,
                      .max_staleness = 24 * 3600};
    verify_result r;
    verify_qrtext(&r, &ctx, text, len);
    cJSON *j = report_json(&r, &ctx, p);
    assert_non_null(j);
    return j;
}

static void test_receipt_of_each_profile(void **state)
{
    (void)state;
    static const struct {
        report_profile p;
        const char *name;
        int cti, work;
    } cases[] = {
        {REPORT_FULL, "social", 1, 1},
        {REPORT_EMPLOYER, "employer", 1, 1},
        {REPORT_IDENTITY, "landlord", 1, 0},
        {REPORT_ANONYMOUS, "anonymous", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *j = report_of(cases[i].p, NULL);
        api_receipt r;
        assert_int_equal(receipt_of_report(&r, j, "V", "Org", cases[i].name), API_OK);
        assert_string_equal(r.result, "valid");
        assert_string_equal(r.reason, "");
        assert_string_equal(r.profile, cases[i].name);
        assert_int_equal(r.checked_at, testkit_time("2026-10-01T12:00:00Z"));
        assert_true(r.has_status);
        assert_int_equal(r.status_as_of, testkit_time("2026-10-01T11:45:00Z"));
        assert_true(r.has_issuer);
        assert_string_equal(r.iss, "FR-75");
        assert_true(r.has_holder);
        assert_string_equal(r.fn, "DIALLO");
        assert_string_equal(r.gn, "Aminata");
        assert_int_equal(r.has_cti, cases[i].cti);
        assert_int_equal(r.has_work, cases[i].work);
        if (cases[i].work) assert_int_equal(r.wrk, CLAIMS_WRK_YES);
        assert_true(r.has_until);
        assert_string_equal(r.until, "2026-12-15");
        assert_false(r.extended);
        /* what the report does not show, the receipt cannot carry: taken away, it is gone */
        cJSON_DeleteItemFromObject(j, "holder");
        assert_int_equal(receipt_of_report(&r, j, "V", "Org", cases[i].name), API_OK);
        assert_false(r.has_holder);
        cJSON_Delete(j);
    }
    /* a malformed code: only the verdict */
    cJSON *j = report_of(REPORT_ANONYMOUS, "API1:***");
    api_receipt r;
    assert_int_equal(receipt_of_report(&r, j, "V", "anonymous", "anonymous"), API_OK);
    assert_string_equal(r.result, "malformed");
    assert_string_equal(r.reason, "base45");
    assert_false(r.has_issuer || r.has_cti || r.has_holder || r.has_work || r.has_until);
    /* a report without its required members, or with a bad one */
    cJSON_DeleteItemFromObject(j, "checked_at");
    assert_int_equal(receipt_of_report(&r, j, "V", "anonymous", "anonymous"), API_ERR_CLAIMS);
    cJSON_Delete(j);
    j = report_of(REPORT_EMPLOYER, NULL);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(j, "rights"), "work", cJSON_CreateString("maybe"));
    assert_int_equal(receipt_of_report(&r, j, "V", "Org", "employer"), API_ERR_CLAIMS);
    cJSON_Delete(j);
}

static void test_key_files(void **state)
{
    (void)state;
    char dir[TESTKIT_DIR_MAX], path[TESTKIT_DIR_MAX + 32], doc[TESTKIT_DIR_MAX + 40], err[512];
    assert_int_equal(testkit_tmpdir(dir, "api-receiptkey"), 0);
    snprintf(path, sizeof path, "%s/receipt-key", dir);
    snprintf(doc, sizeof doc, "%s.json", path);
    unsetenv("API_PASSPHRASE");
    receiptkey *k;
    int created;
    assert_int_equal(receiptkey_open(&k, &created, path, "Mon vérificateur", NULL, 1000, err, sizeof err),
                     API_OK);
    assert_true(created);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 40);
    assert_string_equal(receiptkey_org(k), "Mon vérificateur");
    char kid[17];
    snprintf(kid, sizeof kid, "%s", receiptkey_kid_hex(k));
    /* a receipt it signs verifies with the document it publishes */
    size_t dlen;
    const char *d = receiptkey_document(k, &dlen);
    receipt_key *keys;
    size_t n;
    char verifier[RECEIPT_ORG_MAX];
    assert_int_equal(receiptkeys_parse(&keys, &n, verifier, d, dlen, err, sizeof err), API_OK);
    assert_int_equal(n, 1);
    assert_string_equal(verifier, "Mon vérificateur");
    api_receipt r;
    testkit_receipt(&r);
    char text[RECEIPT_TEXT_MAX];
    size_t tlen = sizeof text;
    assert_int_equal(receiptkey_sign(k, text, &tlen, &r), API_OK);
    api_receipt back;
    assert_int_equal(receipt_verify(&back, NULL, NULL, text, tlen, keys, n), RECEIPT_VALID);
    assert_string_equal(back.verifier, "Mon vérificateur");
    free(keys);
    receiptkey_free(k);

    /* opened again: the same key, not made again; another organisation refused */
    assert_int_equal(receiptkey_open(&k, &created, path, NULL, NULL, 2000, err, sizeof err), API_OK);
    assert_false(created);
    assert_string_equal(receiptkey_kid_hex(k), kid);
    receiptkey_free(k);
    assert_int_equal(receiptkey_open(&k, &created, path, "Autre", NULL, 2000, err, sizeof err), API_ERR_ARG);
    assert_non_null(strstr(err, "rotate-key"));
    assert_int_equal(receiptkey_open(&k, &created, path, "bad\nname", NULL, 2000, err, sizeof err),
                     API_ERR_ARG);

    /* rotation: the old key retired in the document, the new one current */
    char old_kid[17], new_kid[17];
    assert_int_equal(receiptkey_rotate(path, NULL, NULL, 5000, old_kid, new_kid, err, sizeof err), API_OK);
    assert_string_equal(old_kid, kid);
    assert_string_not_equal(new_kid, kid);
    assert_int_equal(receiptkey_open(&k, &created, path, NULL, NULL, 6000, err, sizeof err), API_OK);
    assert_string_equal(receiptkey_kid_hex(k), new_kid);
    d = receiptkey_document(k, &dlen);
    assert_int_equal(receiptkeys_parse(&keys, &n, verifier, d, dlen, err, sizeof err), API_OK);
    assert_int_equal(n, 2);
    assert_int_equal(keys[0].retired_at, 0);
    assert_int_equal(keys[0].not_before, 5000);
    assert_int_equal(keys[1].retired_at, 5000);
    /* the receipt signed at 2026 by the old key: after its retirement at 5000 */
    assert_int_equal(receipt_verify(&back, NULL, NULL, text, tlen, keys, n), RECEIPT_KEY_RETIRED);
    free(keys);
    receiptkey_free(k);

    /* two rotations in one second: a key with an empty period, and a document that still reads */
    assert_int_equal(receiptkey_rotate(path, NULL, NULL, 5000, old_kid, new_kid, err, sizeof err), API_OK);
    assert_int_equal(receiptkey_open(&k, &created, path, NULL, NULL, 5000, err, sizeof err), API_OK);
    d = receiptkey_document(k, &dlen);
    assert_int_equal(receiptkeys_parse(&keys, &n, verifier, d, dlen, err, sizeof err), API_OK);
    assert_int_equal(n, 3);
    free(keys);
    receiptkey_free(k);

    /* a key file that its document does not list: refused */
    uint8_t *saved;
    size_t saved_len;
    assert_int_equal(fs_read_file(&saved, &saved_len, doc, 1 << 20), API_OK);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(receiptkey_open(&k, &created, path, NULL, NULL, 7000, err, sizeof err), API_ERR_KEYFILE);
    assert_non_null(strstr(err, "does not publish"));
    /* a damaged document */
    assert_int_equal(fs_write_atomic(doc, "{}", 2, 0644, 0), API_OK);
    assert_int_equal(receiptkey_open(&k, &created, path, NULL, NULL, 7000, err, sizeof err), API_ERR_KEYFILE);
    free(saved);
    /* not a key file */
    assert_int_equal(fs_write_atomic(path, "hello", 5, 0600, 0), API_OK);
    setenv("API_PASSPHRASE", "x", 1);
    assert_int_not_equal(receiptkey_open(&k, &created, path, NULL, NULL, 7000, err, sizeof err), API_OK);
    unsetenv("API_PASSPHRASE");
    assert_int_equal(testkit_tmpdir_remove(dir), 0);
}

static void test_keys_document_refusals(void **state)
{
    (void)state;
    static const char *const good =
        "{\"verifier\": \"V\", \"keys\": [{\"kid\": \"87ee73837d4ba020\", \"alg\": \"EdDSA\", "
        "\"public_key\": \"IBLLkMpg6OXY2vZuInLSIz4EhtVX6MZhQe2JIBd9frc\", \"name\": \"V\", "
        "\"not_before\": \"2026-01-01T00:00:00Z\", \"retired_at\": null}]}";
    receipt_key *keys;
    size_t n;
    char verifier[RECEIPT_ORG_MAX], err[256];
    assert_int_equal(receiptkeys_parse(&keys, &n, verifier, good, strlen(good), err, sizeof err), API_OK);
    assert_int_equal(n, 1);
    testkit_key k;
    testkit_receipt_key(&k);
    assert_memory_equal(keys[0].pub, k.pk, 32);
    free(keys);
    static const struct {
        const char *from, *to, *why;
    } bad[] = {
        {"87ee73837d4ba020", "87ee73837d4ba021", "hash of its key"},
        {"87ee73837d4ba020", "87EE73837D4BA020", "lowercase hex"},
        {"\"kid\": \"87ee73837d4ba020\"", "\"kid\": \"87ee\"", "16 lowercase hex"},
        {"EdDSA", "ES256", "alg"},
        {"IBLLkMpg6OXY2vZuInLSIz4EhtVX6MZhQe2JIBd9frc", "IBLL", "public_key"},
        {"\"name\": \"V\"", "\"name\": \"\"", "name"},
        {"\"name\": \"V\"", "\"name\": 5", "name"},
        {"2026-01-01T00:00:00Z", "2026-01-01", "not_before"},
        {"\"retired_at\": null", "\"retired_at\": \"2025-01-01T00:00:00Z\"", "before its not_before"},
        {"\"retired_at\": null", "\"retired_at\": 5", "retired_at"},
        {"\"verifier\": \"V\"", "\"verifier\": \"\"", "receipt-keys"},
        {"\"keys\": [", "\"keys\": {\"a\": [", "not well-formed"},
        {"{\"verifier\"", "[{\"verifier\"", "not well-formed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char doc[1024];
        const char *at = strstr(good, bad[i].from);
        assert_non_null(at);
        snprintf(doc, sizeof doc, "%.*s%s%s", (int)(at - good), good, bad[i].to, at + strlen(bad[i].from));
        api_err e = receiptkeys_parse(&keys, &n, verifier, doc, strlen(doc), err, sizeof err);
        if (e != API_ERR_TRUST_LIST || !strstr(err, bad[i].why))
            fail_msg("case %zu: %s -> %d (%s), expected a refusal naming '%s'", i, bad[i].to, e, err,
                     bad[i].why);
        assert_null(keys);
        assert_int_equal(n, 0);
    }
    /* two keys of one kid */
    char twice[2048];
    const char *arr = strchr(good, '[');
    const char *end = strrchr(good, ']');
    snprintf(twice, sizeof twice, "%.*s%.*s, %.*s]}", (int)(arr - good + 1), good, (int)(end - arr - 1),
             arr + 1, (int)(end - arr - 1), arr + 1);
    assert_int_equal(receiptkeys_parse(&keys, &n, verifier, twice, strlen(twice), err, sizeof err),
                     API_ERR_TRUST_LIST);
    assert_non_null(strstr(err, "same kid"));
    /* deep nesting and a long document are refused before parsing */
    char deep[512];
    memset(deep, '[', sizeof deep);
    assert_int_equal(receiptkeys_parse(&keys, &n, verifier, deep, sizeof deep, err, sizeof err),
                     API_ERR_TRUST_LIST);
    assert_int_equal(receiptkeys_parse(&keys, &n, verifier, good, RECEIPTKEY_DOC_MAX + 1, err, sizeof err),
                     API_ERR_TRUST_LIST);
}

static void test_trust_receipt_signers(void **state)
{
    (void)state;
    trust_list tl;
    assert_int_equal(testkit_trust_list(&tl), 0);
    uint8_t *before, *after;
    size_t before_len, after_len;
    assert_int_equal(trust_encode(&before, &before_len, &tl), API_OK);
    /* a list without signers: no member, the bytes as before */
    assert_null(memchr(before, 'r', 0));
    testkit_key k;
    testkit_receipt_key(&k);
    tl.receipt_signers = calloc(2, sizeof *tl.receipt_signers);
    assert_non_null(tl.receipt_signers);
    tl.n_receipt_signers = 1;
    trust_receipt_signer *s = &tl.receipt_signers[0];
    snprintf(s->name, sizeof s->name, "%s", TESTKIT_RECEIPT_ORG);
    memcpy(s->pub, k.pk, 32);
    memcpy(s->kid, k.kid, 8);
    s->state = TRUST_ACTIVE;
    assert_int_equal(trust_encode(&after, &after_len, &tl), API_OK);
    assert_true(after_len > before_len);
    /* the list with a signer decodes to it, and the issuers are the same */
    trust_list back;
    assert_int_equal(trust_decode(&back, after, after_len), API_OK);
    assert_int_equal(back.n, tl.n);
    assert_int_equal(back.n_receipt_signers, 1);
    assert_string_equal(back.receipt_signers[0].name, TESTKIT_RECEIPT_ORG);
    receipt_key *keys;
    size_t n;
    assert_int_equal(receiptkeys_from_trust(&keys, &n, &back), API_OK);
    assert_int_equal(n, 1);
    api_receipt r, out;
    testkit_receipt(&r);
    char text[RECEIPT_TEXT_MAX];
    size_t len = sizeof text;
    assert_int_equal(receipt_sign(text, &len, &r, k.sk), API_OK);
    assert_int_equal(receipt_verify(&out, NULL, NULL, text, len, keys, n), RECEIPT_VALID);
    free(keys);
    /* retired before the receipt: refused */
    back.receipt_signers[0].state = TRUST_RETIRED;
    back.receipt_signers[0].retired_at = r.checked_at - 1;
    assert_int_equal(receiptkeys_from_trust(&keys, &n, &back), API_OK);
    assert_int_equal(receipt_verify(&out, NULL, NULL, text, len, keys, n), RECEIPT_KEY_RETIRED);
    free(keys);
    trust_free(&back);
    /* the rules: an issuer's key, a kid twice, a compromised state, a bad name */
    char err[128];
    memcpy(s->pub, tl.entries[0].pub, 32);
    memcpy(s->kid, tl.entries[0].kid, 8);
    assert_int_equal(trust_validate(&tl, err, sizeof err), API_ERR_TRUST_LIST);
    assert_non_null(strstr(err, "issuer's key"));
    memcpy(s->pub, k.pk, 32);
    memcpy(s->kid, k.kid, 8);
    tl.receipt_signers[1] = *s;
    tl.n_receipt_signers = 2;
    assert_int_equal(trust_validate(&tl, err, sizeof err), API_ERR_TRUST_LIST);
    assert_non_null(strstr(err, "same kid"));
    tl.n_receipt_signers = 1;
    s->state = TRUST_COMPROMISED;
    assert_int_equal(trust_validate(&tl, err, sizeof err), API_ERR_TRUST_LIST);
    s->state = TRUST_ACTIVE;
    s->name[0] = '\0';
    assert_int_equal(trust_validate(&tl, err, sizeof err), API_ERR_TRUST_LIST);
    free(before);
    free(after);
    trust_free(&tl);
}

/* A receipt in a PNG's QR code is found by the document reader, as `receipt check --file` reads it. */
static void test_receipt_in_png(void **state)
{
    (void)state;
    api_receipt r;
    testkit_receipt(&r);
    testkit_key k;
    testkit_receipt_key(&k);
    char text[RECEIPT_TEXT_MAX];
    size_t len = sizeof text;
    assert_int_equal(receipt_sign(text, &len, &r, k.sk), API_OK);
    uint8_t *png;
    size_t png_len;
    int version;
    assert_int_equal(render_png(&png, &png_len, &version, text, NULL), API_OK);
    print_message("the example receipt: QR version %d at level M\n", version);
    document_config dc = {0};
    document doc;
    assert_int_equal(document_read(&doc, &dc, png, png_len), DOCUMENT_OK);
    assert_int_equal(doc.n_codes, 1);
    assert_int_equal(doc.codes[0].len, len);
    assert_memory_equal(doc.codes[0].text, text, len);
    document_free(&doc);
    free(png);
}

static void test_words(void **state)
{
    (void)state;
    api_receipt r;
    testkit_receipt(&r);
    testkit_key k;
    testkit_receipt_key(&k);
    receipt_key key;
    testkit_receipt_keyset(&key, &k, TESTKIT_RECEIPT_ORG);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    receipttext_print(f, RECEIPT_VALID, &r, &key);
    fclose(f);
    assert_non_null(strstr(buf, "n'est pas une autorisation délivrée par la préfecture"));
    assert_non_null(strstr(buf, "not an authorisation issued by the préfecture"));
    assert_non_null(strstr(buf, "1er octobre 2026 à 14:00 (heure de Paris)"));
    assert_non_null(strstr(buf, "Pour : Boulangerie Martin (profil : employeur)"));
    assert_non_null(strstr(buf, "Titulaire : DIALLO Aminata"));
    free(buf);
    /* a refused receipt: only why */
    buf = NULL;
    f = open_memstream(&buf, &size);
    receipttext_print(f, RECEIPT_BAD_SIGNATURE, &r, NULL);
    fclose(f);
    assert_null(strstr(buf, "DIALLO"));
    assert_non_null(strstr(buf, "refused: the signature does not match"));
    free(buf);
    cJSON *j = receipttext_json(RECEIPT_VALID, &r, &key);
    assert_string_equal(cJSON_GetObjectItem(j, "work")->valuestring, "yes");
    assert_string_equal(cJSON_GetObjectItem(j, "attestation_id")->valuestring, TESTKIT_CTI_HEX);
    cJSON_Delete(j);
    assert_string_equal(receipttext_profile("landlord", LANG_FR), "bailleur");
    assert_string_equal(receipttext_profile("other", LANG_EN), "other");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receipt_of_each_profile), cmocka_unit_test(test_key_files),
        cmocka_unit_test(test_keys_document_refusals),  cmocka_unit_test(test_trust_receipt_signers),
        cmocka_unit_test(test_receipt_in_png),          cmocka_unit_test(test_words),
    };
    return cmocka_run_group_tests_name("receiptkey", tests, NULL, NULL);
}
