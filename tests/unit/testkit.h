/*
 * testkit.h: fixed inputs shared by the unit tests and the fuzz targets of
 * the signed-QR format, so that every test builds them the same way.
 *
 * Keys come from fixed seeds (root 0x01, FR-75 0x02, FR-13 0x03: 32 bytes
 * of that value each), the attestation is the example of the docs (DIALLO
 * Aminata), and the helpers that forge malformed envelopes write the bytes
 * by hand with cbw so that no library check stands in the way. Nothing here
 * asserts: helpers return 0 / -1 or an api_err and the tests check them.
 */
#ifndef API_TESTKIT_H
#define API_TESTKIT_H

#include <stddef.h>
#include <stdint.h>

#include "qr/claims.h"
#include "qr/cose.h"
#include "common/err.h"
#include "qr/trust.h"

#define TESTKIT_SEED_ROOT 0x01
#define TESTKIT_SEED_FR75 0x02
#define TESTKIT_SEED_FR13 0x03

#define TESTKIT_QR_MAX    16384 /* a QR text buffer large enough for any test */
#define TESTKIT_COSE_MAX  8192  /* a COSE buffer large enough for any test */

typedef struct {
    uint8_t pk[COSE_PK_LEN];
    uint8_t sk[COSE_SK_LEN];
    uint8_t kid[COSE_KID_LEN];
} testkit_key;

/* The Ed25519 key pair of 32 bytes of seed_byte, and its kid. */
void testkit_key_from_seed(testkit_key *k, uint8_t seed_byte);

/* The federation root (seed 0x01), FR-75 (0x02) and FR-13 (0x03). */
void testkit_root(testkit_key *k);
void testkit_fr75(testkit_key *k);
void testkit_fr13(testkit_key *k);

/* An instant from time_parse_instant's forms ("2026-10-01T12:00:00Z"); INT64_MIN if bad. */
int64_t testkit_time(const char *s);

/*
 * The attestation of the docs: DIALLO Aminata, born 1990-04-12, SEN, fnn
 * 7503123456, renewal of a "carte de séjour pluriannuelle salarié", right
 * to work, filed 2026-09-01, valid 2026-09-15 00:00 to 2026-12-15 23:59:59
 * Paris time, previous permit 7501234567 until 2026-09-30, issued by FR-75
 * at 2026-09-14T08:00:00Z, fixed cti, status index 12345.
 */
void testkit_claims(api_claims *c);

/* The fixed cti of testkit_claims. */
extern const uint8_t testkit_cti[CLAIMS_CTI_LEN];

/* claims_encode into out (capacity *len). */
api_err testkit_payload(uint8_t *out, size_t *len, const api_claims *c);

/* claims -> COSE_Sign1 (typ attestation) signed with sk. */
api_err testkit_sign_cose(uint8_t *cose, size_t *cose_len, const api_claims *c,
                          const uint8_t sk[COSE_SK_LEN]);

/* claims -> COSE_Sign1 -> QR text (NUL-terminated) signed with sk. */
api_err testkit_sign_qr(char *text, size_t *text_len, const api_claims *c, const uint8_t sk[COSE_SK_LEN]);

/* Any payload bytes -> COSE_Sign1 of typ -> QR text: reaches claims decoding with bad claims. */
api_err testkit_sign_payload_qr(char *text, size_t *text_len, const char *typ, const uint8_t *payload,
                                size_t payload_len, const uint8_t sk[COSE_SK_LEN]);

/* The testkit attestation signed by FR-75, as QR text and as COSE bytes. */
api_err testkit_default_qr(char *text, size_t *text_len);
api_err testkit_default_cose(uint8_t *cose, size_t *cose_len);

/*
 * A trust-list entry for key k: id, a display name, kid = cose_kid(pk),
 * feed URL, epoch 1, state and retired_at.
 */
void testkit_entry(trust_entry *e, const char *id, const testkit_key *k, trust_state state,
                   int64_t retired_at);

/*
 * A trust list (seq 7, iat 2026-09-01T00:00:00Z, exp 2027-03-01T00:00:00Z,
 * no next root) holding a copy of entries[0..n). Returns 0 or -1; the
 * caller trust_free()s tl.
 */
int testkit_trust_list_with(trust_list *tl, const trust_entry *entries, size_t n);

/* The usual list: FR-75 (seed 0x02) and FR-13 (seed 0x03), both active. */
int testkit_trust_list(trust_list *tl);

/*
 * A protected header map written by hand: {1: alg, 4: kid, 16: typ} with
 * each part left out when has_alg is 0, kid is NULL or typ is NULL, plus an
 * extra label (value 0) when extra_label is not 0. Returns its length or 0.
 */
size_t testkit_protected(uint8_t *out, size_t cap, int has_alg, int64_t alg, const uint8_t *kid,
                         const char *typ, int64_t extra_label);

/*
 * A COSE_Sign1-like message written by hand: tag (none when tag < 0), an
 * array of nitems (1..6) whose items are, in order, bstr(prot), the raw
 * CBOR unprot (e.g. "\xa0" for {}), bstr(payload), bstr(sig), then
 * unsigned zeros for any item past the fourth. Returns the length or 0.
 */
size_t testkit_cose_raw(uint8_t *out, size_t cap, int64_t tag, size_t nitems, const uint8_t *prot,
                        size_t prot_len, const uint8_t *unprot, size_t unprot_len, const uint8_t *payload,
                        size_t payload_len, const uint8_t *sig, size_t sig_len);

/*
 * A tagged COSE_Sign1 over the given protected bytes (any content, e.g. an
 * alg of -19 or -7) with a real Ed25519 signature of the Sig_structure by
 * sk. Returns the length or 0.
 */
size_t testkit_cose_signed_with_protected(uint8_t *out, size_t cap, const uint8_t *prot, size_t prot_len,
                                          const uint8_t *payload, size_t payload_len,
                                          const uint8_t sk[COSE_SK_LEN]);

/* "API1:" + Base45(bytes), no zlib, NUL-terminated. Returns the length or 0. */
size_t testkit_qr_raw(char *out, size_t cap, const uint8_t *bytes, size_t len);

/* "API1:" + Base45(compress2(bytes, level)), NUL-terminated. Returns the length or 0. */
size_t testkit_qr_zlib(char *out, size_t cap, const uint8_t *bytes, size_t len, int level);

/* A deterministic pseudo-random generator (xorshift64*), for reproducible tests. */
uint64_t testkit_rand(uint64_t *state);

#endif
