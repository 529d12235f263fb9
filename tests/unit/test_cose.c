/*
 * test_cose.c: COSE_Sign1 with Ed25519: the RFC 8032 vectors through
 * libsodium, the envelope round trip, the kid rule, typ separation, the
 * algorithms accepted, every malformed shape, and single-bit tampering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/bytes.h"
#include "qr/cose.h"
#include "tests/unit/testkit.h"

static void hex2bin(uint8_t *out, size_t n, const char *hex)
{
    size_t got = 0;
    assert_int_equal(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL), 0);
    assert_int_equal(got, n);
}

static void check_rfc8032(const char *sk_hex, const char *pk_hex, const char *msg_hex, const char *sig_hex)
{
    uint8_t seed[32], pk_want[32], sig_want[64], msg[16], pk[32], sk[64], sig[64];
    size_t msg_len = strlen(msg_hex) / 2;
    hex2bin(seed, sizeof seed, sk_hex);
    hex2bin(pk_want, sizeof pk_want, pk_hex);
    hex2bin(sig_want, sizeof sig_want, sig_hex);
    if (msg_len) hex2bin(msg, msg_len, msg_hex);
    assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
    assert_memory_equal(pk, pk_want, 32);
    assert_memory_equal(sk + 32, pk_want, 32);
    assert_int_equal(crypto_sign_detached(sig, NULL, msg, msg_len, sk), 0);
    assert_memory_equal(sig, sig_want, 64);
    assert_int_equal(crypto_sign_verify_detached(sig_want, msg, msg_len, pk_want), 0);
    /* a changed message or signature does not verify */
    sig[10] ^= 1;
    assert_int_equal(crypto_sign_verify_detached(sig, msg, msg_len, pk_want), -1);
    msg[msg_len] = 0x5a;
    assert_int_equal(crypto_sign_verify_detached(sig_want, msg, msg_len + 1, pk_want), -1);
}

static void test_rfc8032_vectors(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    /* RFC 8032 section 7.1, TEST 1, 2 and 3 */
    check_rfc8032(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd2"
        "5bf5f0595bbe24655141438e7a100b");
    check_rfc8032(
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c"
        "387b2eaeb4302aeeb00d291612bb0c00");
    check_rfc8032(
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc659"
        "4a7c15e9716ed28dc027beceea1ec40a");
}

