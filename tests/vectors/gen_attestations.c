/*
 * gen_attestations.c: writes docs/vectors/attestations.json, the published
 * test vectors of the API1 QR format (docs/format.md, "Test vectors"), from
 * fixed seeds, so that another team can rebuild every signature;
 * tests/unit/test_vectors.c checks the file with the C verifier.
 *
 *   gen_attestations FILE   (make vectors: FILE is docs/vectors/attestations.json)
 *
 * The attestation is the example of the docs (testkit_claims), signed by
 * FR-75, checked at its edges, then damaged one way per vector; then its
 * reduced presentation (the holder's card, typ api-card+cwt), valid,
 * refused by a reader of one kind only ("accept"), with the claims of one
 * kind under the typ of the other, tampered and expired. Ed25519
 * and our CBOR are deterministic, so every COSE byte string is; the QR
 * texts hold zlib's bytes, which another zlib version may write otherwise.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cjson/cJSON.h>

#include "common/b64url.h"
#include "qr/b45.h"
#include "qr/claims.h"
#include "qr/cose.h"
#include "qr/qrtext.h"
#include "qr/trust.h"
#include "qr/zc.h"
#include "tests/unit/testkit.h"

#define VEC_MAX 32

/* A check of the generator itself: stops with the line when it fails. */
#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) testkit_die("gen_attestations.c:%d: %s", __LINE__, #cond);                              \
    } while (0)

typedef struct {
    const char *name, *description, *at, *result, *reason;
    const char *accept; /* NULL: a reader of both kinds; "full" or "reduced": of that kind only */
    char qr[QRTEXT_MAX_TEXT];
    uint8_t cose[QRTEXT_MAX_COSE];
    size_t cose_len;
} vec_case;

static testkit_key root_key, fr75_key, fr13_key, other_key;
static uint8_t trust_cose[8192];
static size_t trust_cose_len;
static vec_case cases[VEC_MAX];
static size_t ncases;

