/*
 * gen_receipts.c: writes docs/vectors/receipts.json, the test vectors of
 * the verification receipt (docs/format.md, "Verification receipts"),
 * from fixed seeds; tests/unit/test_receipt.c checks the file.
 *
 *   gen_receipts FILE      (make vectors: FILE is docs/vectors/receipts.json)
 *
 * The file holds a receipt-keys document as a verifier publishes it
 * (GET /api/v1/receipt-keys): a current key and a retired one; then
 * receipts, each with its QR text, its COSE in hex, what checking it
 * against that document must say (receipt_check_code) and, for those that
 * verify, the claims it carries, one receipt for each profile among them.
 * The QR texts hold zlib's bytes (compress2, level 9): another zlib may
 * write other texts for the same COSE.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/b64url.h"
#include "common/time.h"
#include "qr/cose.h"
#include "qr/qrtext.h"
#include "qr/receipt.h"
#include "qr/trust.h"
#include "tests/unit/testkit.h"

#define VEC_MAX 24

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) testkit_die("gen_receipts.c:%d: %s", __LINE__, #cond);                                  \
    } while (0)

#define KEY_NOT_BEFORE     "2026-01-01T00:00:00Z"
#define OLD_KEY_NOT_BEFORE "2025-01-01T00:00:00Z"
#define OLD_KEY_RETIRED_AT "2026-01-01T00:00:00Z"

typedef struct {
    const char *name, *description, *check;
    api_receipt r;
    int has_claims;
    char text[RECEIPT_TEXT_MAX];
    uint8_t cose[QRTEXT_MAX_COSE];
    size_t cose_len;
} vec_case;

static testkit_key key, old_key, other_key;
static uint8_t *trust_cose;
static size_t trust_cose_len;

/* The testkit trust list (FR-75, FR-13, signed by the root seed 0x01) with the current receipt key as a
 * receipt signer: what a verifier gets once the federation lists it. */
static void vec_trust_list(void)
{
    trust_list tl;
    CHECK(testkit_trust_list(&tl) == 0);
    tl.receipt_signers = calloc(1, sizeof *tl.receipt_signers);
    CHECK(tl.receipt_signers != NULL);
    tl.n_receipt_signers = 1;
    trust_receipt_signer *s = &tl.receipt_signers[0];
    snprintf(s->name, sizeof s->name, "%s", TESTKIT_RECEIPT_ORG);
    memcpy(s->pub, key.pk, COSE_PK_LEN);
    memcpy(s->kid, key.kid, COSE_KID_LEN);
    s->state = TRUST_ACTIVE;
    testkit_key root;
    testkit_root(&root);
    CHECK(trust_sign(&trust_cose, &trust_cose_len, &tl, root.sk) == API_OK);
    trust_free(&tl);
}
static vec_case cases[VEC_MAX];
static size_t ncases;

/* The first place of needle in hay, or NULL (memmem is not standard C). */
static uint8_t *find(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(hay + i, needle, m) == 0) return (uint8_t *)(uintptr_t)(hay + i);
    return NULL;
}

static vec_case *vec_add(const char *name, const char *description, const char *check)
{
    CHECK(ncases < VEC_MAX);
    vec_case *v = &cases[ncases++];
    v->name = name;
    v->description = description;
    v->check = check;
    testkit_receipt(&v->r);
    v->has_claims = strcmp(check, "valid") == 0;
    return v;
}

/* Signs v->r with k into v->text and v->cose. */
static void vec_sign(vec_case *v, const testkit_key *k)
{
    size_t len = sizeof v->text;
    CHECK(receipt_sign(v->text, &len, &v->r, k->sk) == API_OK);
    v->cose_len = sizeof v->cose;
    CHECK(qrtext_decode_with(v->cose, &v->cose_len, RECEIPT_PREFIX, v->text, len) == API_OK);
}

/* The receipt as an anonymous or a landlord caller may see it. */
static void vec_profile_anonymous(api_receipt *r)
{
    snprintf(r->profile, sizeof r->profile, "anonymous");
    snprintf(r->org, sizeof r->org, "anonymous");
    r->has_cti = 0;
    memset(r->cti, 0, sizeof r->cti);
    r->has_work = 0;
    r->wrk = 0;
}

