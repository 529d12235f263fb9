/*
 * test_receipt.c: the verification receipt (qr/receipt.h): round trip of
 * the payload and of the signed text, every optional field present or
 * absent (a profile that does not see a field leaves it out), the
 * writer's canonical order, malformed payloads and envelopes, and the
 * verification against a key set (unknown key, changed byte, wrong key,
 * signer's name, a key's period). Then the published vectors
 * (docs/vectors/receipts.json): the generator must write the committed
 * file again, and every vector must give its committed answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "qr/cbc.h"
#include "qr/cbw.h"
#include "qr/qrtext.h"
#include "qr/receipt.h"
#include "qr/trust.h"
#include "tests/unit/testkit.h"

#define VEC_FILE "docs/vectors/receipts.json"
#define VEC_GEN  "gen_receipts"
#define VEC_MAX  (1 << 20)

/* The first place of needle in hay, or NULL (memmem is not standard C). */
static uint8_t *find(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(hay + i, needle, m) == 0) return (uint8_t *)(uintptr_t)(hay + i);
    return NULL;
}

static void sign_text(char *text, size_t *len, const api_receipt *r, const testkit_key *k)
{
    *len = RECEIPT_TEXT_MAX;
    assert_int_equal(receipt_sign(text, len, r, k->sk), API_OK);
    assert_int_equal(*len, strlen(text));
}

static void round_trip(const api_receipt *r)
{
    uint8_t buf[2048];
    size_t len = sizeof buf;
    api_receipt back;
    assert_int_equal(receipt_encode_payload(buf, &len, r), API_OK);
    assert_int_equal(receipt_decode_payload(&back, buf, len), API_OK);
    assert_memory_equal(&back, r, sizeof back);
}

static void test_round_trip(void **state)
{
    (void)state;
    api_receipt r, back;
    testkit_receipt(&r);
    round_trip(&r);

    testkit_key k;
    testkit_receipt_key(&k);
    char text[RECEIPT_TEXT_MAX];
    size_t len;
    sign_text(text, &len, &r, &k);
    assert_memory_equal(text, RECEIPT_PREFIX, 5);
    receipt_key set;
    testkit_receipt_keyset(&set, &k, TESTKIT_RECEIPT_ORG);
    const receipt_key *used;
    api_err err;
    assert_int_equal(receipt_verify(&back, &used, &err, text, len, &set, 1), RECEIPT_VALID);
    assert_ptr_equal(used, &set);
    assert_int_equal(err, API_OK);
    assert_memory_equal(&back, &r, sizeof r);
    print_message("example receipt: %zu characters of QR text\n", len);

    /* names of 127 bytes each, the longest organisations and codes: still fits the buffer */
    memset(r.fn, 'A', sizeof r.fn - 1);
    memset(r.gn, 'B', sizeof r.gn - 1);
    memset(r.org, 'C', sizeof r.org - 1);
    memset(r.issuer_name, 'D', sizeof r.issuer_name - 1);
    memset(r.verifier, 'E', sizeof r.verifier - 1);
    set.name[0] = 0;
    snprintf(set.name, sizeof set.name, "%s", r.verifier);
    round_trip(&r);
    sign_text(text, &len, &r, &k);
    assert_int_equal(receipt_verify(&back, NULL, NULL, text, len, &set, 1), RECEIPT_VALID);
    print_message("longest receipt: %zu characters of QR text\n", len);
}

