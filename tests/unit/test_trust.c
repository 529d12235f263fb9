/*
 * test_trust.c: the trust list: payload round trip (every state, with and
 * without a next root), its wire format written out byte by byte, signature
 * by the root, and every refusal: wrong root, any tampered byte, wrong
 * typ, duplicate kid, kid not the hash of its key, broken payloads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/bytes.h"
#include "qr/cose.h"
#include "tests/unit/testkit.h"
#include "qr/trust.h"

/* FR-75 active, FR-13 retired, FR-69 compromised, FR-33 active with no feed. */
static void three_states(trust_list *tl, int next_root)
{
    testkit_key k75, k13, k69, k33, root2;
    testkit_fr75(&k75);
    testkit_fr13(&k13);
    testkit_key_from_seed(&k69, 0x04);
    testkit_key_from_seed(&k33, 0x05);
    trust_entry e[4];
    testkit_entry(&e[0], "FR-75", &k75, TRUST_ACTIVE, 0);
    testkit_entry(&e[1], "FR-13", &k13, TRUST_RETIRED, testkit_time("2026-10-01T00:00:00Z"));
    testkit_entry(&e[2], "FR-69", &k69, TRUST_COMPROMISED, 0);
    testkit_entry(&e[3], "FR-33", &k33, TRUST_ACTIVE, 0);
    e[3].feed[0] = '\0';
    e[3].epoch = 12345678901ull;
    assert_int_equal(testkit_trust_list_with(tl, e, 4), 0);
    if (next_root) {
        testkit_key_from_seed(&root2, 0x11);
        tl->has_next_root = 1;
        memcpy(tl->next_root, root2.pk, COSE_PK_LEN);
    }
}

static void assert_lists_equal(const trust_list *a, const trust_list *b)
{
    assert_true(a->seq == b->seq);
    assert_true(a->iat == b->iat);
    assert_true(a->exp == b->exp);
    assert_int_equal(a->has_next_root, b->has_next_root);
    if (a->has_next_root) assert_memory_equal(a->next_root, b->next_root, COSE_PK_LEN);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const trust_entry *x = &a->entries[i], *y = &b->entries[i];
        assert_string_equal(x->id, y->id);
        assert_string_equal(x->name, y->name);
        assert_memory_equal(x->kid, y->kid, COSE_KID_LEN);
        assert_memory_equal(x->pub, y->pub, COSE_PK_LEN);
        assert_int_equal(x->state, y->state);
        if (x->state == TRUST_RETIRED) assert_true(x->retired_at == y->retired_at);
        assert_string_equal(x->feed, y->feed);
        assert_true(x->epoch == y->epoch);
    }
}

/*
 * The payload of three_states(tl, 0), byte by byte as docs/format.md
 * ("Trust list") describes it, written out here rather than by any
 * encoder: {"v": 1, "exp", "iat", "seq": 7, "issuers": [4 entries]}, each
 * entry {"id", "kid", "pub", "feed", "name", "epoch", "state"} and
 * "retired_at" for a retired one, keys in deterministic order.
 */
static const char three_states_hex[] =
    "a5617601636578701a6b84b500636961741a6a9615806373657107676973737565727384"
    /* FR-75, active */
    "a76269646546522d3735636b6964486a3803d5f059902a6370756258208139770ea87d175f56a35466c34c7ecccb8d8a"
    "91b4ee37a25df60f5b8fc9b3946466656564781c68747470733a2f2f46522d37352e6973737565722e6578616d706c65"
    "646e616d65715072c3a9666563747572652046522d37356565706f63680165737461746566616374697665"
    /* FR-13, retired at 2026-10-01T00:00:00Z */
    "a86269646546522d3133636b696448b62e867fa2f33afe637075625820ed4928c628d1c2c6eae9033890599561295927"
    "3a5c63f93636c14614ac8737d16466656564781c68747470733a2f2f46522d31332e6973737565722e6578616d706c65"
    "646e616d65715072c3a9666563747572652046522d31336565706f63680165737461746567726574697265646a726574"
    "697265645f61741a6abda280"
    /* FR-69, compromised */
    "a76269646546522d3639636b696448c5b940ed3f65c391637075625820ca93ac1705187071d67b83c7ff0efe8108e8ec"
    "4530575d7726879333dbdabe7c6466656564781c68747470733a2f2f46522d36392e6973737565722e6578616d706c65"
    "646e616d65715072c3a9666563747572652046522d36396565706f6368016573746174656b636f6d70726f6d69736564"
    /* FR-33, active, no feed, epoch 12345678901 */
    "a76269646546522d3333636b6964487599776c3085e3f96370756258206e7a1cdd29b0b78fd13af4c5598feff4ef2a97"
    "166e3ca6f2e4fbfccd80505bf1646665656460646e616d65715072c3a9666563747572652046522d33336565706f6368"
    "1b00000002dfdc1c3565737461746566616374697665";