static void vec_build(void)
{
    vec_case *v =
        vec_add("employer_valid",
                "An employer's check of a valid attestation: issuer, attestation id, names, right to "
                "work, effective end of validity, time of the status held.",
                "valid");
    vec_sign(v, &key);

    v = vec_add("anonymous_valid",
                "A check without an API key: the names and the validity, no attestation id and no right to "
                "work (the anonymous report shows neither).",
                "valid");
    vec_profile_anonymous(&v->r);
    vec_sign(v, &key);

    v = vec_add("landlord_valid", "A landlord's check: the attestation id and the names, no right to work.",
                "valid");
    snprintf(v->r.profile, sizeof v->r.profile, "landlord");
    snprintf(v->r.org, sizeof v->r.org, "Agence du Marais");
    v->r.has_work = 0;
    v->r.wrk = 0;
    vec_sign(v, &key);

    v = vec_add("social_extended",
                "A social agency's check after an extension published in the issuer's feed: ext is true and "
                "unt is the new end.",
                "valid");
    snprintf(v->r.profile, sizeof v->r.profile, "social");
    snprintf(v->r.org, sizeof v->r.org, "CAF de Paris");
    snprintf(v->r.until, sizeof v->r.until, "2027-03-15");
    v->r.extended = 1;
    v->r.checked_at = testkit_time("2026-12-20T09:30:00Z");
    v->r.status_as_of = testkit_time("2026-12-20T09:00:00Z");
    vec_sign(v, &key);

    v = vec_add("employer_revoked",
                "An employer's check of a revoked attestation: the verdict and its reason.", "valid");
    snprintf(v->r.result, sizeof v->r.result, "revoked");
    snprintf(v->r.reason, sizeof v->r.reason, "revoked");
    vec_sign(v, &key);

    v = vec_add("anonymous_malformed",
                "A check of a text that is no attestation: only the verdict, its reason, the profile and the "
                "caller.",
                "valid");
    vec_profile_anonymous(&v->r);
    snprintf(v->r.result, sizeof v->r.result, "malformed");
    snprintf(v->r.reason, sizeof v->r.reason, "base45");
    v->r.has_issuer = v->r.has_holder = v->r.has_until = v->r.has_status = 0;
    memset(v->r.iss, 0, sizeof v->r.iss);
    memset(v->r.issuer_name, 0, sizeof v->r.issuer_name);
    memset(v->r.fn, 0, sizeof v->r.fn);
    memset(v->r.gn, 0, sizeof v->r.gn);
    memset(v->r.until, 0, sizeof v->r.until);
    v->r.status_as_of = 0;
    vec_sign(v, &key);

    v = vec_add("old_key_before_retirement", "Signed by the retired key before its retirement: still valid.",
                "valid");
    v->r.checked_at = testkit_time("2025-10-01T12:00:00Z");
    v->r.status_as_of = testkit_time("2025-10-01T11:45:00Z");
    vec_sign(v, &old_key);

    v = vec_add("old_key_after_retirement", "Signed by the retired key after its retirement: refused.",
                "signed_after_retirement");
    vec_sign(v, &old_key);

    v = vec_add("before_key", "Signed by the current key with a time before its not_before: refused.",
                "signed_before_key");
    v->r.checked_at = testkit_time("2025-10-01T12:00:00Z");
    vec_sign(v, &key);

    v = vec_add("unknown_key", "Signed by a key the document does not list: refused.", "unknown_key");
    vec_sign(v, &other_key);

    v = vec_add("signer_mismatch", "Signed by the listed key but naming another verifier in iss: refused.",
                "signer_mismatch");
    snprintf(v->r.verifier, sizeof v->r.verifier, "Un autre vérificateur");
    vec_sign(v, &key);

    v = vec_add("changed_name",
                "The employer_valid receipt with one letter of the family name changed after signing: "
                "refused.",
                "invalid_signature");
    vec_sign(v, &key);
    uint8_t *at = find(v->cose, v->cose_len, "DIALLO", 6);
    CHECK(at != NULL);
    at[0] = 'F';
    size_t len = sizeof v->text;
    CHECK(qrtext_encode_with(v->text, &len, RECEIPT_PREFIX, v->cose, v->cose_len) == API_OK);

    v = vec_add("attestation_typ",
                "An attestation's COSE (typ api-attestation+cwt) under the receipt's prefix: not a receipt.",
                "malformed");
    uint8_t payload[1024];
    size_t plen = sizeof payload;
    CHECK(receipt_encode_payload(payload, &plen, &v->r) == API_OK);
    v->cose_len = sizeof v->cose;
    CHECK(cose_sign1_sign(v->cose, &v->cose_len, COSE_TYP_ATTESTATION, payload, plen, key.sk) == API_OK);
    len = sizeof v->text;
    CHECK(qrtext_encode_with(v->text, &len, RECEIPT_PREFIX, v->cose, v->cose_len) == API_OK);
}

static void add_instant(cJSON *o, const char *name, int64_t t)
{
    char buf[21];
    time_format_utc(buf, t);
    cJSON_AddStringToObject(o, name, buf);
}

static cJSON *key_json(const testkit_key *k, const char *not_before, const char *retired_at)
{
    cJSON *o = cJSON_CreateObject();
    char *h = testkit_hex(k->kid, COSE_KID_LEN);
    cJSON_AddStringToObject(o, "kid", h);
    free(h);
    cJSON_AddStringToObject(o, "alg", "EdDSA");
    char b64[64];
    b64url_encode(b64, sizeof b64, k->pk, COSE_PK_LEN);
    cJSON_AddStringToObject(o, "public_key", b64);
    cJSON_AddStringToObject(o, "name", TESTKIT_RECEIPT_ORG);
    cJSON_AddStringToObject(o, "not_before", not_before);
    if (retired_at)
        cJSON_AddStringToObject(o, "retired_at", retired_at);
    else
        cJSON_AddNullToObject(o, "retired_at");
    return o;
}