/* Every combination of the optional fields round-trips, and an absent one is absent. */
static void test_optional_fields(void **state)
{
    (void)state;
    for (unsigned mask = 0; mask < 64; mask++) {
        api_receipt r;
        testkit_receipt(&r);
        r.has_issuer = (mask & 1) != 0;
        r.has_cti = (mask & 2) != 0;
        r.has_holder = (mask & 4) != 0;
        r.has_work = (mask & 8) != 0;
        r.has_until = (mask & 16) != 0;
        r.has_status = (mask & 32) != 0;
        if (!r.has_issuer) memset(r.iss, 0, sizeof r.iss), memset(r.issuer_name, 0, sizeof r.issuer_name);
        if (!r.has_cti) memset(r.cti, 0, sizeof r.cti);
        if (!r.has_holder) memset(r.fn, 0, sizeof r.fn), memset(r.gn, 0, sizeof r.gn);
        if (!r.has_work) r.wrk = 0;
        if (!r.has_until) memset(r.until, 0, sizeof r.until);
        if (!r.has_status) r.status_as_of = 0;
        if (mask & 1)
            snprintf(r.reason, sizeof r.reason, "expired"), snprintf(r.result, sizeof r.result, "expired");
        round_trip(&r);
        uint8_t buf[2048];
        size_t len = sizeof buf;
        assert_int_equal(receipt_encode_payload(buf, &len, &r), API_OK);
        /* the absent fields' keys are not in the bytes */
        assert_int_equal(find(buf, len,
                              "\x62"
                              "fn",
                              3) != NULL,
                         r.has_holder);
        assert_int_equal(find(buf, len,
                              "\x63"
                              "wrk",
                              4) != NULL,
                         r.has_work);
        assert_int_equal(find(buf, len,
                              "\x63"
                              "cti",
                              4) != NULL,
                         r.has_cti);
        assert_int_equal(find(buf, len,
                              "\x63"
                              "sat",
                              4) != NULL,
                         r.has_status);
    }
    /* the least a receipt holds: an anonymous check of a malformed code */
    api_receipt r;
    memset(&r, 0, sizeof r);
    snprintf(r.verifier, sizeof r.verifier, "V");
    snprintf(r.result, sizeof r.result, "malformed");
    snprintf(r.reason, sizeof r.reason, "base45");
    snprintf(r.profile, sizeof r.profile, "anonymous");
    snprintf(r.org, sizeof r.org, "anonymous");
    round_trip(&r);
    /* an extended end */
    testkit_receipt(&r);
    r.extended = 1;
    round_trip(&r);
    /* a holder without given names */
    memset(r.gn, 0, sizeof r.gn);
    round_trip(&r);
}

/* The writer's bytes: keys in the deterministic order, the example's payload as the docs show it. */
static void test_canonical(void **state)
{
    (void)state;
    api_receipt r;
    testkit_receipt(&r);
    uint8_t buf[2048];
    size_t len = sizeof buf;
    assert_int_equal(receipt_encode_payload(buf, &len, &r), API_OK);
    assert_int_equal(cbc_check(buf, len, CBC_MAX_DEPTH), API_OK);
    /* a3 01 <iss> 06 <iat> 3a 00 01 00 01 <map> */
    assert_int_equal(buf[0], 0xa3);
    assert_int_equal(buf[1], 0x01);
    const uint8_t *m = find(buf, len, "\x3a\x00\x01\x00\x01", 5);
    assert_non_null(m);
    assert_int_equal(m[5], 0xad); /* 13 entries */
    const char *order[] = {"\x61v",
                           "\x62"
                           "fn",
                           "\x62"
                           "gn",
                           "\x63"
                           "cti",
                           "\x63"
                           "ext",
                           "\x63"
                           "isn",
                           "\x63"
                           "iss",
                           "\x63"
                           "org",
                           "\x63"
                           "prf",
                           "\x63"
                           "res",
                           "\x63"
                           "sat",
                           "\x63"
                           "unt",
                           "\x63"
                           "wrk"};
    const uint8_t *prev = m;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const uint8_t *at = find(m, len - (size_t)(m - buf), order[i], strlen(order[i]));
        assert_non_null(at);
        assert_true(at > prev);
        prev = at;
    }
}

static void test_validate(void **state)
{
    (void)state;
    api_receipt r;
    const char *field;
    uint8_t buf[2048];
    size_t len = sizeof buf;
#define BAD(stmt, name)                                                                                      \
    do {                                                                                                     \
        testkit_receipt(&r);                                                                                 \
        stmt;                                                                                                \
        assert_int_equal(receipt_validate(&r, &field), API_ERR_CLAIMS);                                      \
        assert_string_equal(field, name);                                                                    \
        len = sizeof buf;                                                                                    \
        assert_int_equal(receipt_encode_payload(buf, &len, &r), API_ERR_CLAIMS);                             \
    } while (0)
    BAD(r.verifier[0] = 0, "iss");
    BAD(r.verifier[0] = '\n', "iss");
    BAD(r.checked_at = -1, "iat");
    BAD(r.result[0] = 0, "res");
    BAD(r.result[0] = 'V', "res");
    BAD(snprintf(r.reason, sizeof r.reason, "bad reason"), "rsn");
    BAD(r.profile[0] = 0, "prf");
    BAD(r.org[0] = 0, "org");
    BAD(r.org[0] = '\x7f', "org");
    BAD(snprintf(r.iss, sizeof r.iss, "fr-75"), "receipt.iss");
    BAD(r.issuer_name[0] = 0, "isn");
    BAD(r.fn[0] = 0, "fn");
    BAD(r.gn[0] = '\x01', "gn");
    BAD(r.wrk = 3, "wrk");
    BAD(snprintf(r.until, sizeof r.until, "2026-02-30"), "unt");
    BAD(snprintf(r.until, sizeof r.until, "2026-12"), "unt");
    BAD(r.status_as_of = -5, "sat");
    BAD(r.fn[0] = (char)0xc3, "fn"); /* a lone lead byte: not UTF-8 */
#undef BAD
    /* a field the profile does not show is not checked */
    testkit_receipt(&r);
    r.has_work = 0;
    r.wrk = 9;
    assert_int_equal(receipt_validate(&r, &field), API_OK);
    assert_null(field);
}