/* The expected payload of three_states(tl, next_root): the bytes above, and with a next root a sixth key. */
static size_t expected_payload(uint8_t **out, const trust_list *tl)
{
    size_t n = (sizeof three_states_hex - 1) / 2, extra = tl->has_next_root ? 1 + 9 + 2 + COSE_PK_LEN : 0;
    uint8_t *p = malloc(n + extra);
    assert_non_null(p);
    assert_int_equal(bytes_from_hex(p, n, three_states_hex, sizeof three_states_hex - 1), 0);
    if (tl->has_next_root) {
        p[0] = 0xa6; /* a map of 6 */
        memcpy(p + n, "\x69next_root\x58\x20", 12);
        memcpy(p + n + 12, tl->next_root, COSE_PK_LEN);
    }
    *out = p;
    return n + extra;
}

/* payload -> COSE of typ, signed by the root: a malloc'd buffer */
static size_t sign_payload(uint8_t **cose, const uint8_t *payload, size_t len, const char *typ)
{
    testkit_key root;
    testkit_root(&root);
    size_t cl = 0;
    assert_int_equal(cose_sign1_sign_alloc(cose, &cl, typ, payload, len, root.sk), API_OK);
    return cl;
}

static void test_round_trip(void **state)
{
    (void)state;
    for (int next = 0; next < 2; next++) {
        trust_list tl, back;
        three_states(&tl, next);
        assert_int_equal(trust_validate(&tl, NULL, 0), API_OK);
        uint8_t *payload;
        size_t len;
        assert_int_equal(trust_encode(&payload, &len, &tl), API_OK);
        /* the wire format, written independently */
        uint8_t *mine;
        size_t mlen = expected_payload(&mine, &tl);
        assert_int_equal(mlen, len);
        assert_memory_equal(mine, payload, len);
        free(mine);
        assert_int_equal(trust_decode(&back, payload, len), API_OK);
        assert_lists_equal(&tl, &back);
        assert_int_equal(back.entries[1].state, TRUST_RETIRED);
        assert_int_equal(back.entries[2].state, TRUST_COMPROMISED);
        trust_free(&back);
        free(payload);

        /* signed by the root, verified with its public key */
        testkit_key root;
        testkit_root(&root);
        uint8_t *cose;
        size_t cose_len;
        assert_int_equal(trust_sign(&cose, &cose_len, &tl, root.sk), API_OK);
        char err[128] = "x";
        assert_int_equal(trust_verify(&back, err, sizeof err, cose, cose_len, root.pk), API_OK);
        assert_lists_equal(&tl, &back);
        cose_sign1 m;
        assert_int_equal(cose_sign1_parse(&m, cose, cose_len, COSE_TYP_TRUST_LIST), API_OK);
        assert_memory_equal(m.kid, root.kid, COSE_KID_LEN);
        trust_free(&back);
        free(cose);
        trust_free(&tl);
    }
}

static void test_find_kid_and_states(void **state)
{
    (void)state;
    trust_list tl;
    three_states(&tl, 0);
    testkit_key k13, other;
    testkit_fr13(&k13);
    testkit_key_from_seed(&other, 0x42);
    const trust_entry *e = trust_find_kid(&tl, k13.kid);
    assert_non_null(e);
    assert_string_equal(e->id, "FR-13");
    assert_null(trust_find_kid(&tl, other.kid));
    trust_free(&tl);
    assert_int_equal(tl.n, 0);
    assert_null(tl.entries);

    assert_string_equal(trust_state_name(TRUST_ACTIVE), "active");
    assert_string_equal(trust_state_name(TRUST_RETIRED), "retired");
    assert_string_equal(trust_state_name(TRUST_COMPROMISED), "compromised");
    assert_string_equal(trust_state_name((trust_state)7), "unknown");
    trust_state s;
    assert_int_equal(trust_state_parse(&s, "retired"), 0);
    assert_int_equal(s, TRUST_RETIRED);
    assert_int_equal(trust_state_parse(&s, "Retired"), -1);
    assert_int_equal(trust_state_parse(&s, "revoked"), -1);
    assert_int_equal(trust_state_parse(&s, ""), -1);
}