static void test_kid(void **state)
{
    (void)state;
    testkit_key k;
    testkit_fr75(&k);
    uint8_t h[crypto_hash_sha256_BYTES], kid[COSE_KID_LEN];
    crypto_hash_sha256(h, k.pk, sizeof k.pk);
    cose_kid(kid, k.pk);
    assert_memory_equal(kid, h, COSE_KID_LEN);
    /* RFC 8032 TEST 1 public key: kid computed independently (sha256sum of the raw 32 bytes) */
    uint8_t pk1[32], want[8];
    hex2bin(pk1, 32, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    crypto_hash_sha256(h, pk1, 32);
    memcpy(want, h, 8);
    cose_kid(kid, pk1);
    assert_memory_equal(kid, want, 8);
    /* distinct keys, distinct kids */
    testkit_key a, b;
    testkit_fr13(&a);
    testkit_root(&b);
    assert_memory_not_equal(a.kid, k.kid, COSE_KID_LEN);
    assert_memory_not_equal(b.kid, k.kid, COSE_KID_LEN);
}

static void test_round_trip(void **state)
{
    (void)state;
    testkit_key k;
    testkit_fr75(&k);
    const uint8_t payload[] = "\xa1\x01\x65"
                              "FR-75";
    uint8_t cose[512];
    size_t cose_len = sizeof cose;
    assert_int_equal(
        cose_sign1_sign(cose, &cose_len, COSE_TYP_ATTESTATION, payload, sizeof payload - 1, k.sk), API_OK);
    /* tag 18, array of 4 */
    assert_int_equal(cose[0], 0xd2);
    assert_int_equal(cose[1], 0x84);
    cose_sign1 m;
    assert_int_equal(cose_sign1_parse(&m, cose, cose_len, COSE_TYP_ATTESTATION), API_OK);
    assert_int_equal(m.alg, COSE_ALG_EDDSA);
    assert_memory_equal(m.kid, k.kid, COSE_KID_LEN);
    assert_string_equal(m.typ, COSE_TYP_ATTESTATION);
    assert_int_equal(m.payload_len, sizeof payload - 1);
    assert_memory_equal(m.payload, payload, m.payload_len);
    assert_true(m.payload > cose && m.payload < cose + cose_len); /* points into the input */
    assert_true(m.signature + COSE_SIG_LEN == cose + cose_len);
    assert_int_equal(cose_sign1_verify(&m, k.pk), API_OK);
    /* the protected header is exactly {1: -8, 4: kid, 16: typ} */
    uint8_t prot[128];
    size_t prot_len = testkit_protected(prot, sizeof prot, 1, COSE_ALG_EDDSA, k.kid, COSE_TYP_ATTESTATION, 0);
    assert_int_equal(m.protected_len, prot_len);
    assert_memory_equal(m.protected_bytes, prot, prot_len);
    /* parse with no typ expected */
    assert_int_equal(cose_sign1_parse(&m, cose, cose_len, NULL), API_OK);
    /* Ed25519 is deterministic: signing again gives the same bytes */
    uint8_t again[512];
    size_t again_len = sizeof again;
    assert_int_equal(
        cose_sign1_sign(again, &again_len, COSE_TYP_ATTESTATION, payload, sizeof payload - 1, k.sk), API_OK);
    assert_int_equal(again_len, cose_len);
    assert_memory_equal(again, cose, cose_len);
    /* the same with an empty payload */
    cose_len = sizeof cose;
    assert_int_equal(cose_sign1_sign(cose, &cose_len, COSE_TYP_CHECKPOINT, NULL, 0, k.sk), API_OK);
    assert_int_equal(cose_sign1_parse(&m, cose, cose_len, COSE_TYP_CHECKPOINT), API_OK);
    assert_int_equal(m.payload_len, 0);
    assert_int_equal(cose_sign1_verify(&m, k.pk), API_OK);
}

static void test_round_trip_large(void **state)
{
    (void)state;
    testkit_key k;
    testkit_root(&k);
    size_t n = 300000;
    uint8_t *payload = malloc(n);
    assert_non_null(payload);
    /* a byte string of n - 5 bytes: valid CBOR, far over the small Sig_structure buffer */
    payload[0] = 0x5a;
    bytes_put_be32(payload + 1, (uint32_t)(n - 5));
    for (size_t i = 5; i < n; i++) payload[i] = (uint8_t)(i * 31);
    uint8_t *cose = NULL;
    size_t cose_len = 0;
    assert_int_equal(cose_sign1_sign_alloc(&cose, &cose_len, COSE_TYP_SEGMENT, payload, n, k.sk), API_OK);
    cose_sign1 m;
    assert_int_equal(cose_sign1_parse(&m, cose, cose_len, COSE_TYP_SEGMENT), API_OK);
    assert_int_equal(m.payload_len, n);
    assert_int_equal(cose_sign1_verify(&m, k.pk), API_OK);
    cose[cose_len - 100] ^= 0x01; /* payload byte */
    assert_int_equal(cose_sign1_parse(&m, cose, cose_len, COSE_TYP_SEGMENT), API_OK);
    cose[cose_len - 100] ^= 0x01;
    cose[200] ^= 0x80;
    assert_int_equal(cose_sign1_parse(&m, cose, cose_len, COSE_TYP_SEGMENT), API_OK);
    assert_int_equal(cose_sign1_verify(&m, k.pk), API_ERR_SIGNATURE);
    free(cose);
    free(payload);
}

static void test_sign_errors(void **state)
{
    (void)state;
    testkit_key k;
    testkit_fr75(&k);
    uint8_t cose[512];
    size_t cose_len = 50; /* too small for the envelope */
    assert_int_equal(cose_sign1_sign(cose, &cose_len, COSE_TYP_ATTESTATION, (const uint8_t *)"\x01", 1, k.sk),
                     API_ERR_TOO_LARGE);
    char typ[65];
    memset(typ, 'a', 64);
    typ[64] = '\0';
    cose_len = sizeof cose;
    assert_int_equal(cose_sign1_sign(cose, &cose_len, typ, (const uint8_t *)"\x01", 1, k.sk), API_ERR_ARG);
    cose_len = sizeof cose;
    assert_int_equal(cose_sign1_sign(cose, &cose_len, NULL, (const uint8_t *)"\x01", 1, k.sk), API_ERR_ARG);
    /* 63 characters is the longest typ */
    typ[63] = '\0';
    cose_len = sizeof cose;
    assert_int_equal(cose_sign1_sign(cose, &cose_len, typ, (const uint8_t *)"\x01", 1, k.sk), API_OK);
    cose_sign1 m;
    assert_int_equal(cose_sign1_parse(&m, cose, cose_len, typ), API_OK);
}

static void test_typ_separation(void **state)
{
    (void)state;
    testkit_key k;
    testkit_root(&k);
    const char *typs[] = {COSE_TYP_ATTESTATION, COSE_TYP_TRUST_LIST, COSE_TYP_CHECKPOINT, COSE_TYP_SEGMENT,
                          COSE_TYP_SNAPSHOT};
    for (size_t i = 0; i < 5; i++) {
        uint8_t cose[256];
        size_t cose_len = sizeof cose;
        assert_int_equal(cose_sign1_sign(cose, &cose_len, typs[i], (const uint8_t *)"\xa0", 1, k.sk), API_OK);
        for (size_t j = 0; j < 5; j++) {
            cose_sign1 m;
            assert_int_equal(cose_sign1_parse(&m, cose, cose_len, typs[j]), i == j ? API_OK : API_ERR_TYP);
        }
    }
    /* a typ that only shares a prefix, and one with different case */
    uint8_t prot[128], cose[512];
    size_t pl = testkit_protected(prot, sizeof prot, 1, -8, k.kid, "api-attestation+cwtx", 0);
    size_t cl =
        testkit_cose_signed_with_protected(cose, sizeof cose, prot, pl, (const uint8_t *)"\xa0", 1, k.sk);
    cose_sign1 m;
    assert_int_equal(cose_sign1_parse(&m, cose, cl, COSE_TYP_ATTESTATION), API_ERR_TYP);
    pl = testkit_protected(prot, sizeof prot, 1, -8, k.kid, "API-attestation+cwt", 0);
    cl = testkit_cose_signed_with_protected(cose, sizeof cose, prot, pl, (const uint8_t *)"\xa0", 1, k.sk);
    assert_int_equal(cose_sign1_parse(&m, cose, cl, COSE_TYP_ATTESTATION), API_ERR_TYP);
    /* no typ at all */
    pl = testkit_protected(prot, sizeof prot, 1, -8, k.kid, NULL, 0);
    cl = testkit_cose_signed_with_protected(cose, sizeof cose, prot, pl, (const uint8_t *)"\xa0", 1, k.sk);
    assert_int_equal(cose_sign1_parse(&m, cose, cl, COSE_TYP_ATTESTATION), API_ERR_TYP);
    assert_int_equal(cose_sign1_parse(&m, cose, cl, NULL), API_ERR_TYP);
    /* typ of the wrong type (an integer, as RFC 9596 allows for content formats) */
    {
        uint8_t p[64];
        size_t n = 0;
        p[n++] = 0xa3;
        p[n++] = 0x01;
        p[n++] = 0x27;
        p[n++] = 0x04;
        p[n++] = 0x48;
        memcpy(p + n, k.kid, 8);
        n += 8;
        p[n++] = 0x10;
        p[n++] = 0x18;
        p[n++] = 0x3d;
        cl = testkit_cose_signed_with_protected(cose, sizeof cose, p, n, (const uint8_t *)"\xa0", 1, k.sk);
        assert_int_equal(cose_sign1_parse(&m, cose, cl, COSE_TYP_ATTESTATION), API_ERR_TYP);
    }
}

static void test_algorithms(void **state)
{
    (void)state;
    testkit_key k;
    testkit_fr75(&k);
    const uint8_t payload[] = "\xa1\x01\x02";
    uint8_t prot[128], cose[512];
    cose_sign1 m;
    /* -19, the fully specified Ed25519, is accepted and verifies */
    size_t pl = testkit_protected(prot, sizeof prot, 1, COSE_ALG_ED25519, k.kid, COSE_TYP_ATTESTATION, 0);
    size_t cl = testkit_cose_signed_with_protected(cose, sizeof cose, prot, pl, payload, 3, k.sk);
    assert_true(cl > 0);
    assert_int_equal(cose_sign1_parse(&m, cose, cl, COSE_TYP_ATTESTATION), API_OK);
    assert_int_equal(m.alg, COSE_ALG_ED25519);
    assert_int_equal(cose_sign1_verify(&m, k.pk), API_OK);
    /* -8 by hand, the same as the library writes */
    pl = testkit_protected(prot, sizeof prot, 1, COSE_ALG_EDDSA, k.kid, COSE_TYP_ATTESTATION, 0);
    cl = testkit_cose_signed_with_protected(cose, sizeof cose, prot, pl, payload, 3, k.sk);
    assert_int_equal(cose_sign1_parse(&m, cose, cl, COSE_TYP_ATTESTATION), API_OK);
    assert_int_equal(cose_sign1_verify(&m, k.pk), API_OK);
    /* ES256 (-7), and others, are refused even with a valid Ed25519 signature */
    const int64_t bad[] = {-7, -35, -36, -37, -257, 0, 1, 8, 19, -9, -18, -20, -65536, 4294967296LL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pl = testkit_protected(prot, sizeof prot, 1, bad[i], k.kid, COSE_TYP_ATTESTATION, 0);
        cl = testkit_cose_signed_with_protected(cose, sizeof cose, prot, pl, payload, 3, k.sk);
        assert_int_equal(cose_sign1_parse(&m, cose, cl, COSE_TYP_ATTESTATION), API_ERR_ALG);
    }
    /* missing alg */
    pl = testkit_protected(prot, sizeof prot, 0, 0, k.kid, COSE_TYP_ATTESTATION, 0);
    cl = testkit_cose_signed_with_protected(cose, sizeof cose, prot, pl, payload, 3, k.sk);
    assert_int_equal(cose_sign1_parse(&m, cose, cl, COSE_TYP_ATTESTATION), API_ERR_ALG);
    /* alg as text ("EdDSA") */
    {
        uint8_t p[64];
        size_t n = 0;
        p[n++] = 0xa3;
        p[n++] = 0x01;
        p[n++] = 0x65;
        memcpy(p + n, "EdDSA", 5);
        n += 5;
        p[n++] = 0x04;
        p[n++] = 0x48;
        memcpy(p + n, k.kid, 8);
        n += 8;
        p[n++] = 0x10;
        p[n++] = 0x73;
        memcpy(p + n, COSE_TYP_ATTESTATION, 19);
        n += 19;
        cl = testkit_cose_signed_with_protected(cose, sizeof cose, p, n, payload, 3, k.sk);
        assert_int_equal(cose_sign1_parse(&m, cose, cl, COSE_TYP_ATTESTATION), API_ERR_ALG);
    }
    /* an empty protected header has no alg */
    cl = testkit_cose_signed_with_protected(cose, sizeof cose, NULL, 0, payload, 3, k.sk);
    assert_int_equal(cose_sign1_parse(&m, cose, cl, COSE_TYP_ATTESTATION), API_ERR_ALG);
}

/* A correctly signed message, then one part changed: what the parser says. */
static api_err parse_forged(int64_t tag, size_t nitems, const uint8_t *prot, size_t prot_len,
                            const uint8_t *unprot, size_t unprot_len, size_t sig_len)
{
    uint8_t cose[1024], sig[80];
    memset(sig, 0x11, sizeof sig);
    size_t cl = testkit_cose_raw(cose, sizeof cose, tag, nitems, prot, prot_len, unprot, unprot_len,
                                 (const uint8_t *)"\xa1\x01\x02", 3, sig, sig_len);
    assert_true(cl > 0);
    cose_sign1 m;
    return cose_sign1_parse(&m, cose, cl, COSE_TYP_ATTESTATION);
}

static void test_malformed_envelopes(void **state)
{
    (void)state;
    testkit_key k;
    testkit_fr75(&k);
    uint8_t prot[128];
    size_t pl = testkit_protected(prot, sizeof prot, 1, -8, k.kid, COSE_TYP_ATTESTATION, 0);
    const uint8_t *empty = (const uint8_t *)"\xa0";
    /* the reference shape parses */
    assert_int_equal(parse_forged(18, 4, prot, pl, empty, 1, 64), API_OK);
    /* untagged, wrong tags */
    assert_int_equal(parse_forged(-1, 4, prot, pl, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(17, 4, prot, pl, empty, 1, 64), API_ERR_NOT_COSE_SIGN1); /* COSE_Mac0 */
    assert_int_equal(parse_forged(98, 4, prot, pl, empty, 1, 64), API_ERR_NOT_COSE_SIGN1); /* COSE_Sign */
    assert_int_equal(parse_forged(61, 4, prot, pl, empty, 1, 64), API_ERR_NOT_COSE_SIGN1); /* CWT */
    assert_int_equal(parse_forged(0, 4, prot, pl, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
    /* arrays of 1, 2, 3, 5, 6 */
    assert_int_equal(parse_forged(18, 3, prot, pl, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(18, 2, prot, pl, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(18, 1, prot, pl, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(18, 5, prot, pl, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(18, 6, prot, pl, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
    /* unprotected header not {} */
    assert_int_equal(parse_forged(18, 4, prot, pl, (const uint8_t *)"\xa1\x01\x27", 3, 64),
                     API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(18, 4, prot, pl, (const uint8_t *)"\xa1\x04\x41\x00", 4, 64),
                     API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(18, 4, prot, pl, (const uint8_t *)"\x80", 1, 64), API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(18, 4, prot, pl, (const uint8_t *)"\x40", 1, 64), API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(18, 4, prot, pl, (const uint8_t *)"\xf6", 1, 64), API_ERR_NOT_COSE_SIGN1);
    /* unknown protected labels: crit (2), content type (3), IV (5), a private one, a text one */
    const int64_t labels[] = {2, 3, 5, 6, 33, -1, -65537, 17};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        uint8_t p2[128];
        size_t n = testkit_protected(p2, sizeof p2, 1, -8, k.kid, COSE_TYP_ATTESTATION, labels[i]);
        assert_int_equal(parse_forged(18, 4, p2, n, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
    }
    {
        /* {1: -8, 4: kid, 16: typ, "x": 0} */
        uint8_t p2[128];
        memcpy(p2, prot, pl);
        p2[0] = 0xa4;
        p2[pl] = 0x61;
        p2[pl + 1] = 'x';
        p2[pl + 2] = 0x00;
        assert_int_equal(parse_forged(18, 4, p2, pl + 3, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
    }
    /* signatures of 63, 65, 0 and 32 bytes */
    assert_int_equal(parse_forged(18, 4, prot, pl, empty, 1, 63), API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(18, 4, prot, pl, empty, 1, 65), API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(18, 4, prot, pl, empty, 1, 0), API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(18, 4, prot, pl, empty, 1, 32), API_ERR_NOT_COSE_SIGN1);
    /* kid missing, of 7 or 9 bytes, or text */
    {
        uint8_t p2[128];
        size_t n = testkit_protected(p2, sizeof p2, 1, -8, NULL, COSE_TYP_ATTESTATION, 0);
        assert_int_equal(parse_forged(18, 4, p2, n, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
        n = testkit_protected(p2, sizeof p2, 1, -8, k.kid, COSE_TYP_ATTESTATION, 0);
        /* {1: -8, 4: h'<8>', ...}: the kid head is at offset 4 */
        assert_int_equal(p2[3], 0x04);
        assert_int_equal(p2[4], 0x48);
        uint8_t p3[128];
        memcpy(p3, p2, 4);
        p3[4] = 0x47;
        memcpy(p3 + 5, k.kid, 7);
        memcpy(p3 + 12, p2 + 13, n - 13);
        assert_int_equal(parse_forged(18, 4, p3, n - 1, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
        p3[4] = 0x68; /* text of 8 bytes */
        memcpy(p3 + 5, "abcdefgh", 8);
        memcpy(p3 + 13, p2 + 13, n - 13);
        assert_int_equal(parse_forged(18, 4, p3, n, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
    }
    /* protected header not a map, or not canonical CBOR inside the bstr */
    assert_int_equal(parse_forged(18, 4, (const uint8_t *)"\x83\x01\x02\x03", 4, empty, 1, 64),
                     API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(parse_forged(18, 4, (const uint8_t *)"\xa1\x01\x38\x07", 4, empty, 1, 64),
                     API_ERR_NOT_COSE_SIGN1); /* non-shortest -8 */
    assert_int_equal(parse_forged(18, 4, (const uint8_t *)"\xa2\x01\x27\x01\x27", 5, empty, 1, 64),
                     API_ERR_NOT_COSE_SIGN1); /* duplicate alg */
    {
        uint8_t p2[128];
        memcpy(p2, prot, pl);
        p2[pl] = 0x00; /* trailing byte inside the protected bstr */
        assert_int_equal(parse_forged(18, 4, p2, pl + 1, empty, 1, 64), API_ERR_NOT_COSE_SIGN1);
    }
}

static void test_items_of_wrong_type(void **state)
{
    (void)state;
    testkit_key k;
    testkit_fr75(&k);
    uint8_t prot[128], cose[512];
    size_t pl = testkit_protected(prot, sizeof prot, 1, -8, k.kid, COSE_TYP_ATTESTATION, 0);
    cose_sign1 m;
    /* protected as a map instead of a bstr holding a map */
    size_t n = 0;
    cose[n++] = 0xd2;
    cose[n++] = 0x84;
    memcpy(cose + n, prot, pl);
    n += pl;
    cose[n++] = 0xa0;
    cose[n++] = 0x41;
    cose[n++] = 0x00;
    cose[n++] = 0x58;
    cose[n++] = 0x40;
    memset(cose + n, 0x22, 64);
    n += 64;
    assert_int_equal(cose_sign1_parse(&m, cose, n, COSE_TYP_ATTESTATION), API_ERR_NOT_COSE_SIGN1);
    /* payload nil (a detached payload) */
    n = 0;
    cose[n++] = 0xd2;
    cose[n++] = 0x84;
    cose[n++] = 0x58;
    cose[n++] = (uint8_t)pl;
    memcpy(cose + n, prot, pl);
    n += pl;
    cose[n++] = 0xa0;
    size_t payload_at = n;
    cose[n++] = 0xf6;
    size_t sig_at = n;
    cose[n++] = 0x58;
    cose[n++] = 0x40;
    memset(cose + n, 0x22, 64);
    n += 64;
    assert_int_equal(cose_sign1_parse(&m, cose, n, COSE_TYP_ATTESTATION), API_ERR_NOT_COSE_SIGN1);
    /* payload as text */
    cose[payload_at] = 0x60;
    assert_int_equal(cose_sign1_parse(&m, cose, n, COSE_TYP_ATTESTATION), API_ERR_NOT_COSE_SIGN1);
    /* payload as an array */
    cose[payload_at] = 0x80;
    assert_int_equal(cose_sign1_parse(&m, cose, n, COSE_TYP_ATTESTATION), API_ERR_NOT_COSE_SIGN1);
    /* signature as text */
    cose[payload_at] = 0x40;
    cose[sig_at] = 0x78;
    assert_int_equal(cose_sign1_parse(&m, cose, n, COSE_TYP_ATTESTATION), API_ERR_NOT_COSE_SIGN1);
    cose[sig_at] = 0x58;
    assert_int_equal(cose_sign1_parse(&m, cose, n, COSE_TYP_ATTESTATION), API_OK);
    /* protected header as text (here not even UTF-8: the kid bytes) */
    cose[2] = 0x78;
    api_err e = cose_sign1_parse(&m, cose, n, COSE_TYP_ATTESTATION);
    assert_true(e == API_ERR_NOT_COSE_SIGN1 || e == API_ERR_CBOR);
    cose[2] = 0x58;
    /* not CBOR at all, or not canonical: API_ERR_CBOR */
    assert_int_equal(cose_sign1_parse(&m, cose, n - 1, COSE_TYP_ATTESTATION), API_ERR_CBOR);
    cose[n] = 0x00;
    assert_int_equal(cose_sign1_parse(&m, cose, n + 1, COSE_TYP_ATTESTATION), API_ERR_CBOR);
    assert_int_equal(cose_sign1_parse(&m, (const uint8_t *)"", 0, COSE_TYP_ATTESTATION), API_ERR_CBOR);
    assert_int_equal(cose_sign1_parse(&m, (const uint8_t *)"\xd2\x9f\xff", 3, COSE_TYP_ATTESTATION),
                     API_ERR_CBOR);
    /* a bare integer, a bare map */
    assert_int_equal(cose_sign1_parse(&m, (const uint8_t *)"\x01", 1, COSE_TYP_ATTESTATION),
                     API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(cose_sign1_parse(&m, (const uint8_t *)"\xa0", 1, COSE_TYP_ATTESTATION),
                     API_ERR_NOT_COSE_SIGN1);
    assert_int_equal(cose_sign1_parse(&m, (const uint8_t *)"\xd2\xa0", 2, COSE_TYP_ATTESTATION),
                     API_ERR_NOT_COSE_SIGN1);
}

static void test_wrong_key(void **state)
{
    (void)state;
    uint8_t cose[TESTKIT_COSE_MAX];
    size_t cose_len = sizeof cose;
    assert_int_equal(testkit_default_cose(cose, &cose_len), API_OK);
    cose_sign1 m;
    assert_int_equal(cose_sign1_parse(&m, cose, cose_len, COSE_TYP_ATTESTATION), API_OK);
    testkit_key k75, k13, root;
    testkit_fr75(&k75);
    testkit_fr13(&k13);
    testkit_root(&root);
    assert_int_equal(cose_sign1_verify(&m, k75.pk), API_OK);
    assert_int_equal(cose_sign1_verify(&m, k13.pk), API_ERR_SIGNATURE);
    assert_int_equal(cose_sign1_verify(&m, root.pk), API_ERR_SIGNATURE);
    uint8_t zero[32] = {0};
    assert_int_equal(cose_sign1_verify(&m, zero), API_ERR_SIGNATURE);
    /* a signature by FR-13 over a header naming FR-75's kid still only verifies with FR-13's key */
    uint8_t prot[128], forged[TESTKIT_COSE_MAX];
    size_t pl = testkit_protected(prot, sizeof prot, 1, -8, k75.kid, COSE_TYP_ATTESTATION, 0);
    size_t fl =
        testkit_cose_signed_with_protected(forged, sizeof forged, prot, pl, m.payload, m.payload_len, k13.sk);
    assert_int_equal(cose_sign1_parse(&m, forged, fl, COSE_TYP_ATTESTATION), API_OK);
    assert_int_equal(cose_sign1_verify(&m, k75.pk), API_ERR_SIGNATURE);
    assert_int_equal(cose_sign1_verify(&m, k13.pk), API_OK);
}

static void test_every_bit_flip_refused(void **state)
{
    (void)state;
    uint8_t cose[TESTKIT_COSE_MAX];
    size_t cose_len = sizeof cose;
    assert_int_equal(testkit_default_cose(cose, &cose_len), API_OK);
    testkit_key k;
    testkit_fr75(&k);
    size_t by_parse = 0, by_verify = 0;
    for (size_t i = 0; i < cose_len; i++)
        for (unsigned bit = 0; bit < 8; bit++) {
            cose[i] ^= (uint8_t)(1u << bit);
            cose_sign1 m;
            api_err e = cose_sign1_parse(&m, cose, cose_len, COSE_TYP_ATTESTATION);
            if (e == API_OK) {
                assert_int_equal(cose_sign1_verify(&m, k.pk), API_ERR_SIGNATURE);
                by_verify++;
            } else {
                by_parse++;
            }
            cose[i] ^= (uint8_t)(1u << bit);
        }
    assert_int_equal(by_parse + by_verify, cose_len * 8);
    print_message("cose bit flips: %zu refused by parse, %zu by verify\n", by_parse, by_verify);
    cose_sign1 m;
    assert_int_equal(cose_sign1_parse(&m, cose, cose_len, COSE_TYP_ATTESTATION), API_OK);
    assert_int_equal(cose_sign1_verify(&m, k.pk), API_OK);
}

/* S + L (little-endian): the same signature in a non-canonical form, which readers must refuse */
static void test_non_canonical_s_refused(void **state)
{
    (void)state;
    static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                  0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                  0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
    uint8_t cose[TESTKIT_COSE_MAX];
    size_t cose_len = sizeof cose;
    assert_int_equal(testkit_default_cose(cose, &cose_len), API_OK);
    testkit_key k;
    testkit_fr75(&k);
    uint8_t *s = cose + cose_len - 32;
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        unsigned v = s[i] + L[i] + carry;
        s[i] = (uint8_t)v;
        carry = v >> 8;
    }
    assert_int_equal(carry, 0);
    cose_sign1 m;
    assert_int_equal(cose_sign1_parse(&m, cose, cose_len, COSE_TYP_ATTESTATION), API_OK);
    assert_int_equal(cose_sign1_verify(&m, k.pk), API_ERR_SIGNATURE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8032_vectors),
        cmocka_unit_test(test_kid),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_large),
        cmocka_unit_test(test_sign_errors),
        cmocka_unit_test(test_typ_separation),
        cmocka_unit_test(test_algorithms),
        cmocka_unit_test(test_malformed_envelopes),
        cmocka_unit_test(test_items_of_wrong_type),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_every_bit_flip_refused),
        cmocka_unit_test(test_non_canonical_s_refused),
    };
    return cmocka_run_group_tests_name("cose", tests, NULL, NULL);
}