/* A payload of hand-made bytes: the reader's refusals. */
static api_err decode_with(void (*fill)(cbw *w, int variant), int variant)
{
    uint8_t buf[1024];
    cbw w;
    cbw_init(&w, buf, sizeof buf);
    fill(&w, variant);
    size_t len;
    assert_int_equal(cbw_finish(&w, &len), API_OK);
    api_receipt r;
    return receipt_decode_payload(&r, buf, len);
}

/* {1: "V", 6: 1, -65538: {v, res, prf, org, + the variant}} */
static void fill_variant(cbw *w, int variant)
{
    int top = variant == 1 ? 2 : variant == 2 ? 4 : 3;
    cbw_map(w, (size_t)top);
    if (variant != 1) {
        cbw_uint(w, 1);
        if (variant == 3)
            cbw_uint(w, 7);
        else
            cbw_text(w, "V");
    }
    cbw_uint(w, 6);
    if (variant == 4)
        cbw_int(w, -1);
    else
        cbw_uint(w, 1);
    if (variant == 1) {
        cbw_int(w, -65538);
        cbw_map(w, 0);
        return;
    }
    if (variant == 2) { /* an unknown top-level claim, ignored */
        cbw_text(w, "x");
        cbw_uint(w, 1);
    }
    cbw_int(w, -65538);
    int extra = variant >= 10 ? 1 : 0;
    int missing = variant == 5;
    cbw_map(w, (size_t)(4 - missing + extra));
    cbw_text(w, "v");
    cbw_uint(w, variant == 6 ? 2 : 1);
    cbw_text(w, "res");
    cbw_text(w, "valid");
    cbw_text(w, "prf");
    cbw_text(w, "anonymous");
    if (!missing) {
        cbw_text(w, "org");
        cbw_text(w, "anonymous");
    }
    switch (variant) {
    case 10: /* iss without isn */
        cbw_text(w, "iss");
        cbw_text(w, "FR-75");
        break;
    case 11: /* fn without gn */
        cbw_text(w, "fn");
        cbw_text(w, "X");
        break;
    case 12: /* unt without ext */
        cbw_text(w, "unt");
        cbw_text(w, "2026-12-15");
        break;
    case 13: /* cti of 11 bytes */
        cbw_text(w, "cti");
        cbw_bytes(w, (const uint8_t *)"0123456789a", 11);
        break;
    case 14: /* wrk out of range */
        cbw_text(w, "wrk");
        cbw_uint(w, 3);
        break;
    case 15: /* ext not a bool */
        cbw_text(w, "ext");
        cbw_uint(w, 1);
        break;
    case 16: /* an empty reason */
        cbw_text(w, "rsn");
        cbw_text(w, "");
        break;
    case 17: /* res of the wrong type */
        cbw_text(w, "res");
        cbw_uint(w, 1);
        break;
    case 18: /* an unknown key: ignored */
        cbw_text(w, "zzz");
        cbw_uint(w, 1);
        break;
    case 19: /* an integer key in the receipt map: ignored */
        cbw_uint(w, 5);
        cbw_text(w, "x");
        break;
    case 20: /* sat negative */
        cbw_text(w, "sat");
        cbw_int(w, -3);
        break;
    default:
        break;
    }
}