static void test_empty_list_allowed(void **state)
{
    (void)state;
    trust_list tl, back;
    assert_int_equal(testkit_trust_list_with(&tl, NULL, 0), 0);
    testkit_key root;
    testkit_root(&root);
    uint8_t *cose;
    size_t cose_len;
    assert_int_equal(trust_sign(&cose, &cose_len, &tl, root.sk), API_OK);
    assert_int_equal(trust_verify(&back, NULL, 0, cose, cose_len, root.pk), API_OK);
    assert_int_equal(back.n, 0);
    assert_null(trust_find_kid(&back, root.kid));
    trust_free(&back);
    free(cose);
    trust_free(&tl);
}

static void test_wrong_root(void **state)
{
    (void)state;
    trust_list tl, back;
    three_states(&tl, 1);
    testkit_key root, fr75, next;
    testkit_root(&root);
    testkit_fr75(&fr75);
    testkit_key_from_seed(&next, 0x11);
    uint8_t *cose;
    size_t cose_len;
    assert_int_equal(trust_sign(&cose, &cose_len, &tl, root.sk), API_OK);
    char err[128] = "";
    assert_int_equal(trust_verify(&back, err, sizeof err, cose, cose_len, fr75.pk), API_ERR_TRUST_LIST);
    assert_true(err[0] != '\0');
    assert_int_equal(back.n, 0);
    assert_null(back.entries);
    assert_int_equal(trust_verify(&back, NULL, 0, cose, cose_len, next.pk), API_ERR_TRUST_LIST);
    free(cose);
    /* signed by an issuer key (a trust list forged by a préfecture) */
    assert_int_equal(trust_sign(&cose, &cose_len, &tl, fr75.sk), API_OK);
    assert_int_equal(trust_verify(&back, NULL, 0, cose, cose_len, root.pk), API_ERR_TRUST_LIST);
    free(cose);
    /* root rotation: a list signed by the announced next root verifies with that key */
    assert_int_equal(trust_sign(&cose, &cose_len, &tl, next.sk), API_OK);
    assert_int_equal(trust_verify(&back, NULL, 0, cose, cose_len, next.pk), API_OK);
    trust_free(&back);
    free(cose);
    /* a signature by another key over a header naming the root's kid */
    uint8_t *payload;
    size_t len;
    assert_int_equal(trust_encode(&payload, &len, &tl), API_OK);
    uint8_t prot[128];
    size_t pl = testkit_protected(prot, sizeof prot, 1, -8, root.kid, COSE_TYP_TRUST_LIST, 0);
    uint8_t *forged = malloc(len + 256);
    assert_non_null(forged);
    size_t fl = testkit_cose_signed_with_protected(forged, len + 256, prot, pl, payload, len, fr75.sk);
    assert_true(fl > 0);
    assert_int_equal(trust_verify(&back, err, sizeof err, forged, fl, root.pk), API_ERR_TRUST_LIST);
    free(forged);
    free(payload);
    trust_free(&tl);
}

static void test_every_byte_tampered(void **state)
{
    (void)state;
    trust_list tl, back;
    three_states(&tl, 1);
    testkit_key root;
    testkit_root(&root);
    uint8_t *cose;
    size_t cose_len;
    assert_int_equal(trust_sign(&cose, &cose_len, &tl, root.sk), API_OK);
    const uint8_t masks[] = {0x01, 0x80, 0xff};
    for (size_t mi = 0; mi < sizeof masks; mi++)
        for (size_t i = 0; i < cose_len; i++) {
            cose[i] ^= masks[mi];
            api_err e = trust_verify(&back, NULL, 0, cose, cose_len, root.pk);
            if (e != API_ERR_TRUST_LIST) fail_msg("byte %zu ^ 0x%02x: got %d", i, masks[mi], e);
            assert_null(back.entries);
            cose[i] ^= masks[mi];
        }
    /* truncation and a trailing byte */
    for (size_t n = 0; n < cose_len; n += 13)
        assert_int_equal(trust_verify(&back, NULL, 0, cose, n, root.pk), API_ERR_TRUST_LIST);
    uint8_t *longer = malloc(cose_len + 1);
    assert_non_null(longer);
    memcpy(longer, cose, cose_len);
    longer[cose_len] = 0;
    assert_int_equal(trust_verify(&back, NULL, 0, longer, cose_len + 1, root.pk), API_ERR_TRUST_LIST);
    free(longer);
    /* untouched, it verifies */
    assert_int_equal(trust_verify(&back, NULL, 0, cose, cose_len, root.pk), API_OK);
    trust_free(&back);
    free(cose);
    trust_free(&tl);
}

