/*
 * cose.h: COSE_Sign1 (RFC 9052, CBOR tag 18) with Ed25519, the envelope of
 * every signed object of the system.
 *
 * Protected header {1: alg, 4: kid, 16: typ}; alg is -8 (EdDSA) when we
 * sign, -8 or -19 (Ed25519) when we verify. The unprotected header is {}.
 * The kid is the first 8 bytes of SHA-256 of the raw public key. typ keeps
 * the kinds apart: a trust list can never pass for an attestation, nor a
 * holder's card for the full attestation.
 */
#ifndef API_COSE_H
#define API_COSE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/signer.h"

#define COSE_KID_LEN         8
#define COSE_SIG_LEN         64
#define COSE_PK_LEN          32
#define COSE_SK_LEN          64
#define COSE_ALG_EDDSA       (-8)
#define COSE_ALG_ED25519     (-19)
#define COSE_TYP_MAX         64

#define COSE_TYP_ATTESTATION "api-attestation+cwt"
#define COSE_TYP_CARD        "api-card+cwt" /* the reduced presentation of an attestation */
#define COSE_TYP_TRUST_LIST  "api-trust-list+cbor"
#define COSE_TYP_CHECKPOINT  "api-feed-checkpoint+cbor"
#define COSE_TYP_SEGMENT     "api-feed-segment+cbor"
#define COSE_TYP_SNAPSHOT    "api-feed-snapshot+cbor"

/* A parsed COSE_Sign1; the pointers point into the parsed input. */
typedef struct {
    const uint8_t *protected_bytes; /* the serialized protected header */
    size_t protected_len;
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *signature; /* COSE_SIG_LEN bytes */
    uint8_t kid[COSE_KID_LEN];
    int64_t alg;
    char typ[COSE_TYP_MAX];
} cose_sign1;

/* kid = SHA-256(pk)[0..8). */
void cose_kid(uint8_t kid[COSE_KID_LEN], const uint8_t pk[COSE_PK_LEN]);

/*
 * Signs payload as a tagged COSE_Sign1 of the given typ with the Ed25519
 * secret key sk (libsodium's 64-byte form, public key in its second half).
 * Writes into out (capacity *outlen) and sets *outlen.
 */
api_err cose_sign1_sign(uint8_t *out, size_t *outlen, const char *typ, const uint8_t *payload,
                        size_t payload_len, const uint8_t sk[COSE_SK_LEN]);

/* The same into a malloc'd buffer, for large payloads (feeds). */
api_err cose_sign1_sign_alloc(uint8_t **out, size_t *outlen, const char *typ, const uint8_t *payload,
                              size_t payload_len, const uint8_t sk[COSE_SK_LEN]);

/*
 * The same two with any signer (common/signer.h): a file key or a key in a
 * security module, whose signature is checked before it is written. The
 * kid is that of by->pk.
 */
api_err cose_sign1_sign_with(uint8_t *out, size_t *outlen, const char *typ, const uint8_t *payload,
                             size_t payload_len, const api_signer *by);
api_err cose_sign1_sign_alloc_with(uint8_t **out, size_t *outlen, const char *typ, const uint8_t *payload,
                                   size_t payload_len, const api_signer *by);

/*
 * Parses in as a canonical, tagged COSE_Sign1 and checks its headers. When
 * typ is not NULL, a different typ is API_ERR_TYP. Errors: API_ERR_CBOR,
 * API_ERR_NOT_COSE_SIGN1, API_ERR_ALG, API_ERR_TYP. Nothing is verified.
 */
api_err cose_sign1_parse(cose_sign1 *msg, const uint8_t *in, size_t len, const char *typ);

/* Verifies msg's signature with pk: API_OK or API_ERR_SIGNATURE. */
api_err cose_sign1_verify(const cose_sign1 *msg, const uint8_t pk[COSE_PK_LEN]);

#endif