static void test_malformed_payloads(void **state)
{
    (void)state;
    assert_int_equal(decode_with(fill_variant, 0), API_OK);
    assert_int_equal(decode_with(fill_variant, 1), API_ERR_CLAIMS); /* no iss, empty receipt map */
    assert_int_equal(decode_with(fill_variant, 2), API_OK);         /* unknown claim */
    assert_int_equal(decode_with(fill_variant, 3), API_ERR_CLAIMS); /* iss not text */
    assert_int_equal(decode_with(fill_variant, 4), API_ERR_CLAIMS); /* iat negative */
    assert_int_equal(decode_with(fill_variant, 5), API_ERR_CLAIMS); /* no org */
    assert_int_equal(decode_with(fill_variant, 6), API_ERR_CLAIMS); /* v 2 */
    for (int v = 10; v <= 17; v++) assert_int_equal(decode_with(fill_variant, v), API_ERR_CLAIMS);
    assert_int_equal(decode_with(fill_variant, 18), API_OK);
    assert_int_equal(decode_with(fill_variant, 19), API_OK);
    assert_int_equal(decode_with(fill_variant, 20), API_ERR_CLAIMS);

    /* not canonical, not a map, truncated, trailing bytes */
    api_receipt r;
    uint8_t buf[2048];
    size_t len = sizeof buf;
    testkit_receipt(&r);
    assert_int_equal(receipt_encode_payload(buf, &len, &r), API_OK);
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(receipt_decode_payload(&r, buf, cut), API_ERR_CLAIMS);
    buf[len] = 0;
    assert_int_equal(receipt_decode_payload(&r, buf, len + 1), API_ERR_CLAIMS);
    const uint8_t array[] = {0x80};
    assert_int_equal(receipt_decode_payload(&r, array, 1), API_ERR_CLAIMS);
    const uint8_t long_head[] = {0xb8, 0x00};
    assert_int_equal(receipt_decode_payload(&r, long_head, 2), API_ERR_CLAIMS);
    /* a refused payload leaves nothing behind */
    api_receipt zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&r, &zero, sizeof r);
}

static void test_envelope(void **state)
{
    (void)state;
    api_receipt r, back;
    testkit_receipt(&r);
    testkit_key k;
    testkit_receipt_key(&k);
    receipt_key set;
    testkit_receipt_keyset(&set, &k, TESTKIT_RECEIPT_ORG);
    api_err err;

    /* an attestation is no receipt: its prefix, and under our prefix its typ */
    char att[TESTKIT_QR_MAX];
    size_t att_len = sizeof att;
    assert_int_equal(testkit_default_qr(att, &att_len), API_OK);
    assert_int_equal(receipt_verify(&back, NULL, &err, att, att_len, &set, 1), RECEIPT_MALFORMED);
    assert_int_equal(err, API_ERR_PREFIX);
    memcpy(att, RECEIPT_PREFIX, 5);
    assert_int_equal(receipt_verify(&back, NULL, &err, att, att_len, &set, 1), RECEIPT_MALFORMED);
    assert_int_equal(err, API_ERR_TYP);

    /* a receipt payload under another typ */
    uint8_t payload[2048], cose[QRTEXT_MAX_COSE];
    size_t plen = sizeof payload, clen = sizeof cose;
    assert_int_equal(receipt_encode_payload(payload, &plen, &r), API_OK);
    assert_int_equal(cose_sign1_sign(cose, &clen, COSE_TYP_ATTESTATION, payload, plen, k.sk), API_OK);
    char text[RECEIPT_TEXT_MAX];
    size_t len = sizeof text;
    assert_int_equal(qrtext_encode_with(text, &len, RECEIPT_PREFIX, cose, clen), API_OK);
    assert_int_equal(receipt_verify(&back, NULL, &err, text, len, &set, 1), RECEIPT_MALFORMED);
    assert_int_equal(err, API_ERR_TYP);

    /* bad claims under the right typ */
    const uint8_t junk[] = {0xa1, 0x01, 0x61, 0x56};
    clen = sizeof cose;
    assert_int_equal(cose_sign1_sign(cose, &clen, COSE_TYP_RECEIPT, junk, sizeof junk, k.sk), API_OK);
    len = sizeof text;
    assert_int_equal(qrtext_encode_with(text, &len, RECEIPT_PREFIX, cose, clen), API_OK);
    assert_int_equal(receipt_verify(&back, NULL, &err, text, len, &set, 1), RECEIPT_MALFORMED);
    assert_int_equal(err, API_ERR_CLAIMS);

    /* Base45, size */
    assert_int_equal(receipt_verify(&back, NULL, &err, "APR1:a", 6, &set, 1), RECEIPT_MALFORMED);
    assert_int_equal(err, API_ERR_BASE45);
    char *big = malloc(QRTEXT_MAX_TEXT + 2);
    assert_non_null(big);
    memset(big, '0', QRTEXT_MAX_TEXT + 1);
    memcpy(big, RECEIPT_PREFIX, 5);
    assert_int_equal(receipt_verify(&back, NULL, &err, big, QRTEXT_MAX_TEXT + 1, &set, 1), RECEIPT_MALFORMED);
    assert_int_equal(err, API_ERR_TOO_LARGE);
    free(big);
    /* the uncompressed form is read too */
    plen = sizeof payload;
    clen = sizeof cose;
    assert_int_equal(receipt_encode_payload(payload, &plen, &r), API_OK);
    assert_int_equal(cose_sign1_sign(cose, &clen, COSE_TYP_RECEIPT, payload, plen, k.sk), API_OK);
    len = testkit_qr_raw(text, sizeof text, cose, clen);
    memcpy(text, RECEIPT_PREFIX, 5);
    assert_int_equal(receipt_verify(&back, NULL, &err, text, len, &set, 1), RECEIPT_VALID);
}