static void test_wrong_typ(void **state)
{
    (void)state;
    trust_list tl, back;
    three_states(&tl, 0);
    uint8_t *payload;
    size_t len;
    assert_int_equal(trust_encode(&payload, &len, &tl), API_OK);
    const char *typs[] = {COSE_TYP_ATTESTATION, COSE_TYP_CHECKPOINT, COSE_TYP_SNAPSHOT, COSE_TYP_SEGMENT};
    testkit_key root;
    testkit_root(&root);
    for (size_t i = 0; i < 4; i++) {
        uint8_t *cose;
        size_t cl = sign_payload(&cose, payload, len, typs[i]);
        char err[128] = "";
        assert_int_equal(trust_verify(&back, err, sizeof err, cose, cl, root.pk), API_ERR_TRUST_LIST);
        assert_true(err[0] != '\0');
        free(cose);
    }
    /* and the real attestation, given as a trust list */
    uint8_t att[TESTKIT_COSE_MAX];
    size_t al = sizeof att;
    assert_int_equal(testkit_default_cose(att, &al), API_OK);
    testkit_key fr75;
    testkit_fr75(&fr75);
    assert_int_equal(trust_verify(&back, NULL, 0, att, al, fr75.pk), API_ERR_TRUST_LIST);
    free(payload);
    trust_free(&tl);
}

static void test_duplicate_kid_refused(void **state)
{
    (void)state;
    trust_list tl, back;
    testkit_key k75;
    testkit_fr75(&k75);
    trust_entry e[3];
    testkit_entry(&e[0], "FR-75", &k75, TRUST_ACTIVE, 0);
    testkit_key k13;
    testkit_fr13(&k13);
    testkit_entry(&e[1], "FR-13", &k13, TRUST_ACTIVE, 0);
    testkit_entry(&e[2], "FR-92", &k75, TRUST_ACTIVE, 0); /* FR-75's key again */
    assert_int_equal(testkit_trust_list_with(&tl, e, 3), 0);
    char err[128] = "";
    assert_int_equal(trust_validate(&tl, err, sizeof err), API_ERR_TRUST_LIST);
    assert_non_null(strstr(err, "same kid"));
    uint8_t *payload;
    size_t len;
    assert_int_equal(trust_encode(&payload, &len, &tl), API_ERR_TRUST_LIST);
    /* written without the rules and signed by the root: decoding refuses it */
    assert_int_equal(trust_encode_unchecked(&payload, &len, &tl), API_OK);
    assert_int_equal(trust_decode(&back, payload, len), API_ERR_TRUST_LIST);
    assert_null(back.entries);
    uint8_t *cose;
    size_t cl = sign_payload(&cose, payload, len, COSE_TYP_TRUST_LIST);
    testkit_key root;
    testkit_root(&root);
    assert_int_equal(trust_verify(&back, NULL, 0, cose, cl, root.pk), API_ERR_TRUST_LIST);
    free(cose);
    free(payload);
    /* the same key under the same id twice (a rotation gone wrong) too */
    testkit_entry(&tl.entries[2], "FR-75", &k75, TRUST_RETIRED, 1);
    assert_int_equal(trust_validate(&tl, NULL, 0), API_ERR_TRUST_LIST);
    /* a new key for the same id is a rotation: fine */
    testkit_key k75b;
    testkit_key_from_seed(&k75b, 0x22);
    testkit_entry(&tl.entries[0], "FR-75", &k75, TRUST_RETIRED, testkit_time("2026-09-30T00:00:00Z"));
    testkit_entry(&tl.entries[2], "FR-75", &k75b, TRUST_ACTIVE, 0);
    assert_int_equal(trust_validate(&tl, NULL, 0), API_OK);
    trust_free(&tl);
}