/* The claims of a receipt, by their CBOR names, as the docs' table has them. */
static cJSON *claims_json(const api_receipt *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "iss", r->verifier);
    add_instant(o, "iat", r->checked_at);
    cJSON_AddStringToObject(o, "res", r->result);
    if (r->reason[0]) cJSON_AddStringToObject(o, "rsn", r->reason);
    cJSON_AddStringToObject(o, "prf", r->profile);
    cJSON_AddStringToObject(o, "org", r->org);
    if (r->has_issuer) {
        cJSON_AddStringToObject(o, "receipt.iss", r->iss);
        cJSON_AddStringToObject(o, "isn", r->issuer_name);
    }
    if (r->has_cti) {
        char *h = testkit_hex(r->cti, CLAIMS_CTI_LEN);
        cJSON_AddStringToObject(o, "cti", h);
        free(h);
    }
    if (r->has_holder) {
        cJSON_AddStringToObject(o, "fn", r->fn);
        cJSON_AddStringToObject(o, "gn", r->gn);
    }
    if (r->has_work) cJSON_AddNumberToObject(o, "wrk", r->wrk);
    if (r->has_until) {
        cJSON_AddStringToObject(o, "unt", r->until);
        cJSON_AddBoolToObject(o, "ext", r->extended);
    }
    if (r->has_status) add_instant(o, "sat", r->status_as_of);
    return o;
}

static cJSON *vec_json(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(
        o, "description",
        "Test vectors of the verification receipt (docs/format.md, \"Verification receipts\"). Keys come "
        "from fixed seeds: Ed25519 seed = 32 bytes of 0x52 (the current receipt key), 0x51 (a retired "
        "one), 0x53 (a key the document does not list). Check each text against receipt_keys (the "
        "document GET /api/v1/receipt-keys serves); 'check' is the answer (valid, malformed, "
        "unknown_key, invalid_signature, signer_mismatch, signed_after_retirement, signed_before_key); "
        "'claims' are those of a receipt that verifies, by their CBOR names (receipt.iss is the "
        "issuer id of the receipt map; times in UTC). trust_list is a trust list signed by the root seed "
        "0x01 that lists the current key as a receipt signer (member receipt_signers): employer_valid checks "
        "against it too.");
    cJSON *doc = cJSON_AddObjectToObject(o, "receipt_keys");
    cJSON_AddStringToObject(doc, "verifier", TESTKIT_RECEIPT_ORG);
    cJSON *keys = cJSON_AddArrayToObject(doc, "keys");
    cJSON_AddItemToArray(keys, key_json(&key, KEY_NOT_BEFORE, NULL));
    cJSON_AddItemToArray(keys, key_json(&old_key, OLD_KEY_NOT_BEFORE, OLD_KEY_RETIRED_AT));
    cJSON *tlj = cJSON_AddObjectToObject(o, "trust_list");
    testkit_key root;
    testkit_root(&root);
    char rb64[64];
    b64url_encode(rb64, sizeof rb64, root.pk, COSE_PK_LEN);
    cJSON_AddStringToObject(tlj, "root_public_key", rb64);
    char *th = testkit_hex(trust_cose, trust_cose_len);
    cJSON_AddStringToObject(tlj, "cose_hex", th);
    free(th);
    cJSON *arr = cJSON_AddArrayToObject(o, "vectors");
    for (size_t i = 0; i < ncases; i++) {
        vec_case *v = &cases[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", v->name);
        cJSON_AddStringToObject(j, "description", v->description);
        cJSON_AddStringToObject(j, "text", v->text);
        char *h = testkit_hex(v->cose, v->cose_len);
        cJSON_AddStringToObject(j, "cose", h);
        free(h);
        cJSON_AddStringToObject(j, "check", v->check);
        if (v->has_claims) cJSON_AddItemToObject(j, "claims", claims_json(&v->r));
        cJSON_AddItemToArray(arr, j);
    }
    return o;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_receipts FILE   (e.g. docs/vectors/receipts.json)\n");
        return 2;
    }
    if (sodium_init() < 0) return 1;
    testkit_receipt_key(&key);
    testkit_key_from_seed(&old_key, 0x51);
    testkit_key_from_seed(&other_key, 0x53);
    vec_build();
    vec_trust_list();
    cJSON *file = vec_json();
    int rc = testkit_vectors_write(argv[1], file);
    cJSON_Delete(file);
    free(trust_cose);
    if (rc != 0) {
        fprintf(stderr, "gen_receipts: cannot write %s\n", argv[1]);
        return 1;
    }
    return 0;
}