static void test_verify_refusals(void **state)
{
    (void)state;
    api_receipt r, back;
    testkit_receipt(&r);
    testkit_key k, other;
    testkit_receipt_key(&k);
    testkit_key_from_seed(&other, 0x53);
    char text[RECEIPT_TEXT_MAX];
    size_t len;
    sign_text(text, &len, &r, &k);
    receipt_key set[2];
    testkit_receipt_keyset(&set[0], &other, "Autre");
    testkit_receipt_keyset(&set[1], &k, TESTKIT_RECEIPT_ORG);
    const receipt_key *used;
    api_err err;

    assert_int_equal(receipt_verify(&back, &used, &err, text, len, set, 2), RECEIPT_VALID);
    assert_ptr_equal(used, &set[1]);
    /* not in the set */
    assert_int_equal(receipt_verify(&back, &used, &err, text, len, set, 1), RECEIPT_UNKNOWN_KEY);
    assert_null(used);
    assert_int_equal(receipt_verify(&back, &used, &err, text, len, NULL, 0), RECEIPT_UNKNOWN_KEY);
    /* a set that claims the kid for another key: the kid is the key's own */
    memcpy(set[0].kid, k.kid, COSE_KID_LEN);
    assert_int_equal(receipt_verify(&back, &used, &err, text, len, set, 1), RECEIPT_UNKNOWN_KEY);
    /* signed by another key under this key's kid: the signature fails */
    receipt_key liar = set[1];
    memcpy(liar.pub, other.pk, COSE_PK_LEN);
    assert_int_equal(receipt_verify(&back, &used, &err, text, len, &liar, 1), RECEIPT_UNKNOWN_KEY);
    /* the signer's name */
    receipt_key renamed = set[1];
    snprintf(renamed.name, sizeof renamed.name, "Un autre vérificateur");
    assert_int_equal(receipt_verify(&back, &used, &err, text, len, &renamed, 1), RECEIPT_SIGNER_MISMATCH);
    /* the key's period */
    receipt_key period = set[1];
    period.retired_at = r.checked_at;
    assert_int_equal(receipt_verify(&back, &used, &err, text, len, &period, 1), RECEIPT_KEY_RETIRED);
    period.retired_at = r.checked_at + 1;
    assert_int_equal(receipt_verify(&back, &used, &err, text, len, &period, 1), RECEIPT_VALID);
    period.not_before = r.checked_at + 1;
    period.retired_at = 0;
    assert_int_equal(receipt_verify(&back, &used, &err, text, len, &period, 1), RECEIPT_BEFORE_KEY);

    /* every changed character is refused, none accepted */
    static const char b45[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    unsigned counts[RECEIPT_CHECK_COUNT] = {0};
    for (size_t i = 0; i < len; i++) {
        char saved = text[i];
        text[i] = saved == 'A' ? 'B' : (i < 5 ? 'x' : b45[(strchr(b45, saved) - b45 + 7) % 45]);
        receipt_check c = receipt_verify(&back, &used, &err, text, len, &set[1], 1);
        assert_int_not_equal(c, RECEIPT_VALID);
        counts[c]++;
        text[i] = saved;
    }
    print_message("%zu changed characters: %u malformed, %u unknown_key, %u invalid_signature\n", len,
                  counts[RECEIPT_MALFORMED], counts[RECEIPT_UNKNOWN_KEY], counts[RECEIPT_BAD_SIGNATURE]);
    assert_int_equal(receipt_verify(&back, &used, &err, text, len, &set[1], 1), RECEIPT_VALID);

    /* a flipped bit of the signed payload: invalid_signature */
    uint8_t cose[QRTEXT_MAX_COSE];
    cose_sign1 msg;
    assert_int_equal(receipt_open(&back, &msg, cose, text, len), API_OK);
    uint8_t copy[QRTEXT_MAX_COSE];
    size_t clen = (size_t)(msg.signature - cose) + COSE_SIG_LEN;
    memcpy(copy, cose, clen);
    size_t at = (size_t)(find(copy, clen, "DIALLO", 6) ? (uint8_t *)find(copy, clen, "DIALLO", 6) - copy : 0);
    assert_true(at > 0);
    copy[at] = 'F'; /* FIALLO */
    char forged[RECEIPT_TEXT_MAX];
    size_t flen = sizeof forged;
    assert_int_equal(qrtext_encode_with(forged, &flen, RECEIPT_PREFIX, copy, clen), API_OK);
    assert_int_equal(receipt_verify(&back, &used, &err, forged, flen, &set[1], 1), RECEIPT_BAD_SIGNATURE);
    /* a refused receipt gives no claims */
    api_receipt zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&back, &zero, sizeof back);

    assert_string_equal(receipt_check_code(RECEIPT_KEY_RETIRED), "signed_after_retirement");
    assert_string_equal(receipt_check_code(RECEIPT_CHECK_COUNT), "unknown");
}