static void test_kid_not_matching_key_refused(void **state)
{
    (void)state;
    trust_list tl, back;
    three_states(&tl, 0);
    tl.entries[1].kid[7] ^= 1;
    char err[128] = "";
    assert_int_equal(trust_validate(&tl, err, sizeof err), API_ERR_TRUST_LIST);
    assert_non_null(strstr(err, "kid"));
    uint8_t *payload;
    size_t len;
    assert_int_equal(trust_encode(&payload, &len, &tl), API_ERR_TRUST_LIST);
    assert_int_equal(trust_encode_unchecked(&payload, &len, &tl), API_OK);
    assert_int_equal(trust_decode(&back, payload, len), API_ERR_TRUST_LIST);
    uint8_t *cose;
    size_t cl = sign_payload(&cose, payload, len, COSE_TYP_TRUST_LIST);
    testkit_key root;
    testkit_root(&root);
    assert_int_equal(trust_verify(&back, NULL, 0, cose, cl, root.pk), API_ERR_TRUST_LIST);
    free(cose);
    free(payload);
    /* another entry's kid with this key */
    tl.entries[1].kid[7] ^= 1;
    memcpy(tl.entries[1].kid, tl.entries[0].kid, COSE_KID_LEN);
    assert_int_equal(trust_validate(&tl, NULL, 0), API_ERR_TRUST_LIST);
    trust_free(&tl);
}

typedef void (*list_mutator)(trust_list *tl);
static void lm_iat_after_exp(trust_list *tl)
{
    tl->iat = tl->exp + 1;
}
static void lm_bad_id(trust_list *tl)
{
    strcpy(tl->entries[0].id, "fr-75");
}
static void lm_short_id(trust_list *tl)
{
    strcpy(tl->entries[0].id, "F");
}
static void lm_empty_name(trust_list *tl)
{
    tl->entries[0].name[0] = '\0';
}
static void lm_ctrl_name(trust_list *tl)
{
    strcpy(tl->entries[0].name, "Pr\xc3\xa9"
                                "fecture\n");
}
static void lm_bad_utf8_feed(trust_list *tl)
{
    strcpy(tl->entries[0].feed, "https://\xff");
}
static void lm_bad_state(trust_list *tl)
{
    tl->entries[0].state = (trust_state)3;
}

static void test_validate_rules(void **state)
{
    (void)state;
    const list_mutator ms[] = {lm_iat_after_exp, lm_bad_id,        lm_short_id, lm_empty_name,
                               lm_ctrl_name,     lm_bad_utf8_feed, lm_bad_state};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        trust_list tl;
        three_states(&tl, 0);
        ms[i](&tl);
        char err[128] = "";
        assert_int_equal(trust_validate(&tl, err, sizeof err), API_ERR_TRUST_LIST);
        assert_true(err[0] != '\0');
        uint8_t *payload;
        size_t len;
        assert_int_equal(trust_encode(&payload, &len, &tl), API_ERR_TRUST_LIST);
        trust_free(&tl);
    }
    /* iat == exp is allowed */
    trust_list tl;
    three_states(&tl, 0);
    tl.iat = tl.exp;
    assert_int_equal(trust_validate(&tl, NULL, 0), API_OK);
    trust_free(&tl);
}

/* Decoding a payload with one key replaced or left out. */
static api_err decode_patched(const char *from, const char *to)
{
    trust_list tl, back;
    three_states(&tl, 0);
    uint8_t *payload;
    size_t len;
    assert_int_equal(trust_encode(&payload, &len, &tl), API_OK);
    trust_free(&tl);
    /* replace the first occurrence of the bytes `from` by `to` (same length) */
    size_t fl = strlen(from);
    assert_int_equal(strlen(to), fl);
    uint8_t *hit = NULL;
    for (size_t i = 0; i + fl <= len; i++)
        if (memcmp(payload + i, from, fl) == 0) {
            hit = payload + i;
            break;
        }
    assert_non_null(hit);
    memcpy(hit, to, fl);
    api_err e = trust_decode(&back, payload, len);
    if (e == API_OK) trust_free(&back);
    free(payload);
    return e;
}