static vec_case *vec_add(const char *name, const char *description, const char *at, const char *result,
                         const char *reason)
{
    CHECK(ncases < VEC_MAX);
    vec_case *v = &cases[ncases++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->description = description;
    v->at = at;
    v->result = result;
    v->reason = reason;
    return v;
}

/* COSE of claims signed by key with typ; then the QR text (zlib unless raw). */
static void vec_sign(vec_case *v, const api_claims *c, const testkit_key *key, const char *typ)
{
    uint8_t payload[2048];
    size_t plen = sizeof payload;
    CHECK(claims_encode(payload, &plen, c) == API_OK);
    v->cose_len = sizeof v->cose;
    CHECK(cose_sign1_sign(v->cose, &v->cose_len, typ, payload, plen, key->sk) == API_OK);
}

/* The holder's card of c (claims_reduced_encode), signed by key with typ. */
static void vec_sign_card(vec_case *v, const api_claims *c, const testkit_key *key, const char *typ)
{
    uint8_t payload[1024];
    size_t plen = sizeof payload;
    CHECK(claims_reduced_encode(payload, &plen, c) == API_OK);
    v->cose_len = sizeof v->cose;
    CHECK(cose_sign1_sign(v->cose, &v->cose_len, typ, payload, plen, key->sk) == API_OK);
}

static void vec_text_zlib(vec_case *v)
{
    size_t n = sizeof v->qr;
    CHECK(qrtext_encode(v->qr, &n, v->cose, v->cose_len) == API_OK);
}

/* The shorter of the two forms, as the issuer writes a holder's card (uncompressed, for a short COSE). */
static void vec_text_shortest(vec_case *v)
{
    size_t n = sizeof v->qr;
    CHECK(qrtext_encode_shortest(v->qr, &n, v->cose, v->cose_len) == API_OK);
}

/* "API1:" + Base45 of arbitrary bytes (raw COSE, or a hand-made zlib stream). */
static void vec_text_raw(vec_case *v, const uint8_t *bytes, size_t len)
{
    memcpy(v->qr, QRTEXT_PREFIX, QRTEXT_PREFIX_LEN);
    size_t n = sizeof v->qr - QRTEXT_PREFIX_LEN;
    CHECK(b45_encode(v->qr + QRTEXT_PREFIX_LEN, &n, bytes, len) == 0);
}

static void vec_build(void)
{
    testkit_root(&root_key);
    testkit_fr75(&fr75_key);
    testkit_fr13(&fr13_key);
    testkit_key_from_seed(&other_key, 0x04);

    trust_entry e[2];
    memset(e, 0, sizeof e);
    strcpy(e[0].id, "FR-75");
    strcpy(e[0].name, "Préfecture de police");
    memcpy(e[0].pub, fr75_key.pk, 32);
    cose_kid(e[0].kid, e[0].pub);
    strcpy(e[0].feed, "https://feed.example/fr-75");
    strcpy(e[1].id, "FR-13");
    strcpy(e[1].name, "Préfecture des Bouches-du-Rhône");
    memcpy(e[1].pub, fr13_key.pk, 32);
    cose_kid(e[1].kid, e[1].pub);
    strcpy(e[1].feed, "https://feed.example/fr-13");
    trust_list tl = {
        .seq = 1, .iat = 1788220800 /* 2026-09-01T00:00:00Z */, .exp = 1819756800, .n = 2, .entries = e};
    uint8_t *tc;
    CHECK(trust_sign(&tc, &trust_cose_len, &tl, root_key.sk) == API_OK);
    CHECK(trust_cose_len <= sizeof trust_cose);
    memcpy(trust_cose, tc, trust_cose_len);
    free(tc);

    api_claims c;
    testkit_claims(&c);
    vec_case *v;

    v = vec_add("valid", "A renewal, signed by FR-75, checked during its validity.", "2026-10-01T10:00:00Z",
                "valid", NULL);
    vec_sign(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    vec_text_zlib(v);

    v = vec_add("valid_uncompressed", "The same COSE without zlib: readers accept it.",
                "2026-10-01T10:00:00Z", "valid", NULL);
    vec_sign(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    vec_text_raw(v, v->cose, v->cose_len);

    v = vec_add("valid_first_day", "Valid from 00:00 Europe/Paris on valid_from (nbf).",
                "2026-09-14T22:00:00Z", "valid", NULL);
    vec_sign(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    vec_text_zlib(v);

    v = vec_add("not_yet_valid", "One second before nbf.", "2026-09-14T21:59:59Z", "not_yet_valid",
                "not_yet_valid");
    vec_sign(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    vec_text_zlib(v);

    v = vec_add("valid_last_second", "Still valid at exp, 23:59:59 Europe/Paris on valid_until.",
                "2026-12-15T22:59:59Z", "valid", NULL);
    vec_sign(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    vec_text_zlib(v);

    v = vec_add("expired", "One second after exp.", "2026-12-15T23:00:00Z", "expired", "expired");
    vec_sign(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    vec_text_zlib(v);

    api_claims first = c;
    first.app = CLAIMS_APP_FIRST;
    first.has_prv = 0;
    first.wrk = CLAIMS_WRK_NO;
    strcpy(first.tit, "carte de séjour temporaire étudiant");
    v = vec_add("valid_first_application", "A first application, no previous permit, no right to work.",
                "2026-10-01T10:00:00Z", "valid", NULL);
    vec_sign(v, &first, &fr75_key, COSE_TYP_ATTESTATION);
    vec_text_zlib(v);

    v = vec_add("tampered_payload", "One bit of the payload flipped after signing (the family name).",
                "2026-10-01T10:00:00Z", "invalid_signature", "signature");
    vec_sign(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    for (size_t i = 0; i + 6 <= v->cose_len; i++)
        if (!memcmp(v->cose + i, "DIALLO", 6)) {
            v->cose[i] ^= 0x01; /* D -> E */
            break;
        }
    vec_text_zlib(v);

    v = vec_add("non_canonical_s", "Signature with S replaced by S + L (the group order): must be refused.",
                "2026-10-01T10:00:00Z", "invalid_signature", "signature");
    vec_sign(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    {
        /* S is the last 32 bytes, little-endian; add L = 2^252 + 27742317777372353535851937790883648493. */
        static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                      0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                      0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
        uint8_t *s = v->cose + v->cose_len - 32;
        unsigned carry = 0;
        for (int i = 0; i < 32; i++) {
            unsigned sum = s[i] + L[i] + carry;
            s[i] = (uint8_t)sum;
            carry = sum >> 8;
        }
    }
    vec_text_zlib(v);

    v = vec_add("wrong_typ", "Signed by FR-75 with typ api-trust-list+cbor: not an attestation.",
                "2026-10-01T10:00:00Z", "malformed", "typ");
    vec_sign(v, &c, &fr75_key, COSE_TYP_TRUST_LIST);
    vec_text_zlib(v);

    v = vec_add("unknown_issuer", "Signed by a key that is not in the trust list.", "2026-10-01T10:00:00Z",
                "unknown_issuer", "unknown_kid");
    vec_sign(v, &c, &other_key, COSE_TYP_ATTESTATION);
    vec_text_zlib(v);

    v = vec_add("issuer_mismatch", "iss FR-75 signed with FR-13's key: the key does not belong to iss.",
                "2026-10-01T10:00:00Z", "untrusted_issuer", "issuer_mismatch");
    vec_sign(v, &c, &fr13_key, COSE_TYP_ATTESTATION);
    vec_text_zlib(v);

    v = vec_add("zlib_trailing_byte", "A valid zlib stream followed by one more byte.",
                "2026-10-01T10:00:00Z", "malformed", "zlib");
    vec_sign(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    {
        uint8_t z[QRTEXT_MAX_COSE + 64];
        size_t zl = sizeof z - 1;
        CHECK(zc_compress(z, &zl, v->cose, v->cose_len) == API_OK);
        z[zl++] = 0x00;
        vec_text_raw(v, z, zl);
    }

    v = vec_add(
        "zlib_stored_nonzero_padding",
        "A stored (uncompressed) deflate block whose 5 padding bits after the block header are not zero.",
        "2026-10-01T10:00:00Z", "malformed", "zlib");
    vec_sign(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    {
        /* zlib header, then BFINAL=1 BTYPE=00 (3 bits) and 5 padding bits set to 1: 0xf9 instead of 0x01. */
        uint8_t z[QRTEXT_MAX_COSE + 16];
        size_t zl = 0;
        z[zl++] = 0x78;
        z[zl++] = 0x01;
        z[zl++] = 0xf9;
        z[zl++] = (uint8_t)v->cose_len;
        z[zl++] = (uint8_t)(v->cose_len >> 8);
        z[zl++] = (uint8_t)~v->cose_len;
        z[zl++] = (uint8_t)(~v->cose_len >> 8);
        memcpy(z + zl, v->cose, v->cose_len);
        zl += v->cose_len;
        uint32_t a = (uint32_t)adler32(1, v->cose, (unsigned)v->cose_len);
        z[zl++] = (uint8_t)(a >> 24);
        z[zl++] = (uint8_t)(a >> 16);
        z[zl++] = (uint8_t)(a >> 8);
        z[zl++] = (uint8_t)a;
        vec_text_raw(v, z, zl);
    }

    v = vec_add("wrong_prefix", "HC1: instead of API1:.", "2026-10-01T10:00:00Z", "malformed", "prefix");
    vec_sign(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    vec_text_zlib(v);
    memcpy(v->qr, "HC1:", 4);
    memmove(v->qr + 4, v->qr + 5, strlen(v->qr + 5) + 1);
    v->cose_len = 0;

    /* The reduced presentation: the holder's card of the same attestation. */
    v = vec_add("card_valid",
                "The holder's card of the attestation of `valid` (typ api-card+cwt: iss, nbf, exp, cti, "
                "status idx, v, fn, gn, dob, wrk), checked during its validity; uncompressed, as the "
                "issuer writes it (its zlib form is longer).",
                "2026-10-01T10:00:00Z", "valid", NULL);
    vec_sign_card(v, &c, &fr75_key, COSE_TYP_CARD);
    vec_text_shortest(v);
    CHECK(strncmp(v->qr + QRTEXT_PREFIX_LEN, "RRQ", 3) ==
          0); /* Base45 of d2 84 (tag 18, four items): raw COSE */

    v = vec_add(
        "card_refused_by_full_reader",
        "The card of `card_valid`, read by a reader that accepts only api-attestation+cwt: refused at "
        "the typ.",
        "2026-10-01T10:00:00Z", "malformed", "typ");
    v->accept = "full";
    vec_sign_card(v, &c, &fr75_key, COSE_TYP_CARD);
    vec_text_zlib(v);

    v = vec_add(
        "attestation_refused_by_card_reader",
        "The full code of `valid`, read by a reader that accepts only api-card+cwt: refused at the typ.",
        "2026-10-01T10:00:00Z", "malformed", "typ");
    v->accept = "reduced";
    vec_sign(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    vec_text_zlib(v);

    v = vec_add("card_claims_with_attestation_typ",
                "The card's claims signed with typ api-attestation+cwt: the full code's claims are missing.",
                "2026-10-01T10:00:00Z", "malformed", "claims");
    vec_sign_card(v, &c, &fr75_key, COSE_TYP_ATTESTATION);
    vec_text_zlib(v);

    v = vec_add(
        "attestation_claims_with_card_typ",
        "The full code's claims signed with typ api-card+cwt: a card must not carry nat, fnn, app, tit, "
        "fil or prv.",
        "2026-10-01T10:00:00Z", "malformed", "claims");
    vec_sign(v, &c, &fr75_key, COSE_TYP_CARD);
    vec_text_zlib(v);

    v = vec_add("card_tampered_payload", "The card with one bit of the family name flipped after signing.",
                "2026-10-01T10:00:00Z", "invalid_signature", "signature");
    vec_sign_card(v, &c, &fr75_key, COSE_TYP_CARD);
    for (size_t i = 0; i + 6 <= v->cose_len; i++)
        if (!memcmp(v->cose + i, "DIALLO", 6)) {
            v->cose[i] ^= 0x01; /* D -> E */
            break;
        }
    vec_text_zlib(v);

    v = vec_add("card_expired", "The card one second after exp: the same dates as the full code.",
                "2026-12-15T23:00:00Z", "expired", "expired");
    vec_sign_card(v, &c, &fr75_key, COSE_TYP_CARD);
    vec_text_zlib(v);
}

static cJSON *vec_json(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(
        o, "description",
        "Test vectors of the API1 QR format (docs/format.md). Keys come from fixed seeds: "
        "Ed25519 seed = 32 bytes of 0x01 (root), 0x02 (FR-75), 0x03 (FR-13), 0x04 (a key "
        "outside the trust list). Verify each qr at 'at' against trust_list with root_public_key; "
        "'accept', when present, is the one kind of code the reader accepts (full: "
        "api-attestation+cwt, reduced: api-card+cwt), otherwise it accepts both.");
    char b64[64];
    b64url_encode(b64, sizeof b64, root_key.pk, 32);
    cJSON_AddStringToObject(o, "root_public_key", b64);
    char *h = testkit_hex(trust_cose, trust_cose_len);
    cJSON_AddStringToObject(o, "trust_list_cose_hex", h);
    free(h);
    cJSON *arr = cJSON_AddArrayToObject(o, "vectors");
    for (size_t i = 0; i < ncases; i++) {
        vec_case *v = &cases[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", v->name);
        cJSON_AddStringToObject(j, "description", v->description);
        cJSON_AddStringToObject(j, "qr", v->qr);
        h = testkit_hex(v->cose, v->cose_len);
        cJSON_AddStringToObject(j, "cose_hex", h);
        free(h);
        cJSON_AddStringToObject(j, "at", v->at);
        if (v->accept) cJSON_AddStringToObject(j, "accept", v->accept);
        cJSON_AddStringToObject(j, "result", v->result);
        if (v->reason)
            cJSON_AddStringToObject(j, "reason", v->reason);
        else
            cJSON_AddNullToObject(j, "reason");
        cJSON_AddItemToArray(arr, j);
    }
    return o;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_attestations FILE   (e.g. docs/vectors/attestations.json)\n");
        return 2;
    }
    if (sodium_init() < 0) return 1;
    vec_build();
    cJSON *file = vec_json();
    int rc = testkit_vectors_write(argv[1], file);
    cJSON_Delete(file);
    if (rc != 0) {
        fprintf(stderr, "gen_attestations: cannot write %s\n", argv[1]);
        return 1;
    }
    return 0;
}