/* ---- the published vectors ---- */

static void test_vectors(void **state)
{
    (void)state;
    char dir[TESTKIT_DIR_MAX], path[TESTKIT_DIR_MAX + 32];
    assert_int_equal(testkit_tmpdir(dir, "api-receipt-vectors"), 0);
    snprintf(path, sizeof path, "%s/receipts.json", dir);
    assert_int_equal(testkit_run_generator(VEC_GEN, path), 0);
    uint8_t *fresh, *committed;
    size_t fresh_len, committed_len;
    assert_int_equal(fs_read_file(&fresh, &fresh_len, path, VEC_MAX), API_OK);
    assert_int_equal(testkit_tmpdir_remove(dir), 0);
    assert_int_equal(testkit_source_read(&committed, &committed_len, VEC_FILE, VEC_MAX), API_OK);
    cJSON *f = cJSON_ParseWithLength((const char *)fresh, fresh_len);
    cJSON *c = cJSON_ParseWithLength((const char *)committed, committed_len);
    assert_non_null(f);
    assert_non_null(c);
    /* the QR texts hold zlib's bytes: compared by their COSE (below) when this zlib writes others */
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(f, "vectors");
    const cJSON *cv = cJSON_GetObjectItemCaseSensitive(c, "vectors");
    assert_int_equal(cJSON_GetArraySize(fv), cJSON_GetArraySize(cv));
    int same_zlib = strcmp(testkit_json_str(fv->child, "text"), testkit_json_str(cv->child, "text")) == 0;
    if (same_zlib) {
        assert_int_equal(fresh_len, committed_len);
        assert_memory_equal(fresh, committed, fresh_len);
    }
    free(fresh);
    free(committed);

    /* the key set of the file */
    const cJSON *keys =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "receipt_keys"), "keys");
    receipt_key set[8];
    size_t n = 0;
    for (const cJSON *k = keys ? keys->child : NULL; k && n < 8; k = k->next, n++) {
        memset(&set[n], 0, sizeof set[n]);
        uint8_t *pub;
        size_t pub_len;
        assert_int_equal(testkit_unb64(&pub, &pub_len, testkit_json_str(k, "public_key")), 0);
        assert_int_equal(pub_len, COSE_PK_LEN);
        memcpy(set[n].pub, pub, COSE_PK_LEN);
        free(pub);
        cose_kid(set[n].kid, set[n].pub);
        char *kid = testkit_hex(set[n].kid, COSE_KID_LEN);
        assert_string_equal(kid, testkit_json_str(k, "kid"));
        free(kid);
        snprintf(set[n].name, sizeof set[n].name, "%s", testkit_json_str(k, "name"));
        const char *nb = testkit_json_str(k, "not_before");
        set[n].not_before = testkit_time(nb);
        const cJSON *ra = cJSON_GetObjectItemCaseSensitive(k, "retired_at");
        set[n].retired_at = cJSON_IsString(ra) ? testkit_time(ra->valuestring) : 0;
    }
    assert_true(n >= 2);

    size_t i = 0;
    for (const cJSON *v = cv->child, *w = fv->child; v; v = v->next, w = w->next, i++) {
        const char *text = testkit_json_str(v, "text");
        const char *want = testkit_json_str(v, "check");
        api_receipt r;
        api_err err;
        receipt_check got = receipt_verify(&r, NULL, &err, text, strlen(text), set, n);
        if (strcmp(receipt_check_code(got), want) != 0)
            fail_msg("vector %zu (%s): %s, want %s", i, testkit_json_str(v, "name"), receipt_check_code(got),
                     want);
        /* the COSE the text holds is the file's, and the generator's */
        const char *cose_hex = testkit_json_str(v, "cose");
        if (cose_hex) {
            uint8_t cose[QRTEXT_MAX_COSE];
            size_t clen = sizeof cose;
            assert_int_equal(qrtext_decode_with(cose, &clen, RECEIPT_PREFIX, text, strlen(text)), API_OK);
            char *hex = testkit_hex(cose, clen);
            assert_string_equal(hex, cose_hex);
            free(hex);
            assert_string_equal(cose_hex, testkit_json_str(w, "cose"));
        }
        if (got == RECEIPT_VALID) {
            const cJSON *claims = cJSON_GetObjectItemCaseSensitive(v, "claims");
            assert_non_null(claims);
            assert_string_equal(r.result, testkit_json_str(claims, "res"));
            assert_string_equal(r.profile, testkit_json_str(claims, "prf"));
            assert_int_equal(r.has_holder, cJSON_GetObjectItemCaseSensitive(claims, "fn") != NULL);
            assert_int_equal(r.has_work, cJSON_GetObjectItemCaseSensitive(claims, "wrk") != NULL);
        }
    }
    print_message("%zu receipt vectors checked (%s)\n", i, same_zlib ? "byte for byte" : "by their COSE");

    /* the trust list that lists the current key as a receipt signer */
    const cJSON *tlj = cJSON_GetObjectItemCaseSensitive(c, "trust_list");
    uint8_t *root_pk, *cose = NULL;
    size_t root_len;
    assert_int_equal(testkit_unb64(&root_pk, &root_len, testkit_json_str(tlj, "root_public_key")), 0);
    assert_int_equal(root_len, COSE_PK_LEN);
    const char *hex = testkit_json_str(tlj, "cose_hex");
    size_t clen = strlen(hex) / 2;
    cose = malloc(clen);
    assert_non_null(cose);
    for (size_t b = 0; b < clen; b++) assert_int_equal(sscanf(hex + 2 * b, "%2hhx", &cose[b]), 1);
    trust_list tl;
    char why[128];
    assert_int_equal(trust_verify(&tl, why, sizeof why, cose, clen, root_pk), API_OK);
    assert_int_equal(tl.n_receipt_signers, 1);
    receipt_key signer;
    memset(&signer, 0, sizeof signer);
    memcpy(signer.pub, tl.receipt_signers[0].pub, COSE_PK_LEN);
    snprintf(signer.name, sizeof signer.name, "%s", tl.receipt_signers[0].name);
    const char *first = testkit_json_str(cv->child, "text");
    api_receipt r;
    assert_int_equal(receipt_verify(&r, NULL, NULL, first, strlen(first), &signer, 1), RECEIPT_VALID);
    trust_free(&tl);
    free(cose);
    free(root_pk);
    cJSON_Delete(f);
    cJSON_Delete(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),         cmocka_unit_test(test_optional_fields),
        cmocka_unit_test(test_canonical),          cmocka_unit_test(test_validate),
        cmocka_unit_test(test_malformed_payloads), cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_verify_refusals),    cmocka_unit_test(test_vectors),
    };
    return cmocka_run_group_tests_name("receipt", tests, NULL, NULL);
}