static void test_decode_refusals(void **state)
{
    (void)state;
    trust_list back;
    /* the reference payload decodes */
    assert_int_equal(decode_patched("\x61v\x01", "\x61v\x01"), API_OK);
    /* version 2 */
    assert_int_equal(decode_patched("\x61v\x01", "\x61v\x02"), API_ERR_TRUST_LIST);
    /* an unknown state */
    assert_int_equal(decode_patched("\x66"
                                    "active",
                                    "\x66"
                                    "revokd"),
                     API_ERR_TRUST_LIST);
    /* a renamed required key: "issuers" -> "issuerz", "pub" -> "puk", "feed" -> "fedd" */
    assert_int_equal(decode_patched("\x67issuers", "\x67issuerz"), API_ERR_TRUST_LIST);
    assert_int_equal(decode_patched("\x63pub", "\x63puk"), API_ERR_TRUST_LIST);
    assert_int_equal(decode_patched("\x64"
                                    "feed",
                                    "\x64"
                                    "fedd"),
                     API_ERR_TRUST_LIST);
    assert_int_equal(decode_patched("\x65"
                                    "epoch",
                                    "\x65"
                                    "epoci"),
                     API_ERR_TRUST_LIST);
    /* retired without retired_at */
    assert_int_equal(decode_patched("\x6aretired_at", "\x6aretired_as"), API_ERR_TRUST_LIST);
    /* a pub of the wrong size: the 32-byte head 0x58 0x20 read as 31 bytes would break the CBOR */
    assert_int_equal(decode_patched("\x63kid\x48", "\x63kid\x47"), API_ERR_TRUST_LIST);
    /* not CBOR, not a map, empty */
    assert_int_equal(trust_decode(&back, (const uint8_t *)"\xa0", 1), API_ERR_TRUST_LIST);
    assert_int_equal(trust_decode(&back, (const uint8_t *)"\x80", 1), API_ERR_TRUST_LIST);
    assert_int_equal(trust_decode(&back, (const uint8_t *)"\x18\x05", 2), API_ERR_TRUST_LIST);
    assert_int_equal(trust_decode(&back, (const uint8_t *)"", 0), API_ERR_TRUST_LIST);
    assert_int_equal(trust_decode(&back, (const uint8_t *)"\xbb\x00\x00\x00\x20\x00\x00\x00\x00", 9),
                     API_ERR_TRUST_LIST);
    /* too large for trust_verify */
    uint8_t *huge = calloc(1, (size_t)TRUST_MAX_COSE + 1);
    assert_non_null(huge);
    testkit_key root;
    testkit_root(&root);
    char err[128] = "";
    assert_int_equal(trust_verify(&back, err, sizeof err, huge, (size_t)TRUST_MAX_COSE + 1, root.pk),
                     API_ERR_TRUST_LIST);
    free(huge);
}

static void test_many_entries(void **state)
{
    (void)state;
    /* 300 issuers with distinct keys round-trip; the map duplicate check sees large maps too */
    size_t n = 300;
    trust_entry *e = calloc(n, sizeof *e);
    assert_non_null(e);
    for (size_t i = 0; i < n; i++) {
        testkit_key k;
        uint8_t seed[32];
        memset(seed, 0, sizeof seed);
        seed[0] = (uint8_t)i;
        seed[1] = (uint8_t)(i >> 8);
        seed[2] = 0x77;
        crypto_sign_seed_keypair(k.pk, k.sk, seed);
        char id[16];
        snprintf(id, sizeof id, "FR-%03zu", i);
        testkit_entry(&e[i], id, &k, i % 3 == 0 ? TRUST_RETIRED : TRUST_ACTIVE, (int64_t)i * 1000);
    }
    trust_list tl, back;
    assert_int_equal(testkit_trust_list_with(&tl, e, n), 0);
    free(e);
    testkit_key root;
    testkit_root(&root);
    uint8_t *cose;
    size_t cl;
    assert_int_equal(trust_sign(&cose, &cl, &tl, root.sk), API_OK);
    assert_int_equal(trust_verify(&back, NULL, 0, cose, cl, root.pk), API_OK);
    assert_lists_equal(&tl, &back);
    trust_free(&back);
    free(cose);
    trust_free(&tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_find_kid_and_states),
        cmocka_unit_test(test_empty_list_allowed),
        cmocka_unit_test(test_wrong_root),
        cmocka_unit_test(test_every_byte_tampered),
        cmocka_unit_test(test_wrong_typ),
        cmocka_unit_test(test_duplicate_kid_refused),
        cmocka_unit_test(test_kid_not_matching_key_refused),
        cmocka_unit_test(test_validate_rules),
        cmocka_unit_test(test_decode_refusals),
        cmocka_unit_test(test_many_entries),
    };
    return cmocka_run_group_tests_name("trust", tests, NULL, NULL);
}
